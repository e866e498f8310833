#!/usr/bin/env python3
"""The network half of scenario `user-story` (design.md §1), natively.

What runs here: a real Samba AD DC `target.test` (tests/e2e/samba_dc.sh),
ferry-server (init, run; the wave `story` holding FIN-PC-001 and the
admin's signed reference bundle), and the native `ferry agent` client,
playing the steps that touch the server:
  enrol with the enrolment key -> the signed reference bundle accepted
  (steps 1-2 get their batch and runbooks) -> progress events and status
  reports -> fallback password escrowed (step 3) -> the ODJ blob the DC
  provisions for FIN-PC-001 (`net offlinejoin provision`, imported with
  `ferry-admin odj import` as an admin does with a djoin-made blob), sealed
  to the agent, opened, validated (step 4) -> events received -> the wave
  report.
It asserts that the blob the agent would import is byte-identical to the
one the DC produced (SHA-256, and `ferry odj inspect --json` fields), and
that no secret (token, fallback password, the blob's text) appears in any
event, log or state file.

What does not run here (other issues; the lead integrates them under Wine):
ferrysvc.exe in rehearsal mode, the LogonUI harness with ferrycp.dll, the
notifier, and the op sequence/experience assertions.

    user_story_net.py FERRY_BINARY ODJ_REENCODE_BINARY
Exit 77 with a SKIP line when Samba or network namespaces cannot run here.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import ServerFixture, HERE, samba_provision, check, verdict  # noqa: E402


def main():
    ferry = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-story-") as work:
        r = subprocess.run([os.path.join(HERE, "samba_dc.sh"), "start", work],
                           capture_output=True, text=True, timeout=600)
        print(r.stdout.strip())
        if r.returncode == 77:
            return 77
        if r.returncode != 0:
            print(r.stderr[-2000:])
            return 1
        try:
            dc_env = open(os.path.join(work, "dc.env")).read().strip()
            fx = ServerFixture(ferry, work, target_domain="target.test", samba_dc=dc_env)
            fx.start(fx.sign("ref", fx.payload(1)), wave="story", devices=["FIN-PC-001"])
            try:
                story(fx, work)
            finally:
                fx.stop()
        finally:
            subprocess.run([os.path.join(HERE, "samba_dc.sh"), "stop", work], timeout=60)
    return verdict("user-story (network half)")


def story(fx, work):
    state = os.path.join(work, "agent")
    os.makedirs(state)
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", "FIN-PC-001",
                 "--domain", "SOURCE", "--os", "Windows 10 22H2")
    check(r.returncode == 0, "step 0: enrolled (%s)" % r.stdout.strip())
    r = fx.agent(state, "poll")
    check(r.returncode == 0 and "new: sequence 1" in r.stdout, "steps 1-2: reference bundle accepted")
    for kind in ("credentials_cached", "migration_started"):
        fx.agent(state, "event", "--kind", kind, "--detail", "user story step")
    seq = [0]

    def status(phase, **kw):
        seq[0] += 1
        argv = ["status", "--seq", str(seq[0]), "--phase", phase, "--runbook", "migration"]
        for k, v in kw.items():
            argv += ["--" + k.replace("_", "-"), v]
        r = fx.agent(state, *argv)
        check(r.returncode == 0 and "stored" in r.stdout, "status report %d: %s" % (seq[0], phase))
    status("credentials_cached", cached_user="TARGET\\jdoe")
    pw = os.path.join(work, "fallback-pw")
    open(pw, "w").write("Break-Glass-Pa55!")
    r = fx.agent(state, "escrow", "--server-key", fx.escrow_pub, "--password-file", pw)
    check(r.returncode == 0, "step 3: fallback password escrowed")
    blob = os.path.join(work, "blob.odj")
    r = fx.agent(state, "fetch-odj", "--out", blob)
    check(r.returncode == 3 and not os.path.exists(blob),
          "step 4 before provisioning: the server has no blob yet, the agent will retry")
    dc_blob = os.path.join(work, "dc-made.odj")
    err = samba_provision(fx.samba_dc, "FIN-PC-001", "target.test", dc_blob)
    check(err is None, "the live DC provisioned FIN-PC-001 (%s)" % err)
    r = fx.admin("odj", "import", "FIN-PC-001", dc_blob)
    check(r.returncode == 0, "ferry-admin odj import: validated and sealed to the agent (%s)"
          % r.stderr.strip())
    r = fx.agent(state, "fetch-odj", "--out", blob)
    check(r.returncode == 0, "step 4: ODJ blob from the live DC opened and validated (%s)"
          % (r.stdout + r.stderr).strip())
    rows = fx.rows("odj")
    made = hashlib.sha256(open(dc_blob, "rb").read()).hexdigest() if not err else None
    check(len(rows) == 1 and rows[0][3] == made, "the server holds the DC's blob (sha256)")
    if os.path.exists(blob):
        got = hashlib.sha256(open(blob, "rb").read()).hexdigest()
        check(got == made, "blob byte-identical to the DC's (sha256 %s)" % got)
        j = json.loads(fx.cli("odj", "inspect", blob, "--json").stdout)
        text = json.dumps(j).lower()
        check("target.test" in text and "fin-pc-001" in text,
              "odj inspect: domain target.test, machine FIN-PC-001")
    # The engine's transitions after the import, as the service reports them.
    status("unjoined", step="unjoin")
    status("joined", step="import_odj")
    check(fx.rows("odj") == [], "the blob is deleted once the agent reports the join")
    status("reacl_done", step="reacl")
    status("complete")
    r = fx.agent(state, "status", "--seq", str(seq[0]), "--phase", "complete")
    check(r.returncode == 0 and "duplicate" in r.stdout, "a resent report is counted once")
    r = fx.agent(state, "flush")
    kinds = [k for _, k, _ in fx.rows("events")]
    check(kinds == ["credentials_cached", "migration_started"], "server received events %s" % kinds)
    report = fx.admin_ok("report", "--wave", "story")
    print("wave report: " + json.dumps(report))
    check(all(report[k] == 1 for k in ("expected", "enrolled", "credentials_cached", "blob_ready",
                                       "unjoined", "joined", "reacl_done", "complete")) and
          report["stopped"] == 0 and report["stuck"] == 0,
          "the wave report: FIN-PC-001 went through every stage to complete")
    secrets_ = [open(os.path.join(state, "agent.token")).read(), "Break-Glass-Pa55!"]
    if os.path.exists(blob):
        # The machine password, through the ODJ suite's helper (tests/odj/odj_reencode.c).
        hexpw = subprocess.run([sys.argv[2], "--password-hex", blob], capture_output=True,
                               text=True, timeout=30).stdout.strip()
        pw16 = bytes.fromhex(hexpw)
        check(len(pw16) >= 2, "machine password extracted for the leak check")
        secrets_ += [hexpw, pw16.decode("utf-16-le", errors="replace"),
                     base64.b64encode(pw16).decode()]
    texts = open(os.path.join(work, "server.log")).read() + json.dumps(fx.rows("events"))
    for root, _, files in os.walk(fx.srv):
        for name in files:  # the database holds only sealed blobs and hashes
            if name.startswith("ferry.db"):
                texts += open(os.path.join(root, name), "rb").read().decode("latin-1")
    for name in os.listdir(state):
        if name not in ("agent.token", "agent.key"):
            texts += open(os.path.join(state, name), errors="replace").read()
    check(not any(s in texts for s in secrets_), "no secret in any event, log or state file")


if __name__ == "__main__":
    sys.exit(main())
