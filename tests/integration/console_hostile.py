#!/usr/bin/env python3
"""Hostile names through the whole pipeline into every console page.

  console_hostile.py BUILD_DIR

vigild replays the demo capture (demo/demo.pcap: a DNS name
`<script>alert("vigil-demo")</script>.xss-lab.test` and a search term with
U+202E, both chosen by whoever sent the packets) with a people CSV whose
names and cohorts are markup, into a fresh store; a reporter raises a concern
whose summary is markup too. vigil-console then serves it, and every page a
user of each role can reach by following links from the start page (and the
JSON twins of the lists and details) is fetched. No response may carry a
hostile string as markup: only escaped. JSON must parse. Pages refused to a
role must say so with 403, never leak the data.
"""
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

import urllib.parse
from collections import deque

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from console_process import start_console, stop_console  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Markup a page must never contain raw (each is escaped if shown at all).
HOSTILE_PEOPLE = {
    "L26001": '<img src=x onerror=alert("name")>',
    "L26002": '"><svg onload=alert("attr")>',
    "L26005": "Morgan \u202eevil\u202c Mock",
}
RAW = [
    '<script>alert("vigil-demo")',
    '<img src=x onerror',
    '"><svg onload',
    '<iframe src=javascript:',
    '\u202e',
]


class Session:
    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        ctx = ssl._create_unverified_context()
        c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if body is not None:
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";")[0]
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def login(self, user, password):
        _, _, page = self.request("GET", "/login")
        token = re.search(rb'name="login_csrf" value="([^"]+)"', page).group(1).decode()
        status, _, _ = self.request("POST", "/login", urllib.parse.urlencode(
            {"user": user, "password": password, "login_csrf": token, "next": "/"}))
        if status != 303:
            raise RuntimeError("%s could not sign in (%d)" % (user, status))

    def csrf(self):
        _, _, page = self.request("GET", "/account")
        return re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()


def crawl(s, role, failures, limit=400):
    seen = set()
    queue = deque(["/"])
    pages = 0
    while queue and pages < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        status, headers, body = s.request("GET", path)
        pages += 1
        text = body.decode("utf-8", "replace")
        for raw in RAW:
            if raw in text:
                failures.append("%s %s: raw %r in the page" % (role, path, raw))
        if status in (301, 302, 303):
            loc = headers.get("location", "")
            if loc.startswith("/") and not loc.startswith("//"):
                queue.append(loc)
            continue
        if status != 200 or "text/html" not in headers.get("content-type", ""):
            continue
        for href in re.findall(r'href="([^"]+)"', text):
            href = href.replace("&amp;", "&")
            if not href.startswith("/") or href.startswith("//") or href.startswith("/static/"):
                continue
            if href.endswith(".csv") or href.endswith(".json"):
                continue
            # Distinct filters of one list are enough once: cap query variants.
            base = href.split("?")[0]
            if "?" in href and sum(1 for p in seen if p.split("?")[0] == base) > 6:
                continue
            queue.append(href)
    return seen


def check_json(s, role, failures, paths):
    for path in paths:
        status, headers, body = s.request("GET", path)
        if status != 200:
            continue
        try:
            json.loads(body)
        except ValueError as e:
            failures.append("%s %s: not JSON (%s)" % (role, path, e))
        text = body.decode("utf-8", "replace")
        for raw in RAW:
            if raw in text:
                failures.append("%s %s: raw %r in JSON" % (role, path, raw))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    vigild = os.path.join(build, "daemon", "vigild", "vigild")
    vigilctl = os.path.join(build, "admin", "vigilctl", "vigilctl")
    console_bin = os.path.join(build, "admin", "console", "main", "vigil-console")
    tmp = tempfile.mkdtemp(prefix="vigil-hostile-")
    console = None
    failures = []
    try:
        with open(os.path.join(REPO, "demo", "vigil.toml.in")) as f:
            cfg_text = f.read().replace("@DIR@", tmp).replace("@REPO@", REPO)
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write(cfg_text)
        people = os.path.join(tmp, "people.csv")
        with open(os.path.join(REPO, "demo", "people.csv"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        out = [lines[0]]
        for line in lines[1:]:
            ref = line.split(",", 1)[0]
            if ref in HOSTILE_PEOPLE:
                cols = line.split(",")
                cols[1] = '"%s"' % HOSTILE_PEOPLE[ref].replace('"', '""')
                cols[2] = '"<b>cohort</b> ' + cols[2] + '"'
                line = ",".join(cols)
            out.append(line)
        with open(people, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
        subprocess.run([vigild, "--config", cfg, "--set", "identity.people_csv=" + people,
                        "--replay", os.path.join(REPO, "demo", "demo.pcap")], check=True,
                       stdout=subprocess.DEVNULL)
        users = {"dsl": "h-dsl", "admin": "h-admin", "auditor": "h-auditor",
                 "reporter": "h-reporter", "deputy_dsl": "h-deputy"}
        password = "hostile-test-password-1"
        for role, name in users.items():
            subprocess.run([vigilctl, "users", "add", "--config", cfg, "--name", name, "--role",
                            role], input=password + "\n", text=True, check=True,
                           stdout=subprocess.DEVNULL)
        console, port = start_console(console_bin, cfg)
        if port is None:
            print("vigil-console did not start")
            return 1

        # A staff member's concern whose words are markup.
        rep = Session(port)
        rep.login(users["reporter"], password)
        status, _, _ = rep.request("POST", "/concerns/new", urllib.parse.urlencode({
            "csrf": rep.csrf(), "summary": '<script>alert("vigil-demo") overheard</script>',
            "person_reference": "L26003", "what": "<iframe src=javascript:alert(1)>"}))
        if status not in (200, 303):
            failures.append("the reporter's concern was not accepted (%d)" % status)

        totals = {}
        for role, name in users.items():
            s = Session(port)
            s.login(name, password)
            seen = crawl(s, role, failures)
            totals[role] = len(seen)
            ids = sorted(set(re.findall(r"^/(incidents|concerns)/(\d+)$", p)[0]
                             for p in seen if re.match(r"^/(incidents|concerns)/\d+$", p)))
            api = ["/api/dashboard", "/api/incidents", "/api/concerns", "/api/concerns/mine",
                   "/api/lists", "/api/people", "/api/users", "/api/audit", "/api/decisions",
                   "/api/checks", "/api/settings"]
            api += ["/api/%s/%s" % kv for kv in ids]
            api += ["/api/concerns/%s/referral" % i for k, i in ids if k == "concerns"]
            check_json(s, role, failures, api)
        # The hostile values did reach the store (else the test proves nothing).
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(tmp, "vigil.db"), uri=True)
        if not con.execute("SELECT count(*) FROM hits WHERE value LIKE '<script>%'").fetchone()[0]:
            failures.append("the hostile DNS name is not in the store")
        if not con.execute("SELECT count(*) FROM people WHERE display_name LIKE '<img%'"
                           ).fetchone()[0]:
            failures.append("the hostile person name is not in the store")
        print("pages fetched per role: " + ", ".join("%s %d" % kv for kv in totals.items()))
        if totals.get("dsl", 0) < 20:
            failures.append("the DSL reached only %d pages: the crawl is not covering the console"
                            % totals.get("dsl", 0))
    finally:
        stop_console(console)
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures[:50]:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
