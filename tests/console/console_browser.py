#!/usr/bin/python3
"""console.browser: the admin console in a real headless browser.

Debian's chromium, driven through chromium-driver by Selenium, against a
real ferry-server on 127.0.0.1:
  - nothing works without a session; each role signs in and sees (and may
    open) exactly the pages the admin API's route table gives it;
  - the Waves funnel of 500 devices driven through their phases by the
    status API equals the funnel computed from the database with SQL;
  - a device made stuck (its last progress moved back two days in the
    database, as if it had been silent) appears under the stuck filter;
  - a helpdesk reveal needs a reason, writes an audit row, and shows the
    password that opens the escrow (checked with `ferry seal open`);
  - requests without the CSRF token, with a wrong one, or from a role that
    may not act are refused, change nothing, and are audited;
  - hostile text from agents, reasons and the query string is shown as
    text and never runs;
  - revoking a token ends its console sessions.

    console_browser.py BIN_DIR
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_fixture import (HOSTILE, ConsoleServer, db_funnel, drive_wave,  # noqa: E402
                             expected_funnel, import_table, v2)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoSuchElementException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

WAVE_SIZE = 500
failures = []

NAV = {  # what each role's navigation offers (the admin API's route table)
    "admin": ["Waves", "Devices", "Mapping review", "Audit"],
    "operator": ["Waves", "Devices", "Mapping review"],
    "helpdesk": ["Devices", "Helpdesk"],
    "auditor": ["Waves", "Devices", "Mapping review", "Audit"],
}
PAGES = {"Waves": "waves", "Devices": "devices", "Mapping review": "mapping",
         "Helpdesk": "helpdesk", "Audit": "audit"}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def browser(work):
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,800", "--user-data-dir=" + os.path.join(work, "chromium"),
              "--no-first-run", "--disable-extensions", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--metrics-recording-only"):
        opts.add_argument(a)
    opts.accept_insecure_certs = True  # the server's self-signed certificate (agents pin it)
    opts.binary_location = "/usr/bin/chromium"
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    return d


def login(d, srv, role):
    d.delete_all_cookies()
    d.get(srv.url + "/console/login")
    box = d.find_element(By.NAME, "token")
    box.send_keys(srv.tokens[role])
    box.send_keys(Keys.ENTER)  # the keyboard alone signs in
    WebDriverWait(d, 10).until(lambda x: "/console/login" not in x.current_url)
    return d.current_url.endswith("/console/waves" if role != "helpdesk" else "/console/devices")


def nav_items(d):
    return [a.text for a in d.find_elements(By.CSS_SELECTOR, "header nav a")]


def main():
    bindir = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ferry-console-") as work:
        srv = ConsoleServer(bindir, work)
        srv.start()
        d = None
        try:
            t0 = time.time()
            names, agents = drive_wave(srv, "wave-a", WAVE_SIZE, "WA",
                                       users=lambda i: ["SOURCE\\nomatch"] if i % 3 == 0
                                       else ["TARGET\\jdoe"])
            print("drove %d devices through the status API in %.1f s" % (WAVE_SIZE,
                                                                         time.time() - t0))
            v2(srv, work, "wave-a", [])
            import_table(srv, work)
            v2_agents = [agents["WA-0009"]]
            for a in v2_agents:  # after the import: their assignments carry the table
                srv.http("GET", "/v2/agents/%s/assignment" % a[0], token=a[1])
            srv.event(agents["WA-0009"], "odj_refused", HOSTILE)
            srv.escrow(work, agents["WA-0001"], "Brk-Gl4ss-7Qx")
            d = browser(work)
            scenario(d, srv, work, names, agents)
        finally:
            if d:
                d.quit()
            srv.stop()
    print("console_browser: %s" % ("all checks passed" if not failures else
                                   "%d check(s) failed" % len(failures)))
    return 1 if failures else 0


def scenario(d, srv, work, names, agents):
    no_session(d, srv)
    roles(d, srv)
    funnel(d, srv)
    stuck(d, srv)
    device_page(d, srv)
    mapping(d, srv)
    reveal(d, srv, work)
    csrf(d, srv)
    hostile(d, srv)
    revoke(d, srv)


def no_session(d, srv):
    d.get(srv.url + "/console/devices")
    check(d.current_url.endswith("/console/login") and d.find_elements(By.NAME, "token"),
          "without a session a page sends the browser to the sign-in form")
    for path in ("/console/helpdesk/reveal", "/console/logout"):
        st, _, body = srv.http("POST", path, raw=b"device=WA-0001&reason=xyz",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        check(st == 401, "POST %s without a session: 401 (%d)" % (path, st))
    st, _, body = srv.http("POST", "/console/login", raw=b"token=not-a-token",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(st == 401 and b"Unknown or revoked token" in body, "a wrong token: 401, no session")
    st, h, _ = srv.http("POST", "/console/login", raw=("token=" + srv.tokens["auditor"]).encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    cookie = h.get("Set-Cookie", "")
    check(st == 303 and all(f in cookie for f in ("HttpOnly", "Secure", "SameSite=Strict",
                                                   "Path=/console")),
          "the session cookie is HttpOnly, Secure, SameSite=Strict (%s)" % cookie.split(";", 1)[-1])
    sid = cookie.split(";")[0].split("=", 1)[1]
    check(not srv.db("SELECT 1 FROM sessions WHERE sha256=?", sid) and
          len(srv.db("SELECT 1 FROM sessions")) >= 1,
          "the database keeps the session's hash, never the cookie")


def roles(d, srv):
    for role, want in NAV.items():
        ok = login(d, srv, role)
        got = nav_items(d)
        check(ok and got == want, "%s signs in; navigation %s" % (role, got))
        for title, path in PAGES.items():
            d.get(srv.url + "/console/" + path)
            allowed = title in want
            h1 = d.find_element(By.TAG_NAME, "h1").text
            check((h1 == title) if allowed else (h1 == "Not allowed"),
                  "%s opens %s: %s" % (role, path, "allowed" if allowed else "refused"))
    refused = srv.db("SELECT count(*) FROM audit WHERE detail LIKE 'HTTP 403; console: role%'")
    check(refused[0][0] >= 6, "every refused page has its audit row (%d)" % refused[0][0])


def svg_funnel(d):
    return {g.get_attribute("data-stage"): int(g.get_attribute("data-count"))
            for g in d.find_elements(By.CSS_SELECTOR, "svg.funnel[data-wave='wave-a'] g")}


def funnel(d, srv):
    login(d, srv, "operator")
    d.get(srv.url + "/console/waves")
    shown = svg_funnel(d)
    want, db = expected_funnel(WAVE_SIZE), db_funnel(srv, "wave-a")
    check(shown == db == want, "the Waves funnel equals the database's (%s)" % shown)
    check(len(d.find_elements(By.CSS_SELECTOR, "svg.funnel rect")) == 10 and
          not d.find_elements(By.CSS_SELECTOR, "link[href^='http'], script[src^='http']"),
          "the funnel is inline SVG; nothing is fetched from outside")


def stuck(d, srv):
    # WA-0004 stopped at "migrating"; two days without progress make it stuck.
    import sqlite3
    con = sqlite3.connect(os.path.join(srv.dir, "ferry.db"), timeout=30)
    con.execute("UPDATE devices SET progress_at=progress_at-2*86400 WHERE name='WA-0004'")
    con.commit()
    con.close()
    d.get(srv.url + "/console/devices")
    Select(d.find_element(By.CSS_SELECTOR, "select[name=state]")).select_by_visible_text("stuck")
    d.find_element(By.CSS_SELECTOR, "form.filters button").click()
    WebDriverWait(d, 10).until(lambda x: "state=stuck" in x.current_url)
    rows = [r.text.split()[0] for r in d.find_elements(By.CSS_SELECTOR, "#devices tbody tr")]
    check(rows == ["WA-0004"] and "state=stuck" in d.current_url,
          "the stuck filter lists the silent device, and only it (%s)" % rows)
    d.get(srv.url + "/console/waves")
    check(svg_funnel(d).get("stuck") == db_funnel(srv, "wave-a")["stuck"] == 1,
          "the funnel counts it stuck, as the database does")
    d.get(srv.url + "/console/devices?sort=name&dir=desc&page=2")
    first = d.find_element(By.CSS_SELECTOR, "#devices tbody tr td").text
    count = d.find_element(By.ID, "count").get_attribute("data-total")
    check(first == "WA-0449" and count == str(WAVE_SIZE),
          "paged on the server, sorted by name descending: page 2 starts at WA-0449 (%s)" % first)


def device_page(d, srv):
    d.get(srv.url + "/console/devices/WA-0009")
    check(d.find_element(By.ID, "failure-api").text == "NetRequestOfflineDomainJoin" and
          d.find_element(By.ID, "failure-code").text.startswith("1355"),
          "the device page names the failed op's API and code")
    rows = d.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")
    want = srv.db("SELECT count(*) FROM status_history WHERE device='WA-0009'")[0][0] + 1
    check(len(rows) == want == 5, "its timeline has every status report and the event (%d)"
          % len(rows))
    import json
    table = json.loads(srv.db("SELECT rows FROM dir_table")[0][0])
    shown = [r.find_element(By.TAG_NAME, "td").text
             for r in d.find_elements(By.CSS_SELECTOR, "#slice tbody tr")]
    check(shown == [r["source_sid"] for r in table] and len(shown) == 3,
          "the mapping slice it received: the signed assignment's rows (%s)" % shown)


def mapping(d, srv):
    d.get(srv.url + "/console/mapping")
    reasons = {e.get_attribute("data-reason"): e.text
               for e in d.find_elements(By.CSS_SELECTOR, "#reasons span")}
    rows = {r.find_elements(By.TAG_NAME, "td")[1].text: r.find_elements(By.TAG_NAME, "td")[3].text
            for r in d.find_elements(By.CSS_SELECTOR, "#findings tbody tr")}
    affected = srv.db("SELECT count(*) FROM devices d, json_each(d.status, '$.cached_users') u "
                      "WHERE lower(u.value)='source\\nomatch'")[0][0]
    check(reasons.get("unmatched") == "1" and reasons.get("target_disabled") == "1" and
          rows.get("SOURCE\\nomatch") == str(affected) and affected > 100,
          "mapping review: the report's findings with the devices each affects (%s, %s)"
          % (reasons, rows))


def reveal(d, srv, work):
    login(d, srv, "helpdesk")
    d.get(srv.url + "/console/helpdesk")
    box = d.find_element(By.NAME, "q")
    box.send_keys("wa-0001")
    box.send_keys(Keys.ENTER)
    WebDriverWait(d, 10).until(lambda x: "q=wa-0001" in x.current_url)
    form = d.find_element(By.CSS_SELECTOR, "#found form")
    before = srv.db("SELECT count(*) FROM audit WHERE action='fallback.reveal'")[0][0]
    form.find_element(By.TAG_NAME, "button").click()  # no reason: the browser refuses
    check(srv.db("SELECT count(*) FROM audit WHERE action='fallback.reveal'")[0][0] == before,
          "a reveal without a reason is not sent")
    form = d.find_element(By.CSS_SELECTOR, "#found form")
    form.find_element(By.NAME, "reason").send_keys("ticket 4711 " + HOSTILE)
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(d, 10).until(lambda x: x.current_url.endswith("/reveal"))
    shown = d.find_element(By.ID, "password").text
    check(shown == "Brk-Gl4ss-7Qx" == srv.open_escrow(work, "WA-0001"),
          "the helpdesk reveal shows the password that opens the escrow")
    rows = srv.db("SELECT actor, role, target, detail FROM audit WHERE action='fallback.reveal'"
                  " ORDER BY id DESC LIMIT 1")
    check(rows and rows[0][:3] == ("the-helpdesk", "helpdesk", "WA-0001") and
          "HTTP 200" in rows[0][3] and "ticket 4711" in rows[0][3],
          "the reveal wrote its audit row with the reason (%s)" % (rows,))
    d.get(srv.url + "/console/helpdesk?q=TARGET%5Cjdoe")
    found = [r.text.split()[0] for r in d.find_elements(By.CSS_SELECTOR, "#found tbody tr")]
    check(len(found) == 20 and "WA-0002" in found, "lookup by user finds that user's devices")
    d.get(srv.url + "/console/helpdesk?q=WA-0001")
    check(not d.find_elements(By.ID, "password") and "Brk-Gl4ss" not in d.page_source,
          "the password is shown once: no page shows it again")


def session_of(d):
    return "ferry_session=" + d.get_cookie("ferry_session")["value"]


def post_form(srv, cookie, path, form):
    return srv.http("POST", path, raw=form.encode(), headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})


def csrf(d, srv):
    login(d, srv, "helpdesk")
    d.get(srv.url + "/console/helpdesk?q=WA-0001")
    cookie = session_of(d)
    good = d.find_element(By.CSS_SELECTOR, "#found input[name=csrf]").get_attribute("value")
    before = srv.db("SELECT count(*) FROM audit WHERE action='fallback.reveal'")[0][0]
    for what, form in (("no CSRF token", "device=WA-0001&reason=forged"),
                       ("a wrong CSRF token", "csrf=%s&device=WA-0001&reason=forged" % ("0" * 64)),
                       ("a tampered CSRF token", "csrf=%s&device=WA-0001&reason=forged"
                        % good[::-1])):
        st, _, body = post_form(srv, cookie, "/console/helpdesk/reveal", form)
        check(st == 403 and b"Brk-Gl4ss" not in body, "a reveal with %s: 403" % what)
    check(srv.db("SELECT count(*) FROM audit WHERE action='fallback.reveal'")[0][0] == before and
          srv.db("SELECT count(*) FROM audit WHERE action='console.csrf'")[0][0] >= 3,
          "nothing revealed; each refusal audited as console.csrf")
    st, h, body = post_form(srv, cookie, "/console/helpdesk/reveal",
                            "csrf=%s&device=WA-0001&reason=genuine+ticket" % good)
    check(st == 200 and b"Brk-Gl4ss-7Qx" in body and h.get("Cache-Control") == "no-store",
          "the same POST with the session's token works (and is not cached)")
    for role in ("admin", "auditor", "operator"):
        login(d, srv, role)
        d.get(srv.url + "/console/waves")
        token = d.find_element(By.CSS_SELECTOR, "header input[name=csrf]").get_attribute("value")
        st, _, body = post_form(srv, session_of(d), "/console/helpdesk/reveal",
                                "csrf=%s&device=WA-0001&reason=not+mine" % token)
        check(st == 403 and b"Brk-Gl4ss" not in body, "%s may not reveal, even with its CSRF "
              "token: 403" % role)
    rows = srv.db("SELECT role FROM audit WHERE action='fallback.reveal' AND detail LIKE "
                  "'HTTP 403%' AND target='/console/helpdesk/reveal'")
    check(sorted(r[0] for r in rows) == ["admin", "auditor", "operator"],
          "the refused reveals are audited with the role (%s)" % rows)


def hostile(d, srv):
    login(d, srv, "admin")
    title = d.title
    for path in ("/console/devices/WA-0009", "/console/audit", "/console/devices?q=" +
                 "%3Cimg%20id%3Dpwned%20src%3Dx%3E", "/console/devices/%3Cimg%20id%3Dpwned%3E"):
        d.get(srv.url + path)
        check(not d.find_elements(By.ID, "pwned") and "pwned" not in d.title,
              "%s: hostile text is shown, never run" % path)
    d.get(srv.url + "/console/devices/WA-0009")
    check(HOSTILE in d.find_element(By.ID, "timeline").text, "the event's detail reads as sent")
    d.get(srv.url + "/console/devices?q=%3Cimg%20id%3Dpwned%3E")
    check(d.find_element(By.NAME, "q").get_attribute("value") == "<img id=pwned>",
          "a reflected query stays an attribute's text")
    check(title.endswith("Ferry console"), "titles unchanged")


def revoke(d, srv):
    login(d, srv, "operator")
    srv.admin("DELETE", "tokens/the-operator")
    d.get(srv.url + "/console/devices")
    check(d.current_url.endswith("/console/login"), "a revoked token's session ends at once")
    try:
        d.find_element(By.ID, "devices")
        check(False, "no device list after revocation")
    except NoSuchElementException:
        pass


if __name__ == "__main__":
    sys.exit(main())
