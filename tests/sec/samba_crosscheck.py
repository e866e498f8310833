#!/usr/bin/env python3
"""Cross-check `ferry acl translate --batch` against Samba's own objects.

Generates security descriptors from a seed with Samba's Python bindings
(samba.dcerpc.security: descriptor, acl, ace, dom_sid objects built
directly and packed with ndr_pack), applies the replace/add/remove
semantics of core/sec/translate.h to those objects, runs ferry on the
packed bytes, and parses ferry's output back with ndr_unpack. The two must
agree on `changed`, an unchanged SD must come back byte for byte, and a
changed one must decode to the same descriptor as Samba's expectation.

    samba_crosscheck.py --ferry PATH [--count N] [--seed S] [--table CSV]

--table uses a translation table built elsewhere (tests/dir builds one from
two live Samba DCs with `ferry table build`) instead of the generated one;
ferry reads that very file.

Exit 0 on agreement, 1 on the first disagreement (printed with its input),
77 (SKIP) when python3-samba is not installed.

What is generated, and what is left to the unit tests: ACE types 0-3,
5-8, 9, 0xA, 0xD, 0xE, 0x11, 0x12 and 0x13, without application data.
Samba 4.17 parses the callback *object* types (0xB, 0xC, 0xF, 0x10) with
the basic layout, unlike MS-DTYP 2.4.4, and drops an ACE's trailing bytes,
so those cases cannot be compared here; tests/unit/test_sec_translate.c
covers them.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile


def import_samba():
    try:
        from samba.dcerpc import misc, security
        from samba.ndr import ndr_pack, ndr_unpack
        return misc, security, ndr_pack, ndr_unpack
    except ImportError:
        # python3-samba installs into Debian's interpreter; a pyenv or venv
        # python3 earlier on PATH cannot see it. Retry once with the system one.
        system = "/usr/bin/python3"
        if (os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system)
                and not os.environ.get("FERRY_SAMBA_REEXEC")):
            os.environ["FERRY_SAMBA_REEXEC"] = "1"
            os.execv(system, [system] + sys.argv)
        print("SKIP: python3-samba (samba.dcerpc.security) is not installed; "
              "scripts/bootstrap installs it")
        sys.exit(77)


misc, security, ndr_pack, ndr_unpack = import_samba()

BASIC_TYPES = [0x00, 0x01, 0x02, 0x03, 0x09, 0x0A, 0x0D, 0x0E, 0x11, 0x12, 0x13]
OBJECT_TYPES = [0x05, 0x06, 0x07, 0x08]
WELL_KNOWN = ["S-1-5-18", "S-1-5-32-544", "S-1-5-32-545", "S-1-1-0", "S-1-3-0",
              "S-1-5-11", "S-1-16-4096", "S-1-5-19", "S-1-5-21-1-2-3-513"]
GUIDS = ["bf967aba-0de6-11d0-a285-00aa003049e2", "00299570-246d-11d0-a768-00aa006e0529",
         "4828cc14-1437-45bc-9b07-ad6f015e5f28"]
CONTROL_BITS = [0x0001, 0x0002, 0x0004, 0x0008, 0x0010, 0x0020, 0x0100, 0x0200, 0x0400,
                0x0800, 0x1000, 0x2000]
MASKS = [0x1F01FF, 0x1301BF, 0x1200A9, 0x120089, 0x10000000, 0x30, 0x100, 0x1]


def make_table(rng):
    """Sources are domain or Entra accounts; targets vary in length."""
    table = {}
    for i in range(40):
        src = "S-1-5-21-1004336348-1177238915-682003330-%d" % (1000 + i)
        if i % 8 == 7:
            src = "S-1-12-1-11-22-33-%d" % (500 + i)
        if i % 5 == 4:
            dst = "S-1-5-21-3623811015-3361044348-30300820-77-%d" % i   # 4 bytes longer
        elif i % 11 == 10:
            dst = "S-1-5-80-%d" % i                                     # 12 bytes shorter
        else:
            dst = "S-1-5-21-3623811015-3361044348-30300820-%d" % (2000 + i)
        table[src] = dst
    return table


def write_table(path, table):
    with open(path, "w") as f:
        f.write("source_sid,target_sid\n")
        for s, d in table.items():
            f.write("%s,%s\n" % (s, d))


def read_table(path):
    """source -> target from a ferry table CSV ('#' comments, header line)."""
    table = {}
    for line in open(path, encoding="utf-8"):
        f = line.strip().split(",")
        if line.startswith("#") or not f[0].startswith("S-"):
            continue
        table[f[0]] = f[1]
    return table


def pick_sid(rng, table):
    r = rng.random()
    if r < 0.35:
        return rng.choice(list(table.keys()))
    if r < 0.55:
        return rng.choice(list(table.values()))
    if r < 0.65:
        return "S-1-5-21-1004336348-1177238915-682003330-%d" % rng.randrange(5000, 5010)
    return rng.choice(WELL_KNOWN)


def make_ace(rng, table):
    a = security.ace()
    is_object = rng.random() < 0.2
    a.type = rng.choice(OBJECT_TYPES if is_object else BASIC_TYPES)
    a.flags = rng.choice([0, 0x03, 0x13, 0x0B, 0x1B, 0x10, 0xC0, rng.randrange(256)])
    a.access_mask = rng.choice(MASKS + [rng.getrandbits(32)])
    if is_object:
        obj = a.object
        obj.flags = rng.randrange(4)
        if obj.flags & 1:
            obj.type = misc.GUID(rng.choice(GUIDS))
        if obj.flags & 2:
            obj.inherited_type = misc.GUID(rng.choice(GUIDS))
        a.object = obj
    a.trustee = security.dom_sid(pick_sid(rng, table))
    return a


def with_trustee(ace, sid):
    twin = ndr_unpack(security.ace, ndr_pack(ace))
    twin.trustee = security.dom_sid(sid)
    return twin


def make_acl(rng, table, n):
    aces = []
    for _ in range(n):
        r = rng.random()
        if aces and r < 0.1:
            aces.append(ndr_unpack(security.ace, ndr_pack(rng.choice(aces))))  # a duplicate
        elif aces and r < 0.2:
            src = rng.choice(aces)
            dst = table.get(str(src.trustee))
            aces.append(with_trustee(src, dst) if dst else make_ace(rng, table))  # a twin
        else:
            aces.append(make_ace(rng, table))
    return set_aces(security.acl(), aces, 2)


def set_aces(acl, aces, revision):
    acl.aces = aces
    acl.num_aces = len(aces)
    if any(a.type in OBJECT_TYPES for a in aces) and revision < 4:
        revision = 4
    acl.revision = revision
    return acl


def make_sd(rng, table):
    sd = security.descriptor()
    sd.revision = 1
    control = security.SEC_DESC_SELF_RELATIVE
    for bit in CONTROL_BITS:
        if rng.random() < 0.25:
            control |= bit
    sd.type = control
    if rng.random() < 0.9:
        sd.owner_sid = security.dom_sid(pick_sid(rng, table))
    if rng.random() < 0.85:
        sd.group_sid = security.dom_sid(pick_sid(rng, table))
    if rng.random() < 0.9:
        sd.dacl = make_acl(rng, table, rng.randrange(0, 13))
    if rng.random() < 0.4:
        sd.sacl = make_acl(rng, table, rng.randrange(0, 7))
    return ndr_pack(sd)


def expect(blob, table, mode):
    """The semantics of translate.h, applied to Samba's objects."""
    sd = ndr_unpack(security.descriptor, blob)
    altered = False
    if mode != "add":
        if sd.owner_sid is not None and str(sd.owner_sid) in table:
            sd.owner_sid = security.dom_sid(table[str(sd.owner_sid)])
            altered = True
        if sd.group_sid is not None and str(sd.group_sid) in table:
            sd.group_sid = security.dom_sid(table[str(sd.group_sid)])
            altered = True
    for name in ("sacl", "dacl"):
        acl = getattr(sd, name)
        if acl is None:
            continue
        present = {ndr_pack(a) for a in acl.aces}
        out = []
        for a in acl.aces:
            dst = table.get(str(a.trustee))
            if dst and mode == "remove":
                altered = True
                continue
            if dst and mode == "replace":
                out.append(with_trustee(a, dst))
                altered = True
            else:
                out.append(a)
            if dst and mode == "add":
                twin = with_trustee(a, dst)
                if ndr_pack(twin) not in present:
                    out.append(twin)
                    altered = True
        seen, kept = set(), []
        for a in out:
            key = ndr_pack(a)
            if key not in seen:
                seen.add(key)
                kept.append(a)
        setattr(sd, name, set_aces(acl, kept, acl.revision))
    if not altered:
        return False, blob
    return True, ndr_pack(sd)


def run_ferry(ferry, table_path, batch_path, mode):
    res = subprocess.run([ferry, "acl", "translate", "--table", table_path, "--mode", mode,
                          "--batch", batch_path], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("ferry %s failed (%d): %s" % (mode, res.returncode, res.stderr.strip()))
    return res.stdout.splitlines()


def compare(i, blob, line, want_changed, want, mode):
    changed, hexed = line.split(" ")
    got = bytes.fromhex(hexed)
    if int(changed) != int(want_changed):
        return "changed=%s, Samba says %s" % (changed, int(want_changed))
    if not want_changed:
        return None if got == blob else "unchanged SD not returned byte for byte"
    try:
        parsed = ndr_unpack(security.descriptor, got)
    except Exception as e:  # noqa: BLE001 - any decode failure is a disagreement
        return "Samba cannot parse ferry's output: %s" % e
    if ndr_pack(parsed) != want:
        return "descriptor differs from Samba's\n  ferry: %s\n  samba: %s" % (
            ndr_pack(parsed).hex(), want.hex())
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20240404)
    ap.add_argument("--table", help="a table CSV to use instead of the generated one")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    table = read_table(args.table) if args.table else make_table(rng)
    if not table:
        sys.exit("%s: no mappings" % args.table)
    blobs = [make_sd(rng, table) for _ in range(args.count)]
    with tempfile.TemporaryDirectory() as tmp:
        table_path = os.path.join(tmp, "table.csv")
        batch_path = os.path.join(tmp, "sds.hex")
        if args.table:
            table_path = args.table
        else:
            write_table(table_path, table)
        with open(batch_path, "w") as f:
            f.writelines(b.hex() + "\n" for b in blobs)
        for mode in ("replace", "add", "remove"):
            lines = run_ferry(args.ferry, table_path, batch_path, mode)
            if len(lines) != len(blobs):
                sys.exit("%s: ferry wrote %d lines for %d SDs" % (mode, len(lines), len(blobs)))
            changed = 0
            for i, (blob, line) in enumerate(zip(blobs, lines)):
                want_changed, want = expect(blob, table, mode)
                err = compare(i, blob, line, want_changed, want, mode)
                if err:
                    print("FAIL seed %d mode %s SD %d: %s\n  input: %s" % (
                        args.seed, mode, i, err, blob.hex()))
                    return 1
                changed += want_changed
            print("%-7s %d SDs agree with Samba (%d changed), seed %d" % (
                mode, len(blobs), changed, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
