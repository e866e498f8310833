#!/usr/bin/env python3
"""The Windows build's client resumes TLS sessions (docs/net.md): ferry.exe
under Wine enrols with ferry-server, then `ferry.exe agent run` (one
process, its poll loop, as the service's) polls for a few seconds; the
server's /metrics counts one full handshake for the loop and a resumed one
for every later poll. This is the libcurl share and OpenSSL's locks of
net_global_init as built by scripts/deps-mingw, under Wine's Winsock.

    resume_wine.py WINE_RUN WIN_BIN_DIR NATIVE_FERRY
"""
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from fixture import ServerFixture  # noqa: E402


def winpath(p):
    return "Z:" + p.replace("/", "\\")


def handshakes(fx):
    ctx = ssl.create_default_context(cafile=fx.cert)
    ctx.check_hostname = False
    rq = urllib.request.Request(fx.url + "/metrics", headers={
        "Authorization": "Bearer " + open(fx.admin_token).read().strip()})
    out = {}
    with urllib.request.urlopen(rq, context=ctx, timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("ferry_tls_handshakes_total{kind="):
                out[line.split('"')[1]] = int(line.rsplit(" ", 1)[1])
    return out


def main():
    wine_run, win_bin, ferry = sys.argv[1:4]
    if not shutil.which("wine") and not os.path.exists("/usr/lib/wine/wine64"):
        print("SKIP: wine is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="ferry-resume-wine-", ignore_cleanup_errors=True) as work:
        fx = ServerFixture(ferry, work)
        prefix = os.path.join(work, "wineprefix")
        state = os.path.join(work, "agent")
        os.makedirs(state)
        exe = [wine_run, "--prefix", prefix, os.path.join(win_bin, "ferry.exe"), "agent"]
        common = ["--state", winpath(state), "--ca", winpath(fx.cert), "--pin", fx.pin,
                  "--signing-key", fx.sign_pub]
        fx.start(None, wave="w1")
        try:
            r = subprocess.run(exe + ["enroll"] + common + [
                "--server", fx.url, "--machine", "PC1", "--domain", "SRC",
                "--enroll-key-file", winpath(fx.enroll_key_file)],
                capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                print("FAIL ferry.exe agent enroll: %s %s" % (r.stdout, r.stderr[-500:]))
                return 1
            before = handshakes(fx)
            r = subprocess.run(exe + ["run"] + common + ["--for", "6", "--interval", "1"],
                               capture_output=True, text=True, timeout=300)
            after = handshakes(fx)
        finally:
            fx.stop()
            subprocess.run(["wineserver", "-k"], env=dict(os.environ, WINEPREFIX=prefix),
                           capture_output=True, timeout=60)
    full = after.get("full", 0) - before.get("full", 0) - 1  # the second /metrics request
    resumed = after.get("resumed", 0) - before.get("resumed", 0)
    print(r.stdout.strip())
    ok = r.returncode == 0 and full == 1 and resumed >= 2
    print("%s ferry.exe agent run under Wine: %d full handshake(s), %d resumed"
          % ("ok  " if ok else "FAIL", full, resumed))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
