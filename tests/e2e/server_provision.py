#!/usr/bin/env python3
"""Scenario `server_provision`: ferry-server's provisioning queue against a
live Samba AD DC (tests/e2e/samba_dc.sh).

An OU and a delegated account with a keytab are made with samba-tool; the
grants are exactly what `ferry-admin odj delegation` prints. ferry-server
runs with `[provision] enabled = true`. Then:
  - three enrolled devices of a wave whose runbook names the OU: the first
    /odj answers 409 (queued); the blob follows, validated by the agent,
    the account in the OU (ldbsearch), the same sealed bytes on a retry;
  - a device whose credentials are cached is provisioned by the scheduler
    ahead of any request;
  - a name already taken by an account the delegated account does not own
    is refused with the reason (policy fail), never reset;
  - a server restart serves the stored blob again, with no DC work;
  - the join report deletes the stored blob.

    server_provision.py FERRY_BINARY
Exit 77 with a SKIP line when Samba, kinit, ldbsearch or namespaces are missing.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import ServerFixture, HERE, check, verdict  # noqa: E402

OU = "OU=Ferry,DC=target,DC=test"


def main():
    ferry = sys.argv[1]
    for tool in ("kinit", "ldbsearch", "samba-tool"):
        if not shutil.which(tool):
            print("SKIP: %s is not installed (scripts/bootstrap)" % tool)
            return 77
    with tempfile.TemporaryDirectory(prefix="ferry-srvprov-") as work:
        dcwork = os.path.join(work, "dc" + os.path.basename(work)[-10:])  # a unique netns name
        os.makedirs(dcwork)
        r = subprocess.run([os.path.join(HERE, "samba_dc.sh"), "start", dcwork],
                           capture_output=True, text=True, timeout=600)
        print(r.stdout.strip())
        if r.returncode == 77:
            return 77
        if r.returncode != 0:
            print(r.stderr[-2000:])
            return 1
        try:
            scenario(ferry, work, open(os.path.join(dcwork, "dc.env")).read().strip())
        finally:
            subprocess.run([os.path.join(HERE, "samba_dc.sh"), "stop", dcwork], timeout=60)
    return verdict("server_provision")


def scenario(ferry, work, dc_env):
    ns, smbconf, adminpass = dc_env.split(":", 2)

    def R(*argv, **kw):
        return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                              timeout=120, **kw)

    def computers():
        r = R("ldbsearch", "-H", os.path.join(os.path.dirname(smbconf), "..", "private", "sam.ldb"),
              "-b", OU, "(objectClass=computer)", "sAMAccountName")
        return sorted(l.split(": ", 1)[1] for l in r.stdout.splitlines()
                      if l.startswith("sAMAccountName: "))

    fx = ServerFixture(ferry, work, target_domain="target.test")
    keytab = os.path.join(fx.srv, "keys", "odj.keytab")
    R("samba-tool", "ou", "create", OU, "-s", smbconf)
    R("samba-tool", "user", "create", "ferry-odj", "--random-password", "-s", smbconf)
    R("samba-tool", "domain", "exportkeytab", keytab, "--principal=ferry-odj", "-s", smbconf)
    os.chmod(keytab, 0o600)
    sid = [l.split(": ", 1)[1] for l in R("samba-tool", "user", "show", "ferry-odj", "-s", smbconf,
                                          "--attributes=objectSid").stdout.splitlines()
           if l.startswith("objectSid: ")][0]
    grants = subprocess.run([fx.admin_bin, "odj", "delegation", "--ou", OU, "--account",
                             "TARGET\\ferry-odj", "--sid", sid, "--dc", "dc1.target.test"],
                            capture_output=True, text=True, timeout=30).stdout
    applied = 0
    for line in grants.splitlines():
        if line.startswith("samba-tool "):
            r = subprocess.run("ip netns exec %s %s -U 'Administrator%%%s'" % (ns, line, adminpass),
                               shell=True, capture_output=True, text=True, timeout=120)
            applied += r.returncode == 0
    check(applied == 5, "the 5 samba-tool grants ferry-admin odj delegation printed are applied")
    # A computer the delegated account does not own, in the way of one name.
    R("samba-tool", "computer", "create", "TAKEN-PC", "--computerou=OU=Ferry", "-s", smbconf)

    conf = os.path.join(fx.srv, "ferry-server.conf")
    open(conf, "a").write("\n[provision]\nenabled = true\ndomain = target.test\n"
                          "netbios_domain = TARGET\ndc = dc1.target.test\nkeytab = keys/odj.keytab\n"
                          "account = ferry-odj\nexec_prefix = ip netns exec %s\nmax_per_dc = 2\n"
                          "workers = 2\npolicy = fail\nlead_h = 48\n" % ns)
    payload = fx.payload(1)
    for rb in payload["runbooks"]:
        dj = rb.get("device_state", {}).get("domain_join")
        if dj and "domain" in dj:
            dj["computer_ou"] = OU
    devices = ["PROV-PC-1", "PROV-PC-2", "TAKEN-PC"]
    fx.start(fx.sign("prov", payload), wave="w1", devices=devices)
    try:
        run(fx, work, devices, computers)
    finally:
        fx.stop()


def run(fx, work, devices, computers):
    states = {}
    for d in devices:
        st = os.path.join(work, "agent-" + d)
        os.makedirs(st)
        r = fx.agent(st, "enroll", "--server", fx.url, "--machine", d, "--domain", "SOURCE")
        check(r.returncode == 0, "%s enrolled" % d)
        fx.agent(st, "poll")
        states[d] = st
    # PROV-PC-2: credentials cached -> the scheduler queues it without a request.
    fx.agent(states["PROV-PC-2"], "status", "--seq", "1", "--phase", "credentials_cached")
    r = fx.agent(states["PROV-PC-1"], "fetch-odj", "--out", os.path.join(work, "b1.odj"))
    check(r.returncode == 3 and "409" in r.stderr, "first /odj for PROV-PC-1: 409, queued (%s)"
          % r.stderr.strip())
    fx.agent(states["TAKEN-PC"], "fetch-odj", "--out", os.path.join(work, "bt.odj"))
    deadline = time.time() + 400
    got = {}
    while time.time() < deadline and len(got) < 1:
        time.sleep(2)
        r = fx.agent(states["PROV-PC-1"], "fetch-odj", "--out", os.path.join(work, "b1.odj"))
        if r.returncode == 0:
            got["PROV-PC-1"] = open(os.path.join(work, "b1.odj"), "rb").read()
    check("PROV-PC-1" in got, "PROV-PC-1's blob provisioned, opened and validated by its agent")
    while time.time() < deadline and not fx.db("SELECT count(*) FROM prov_blobs WHERE key LIKE "
                                                "'%PROV-PC-2'")[0][0]:
        time.sleep(2)
    check(fx.db("SELECT count(*) FROM prov_blobs WHERE key LIKE '%PROV-PC-2'")[0][0] == 1,
          "PROV-PC-2 provisioned ahead of its request (credentials cached, window within 48 h)")
    accounts = computers()
    check("PROV-PC-1$" in accounts and "PROV-PC-2$" in accounts,
          "the accounts are in %s (ldbsearch: %s)" % (OU, accounts))
    log = open(os.path.join(work, "server.log")).read()
    r = fx.agent(states["TAKEN-PC"], "fetch-odj", "--out", os.path.join(work, "bt.odj"))
    check(r.returncode != 0 and not os.path.exists(os.path.join(work, "bt.odj")) and
          "TAKEN-PC" in log and "provision TAKEN-PC: " in log and "blob ready" not in
          [l for l in log.splitlines() if "TAKEN-PC" in l][-1],
          "TAKEN-PC (owned by someone else) refused, never reset (%s)" %
          [l for l in log.splitlines() if "provision TAKEN-PC" in l][-1:])
    sealed = fx.db("SELECT sealed FROM prov_blobs WHERE key LIKE '%PROV-PC-1'")[0][0]
    check(b"PROV-PC-1" not in sealed and "PROV-PC-1".encode("utf-16-le") not in sealed,
          "the stored blob is sealed at rest")
    # Restart: the stored blob again, same bytes, no DC work.
    fx.stop()
    fx.proc = None
    os.remove(os.path.join(fx.srv, "run.port"))
    fx.start(None, wave="w1-again")
    b1 = os.path.join(work, "b1-again.odj")
    # (the restarted server listens on another port: --server says where)
    r = fx.agent(states["PROV-PC-1"], "fetch-odj", "--out", b1, "--server", fx.url)
    check(r.returncode == 0 and open(b1, "rb").read() == got.get("PROV-PC-1"),
          "after a restart the same blob, byte-identical (%s)" % r.stderr.strip())
    r = fx.agent(states["PROV-PC-1"], "status", "--seq", "1", "--phase", "joined", "--server",
                 fx.url)
    check(r.returncode == 0, "the join reported (%s)" % r.stderr.strip())
    check(fx.db("SELECT count(*) FROM prov_blobs WHERE key LIKE '%PROV-PC-1'")[0][0] == 0 and
          all(row[1] != "PROV-PC-1" for row in fx.rows("odj")),
          "the join report deletes the stored blob")


if __name__ == "__main__":
    sys.exit(main())
