#!/usr/bin/env python3
"""Scenario `status_outbox`: status reports through the agent's one outbox.

The real ferry-server and the native `ferry agent` client. Reports are
queued as the service queues them (`status --queue`: the next seq, kept in
agent.json) in the same outbox as events, and `flush` sends them: reports
first, in order, then the events. Checks: the seq rises and survives, a
report the server refuses as malformed is dropped without blocking the
rest, a resent outbox changes nothing on the server (idempotent by seq and
event id), and the wave report shows the device's funnel from the reports.

    status_outbox.py FERRY_BINARY
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import ServerFixture, check, verdict  # noqa: E402


def scenario(fx, work):
    state = os.path.join(work, "agent")
    os.makedirs(state)
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", "STAT-PC-1", "--domain",
                 "SOURCE", "--os", "test")
    check(r.returncode == 0, "enrolled with the enrolment key (%s)" % r.stderr.strip())
    outbox = os.path.join(state, "outbox.jsonl")

    def queue(phase, *extra):
        r = fx.agent(state, "status", "--queue", "--phase", phase, "--runbook", "migration",
                     *extra)
        return r.returncode, r.stdout.strip()

    check(queue("credentials_cached") == (0, "status: queued as seq 1"), "report 1 queued")
    fx.agent(state, "event", "--kind", "runbook_started", "--detail", "runbook migration started")
    check(queue("migrating") == (0, "status: queued as seq 2"), "report 2 queued")
    check(queue("no-such-phase") == (0, "status: queued as seq 3"),
          "report 3 (a phase the server refuses) queued")
    check(queue("unjoined", "--step", "import_odj") == (0, "status: queued as seq 4"),
          "report 4 queued")
    check(json.load(open(os.path.join(state, "agent.json")))["status_seq"] == 4,
          "agent.json keeps the last seq (4)")
    lines = open(outbox).read().splitlines()
    check(len(lines) == 5 and sum('"report"' in l for l in lines) == 4,
          "one outbox: 4 reports and 1 event (%d lines)" % len(lines))
    kept = os.path.join(work, "outbox.copy")
    shutil.copy(outbox, kept)
    r = fx.agent(state, "flush")
    check(r.returncode == 0 and "sent: 4 events and status reports" in r.stdout,
          "flush: 3 reports and 1 event sent, the malformed report dropped (%s%s)"
          % (r.stdout.strip(), r.stderr.strip()))
    check(not os.path.exists(outbox), "the outbox is empty after the flush")
    row = fx.db("SELECT status_seq, status FROM devices WHERE name='STAT-PC-1'")
    check(row and row[0][0] == 4 and json.loads(row[0][1])["phase"] == "unjoined",
          "the server holds report 4 (unjoined) as the device's last (%s)" % (row,))
    # A flush that was cut off after the server stored everything resends it all.
    shutil.copy(kept, outbox)
    r = fx.agent(state, "flush")
    check(r.returncode == 0, "the resent outbox is accepted")
    events = fx.rows("events")
    row2 = fx.db("SELECT status_seq, status FROM devices WHERE name='STAT-PC-1'")
    check(len(events) == 1 and row2 == row,
          "resending changes nothing: %d event(s), device row unchanged" % len(events))
    r = fx.agent(state, "flush")
    check(r.returncode == 0 and "sent: 0" in r.stdout, "a second flush sends nothing")
    check(queue("joined", "--step", "reacl_paths") == (0, "status: queued as seq 5"),
          "the seq goes on from agent.json in a new process (5)")
    r = fx.agent(state, "flush")
    report = fx.admin_ok("report", "--wave", fx.wave)
    print("wave report: " + json.dumps(report))
    check(report["enrolled"] == 1 and report["credentials_cached"] == 1 and
          report["unjoined"] == 1 and report["joined"] == 1 and report["complete"] == 0,
          "the wave report shows STAT-PC-1's funnel up to joined")


def main():
    ferry = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-status-outbox-") as work:
        fx = ServerFixture(ferry, work)
        fx.start(fx.sign("seq1", fx.payload(1)), wave="statuswave", devices=["STAT-PC-1"])
        try:
            scenario(fx, work)
        finally:
            fx.stop()
    return verdict("status_outbox")


if __name__ == "__main__":
    sys.exit(main())
