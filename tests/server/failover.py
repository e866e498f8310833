#!/usr/bin/env python3
"""Two ferry-server nodes on one PostgreSQL (tests/server/pg_cluster.py), on
loopback, behind the test's own round-robin client; simulated agents enrol,
then poll, send events and status reports; node A is killed (SIGKILL) mid-
run and every request it was serving is retried on node B (same event ids,
same status sequence numbers: agent requests are idempotent). Then:

  - every event sent is stored exactly once, and the servers' "accepted"
    counts add up to the events sent (nothing counted twice);
  - every status report sent is in the status history exactly once, and each
    device's status is its last report;
  - the background jobs' locks: exactly one node holds "provision" and
    "retention" before the kill, and node B holds both after it;
  - the provisioning queue (both nodes with [provision] enabled, a fake DC
    whose `net offlinejoin provision` records every computer account it
    makes and refuses to make one twice) finishes: every device gets its
    blob, each account was made exactly once (a job the killed node had
    claimed is re-run by node B as a reuse of the account it made);
  - `ferry-server migrate` on the shared database is a no-op at the current
    version, and a node refuses a database whose schema is newer.

    failover.py BIN_DIR [--agents N] [--seconds S]
"""
import base64
import http.client
import json
import re
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_cluster import Cluster  # noqa: E402

failures = []
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVICE_SID = "S-1-5-21-1-2-3-1104"
OU = "OU=Ferry,DC=ferry,DC=test"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Node:
    def __init__(self, binary, d, log, path=None):
        self.dir = d
        self.log = open(log, "w")
        port_file = os.path.join(d, "run.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        env = dict(os.environ, PATH=path + ":" + os.environ.get("PATH", "/usr/bin:/bin")) \
            if path else None
        self.proc = subprocess.Popen([binary, "run", d, "--listen", "127.0.0.1:0"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("ferry-server exited: " + open(log).read()[-2000:])
            time.sleep(0.1)
        self.port = int(open(port_file).read().strip())
        self.ctx = ssl.create_default_context(cafile=os.path.join(d, "tls", "cert.pem"))
        self.ctx.check_hostname = False

    def request(self, method, path, body=None, token=None, raw=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=10)
        try:
            h = {"Content-Type": "application/json"}
            if token:
                h["Authorization"] = "Bearer " + token
            c.request(method, path, body=raw if raw is not None else
                      json.dumps(body) if body is not None else None, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()


class Agents:
    """The round-robin client: each request goes to the next node; a refused
    connection or a 5xx is retried, unchanged, on the next one."""

    def __init__(self, nodes):
        self.nodes, self.turn, self.lock = nodes, 0, threading.Lock()
        self.retried = 0

    def call(self, method, path, body=None, token=None):
        last = None
        for attempt in range(40):
            with self.lock:
                node = self.nodes[self.turn % len(self.nodes)]
                self.turn += 1
            try:
                st, data = node.request(method, path, body, token)
                if st < 500:
                    return st, data
            except (OSError, http.client.HTTPException) as e:
                last = e
            with self.lock:
                self.retried += 1
            time.sleep(0.05)
        raise RuntimeError("%s %s: no node answered (last: %s)" % (method, path, last))


def fake_dc(root, ferry, names):
    """kinit, ldbsearch and net on a PATH of their own (as tests/server/test_prov.c
    fakes them), with a real composed ODJ blob for each name. Returns (PATH dir,
    DC dir, the blobs' DNS domain)."""
    fake, dc = os.path.join(root, "fakebin"), os.path.join(root, "dc")
    for d in (fake, dc, os.path.join(dc, "accounts"), os.path.join(dc, "blobs")):
        os.makedirs(d)
    view = json.loads(subprocess.run([ferry, "odj", "inspect", os.path.join(
        ROOT, "tests", "data", "odj", "samba-ferrypc01.odj"), "--json"], capture_output=True,
        text=True, check=True).stdout)
    dom = view["domain"]
    for i, n in enumerate(names):
        spec = {k: view[k] for k in ("domain", "dc", "options")}
        spec["machine"] = {"name": n, "password": base64.b64encode(os.urandom(30)).decode(),
                           "rid": 3000 + i, "sid": "%s-%d" % (dom["sid"], 3000 + i)}
        spec["provider2"] = {"flags": 1, "netbios_name": n, "site": "Default-First-Site-Name",
                             "primary_dns_domain": dom["dns_name"]}
        sp = os.path.join(dc, "spec.json")
        json.dump(spec, open(sp, "w"))
        subprocess.run([ferry, "odj", "compose", "--spec", sp, "--out",
                        os.path.join(dc, "blobs", n + ".odj")], check=True, capture_output=True)
        os.unlink(sp)
    scripts = {
        "kinit": '#!/bin/sh\necho ticket > "${KRB5CCNAME#FILE:}"\n',
        "ldbsearch": ("#!/bin/sh\nD=%s\nfor a; do case \"$a\" in\n"
                      "'(sAMAccountName=ferry-odj)') printf 'dn: CN=ferry-odj,CN=Users\\n"
                      "objectSid: %s\\n';;\n"
                      "'(sAMAccountName='*'$)') n=${a#(sAMAccountName=}; n=${n%%$)};"
                      " [ -f \"$D/accounts/$n\" ] && cat \"$D/accounts/$n\";;\n"
                      "esac; done\nexit 0\n") % (dc, SERVICE_SID),
        # one account per name, ever: a second creation without reuse is refused;
        # the account exists a while before the blob is written (a node killed
        # then leaves an account and its intent: the survivor must reuse it)
        "net": ("#!/bin/sh\nD=%s\nreuse=\nfor a; do case \"$a\" in\n"
                "machine_name=*) n=${a#machine_name=};; savefile=*) out=${a#savefile=};;\n"
                "reuse) reuse=reuse;; esac; done\n"
                "if [ -z \"$reuse\" ] && [ -f $D/accounts/$n ]; then echo \"$n dup\" >> $D/netlog;"
                " echo 'account exists'; exit 255; fi\n"
                "printf 'dn: CN=%%s,%s\\nnTSecurityDescriptor: O:%sG:DU\\n' $n > $D/accounts/$n\n"
                "echo \"$n $reuse\" >> $D/netlog\nsleep 1.5\ncp $D/blobs/$n.odj \"$out\"\n")
        % (dc, OU, SERVICE_SID),
    }
    for name, text in scripts.items():
        with open(os.path.join(fake, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(fake, name), 0o755)
    return fake, dc, dom


def provision_conf(d, dc, dom):
    keytab = os.path.join(dc, "keytab")
    open(keytab, "w").write("not a real keytab\n")
    os.chmod(keytab, 0o600)
    with open(os.path.join(d, "ferry-server.conf"), "a") as f:
        f.write("\n[provision]\nenabled = true\ndomain = %s\nnetbios_domain = %s\n"
                "dc = dc1.%s\nkeytab = %s\naccount = ferry-odj\nworkers = 2\n"
                "max_per_dc = 2\npolicy = fail\n" % (dom["dns_name"], dom["netbios_name"],
                                                     dom["dns_name"], keytab))


def signed_bundle(ferry, d, dom, work):
    """The wave's bundle: the sample runbooks joining the blobs' domain into OU."""
    samples = os.path.join(ROOT, "resources", "samples")
    batch = json.load(open(os.path.join(samples, "batch-01.json")))
    batch.pop("devices_csv", None)
    rbs = [json.load(open(os.path.join(samples, n))) for n in
           ("cache-credentials.json", "migration.json")]
    for rb in rbs:
        dj = rb.get("device_state", {}).get("domain_join")
        if dj and "domain" in dj:
            dj["domain"], dj["computer_ou"] = dom["dns_name"], OU
    payload = {"sequence": 1, "issued": "2025-03-01T00:00:00Z",
               "not_after": "2099-01-01T00:00:00Z", "agent": "*",
               "poll_interval_s": 900,
               "escrow_public_key": open(os.path.join(d, "keys", "escrow.pub")).read().strip(),
               "batch": batch, "runbooks": rbs, "packages": []}
    src, out = os.path.join(work, "payload.json"), os.path.join(work, "bundle.json")
    json.dump(payload, open(src, "w"))
    subprocess.run([ferry, "bundle", "sign", "--key", os.path.join(d, "offline", "signing.key"),
                    src, "--out", out], check=True, capture_output=True)
    return open(out, "rb").read()


def locks(pg):
    """[job lock key, the holding server's pid] for each job lock held."""
    rows = pg.query("ferry", "SELECT l.objid, a.application_name FROM pg_locks l JOIN"
                    " pg_stat_activity a ON a.pid=l.pid WHERE l.locktype='advisory'"
                    " AND l.classid=1179800153 AND l.granted")
    return [(k, int(app.rsplit(":", 1)[1])) for k, app in rows]


def main():
    bindir = sys.argv[1]
    n_agents = int(sys.argv[sys.argv.index("--agents") + 1]) if "--agents" in sys.argv else 24
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 9
    server = os.path.join(bindir, "ferry-server")
    with Cluster() as pg:
        url = pg.createdb("ferry")
        a_dir, b_dir = os.path.join(pg.root, "nodeA"), os.path.join(pg.root, "nodeB")
        r = subprocess.run([server, "init", a_dir, "--name", "127.0.0.1", "--listen",
                            "127.0.0.1:0", "--db", url], capture_output=True, text=True)
        check(r.returncode == 0, "init --db makes the schema in PostgreSQL (%s)" % r.stderr.strip())
        check(not os.path.exists(os.path.join(a_dir, "ferry.db")), "no SQLite file beside it")
        r = subprocess.run([server, "init", a_dir + "2", "--db", url], capture_output=True,
                           text=True)
        check(r.returncode == 1 and "holds a ferry-server database already" in r.stderr,
              "a second init on the same database is refused")
        r = subprocess.run([server, "init", a_dir + "3", "--db",
                            url + " password=hunter2"], capture_output=True, text=True)
        check(r.returncode == 1 and "holds a password" in r.stderr and "hunter2" not in r.stderr
              and not os.path.exists(a_dir + "3"), "a password in the url: refused, not echoed")
        r = subprocess.run([server, "migrate", a_dir], capture_output=True, text=True)
        check(r.returncode == 0 and re.search(r"schema version [0-9]+", r.stdout) is not None, "migrate: up to date")
        names = ["FO%04d" % i for i in range(n_agents)]
        ferry = os.path.join(bindir, "ferry")
        fake, dc, dom = fake_dc(pg.root, ferry, names)
        provision_conf(a_dir, dc, dom)
        shutil.copytree(a_dir, b_dir)  # the second node: the same keys and configuration
        na = Node(server, a_dir, os.path.join(pg.root, "a.log"), fake)
        nb = Node(server, b_dir, os.path.join(pg.root, "b.log"), fake)
        deadline = time.time() + 8  # a few job ticks
        while time.time() < deadline and len(locks(pg)) < 2:
            time.sleep(0.2)
        held = locks(pg)
        check(len(held) == 2 and len({pid for _, pid in held}) == 1,
              "before the kill: one node holds both job locks (%s)" % held)
        if held and held[0][1] == nb.proc.pid:
            na, nb = nb, na  # the node to kill is the one running the jobs
        admin = open(os.path.join(a_dir, "admin.token")).read().strip()
        st, _ = na.request("POST", "/v1/admin/waves", {"name": "w1"}, admin)
        st2, _ = nb.request("POST", "/v1/admin/waves/w1/devices", {"names": names}, admin)
        st3, body = na.request("PUT", "/v1/admin/waves/w1/bundle", None, admin,
                               raw=signed_bundle(ferry, a_dir, dom, pg.root))
        check(st in (200, 201) and st2 in (200, 201) and st3 in (200, 201),
              "wave, devices and bundle through both nodes (%s)" % body[:200])
        enroll_key = open(os.path.join(a_dir, "keys", "enroll.key")).read().strip()
        client = Agents([na, nb])
        agents = []
        for n in names:
            st, data = client.call("POST", "/v1/agents/enroll", {
                "machine": n, "domain": "SOURCE", "os": "test", "enroll_key": enroll_key,
                "public_key": base64.b64encode(os.urandom(32)).decode()})
            j = json.loads(data)
            agents.append((n, j.get("agent_id") or j.get("id"), j.get("token")))
        check(all(a[1] and a[2] for a in agents), "%d agents enrolled" % len(agents))

        sent_events, sent_status, accepted, blobs = {}, {}, [0], {}
        count_lock = threading.Lock()
        stop = time.time() + seconds

        def agent_loop(name, aid, token):
            seq, k = 0, 0
            while time.time() < stop:
                k += 1
                eid = "%08x%08x" % (abs(hash(name)) & 0xffffffff, k)
                st, data = client.call("POST", "/v1/agents/%s/events" % aid,
                                       {"events": [{"id": eid, "kind": "step", "time": k}]},
                                       token)
                if st == 200:
                    with count_lock:
                        sent_events[(aid, eid)] = True
                        accepted[0] += json.loads(data)["accepted"]
                seq += 1
                st, _ = client.call("POST", "/v1/agents/%s/status" % aid,
                                    {"seq": seq, "phase": "idle"}, token)
                if st == 200:
                    with count_lock:
                        sent_status[(name, seq)] = True
                client.call("GET", "/v1/agents/%s/assignment" % aid, None, token)
                if name not in blobs:
                    st, data = client.call("POST", "/v1/agents/%s/odj" % aid, {}, token)
                    if st == 200:
                        blobs[name] = json.loads(data)

        threads = [threading.Thread(target=agent_loop, args=a) for a in agents]
        for t in threads:
            t.start()
        # kill the job holder while a job it claimed has made its account
        # but not yet stored the blob (the window a crash leaves an intent in)
        deadline = time.time() + seconds * 0.8
        while time.time() < deadline:
            running = [r[0] for r in pg.query("ferry", "SELECT device FROM prov_queue"
                                              " WHERE state='running'")]
            if any(os.path.exists(os.path.join(dc, "accounts", d)) for d in running):
                break
            time.sleep(0.05)
        na.proc.send_signal(signal.SIGKILL)
        na.proc.wait()
        killed_at = time.time()
        for t in threads:
            t.join()
        print("%d events, %d status reports, %d requests retried on the other node"
              % (len(sent_events), len(sent_status), client.retried), flush=True)
        check(client.retried > 0, "the kill happened mid-run (requests were retried)")
        # the queue drains on node B (it re-runs what node A had claimed)
        deadline = time.time() + 90
        while time.time() < deadline and len(blobs) < len(agents):
            for name, aid, token in agents:
                if name not in blobs:
                    st, data = client.call("POST", "/v1/agents/%s/odj" % aid, {}, token)
                    if st == 200:
                        blobs[name] = json.loads(data)
            time.sleep(0.5)
        check(len(blobs) == len(agents), "every device got its blob (%d of %d)"
              % (len(blobs), len(agents)))
        log = [l.split() for l in open(os.path.join(dc, "netlog")).read().splitlines()]
        made = {}
        for l in log:
            if len(l) == 1:
                made[l[0]] = made.get(l[0], 0) + 1
        dups = [l[0] for l in log if l[1:] == ["dup"]]
        reused = [l[0] for l in log if l[1:] == ["reuse"]]
        check(sorted(made) == sorted(names) and set(made.values()) == {1} and not dups,
              "each computer account made exactly once (%d made, %d re-used by the survivor, "
              "%d refused as duplicates)" % (len(made), len(reused), len(dups)))
        survivor_log = open(nb.log.name).read()
        check("put back in the queue" in survivor_log and len(reused) > 0,
              "the kill landed while the killed node ran provisioning jobs: the survivor "
              "put them back and re-used their accounts")
        check(pg.query("ferry", "SELECT count(*) FROM prov_queue")[0][0] == "0",
              "the provisioning queue is empty")
        stored = int(pg.query("ferry", "SELECT count(*) FROM events")[0][0])
        distinct = int(pg.query("ferry", "SELECT count(DISTINCT (agent, id)) FROM events")[0][0])
        check(stored == len(sent_events) == distinct,
              "every event stored once (%d stored, %d sent)" % (stored, len(sent_events)))
        check(accepted[0] <= len(sent_events),
              "no event counted twice (accepted %d of %d)" % (accepted[0], len(sent_events)))
        hist = int(pg.query("ferry", "SELECT count(*) FROM status_history")[0][0])
        check(hist == len(sent_status), "every status report in the history once (%d, %d sent)"
              % (hist, len(sent_status)))
        last = {n: 0 for n in names}
        for n, s in sent_status:
            last[n] = max(last[n], s)
        rows = dict((r[0], int(r[1])) for r in pg.query("ferry", "SELECT name, status_seq FROM devices"))
        check(all(rows.get(n) == s for n, s in last.items()), "each device's status is its last report")
        while time.time() < killed_at + 5 and len(locks(pg)) < 2:
            time.sleep(0.2)
        held = locks(pg)
        check(len(held) == 2 and all(pid == nb.proc.pid for _, pid in held),
              "after the kill: the other node holds both job locks (%s)" % held)
        nb.proc.terminate()
        nb.proc.wait(timeout=30)
        pg.psql("ferry", "UPDATE meta SET value='99' WHERE key='schema_version'")
        r = subprocess.run([server, "run", b_dir, "--listen", "127.0.0.1:0"], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 1 and "schema version 99 is newer" in r.stderr,
              "a node refuses a newer schema (%s)" % r.stderr.strip()[-160:])
    print("failover: %s" % ("all checks passed" if not failures else
                            "%d check(s) failed" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
