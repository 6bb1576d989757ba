#!/usr/bin/env python3
"""Extraction accuracy gate on the shared corpus.

Runs `vigilctl extract --out-dir` over every capture in CORPUS/pcap, scores the
output with CORPUS/score.py against CORPUS/truth, and fails when any core kind
falls below the bar (recall 0.98, precision 0.99). Exits 77 (CTest: skipped)
when the corpus is absent.

usage: score_gate.py VIGILCTL CORPUS_DIR WORK_DIR
"""
import os
import re
import subprocess
import sys

MIN_RECALL = 0.98
MIN_PRECISION = 0.99
KINDS = ["dns", "sni", "quic_sni", "http_host", "http_url"]


def main():
    vigilctl, corpus, work = sys.argv[1:4]
    pcap_dir = os.path.join(corpus, "pcap")
    truth_dir = os.path.join(corpus, "truth")
    score = os.path.join(corpus, "score.py")
    if not (os.path.isdir(pcap_dir) and os.path.isdir(truth_dir) and os.path.isfile(score)):
        print("corpus not found at %s: skipped" % corpus)
        return 77
    out_dir = os.path.join(work, "corpus-out")
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        os.unlink(os.path.join(out_dir, f))
    pcaps = sorted(os.path.join(pcap_dir, f) for f in os.listdir(pcap_dir))
    # One process per capture would be slower; a capture that cannot be read
    # makes vigilctl exit 1 but the others are still written.
    proc = subprocess.run([vigilctl, "extract", "--out-dir", out_dir] + pcaps,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        print(proc.stderr[-4000:])
        print("vigilctl exited %d" % proc.returncode)
        return 1
    res = subprocess.run([sys.executable, score, truth_dir, out_dir, "--show-misses", "15"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(res.stdout)
    failed = []
    for kind in KINDS:
        m = re.search(r"^%s\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)$" % kind, res.stdout, re.M)
        if not m:
            failed.append("%s: no score line" % kind)
            continue
        recall, precision = float(m.group(4)), float(m.group(5))
        if recall < MIN_RECALL or precision < MIN_PRECISION:
            failed.append("%s: recall %.4f precision %.4f (need %.2f / %.2f)"
                          % (kind, recall, precision, MIN_RECALL, MIN_PRECISION))
    for f in failed:
        print("FAIL " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
