#!/usr/bin/env python3
"""Integration: `vigild --config FILE --replay PCAP...` runs capture decoding,
extraction, rules, the store writer and the concern rules on the project's
replay captures, then exits. Checks, with SQL on the store it wrote:
every expected hit is there with its category, severity and action; allowed
hits are kept but grouped into no incident; nDPI's circumvention flows are
recorded; a danger-severity hit raised exactly one concern for the device and
category (later ones joined the same incident); the activity log has the
names; and a bad configuration or capture gives a one-line error.

usage: vigild_replay.py VIGILD REPLAY_DIR RULES_DIR
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

EXPECTED_HITS = {
    # (kind, observation, value, category, severity, action)
    ("keyword", "http_url", "/search?q=first+words", "violence", "caution", "alert"),
    ("search_term", "search_term", "first words", "violence", "caution", "alert"),
    ("url", "http_url", "/form", "drugs", "caution", "block"),
    ("domain", "dns", "learn.example.org", "extremism", "danger", "alert"),
    ("domain", "dns", "tcp-one.example.org", "extremism", "danger", "alert"),
    ("domain", "dns", "tcp-two.example.org", "extremism", "danger", "allow"),
    ("domain", "quic_sni", "quic.example.org", "extremism", "danger", "alert"),
}


def main():
    vigild, replay, rules = sys.argv[1:4]
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n[capture]\nworkers = 3\n' % (db, rules))
        pcaps = [os.path.join(replay, c, "capture.pcap") for c in ("http", "dns", "quic", "tls")]
        p = subprocess.run([vigild, "--config", cfg, "--replay"] + pcaps,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        print(p.stdout.strip())
        if p.returncode != 0:
            print("vigild exit %d: %s" % (p.returncode, p.stderr))
            return 1
        con = sqlite3.connect(db)
        rows = con.execute("SELECT kind, observation, value, category, severity, action, "
                           "incident_id, allowed FROM hits").fetchall()
        seen = {r[:6] for r in rows}
        for e in sorted(EXPECTED_HITS - seen):
            problems.append("missing hit %s" % (e,))
        for r in rows:
            if r[7] and r[6] is not None:
                problems.append("allowed hit grouped into incident %s: %s" % (r[6], r[:6]))
            if not r[7] and r[6] is None:
                problems.append("hit without incident: %s" % (r[:6],))
        circ = con.execute("SELECT count(*) FROM hits WHERE kind = 'circumvention' AND "
                           "category = 'circumvention'").fetchone()[0]
        if circ == 0:
            problems.append("no circumvention flow recorded (the http capture has a proxy CONNECT)")
        concerns = con.execute("SELECT id, state, summary FROM concerns").fetchall()
        danger = [c for c in concerns if "danger-severity extremism" in c[2]]
        if len(danger) != 1:
            problems.append("expected one extremism concern, got %r" % (concerns,))
        else:
            linked = con.execute("SELECT count(*) FROM incidents WHERE concern_id = ? AND "
                                 "category = 'extremism'", (danger[0][0],)).fetchone()[0]
            if linked != 1:
                problems.append("the concern should link the extremism incident (%d)" % linked)
        if "drugs" in " ".join(c[2] for c in concerns):
            problems.append("a caution-severity hit raised a concern: %r" % (concerns,))
        names = {r[0] for r in con.execute("SELECT name FROM activity")}
        for n in ("learn.example.org", "quic.example.org", "first words"):
            if n not in names:
                problems.append("activity log lacks %s" % n)
        con.close()

        # One-line errors: a bad key, and an unreadable capture.
        with open(cfg, "a") as f:
            f.write("[inspect]\nmax_flws = 2\n")
        p = subprocess.run([vigild, "--config", cfg, "--check-config"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode == 0 or "inspect.max_flws" not in p.stderr:
            problems.append("bad key not reported: %d %r" % (p.returncode, p.stderr))
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n' % (db, rules))
        p = subprocess.run([vigild, "--config", cfg, "--replay", os.path.join(tmp, "none.pcap")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode == 0 or "none.pcap" not in p.stderr:
            problems.append("unreadable capture not reported: %d %r" % (p.returncode, p.stderr))
    for pr in problems:
        print("PROBLEM", pr)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
