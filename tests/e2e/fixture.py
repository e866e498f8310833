"""Shared setup for the tests/e2e scenarios: keys, certificate, bundles, the
test server, and a driver for the native `ferry agent` client.

Everything is made at test time in a temporary directory: a self-signed
certificate for 127.0.0.1 (openssl CLI), the admin's Ed25519 signing key and
the server's X25519 escrow key (`ferry bundle keygen`, `ferry seal keygen`),
and bundles signed with `ferry bundle sign` from the committed sample
runbooks with the target domain rewritten to the ODJ provider's domain.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(ROOT, "resources", "samples")


# The scenario's failed checks; a scenario exits 1 when any (check() fills it).
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def verdict(name):
    """The scenario's last line, and its exit code: 1 when a check failed."""
    print("%s: %s" % (name, "all checks passed" if not failures else
                      "%d check(s) failed" % len(failures)))
    return 1 if failures else 0


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def samba_provision(samba_dc, machine, domain, out):
    """`net offlinejoin provision` against the live Samba DC in its namespace
    (tests/e2e/samba_dc.sh) into `out`; None or the failure's text."""
    ns, smbconf, adminpass = samba_dc.split(":", 2)
    # A DC that listens on 389/445 may not serve its LSA pipe or its KDC
    # yet (on a loaded machine for a minute): a refused connection, no
    # logon server or an internal error on the first logon is retried for
    # up to ~60 s; nothing else is.
    transient = ("CONNECTION_REFUSED", "NO_LOGON_SERVERS", "An internal error occurred")
    for attempt in range(24):
        r = subprocess.run(["ip", "netns", "exec", ns, "net", "offlinejoin", "provision",
                            "-s", smbconf, "-S", "127.0.0.1", "-U", "Administrator%" + adminpass,
                            "domain=" + domain, "dcname=dc1." + domain, "machine_name=" + machine,
                            "savefile=" + out],
                           capture_output=True, text=True, timeout=120)
        if r.returncode == 0 or not any(t in r.stderr + r.stdout for t in transient):
            break
        time.sleep(2.5)
    if r.returncode != 0:
        return "net offlinejoin provision failed: " + (r.stderr + r.stdout).strip()[-200:]
    return None


def wine_policy_enroll_key(wine_run, prefix, key_file, work, env=None):
    """EnrollKey as Group Policy sets it (HKLM\\SOFTWARE\\Policies\\Ferry) in a
    Wine prefix's registry, by regedit from a .reg file, so the key never
    reaches a command line; the file goes at once. The return code of regedit."""
    key = open(key_file).read().strip()
    reg = os.path.join(work, "policy.reg")
    with open(reg, "w", encoding="utf-16") as f:
        f.write("Windows Registry Editor Version 5.00\r\n\r\n"
                "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Ferry]\r\n"
                "\"EnrollKey\"=\"%s\"\r\n" % key)
    try:
        r = subprocess.run([wine_run, "--prefix", prefix, "regedit", "/S",
                            "Z:" + reg.replace("/", "\\")], capture_output=True, text=True,
                           timeout=300, env=env)
    finally:
        os.remove(reg)
    return r.returncode


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


class Fixture:
    def __init__(self, ferry, work, target_domain="ferry.test", odj_blobs=None, samba_dc=None):
        self.ferry, self.work = ferry, work
        self.target_domain = target_domain
        if not shutil.which("openssl"):
            skip("the openssl command is not installed (needed for the test certificate)")
        self.cert, self.key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "1",
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        assert r.returncode == 0, r.stderr
        self.pin = "sha256//" + base64.b64encode(hashlib.sha256(self.spki_der()).digest()).decode()
        self.sign_key = os.path.join(work, "sign.key")
        self.sign_pub = self.cli("bundle", "keygen", "--out", self.sign_key).stdout.strip()
        self.escrow_key = os.path.join(work, "escrow.key")
        self.escrow_pub = self.cli("seal", "keygen", "--out", self.escrow_key).stdout.strip()
        self.state = os.path.join(work, "server")
        os.makedirs(self.state)
        self.bundles = {}
        self.odj_blobs, self.samba_dc = odj_blobs, samba_dc
        self.proc = None

    def spki_der(self):
        pub = run(["openssl", "x509", "-in", self.cert, "-pubkey", "-noout"]).stdout
        r = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub.encode(),
                           capture_output=True, timeout=30)
        assert r.returncode == 0
        return r.stdout

    def cli(self, *argv, check=True):
        r = run([self.ferry, *argv])
        if check:
            assert r.returncode == 0, "ferry %s: %s" % (" ".join(argv), r.stderr)
        return r

    def payload(self, sequence, agent="*", ou=None):
        """The reference bundle's payload for the fixture's target domain; the
        samples' computer_ou names another domain, so it is dropped, or
        replaced by `ou` (one in the target domain)."""
        batch = json.load(open(os.path.join(SAMPLES, "batch-01.json")))
        batch.pop("devices_csv", None)
        rbs = [json.load(open(os.path.join(SAMPLES, n))) for n in
               ("cache-credentials.json", "migration.json")]
        for rb in rbs:
            dj = rb.get("device_state", {}).get("domain_join")
            if dj and "domain" in dj:
                dj["domain"] = self.target_domain
                dj.pop("computer_ou", None)
                if ou:
                    dj["computer_ou"] = ou
        return {"sequence": sequence, "issued": "2025-03-01T00:00:00Z",
                "not_after": "2099-01-01T00:00:00Z", "agent": agent,
                "poll_interval_s": 900, "escrow_public_key": self.escrow_pub,
                "batch": batch, "runbooks": rbs, "packages": []}

    def sign(self, name, payload):
        src = os.path.join(self.work, name + ".payload.json")
        out = os.path.join(self.work, name + ".bundle.json")
        json.dump(payload, open(src, "w"), indent=1)
        self.cli("bundle", "sign", "--key", self.sign_key, src, "--out", out)
        self.bundles[name] = out
        return out

    def start(self, bundle):
        argv = [sys.executable, os.path.join(HERE, "server.py"), "--ferry", self.ferry,
                "--cert", self.cert, "--key", self.key, "--state", self.state, "--bundle", bundle]
        if self.odj_blobs:
            argv += ["--odj-blobs", self.odj_blobs]
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        url = os.path.join(self.state, "url")
        for _ in range(100):
            if os.path.exists(url):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + open(self.log.name).read())
            time.sleep(0.1)
        self.url = open(url).read().strip()
        self.control_token = open(os.path.join(self.state, "control-token")).read().strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _control(self, method, path, body=None):
        ctx = ssl.create_default_context(cafile=self.cert)
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Test-Control": self.control_token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return json.load(r)

    def control(self, **kw):
        return self._control("POST", "/test/control", kw)

    def rows(self, table):
        return self._control("GET", "/test/" + table)["rows"]

    def agent(self, state, *argv, pin=None):
        """Run `ferry agent SUB --state STATE ...` against this server."""
        sub, rest = argv[0], list(argv[1:])
        cmd = [self.ferry, "agent", sub, "--state", state, "--ca", self.cert,
               "--pin", pin or self.pin, "--signing-key", self.sign_pub] + rest
        return run(cmd)


class ServerFixture(Fixture):
    """The same keys and bundles, served by the real ferry-server.

    `ferry-server init` runs here (the admin's signing key is the fixture's,
    brought with --signing-public-key; the escrow key is the server's own),
    `start` runs the server on 127.0.0.1 with an ephemeral port, creates the
    wave, adds the devices and uploads the signed bundle with ferry-admin.
    Test-side inspection reads the server's database with sqlite3.
    """

    def __init__(self, ferry, work, hold=False, **kw):
        super().__init__(ferry, work, **kw)
        bindir = os.path.dirname(os.path.abspath(ferry))
        self.server_bin = os.path.join(bindir, "ferry-server")
        self.admin_bin = os.path.join(bindir, "ferry-admin")
        self.srv = os.path.join(work, "srv")
        argv = [self.server_bin, "init", self.srv, "--name", "127.0.0.1", "--listen",
                "127.0.0.1:0", "--signing-public-key", self.sign_pub]
        if hold:
            argv.append("--hold-without-key")
        r = run(argv)
        assert r.returncode == 0, "ferry-server init: " + r.stderr
        self.props = dict(line.split("=", 1) for line in r.stdout.strip().splitlines())
        self.cert = os.path.join(self.srv, "tls", "cert.pem")
        self.key_pem = os.path.join(self.srv, "tls", "key.pem")
        self.pin = self.props["SERVER_PIN_SHA256"]
        self.enroll_key_file = os.path.join(self.srv, "keys", "enroll.key")
        self.escrow_key = os.path.join(self.srv, "keys", "escrow.key")
        self.escrow_pub = open(os.path.join(self.srv, "keys", "escrow.pub")).read().strip()
        self.admin_token = os.path.join(self.srv, "admin.token")
        self.wave = None

    def start(self, bundle, wave="wave1", devices=()):
        self.log = open(os.path.join(self.work, "server.log"), "w")
        port_file = os.path.join(self.srv, "run.port")
        self.proc = subprocess.Popen([self.server_bin, "run", self.srv], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(port_file):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("ferry-server exited: " + open(self.log.name).read())
            time.sleep(0.1)
        self.url = "https://127.0.0.1:%s" % open(port_file).read().strip()
        self.wave = wave
        self.admin_ok("waves", "create", wave)
        if devices:
            self.admin_ok("waves", "add-devices", wave, *devices)
        if bundle:
            self.admin_ok("waves", "bundle", wave, bundle)

    def admin(self, *argv, token=None):
        env = dict(os.environ, FERRY_SERVER=self.url, FERRY_CA=self.cert, FERRY_PIN=self.pin,
                   FERRY_TOKEN_FILE=token or self.admin_token)
        return subprocess.run([self.admin_bin, *argv], capture_output=True, text=True,
                              timeout=120, env=env)

    def admin_ok(self, *argv, token=None):
        r = self.admin(*argv, token=token)
        assert r.returncode == 0, "ferry-admin %s: %s" % (" ".join(argv), r.stderr)
        return json.loads(r.stdout) if r.stdout.strip().startswith(("{", "[")) else r.stdout

    def control(self, bundle=None, **kw):
        assert not kw, "ferry-server has no hostile modes (tests/e2e/server.py has): %s" % kw
        if bundle:
            self.admin_ok("waves", "bundle", self.wave, bundle)

    def db(self, sql, *params):
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.srv, "ferry.db"), uri=True,
                              timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def rows(self, table):
        if table == "events":
            return self.db("SELECT agent, kind, detail FROM events ORDER BY received, rowid")
        if table == "odj":
            return self.db("SELECT agent, device, '', sha256, source FROM odj")
        if table == "fallback":
            return [(a, base64.b64encode(s).decode()) for a, s in
                    self.db("SELECT agent, sealed FROM escrow")]
        if table == "profiles":
            return self.db("SELECT device, sids FROM device_profiles")
        raise KeyError(table)

    def agent(self, state, *argv, pin=None, enroll_key=True):
        sub, rest = argv[0], list(argv[1:])
        if sub == "enroll" and enroll_key:
            rest += ["--enroll-key-file", self.enroll_key_file]
        return super().agent(state, sub, *rest, pin=pin)
