#!/usr/bin/env python3
"""Decode an ODJ file with Samba's ndrdump and print the values it shows, in
the shape of `ferry odj inspect --json` (only the fields ndrdump shows; the
machine password is redacted by ndrdump and so never appears here).

usage: ndrdump_expect.py FILE.odj      (text form: UTF-16LE+BOM or 8-bit base64)
       ndrdump_expect.py --binary FILE (the binary form)
Exit 77 if ndrdump is absent, 1 if ndrdump rejects the blob.
"""
import base64, json, os, re, shutil, subprocess, sys, tempfile


def text_to_binary(raw):
    if raw.startswith(b'\xff\xfe'):
        text = raw[2:].decode('utf-16-le')
    elif len(raw) > 1 and raw[1:2] == b'\0':
        text = raw.decode('utf-16-le')
    else:
        text = raw.decode('latin-1')
    text = text.rstrip('\0 \t\r\n')
    return base64.b64decode(''.join(text.split()), validate=True)


def run_ndrdump(binary, validate=False):
    with tempfile.NamedTemporaryFile(suffix='.bin', delete=False) as f:
        f.write(binary)
        path = f.name
    try:
        cmd = ['ndrdump', 'ODJ', 'ODJ_PROVISION_DATA_serialized_ptr', 'struct', path]
        if validate:
            cmd.insert(1, '--validate')
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return p.returncode, p.stdout.decode('utf-8', 'replace')
    finally:
        os.unlink(path)


LINE = re.compile(r'^(\s*)(\w+)\s*: ?(.*)$')


def scalar(v):
    v = v.strip()
    if v == 'NULL':
        return None
    m = re.match(r"^'(.*)'$", v)
    if m:
        return m.group(1)
    m = re.search(r'\((\d+)\)$', v)
    if m:
        return int(m.group(1))
    return v


def parse(text):
    """Walk ndrdump's indented dump, tracking the path of each field."""
    out = {'version': None, 'blobs': [], 'parts': []}
    win7 = None     # first ODJ_WIN7BLOB seen (the top-level one comes first)
    prov2 = None
    machine = {'rid': None, 'sid': None}
    stack = []
    cur_part = None
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        ind, key, val = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= ind:
            stack.pop()
        stack.append((ind, key))
        path = '/'.join(k for _, k in stack)
        v = scalar(val)
        if key == 'ulVersion' and out['version'] is None:
            out['version'] = v
        elif key == 'ulODJFormat':
            out['blobs'].append({'format': {1: 'win7', 2: 'win8'}.get(v, 'unknown'), 'size': None})
        elif key == 'cbBlob' and path.endswith('pBlobs/cbBlob') and out['blobs'] and out['blobs'][-1]['size'] is None:
            out['blobs'][-1]['size'] = v
        elif key == 'PartType':
            cur_part = {'type': None, 'guid': v, 'essential': None, 'size': None}
            out['parts'].append(cur_part)
        elif key == 'ulFlags' and cur_part is not None and cur_part['essential'] is None:
            cur_part['essential'] = bool(v & 1)
        elif key == 'part_len' and cur_part is not None:
            cur_part['size'] = v
        elif key in ('win7blob', 'odj_win7blob') and win7 is None:
            win7 = {'ind': ind}
        elif key in ('join_prov2',):
            prov2 = {}
        elif win7 is not None and 'done' not in win7 and key in ('lpDomain', 'lpMachineName', 'string', 'DomainGuid', 'Sid',
                         'dc_unc', 'dc_address', 'dc_address_type', 'domain_guid', 'domain_name', 'forest_name',
                         'dc_flags', 'dc_site_name', 'client_site_name', 'Options'):
            if val.strip() == '*':
                continue   # the pointer line; the pointee line follows
            parent = stack[-3][1] if key == 'string' and len(stack) >= 3 else None
            k = {'string': parent}.get(key, key)
            win7[k] = v
            if key == 'Options':
                win7['done'] = True
        elif prov2 is not None and key in ('dwFlags', 'lpNetbiosName', 'lpSiteName', 'lpPrimaryDNSDomain'):
            if val.strip() == '*':
                continue
            prov2[key] = v
        elif key == 'Rid':
            machine['rid'] = v
        elif key == 'lpSid' and val.strip() != '*':
            machine['sid'] = v
    w = win7 or {}
    out['domain'] = {'dns_name': w.get('DnsDomainName'), 'netbios_name': w.get('Name'),
                     'forest_name': w.get('DnsForestName'), 'guid': w.get('DomainGuid'), 'sid': w.get('Sid')}
    out['machine'] = {'name': w.get('lpMachineName'), 'rid': machine['rid'], 'sid': machine['sid']}
    out['dc'] = {'name': w.get('dc_unc'), 'address': w.get('dc_address'), 'address_type': w.get('dc_address_type'),
                 'guid': w.get('domain_guid'), 'domain_name': w.get('domain_name'), 'forest_name': w.get('forest_name'),
                 'flags': w.get('dc_flags'), 'site': w.get('dc_site_name'), 'client_site': w.get('client_site_name')}
    out['options'] = w.get('Options')
    out['provider2'] = None if prov2 is None else {
        'flags': prov2.get('dwFlags'), 'netbios_name': prov2.get('lpNetbiosName'),
        'site': prov2.get('lpSiteName'), 'primary_dns_domain': prov2.get('lpPrimaryDNSDomain')}
    names = {'631c7621-5289-4321-bc9e-80f843f868c3': 'join_provider',
             '57bfc56b-52f9-480c-adcb-91b3f8a82317': 'provider2',
             'fc0ccf25-7ffa-474a-8611-69ffe269645f': 'provider3',
             '9c0971e9-832f-4873-8e87-ef1419d4781e': 'cert',
             '68fb602a-0c09-48ce-b75f-07b7bd58f7ec': 'policy'}
    for p in out['parts']:
        p['type'] = names.get(p['guid'], 'unknown')
    return out


def main():
    args = sys.argv[1:]
    binary_in = False
    if args and args[0] == '--binary':
        binary_in, args = True, args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    if not shutil.which('ndrdump'):
        print('SKIP: ndrdump (package samba-testsuite) is not installed', file=sys.stderr)
        sys.exit(77)
    raw = open(args[0], 'rb').read()
    binary = raw if binary_in else text_to_binary(raw)
    rc, text = run_ndrdump(binary)
    if rc != 0 or 'dump OK' not in text:
        print(text, file=sys.stderr)
        sys.exit(1)
    print(json.dumps(parse(text), indent=1, sort_keys=True))


if __name__ == '__main__':
    main()
