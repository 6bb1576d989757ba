#!/usr/bin/env python3
"""Crash test: a child writes hits at ~1,000/s through the store writer and
prints each acknowledged hit; it is killed with SIGKILL at random points.
Afterwards every acknowledged hit must be in the store with the content it
was given, PRAGMA integrity_check must say ok, and the audit chain (written
meanwhile by a second connection) must verify.

usage: crash_test.py CHILD VIGILCTL [--kills N] [--seed S]
The number of kills defaults to $VIGIL_STORE_CRASH_KILLS, else 12 (CI);
the issue's full run is 100.
"""
import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("child")
    ap.add_argument("vigilctl")
    ap.add_argument("--kills", type=int, default=int(os.environ.get("VIGIL_STORE_CRASH_KILLS", "12")))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("VIGIL_STORE_CRASH_SEED", "4")))
    ap.add_argument("--min-ms", type=int, default=100)
    ap.add_argument("--max-ms", type=int, default=1500)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    failures = []
    acked = {}  # hit id -> (run, ticket)
    audit_ids = set()
    per_run = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        for run in range(1, args.kills + 1):
            p = subprocess.Popen([args.child, db, str(run)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            line = p.stdout.readline()
            if line != b"ready\n":
                p.kill()
                _, err = p.communicate()
                failures.append("run %d: child did not start: %r %r" % (run, line, err[-300:]))
                break
            time.sleep(rng.uniform(args.min_ms, args.max_ms) / 1000.0)
            os.kill(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            if p.returncode != -signal.SIGKILL:
                failures.append("run %d: child ended by itself (%d): %r" % (run, p.returncode, err[-300:]))
            n = 0
            # A last line without its newline was cut by the kill: ignored.
            for raw in out.split(b"\n")[:-1]:
                parts = raw.split()
                if len(parts) == 3 and parts[0] == b"ack":
                    hit_id, ticket = int(parts[1]), int(parts[2])
                    if hit_id in acked:
                        failures.append("run %d: hit id %d acknowledged twice" % (run, hit_id))
                    acked[hit_id] = (run, ticket)
                    n += 1
                elif len(parts) == 2 and parts[0] == b"audit":
                    audit_ids.add(int(parts[1]))
            per_run.append(n)
        elapsed = time.monotonic() - started

        con = sqlite3.connect(db)
        rows = con.execute("SELECT count(*) FROM hits").fetchone()[0]
        missing = 0
        wrong = 0
        for hit_id, (run, ticket) in acked.items():
            r = con.execute("SELECT flow_id, value FROM hits WHERE id = ?", (hit_id,)).fetchone()
            if r is None:
                missing += 1
                if missing <= 5:
                    failures.append("acknowledged hit %d (run %d, ticket %d) is missing" % (hit_id, run, ticket))
            elif r[0] != run * 10_000_000 + ticket or r[1] != "crash-%d-%d.example" % (run, ticket):
                wrong += 1
                if wrong <= 5:
                    failures.append("hit %d holds %r, wanted run %d ticket %d" % (hit_id, r, run, ticket))
        # Within a run the acknowledged tickets are 1..n with no gap.
        by_run = {}
        for run, ticket in acked.values():
            by_run.setdefault(run, []).append(ticket)
        for run, tickets in by_run.items():
            if sorted(tickets) != list(range(1, len(tickets) + 1)):
                failures.append("run %d: acknowledged tickets are not 1..%d" % (run, len(tickets)))
        audit_missing = [i for i in audit_ids
                         if con.execute("SELECT 1 FROM audit_log WHERE id = ?", (i,)).fetchone() is None]
        if audit_missing:
            failures.append("%d acknowledged audit rows missing, e.g. %d" % (len(audit_missing), audit_missing[0]))
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            failures.append("integrity_check: %r" % integrity[:5])
        audit_rows = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        incidents_hits = con.execute("SELECT coalesce(sum(hit_count), 0) FROM incidents").fetchone()[0]
        if incidents_hits != rows:
            failures.append("incidents count %d hits, the hits table holds %d" % (incidents_hits, rows))
        con.close()
        for cmd in (["check"], ["verify-audit"]):
            p = subprocess.run([args.vigilctl, "store"] + cmd + ["--db", db],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                failures.append("vigilctl store %s: exit %d: %s" % (cmd[0], p.returncode, p.stderr.strip()))
            else:
                print(p.stdout.strip())

    total = len(acked)
    print("crash: %d SIGKILLs in %.1f s; %d hits acknowledged (per run min %d, median %d, max %d), "
          "%d rows stored, %d acknowledged missing, %d wrong; %d audit rows acknowledged, %d stored; "
          "integrity %s"
          % (args.kills, elapsed, total, min(per_run or [0]), sorted(per_run or [0])[len(per_run or [0]) // 2],
             max(per_run or [0]), rows, missing, wrong, len(audit_ids), audit_rows,
             "ok" if integrity == [("ok",)] else "FAILED"))
    if total == 0:
        failures.append("no hit was acknowledged at all: the test proved nothing")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
