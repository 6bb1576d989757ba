#!/usr/bin/env python3
"""Integration: replay the project's captures through extraction and the rules
engine (`vigilctl extract --eve --rules`) and check the alert events: which
observation hit which list entry, with which action, and that an allow entry
overrides a deny.

usage: rules_replay.py VIGILCTL REPLAY_DIR RULES_DIR
"""
import json
import os
import subprocess
import sys

# (capture case, observed value, list, entry, action)
EXPECTED = {
    ("dns", "learn.example.org", "test extremism domains", "example.org", "alert"),
    ("dns", "tcp-one.example.org", "test extremism domains", "example.org", "alert"),
    ("dns", "tcp-two.example.org", "manual allow",
     "tcp-two.example.org (integration test: an allow entry beats the domain list)", "log"),
    ("dns", "tcp-two.example.org", "test extremism domains", "example.org", "allowed"),
    ("quic", "quic.example.org", "test extremism domains", "example.org", "alert"),
    ("encapsulation", "qinq.example.org", "test extremism domains", "example.org", "alert"),
    ("http", "/form", "test url list", "www.example.com/form", "block"),
    ("http", "/search?q=first+words", "test keywords", "first words", "alert"),
    ("http", "/chunked", "test keywords", "chunked", "alert"),
    # The same request's search term, as its own observation (policy.toml
    # declares www.example.com/search?q= a search engine).
    ("http", "search_term:first words", "test keywords", "first words", "alert"),
}
NOT_EXPECTED_VALUES = {"split.example.com", "tunnel.example.com", "www.example.com"}


def main():
    vigilctl, replay, rules = sys.argv[1:4]
    seen = set()
    bad = 0
    for case in ("dns", "quic", "encapsulation", "http", "tls"):
        pcap = os.path.join(replay, case, "capture.pcap")
        p = subprocess.run([vigilctl, "extract", "--eve", "--rules", rules, pcap],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            print("%s: exit %d %s" % (case, p.returncode, p.stderr))
            return 1
        for line in p.stdout.splitlines():
            ev = json.loads(line)
            if ev["event_type"] != "alert":
                continue
            a = ev["alert"]
            value = (ev.get("dns", {}).get("rrname") or ev.get("tls", {}).get("sni")
                     or ev.get("quic", {}).get("sni") or ev.get("http", {}).get("url"))
            if a["observation"] == "search_term":
                value = "search_term:" + ev["http"]["search_term"]
            seen.add((case, value, a["list"], a["signature"].split(": ", 1)[1], a["action"]))
            if value in NOT_EXPECTED_VALUES:
                print("UNEXPECTED alert for %s: %s" % (value, a["signature"]))
                bad += 1
    for e in sorted(EXPECTED - seen):
        print("MISSING  %s" % (e,))
        bad += 1
    print("%d expected alerts, %d seen in all, %d problems" % (len(EXPECTED), len(seen), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
