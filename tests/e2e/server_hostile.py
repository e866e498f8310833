#!/usr/bin/env python3
"""Scenario `server_hostile`: ferry-server against hostile agents and admins.

The real ferry-server (init, run) with the native `ferry agent` client, and
raw HTTPS requests where the client would never send what an attacker does.
Each case asserts the refusal, its reason, that nothing was stored, and
that the server keeps serving (health, and the database's integrity_check).

    server_hostile.py FERRY_BINARY
"""
import base64
import json
import os
import ssl
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture import ServerFixture, ROOT, check, verdict  # noqa: E402


class Http:
    def __init__(self, fx):
        self.fx = fx
        self.ctx = ssl.create_default_context(cafile=fx.cert)

    def __call__(self, method, path, body=None, token=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        req = urllib.request.Request(self.fx.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (ConnectionError, urllib.error.URLError) as e:
            return -1, str(e).encode()


def token_of(state):
    return open(os.path.join(state, "agent.token")).read().strip()


def agent_id(state):
    return json.load(open(os.path.join(state, "agent.json")))["id"]


def main():
    ferry = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-srv-hostile-") as work:
        fx = ServerFixture(ferry, work, target_domain="ferry.test")
        bundle = fx.sign("seq2", fx.payload(2))
        fx.start(bundle, wave="wave1", devices=["FERRYPC01", "FIN-PC-002"])
        try:
            scenario(fx, work, Http(fx))
        finally:
            fx.stop()
    return verdict("server_hostile")


def enroll(fx, work, name, machine, **kw):
    state = os.path.join(work, name)
    os.makedirs(state, exist_ok=True)
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", machine, "--domain", "SOURCE",
                 "--os", "test", **kw)
    return state, r


def healthy(fx, http, what):
    st, body = http("GET", "/v1/health")
    integrity = fx.db("PRAGMA integrity_check")
    check(st == 200 and integrity == [("ok",)],
          "%s: the server keeps serving (health %d, integrity %s)" % (what, st, integrity))


def scenario(fx, work, http):
    st, body = http("GET", "/v1/health")
    check(st == 200 and json.loads(body)["status"] == "ok", "GET /v1/health: 200 without a token")

    # Enrolment without or with a wrong key: refused, nothing stored.
    _, r = enroll(fx, work, "nokey", "FERRYPC01", enroll_key=False)
    check(r.returncode != 0 and "403" in r.stderr, "enrolment without a key: refused (%s)"
          % r.stderr.strip())
    bad = os.path.join(work, "wrong.key")
    open(bad, "w").write("not-the-enrolment-key\n")
    state = os.path.join(work, "wrongkey")
    os.makedirs(state)
    r = fx.agent(state, "enroll", "--server", fx.url, "--machine", "FERRYPC01", "--domain",
                 "SOURCE", enroll_key=False, *["--enroll-key-file", bad])
    check(r.returncode != 0 and "403" in r.stderr, "enrolment with a wrong key: refused")
    check(fx.db("SELECT count(*) FROM agents") == [(0,)], "no agent stored for either")

    # The honest agent.
    a1, r = enroll(fx, work, "a1", "FERRYPC01")
    check(r.returncode == 0, "enrolment with the key: " + (r.stdout + r.stderr).strip())
    r = fx.agent(a1, "poll")
    check(r.returncode == 0 and "new: sequence 2" in r.stdout, "the wave's signed bundle accepted")
    r = fx.agent(a1, "poll")
    check(r.returncode == 0 and "unchanged" in r.stdout, "second poll: ETag hit (304)")

    # A second agent claiming an enrolled name: held, never granted silently.
    a2, r = enroll(fx, work, "a2", "FERRYPC01")
    check(r.returncode == 3 and "approval" in r.stderr,
          "second agent claiming FERRYPC01: held for approval (%s)" % r.stderr.strip())
    check(not os.path.exists(os.path.join(a2, "agent.token")), "the claimant got no token")
    pend = fx.admin_ok("enrolments", "--status", "pending")
    check(len(pend) == 1 and pend[0]["device"] == "FERRYPC01", "one pending enrolment listed")
    r = fx.agent(a1, "poll")
    check(r.returncode == 0, "the enrolled agent keeps working meanwhile")
    r = fx.admin("enrolments", "deny", str(pend[0]["id"]))
    check(r.returncode == 0, "admin denies the claim")
    _, r = enroll(fx, work, "a2", "FERRYPC01")
    check(r.returncode != 0 and "403" in r.stderr, "a denied claimant stays refused")

    # /odj for a device in no wave: refused; the body never chooses the device.
    a3, r = enroll(fx, work, "a3", "NOWAVE-PC")
    check(r.returncode == 0, "an agent for a device in no wave enrols")
    r = fx.agent(a3, "fetch-odj", "--out", os.path.join(work, "x.odj"), "--target-domain",
                 "ferry.test")
    check(r.returncode != 0 and not os.path.exists(os.path.join(work, "x.odj")),
          "/odj for a device in no wave: refused (%s)" % r.stderr.strip()[:120])
    st, body = http("POST", "/v1/agents/%s/odj" % agent_id(a3),
                    {"machine": "FERRYPC01", "domain": "ferry.test"}, token=token_of(a3))
    check(st == 404 and b"NOWAVE-PC" in body,
          "/odj naming FERRYPC01 in the body still answers for NOWAVE-PC (%d %s)" % (st, body[:80]))

    # ODJ import: validated for the device and its wave's domain, sealed to its agent.
    blob = os.path.join(ROOT, "tests/data/odj/samba-ferrypc01.odj")
    other = os.path.join(ROOT, "tests/data/odj/samba-ferry-laptop-7.odj")
    r = fx.admin("odj", "import", "FERRYPC01", other)
    check(r.returncode != 0 and "MachineName" in r.stderr,
          "import of another machine's blob: refused (%s)" % r.stderr.strip()[:120])
    r = fx.admin("odj", "import", "FIN-PC-002", blob)
    check(r.returncode != 0 and "not enrolled" in r.stderr, "import for an unenrolled device: refused")
    dry = os.path.join(work, "dry.odj")
    r = fx.agent(a1, "fetch-odj", "--out", dry, "--dry-run")
    check(r.returncode == 3 and "dry run" in r.stderr and "nothing was queued" in r.stderr and
          not fx.rows("odj"), "a dry run (rehearsal) before any blob: not yet, and nothing stored "
          "(%s)" % r.stderr.strip()[:160])
    r = fx.admin("odj", "import", "FERRYPC01", blob)
    check(r.returncode == 0, "import of FERRYPC01's blob")
    r = fx.agent(a1, "fetch-odj", "--out", dry, "--dry-run")
    check(r.returncode == 0 and open(dry, "rb").read() == open(blob, "rb").read(),
          "a dry run after the import: the stored blob, opened and validated, read only")
    r = fx.agent(a1, "fetch-odj", "--out", dry, "--ou", "OU=Elsewhere,DC=ferry,DC=test")
    check(r.returncode != 0 and "403" in r.stderr and "computer_ou" in r.stderr,
          "/odj with a computer_ou that is not the assignment's: refused (%s)"
          % r.stderr.strip()[:160])
    out = os.path.join(work, "blob.odj")
    r = fx.agent(a1, "fetch-odj", "--out", out)
    check(r.returncode == 0 and open(out, "rb").read() == open(blob, "rb").read(),
          "the agent opens, validates and gets the blob byte-identical (%s)" % r.stderr.strip())
    s1 = http("POST", "/v1/agents/%s/odj" % agent_id(a1), {}, token=token_of(a1))
    s2 = http("POST", "/v1/agents/%s/odj" % agent_id(a1), {"domain": "evil.test"},
              token=token_of(a1))
    check(s1[0] == 200 and s1 == s2, "the same sealed bytes on every retry, whatever the body says")

    # Bodies: oversized, malformed, invalid.
    st, _ = http("POST", "/v1/agents/enroll", raw=b"{" + b" " * (1024 * 1024) + b"}")
    # the server answers 413 from Content-Length and closes; the client may still be
    # sending and see a reset instead, so the server's log is the witness
    log = open(os.path.join(work, "server.log")).read()
    check(st in (413, -1) and "POST /v1/agents/enroll -> 413" in log,
          "1 MiB enrolment body: 413 (%d)" % st)
    st, body = http("POST", "/v1/agents/enroll", raw=b"{\"machine\": ")
    check(st == 400 and b"malformed" in body, "malformed JSON: 400 (%s)" % body[:80])
    st, body = http("POST", "/v1/agents/enroll", {"machine": "A" * 40, "domain": "S", "os": "x",
                                                  "public_key": "AAAA"})
    check(st == 400 and b"computer name" in body, "a 40-character machine name: 400")
    tok, aid = token_of(a1), agent_id(a1)
    st, body = http("POST", "/v1/agents/%s/events" % aid, {"events": [{"id": "x'; DROP", "kind": "k"}]},
                    token=tok)
    check(st == 400 and b"/events/0" in body, "an event with a hostile id: 400 naming it")
    st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": 1, "phase": "pwned"}, token=tok)
    check(st == 400 and b"phase" in body, "a status with an unknown phase: 400")
    st, _ = http("GET", "/v1/agents/%s/assignment" % aid, token="forged")
    check(st == 401, "a forged token: 401")
    st, _ = http("GET", "/v1/agents/../admin/waves", token=tok)
    check(st in (400, 404), "a dot-dot path: refused (%d)" % st)
    # A race for one name: twenty enrolments at once, twenty keys; one wins.
    import threading
    key = open(fx.enroll_key_file).read().strip()
    results = []

    def racer():
        results.append(http("POST", "/v1/agents/enroll", {
            "machine": "RACE-PC", "domain": "S", "os": "x", "enroll_key": key,
            "public_key": base64.b64encode(os.urandom(32)).decode()})[0])
    threads = [threading.Thread(target=racer) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(sorted(results).count(201) == 1 and results.count(202) == 19,
          "20 concurrent enrolments of one name: one granted, 19 held (%s)" % sorted(results))
    # A client that sends half a request and stalls does not stall the others.
    import socket
    import ssl as ssl_
    raw = socket.create_connection(("127.0.0.1", int(fx.url.rsplit(":", 1)[1])))
    slow = ssl_.create_default_context(cafile=fx.cert).wrap_socket(raw, server_hostname="127.0.0.1")
    slow.send(b"POST /v1/agents/enroll HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    import time
    t0 = time.monotonic()
    st, _ = http("GET", "/v1/health")
    check(st == 200 and time.monotonic() - t0 < 5, "a stalled client does not stall /v1/health")
    slow.close()
    healthy(fx, http, "after the hostile bodies")

    # Status: idempotent by sequence; the funnel and the filters.
    for seq, phase in ((1, "idle"), (2, "credentials_cached"), (3, "unjoined")):
        st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": seq, "phase": phase,
                        "runbook": "migration", "step": "unjoin", "attempt": 1,
                        "cached_users": ["TARGET\\jdoe"], "free_disk_mb": 5000}, token=tok)
        check(st == 200 and not json.loads(body)["duplicate"], "status seq %d (%s) stored" % (seq, phase))
    st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": 2, "phase": "idle"}, token=tok)
    check(st == 200 and json.loads(body)["duplicate"], "a resent older sequence is a duplicate")
    rep = fx.admin_ok("report", "--wave", "wave1", "--format", "json")
    check(rep["expected"] == 2 and rep["enrolled"] == 1 and rep["credentials_cached"] == 1 and
          rep["blob_ready"] == 1 and rep["unjoined"] == 1 and rep["joined"] == 0,
          "funnel: expected 2, enrolled 1, creds 1, blob 1, unjoined 1, joined 0 (%s)" % rep)
    csv = fx.admin("report", "--wave", "wave1", "--format", "csv").stdout
    check("unjoined,1" in csv and "FERRYPC01,wave1,active,unjoined" in csv, "CSV report")
    st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": 4, "phase": "failed",
                    "error": {"code": 1355, "api": "NetRequestOfflineDomainJoin",
                              "message": "the specified domain does not exist"}}, token=tok)
    # A rehearsal's reports are recorded, never acted on: a rehearsed
    # "joined" neither moves the funnel nor deletes the device's blob.
    st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": 5, "phase": "joined",
                    "rehearsal": True}, token=tok)
    check(st == 200 and json.loads(body).get("rehearsal") is True, "a rehearsal's report: 200")
    st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": 5, "phase": "joined",
                    "rehearsal": True}, token=tok)
    check(st == 200 and json.loads(body)["duplicate"], "a resent rehearsal report: duplicate")
    st, body = http("POST", "/v1/agents/%s/status" % aid, {"seq": 6, "phase": "joined",
                    "rehearsal": "yes"}, token=tok)
    check(st == 400 and b"rehearsal" in body, "/rehearsal not a boolean: 400")
    dev = [d for d in fx.admin_ok("devices", "--wave", "wave1") if d["name"] == "FERRYPC01"]
    check(dev and dev[0]["phase"] == "failed" and dev[0]["blob"] == 1 and
          fx.admin_ok("report", "--wave", "wave1", "--format", "json")["joined"] == 0,
          "after a rehearsed 'joined': phase still failed, blob kept, funnel joined 0 (%s)"
          % (dev[0] if dev else None))
    check([k for _, k, _ in fx.rows("events")].count("rehearsal_status") == 1,
          "the rehearsal's report is kept as one rehearsal_status event")
    failed = fx.admin_ok("devices", "--wave", "wave1", "--state", "failed")
    check(len(failed) == 1 and failed[0]["name"] == "FERRYPC01" and
          "does not exist" in failed[0]["error"], "devices --state failed lists FERRYPC01")

    # Escrow: only a seal this server can open for this agent; replacement audited.
    pw = os.path.join(work, "pw")
    open(pw, "w").write("Break-Glass-Pa55!")
    r = fx.agent(a1, "escrow", "--server-key", fx.escrow_pub, "--password-file", pw)
    check(r.returncode == 0, "fallback password escrowed")
    junk = base64.b64encode(os.urandom(120)).decode()
    st, _ = http("POST", "/v1/agents/%s/fallback" % aid, {"sealed": junk}, token=tok)
    check(st == 400, "an escrow not sealed to the server's key: 400, the old one kept")
    open(pw, "w").write("Second-Pa55word!")
    r = fx.agent(a1, "escrow", "--server-key", fx.escrow_pub, "--password-file", pw)
    rows = fx.db("SELECT actor, action, target FROM audit WHERE action='escrow.replace'")
    check(r.returncode == 0 and len(rows) == 1 and rows[0][2] == "FERRYPC01",
          "a second escrow replaces the first with an audit row (%s)" % rows)

    # Helpdesk reveal: the helpdesk role only, with a reason, audited.
    r = fx.admin("fallback", "reveal", "FERRYPC01", "--reason", "user locked out, ticket 4711")
    check(r.returncode != 0 and "403" in r.stderr, "reveal with the admin role: 403")
    hd = fx.admin_ok("tokens", "create", "alice", "--role", "helpdesk")
    hdf = os.path.join(work, "helpdesk.token")
    open(hdf, "w").write(hd["token"])
    r = fx.admin("fallback", "reveal", "FERRYPC01", "--reason", "user locked out, ticket 4711",
                 token=hdf)
    check(r.returncode == 0 and json.loads(r.stdout)["password"] == "Second-Pa55word!",
          "helpdesk reveals the escrowed password")
    rows = fx.db("SELECT actor, role, detail FROM audit WHERE action='fallback.reveal'")
    check(any(a == "alice" and "ticket 4711" in d and "HTTP 200" in d for a, _, d in rows) and
          any(ro == "admin" and "HTTP 403" in d for _, ro, d in rows),
          "audit rows: the denied admin attempt and alice's reveal with its reason")
    aud = fx.admin_ok("tokens", "create", "audrey", "--role", "auditor")
    audf = os.path.join(work, "auditor.token")
    open(audf, "w").write(aud["token"])
    r = fx.admin("waves", "create", "sneaky", token=audf)
    check(r.returncode != 0 and "403" in r.stderr, "an auditor cannot create a wave")
    check(fx.db("SELECT count(*) FROM waves WHERE name='sneaky'") == [(0,)], "no wave created")
    r = fx.admin("tokens", "revoke", "audrey")
    check(r.returncode == 0, "admin revokes the auditor's token")
    r = fx.admin("audit", token=audf)
    check(r.returncode != 0 and "401" in r.stderr, "a revoked token is refused (401)")
    check(fx.db("SELECT count(*) FROM tokens WHERE sha256 LIKE '%' || ? || '%'",
                hd["token"]) == [(0,)], "tokens are stored hashed, never as given")

    # Bundles the admin did not sign are refused.
    other_key = os.path.join(work, "other.key")
    fx.cli("bundle", "keygen", "--out", other_key)
    foreign = os.path.join(work, "foreign.json")
    json.dump(fx.payload(9), open(os.path.join(work, "foreign.payload.json"), "w"))
    fx.cli("bundle", "sign", "--key", other_key, os.path.join(work, "foreign.payload.json"),
           "--out", foreign)
    r = fx.admin("waves", "bundle", "wave1", foreign)
    check(r.returncode != 0 and "signature" in r.stderr,
          "a bundle signed by another key: refused (%s)" % r.stderr.strip()[:120])

    # Protocol v2: the catalog the admin signed, the assignment the server signs.
    cat = v2(fx, work, http, a1)
    # The translation table: imported, checked, put into every assignment.
    table(fx, work, http, a1, cat, hdf)

    # Metrics.
    st, _ = http("GET", "/metrics")
    check(st == 401, "/metrics without a token: 401")
    st, body = http("GET", "/metrics", token=open(fx.admin_token).read().strip())
    check(st == 200 and b'ferry_devices{state="failed"} 1' in body and
          b"ferry_enrolments_pending 19" in body, "/metrics in Prometheus text")
    healthy(fx, http, "at the end")
    texts = open(os.path.join(work, "server.log")).read()
    check("Second-Pa55word!" not in texts and tok not in texts and hd["token"] not in texts,
          "no password or token in the server's log")


def v2(fx, work, http, a1):
    import time
    payload = json.load(open(os.path.join(ROOT, "tests/data/catalog/payload.json")))
    server_pub = open(os.path.join(fx.srv, "keys", "assignment.pub")).read().strip()

    def catalog(name, key, assignment_key, seq):
        payload.update(sequence=seq, assignment_key=assignment_key)
        src, out = os.path.join(work, name + ".payload.json"), os.path.join(work, name + ".json")
        json.dump(payload, open(src, "w"))
        fx.cli("catalog", "sign", "--key", key, src, "--out", out)
        return out

    other_key = os.path.join(work, "other.key")
    r = fx.admin("catalog", "upload", catalog("cat-foreign", other_key, server_pub, 1))
    check(r.returncode != 0 and "does not verify" in r.stderr, "a catalog not signed by the admin: refused")
    r = fx.admin("catalog", "upload", catalog("cat-otherkey", fx.sign_key, fx.cli(
        "bundle", "keygen", "--out", os.path.join(work, "k3")).stdout.strip(), 1))
    check(r.returncode != 0 and "not this server's assignment key" in r.stderr,
          "a catalog naming another assignment key: refused")
    # The migration runbook creates a fallback account: its catalog must name
    # this server's escrow key, which helpdesk's reveal opens.
    r = fx.admin("catalog", "upload", catalog("cat-noescrow", fx.sign_key, server_pub, 1))
    check(r.returncode != 0 and "HTTP 400" in r.stderr and "creates a fallback account but "
          "the catalog has no /escrow_public_key" in r.stderr,
          "a catalog with a fallback runbook and no escrow key: refused (%s)" % r.stderr.strip())
    payload["escrow_public_key"] = fx.cli("seal", "keygen", "--out",
                                          os.path.join(work, "other-escrow.key")).stdout.strip()
    r = fx.admin("catalog", "upload", catalog("cat-otherescrow", fx.sign_key, server_pub, 1))
    check(r.returncode != 0 and "HTTP 400" in r.stderr and "not this server's escrow key" in r.stderr,
          "a catalog naming another escrow key: refused (%s)" % r.stderr.strip())
    payload["escrow_public_key"] = fx.escrow_pub
    cat = catalog("cat", fx.sign_key, server_pub, 2)
    r = fx.admin("catalog", "upload", cat)
    check(r.returncode == 0, "the admin's catalog uploaded (%s)" % r.stderr.strip())
    r = fx.admin("catalog", "upload", catalog("cat-old", fx.sign_key, server_pub, 1))
    check(r.returncode != 0, "an older catalog: refused")
    aid, tok = agent_id(a1), token_of(a1)
    # The wave's v1 bundle joins ferry.test, which this catalog does not allow:
    # /odj refuses to hand out (or provision) a blob outside what the admin signed.
    st, body = http("POST", "/v1/agents/%s/odj" % aid, {"domain": "ferry.test"}, token=tok)
    check(st == 403 and b"signed catalog" in body,
          "/odj for a target the signed catalog does not allow: 403 (%d %s)" % (st, body[:120]))
    st, _ = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    check(st == 304, "v2 assignment before the wave has runbook windows: 304 (%d)" % st)
    r = fx.admin("waves", "runbook", "wave1", "wipe-disk", "--available-from", "none",
                 "--enforced-after", "none")
    check(r.returncode != 0 and "not in the signed catalog" in r.stderr,
          "a wave runbook not in the catalog: refused (%s)" % r.stderr.strip())
    fx.admin_ok("waves", "runbook", "wave1", "cache-credentials", "--available-from", "none",
                "--enforced-after", "none")
    fx.admin_ok("waves", "runbook", "wave1", "migration", "--available-from",
                "2026-01-05T08:00:00Z", "--enforced-after", "2026-01-09T18:00:00Z")
    st, env = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    got = os.path.join(work, "assignment.json")
    open(got, "wb").write(env)
    r = fx.cli("assignment", "verify", "--catalog", cat, "--admin-key", fx.sign_pub, "--agent",
               aid, "--now", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), got,
               check=False)
    check(st == 200 and r.returncode == 0 and "wave wave1" in r.stdout,
          "the server's assignment verifies as an agent would (%s)" % (r.stdout + r.stderr).strip())
    doc = json.loads(env)["payload"]
    check(doc["device"] == "FERRYPC01" and doc["target"]["dns_domain"] == "target.example" and
          doc["batch"]["runbooks"][1]["available_from"] == "2026-01-05T08:00:00Z",
          "it carries the device, the catalog's target and the wave's windows")
    st2, env2 = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    check(st2 == 200 and env2 == env, "unchanged inputs: the same signed bytes again")
    fx.admin_ok("waves", "runbook", "wave1", "migration", "--available-from",
                "2026-01-06T08:00:00Z", "--enforced-after", "2026-01-09T18:00:00Z")
    st3, env3 = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    check(st3 == 200 and json.loads(env3)["payload"]["sequence"] == doc["sequence"] + 1,
          "a changed window: a new assignment, sequence + 1")
    st, _ = http("GET", "/v2/agents/%s/catalog" % aid, token=tok)
    check(st == 200, "GET /v2/agents/{id}/catalog: 200")
    # The agent's own v2 client (core/net/agent_v2.c): fetched, verified, kept;
    # then no v1 bundle any more (a stolen server's downgrade).
    r = fx.agent(a1, "poll", "--v2")
    check(r.returncode == 0 and "new: assignment sequence %d (catalog sequence 2)"
          % (doc["sequence"] + 1) in r.stdout, "the agent's v2 poll accepts the pair (%s)"
          % (r.stdout + r.stderr).strip())
    v1dir = os.path.join(work, "v1-after-v2")
    os.makedirs(v1dir)
    open(os.path.join(v1dir, "bundle.json"), "wb").write(
        open(fx.sign("seq9", fx.payload(9)), "rb").read())
    r = fx.agent(a1, "bundle-dir", "--dir", v1dir)
    check(r.returncode != 0 and "never falls back to v1" in r.stderr,
          "after a catalog, a newer signed v1 bundle is refused (%s)" % r.stderr.strip())
    return cat


SMALL = os.path.join(ROOT, "tests", "data", "dir_snapshot")


def snapshot(path, domain, netbios, dom_sid, high_usn, users, groups=()):
    """A version-1 snapshot (docs/directory.md) of users [(rid, sam, usn)] and groups."""
    import hashlib
    dc = ",".join("DC=" + p for p in domain.split("."))
    lines = ["ferry-dir-snapshot\t1",
             "\t".join(["domain", domain, netbios, dom_sid, dc, "CN=NTDS Settings,CN=DC1",
                        "2026-12-05T00:00:00Z", str(high_usn)])]
    for kind, objs in (("user", users), ("group", groups)):
        for rid, sam, usn in objs:
            guid = "00000000-0000-4000-8000-%012x" % (rid + 0x100000 * len(domain))
            upn = "%s@%s" % (sam, domain) if kind == "user" else ""
            uac = "512" if kind == "user" else ""
            exp = "9223372036854775807" if kind == "user" else ""
            lines.append("\t".join([kind, "CN=%s,%s" % (sam, dc), "%s-%d" % (dom_sid, rid), guid,
                                    sam, upn, "", "", uac, exp, "20261205030750.0Z", str(usn),
                                    "", "", "", "", "", ""]))
    body = ("\n".join(lines) + "\n").encode()
    end = "end\t%d\t%s\n" % (len(users) + len(groups), hashlib.sha256(body).hexdigest())
    open(path, "wb").write(body + end.encode())
    return path


def table(fx, work, http, a1, cat, wrong_role_token):
    import time
    aid, tok = agent_id(a1), token_of(a1)
    src = os.path.join(SMALL, "small.snap")
    tgt = snapshot(os.path.join(work, "t1.snap"), "target.example", "TARGET", "S-1-5-21-7-8-9",
                   900, [(1201, "jdoe", 800)], [(1202, "g1", 801)])
    st, before = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    seq0 = json.loads(before)["payload"]["sequence"]

    r = fx.admin("table", "status")
    check(r.returncode != 0 and "no translation table imported yet" in r.stderr,
          "table status before any import: says none (%s)" % r.stderr.strip())
    # hostile: an edited snapshot, a truncated one, the wrong role, a foreign target domain,
    # an oversized body; none of them stores anything.
    edited = os.path.join(work, "edited.snap")
    open(edited, "wb").write(open(src, "rb").read().replace(b"jdoe@source.test", b"root@source.test"))
    r = fx.admin("table", "import", "--source", edited, "--target", tgt)
    check(r.returncode != 0 and "source snapshot refused" in r.stderr and "SHA-256" in r.stderr,
          "an edited source snapshot: refused, naming the hash (%s)" % r.stderr.strip()[:160])
    r = fx.admin("table", "import", "--source", src, "--target",
                 os.path.join(SMALL, "small-body.snap"))
    check(r.returncode != 0 and "target snapshot refused" in r.stderr,
          "a truncated target snapshot (no end line): refused (%s)" % r.stderr.strip()[:160])
    r = fx.admin("table", "import", "--source", src, "--target", tgt, token=wrong_role_token)
    check(r.returncode != 0 and "403" in r.stderr, "table import with the helpdesk role: 403")
    r = fx.admin("table", "status", token=wrong_role_token)
    check(r.returncode != 0 and "403" in r.stderr, "table status with the helpdesk role: 403")
    foreign = snapshot(os.path.join(work, "foreign.snap"), "other.example", "OTHER",
                       "S-1-5-21-4-5-6", 900, [(1201, "jdoe", 800)])
    r = fx.admin("table", "import", "--source", src, "--target", foreign)
    check(r.returncode != 0 and "409" in r.stderr and "other.example" in r.stderr,
          "a target domain the catalog does not allow: refused (%s)" % r.stderr.strip()[:160])
    admin_tok = open(fx.admin_token).read().strip()
    st, body = http("PUT", "/v1/admin/table", raw=b"{" + b" " * (17 << 20) + b"}",
                    token=admin_tok)
    # the server answers 413 from Content-Length and closes; urllib may still be sending
    # (a reset), so the server's log is the witness
    log = open(os.path.join(work, "server.log")).read()
    check(st in (413, -1) and "PUT /v1/admin/table -> 413" in log,
          "a table body over admin_body_max: 413 (%d)" % st)
    check(fx.db("SELECT count(*) FROM dir_table") == [(0,)], "nothing stored by the refusals")
    audit = fx.db("SELECT role, detail FROM audit WHERE action='table.import'")
    check(any(ro == "helpdesk" and "HTTP 403" in d for ro, d in audit) and
          any("HTTP 400" in d for _, d in audit), "the refused imports are audited")

    r = fx.admin("table", "import", "--source", src, "--target", tgt)
    check(r.returncode == 0, "table import of small.snap and a target (%s)" % r.stderr.strip())
    got = json.loads(r.stdout) if r.returncode == 0 else {"summary": {}}
    sm = got["summary"]
    check(sm.get("rows") == 2 and sm.get("computers_skipped") == 1 and
          sm.get("by_rule", {}).get("sam") == 2 and sm.get("delta") is None,
          "the import's counts: 2 rows by sam, the computer skipped, no delta yet (%s)" % sm)
    st, env = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    doc = json.loads(env)["payload"]
    path = os.path.join(work, "assignment-table.json")
    open(path, "wb").write(env)
    r = fx.cli("assignment", "verify", "--catalog", cat, "--admin-key", fx.sign_pub, "--agent",
               aid, "--now", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), path,
               check=False)
    rows = sorted(doc["identity_map"], key=lambda e: e["target_sam"])
    check(st == 200 and doc["sequence"] == seq0 + 1 and r.returncode == 0 and rows == [
        {"source_sid": "S-1-5-21-1-2-3-1106", "target_sid": "S-1-5-21-7-8-9-1202",
         "kind": "group", "target_sam": "g1", "target_upn": "", "netbios_domain": "TARGET",
         "dns_domain": "target.example"},
        {"source_sid": "S-1-5-21-1-2-3-1105", "target_sid": "S-1-5-21-7-8-9-1201",
         "kind": "user", "target_sam": "jdoe", "target_upn": "jdoe@target.example",
         "netbios_domain": "TARGET", "dns_domain": "target.example"}],
          "a new table: the assignment is re-signed (sequence + 1), verifies as an agent would, "
          "and carries every user and group row (%s)" % (r.stdout + r.stderr).strip()[:200])
    st, env2 = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    check(env2 == env, "the same table: the same signed bytes again")

    # A second import: one user changed (uSNChanged), one added on each side.
    src_text = open(src).read()
    body = src_text[:src_text.rindex("end\t")]
    body = body.replace("\t4419\n", "\t4500\n").replace("\t4406\t", "\t4450\t")
    body += "\t".join(["user", "CN=asmith,DC=source,DC=test", "S-1-5-21-1-2-3-1110",
                       "99d05800-f9c9-4b35-b3ca-231f7e4a5810", "asmith", "asmith@source.test",
                       "", "", "512", "0", "20261205040000.0Z", "4460", "", "", "", "", "",
                       ""]) + "\n"
    import hashlib
    src2 = os.path.join(work, "s2.snap")
    open(src2, "w").write(body + "end\t4\t%s\n" % hashlib.sha256(body.encode()).hexdigest())
    tgt2 = snapshot(os.path.join(work, "t2.snap"), "target.example", "TARGET", "S-1-5-21-7-8-9",
                    950, [(1201, "jdoe", 800), (1203, "asmith", 920)], [(1202, "g1", 801)])
    r = fx.admin("table", "import", "--source", src2, "--target", tgt2)
    check(r.returncode == 0, "the second import (%s)" % r.stderr.strip())
    r = fx.admin("table", "status")
    stt = json.loads(r.stdout) if r.returncode == 0 else {"summary": {}}
    d = stt["summary"].get("delta") or {}
    ds, dt = d.get("source", {}), d.get("target", {})
    check(ds.get("added") == 1 and ds.get("changed") == 1 and ds.get("removed") == 0 and
          ds.get("compared_by") == "uSNChanged" and ds.get("added_names") == ["asmith"] and
          ds.get("changed_names") == ["jdoe"] and dt.get("added") == 1 and
          dt.get("changed") == 0, "table status: the delta since the last import per side (%s)" % d)
    check(stt.get("imported_by") == "admin" and stt["summary"].get("rows") == 3 and
          len(stt.get("table_sha256", "")) == 64 and
          stt["summary"].get("by_reason", {}).get("unmatched") == 0,
          "table status: counts by reason, hash, who imported it")
    st, env3 = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    doc3 = json.loads(env3)["payload"]
    check(doc3["sequence"] == seq0 + 2 and len(doc3["identity_map"]) == 3,
          "a changed table: re-signed again with 3 rows")

    # The size figure docs/server.md quotes: a 10,000-row table in one assignment.
    n = 10000
    big_s = snapshot(os.path.join(work, "big-s.snap"), "source.test", "SOURCE",
                     "S-1-5-21-1111111111-2222222222-3333333333", 90000,
                     [(2000 + i, "user%05d" % i, 1000 + i) for i in range(n)])
    big_t = snapshot(os.path.join(work, "big-t.snap"), "target.example", "TARGET",
                     "S-1-5-21-3444444444-3555555555-3666666666", 90000,
                     [(5000 + i, "user%05d" % i, 1000 + i) for i in range(n)])
    t0 = time.monotonic()
    r = fx.admin("table", "import", "--source", big_s, "--target", big_t)
    t_import = time.monotonic() - t0
    t0 = time.monotonic()
    st, env4 = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    t_sign = time.monotonic() - t0
    doc4 = json.loads(env4)["payload"] if st == 200 else {"identity_map": []}
    check(r.returncode == 0 and len(doc4["identity_map"]) == n,
          "a 10,000-row table: imported and carried whole (%s)" % r.stderr.strip()[:160])
    print("measured: %d-row table: import %.2f s, snapshots %d + %d bytes; signed assignment "
          "%d bytes (%.0f bytes/row), first fetch after the import %.2f s"
          % (n, t_import, os.path.getsize(big_s), os.path.getsize(big_t), len(env4),
             len(env4) / n, t_sign), flush=True)
    profile_slice(http, aid, tok, doc4["sequence"], len(env4))


def profile_slice(http, aid, tok, seq, whole):
    """Issue 17 §1: the agent reports its ProfileList SIDs; the assignment then
    carries only those users' rows (and every group row: none in this table)."""
    mine = ["S-1-5-21-1111111111-2222222222-3333333333-%d" % rid for rid in (2003, 2042)]
    for bad in ({"profiles": ["S-1-5-18"]}, {"profiles": "x"}, {"profiles": mine + mine[:1]},
                {"profiles": mine, "more": 1}):
        st, body = http("POST", "/v1/agents/%s/profiles" % aid, bad, token=tok)
        check(st == 400 and b"profiles" in body, "a bad profile report: 400 naming it (%s)"
              % body[:100])
    st, body = http("POST", "/v1/agents/%s/profiles" % aid,
                    {"profiles": mine + ["S-1-5-21-9-9-9-1001"]}, token=tok)
    check(st == 200 and json.loads(body).get("stored") == 3, "the profile report is stored")
    st, env = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    doc = json.loads(env)["payload"] if st == 200 else {"identity_map": [], "sequence": 0}
    got = sorted(e["target_sam"] for e in doc["identity_map"])
    check(doc["sequence"] == seq + 1 and got == ["user00003", "user00042"],
          "the slice: re-signed with only the reported users' rows (%s)" % got)
    st, env2 = http("GET", "/v2/agents/%s/assignment" % aid, token=tok)
    check(env2 == env, "the same report: the same signed bytes again")
    print("measured: the 10,000-row table's assignment %d bytes; the device's slice for 2 "
          "profiles %d bytes" % (whole, len(env)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
