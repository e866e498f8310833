#!/usr/bin/env python3
"""A deliberately hostile peer: a migration server (docs/protocol.md) that lies
on command.

The real server is ferry-server (server/, docs/server.md), which every other
end-to-end scenario runs against (e2e.user_story, e2e.bundle_midrun,
e2e.user_story_net, e2e.server_hostile, e2e.server_status_outbox,
e2e.server_provision). This peer remains only for e2e.hostile, which needs
replies no honest server gives: tampered, replayed, garbage, huge and
stalled assignments, 503s, and blobs sealed to someone else or made for
another machine or domain (and for the manual benchmark idle_cost.py, whose
figures in docs/net.md were measured against it).

Python standard library only: http.server + ssl + sqlite3 + json. Ed25519
and X25519 are not in the standard library, so the bundle is signed ahead of
time with `ferry bundle sign` and each ODJ blob is sealed with
`ferry seal box` (the real C code, run as a subprocess).

    server.py --ferry BIN --cert C --key K --state DIR --bundle B.json
              [--packages DIR] [--odj-blobs DIR]

It listens on 127.0.0.1 on a free port and writes the URL to DIR/url. A test
steers hostile behaviour through POST /test/control (needs the token in
DIR/control-token): assignment mode normal|stall|huge|garbage|busy, the
bundle file served, and the ODJ mode normal|other-agent|file:PATH.
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCHEMA = """
CREATE TABLE IF NOT EXISTS agents(id TEXT PRIMARY KEY, token_sha256 TEXT, machine TEXT,
  domain TEXT, os TEXT, public_key TEXT, enrolled REAL);
CREATE TABLE IF NOT EXISTS events(id TEXT PRIMARY KEY, agent TEXT, time REAL, kind TEXT,
  detail TEXT, received REAL);
CREATE TABLE IF NOT EXISTS fallback(agent TEXT PRIMARY KEY, sealed TEXT, received REAL);
CREATE TABLE IF NOT EXISTS odj(agent TEXT, machine TEXT, domain TEXT, sha256 TEXT, source TEXT,
  issued REAL);
"""


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.db = sqlite3.connect(os.path.join(args.state, "server.db"), check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.control_token = secrets.token_hex(16)
        self.mode = "normal"
        self.odj_mode = "normal"
        self.bundle_path = args.bundle
        self.poll_interval = args.poll_interval

    def q(self, sql, *params):
        with self.lock:
            rows = self.db.execute(sql, params).fetchall()
            self.db.commit()
            return rows


def ferry(args, *argv):
    return subprocess.run([args.ferry, *argv], capture_output=True, text=True, timeout=60)


def odj_from_blobs(args, machine, domain):
    """The committed Samba-made blob for this machine (tests/data/odj)."""
    path = os.path.join(args.odj_blobs, "samba-%s.odj" % machine.lower())
    if not os.path.exists(path):
        return None, "no committed blob for %s" % machine
    return open(path, "rb").read(), "committed:" + os.path.basename(path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FerryTestServer/1"

    def log_message(self, fmt, *a):  # request lines only: never bodies or headers
        sys.stderr.write("server: %s\n" % (fmt % a))

    @property
    def st(self):
        return self.server.state

    def reply(self, code, obj=None, raw=None, headers=()):
        body = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 1 << 20:
            raise ValueError("request too large")
        return json.loads(self.rfile.read(n) or b"{}")

    def agent(self, agent_id):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        h = hashlib.sha256(auth[7:].encode()).hexdigest()
        rows = self.st.q("SELECT id, machine, domain, public_key FROM agents WHERE id=? AND "
                         "token_sha256=?", agent_id, h)
        return rows[0] if rows else None

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if parts[:1] == ["test"]:
            return self.control_get(parts)
        if len(parts) >= 4 and parts[:2] == ["v1", "agents"]:
            a = self.agent(parts[2])
            if not a:
                return self.reply(401, {"error": "unknown agent or token"})
            if parts[3] == "assignment" and len(parts) == 4:
                return self.assignment()
            if parts[3] == "packages" and len(parts) == 5 and self.st.args.packages:
                p = os.path.join(self.st.args.packages, os.path.basename(parts[4]))
                if os.path.isfile(p):
                    return self.reply(200, raw=open(p, "rb").read(),
                                      headers=[("Content-Type", "application/octet-stream")])
        self.reply(404, {"error": "not found"})

    def assignment(self):
        mode = self.st.mode
        if mode == "stall":
            time.sleep(30)
            return self.reply(200, raw=b"{}")
        if mode == "huge":
            return self.reply(200, raw=b" " * (10 * 1024 * 1024))
        if mode == "garbage":
            return self.reply(200, raw=b"{\"ferry_bundle\":1,\"payload\":{{{ not json")
        if mode == "busy":
            return self.reply(503, {"error": "busy"}, headers=[("Retry-After", "7")])
        data = open(self.st.bundle_path, "rb").read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        if self.headers.get("If-None-Match") == etag:
            return self.reply(304, headers=[("ETag", etag)])
        self.reply(200, raw=data, headers=[("ETag", etag), ("Content-Type", "application/json")])

    def do_POST(self):
        parts = self.path.strip("/").split("/")
        try:
            req = self.body()
        except (ValueError, json.JSONDecodeError):
            return self.reply(400, {"error": "bad JSON"})
        if parts == ["test", "control"]:
            return self.control_post(req)
        if parts == ["v1", "agents", "enroll"]:
            return self.enroll(req)
        if len(parts) == 4 and parts[:2] == ["v1", "agents"]:
            a = self.agent(parts[2])
            if not a:
                return self.reply(401, {"error": "unknown agent or token"})
            if parts[3] == "events":
                return self.events(a, req)
            if parts[3] == "odj":
                return self.odj(a, req)
            if parts[3] == "fallback":
                self.st.q("INSERT OR REPLACE INTO fallback VALUES(?,?,?)", a[0],
                          str(req.get("sealed", "")), time.time())
                return self.reply(201, {"stored": True})
        self.reply(404, {"error": "not found"})

    def enroll(self, req):
        for k in ("machine", "domain", "os", "public_key"):
            if not isinstance(req.get(k), str):
                return self.reply(400, {"error": "missing " + k})
        if len(base64.b64decode(req["public_key"], validate=True)) != 32:
            return self.reply(400, {"error": "public_key is not 32 bytes"})
        agent_id, token = secrets.token_hex(8), secrets.token_urlsafe(24)
        self.st.q("INSERT INTO agents VALUES(?,?,?,?,?,?,?)", agent_id,
                  hashlib.sha256(token.encode()).hexdigest(), req["machine"], req["domain"],
                  req["os"], req["public_key"], time.time())
        self.reply(201, {"agent_id": agent_id, "token": token,
                         "poll_interval_s": self.st.poll_interval})

    def events(self, a, req):
        new = dup = 0
        for e in req.get("events", []):
            if not isinstance(e, dict) or not isinstance(e.get("id"), str):
                continue
            rows = self.st.q("INSERT OR IGNORE INTO events VALUES(?,?,?,?,?,?) RETURNING id",
                             e["id"], a[0], e.get("time", 0), str(e.get("kind", "")),
                             str(e.get("detail", "")), time.time())
            new, dup = (new + 1, dup) if rows else (new, dup + 1)
        self.reply(200, {"accepted": new, "duplicates": dup})

    def odj(self, a, req):
        args, machine = self.st.args, a[1]
        domain = str(req.get("domain", ""))
        mode = self.st.odj_mode
        if mode.startswith("file:"):
            blob, source = open(mode[5:], "rb").read(), mode
        else:
            blob, source = odj_from_blobs(args, machine, domain)
        if blob is None:
            sys.stderr.write("server: odj provider: %s\n" % source)
            return self.reply(409, {"error": source})
        to, aad = a[3], a[0]
        if mode == "other-agent":  # sealed to someone else's key and id
            r = ferry(args, "seal", "keygen", "--out", os.path.join(args.state, "other.key"))
            to, aad = r.stdout.strip(), "other-agent"
        with tempfile.TemporaryDirectory() as d:
            pin, pout = os.path.join(d, "in"), os.path.join(d, "out")
            open(pin, "wb").write(blob)
            r = ferry(args, "seal", "box", "--to", to, "--aad", aad, "--in", pin, "--out", pout)
            if r.returncode != 0:
                return self.reply(500, {"error": "seal failed"})
            sealed = open(pout, "rb").read()
        digest = hashlib.sha256(blob).hexdigest()
        # Kept in the test server's state so that the scenario can look for
        # the machine password in everything the agent wrote.
        open(os.path.join(args.state, "served-%s.odj" % digest), "wb").write(blob)
        self.st.q("INSERT INTO odj VALUES(?,?,?,?,?,?)", a[0], machine, domain, digest, source,
                  time.time())
        self.reply(200, {"sealed": base64.b64encode(sealed).decode(), "source": source})

    def control_ok(self):
        return self.headers.get("X-Test-Control") == self.st.control_token

    def control_post(self, req):
        if not self.control_ok():
            return self.reply(403, {"error": "control token"})
        self.st.mode = req.get("mode", self.st.mode)
        self.st.odj_mode = req.get("odj", self.st.odj_mode)
        self.st.bundle_path = req.get("bundle", self.st.bundle_path)
        self.reply(200, {"mode": self.st.mode, "odj": self.st.odj_mode})

    def control_get(self, parts):
        if not self.control_ok():
            return self.reply(403, {"error": "control token"})
        tables = {"events": "SELECT agent, kind, detail FROM events ORDER BY received",
                  "odj": "SELECT agent, machine, domain, sha256, source FROM odj",
                  "fallback": "SELECT agent, sealed FROM fallback"}
        if len(parts) == 2 and parts[1] in tables:
            return self.reply(200, {"rows": self.st.q(tables[parts[1]])})
        self.reply(404, {"error": "not found"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--packages")
    ap.add_argument("--odj-blobs")
    ap.add_argument("--poll-interval", type=int, default=900)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.state = State(args)
    open(os.path.join(args.state, "control-token"), "w").write(srv.state.control_token)
    tmp = os.path.join(args.state, "url.tmp")
    open(tmp, "w").write("https://127.0.0.1:%d" % srv.server_address[1])
    os.replace(tmp, os.path.join(args.state, "url"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
