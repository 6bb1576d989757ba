#!/usr/bin/env python3
"""Live figures for vigild (issue 5), on network namespaces this script makes:

  sender (tcpreplay, a DNS client) --veth-- router (vigild capturing on its veth end)

1. Capture rate: the capture is replayed onto the veth with tcpreplay at rising
   rates (--mbps); after each step vigild's counters (vigilctl stats) give the
   frames it saw and dropped (kernel, pcap_stats; and its own worker queues).
   The highest rate with no drop is the figure.
2. Packet to stored hit: a DNS query for a blocked name is sent from the
   sender namespace; the time until its hit is readable in the store.
3. Memory with many concurrent flows: vigild --replay on a generated capture
   holding N TCP connections that are opened and never closed; peak RSS
   against a capture with one connection.

usage: live_bench.py VIGILD VIGILCTL CAPTURE [--rates 50,100,...] [--loop 10] [--flows 50000]
Root only. Prints a small table; bench/README.md quotes it.
"""
import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

NS = ("vgb-s", "vgb-r")


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def nsx(ns, *args, **kw):
    return sh("ip", "netns", "exec", ns, *args, **kw)


def cleanup():
    for ns in NS:
        for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            sh("kill", "-9", pid, check=False)
        sh("ip", "netns", "del", ns, check=False)


def stats(vigilctl, sock):
    out = sh(vigilctl, "stats", "--socket", sock).stdout
    return json.loads(out)


def status(vigilctl, sock):
    return json.loads(sh(vigilctl, "status", "--json", "--socket", sock).stdout)


def config(tmp, rules, extra):
    cfg = os.path.join(tmp, "vigil.toml")
    with open(cfg, "w") as f:
        f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n%s' %
                (os.path.join(tmp, "vigil.db"), rules, extra))
    return cfg


def rules_tree(tmp):
    rules = os.path.join(tmp, "rules")
    os.mkdir(rules)
    with open(os.path.join(rules, "policy.toml"), "w") as f:
        f.write('[[list]]\nname = "bench"\npath = "bench.domains"\nformat = "domains"\n'
                'category = "extremism"\nseverity = "danger"\naction = "alert"\n')
    with open(os.path.join(rules, "bench.domains"), "w") as f:
        f.write("blocked.vigil-bench.example\n")
    return rules


# --- many concurrent flows --------------------------------------------------

def pcap_with_open_flows(path, n):
    """n TCP connections 10.8.x.y -> 10.9.0.1:443, each SYN, SYN/ACK, ACK and
    one data segment, none closed: all are live at the end."""
    def csum(data):
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        s = (s >> 16) + (s & 0xFFFF)
        s += s >> 16
        return ~s & 0xFFFF

    def packet(src, dst, sport, dport, seq, ack, flags, payload):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0, 64, 6, 0,
                         src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return ip + tcp + payload

    server = socket.inet_aton("10.9.0.1")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # raw IP
        t = 1_700_000_000
        us = 0
        for i in range(n):
            client = socket.inet_aton("10.8.%d.%d" % ((i >> 8) & 0xFF, i & 0xFF)) if n <= 65536 \
                else socket.inet_aton("10.%d.%d.%d" % (8 + (i >> 16), (i >> 8) & 0xFF, i & 0xFF))
            sport = 20000 + (i % 40000)
            payload = b"\x16\x03\x01" + os.urandom(40)  # a TLS record start, incomplete
            for p in (packet(client, server, sport, 443, 1000, 0, 0x02, b""),
                      packet(server, client, 443, sport, 5000, 1001, 0x12, b""),
                      packet(client, server, sport, 443, 1001, 5001, 0x10, b""),
                      packet(client, server, sport, 443, 1001, 5001, 0x18, payload)):
                us += 10
                f.write(struct.pack("<IIII", t + us // 1_000_000, us % 1_000_000, len(p), len(p)))
                f.write(p)


def peak_rss_replay(vigild, cfg, pcap):
    p = sh("/usr/bin/time", "-f", "%M", vigild, "--config", cfg, "--replay", pcap)
    return int(p.stderr.strip().splitlines()[-1]) / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vigild")
    ap.add_argument("vigilctl")
    ap.add_argument("capture")
    ap.add_argument("--rates", default="25,50,100,200,400,800")
    ap.add_argument("--flows", type=int, default=50000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--loop", type=int, default=10, help="tcpreplay --loop for each rate step")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root")
        return 77
    tmp = tempfile.mkdtemp(prefix="vigil-bench-")
    rules = rules_tree(tmp)

    # 3. Memory with many concurrent flows (no namespaces needed).
    cfg = config(tmp, rules, "[capture]\nworkers = %d\n[inspect]\nmax_flows = %d\n" %
                 (a.workers, max(262144, a.flows * 2)))
    one = os.path.join(tmp, "one.pcap")
    many = os.path.join(tmp, "many.pcap")
    pcap_with_open_flows(one, 1)
    pcap_with_open_flows(many, a.flows)
    base = peak_rss_replay(a.vigild, cfg, one)
    peak = peak_rss_replay(a.vigild, cfg, many)
    print("memory: %d concurrent TCP flows: peak RSS %.1f MB (one flow: %.1f MB) -> %.2f KB/flow"
          % (a.flows, peak, base, (peak - base) * 1024 / a.flows))

    cleanup()
    procs = []
    try:
        s, r = NS
        for ns in NS:
            sh("ip", "netns", "add", ns)
            nsx(ns, "ip", "link", "set", "lo", "up")
        sh("ip", "link", "add", "vgb-s0", "netns", s, "type", "veth", "peer", "name", "vgb-r0",
           "netns", r)
        nsx(s, "ip", "addr", "add", "10.78.0.2/24", "dev", "vgb-s0")
        nsx(r, "ip", "addr", "add", "10.78.0.1/24", "dev", "vgb-r0")
        nsx(s, "ip", "link", "set", "vgb-s0", "up")
        nsx(r, "ip", "link", "set", "vgb-r0", "up")
        sock = os.path.join(tmp, "vigild.sock")
        os.remove(os.path.join(tmp, "vigil.db")) if os.path.exists(
            os.path.join(tmp, "vigil.db")) else None
        cfg = config(tmp, rules, '[capture]\ninterfaces = ["vgb-r0"]\nworkers = %d\n'
                     'buffer_mb = 32\n[control]\nsocket = "%s"\n[metrics]\nlisten = ""\n' %
                     (a.workers, sock))
        log = open(os.path.join(tmp, "vigild.log"), "w")
        procs.append(subprocess.Popen(["ip", "netns", "exec", r, a.vigild, "--config", cfg],
                                      stdout=log, stderr=subprocess.STDOUT))
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(0.5)

        # 2. Packet to stored hit, 20 samples.
        db = os.path.join(tmp, "vigil.db")
        delays = []
        for i in range(20):
            name = "q%d.blocked.vigil-bench.example" % i
            qname = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
            query = struct.pack("!HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0) + qname + \
                struct.pack("!HH", 1, 1)
            t0 = time.monotonic()
            nsx(s, sys.executable, "-c",
                "import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                "s.sendto(bytes.fromhex(sys.argv[1]),('10.78.0.1',53))", query.hex())
            sent = time.monotonic()
            while time.monotonic() - sent < 5:
                con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
                got = con.execute("SELECT 1 FROM hits WHERE value = ?", (name,)).fetchone()
                con.close()
                if got:
                    break
                time.sleep(0.002)
            delays.append(time.monotonic() - sent)
            del t0
        delays.sort()
        print("packet to stored hit: median %.0f ms, max %.0f ms (20 DNS queries; "
              "store.batch_max_delay as configured)" % (delays[10] * 1000, delays[-1] * 1000))

        # 1. Capture rate.
        print("rate_mbps\tframes_seen\tkernel_drops\tqueue_drops")
        best = 0
        for rate in [int(x) for x in a.rates.split(",")]:
            before = stats(a.vigilctl, sock)
            st_before = status(a.vigilctl, sock)
            nsx(s, "tcpreplay", "-q", "-i", "vgb-s0", "--mbps=%d" % rate, "--loop=%d" % a.loop,
                a.capture, check=False, timeout=900)
            time.sleep(1.5)
            after = stats(a.vigilctl, sock)
            st_after = status(a.vigilctl, sock)
            iface_b = st_before["interfaces"][0]
            iface_a = st_after["interfaces"][0]
            frames = iface_a["frames"] - iface_b["frames"]
            kdrops = iface_a["kernel_dropped"] - iface_b["kernel_dropped"]
            qdrops = after["pipeline.queue_drops"] - before["pipeline.queue_drops"]
            print("%d\t%d\t%d\t%d" % (rate, frames, kdrops, qdrops))
            if kdrops == 0 and qdrops == 0:
                best = rate
            else:
                break
        print("highest tcpreplay rate with no drop: %d Mbit/s" % best)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
