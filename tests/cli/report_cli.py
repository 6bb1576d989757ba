#!/usr/bin/env python3
"""CLI: `vigilctl report monthly` on a store made by `vigild --replay` of the
project's replay captures with the integration rules tree. Checks that the
files are written and listed, that report.json parses and its hit totals
equal SELECT count(*) on the store (per month, and per category), that
every JSON table has its CSV, that --config finds the store and reports.dir,
that a named report is audited and names appear only in it, and that bad
input gives one error line and the documented exit status.

usage: report_cli.py VIGILD VIGILCTL REPLAY_DIR RULES_DIR
"""
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

problems = []


def problem(text):
    problems.append(text)


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=300, **kw)


def one_line_error(p, status, what):
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    if p.returncode != status or len(lines) != 1:
        problem("%s: expected exit %d and one error line, got %d and %r"
                % (what, status, p.returncode, p.stderr))


def month_bounds(month):
    y, m = (int(x) for x in month.split("-"))
    import calendar
    start = calendar.timegm((y, m, 1, 0, 0, 0)) * 1000000
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    end = calendar.timegm((ny, nm, 1, 0, 0, 0)) * 1000000
    return start, end


def check_report(con, out, month, printed, named):
    paths = [l for l in printed.splitlines() if l.strip()]
    for name in ("report.html", "report.json", "summary.csv", "categories.csv", "coverage.csv"):
        if os.path.join(out, name) not in paths:
            problem("%s: %s not listed in %r" % (month, name, paths))
    for p in paths:
        if not os.path.isfile(p):
            problem("listed but missing: %s" % p)
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    tables = report["tables"]
    for tid in tables:
        if not os.path.isfile(os.path.join(out, tid + ".csv")):
            problem("%s: no CSV for table %s" % (month, tid))
    start, end = month_bounds(month)
    want = con.execute("SELECT count(*) FROM hits WHERE ts_us >= ? AND ts_us < ?",
                       (start, end)).fetchone()[0]
    summary = {r["figure"]: r["value"] for r in tables["summary"]["rows"]}
    if summary["hits"] != want:
        problem("%s: report.json hits %r, store %d" % (month, summary["hits"], want))
    coverage = {r["figure"]: r["value"] for r in tables["coverage"]["rows"]}
    if coverage["hits"] != want:
        problem("%s: coverage hits %r, store %d" % (month, coverage["hits"], want))
    per_category = dict(con.execute(
        "SELECT category, count(*) FROM hits WHERE ts_us >= ? AND ts_us < ? GROUP BY category",
        (start, end)).fetchall())
    got = {r["category"]: r["hits"] for r in tables["categories"]["rows"] if r["hits"]}
    if got != per_category:
        problem("%s: hits per category %r, store %r" % (month, got, per_category))
    with open(os.path.join(out, "summary.csv"), newline="", encoding="utf-8") as f:
        rows = {r["figure"]: r["value"] for r in csv.DictReader(f)}
    if rows.get("hits") != str(want):
        problem("%s: summary.csv hits %r, store %d" % (month, rows.get("hits"), want))
    html = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    if "<script" in html or "What Vigil can and cannot see" not in html:
        problem("%s: report.html lacks the statement or has a script" % month)
    named_tables = {"people_activity", "people_concerns", "concerns_closed"}
    if named != bool(named_tables & set(tables)):
        problem("%s: named tables %s in a %s report" % (month, sorted(named_tables & set(tables)),
                                                        "named" if named else "aggregate"))
    return report


def main():
    vigild, vigilctl, replay, rules = sys.argv[1:5]
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        cfg = os.path.join(tmp, "vigil.toml")
        reports = os.path.join(tmp, "reports")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n[capture]\nworkers = 2\n'
                    'interfaces = ["br-test"]\n[reports]\ndir = "%s"\n' % (db, rules, reports))
        pcaps = [os.path.join(replay, c, "capture.pcap") for c in ("http", "dns", "quic", "tls")]
        p = run([vigild, "--config", cfg, "--replay"] + pcaps)
        if p.returncode != 0:
            print("vigild exit %d: %s" % (p.returncode, p.stderr))
            return 1
        con = sqlite3.connect(db)
        months = [r[0] for r in con.execute(
            "SELECT DISTINCT strftime('%Y-%m', ts_us / 1000000, 'unixepoch') FROM hits ORDER BY 1")]
        total = con.execute("SELECT count(*) FROM hits").fetchone()[0]
        if not months or total == 0:
            problem("the replay stored no hits")
        covered = 0
        for month in months:
            out = os.path.join(tmp, "out-" + month)
            p = run([vigilctl, "report", "monthly", "--db", db, "--month", month, "--out", out])
            if p.returncode != 0:
                problem("%s: exit %d: %s" % (month, p.returncode, p.stderr))
                continue
            report = check_report(con, out, month, p.stdout, named=False)
            covered += {r["figure"]: r["value"]
                        for r in report["tables"]["summary"]["rows"]}["hits"]
        if covered != total:
            problem("the months' reports hold %d hits, the store %d" % (covered, total))

        month = months[0] if months else "2023-11"
        # --config: the store from store.path, the folder from reports.dir.
        p = run([vigilctl, "report", "monthly", "--config", cfg, "--month", month])
        out = os.path.join(reports, month)
        if p.returncode != 0:
            problem("--config: exit %d: %s" % (p.returncode, p.stderr))
        else:
            report = check_report(con, out, month, p.stdout, named=False)
            statement = " ".join(r["statement"] for r in report["tables"]["coverage_statement"]["rows"])
            if "br-test" not in statement or rules not in statement:
                problem("the coverage statement does not follow the configuration: %s" % statement)
            if "lists" not in report["tables"]:
                problem("--config: no list table")

        # A named report is audited first, and its people tables are gone when
        # an aggregate report replaces it with --force.
        before = con.execute("SELECT count(*) FROM audit_log WHERE action = 'report.named'").fetchone()[0]
        named_out = os.path.join(tmp, "named")
        p = run([vigilctl, "report", "monthly", "--db", db, "--month", month, "--out", named_out,
                 "--audience", "named"])
        if p.returncode != 0:
            problem("named: exit %d: %s" % (p.returncode, p.stderr))
        else:
            check_report(con, named_out, month, p.stdout, named=True)
        after = con.execute("SELECT count(*) FROM audit_log WHERE action = 'report.named'").fetchone()[0]
        if after != before + 1:
            problem("named report not audited (%d -> %d)" % (before, after))
        p = run([vigilctl, "report", "monthly", "--db", db, "--month", month, "--out", named_out])
        one_line_error(p, 2, "a folder that is not empty")
        p = run([vigilctl, "report", "monthly", "--db", db, "--month", month, "--out", named_out,
                 "--force"])
        if p.returncode != 0:
            problem("--force: exit %d: %s" % (p.returncode, p.stderr))
        elif os.path.exists(os.path.join(named_out, "people_activity.csv")):
            problem("--force left the named report's people table behind")

        # Bad input: one line each.
        p = run([vigilctl, "report", "monthly", "--db", db, "--month", "2023-13", "--out",
                 os.path.join(tmp, "x")])
        one_line_error(p, 2, "bad month")
        p = run([vigilctl, "report", "monthly", "--db", db, "--month", "November", "--out",
                 os.path.join(tmp, "x")])
        one_line_error(p, 2, "month in words")
        p = run([vigilctl, "report", "monthly", "--db", os.path.join(tmp, "none.db"), "--month",
                 month, "--out", os.path.join(tmp, "y")])
        one_line_error(p, 1, "missing store")
        p = run([vigilctl, "report", "monthly", "--month", month, "--out", os.path.join(tmp, "z")])
        one_line_error(p, 2, "no store given")
        not_a_store = os.path.join(tmp, "not.db")
        with open(not_a_store, "w") as f:
            f.write("this is not a database\n")
        p = run([vigilctl, "report", "monthly", "--db", not_a_store, "--month", month, "--out",
                 os.path.join(tmp, "w")])
        one_line_error(p, 1, "not a store")
        p = run([vigilctl, "report", "monthly", "--db", db, "--month", "last", "--out",
                 os.path.join(tmp, "last")])
        if p.returncode != 0 or not os.path.isfile(os.path.join(tmp, "last", "report.json")):
            problem("--month last: exit %d: %s" % (p.returncode, p.stderr))
        con.close()
    for pr in problems:
        print("PROBLEM", pr)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
