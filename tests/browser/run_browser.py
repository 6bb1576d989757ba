#!/usr/bin/env python3
"""Browser tests of vigil-console in Debian's headless Chromium (playwright-core).

  run_browser.py BUILD_DIR SCRIPT.mjs ARTEFACT_DIR [--checks=console|reports]

Prepares the quick start's demo exactly as a newcomer gets it
(scripts/demo-setup.sh: vigild replays demo/demo.pcap with the demo rules,
people CSV and leases; a demo DSL and a demo IT admin), starts vigil-console
on a free loopback port, runs SCRIPT.mjs with node (the browser part: it
clicks through the pages and saves screenshots in ARTEFACT_DIR), then checks
with SQL that what the browser did is in the store: the audit rows, the
dismissal, the concern's outcome, the decision-log entry (--checks=console,
the default), or the reports' generation, named reads and export
(--checks=reports). The console keeps reports.dir in the temporary folder.

Exit 77 (skipped) when chromium, node or tests/browser/node_modules is missing.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from console_process import start_console, stop_console  # noqa: E402


HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def main():
    args = sys.argv[1:]
    checks = "console"
    if args and args[-1].startswith("--checks="):
        checks = args.pop()[len("--checks="):]
    if len(args) != 3 or checks not in ("console", "reports"):
        print(__doc__)
        return 2
    build, script, artefacts = args
    chromium = shutil.which("chromium")
    node = shutil.which("node")
    if not chromium or not node or not os.path.isdir(os.path.join(HERE, "node_modules",
                                                                  "playwright-core")):
        print("skipped: needs chromium, node and tests/browser/node_modules "
              "(scripts/install-deps.sh)")
        return 77
    os.makedirs(artefacts, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vigil-browser-")
    out = os.path.join(tmp, "demo")
    console = None
    try:
        subprocess.run(["bash", os.path.join(REPO, "scripts", "demo-setup.sh"), build, out],
                       check=True, stdout=subprocess.DEVNULL)
        logins = {}
        with open(os.path.join(out, "demo-logins.txt")) as f:
            for line in f:
                role, name, password = line.split()
                logins[role] = (name, password)
        rules = os.path.join(tmp, "rules")
        shutil.copytree(os.path.join(REPO, "demo", "rules"), rules)
        console, port = start_console(
            os.path.join(build, "admin", "console", "main", "vigil-console"),
            os.path.join(out, "vigil.toml"),
            ["rules.dir=" + rules, "reports.dir=" + os.path.join(tmp, "reports")])
        if port is None:
            print("vigil-console did not start")
            return 1
        env = dict(os.environ)
        env.update({
            "VIGIL_URL": "https://127.0.0.1:%d" % port,
            "VIGIL_DSL": json.dumps(logins["dsl"]),
            "VIGIL_ADMIN": json.dumps(logins["admin"]),
            "VIGIL_ARTEFACTS": os.path.abspath(artefacts),
            "VIGIL_CHROMIUM": chromium,
        })
        r = subprocess.run([node, os.path.abspath(script)], env=env, cwd=HERE)
        if r.returncode != 0:
            print("browser script failed (%d); screenshots in %s" % (r.returncode, artefacts))
            return 1
        db = os.path.join(out, "vigil.db")
        if checks == "reports":
            return check_reports(build, db, logins, os.path.join(tmp, "reports"))
        return check_store(build, db, logins)
    finally:
        stop_console(console)
        shutil.rmtree(tmp, ignore_errors=True)


def check_store(build, db, logins):
    """What the browser did, as the store holds it."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    dsl = logins["dsl"][0]
    admin = logins["admin"][0]
    failures = []

    def expect(what, sql, *args):
        row = con.execute(sql, args).fetchone()
        if not row or not row[0]:
            failures.append(what)

    expect("a dismissal with the DSL's reason",
           "SELECT count(*) FROM incidents WHERE status = 'dismissed' AND dismiss_reason LIKE "
           "'%coursework%'")
    expect("the DSL's reads of incidents and concerns in the audit log",
           "SELECT count(*) FROM audit_log WHERE actor = ? AND action IN ('incident.read', "
           "'concern.read')", dsl)
    expect("a concern the DSL opened and closed with an outcome",
           "SELECT count(*) FROM concerns WHERE state = 'closed' AND outcome <> ''")
    expect("the referral export in the audit log",
           "SELECT count(*) FROM audit_log WHERE actor = ? AND action = 'referral.export'", dsl)
    expect("the admin's list entry in the decision log",
           "SELECT count(*) FROM decision_log WHERE actor = ? AND reason LIKE '%browser test%'",
           admin)
    verify = subprocess.run([os.path.join(build, "admin", "vigilctl", "vigilctl"), "store",
                             "verify-audit", "--db", db], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if verify.returncode != 0:
        failures.append("an audit chain that verifies: " + verify.stdout.strip())
    for f in failures:
        print("MISSING in the store: " + f)
    return 1 if failures else 0


def check_reports(build, db, logins, reports):
    """The reports the browser made, on disk and in the audit log."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    dsl = logins["dsl"][0]
    admin = logins["admin"][0]
    failures = []

    def count(sql, *args):
        return con.execute(sql, args).fetchone()[0]

    for f in ("2026-11/report.html", "2026-11/summary.csv", "2026-11/report.json",
              "2026-11/named/report.html", "2026-11/named/people_activity.csv"):
        if not os.path.isfile(os.path.join(reports, f)):
            failures.append("reports.dir/" + f)
    if os.path.exists(os.path.join(reports, "2026-11", "people_activity.csv")):
        failures.append("no named table in the aggregate folder")
    if count("SELECT count(*) FROM audit_log WHERE actor = ? AND action = 'report.named'",
             dsl) != 1:
        failures.append("one report.named row by the DSL")
    if count("SELECT count(*) FROM audit_log WHERE actor = ? AND action = 'report.read_named'",
             dsl) < 1:
        failures.append("the DSL's read of the named report")
    if count("SELECT count(*) FROM audit_log WHERE action LIKE 'report.%named' AND actor = ?",
             admin) != 0:
        failures.append("no named report generated or read by the admin")
    if count("SELECT count(*) FROM audit_log WHERE actor = ? AND action = 'report.export' "
             "AND detail = '2026-11 aggregate summary.csv'", admin) != 1:
        failures.append("the admin's CSV download as report.export")
    verify = subprocess.run([os.path.join(build, "admin", "vigilctl", "vigilctl"), "store",
                             "verify-audit", "--db", db], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if verify.returncode != 0:
        failures.append("an audit chain that verifies: " + verify.stdout.strip())
    for f in failures:
        print("MISSING: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
