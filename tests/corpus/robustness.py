#!/usr/bin/env python3
"""Robustness over the shared corpus: every capture, one process each.

Each run of `vigilctl extract --stats --http-text-bytes 65536` (page text on, so
the response side of HTTP is read too) must exit 0 (or 1 with a one-line
error for a file that is not a capture), within a time bound, and print no
sanitizer report. Run it with the asan-ubsan build. Exits 77 (skipped) when
the corpus is absent.

usage: robustness.py VIGILCTL CORPUS_DIR
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer", "==ERROR")


def run_one(vigilctl, path):
    try:
        p = subprocess.run([vigilctl, "extract", "--stats", "--http-text-bytes", "65536", path],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, errors="replace", timeout=300)
    except subprocess.TimeoutExpired:
        return path, "timed out"
    if any(m in p.stderr for m in SANITIZER_MARKS):
        return path, "sanitizer report:\n" + p.stderr[-3000:]
    if p.returncode < 0:
        return path, "killed by signal %d" % -p.returncode
    if p.returncode == 1:
        errors = [l for l in p.stderr.splitlines() if l.startswith("vigilctl extract: ")
                  and "warning" not in l]
        if len(errors) != 1:
            return path, "exit 1 without one clear error line:\n" + p.stderr[-1000:]
        return path, None
    if p.returncode != 0:
        return path, "exit %d:\n%s" % (p.returncode, p.stderr[-1000:])
    return path, None


def main():
    vigilctl, corpus = sys.argv[1:3]
    pcap_dir = os.path.join(corpus, "pcap")
    if not os.path.isdir(pcap_dir):
        print("corpus not found at %s: skipped" % corpus)
        return 77
    pcaps = sorted(os.path.join(pcap_dir, f) for f in os.listdir(pcap_dir))
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda p: run_one(vigilctl, p), pcaps))
    bad = [(p, why) for p, why in results if why]
    for p, why in bad:
        print("FAIL %s: %s" % (os.path.basename(p), why))
    print("%d captures, %d clean, %d failed" % (len(pcaps), len(pcaps) - len(bad), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
