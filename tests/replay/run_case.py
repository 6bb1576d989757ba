#!/usr/bin/env python3
"""Replays one case: tests/replay/<case>/capture.pcap through `vigilctl extract`
and compares the rows with the case's expected.tsv (made by
tests/gen/make_captures.py, which built the capture and knows what is in it).
Then checks that --eve prints one valid JSON object per line whose names
match the TSV.

usage: run_case.py VIGILCTL CASE_DIR
"""
import json
import os
import subprocess
import sys


def rows(text):
    out = set()
    for i, line in enumerate(text.splitlines()):
        if i == 0 or not line:
            continue
        out.add(tuple(line.split("\t")))
    return out


def main():
    vigilctl, case = sys.argv[1:3]
    pcap = os.path.join(case, "capture.pcap")
    with open(os.path.join(case, "expected.tsv")) as f:
        expected = rows(f.read())
    p = subprocess.run([vigilctl, "extract", pcap], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        print("vigilctl exited %d: %s" % (p.returncode, p.stderr))
        return 1
    got = rows(p.stdout)
    ok = True
    for r in sorted(expected - got):
        print("MISSING  " + "\t".join(r))
        ok = False
    for r in sorted(got - expected):
        print("UNEXPECTED  " + "\t".join(r))
        ok = False

    p = subprocess.run([vigilctl, "extract", "--eve", pcap], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        print("vigilctl --eve exited %d: %s" % (p.returncode, p.stderr))
        return 1
    names = set()
    for line in p.stdout.splitlines():
        try:
            ev = json.loads(line)
        except ValueError as e:
            print("invalid EVE line (%s): %s" % (e, line))
            ok = False
            continue
        t = ev.get("event_type")
        if t == "dns":
            names.add(("dns", ev["dns"]["rrname"]))
        elif t in ("tls", "quic"):
            names.add(("sni" if t == "tls" else "quic_sni", ev[t]["sni"]))
        elif t == "http":
            names.add(("http_url", ev["http"]["url"]))
        elif t != "flow":
            print("unknown event_type %r" % t)
            ok = False
    want = {(k, v) for k, v, _c, _n in expected if k in ("dns", "sni", "quic_sni", "http_url")}
    if names != want:
        print("EVE names differ: missing %s, extra %s" % (sorted(want - names), sorted(names - want)))
        ok = False
    print("%s: %d rows expected, %d matched" % (os.path.basename(os.path.normpath(case)), len(expected),
                                                 len(expected & got)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
