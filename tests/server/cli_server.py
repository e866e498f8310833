#!/usr/bin/env python3
"""ferry-server's command line: init writes all or nothing, config errors
name what and where, key files must be private, token add.

    cli_server.py BIN_DIR
"""
import glob
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=120)


def main():
    srv = os.path.join(sys.argv[1], "ferry-server")
    with tempfile.TemporaryDirectory(prefix="ferry-srv-cli-") as work:
        d = os.path.join(work, "srv")
        r = run(srv, "init", d, "--name", "mig.example.test", "--listen", "127.0.0.1:8443")
        props = dict(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)
        check(r.returncode == 0 and list(props) == ["SERVER_URL", "SERVER_PIN_SHA256",
                                                    "SIGNING_PUBLIC_KEY", "ENROLL_KEY"],
              "init prints the four MSI properties, one NAME=value per line")
        check(props.get("SERVER_URL") == "https://mig.example.test:8443" and
              props.get("SERVER_PIN_SHA256", "").startswith("sha256//"), "SERVER_URL and the pin form")
        modes = {p: os.stat(os.path.join(d, p)).st_mode & 0o777 for p in
                 ("keys/escrow.key", "keys/assignment.key", "keys/enroll.key", "tls/key.pem",
                  "admin.token", "ferry.db", "offline/signing.key")}
        check(all(m == 0o600 for m in modes.values()), "secrets and the database are 0600 (%s)"
              % {k: oct(v) for k, v in modes.items()})
        check("signing.key" in r.stderr and "offline" in r.stderr,
              "init says the generated signing key must move offline")
        r = run(srv, "init", d)
        check(r.returncode == 1 and "not an empty directory" in r.stderr, "init never overwrites")

        # the admin's own certificate with another key: nothing is written
        d2 = os.path.join(work, "srv2")
        k2 = os.path.join(work, "other.pem")
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", k2)
        r = run(srv, "init", d2, "--tls-cert", os.path.join(d, "tls", "cert.pem"), "--tls-key", k2)
        check(r.returncode == 1 and "is not the key of" in r.stderr,
              "init with a certificate and a foreign key: refused (%s)" % r.stderr.strip())
        check(not os.path.exists(d2) and not glob.glob(d2 + ".init-*"),
              "nothing half-written after the failure")
        r = run(srv, "init", d2, "--tls-cert", os.path.join(d, "tls", "cert.pem"), "--tls-key",
                os.path.join(d, "tls", "key.pem"), "--signing-public-key", "AAAA")
        check(r.returncode == 1 and "--signing-public-key" in r.stderr and not os.path.exists(d2),
              "a bad signing key: refused, nothing written")

        conf = os.path.join(d, "ferry-server.conf")
        good = open(conf).read()
        open(conf, "w").write(good.replace("threads = 0", "threads = 0\nthraeds = 2"))
        r = run(srv, "run", d, "--listen", "127.0.0.1:0")
        check(r.returncode == 1 and "ferry-server.conf:12: unknown key 'thraeds' in [server]"
              in r.stderr, "a misspelt key: the error names file, line and key (%s)"
              % r.stderr.strip())
        open(conf, "w").write(good)
        os.chmod(os.path.join(d, "keys", "escrow.key"), 0o644)
        r = run(srv, "run", d, "--listen", "127.0.0.1:0")
        check(r.returncode == 1 and "escrow.key: readable by group or others" in r.stderr,
              "a world-readable escrow key: refused")
        os.chmod(os.path.join(d, "keys", "escrow.key"), 0o600)
        r = run(srv, "run", d, "--listen", "256.0.0.1:1")
        check(r.returncode == 1 and "not an IPv4 or IPv6 address" in r.stderr, "a bad --listen")
        r = run(srv, "token", "add", d, "--name", "bob", "--role", "operator")
        check(r.returncode == 0 and len(r.stdout.strip()) == 43, "token add prints a new token")
        r = run(srv, "token", "add", d, "--name", "bob", "--role", "root")
        check(r.returncode == 64, "token add with an unknown role: usage")
    print("cli_server: %s" % ("all checks passed" if not failures else
                              "%d check(s) failed" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
