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


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


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

    def payload(self, sequence, agent="*"):
        batch = json.load(open(os.path.join(SAMPLES, "batch-01.json")))
        batch.pop("devices_csv", None)
        rbs = [json.load(open(os.path.join(SAMPLES, n))) for n in
               ("cache-credentials.json", "migration.json")]
        for rb in rbs:
            dj = rb.get("device_state", {}).get("domain_join")
            if dj and "domain" in dj:
                dj["domain"] = self.target_domain
                dj.pop("computer_ou", None)
        return {"sequence": sequence, "issued": "2025-03-01T00:00:00Z", "agent": agent,
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
        if self.samba_dc:
            argv += ["--samba-dc", self.samba_dc]
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
