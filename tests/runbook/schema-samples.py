#!/usr/bin/env python3
"""docs/runbook.schema.json accepts the samples and rejects the structural invalid cases.
usage: schema-samples.py SOURCE_DIR. Exits 77 (skip) without python3-jsonschema."""
import glob, json, os, sys
try:
    import jsonschema
except ImportError:
    print('SKIP: python3 module jsonschema not installed')
    sys.exit(77)
src = sys.argv[1]
schema = json.load(open(os.path.join(src, 'docs', 'runbook.schema.json')))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for f in sorted(glob.glob(os.path.join(src, 'resources', 'samples', '*.json'))):
    errs = list(v.iter_errors(json.load(open(f))))
    print('%s: %s' % (os.path.basename(f), 'valid' if not errs else errs[0].message))
    bad += bool(errs)
# Cases whose problem is structural must be refused by the schema too.
structural = ['05-startup-mode', '04-unknown-key', '21-remove-from-some', '28-permission-mode',
              '30-app-outlook', '32-retry-zero', '12-fallback-delay-negative', '17-qr-http']
rejected = 0
for name in structural:
    path = glob.glob(os.path.join(src, 'tests', 'data', 'runbook', 'invalid', name + '.json'))
    if not path:
        print('missing case', name); bad += 1; continue
    if v.is_valid(json.load(open(path[0]))):
        print('schema accepts', name); bad += 1
    else:
        rejected += 1
print('schema: samples checked, %d structural invalid cases rejected' % rejected)
sys.exit(1 if bad else 0)
