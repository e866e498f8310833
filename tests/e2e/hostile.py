#!/usr/bin/env python3
"""Scenario `hostile`: the native client against a test server that lies.

Each hostile reply must be refused with a clear reason (exit 2 refused or
3 unavailable, one line on stderr), recorded as an event the server
receives later, nothing from it kept (bundle.json and the accepted
sequence unchanged, no ODJ blob written), and the client must keep working
afterwards (the next honest poll answers "unchanged").

    hostile.py FERRY_BINARY
"""
import hashlib
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import Fixture, ROOT, check, verdict  # noqa: E402


def main():
    ferry = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-hostile-") as work:
        fx = Fixture(ferry, work, target_domain="ferry.test",
                     odj_blobs=os.path.join(ROOT, "tests", "data", "odj"))
        good1 = fx.sign("seq1", fx.payload(1))
        good2 = fx.sign("seq2", fx.payload(2))
        tampered = fx.sign("seq3", fx.payload(3))
        doc = json.load(open(tampered))
        doc["payload"]["poll_interval_s"] = 60  # after signing: the signature no longer holds
        json.dump(doc, open(tampered, "w"))
        fx.start(good2)
        try:
            scenario(fx, work, good1, good2, tampered)
        finally:
            fx.stop()
    return verdict("hostile")


def accepted(state):
    a = json.load(open(os.path.join(state, "agent.json")))
    b = json.load(open(os.path.join(state, "bundle.json")))
    return a["sequence"], b["payload"]["sequence"]


def refused(fx, state, what, r, code, needle):
    check(r.returncode == code and needle in r.stderr,
          "%s: refused (exit %d, %r)" % (what, r.returncode, r.stderr.strip()[:160]))
    check(accepted(state) == (2, 2), what + ": nothing used (accepted sequence still 2)")
    fx.control(mode="normal", bundle=fx.bundles["seq2"])
    ok = fx.agent(state, "poll")
    check(ok.returncode == 0 and "unchanged: sequence 2" in ok.stdout,
          what + ": the client keeps working (next poll: %s)" % ok.stdout.strip())


def scenario(fx, work, good1, good2, tampered):
    state = os.path.join(work, "agent")
    os.makedirs(state)
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", "FERRYPC01",
                 "--domain", "SOURCE", "--os", "test")
    check(r.returncode == 0, "enroll: " + (r.stdout + r.stderr).strip())
    key_mode = os.stat(os.path.join(state, "agent.key")).st_mode & 0o777
    check(key_mode == 0o600, "agent key stored with mode 0600 (%o)" % key_mode)
    r = fx.agent(state, "poll")
    check(r.returncode == 0 and "new: sequence 2" in r.stdout, "honest bundle accepted")
    r = fx.agent(state, "poll")
    check(r.returncode == 0 and "unchanged" in r.stdout, "second poll is an ETag hit (304)")

    fx.control(bundle=tampered)
    refused(fx, state, "bad signature", fx.agent(state, "poll"), 2, "signature does not verify")
    fx.control(bundle=good1)
    refused(fx, state, "replayed older bundle", fx.agent(state, "poll"), 2, "stale")
    fx.control(bundle=good2, mode="garbage")
    refused(fx, state, "garbage JSON", fx.agent(state, "poll"), 2, "not a JSON object")
    fx.control(mode="huge")
    refused(fx, state, "10 MB body", fx.agent(state, "poll"), 2, "larger than")
    fx.control(mode="stall")
    t0 = time.monotonic()
    r = fx.agent(state, "poll", "--timeout-ms", "2000")
    took = time.monotonic() - t0
    fx.control(mode="normal")
    refused(fx, state, "stalled server (%.1f s)" % took, r, 3, "no complete reply")
    check(took < 10, "the stall was cut by the 2 s request timeout (%.1f s)" % took)
    r = fx.agent(state, "poll", pin="sha256//" + "A" * 43 + "=")
    refused(fx, state, "certificate failing the pin", r, 2, "does not match")
    fx.control(mode="busy")
    r = fx.agent(state, "poll")
    fx.control(mode="normal")
    check(r.returncode == 3 and "retry-after: 7" in r.stdout,
          "503 with Retry-After: 7 honoured (%s)" % r.stdout.strip())

    # ODJ: an honest blob, then hostile ones. The agent writes nothing on refusal.
    blob_out = os.path.join(work, "blob.odj")
    r = fx.agent(state, "fetch-odj", "--out", blob_out)
    committed = open(os.path.join(ROOT, "tests/data/odj/samba-ferrypc01.odj"), "rb").read()
    import hashlib
    check(r.returncode == 0 and os.path.exists(blob_out) and
          open(blob_out, "rb").read() == committed,
          "honest ODJ blob opened, validated, byte-identical (%s)" % (r.stdout + r.stderr).strip())
    for mode, what, needle in (
            ("other-agent", "blob sealed to another agent", "tag does not verify"),
            ("file:" + os.path.join(ROOT, "tests/data/odj/samba-ferry-laptop-7.odj"),
             "blob for another machine", "MachineName"),
            ("file:" + os.path.join(ROOT, "tests/data/odj/ws2019.odj"),
             "blob for another domain", "domain")):
        os.remove(blob_out) if os.path.exists(blob_out) else None
        fx.control(odj=mode)
        r = fx.agent(state, "fetch-odj", "--out", blob_out)
        check(r.returncode == 2 and needle in r.stderr and not os.path.exists(blob_out),
              "%s: refused, nothing written (%r)" % (what, r.stderr.strip()[:160]))
    fx.control(odj="normal")
    r = fx.agent(state, "fetch-odj", "--out", blob_out, "--target-domain", "other.test")
    check(r.returncode == 2 and "domain" in r.stderr,
          "blob for ferry.test when the bundle says other.test: refused")

    # Escrow: sealed to the server's key; only the escrow key opens it.
    pw = os.path.join(work, "pw")
    open(pw, "w").write("Fallback-Pa55-word!")
    r = fx.agent(state, "escrow", "--server-key", fx.escrow_pub, "--password-file", pw)
    check(r.returncode == 0, "fallback password escrowed")
    rows = fx.rows("fallback")
    import base64
    sealed = os.path.join(work, "sealed")
    open(sealed, "wb").write(base64.b64decode(rows[0][1]))
    agent_id = json.load(open(os.path.join(state, "agent.json")))["id"]
    opened = os.path.join(work, "opened")
    r = fx.cli("seal", "open", "--key", fx.escrow_key, "--aad", agent_id, "--in", sealed,
               "--out", opened, check=False)
    check(r.returncode == 0 and open(opened).read() == "Fallback-Pa55-word!",
          "helpdesk opens the escrowed password with the server key")

    # Events: every refusal reached the server, each once, after the outbox flush.
    r = fx.agent(state, "flush")
    check(r.returncode == 0 and "sent: 4 events" in r.stdout, "outbox flushed: " + r.stdout.strip() + r.stderr.strip())
    r = fx.agent(state, "flush")
    check(r.returncode == 0 and "sent: 0 events" in r.stdout, "second flush sends nothing")
    kinds = [k for _, k, _ in fx.rows("events")]
    details = " | ".join(d for _, _, d in fx.rows("events"))
    check(kinds.count("bundle_refused") == 3, "3 bundle_refused events (%s)" % kinds)
    check(kinds.count("server_refused") == 3, "3 server_refused events (10 MB, stall, pin)")
    check(kinds.count("odj_refused") == 4, "4 odj_refused events")
    for needle in ("signature", "stale", "not a json object", "larger than", "no complete reply", "pin", "machinename", "domain is", "tag does not verify"):
        check(needle in details.lower(),
              "an event names the reason '%s'" % needle)
    # No secret in any event, log or state file: the token, the escrowed password.
    token = open(os.path.join(state, "agent.token")).read()
    texts = details + open(os.path.join(work, "server.log")).read()
    for name in os.listdir(state):
        if name not in ("agent.token", "agent.key"):
            texts += open(os.path.join(state, name), errors="replace").read()
    check(token not in texts, "the bearer token appears in no event, log or state file")
    check("Fallback-Pa55-word!" not in texts, "the fallback password appears nowhere")

    # BUNDLE_DIR: the same accept path, plus every package checked by SHA-256.
    bdir = os.path.join(work, "bundle-dir")
    os.makedirs(os.path.join(bdir, "packages"))
    pkg = b"command package bytes (opaque here)"
    open(os.path.join(bdir, "packages", "office-reset.pkg"), "wb").write(pkg)
    p = fx.payload(5)
    p["packages"] = [{"id": "office-reset.pkg", "sha256": hashlib.sha256(pkg).hexdigest(),
                      "size": len(pkg)}]
    os.replace(fx.sign("dir5", p), os.path.join(bdir, "bundle.json"))
    open(os.path.join(bdir, "packages", "office-reset.pkg"), "wb").write(
        pkg.replace(b"opaque", b"OPAQUE"))  # same size, other bytes
    r = fx.agent(state, "bundle-dir", "--dir", bdir)
    check(r.returncode == 2 and "SHA-256 differs" in r.stderr,
          "BUNDLE_DIR with an altered package: refused (%s)" % r.stderr.strip()[:120])
    check(accepted(state) == (2, 2), "BUNDLE_DIR refusal: nothing used")
    open(os.path.join(bdir, "packages", "office-reset.pkg"), "wb").write(pkg)
    r = fx.agent(state, "bundle-dir", "--dir", bdir)
    check(r.returncode == 0 and "accepted: sequence 5" in r.stdout, "BUNDLE_DIR bundle accepted")
    os.replace(fx.bundles["seq2"], os.path.join(bdir, "bundle.json"))
    r = fx.agent(state, "bundle-dir", "--dir", bdir)
    check(r.returncode == 2 and "stale" in r.stderr, "BUNDLE_DIR replay of sequence 2: refused")


if __name__ == "__main__":
    sys.exit(main())
