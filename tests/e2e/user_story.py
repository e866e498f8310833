#!/usr/bin/env python3
"""Scenario `user-story` (design.md §1, steps 1-6) under Wine.

    user_story.py WINE_RUN WIN_BIN_DIR NATIVE_FERRY [OUT_DIR]

What runs: the test migration server (tests/e2e/server.py) whose ODJ
provider is a live Samba AD DC when samba_dc.sh can start one, otherwise the
committed Samba-made blobs (it says which); and the real ferrysvc.exe under
Wine in rehearsal mode with its simulated ("fast test") clock, configured
only with the server's URL, pin and signing key. The service enrols, polls,
accepts the signed reference bundle as its batch, plays the story, fetches
the ODJ blob before the import op, DPAPI-seals it where import reads it,
escrows a fallback password, and posts its events.

It asserts: the experiences in order (the service's narration of each
screen the user answers), the events the server received, the op sequence
the rehearsal recorded, that the blob that reached the import op is
byte-identical to the one the DC produced (SHA-256 and `odj inspect`
fields), and that no password (fallback, machine) nor token appears in any
log, journal, event or output.

The user's answers come from the real clients where Wine allows, in one
Wine prefix on one Xvfb display the test starts (wine-run honours
FERRY_WINE_DISPLAY), the service serving on its test clock (`--serve
--fast-clock`): step 1 through story_tile.exe (the real ferrycp.dll's cache
tile), which under Wine is refused by the service's authz (the caller is the
interactive Wine user, not SYSTEM: no mapped target account), which the test
asserts before `--simulate-cache-after` caches, said plainly; steps 2 and 6
through `ferry-notify.exe --answer start|ok --once`. Without Xvfb the
notifier cannot be driven and the test fails saying so.
OUT_DIR (optional) receives the timeline, records and inspection (scripts/demo).
"""
import base64
import hashlib
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixture import Fixture  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
PIPE = "\\\\.\\pipe\\Ferry.UserStory"  # the clients take the full name
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def say(text):
    print("\n== " + text, flush=True)


def start_dc(work):
    if os.environ.get("FERRY_STORY_NO_SAMBA"):
        return None, "FERRY_STORY_NO_SAMBA is set"
    r = subprocess.run([os.path.join(HERE, "samba_dc.sh"), "start", work],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return None, (r.stdout + r.stderr).strip().splitlines()[-1:] or ["samba_dc.sh failed"]
    return open(os.path.join(work, "dc.env")).read().strip(), "live Samba AD DC target.test"


def main():
    wine_run, win_bin, ferry = sys.argv[1:4]
    out_dir = sys.argv[4] if len(sys.argv) > 4 else None
    if not shutil.which("wine") and not os.path.exists("/usr/lib/wine/wine64"):
        print("SKIP: wine is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="ferry-user-story-") as work:
        dc, why = start_dc(work)
        try:
            if dc:
                fx = Fixture(ferry, work, target_domain="target.test", samba_dc=dc)
                machine = "FIN-PC-001"
            else:
                print("NOTE: no live DC (%s); the server's ODJ provider is the committed "
                      "Samba-made blob tests/data/odj/samba-ferrypc01.odj" % why)
                fx = Fixture(ferry, work, target_domain="ferry.test",
                             odj_blobs=os.path.join(ROOT, "tests", "data", "odj"))
                machine = "FERRYPC01"
            fx.start(fx.sign("ref", fx.payload(1)))
            try:
                story(fx, work, wine_run, win_bin, machine, out_dir)
            finally:
                fx.stop()
        finally:
            if dc:
                subprocess.run([os.path.join(HERE, "samba_dc.sh"), "stop", work], timeout=60)
    print("user-story: %s" % ("all checks passed" if not failures else
                              "%d check(s) failed" % len(failures)))
    return 1 if failures else 0


def winpath(p):
    return "Z:" + p.replace("/", "\\")


TILE_USER = "TARGET\\jdoe"
SIMULATE_CACHE_S = 20  # real seconds the service waits for the tile before simulating


def start_xvfb():
    """A private X display for the notifier (and so for the whole prefix)."""
    if not shutil.which("Xvfb"):
        return None, None
    rfd, wfd = os.pipe()
    p = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "1280x1024x24",
                          "-nolisten", "tcp"], pass_fds=(wfd,),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        num = f.readline().strip()
    if not num.isdigit():
        p.kill()
        p.wait()
        return None, None
    return p, ":" + num


class Wine:
    """One prefix, one display: the service, the tile and the notifier."""

    def __init__(self, wine_run, win_bin, work, display):
        self.wine_run, self.win_bin = wine_run, win_bin
        self.prefix = os.path.join(work, "wineprefix")
        self.env = dict(os.environ)
        if display:
            self.env["FERRY_WINE_DISPLAY"] = display

    def argv(self, exe, *args):
        return [self.wine_run, "--prefix", self.prefix, os.path.join(self.win_bin, exe)] + \
            list(args)

    def trust_the_service(self):
        """What the pipe clients expect of the server (winutil/wu_pipe.c). As a
        Windows service ferrysvc.exe runs as SYSTEM from the SCM's path; here
        Wine runs it as the prefix's one user (S-1-5-21-0-0-0-1000) from the
        build folder, so the administrators-only test key names both (the
        checks themselves run unchanged: win.test_pipe_trust)."""
        key = r"HKLM\SOFTWARE\Ferry\Test"
        image = "Z:" + os.path.join(self.win_bin, "ferrysvc.exe").replace("/", "\\")
        for name, value in (("PipeServerImage", image), ("PipeServerSid", "S-1-5-21-0-0-0-1000")):
            subprocess.run([self.wine_run, "--prefix", self.prefix, "reg", "add", key, "/v", name,
                            "/t", "REG_SZ", "/d", value, "/f"], capture_output=True, timeout=120,
                           env=self.env, check=True)

    def client(self, exe, *args):
        r = subprocess.run(self.argv(exe, *args), capture_output=True, text=True, timeout=120,
                           env=self.env, errors="replace")
        print("   %s %s -> exit %d: %s" % (exe, " ".join(a for a in args if "pw" not in a),
                                         r.returncode, r.stdout.strip().replace("\n", " | ")))
        return r


def run_service(fx, work, wine, machine, drive):
    """ferrysvc.exe serving on the test clock; `drive` answers its turns."""
    state = os.path.join(work, "svc-state")
    os.makedirs(state)
    argv = wine.argv("ferrysvc.exe", "run", "--rehearse", "--serve", "--fast-clock",
                     "--simulate-cache-after", str(SIMULATE_CACHE_S), "--state",
                     winpath(state), "--device", machine, "--server", fx.url, "--ca",
                     winpath(fx.cert), "--pin", fx.pin, "--signing-key", fx.sign_pub,
                     "--pipe", PIPE)
    env = dict(wine.env, FERRY_LOG_DIR=winpath(state))
    err = open(os.path.join(work, "svc-stderr.txt"), "w+")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env,
                         errors="replace")
    lines = queue.Queue()
    out = []

    def reader():
        for line in p.stdout:
            out.append(line)
            lines.put(line)
        lines.put(None)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.monotonic() + 240
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
        if "waiting for the user: " in line:
            drive(line.split("waiting for the user: ", 1)[1].strip())
    p.wait()
    t.join(10)
    err.seek(0)
    return p.returncode, "".join(out), err.read(), state


def story(fx, work, wine_run, win_bin, machine, out_dir):
    xvfb, display = start_xvfb()
    wine = Wine(wine_run, win_bin, work, display)
    try:
        wine.trust_the_service()
        return story_on(fx, work, wine, machine, out_dir)
    finally:
        # The prefix's wineserver and desktop outlive the programs; end them
        # before the display and before the work directory goes.
        subprocess.run(["wineserver", "-k"], env=dict(os.environ, WINEPREFIX=wine.prefix),
                       capture_output=True, timeout=60)
        if xvfb:
            xvfb.terminate()
            xvfb.wait()


def story_on(fx, work, wine, machine, out_dir):
    typed = secrets.token_urlsafe(18)  # what the user types into the tile
    pwfile = os.path.join(work, "tile-password.txt")  # outside the service's state
    open(pwfile, "w").write(typed + "\n")
    said = {}

    def drive(experience):
        if experience == "cache_credentials":
            say("Step 1: the real ferrycp.dll's cache tile (story_tile.exe) answers")
            said["tile"] = wine.client("story_tile.exe", PIPE, TILE_USER, winpath(pwfile))
        elif experience == "migration_available" and wine.env.get("FERRY_WINE_DISPLAY"):
            say("Step 2: ferry-notify.exe presses \"Start now\"")
            said["start"] = wine.client("ferry-notify.exe", "--pipe", PIPE, "--answer", "start",
                                        "--once")
        elif experience == "migration_complete" and wine.env.get("FERRY_WINE_DISPLAY"):
            say("Step 6: ferry-notify.exe presses \"OK\" on \"migration complete\"")
            said["ack"] = wine.client("ferry-notify.exe", "--pipe", PIPE, "--answer", "ok",
                                      "--once")
        else:
            print("FAIL nothing can answer %s here" % experience)

    if not wine.env.get("FERRY_WINE_DISPLAY"):
        print("NOTE: Xvfb is not installed: ferry-notify.exe cannot show its dialogs, so the "
              "test cannot answer steps 2 and 6 for real")
        failures.append("no X display for ferry-notify (install xvfb)")
        return
    say("ferrysvc.exe (serving on the test clock) against the server at %s, display %s"
        % (fx.url, wine.env["FERRY_WINE_DISPLAY"]))
    t0 = time.monotonic()
    rc, out, err, state = run_service(fx, work, wine, machine, drive)
    print("(the service ran %.0f s)" % (time.monotonic() - t0))
    slog = open(os.path.join(work, "server.log"), errors="replace").read().splitlines()
    for line in slog:
        if "odj provider" in line:
            print(line)
    check(rc == 0, "ferrysvc run --rehearse --serve --fast-clock exited 0 (%s; %s)"
          % (rc, err.strip()[-400:]))

    say("Who answered each of the user's turns")
    tile = said.get("tile")
    check(tile is not None and tile.returncode == 2 and "outcome=refused" in tile.stdout
          and "tile user=" in tile.stdout,
          "step 1: the real tile reached the service and shows its refusal (Wine's caller is "
          "the interactive user, not SYSTEM: no mapped target account)")
    check("caches the target credentials (simulated after" in out,
          "step 1: then the service's simulated user cached")
    print("step 1: simulated after the real tile was refused (Wine has no SYSTEM LogonUI caller)")
    for key, answer, narration, step in (
            ("start", "answer=start_now", "user: start now (pipe)", 2),
            ("ack", "answer=ack_complete", "user: acknowledges \"migration complete\" (pipe)",
             6)):
        r = said.get(key)
        check(r is not None and r.returncode == 0 and answer in r.stdout and narration in out,
              "step %d: ferry-notify.exe sent %s and the service took it over the pipe"
              % (step, answer[7:]))
    r = subprocess.CompletedProcess([], rc, out, err)

    say("The experiences, in order (design.md §1)")
    wanted = ["caches the target credentials", "start now", "runbook migration: start",
              "runbook migration complete", "acknowledges \"migration complete\""]
    pos, seen = 0, []
    for w in wanted:
        i = out.find(w, pos)
        seen.append(i >= 0)
        if i >= 0:
            pos = i
    check(all(seen), "experiences in order: " + " -> ".join(wanted))

    say("The op sequence the rehearsal recorded")
    recs_path = os.path.join(state, "rehearsal-records.txt")
    recs = open(recs_path, errors="replace").read() if os.path.exists(recs_path) else ""
    ops = [line.split(" ", 1)[0] for line in recs.splitlines() if line]
    print(" ".join(ops))
    order = ["cache_credentials_prompt", "create_fallback_account", "set_lock_screen",
             "set_legal_notice", "set_prevent_login", "unjoin_domain", "leave_entra", "reboot",
             "odj_sealed_for_import", "import_odj", "reboot", "reacl_paths",
             "reacl_registry_hives", "remap_profile", "reset_apps", "restore_lock_screen",
             "restore_legal_notice", "clear_prevent_login", "reboot", "delete_fallback_account"]
    pos, missing = 0, []
    for op in order:
        try:
            pos = ops.index(op, pos) + 1
        except ValueError:
            missing.append(op)
    check(not missing, "ops in order %s (missing/out of order: %s)" % (order, missing))

    say("The ODJ blob that reached the import op")
    rows = fx.rows("odj")
    check(len(rows) == 1, "the server provisioned one blob (source %s)"
          % (rows[0][4] if rows else "none"))
    sealed_rec = [line for line in recs.splitlines() if line.startswith("odj_sealed_for_import")]
    got = sealed_rec[0].split("sha256=")[1].strip() if sealed_rec else ""
    check(rows and got == rows[0][3], "byte-identical to the DC's blob (sha256 %s)" % got)
    insp_path = os.path.join(state, "rehearsal-odj-inspect.json")
    insp = json.load(open(insp_path)) if os.path.exists(insp_path) else {}
    text = json.dumps(insp).lower()
    check(fx.target_domain in text and machine.lower() in text,
          "odj inspect of the imported blob: domain %s, machine %s" % (fx.target_domain, machine))
    if rows and rows[0][4].startswith("committed:"):
        ref = json.loads(fx.cli("odj", "inspect", os.path.join(
            ROOT, "tests", "data", "odj", rows[0][4][10:]), "--json").stdout)
        check(ref == insp, "odj inspect fields equal the committed blob's inspection")

    say("What the server received")
    kinds = [k for _, k, _ in fx.rows("events")]
    print(kinds)
    details = " | ".join(str(d) for _, _, d in fx.rows("events"))
    print(details)
    check(kinds[:1] == ["service_started"], "first event: service_started")
    for d in ("runbook cache-credentials complete", "runbook migration started",
              "runbook migration complete"):
        check(d in details, "server received \"%s\"" % d)
    check(len(kinds) >= 4, "server received the milestones (%d events)" % len(kinds))
    esc = fx.rows("fallback")
    check(len(esc) == 1, "one fallback password escrowed")

    say("No secret anywhere")
    secrets_ = [typed]
    pw = None
    if esc:
        pw = open_escrow(fx, work, esc[0])
        if pw:
            secrets_.append(pw)
    check(pw is not None and len(pw) >= 20, "escrowed password opened with the server's key")
    texts = out + r.stderr + open(os.path.join(work, "server.log"), errors="replace").read()
    texts += json.dumps(fx.rows("events"))
    texts += "".join(c.stdout + c.stderr for c in said.values())  # the clients' output
    for root, _, files in os.walk(state):
        for f in files:
            if not f.endswith((".dpapi", ".sealed")):
                texts += open(os.path.join(root, f), errors="replace").read()
    blob = served_blob(fx, rows)
    if blob:
        hexpw = machine_password_hex(blob)
        if hexpw:
            pw16 = bytes.fromhex(hexpw)
            secrets_ += [hexpw, pw16.decode("utf-16-le", errors="replace"),
                         base64.b64encode(pw16).decode()]
    check(len(secrets_) >= 3, "secrets to look for: the tile's password, fallback and machine "
          "password (%d forms)"
          % len(secrets_))
    check(not any(s and s in texts for s in secrets_),
          "no password in any log, journal, record, event or output")
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        open(os.path.join(out_dir, "story-output.txt"), "w").write(out)
        open(os.path.join(out_dir, "story-records.txt"), "w").write(recs)
        json.dump(insp, open(os.path.join(out_dir, "story-odj.json"), "w"), indent=1)
        json.dump({"events": fx.rows("events"), "odj": rows},
                  open(os.path.join(out_dir, "story-server.json"), "w"), indent=1)


def open_escrow(fx, work, row):
    """The escrowed password as helpdesk would read it (the server's key)."""
    src, dst = os.path.join(work, "escrow.sealed"), os.path.join(work, "escrow.plain")
    open(src, "wb").write(base64.b64decode(row[1]))
    r = fx.cli("seal", "open", "--key", fx.escrow_key, "--aad", row[0], "--in", src,
               "--out", dst, check=False)
    if r.returncode != 0:
        print("escrow open failed: " + r.stderr.strip())
        return None
    pw = open(dst, "rb").read().decode("utf-8", errors="replace")
    os.remove(dst)
    return pw


def served_blob(fx, rows):
    if not rows:
        return None
    p = os.path.join(fx.state, "served-%s.odj" % rows[0][3])
    return p if os.path.exists(p) else None


def machine_password_hex(blob_path):
    helper = os.environ.get("FERRY_ODJ_REENCODE")
    if not helper:
        return None
    r = subprocess.run([helper, "--password-hex", blob_path], capture_output=True, text=True,
                       timeout=30)
    return r.stdout.strip() or None


if __name__ == "__main__":
    sys.exit(main())
