#!/usr/bin/env python3
"""ferry-server's TLS front end (server/srv_tls.c): OpenSSL terminates TLS
and relays plaintext to libmicrohttpd over a socketpair.

Checks: TLS 1.3 and 1.2 serve, a plaintext client is dropped, a client that
never finishes its handshake or its request is cut after
connection_timeout_s, the connection limit refuses the extra connection and
recovers, a 260 KB request body and a 3 MB reply cross the relay
whole with a slow reader (backpressure both ways), the log names the real
client address, an organisation CA's intermediate is sent with the leaf,
and the server keeps serving after each. Session tickets: a TLS 1.3 session
resumes on every worker and on a second server process of the same server
directory (a second node), a session of another server directory is
refused (a full handshake, still served), and `ferry-server migrate` gives
a directory without keys/ticket.key its secret (0600); /metrics counts
resumed handshakes apart from full ones, and the agent's own poll loop
(`ferry agent run`, one process) makes one full handshake, then resumes.

    tls_front.py FERRY_BIN
"""
import base64
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from fixture import ServerFixture  # noqa: E402

TIMEOUT_S = 2
LIMIT = 6
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def port_of(fx):
    return int(fx.url.rsplit(":", 1)[1])


def tls(fx, cafile=None, version=None):
    ctx = ssl.create_default_context(cafile=cafile or fx.cert)
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    raw = socket.create_connection(("127.0.0.1", port_of(fx)), timeout=20)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def request(s, method, path, body=b"", token=None):
    head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % (method, path)
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    if body:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    s.sendall(head.encode() + b"\r\n" + body)


def read_all(s):
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except (ssl.SSLError, OSError):
            break
        if not b:
            break
        out += b
    return out


def status_of(reply):
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else -1


def get(fx, path, token=None, **kw):
    s = tls(fx, **kw)
    request(s, "GET", path, token=token)
    r = read_all(s)
    s.close()
    return status_of(r), r.split(b"\r\n\r\n", 1)[-1]


def closed_within(s, seconds):
    """True when the server closes s (EOF or reset) within seconds."""
    s.settimeout(seconds)
    t0 = time.monotonic()
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return False
    except OSError:
        pass
    return time.monotonic() - t0 <= seconds


def healthy(fx, what):
    st, _ = get(fx, "/v1/health")
    check(st == 200, "%s: the server keeps serving (health %d)" % (what, st))


def scenario(fx, work):
    token = open(fx.admin_token).read().strip()
    st, body = get(fx, "/v1/health")
    check(st == 200 and json.loads(body)["status"] == "ok", "TLS 1.3 (default): /v1/health 200")
    s = tls(fx)
    check(s.version() == "TLSv1.3", "an OpenSSL client negotiates TLS 1.3 (%s)" % s.version())
    s.close()
    st, _ = get(fx, "/v1/health", version=ssl.TLSVersion.TLSv1_2)
    check(st == 200, "TLS 1.2: /v1/health 200")

    # Plaintext HTTP to the TLS port: dropped, not answered.
    raw = socket.create_connection(("127.0.0.1", port_of(fx)), timeout=10)
    raw.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    try:
        data = raw.recv(4096)
    except OSError:
        pass
    check(b"HTTP/1.1 200" not in data, "plaintext HTTP on the TLS port: no HTTP answer")
    raw.close()
    healthy(fx, "after a plaintext client")

    # Never a handshake; a handshake and half a request: both cut.
    idle = socket.create_connection(("127.0.0.1", port_of(fx)), timeout=10)
    check(closed_within(idle, TIMEOUT_S + 3),
          "a client that never sends a ClientHello is cut after connection_timeout_s")
    idle.close()
    half = tls(fx)
    half.sendall(b"POST /v1/agents/enroll HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    check(closed_within(half, TIMEOUT_S + 3),
          "a client that stalls mid-request after the handshake is cut")
    half.close()

    # The connection limit: LIMIT idle connections, the next one refused at once.
    held = [socket.create_connection(("127.0.0.1", port_of(fx)), timeout=10) for _ in range(LIMIT)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", port_of(fx)), timeout=10)
    check(closed_within(extra, 1.0), "connection %d over connection_limit %d: closed at once"
          % (LIMIT + 1, LIMIT))
    extra.close()
    for h in held:
        h.close()
    time.sleep(0.3)
    healthy(fx, "once the held connections are gone")

    # Up the relay: a 260 KB body reaches the daemon whole (it answers only then).
    big = b'{"names":[' + b",".join(b'"BIG%07d"' % i for i in range(20000)) + b"]}"
    s = tls(fx)
    request(s, "POST", "/v1/admin/waves/w1/devices", big, token=token)
    r = read_all(s)
    s.close()
    check(len(big) > 250000 and status_of(r) == 200,
          "a %d-byte request body crosses the relay whole (status %d)" % (len(big), status_of(r)))

    # Down the relay: a 3 MB reply to a client that waits before reading.
    s = tls(fx)
    request(s, "GET", "/v1/admin/devices?wave=w1", token=token)
    time.sleep(1.5)
    r = read_all(s)
    s.close()
    head, _, body = r.partition(b"\r\n\r\n")
    try:
        n = len(json.loads(body))
    except ValueError:
        n = -1
    check(status_of(r) == 200 and n == 20000,
          "a %d-byte reply reaches a slow reader whole (%d devices)" % (len(r), n))

    log = open(os.path.join(fx.work, "server.log")).read()
    check("ferry-server: 127.0.0.1 POST /v1/admin/waves/w1/devices -> 200" in log,
          "the request log names the client's address, not the relay's")


def chain(fx, work):
    """An organisation CA's leaf and intermediate: both sent."""
    def ossl(*argv):
        subprocess.run(["openssl", *argv], check=True, capture_output=True, cwd=work)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem", "-days", "2",
         "-subj", "/CN=Ferry test root", "-addext", "basicConstraints=critical,CA:TRUE")
    ossl("req", *ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=Ferry test issuing")
    open(os.path.join(work, "int.ext"), "w").write("basicConstraints=critical,CA:TRUE\n")
    ossl("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key",
         "-CAcreateserial", "-out", "int.pem", "-days", "2", "-extfile", "int.ext")
    ossl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1")
    open(os.path.join(work, "leaf.ext"), "w").write("subjectAltName=IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key",
         "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext")
    with open(os.path.join(fx.srv, "tls", "cert.pem"), "w") as f:
        f.write(open(os.path.join(work, "leaf.pem")).read())
        f.write(open(os.path.join(work, "int.pem")).read())
    with open(os.path.join(fx.srv, "tls", "key.pem"), "w") as f:
        f.write(open(os.path.join(work, "leaf.key")).read())
    os.chmod(os.path.join(fx.srv, "tls", "key.pem"), 0o600)
    # ferry-admin (in fx.start) trusts the root and pins the new leaf's key
    fx.cert = os.path.join(work, "leaf.pem")
    fx.pin = "sha256//" + base64.b64encode(hashlib.sha256(fx.spki_der()).digest()).decode()
    fx.cert = os.path.join(work, "root.pem")
    return fx.cert


def resumed_get(port, ctx, session):
    """GET /v1/health offering session: (status, reused, the session to keep)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session)
    request(s, "GET", "/v1/health")
    r = read_all(s)
    out = (status_of(r), s.session_reused, s.session)
    s.close()
    return out


def handshakes(fx):
    """This node's ferry_tls_handshakes_total, {"full": n, "resumed": n}."""
    st, body = get(fx, "/metrics", token=open(fx.admin_token).read().strip())
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("ferry_tls_handshakes_total{kind="):
            out[line.split('"')[1]] = int(line.rsplit(" ", 1)[1])
    return out if st == 200 else {}


def agent_resumes(fx, work):
    """The agent's own poll loop (`ferry agent run`, one process as the service
    is) resumes after its first poll: one full handshake, then tickets."""
    state = os.path.join(work, "agent")
    os.makedirs(state)
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", "PC1", "--domain", "SRC")
    check(r.returncode == 0, "an agent enrols (%s)" % r.stderr.strip()[-200:])
    before = handshakes(fx)
    r = subprocess.run([fx.ferry, "agent", "run", "--state", state, "--ca", fx.cert, "--pin",
                        fx.pin, "--signing-key", fx.sign_pub, "--for", "4", "--interval", "1"],
                       capture_output=True, text=True, timeout=120)
    after = handshakes(fx)
    full = after.get("full", 0) - before.get("full", 0) - 1  # this /metrics request's own
    resumed = after.get("resumed", 0) - before.get("resumed", 0)
    check(r.returncode == 0 and full == 1 and resumed >= 2,
          "`ferry agent run` makes one full handshake, then resumes (%d full, %d resumed; %s)"
          % (full, resumed, r.stdout.strip()))


def second_node(fx):
    """Another `ferry-server run` of fx's directory (a node sharing it); its port."""
    port_file = os.path.join(fx.srv, "run.port")
    os.unlink(port_file)
    log = open(os.path.join(fx.work, "node2.log"), "w")
    proc = subprocess.Popen([fx.server_bin, "run", fx.srv], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        if os.path.exists(port_file) or proc.poll() is not None:
            break
        time.sleep(0.1)
    return proc, int(open(port_file).read())


def resumption(ferry, work):
    dirs = [os.path.join(work, x) for x in ("c", "d")]
    for d in dirs:
        os.makedirs(d)
    fx, other = ServerFixture(ferry, dirs[0]), ServerFixture(ferry, dirs[1])
    node2 = None
    # One context for both servers (Python resumes only within a context);
    # both certificates name 127.0.0.1, so the store could not tell them
    # apart: no verification here, the subject is the ticket.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        start(fx, 2)
        start(other, 1)
        st, reused, sess = resumed_get(port_of(fx), ctx, None)
        check(st == 200 and not reused and sess and sess.has_ticket,
              "a full handshake leaves the client a session ticket")
        got = [resumed_get(port_of(fx), ctx, sess) for _ in range(8)]
        check(all(g[0] == 200 and g[1] for g in got),
              "8 connections over 2 workers resume the session: %s" % [g[1] for g in got])
        counts = handshakes(fx)
        check(counts.get("resumed") == 8 and counts.get("full", 0) >= 2,
              "/metrics counts the 8 resumed handshakes apart from the full ones: %s" % counts)
        agent_resumes(fx, dirs[0])
        node2, port2 = second_node(fx)
        got = [resumed_get(port2, ctx, sess) for _ in range(3)]
        check(all(g[0] == 200 and g[1] for g in got),
              "a second server process of the same directory (another node) resumes it: %s"
              % [g[1] for g in got])
        st, reused, _ = resumed_get(port_of(other), ctx, sess)
        check(st == 200 and not reused,
              "another server directory's ticket is refused: a full handshake, served (%d)" % st)
    finally:
        if node2:
            node2.terminate()
            node2.wait(timeout=30)
        fx.stop()
        other.stop()
    key = os.path.join(other.srv, "keys", "ticket.key")
    os.unlink(key)
    r = subprocess.run([other.server_bin, "migrate", other.srv], capture_output=True, text=True)
    check(r.returncode == 0 and os.path.exists(key) and os.stat(key).st_mode & 0o777 == 0o600,
          "migrate gives a directory without keys/ticket.key its secret, 0600 (%s)"
          % r.stdout.strip().splitlines()[-1:])


def start(fx, threads):
    conf = os.path.join(fx.srv, "ferry-server.conf")
    text = open(conf).read()
    for k, v in (("threads", threads), ("connection_timeout_s", TIMEOUT_S),
                 ("connection_limit", LIMIT)):
        lines = [l for l in text.splitlines() if l.startswith(k + " = ")]
        assert lines, "%s not in the config" % k
        text = text.replace(lines[0], "%s = %d" % (k, v))
    open(conf, "w").write(text)
    fx.start(None, wave="w1")


def main():
    ferry = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-srv-tls-") as work:
        os.makedirs(os.path.join(work, "a"))
        fx = ServerFixture(ferry, os.path.join(work, "a"))
        try:
            start(fx, 1)
            scenario(fx, work)
        finally:
            fx.stop()
        check(fx.proc.returncode == 0, "SIGTERM with connections gone: exit 0 (%s)"
              % fx.proc.returncode)
        os.makedirs(os.path.join(work, "b"))
        fx = ServerFixture(ferry, os.path.join(work, "b"))
        root = chain(fx, os.path.join(work, "b"))
        try:
            start(fx, 2)
            st, _ = get(fx, "/v1/health", cafile=root)
            check(st == 200, "an organisation CA's chain: the intermediate is sent, a client "
                  "trusting only the root verifies (health %d)" % st)
        finally:
            fx.stop()
        resumption(ferry, work)
    if failures:
        print("tls_front: %d check(s) failed" % len(failures))
        return 1
    print("tls_front: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
