#!/usr/bin/env python3
"""A bundle accepted while a runbook runs is applied at the next safe point.

    bundle_midrun.py WINE_RUN WIN_BIN_DIR NATIVE_FERRY

ferrysvc.exe under Wine, in rehearsal on its test clock (paced: each jump of
the clock takes PACE_MS real ms, so that a runbook spans a few real
seconds), against ferry-server (the enrolment key as policy in the Wine
prefix, the device in the wave `midrun`) with bundle 1:
batch "midrun" = [prep]. When the service says "runbook prep: start", the
admin uploads bundle 2 for the wave (ferry-admin waves bundle): the same batch plus "after" (which needs
prep). The service, started once, must
  1. accept bundle 2 while prep runs (said before "runbook prep complete"),
  2. apply it only at the next safe point (after prep completes), and
  3. run "after", the next runbook of the new batch, without a restart,
then end with nothing left for the device (exit 0).
Exit 77 with a SKIP line when Wine or openssl is missing.
"""
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixture import ServerFixture, wine_policy_enroll_key, check, failures, verdict  # noqa: E402

PACE_MS = 3000
MACHINE = "FERRYPC01"


def runbook(rid, fallback, prerequisites=()):
    """A silent runbook; with `fallback`, its helpdesk account's deletion an
    hour later makes the engine wait once (one more jump of the clock)."""
    return {
        "schema": "ferry.runbook/1", "id": rid, "name": rid, "description": "bundle_midrun",
        "prerequisites": list(prerequisites),
        "startup": {"run": True, "mode": "silent", "migration_image": {"source": "default"},
                    "set_legal_notice": False, "prevent_login": False,
                    "fallback_credentials": {"enabled": True, "username": "ferry-helpdesk",
                                             "deletion_delay_hours": 1} if fallback
                    else {"enabled": False}},
        "device_state": {"cache_user_credentials": False, "remove_from": "none",
                         "domain_join": {"type": "none"}},
        "permission_updates": {"mode": "none"}, "app_reconfiguration": {"reset": []},
        "completion": {"run": False},
    }


def payload(fx, sequence, rbs):
    entries = [{"runbook": r["id"], "available_from": None, "enforced_after": None} for r in rbs]
    return {"sequence": sequence, "issued": "2025-03-01T00:00:00Z",
            "not_after": "2099-01-01T00:00:00Z", "agent": "*",
            "poll_interval_s": 900, "escrow_public_key": fx.escrow_pub,
            "batch": {"schema": "ferry.batch/1", "id": "midrun", "name": "Mid-run",
                      "devices": [MACHINE], "runbooks": entries},
            "runbooks": rbs, "packages": []}


def winpath(p):
    return "Z:" + p.replace("/", "\\")


def serve(fx, work, wine_run, win_bin, bundle2):
    prefix = os.path.join(work, "wineprefix")
    state = os.path.join(work, "svc-state")
    os.makedirs(state)
    check(wine_policy_enroll_key(wine_run, prefix, fx.enroll_key_file, work) == 0,
          "policy EnrollKey written into the Wine prefix's registry")
    argv = [wine_run, "--prefix", prefix, os.path.join(win_bin, "ferrysvc-test.exe"), "run",
            "--rehearse", "--serve", "--fast-clock", "--fast-clock-pace-ms", str(PACE_MS),
            "--state", winpath(state), "--device", MACHINE, "--server", fx.url,
            "--ca", winpath(fx.cert), "--pin", fx.pin, "--signing-key", fx.sign_pub,
            "--poll-s", "1", "--pipe", "\\\\.\\pipe\\Ferry.MidRun.%d" % os.getpid()]
    env = dict(os.environ, FERRY_LOG_DIR=winpath(state))
    err = open(os.path.join(work, "svc-stderr.txt"), "w+")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env,
                         errors="replace")
    lines, out = queue.Queue(), []

    def reader():
        for line in p.stdout:
            out.append(line)
            lines.put(line)
        lines.put(None)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.monotonic() + 300
    switched = False
    while True:
        try:
            line = lines.get(timeout=max(1, deadline - time.monotonic()))
        except queue.Empty:
            print("FAIL the service did not finish in time; stopping it")
            p.kill()
            break
        if line is None:
            break
        print(line, end="", flush=True)
        if not switched and "runbook prep: start" in line:
            fx.control(bundle=bundle2)
            switched = True
            print("-- the server now serves bundle 2", flush=True)
    p.wait()
    t.join(10)
    # The prefix's wineserver outlives the program; end it before cleanup.
    subprocess.run(["wineserver", "-k"], env=dict(os.environ, WINEPREFIX=prefix),
                   capture_output=True, timeout=60)
    err.seek(0)
    return p.returncode, "".join(out), err.read()


def main():
    wine_run, win_bin, ferry = sys.argv[1:4]
    if not shutil.which("wine") and not os.path.exists("/usr/lib/wine/wine64"):
        print("SKIP: wine is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="ferry-midrun-", ignore_cleanup_errors=True) as work:
        fx = ServerFixture(ferry, work)
        prep, after = runbook("prep", True), runbook("after", False, ["prep"])
        bundle1 = fx.sign("one", payload(fx, 1, [prep]))
        bundle2 = fx.sign("two", payload(fx, 2, [prep, after]))
        fx.start(bundle1, wave="midrun", devices=[MACHINE])
        try:
            rc, out, err = serve(fx, work, wine_run, win_bin, bundle2)
        finally:
            fx.stop()
    lines = [l.strip() for l in out.splitlines()]

    def at(text):
        for i, l in enumerate(lines):
            if text in l:
                return i
        return -1
    start, accepted = at("runbook prep: start"), at("bundle sequence 2 accepted")
    done, in_force = at("runbook prep complete"), at("bundle sequence 2 in force")
    after_start, after_done = at("runbook after: start"), at("runbook after complete")
    check(start >= 0, "prep started under bundle 1")
    check(start < accepted < done, "bundle 2 was accepted while prep ran")
    check(done < in_force, "bundle 2 came into force only after prep completed (safe point)")
    check(in_force < after_start < after_done, "the new batch's next runbook ran: after")
    check(at("rehearsal: nothing left for this device") > after_done and rc == 0,
          "the same run ended with nothing left (exit %d)" % rc)
    check(sum("rehearsal: starting from" in l for l in lines) == 1, "the service started once")
    if failures and err:
        print("-- service stderr (last lines):\n" + "\n".join(err.splitlines()[-30:]))
    return verdict("bundle-midrun")


if __name__ == "__main__":
    sys.exit(main())
