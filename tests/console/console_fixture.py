"""A real ferry-server for the console's tests, screenshots and benchmark.

`ConsoleServer(bindir, work)` runs `ferry-server init` and `run` on
127.0.0.1 with an ephemeral port, makes one token per role, and talks to
the server over HTTPS with one kept-alive connection (the agent and admin
APIs, as agents and ferry-admin would). `drive_wave` enrols devices and
drives them through their phases with the status API; the test inspects
the database with sqlite3 (read-only, WAL).
"""
import base64
import hashlib
import http.client
import json
import os
import sqlite3
import ssl
import subprocess
import time

# Text an attacker controls (agent reports, events, reasons, the query
# string): every page must show it as text and run none of it.
HOSTILE = "<script>document.title='pwned'</script><img id=pwned src=x onerror=alert(1)>\"'&"

PHASES = ["idle", "credentials_cached", "available", "migrating", "unjoined", "joined",
          "reacl_done", "complete"]
STAGE_OF = {"idle": 1, "credentials_cached": 2, "available": 2, "migrating": 2, "unjoined": 4,
            "joined": 5, "reacl_done": 6, "complete": 7, "failed": 1, "stopped": 1}
STAGES = ["expected", "enrolled", "credentials_cached", "blob_ready", "unjoined", "joined",
          "reacl_done", "complete"]


class ConsoleServer:
    def __init__(self, bindir, work, threads=2):
        self.bin = os.path.join(bindir, "ferry-server")
        self.ferry = os.path.join(bindir, "ferry")
        self.dir = os.path.join(work, "srv")
        self.log = os.path.join(work, "server.log")
        r = subprocess.run([self.bin, "init", self.dir, "--name", "127.0.0.1", "--listen",
                            "127.0.0.1:0"], capture_output=True, text=True, timeout=120)
        if r.returncode:
            raise RuntimeError("ferry-server init: " + r.stderr)
        conf = os.path.join(self.dir, "ferry-server.conf")
        text = open(conf).read().replace("threads = 0", "threads = %d" % threads)
        open(conf, "w").write(text)
        self.tokens = {"admin": open(os.path.join(self.dir, "admin.token")).read().strip()}
        for role in ("operator", "helpdesk", "auditor"):
            r = subprocess.run([self.bin, "token", "add", self.dir, "--name", "the-" + role,
                                "--role", role], capture_output=True, text=True, timeout=60)
            self.tokens[role] = r.stdout.strip()
        self.enroll_key = open(os.path.join(self.dir, "keys", "enroll.key")).read().strip()
        self.escrow_pub = open(os.path.join(self.dir, "keys", "escrow.pub")).read().strip()
        self.proc = None
        self.conn = None
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "tls", "cert.pem"))

    def start(self):
        port_file = os.path.join(self.dir, "run.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = subprocess.Popen([self.bin, "run", self.dir], stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "a"))
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.url = "https://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def http(self, method, path, body=None, token=None, headers=None, raw=None):
        """One request on the kept-alive connection: (status, headers, body bytes)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        if data is not None and "Content-Type" not in h:
            h["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                        timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                return r.status, dict(r.getheaders()), r.read()
            except (http.client.HTTPException, ConnectionError, ssl.SSLError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def admin(self, method, path, body=None, role="admin"):
        st, _, data = self.http(method, "/v1/admin/" + path, body, token=self.tokens[role])
        if st >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, st, data[:200]))
        return json.loads(data) if data else None

    def db(self, sql, *params):
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.dir, "ferry.db"), uri=True,
                              timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def enrol(self, name, os_text="Windows 11"):
        st, _, data = self.http("POST", "/v1/agents/enroll", {
            "machine": name, "domain": "SOURCE", "os": os_text,
            "public_key": base64.b64encode(os.urandom(32)).decode(),
            "enroll_key": self.enroll_key})
        if st not in (200, 201):
            raise RuntimeError("enrol %s: %d %s" % (name, st, data[:200]))
        j = json.loads(data)
        return j["agent_id"], j["token"]

    def status(self, agent, seq, phase, **extra):
        body = dict(extra, seq=seq, phase=phase)
        st, _, data = self.http("POST", "/v1/agents/%s/status" % agent[0], body, token=agent[1])
        if not 200 <= st < 300:
            raise RuntimeError("status: %d %s" % (st, data[:200]))

    def event(self, agent, kind, detail):
        st, _, data = self.http("POST", "/v1/agents/%s/events" % agent[0], {"events": [{
            "id": os.urandom(16).hex(), "time": int(time.time()), "kind": kind,
            "detail": detail}]}, token=agent[1])
        if not 200 <= st < 300:
            raise RuntimeError("event: %d %s" % (st, data[:200]))

    def escrow(self, work, agent, password):
        """Seal password to the server's escrow key for agent (the agent's own CLI) and send it."""
        src, out = os.path.join(work, "pw.txt"), os.path.join(work, "pw.sealed")
        open(src, "w").write(password)
        subprocess.run([self.ferry, "seal", "box", "--to", self.escrow_pub, "--aad", agent[0],
                        "--in", src, "--out", out], check=True, capture_output=True, timeout=60)
        os.unlink(src)
        sealed = base64.b64encode(open(out, "rb").read()).decode()
        st, _, data = self.http("POST", "/v1/agents/%s/fallback" % agent[0], {"sealed": sealed},
                                token=agent[1])
        if not 200 <= st < 300:
            raise RuntimeError("escrow: %d %s" % (st, data[:200]))

    def open_escrow(self, work, device):
        """The escrowed password as the escrow key opens it (independently of the server)."""
        sealed, agent = self.db("SELECT sealed, agent FROM escrow WHERE device=?", device)[0]
        src, out = os.path.join(work, "db.sealed"), os.path.join(work, "db.plain")
        open(src, "wb").write(sealed)
        subprocess.run([self.ferry, "seal", "open", "--key",
                        os.path.join(self.dir, "keys", "escrow.key"), "--aad", agent, "--in", src,
                        "--out", out], check=True, capture_output=True, timeout=60)
        text = open(out).read()
        os.unlink(out)
        return text


def plan_of(i):
    """Where device i of a driven wave ends: (phases it reports, cached users, error)."""
    k = i % 10
    if k == 0:
        return [], None                        # expected, never enrolled
    if k == 9:
        return ["idle", "credentials_cached", "migrating", "failed"], True
    last = {1: "idle", 2: "credentials_cached", 3: "available", 4: "migrating", 5: "unjoined",
            6: "joined", 7: "reacl_done", 8: "complete"}[k]
    # every stage on the way; "available" and "migrating" (the stage of credentials_cached)
    # only where a device stops there
    return [p for p in PHASES[:PHASES.index(last) + 1]
            if p == last or p not in ("available", "migrating")], False


def drive_wave(srv, wave, count, prefix, users=None):
    """Create wave with count devices and drive each through its plan (plan_of)."""
    srv.admin("POST", "waves", {"name": wave})
    names = ["%s-%04d" % (prefix, i) for i in range(count)]
    srv.admin("POST", "waves/%s/devices" % wave, {"names": names})
    agents = {}
    for i, name in enumerate(names):
        phases, failed = plan_of(i)
        if not phases:
            continue
        a = srv.enrol(name)
        agents[name] = a
        for seq, phase in enumerate(phases, 1):
            extra = {"runbook": "migration", "step": phase}
            if users and phase != "idle":
                extra["cached_users"] = users(i)
            if phase == "failed":
                extra["step"] = "import_odj"
                extra["error"] = {"code": 1355, "api": "NetRequestOfflineDomainJoin",
                                  "message": "the specified domain does not exist " + HOSTILE}
            srv.status(a, seq, phase, **extra)
    return names, agents


def expected_funnel(count):
    """The funnel drive_wave's plan must produce (before anything is made stuck)."""
    f = dict.fromkeys(STAGES + ["stopped", "stuck"], 0)
    for i in range(count):
        phases, failed = plan_of(i)
        stage = STAGE_OF[phases[-1]] if phases else 0
        if failed:
            stage = max(STAGE_OF[p] for p in phases)
            f["stopped"] += 1
        for k in range(stage + 1):
            f[STAGES[k]] += 1
    return f


def db_funnel(srv, wave, stuck_after_s=24 * 3600, lost_after_s=3 * 86400):
    """The funnel computed from the database's rows with SQL (docs/server.md's rules)."""
    now = int(time.time())
    rows = srv.db("SELECT coalesce(agent,''), stage, coalesce(phase,''), coalesce(last_seen,0),"
                  " coalesce(progress_at,0), EXISTS(SELECT 1 FROM odj o WHERE o.device=d.name)"
                  " FROM devices d WHERE wave=?", wave)
    f = dict.fromkeys(STAGES + ["stopped", "stuck"], 0)
    for agent, stage, phase, seen, progress, blob in rows:
        if agent and stage < 1:
            stage = 1
        if agent and blob and stage < 3:
            stage = 3
        for k in range(min(stage, 7) + 1):
            f[STAGES[k]] += 1
        if not agent or phase == "complete":
            continue
        if phase in ("failed", "stopped"):
            f["stopped"] += 1
        elif (seen and now - seen > lost_after_s) or (progress and now - progress > stuck_after_s):
            f["stuck"] += 1
    return f


def snapshot(path, domain, netbios, dom_sid, users, disabled=()):
    """A version-1 directory snapshot (docs/directory.md) of users [(rid, sam)]."""
    dc = ",".join("DC=" + p for p in domain.split("."))
    lines = ["ferry-dir-snapshot\t1",
             "\t".join(["domain", domain, netbios, dom_sid, dc, "CN=NTDS Settings,CN=DC1",
                        "2026-12-05T00:00:00Z", "900"])]
    for rid, sam in users:
        guid = "00000000-0000-4000-8000-%012x" % (rid + 0x100000 * len(domain))
        uac = "514" if sam in disabled else "512"
        lines.append("\t".join(["user", "CN=%s,%s" % (sam, dc), "%s-%d" % (dom_sid, rid), guid,
                                sam, "%s@%s" % (sam, domain), "", "", uac,
                                "9223372036854775807", "20261205030750.0Z", str(800 + rid % 50),
                                "", "", "", "", "", ""]))
    body = ("\n".join(lines) + "\n").encode()
    end = "end\t%d\t%s\n" % (len(users), hashlib.sha256(body).hexdigest())
    open(path, "wb").write(body + end.encode())
    return open(path).read()


def import_table(srv, work):
    """A table whose report has each kind of finding the console reviews."""
    src = snapshot(os.path.join(work, "src.snap"), "source.test", "SOURCE", "S-1-5-21-1-2-3",
                   [(1101, "jdoe"), (1102, "asmith"), (1103, "nomatch"), (1104, "bdisabled")])
    dst = snapshot(os.path.join(work, "dst.snap"), "target.example", "TARGET", "S-1-5-21-7-8-9",
                   [(2101, "jdoe"), (2102, "asmith"), (2104, "bdisabled")],
                   disabled=("bdisabled",))
    return srv.admin("PUT", "table", {"source": src, "target": dst})


ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def v2(srv, work, wave, agents):
    """Upload a catalog signed with init's offline key, open the wave's runbook windows,
    and have each agent in agents fetch its signed assignment (which carries the table)."""
    payload = json.load(open(os.path.join(ROOT, "tests/data/catalog/payload.json")))
    payload.update(sequence=1, assignment_key=open(os.path.join(
        srv.dir, "keys", "assignment.pub")).read().strip(), escrow_public_key=srv.escrow_pub)
    src, out = os.path.join(work, "catalog.payload.json"), os.path.join(work, "catalog.json")
    json.dump(payload, open(src, "w"))
    subprocess.run([srv.ferry, "catalog", "sign", "--key", os.path.join(
        srv.dir, "offline", "signing.key"), src, "--out", out], check=True, capture_output=True,
        timeout=60)
    st, _, data = srv.http("PUT", "/v1/admin/catalog", raw=open(out, "rb").read(),
                           token=srv.tokens["admin"])
    if st != 200:
        raise RuntimeError("catalog: %d %s" % (st, data[:200]))
    srv.admin("PUT", "waves/%s/runbooks/cache-credentials" % wave,
              {"available_from": "none", "enforced_after": "none"})
    srv.admin("PUT", "waves/%s/runbooks/migration" % wave,
              {"available_from": "2026-12-01T08:00:00Z", "enforced_after": "2026-12-09T18:00:00Z"})
    for a in agents:
        st, _, data = srv.http("GET", "/v2/agents/%s/assignment" % a[0], token=a[1])
        if st != 200:
            raise RuntimeError("assignment: %d %s" % (st, data[:200]))
