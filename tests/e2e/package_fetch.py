#!/usr/bin/env python3
"""Scenario `package_fetch`: a command package from ferry-server to the agent.

The real ferry-server serves DIR/packages/<id> (GET /v1/agents/{id}/packages/{id});
the native `ferry agent package` runs what the service's stager runs before a
package step, short of the Windows file writes (service/win/package_stage.c):
the accepted bundle's /packages entry, the fetch capped at the signed size,
size and SHA-256 against the entry, the archive parsed and verified with the
signing key. Checks: the blob `ferry package pack` wrote arrives byte for
byte; a blob of the same size with other bytes, a longer blob, a blob of
another package under the listed digest, a package the bundle does not list,
and one the server lacks are all refused, and nothing is written.

    package_fetch.py FERRY_BINARY
"""
import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import ServerFixture, check, verdict  # noqa: E402


def make_package(fx, work, pid, text):
    """Sign a one-file package with the fixture's admin key and pack it."""
    d = os.path.join(work, "pkgs", pid)
    os.makedirs(os.path.join(d, "bin"))
    open(os.path.join(d, "bin", "run.cmd"), "wb").write(text.encode())
    fx.cli("package", "sign", "--key", fx.sign_key, "--id", pid, "--command",
           "cmd.exe /c bin\\run.cmd", "--timeout", "60", d, "bin/run.cmd")
    pub = os.path.join(work, "sign.pub")
    open(pub, "w").write(fx.sign_pub + "\n")
    blob = os.path.join(work, pid + ".pkg")
    entry = json.loads(fx.cli("package", "pack", "--pub", pub, d, blob).stdout)
    return open(blob, "rb").read(), entry


def scenario(fx, work, blobs):
    state = os.path.join(work, "agent")
    os.makedirs(state)
    served = os.path.join(fx.srv, "packages")
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", "PKG-PC-1", "--domain",
                 "SOURCE", "--os", "test")
    check(r.returncode == 0, "enrolled (%s)" % r.stderr.strip())
    r = fx.agent(state, "poll")
    check(r.returncode == 0 and "new: sequence 1" in r.stdout, "the bundle listing the package "
          "is accepted (%s%s)" % (r.stdout.strip(), r.stderr.strip()))
    out = os.path.join(work, "fetched.pkg")

    def fetch(pid):
        if os.path.exists(out):
            os.remove(out)
        return fx.agent(state, "package", "--id", pid, "--out", out)

    good, entry = blobs["stop-sync-client"]
    open(os.path.join(served, "stop-sync-client"), "wb").write(good)
    r = fetch("stop-sync-client")
    check(r.returncode == 0 and "ok: package stop-sync-client" in r.stdout and
          entry["sha256"] in r.stdout, "fetched and verified (%s%s)" % (r.stdout.strip(),
                                                                       r.stderr.strip()))
    check(os.path.exists(out) and open(out, "rb").read() == good,
          "the agent holds the server's bytes exactly (%d bytes)" % len(good))
    check(hashlib.sha256(good).hexdigest() == entry["sha256"] and len(good) == entry["size"],
          "the signed entry is the SHA-256 and size of those bytes")

    flipped = bytearray(good)
    flipped[-3] ^= 0x20
    open(os.path.join(served, "stop-sync-client"), "wb").write(bytes(flipped))
    r = fetch("stop-sync-client")
    check(r.returncode == 2 and "SHA-256 differs" in r.stderr and not os.path.exists(out),
          "same size, other bytes: refused, nothing written (%s)" % r.stderr.strip())

    open(os.path.join(served, "stop-sync-client"), "wb").write(good + b"tail")
    r = fetch("stop-sync-client")
    check(r.returncode == 2 and "more than the signed size" in r.stderr and
          not os.path.exists(out), "a longer blob: refused at the signed size (%s)"
          % r.stderr.strip())

    other, _ = blobs["other"]
    open(os.path.join(served, "under-other-digest"), "wb").write(other)
    r = fetch("under-other-digest")
    check(r.returncode == 2 and "signed manifest is for package" in r.stderr and
          not os.path.exists(out), "another package's blob under a listed digest: refused "
          "after the digest check, by the archive's signed id (%s)" % r.stderr.strip())

    r = fetch("not-listed")
    check(r.returncode != 0 and "lists no package" in r.stderr,
          "a package the bundle does not list: refused before any request (%s)"
          % r.stderr.strip())
    os.remove(os.path.join(served, "stop-sync-client"))
    r = fetch("stop-sync-client")
    check(r.returncode != 0 and "HTTP 404" in r.stderr, "the server lacks it: 404 named (%s)"
          % r.stderr.strip())


def main():
    ferry = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-package-fetch-") as work:
        fx = ServerFixture(ferry, work)
        blobs = {"stop-sync-client": make_package(fx, work, "stop-sync-client",
                                                  "@echo off\r\necho stopping\r\n"),
                 "other": make_package(fx, work, "other", "@echo off\r\necho other\r\n")}
        p = fx.payload(1)
        p["packages"] = [blobs["stop-sync-client"][1],
                         dict(blobs["other"][1], id="under-other-digest")]
        fx.start(fx.sign("seq1", p), wave="pkgwave", devices=["PKG-PC-1"])
        try:
            scenario(fx, work, blobs)
        finally:
            fx.stop()
    return verdict("package_fetch")


if __name__ == "__main__":
    sys.exit(main())
