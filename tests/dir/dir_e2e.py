#!/usr/bin/env python3
"""`ferry dir snapshot` and `ferry table build` against two live Samba AD DCs.

    dir_e2e.py FERRY [--users N] [--groups G] [--seed S] [--keep] [--update-golden]

Starts source.test and target.test (tests/e2e/samba_dc.sh, each in its own
network namespace with only lo, names derived from a fresh temp dir), loads
each through LDAP (ldapadd over LDAPS) with gen_directory.py's seeded data and
traps, writes the SID-history trap with Samba's own database API (Samba
drops sIDHistory written over LDAP without an error; see docs/directory.md),
then:

  1. snapshots both with a small page size (paging) and range size (ranged
     `member` retrieval of the 2,000-member all-staff group);
  2. builds the table with the default rules; checks it with
     `ferry acl check-table` and `ferry table verify`;
  3. compares the table and report, names only (SIDs differ per provision),
     with the golden files in tests/dir/golden/;
  4. feeds the table to tests/sec/samba_crosscheck.py (SD translation with
     Samba's descriptor objects);
  5. changes one user, snapshots again (over ldap:// with StartTLS) and
     checks `ferry dir diff` finds exactly that change by uSNChanged;
  6. with --bench, times a snapshot beside ldapsearch dumping the same
     entries, and the table build (rows/s).

Exit 0 on success, 1 on the first failure, 77 (SKIP) without Samba/netns.
Timings of every phase are printed.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMBA_DC = os.path.join(ROOT, "tests", "e2e", "samba_dc.sh")
CROSSCHECK = os.path.join(ROOT, "tests", "sec", "samba_crosscheck.py")
GOLDEN = os.path.join(HERE, "golden")
PASSWORD = "Ferry-E2E-Admin-1"

SID_HISTORY = r'''
import sys, ldb
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
from samba.ndr import ndr_pack
from samba.dcerpc import security
conf, dn, sid = sys.argv[1:4]
lp = LoadParm(); lp.load(conf)
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
m = ldb.Message(); m.dn = ldb.Dn(db, dn)
m["sIDHistory"] = ldb.MessageElement(ndr_pack(security.dom_sid(sid)), ldb.FLAG_MOD_ADD, "sIDHistory")
db.modify(m, controls=["relax:0"])
'''


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class DC:
    def __init__(self, work, realm):
        self.work, self.realm = os.path.join(work, realm.split(".")[0]), realm
        self.base = ",".join("DC=" + p for p in realm.split("."))
        self.ns = None

    def start(self):
        r = subprocess.run([SAMBA_DC, "start", self.work, self.realm, "ldap-only"],
                           capture_output=True, text=True)
        return r

    def stop(self):
        subprocess.run([SAMBA_DC, "stop", self.work], capture_output=True)

    def env(self):
        self.ns, self.conf, _ = open(os.path.join(self.work, "dc.env")).read().strip().split(":")
        self.ca = os.path.join(self.work, "dc", "private", "tls", "ca.pem")
        self.url = "ldaps://dc1." + self.realm

    def run(self, argv, **kw):
        e = dict(os.environ, LDAPTLS_CACERT=self.ca)
        return subprocess.run(["ip", "netns", "exec", self.ns] + argv, env=e, capture_output=True,
                              text=True, **kw)

    def ldap(self, tool, ldif, pw_raw):
        return self.run([tool, "-H", self.url, "-D", "Administrator@" + self.realm, "-y",
                         pw_raw, "-c" if tool == "ldapadd" else "-v"], input=ldif)


def snapshot(ferry, dc, pwfile, out, page, rng, url=None):
    r = dc.run([ferry, "dir", "snapshot", "--ldap", url or dc.url, "--base", dc.base, "--bind",
                "Administrator@" + dc.realm, "--password-file", pwfile, "--ca-file", dc.ca,
                "--page-size", str(page), "--out", out] + (["--range-size", str(rng)] if rng else []))
    if r.returncode != 0:
        fail("snapshot of %s: %s" % (dc.realm, r.stderr.strip()))
    if PASSWORD in r.stdout + r.stderr:
        fail("the bind password appeared in ferry's output")
    return r.stdout.strip()


def objects(snap):
    """name -> (kind, sid, dn, member count) from a snapshot file (tab-separated)."""
    out = {}
    for line in open(snap, encoding="utf-8").read().splitlines()[2:-1]:
        f = line.split("\t")
        out[f[4]] = (f[0], f[2], f[1], len(f[13].split("|")) if f[13] else 0)
    return out


ATTRS = ["objectClass", "objectSid", "objectGUID", "sAMAccountName", "userPrincipalName", "mail",
         "employeeID", "sIDHistory", "userAccountControl", "accountExpires", "memberOf",
         "whenChanged", "uSNChanged", "dNSHostName", "operatingSystem", "lastLogonTimestamp",
         "member"]


def bench(ferry, dc, pw, work, snap_src, snap_dst):
    """Snapshot time beside ldapsearch dumping the same entries, and build rows/s."""
    out = os.path.join(work, "bench.snap")
    t0 = time.time()
    snapshot(ferry, dc, pw, out, 1000, 0)
    t_ferry = time.time() - t0
    pw_raw = os.path.join(work, "pw.raw")
    t0 = time.time()
    r = dc.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-H", dc.url, "-D",
                "Administrator@" + dc.realm, "-y", pw_raw,
                "-b", dc.base, "-E", "pr=1000/noprompt", "(|(objectClass=user)(objectClass=group))"]
               + ATTRS)
    t_base = time.time() - t0
    if r.returncode:
        fail("ldapsearch baseline: " + r.stderr.strip()[-300:])
    n = r.stdout.count("\ndn: ") + r.stdout.startswith("dn: ")
    times, cpu = [], []
    for _ in range(3):
        c0 = os.times()
        t0 = time.time()
        r = subprocess.run([ferry, "table", "build", "--source", snap_src, "--target", snap_dst,
                            "--out", os.path.join(work, "b.csv"), "--report",
                            os.path.join(work, "b.r.csv")], capture_output=True, text=True)
        times.append(time.time() - t0)
        c1 = os.times()
        cpu.append(c1.children_user - c0.children_user + c1.children_system - c0.children_system)
        if r.returncode:
            fail("bench table build: " + r.stderr.strip())
    rows = sum(1 for l in open(os.path.join(work, "b.csv")) if l.startswith("S-"))
    best = min(times)
    print("bench: snapshot of %s, %d entries: ferry %.2f s (%.0f entries/s), baseline ldapsearch "
          "-E pr=1000 %.2f s (%.0f entries/s), ratio %.2f" %
          (dc.realm, n, t_ferry, n / t_ferry, t_base, n / t_base, t_ferry / t_base))
    print("bench: table build, best of 3: %.3f s wall, %.3f s CPU, for %d rows (%.0f rows/s wall, "
          "%.0f rows/s CPU); %d source objects; ferry is the build under test (ASan+UBSan in "
          "build/native)" % (best, min(cpu), rows, rows / best, rows / max(min(cpu), 1e-6),
                             len(objects(snap_src))))


def names_only(table, report):
    rows = [r for r in csv.reader(l for l in open(table) if not l.startswith("#"))][1:]
    t = sorted("%s,%s" % (r[2], r[3]) for r in rows)
    rep = list(csv.DictReader(open(report)))
    p = sorted("%s,%s,%s,%s" % (r["reason"], r["source_name"], r["target_name"], r["rule"])
               for r in rep)
    return t, p, rep


def compare_golden(name, lines, update):
    path = os.path.join(GOLDEN, name)
    text = "\n".join(lines) + "\n"
    if update:
        os.makedirs(GOLDEN, exist_ok=True)
        open(path, "w").write(text)
        return
    want = open(path).read()
    if want != text:
        got = set(lines)
        exp = set(want.splitlines())
        fail("%s differs from golden: missing %s; unexpected %s" %
             (name, sorted(exp - got)[:10], sorted(got - exp)[:10]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ferry")
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--groups", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--update-golden", action="store_true")
    ap.add_argument("--bench", action="store_true",
                    help="also time snapshot (beside ldapsearch) and table build")
    a = ap.parse_args()
    ferry = os.path.abspath(a.ferry)
    for tool in ("ldapadd", "samba-tool"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (scripts/bootstrap)" % tool)
            return 77
    work = tempfile.mkdtemp(prefix="ferry-dir-")
    src, dst = DC(work, "source.test"), DC(work, "target.test")
    t = {}
    try:
        t0 = time.time()
        with ThreadPoolExecutor(2) as ex:
            rs = list(ex.map(lambda d: d.start(), (src, dst)))
        for r in rs:
            if r.returncode == 77:
                print(r.stdout.strip())
                return 77
            if r.returncode:
                fail("samba_dc.sh: " + (r.stdout + r.stderr).strip()[-400:])
        src.env(), dst.env()
        t["start DCs"] = time.time() - t0

        # Passwords in 0600 files, never on a command line: ferry's has a trailing
        # newline (ferry drops it), the ldap-utils' one none (-y keeps it).
        pw, pw_raw = os.path.join(work, "pw"), os.path.join(work, "pw.raw")
        for path, text in ((pw, PASSWORD + "\n"), (pw_raw, PASSWORD)):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(text)
        t0 = time.time()
        gen = os.path.join(HERE, "gen_directory.py")

        def load(dc, side):
            ldif = subprocess.run([sys.executable, gen, "--side", side, "--users", str(a.users),
                                   "--groups", str(a.groups), "--seed", str(a.seed)],
                                  capture_output=True, text=True, check=True).stdout
            return dc.ldap("ldapadd", ldif, pw_raw)
        with ThreadPoolExecutor(2) as ex:
            rs = list(ex.map(lambda p: load(*p), ((src, "source"), (dst, "target"))))
        for r in rs:
            if r.returncode:
                fail("ldapadd: " + r.stderr.strip()[-400:])
        t["load %d users + %d groups per side (ldapadd)" % (a.users + 10, a.groups + 1)] = time.time() - t0

        t0 = time.time()
        s1 = os.path.join(work, "source.snap")
        print(snapshot(ferry, src, pw, s1, 100, 500))
        so = objects(s1)
        r = dst.run(["/usr/bin/python3", "-c", SID_HISTORY, dst.conf,
                     "CN=sidh.renamed,OU=Staff," + dst.base, so["sidh.user"][1]])
        if r.returncode:
            fail("writing sIDHistory with Samba's samdb: " + r.stderr.strip()[-300:])
        d1 = os.path.join(work, "target.snap")
        print(snapshot(ferry, dst, pw, d1, 100, 500))
        t["snapshot both (page 100, range 500)"] = time.time() - t0
        do = objects(d1)
        if so["all-staff"][3] != a.users:
            fail("all-staff has %d members in the snapshot, %d in the directory (ranged retrieval)"
                 % (so["all-staff"][3], a.users))
        if do["sidh.renamed"][0] != "user":
            fail("sidh.renamed missing from the target snapshot")

        t0 = time.time()
        table, report = os.path.join(work, "table.csv"), os.path.join(work, "report.csv")
        r = subprocess.run([ferry, "table", "build", "--source", s1, "--target", d1, "--out", table,
                            "--report", report], capture_output=True, text=True)
        if r.returncode:
            fail("table build: " + r.stderr.strip())
        print(r.stdout.strip())
        t["table build"] = time.time() - t0
        for argv in (["acl", "check-table", table], ["table", "verify", table]):
            r = subprocess.run([ferry] + argv, capture_output=True, text=True)
            if r.returncode:
                fail("ferry %s: %s" % (" ".join(argv[:2]), r.stderr.strip()))
        tl, rl, rep = names_only(table, report)
        if (a.users, a.groups, a.seed) == (2000, 200, 19):
            compare_golden("table.names", tl, a.update_golden)
            compare_golden("report.names", rl, a.update_golden)
            print("golden: %d table rows, %d report rows agree" % (len(tl), len(rl)))
        else:
            print("golden: not compared (it is for --users 2000 --groups 200 --seed 19)")
        for trap, reason in (("SOURCE\\mailbox.src", "ambiguous_1_to_n"),
                             ("SOURCE\\legacy-app-users", "unmatched"),
                             ("SOURCE\\leaver", "target_disabled"),
                             ("SOURCE\\john.smith", "ambiguous_n_to_1")):
            if not any(r["source_name"] == trap and r["reason"] == reason for r in rep):
                fail("report lacks %s for %s" % (reason, trap))
        for pair in ("SOURCE\\sidh.user,TARGET\\sidh.renamed", "SOURCE\\mkline,TARGET\\mkline-smith"):
            if pair not in tl:
                fail("table lacks %s" % pair)
        # The admin's decisions: overrides settle two findings, a rules file replaces the chain.
        ov = os.path.join(work, "overrides.csv")
        open(ov, "w").write("source,target,comment\nSOURCE\\mailbox.src,dup.a,shared box\n"
                            "ghost,-,left in 2019\n")
        t2, r2 = os.path.join(work, "table2.csv"), os.path.join(work, "report2.csv")
        r = subprocess.run([ferry, "table", "build", "--source", s1, "--target", d1, "--rules",
                            os.path.join(ROOT, "tests", "data", "dir_rules", "default.json"),
                            "--overrides", ov, "--out", t2, "--report", r2],
                           capture_output=True, text=True)
        if r.returncode:
            fail("table build with rules and overrides: " + r.stderr.strip())
        tl2, rl2, _ = names_only(t2, r2)
        if "SOURCE\\mailbox.src,TARGET\\dup.a" not in tl2 or \
                "excluded,SOURCE\\ghost,,override" not in rl2 or \
                any(l.startswith("ambiguous_1_to_n,SOURCE\\mailbox.src") for l in rl2):
            fail("overrides not applied: %s" % rl2)
        print("overrides: %d pairs, %d findings" % (len(tl2), len(rl2)))
        if a.bench:
            bench(ferry, src, pw, work, s1, d1)

        t0 = time.time()
        r = subprocess.run([sys.executable, CROSSCHECK, "--ferry", ferry, "--table", table,
                            "--count", "2000", "--seed", str(a.seed)], capture_output=True, text=True)
        if r.returncode:
            fail("samba_crosscheck with the built table: " + (r.stdout + r.stderr).strip()[-600:])
        print(r.stdout.strip().splitlines()[-1])
        t["samba_crosscheck (2,000 SDs per mode)"] = time.time() - t0

        t0 = time.time()
        r = src.ldap("ldapmodify", "dn: CN=u00007,OU=Staff,%s\nchangetype: modify\nreplace: mail\n"
                     "mail: moved@example.com\n" % src.base, pw_raw)
        if r.returncode:
            fail("ldapmodify: " + r.stderr.strip())
        s2 = os.path.join(work, "source2.snap")
        # This one over ldap:// with StartTLS (the others are ldaps://).
        snapshot(ferry, src, pw, s2, 1000, 0, "ldap://dc1." + src.realm)
        r = subprocess.run([ferry, "dir", "diff", s1, s2], capture_output=True, text=True)
        if r.returncode or not r.stdout.startswith(
                "delta (by uSNChanged, same DC): 0 added, 0 removed, 1 changed") \
                or "changed\tuser\tCN=u00007,OU=Staff," not in r.stdout:
            fail("dir diff: %s %s" % (r.stdout[:300], r.stderr))
        print(r.stdout.strip().splitlines()[0])
        t["re-snapshot + diff"] = time.time() - t0
    finally:
        for d in (src, dst):
            d.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept " + work)
        for k, v in t.items():
            print("time: %-50s %6.1f s" % (k, v))
    print("PASS: dir snapshot and table build against source.test and target.test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
