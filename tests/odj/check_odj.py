#!/usr/bin/env python3
"""CLI-level checks of `ferry odj` against tests/data/odj (run by ctest).

usage: check_odj.py CHECK FERRY ODJ_REENCODE DATA_DIR
  ndrdump    inspect --json agrees with ndrdump on every field both show:
             live ndrdump when installed, and always the committed
             *.expect.json (which generate.sh derived from ndrdump)
  roundtrip  compose(decode(blob)) decodes back to equal values, and
             ndrdump --validate accepts it (exit 77 if ndrdump is absent,
             after the ferry-only half has run)
  compose    `ferry odj compose` from a spec: ferry and ndrdump read it back
  malformed  truncated and corrupted files exit 3 with a one-line reason;
             validate's exit codes 0 / 2 / 3 / 64
  noleak     no output of any `ferry odj` command holds a password
"""
import base64, glob, json, os, shutil, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ndrdump_expect  # noqa: E402

CHECK, FERRY, REENCODE, DATA = sys.argv[1:5]
TMP = tempfile.mkdtemp(prefix='ferry-odj-check.')
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


def run(*args):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def inspect(path):
    rc, out, err = run(FERRY, 'odj', 'inspect', path, '--json')
    if rc != 0:
        raise SystemExit('ferry odj inspect %s: exit %d: %s' % (path, rc, err.decode()))
    return json.loads(out)


def blobs():
    files = sorted(glob.glob(os.path.join(DATA, '*.odj')))
    if len(files) < 5:
        raise SystemExit('expected at least 5 blobs in %s, found %d' % (DATA, len(files)))
    return files


def binary_of(path):
    return ndrdump_expect.text_to_binary(open(path, 'rb').read())


def write_text(path, binary):
    text = base64.b64encode(binary).decode('ascii') + '\0'
    open(path, 'wb').write(b'\xff\xfe' + text.encode('utf-16-le'))


def compare(expected, actual, where):
    """Every field present in `expected` must equal ferry's; returns the count."""
    n = 0
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            fail('%s: expected an object, ferry has %r' % (where, actual))
            return 0
        for k, v in expected.items():
            if k not in actual:
                fail('%s.%s: missing from ferry' % (where, k))
                continue
            n += compare(v, actual[k], where + '.' + k)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            fail('%s: %r != %r' % (where, expected, actual))
            return 0
        for i, (e, a) in enumerate(zip(expected, actual)):
            n += compare(e, a, '%s[%d]' % (where, i))
    else:
        if expected != actual:
            fail('%s: ndrdump %r, ferry %r' % (where, expected, actual))
        n = 1
    return n


def have_ndrdump():
    return shutil.which('ndrdump') is not None


def ndrdump_view(binary):
    rc, text = ndrdump_expect.run_ndrdump(binary)
    if rc != 0 or 'dump OK' not in text:
        fail('ndrdump rejects the blob: ' + text[-300:])
        return None
    return ndrdump_expect.parse(text)


def check_ndrdump():
    total = 0
    for f in blobs():
        mine = inspect(f)
        committed = json.load(open(f[:-4] + '.expect.json'))
        total += compare(committed, mine, os.path.basename(f) + '(committed)')
        if have_ndrdump():
            live = ndrdump_view(binary_of(f))
            if live is not None:
                total += compare(live, mine, os.path.basename(f) + '(live)')
                if live != committed:
                    fail('%s: live ndrdump differs from the committed expect file' % f)
    print('compared %d field values; live ndrdump: %s' % (total, 'yes' if have_ndrdump() else 'ABSENT'))


def check_roundtrip():
    for f in blobs():
        out = os.path.join(TMP, os.path.basename(f))
        rc, _, err = run(REENCODE, f, out)
        if rc != 0:
            fail('%s: re-encode failed: %s' % (f, err.decode()))
            continue
        a, b = inspect(f), inspect(out)
        if a != b:
            fail('%s: decode(encode(decode)) differs:\n%s\n%s' % (f, a, b))
        pa = run(REENCODE, '--password-hex', f)[1]
        pb = run(REENCODE, '--password-hex', out)[1]
        if not pa or pa != pb:
            fail('%s: the password did not survive the round trip' % f)
        if have_ndrdump():
            binary = binary_of(out)
            rc, text = ndrdump_expect.run_ndrdump(binary, validate=True)
            if rc != 0 or 'dump OK' not in text:
                fail('%s: ndrdump --validate rejects the re-encoded blob: %s' % (f, text[-400:]))
            view = ndrdump_view(binary)
            if view is not None:
                compare(json.load(open(f[:-4] + '.expect.json')), view, os.path.basename(f) + '(re-encoded)')
        print('%s: round trip ok' % os.path.basename(f))
    if not have_ndrdump() and not failures:
        print('SKIP: ferry-side round trip passed, but ndrdump (samba-testsuite) is absent, '
              'so --validate of the composed blobs could not run')
        sys.exit(77)


def spec_from(view, password):
    spec = {k: view[k] for k in ('domain', 'dc', 'options')}
    spec['machine'] = {'name': view['machine']['name'], 'password': password,
                       'rid': view['machine']['rid'], 'sid': view['machine']['sid']}
    spec['provider2'] = {'flags': 1, 'netbios_name': view['machine']['name'][:15],
                         'site': 'Default-First-Site-Name', 'primary_dns_domain': view['domain']['dns_name']}
    return spec


def check_compose():
    password = 'Ferry-compose-P\u00e4ssw\u00f6rd-\U0001F600-1'
    for f in blobs():
        view = inspect(f)
        spec = spec_from(view, password)
        sp, out = os.path.join(TMP, 'spec.json'), os.path.join(TMP, 'composed.odj')
        json.dump(spec, open(sp, 'w'))
        rc, _, err = run(FERRY, 'odj', 'compose', '--spec', sp, '--out', out)
        if rc != 0:
            fail('%s: compose exit %d: %s' % (f, rc, err.decode()))
            continue
        raw = open(out, 'rb').read()
        if not raw.startswith(b'\xff\xfe') or not raw.endswith(b'\0\0'):
            fail('compose did not write UTF-16LE with BOM and trailing NUL')
        back = inspect(out)
        for k in ('domain', 'dc', 'options', 'provider2'):
            if back[k] != spec[k]:
                fail('%s: composed %s reads back as %r' % (f, k, back[k]))
        if back['machine']['password_length'] != len(password.encode('utf-16-le')) // 2:
            fail('composed password length %r' % back['machine']['password_length'])
        if [p['type'] for p in back['parts']] != ['join_provider', 'provider2', 'provider3']:
            fail('composed parts %r' % back['parts'])
        pw = bytes.fromhex(run(REENCODE, '--password-hex', out)[1].decode().strip())
        if pw != password.encode('utf-16-le'):
            fail('composed password does not read back')
        if have_ndrdump():
            binary = binary_of(out)
            rc, text = ndrdump_expect.run_ndrdump(binary, validate=True)
            if rc != 0 or 'dump OK' not in text:
                fail('%s: ndrdump --validate rejects the composed blob: %s' % (f, text[-400:]))
            view2 = ndrdump_view(binary)
            if view2 is not None:
                compare(view2, back, os.path.basename(f) + '(composed)')
        print('%s: compose ok' % os.path.basename(f))
    if not have_ndrdump() and not failures:
        print('SKIP: compose read back by ferry, but ndrdump is absent for --validate')
        sys.exit(77)


def malformed_line(result, what):
    """The one reason line of an `odj inspect` that must exit 3, from run()'s result."""
    rc, out, err = result
    lines = err.decode('utf-8', 'replace').strip().splitlines()
    if rc != 3 or len(lines) != 1 or out:
        fail('%s: exit %d, stderr %r (want exit 3, one line, no stdout)' % (what, rc, lines))
    return lines[0] if lines else ''


def inspect_all(paths):
    """run(FERRY, 'odj', 'inspect', path) of every path, in order, four processes at a time."""
    with ThreadPoolExecutor(4) as ex:
        return list(ex.map(lambda path: run(FERRY, 'odj', 'inspect', path), paths))


def check_malformed():
    n = 0
    cases = []  # (file, what, cut or None): each a process of its own, run 4 at a time
    for i, f in enumerate(blobs()):
        binary = binary_of(f)
        # A CLI-level sample; the exhaustive sweep runs in-process (test_odj).
        for cut in list(range(0, len(binary), 61)) + [len(binary) - 1]:
            bad = os.path.join(TMP, 'bad-%d-cut-%d.odj' % (i, cut))
            write_text(bad, binary[:cut])
            cases.append((bad, '%s cut at %d' % (f, cut), cut))
            n += 1
        # Header bytes every decoder must refuse: version, endianness, length.
        for off, val in ((0, 2), (1, 0), (8, 0x11)):
            b = bytearray(binary)
            b[off] = val
            bad = os.path.join(TMP, 'bad-%d-byte-%d.odj' % (i, off))
            write_text(bad, bytes(b))
            cases.append((bad, '%s with byte %d = %d' % (f, off, val), None))
            n += 1
        bad = os.path.join(TMP, 'bad-%d-not-base64.odj' % i)
        open(bad, 'wb').write(b'\xff\xfeA\0!\0')
        cases.append((bad, 'not base64', None))
        cases.append((os.path.join(TMP, 'does-not-exist.odj'), 'missing file', None))
    for (path, what, cut), result in zip(cases, inspect_all([c[0] for c in cases])):
        line = malformed_line(result, what)
        if cut and 'offset' not in line and 'bytes' not in line:
            fail('%s: reason names no offset: %s' % (what, line))
    # validate: 0 / 2 / 3 / 64
    ws = os.path.join(DATA, 'ws2019.odj')
    cases = [(['--domain', 'w2k19dom.ber.redhat.com'], 0),
             (['--domain', 'W2K19DOM', '--machine', 'WURST2'], 0),
             (['--domain', 'other.example'], 2),
             (['--domain', 'w2k19dom.ber.redhat.com', '--machine', 'wurst3'], 2),
             ([], 64)]
    for args, want in cases:
        rc, out, err = run(FERRY, 'odj', 'validate', ws, *args)
        if rc != want:
            fail('validate %r: exit %d, want %d (%s)' % (args, rc, want, err.decode()))
        if want == 2 and ('lpMachineName' not in err.decode() and 'DnsDomainInfo' not in err.decode()):
            fail('validate %r: reason names no field: %s' % (args, err.decode()))
    rc, _, err = run(FERRY, 'odj', 'validate', bad, '--domain', 'x')
    if rc != 3:
        fail('validate of a malformed file: exit %d' % rc)
    long_name = os.path.join(DATA, 'samba-abcdefghijklmno.odj')
    rc, _, err = run(FERRY, 'odj', 'validate', long_name, '--domain', 'ferry.test', '--machine',
                     'abcdefghijklmnoLONGER')
    if rc != 0:
        fail('a name longer than 15 characters must match on its NetBIOS 15: %s' % err.decode())
    print('%d malformed files refused at CLI level' % n)


def check_noleak():
    spec_pw = 'Ferry-Leak-Canary-Zq7!'
    outputs = []
    secrets = []
    for f in blobs():
        hexpw = run(REENCODE, '--password-hex', f)[1].decode().strip()
        pw = bytes.fromhex(hexpw)
        text_pw = pw.decode('utf-16-le', 'surrogatepass')
        if text_pw.lower() == (inspect(f)['machine']['name'] or '').lower():
            # A "default password" blob (the ws2019 one: password = machine
            # name) cannot be told apart from the name it must show.
            print('note: %s: password is the machine name; not searchable' % os.path.basename(f))
        else:
            secrets.append(pw)
            secrets.append(text_pw.encode('utf-8', 'surrogatepass'))
        cmds = [['inspect', f], ['inspect', f, '--json'],
                ['validate', f, '--domain', 'nope'], ['validate', f, '--domain', 'ferry.test'],
                ['validate', f, '--domain', 'w2k19dom.ber.redhat.com', '--machine', 'x']]
        binary = binary_of(f)
        bad = os.path.join(TMP, 'leak.odj')
        write_text(bad, binary[:len(binary) // 2])
        cmds.append(['inspect', bad])
        view = inspect(f)
        sp, out = os.path.join(TMP, 'leak.json'), os.path.join(TMP, 'leak-out.odj')
        json.dump(spec_from(view, spec_pw), open(sp, 'w'))
        cmds.append(['compose', '--spec', sp, '--out', out])
        cmds.append(['inspect', out, '--json'])
        cmds.append(['validate', out, '--domain', 'nope'])
        for c in cmds:
            rc, o, e = run(FERRY, 'odj', *c)
            outputs.append((c, o + e))
    secrets += [spec_pw.encode('utf-8'), spec_pw.encode('utf-16-le')]
    for c, text in outputs:
        for s in secrets:
            if len(s) >= 4 and s in text:
                fail('`ferry odj %s` printed a password' % ' '.join(c))
    print('%d command outputs checked for %d password encodings' % (len(outputs), len(secrets)))


try:
    {'ndrdump': check_ndrdump, 'roundtrip': check_roundtrip, 'compose': check_compose,
     'malformed': check_malformed, 'noleak': check_noleak}[CHECK]()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
if failures:
    print('%d failure(s)' % len(failures))
    sys.exit(1)
print('ok')
