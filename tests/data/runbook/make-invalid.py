#!/usr/bin/env python3
"""Writes tests/data/runbook/invalid/: each case is one document made by a single
mutation of a sample (resources/samples/), plus NAME.expect naming the JSON Pointer
that `ferry runbook check` must report ("pointer P") and the other documents to
check with it ("with F", relative to invalid/). Re-run after changing a sample."""
import copy, json, os

here = os.path.dirname(os.path.abspath(__file__))
samples = os.path.join(here, '..', '..', '..', 'resources', 'samples')
out = os.path.join(here, 'invalid')
mig = json.load(open(os.path.join(samples, 'migration.json')))
batch = json.load(open(os.path.join(samples, 'batch-01.json')))
S = '../../../../resources/samples/'
WITH_RB = [S + 'cache-credentials.json', S + 'migration.json']

def mutate(doc, path, value):
    d = copy.deepcopy(doc)
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    if value is DELETE:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return d

DELETE = object()
cases = []
def rb(name, path, value, pointer, with_=()):
    cases.append((name, mutate(mig, path, value), pointer, list(with_) + [S + 'cache-credentials.json']))
def bt(name, path, value, pointer, with_=WITH_RB):
    d = mutate(batch, path, value)
    d.pop('devices_csv', None)
    cases.append((name, d, pointer, list(with_)))

rb('schema-version', ['schema'], 'ferry.runbook/2', '/schema')
rb('id-missing', ['id'], DELETE, '/id')
rb('id-space', ['id'], 'mig ration', '/id')
rb('unknown-key', ['startpu'], {}, '/startpu')
rb('startup-mode', ['startup', 'mode'], 'loud', '/startup/mode')
rb('startup-run-string', ['startup', 'run'], 'yes', '/startup/run')
rb('image-custom-no-path', ['startup', 'migration_image'], {'source': 'custom'}, '/startup/migration_image/path')
rb('image-default-with-path', ['startup', 'migration_image'], {'source': 'default', 'path': 'C:\\x.png'}, '/startup/migration_image/path')
rb('image-gif', ['startup', 'migration_image'], {'source': 'custom', 'path': 'C:\\x.gif'}, '/startup/migration_image/path')
rb('fallback-no-username', ['startup', 'fallback_credentials', 'username'], DELETE, '/startup/fallback_credentials/username')
rb('fallback-username-at', ['startup', 'fallback_credentials', 'username'], 'help@desk', '/startup/fallback_credentials/username')
rb('fallback-delay-negative', ['startup', 'fallback_credentials', 'deletion_delay_hours'], -1, '/startup/fallback_credentials/deletion_delay_hours')
rb('prevent-login-without-fallback', ['startup', 'fallback_credentials', 'enabled'], False, '/startup/prevent_login')
rb('command-package-duplicate', ['startup', 'command_packages'], ['a', 'a'], '/startup/command_packages/1')
rb('placeholder-unknown', ['user_experience', 'migration_starting', 'text'], 'Starts in {minutes}, {targt_user}', '/user_experience/migration_starting/text')
rb('placeholder-unclosed', ['user_experience', 'migration_available', 'title'], 'Ready {target_user', '/user_experience/migration_available/title')
rb('qr-http', ['user_experience', 'qr_code_url'], 'http://intranet.target.example/', '/user_experience/qr_code_url')
rb('screen-missing-text', ['user_experience', 'migration_complete'], {'title': 'Done'}, '/user_experience/migration_complete/text')
rb('legal-caption-placeholder', ['user_experience', 'legal_notice', 'caption'], 'Moving {domain}', '/user_experience/legal_notice/caption')
rb('logo-svg', ['user_experience', 'cache_credentials'], {'logo': 'logo.svg'}, '/user_experience/cache_credentials/logo')
rb('remove-from-some', ['device_state', 'remove_from'], 'some', '/device_state/remove_from')
rb('join-type-entra', ['device_state', 'domain_join', 'type'], 'entra', '/device_state/domain_join/type')
rb('join-no-domain', ['device_state', 'domain_join', 'domain'], DELETE, '/device_state/domain_join/domain')
rb('join-online', ['device_state', 'domain_join', 'offline_domain_join'], False, '/device_state/domain_join/offline_domain_join')
rb('join-ou-other-domain', ['device_state', 'domain_join', 'computer_ou'], 'OU=PCs,DC=source,DC=example', '/device_state/domain_join/computer_ou')
rb('join-single-label', ['device_state', 'domain_join', 'domain'], 'target', '/device_state/domain_join/domain')
rb('join-without-remove', ['device_state', 'remove_from'], 'none', '/device_state/domain_join/type')
rb('permission-mode', ['permission_updates', 'mode'], 'overwrite', '/permission_updates/mode')
rb('permission-relative-path', ['permission_updates', 'paths'], ['D:\\Data', 'Data\\Shared'], '/permission_updates/paths/1')
rb('app-outlook', ['app_reconfiguration', 'reset'], ['office', 'outlook'], '/app_reconfiguration/reset/1')
rb('completion-packages-not-run', ['completion', 'run'], False, '/completion/command_packages')
rb('retry-zero', ['retry', 'attempts'], 0, '/retry/attempts')
rb('prerequisite-self', ['prerequisites'], ['cache-credentials', 'migration'], '/prerequisites/1')
rb('prerequisite-unknown', ['prerequisites'], ['cache-creds'], '/prerequisites/0')
rb('legal-notice-missing', ['user_experience', 'legal_notice'], DELETE, '/startup/set_legal_notice')
bt('batch-enforced-before-available', ['runbooks', 1, 'enforced_after'], '2025-03-01T00:00:00Z', '/runbooks/1/enforced_after')
bt('batch-time-space', ['runbooks', 1, 'available_from'], '2025-03-03 08:00:00Z', '/runbooks/1/available_from')
bt('batch-time-feb30', ['runbooks', 1, 'available_from'], '2025-02-30T08:00:00Z', '/runbooks/1/available_from')
bt('batch-duplicate-runbook', ['runbooks', 1, 'runbook'], 'cache-credentials', '/runbooks/1/runbook')
bt('batch-unknown-runbook', ['runbooks', 1, 'runbook'], 'migrate', '/runbooks/1/runbook')
bt('batch-prerequisite-missing', ['runbooks'], [batch['runbooks'][1]], '/runbooks/0/runbook')
bt('batch-prerequisite-later', ['runbooks', 0, 'available_from'], '2025-03-04T00:00:00Z', '/runbooks/1/available_from')
bt('batch-no-devices', ['devices'], DELETE, '/devices')
bt('batch-device-too-long', ['devices'], ['FINANCE-PC-00001'], '/devices/0')
bt('batch-runbooks-empty', ['runbooks'], [], '/runbooks')
bt('batch-schema', ['schema'], 'ferry.batch/9', '/schema')

# Two runbooks that need each other.
cyc_a = mutate(mig, ['id'], 'cycle-a')
cyc_a['prerequisites'] = ['cycle-b']
cyc_b = json.load(open(os.path.join(samples, 'cache-credentials.json')))
cyc_b['id'] = 'cycle-b'
cyc_b['prerequisites'] = ['cycle-a']
os.makedirs(os.path.join(out, 'parts'), exist_ok=True)
json.dump(cyc_b, open(os.path.join(out, 'parts', 'cycle-b.json'), 'w'), indent=2)
cases.append(('prerequisite-cycle', cyc_a, '/prerequisites/0', ['parts/cycle-b.json']))

# Batches whose CSV is missing or holds a bad name.
for name, csv in (('batch-csv-missing', 'no-such.csv'), ('batch-csv-bad-name', 'parts/bad-devices.csv')):
    d = copy.deepcopy(batch)
    d['devices_csv'] = csv
    cases.append((name, d, '/devices_csv', WITH_RB))
open(os.path.join(out, 'parts', 'bad-devices.csv'), 'w').write('name\nFIN-PC-003\nFIN PC 004\n')

for i, (name, doc, pointer, with_) in enumerate(cases, 1):
    base = os.path.join(out, '%02d-%s' % (i, name))
    json.dump(doc, open(base + '.json', 'w'), indent=2)
    with open(base + '.expect', 'w') as f:
        f.write('pointer %s\n' % pointer)
        for w in with_:
            f.write('with %s\n' % w)

# Raw-text cases a dict cannot express.
n = len(cases)
raw = [('duplicate-key', '{"schema":"ferry.runbook/1","id":"x","name":"a","name":"b"}', '/name'),
       ('not-json', '{"schema":"ferry.runbook/1","id":"x",}', '')]
for j, (name, text, pointer) in enumerate(raw, n + 1):
    base = os.path.join(out, '%02d-%s' % (j, name))
    open(base + '.json', 'w').write(text + '\n')
    open(base + '.expect', 'w').write('pointer %s\n' % pointer)
print('%d cases' % (n + len(raw)))
