#!/usr/bin/env python3
"""nDPI classification and circumvention flags on real captures of the shared
corpus: each listed capture must have at least one flow event carrying the
flag a filtering appliance acts on; ordinary web traffic must carry none.
Exits 77 (skipped) when the corpus is absent.

usage: classify_check.py VIGILCTL CORPUS_DIR
"""
import json
import os
import subprocess
import sys

EXPECT = {
    "ndpi__443-opvn.pcap": "vpn",
    "ndpi__openvpn_nohmac.pcapng": "vpn",
    "ndpi__wireguard.pcap": "vpn",
    "ndpi__tinc.pcap": "vpn",
    "ndpi__dns_doh.pcap": "encrypted_dns",
    "ndpi__doq_adguard.pcapng": "encrypted_dns",
    "ndpi__simple-dnscrypt.pcap": "encrypted_dns",
    "ndpi__teamviewer.pcap": "remote_desktop",
    "ndpi__anydesk.pcapng": "remote_desktop",
    "ndpi__shadowsocks.pcap": "proxy",
    "ndpi__tls_ech.pcapng": "ech",
}
CLEAN = ["ndpi__443-curl.pcap", "ndpi__443-firefox.pcap"]


def flows(vigilctl, path):
    p = subprocess.run([vigilctl, "extract", "--eve", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d %s" % (path, p.returncode, p.stderr))
    return [e for e in map(json.loads, p.stdout.splitlines()) if e["event_type"] == "flow"]


def main():
    vigilctl, corpus = sys.argv[1:3]
    pcap_dir = os.path.join(corpus, "pcap")
    if not os.path.isdir(pcap_dir):
        print("corpus not found: skipped")
        return 77
    bad = 0
    for name, flag in sorted(EXPECT.items()):
        fl = flows(vigilctl, os.path.join(pcap_dir, name))
        seen = sorted({f for e in fl for f in e["ndpi"].get("circumvention", [])})
        protos = sorted({e["ndpi"]["protocol"] for e in fl})
        ok = flag in seen
        bad += not ok
        print("%s %-40s want %-15s got %s (protocols %s)" % ("ok  " if ok else "FAIL", name, flag,
                                                            seen, ", ".join(protos[:6])))
    for name in CLEAN:
        fl = flows(vigilctl, os.path.join(pcap_dir, name))
        seen = sorted({f for e in fl for f in e["ndpi"].get("circumvention", [])})
        tls = any("TLS" in e["ndpi"]["protocol"] for e in fl)
        ok = not seen and tls
        bad += not ok
        print("%s %-40s want no flags and TLS, got %s" % ("ok  " if ok else "FAIL", name, seen))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
