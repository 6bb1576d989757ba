#!/usr/bin/env python3
"""Replay one case through `vigild --replay` with the integration rules tree
and compare the incidents it stored with the case's incidents.tsv (in the
style of suricata-verify: the expectation lives beside the capture).

incidents.tsv columns: client_ip, category, highest_severity, hits, concern
(yes/no: whether the incident is linked to a concern). Rows are compared as
a set; order does not matter.

usage: check_incidents.py VIGILD CASE_DIR RULES_DIR [--print]
"""
import os
import sqlite3
import subprocess
import sys
import tempfile


def actual(vigild, case_dir, rules):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n[capture]\nworkers = 2\n' % (db, rules))
        p = subprocess.run([vigild, "--config", cfg, "--replay",
                            os.path.join(case_dir, "capture.pcap")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        if p.returncode != 0:
            raise SystemExit("vigild exit %d: %s" % (p.returncode, p.stderr.strip()))
        con = sqlite3.connect(db)
        rows = con.execute(
            "SELECT d.ip, i.category, i.highest_severity, i.hit_count, "
            "CASE WHEN i.concern_id IS NULL THEN 'no' ELSE 'yes' END "
            "FROM incidents i JOIN devices d ON d.id = i.device_id").fetchall()
        con.close()
    return {tuple(str(c) for c in r) for r in rows}


def main():
    vigild, case_dir, rules = sys.argv[1:4]
    got = actual(vigild, case_dir, rules)
    if "--print" in sys.argv:
        for r in sorted(got):
            print("\t".join(r))
        return 0
    want = set()
    with open(os.path.join(case_dir, "incidents.tsv")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("client_ip\t"):
                continue
            want.add(tuple(line.split("\t")))
    for r in sorted(want - got):
        print("MISSING   " + "\t".join(r))
    for r in sorted(got - want):
        print("UNEXPECTED " + "\t".join(r))
    print("%d expected incidents, %d stored" % (len(want), len(got)))
    return 0 if want == got else 1


if __name__ == "__main__":
    sys.exit(main())
