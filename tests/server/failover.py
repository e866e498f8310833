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
  - `ferry-server migrate` on the shared database is a no-op at the current
    version, and a node refuses a database whose schema is newer.

    failover.py BIN_DIR [--agents N] [--seconds S]
"""
import base64
import http.client
import json
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


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


class Node:
    def __init__(self, binary, d, log):
        self.dir = d
        self.log = open(log, "w")
        port_file = os.path.join(d, "run.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = subprocess.Popen([binary, "run", d, "--listen", "127.0.0.1:0"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            if self.proc.poll() is not None:
                raise RuntimeError("ferry-server exited: " + open(log).read()[-2000:])
            time.sleep(0.1)
        self.port = int(open(port_file).read().strip())
        self.ctx = ssl.create_default_context(cafile=os.path.join(d, "tls", "cert.pem"))
        self.ctx.check_hostname = False

    def request(self, method, path, body=None, token=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=10)
        try:
            h = {"Content-Type": "application/json"}
            if token:
                h["Authorization"] = "Bearer " + token
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers=h)
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
        for attempt in range(40):
            with self.lock:
                node = self.nodes[self.turn % len(self.nodes)]
                self.turn += 1
            try:
                st, data = node.request(method, path, body, token)
                if st < 500:
                    return st, data
            except (OSError, http.client.HTTPException):
                pass
            with self.lock:
                self.retried += 1
            time.sleep(0.05)
        raise RuntimeError("%s %s: no node answered" % (method, path))


def locks(pg):
    """application_name of the sessions holding ferry's job locks, by lock."""
    rows = pg.query("ferry", "SELECT l.objid, a.pid FROM pg_locks l JOIN pg_stat_activity a"
                    " ON a.pid=l.pid WHERE l.locktype='advisory' AND l.classid=1179800153"
                    " AND l.granted")
    return rows


def main():
    bindir = sys.argv[1]
    n_agents = int(sys.argv[sys.argv.index("--agents") + 1]) if "--agents" in sys.argv else 24
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 8
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
        check(r.returncode == 0 and "schema version 2" in r.stdout, "migrate: up to date")
        shutil.copytree(a_dir, b_dir)  # the second node: the same keys and configuration
        na = Node(server, a_dir, os.path.join(pg.root, "a.log"))
        nb = Node(server, b_dir, os.path.join(pg.root, "b.log"))
        deadline = time.time() + 8  # a few job ticks
        while time.time() < deadline and len(locks(pg)) < 2:
            time.sleep(0.2)
        held = locks(pg)
        check(len(held) == 2 and len({pid for _, pid in held}) == 1,
              "before the kill: one session holds both job locks (%s)" % held)
        admin = open(os.path.join(a_dir, "admin.token")).read().strip()
        st, _ = na.request("POST", "/v1/admin/waves", {"name": "w1"}, admin)
        names = ["FO%04d" % i for i in range(n_agents)]
        st2, _ = nb.request("POST", "/v1/admin/waves/w1/devices", {"names": names}, admin)
        check(st in (200, 201) and st2 in (200, 201), "wave and devices through both nodes")
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

        sent_events, sent_status, accepted = {}, {}, [0]
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

        threads = [threading.Thread(target=agent_loop, args=a) for a in agents]
        for t in threads:
            t.start()
        time.sleep(seconds / 3)
        na.proc.send_signal(signal.SIGKILL)
        na.proc.wait()
        killed_at = time.time()
        for t in threads:
            t.join()
        print("%d events, %d status reports, %d requests retried on the other node"
              % (len(sent_events), len(sent_status), client.retried), flush=True)
        check(client.retried > 0, "the kill happened mid-run (requests were retried)")
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
        bpids = {int(r[0]) for r in pg.query("ferry", "SELECT pid FROM pg_stat_activity WHERE"
                                             " application_name='ferry-server'")}
        check(len(held) == 2 and all(int(pid) in bpids for _, pid in held),
              "after the kill: node B holds both job locks (%s)" % held)
        nb.proc.terminate()
        nb.proc.wait(timeout=30)
        pg.psql("ferry", "UPDATE meta SET value='99' WHERE key='schema_version'")
        r = subprocess.run([server, "run", b_dir, "--listen", "127.0.0.1:0"], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 1 and "schema version 99 is newer" in r.stderr,
              "a node refuses a newer schema (%s)" % r.stderr.strip()[-120:])
    print("failover: %s" % ("all checks passed" if not failures else
                            "%d check(s) failed" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
