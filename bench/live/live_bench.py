#!/usr/bin/env python3
"""Live figures for vigild (issue 5), on network namespaces this script makes:

  sender (tcpreplay, a DNS client) --veth-- router (vigild capturing on its veth end)

1. Capture rate, against peers in the same run: at each rising rate (--mbps)
   the capture is replayed onto the veth with tcpreplay once for each tool,
   started fresh on the router's end: vigild (frames seen and dropped from
   vigilctl status/stats: pcap_stats and its own worker queues), ndpiReader -i
   (nDPI's own demo reader: DPI on every packet, as vigild does; it prints
   the packets it saw) and tcpdump -w /dev/null (capture only, no parsing:
   the ceiling of libpcap on this machine). A tool loses what tcpreplay sent
   and it did not see. The figure per tool is the highest rate with no loss;
   vigild's is given as a ratio to each peer's.
2. Packet to stored hit: a DNS query for a blocked name is sent from the
   sender namespace; the time until its hit is readable in the store.
3. Memory with many concurrent flows: vigild --replay on a generated capture
   holding N TCP connections that are opened and never closed; peak RSS
   against a capture with one connection.

usage: live_bench.py VIGILD VIGILCTL CAPTURE [--rates 50,100,...] [--loop 10] [--flows 50000]
                     [--peers ndpiReader,tcpdump] [--skip-memory]
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


def tcpreplay(ns, iface, rate, loop, capture):
    """Replays; returns (frames tcpreplay sent successfully, the Mbit/s it reached)."""
    p = nsx(ns, "tcpreplay", "-i", iface, "--mbps=%d" % rate, "--loop=%d" % loop, capture,
            check=False, timeout=900)
    reached = 0.0
    for line in (p.stdout + p.stderr).splitlines():
        line = line.strip()
        if line.startswith("Rated:") and "Mbps" in line:
            reached = float(line.split(",")[1].split()[0])
        if line.startswith("Successful packets:"):
            return int(line.split(":")[1]), reached
    raise RuntimeError("tcpreplay printed no count: " + p.stdout + p.stderr)


def wait_for_socket(path, proc):
    for _ in range(400):
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise RuntimeError("vigild exited with %s" % proc.returncode)
        time.sleep(0.05)
    raise RuntimeError("vigild's control socket did not appear")


def stop(proc):
    proc.send_signal(2)  # SIGINT: every tool prints or flushes its counts on it
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return (out or "") + (err or "")


def step_vigild(a, tmp, rules, rate, block_timeout):
    """One rate step with a fresh vigild: (sent, reached, seen, lost, kernel, queue drops)."""
    s, r = NS
    sock = os.path.join(tmp, "rate.sock")
    db = os.path.join(tmp, "rate.db")
    for f in (sock, db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    cfg = os.path.join(tmp, "rate.toml")
    with open(cfg, "w") as f:
        f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n[capture]\ninterfaces = ["vgb-r0"]\n'
                'workers = %d\nbuffer_mb = 32\nblock_timeout = "%s"\n[control]\nsocket = "%s"\n'
                '[metrics]\nlisten = ""\n' % (db, rules, a.workers, block_timeout, sock))
    proc = subprocess.Popen(["ip", "netns", "exec", r, a.vigild, "--config", cfg],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_socket(sock, proc)
        time.sleep(0.5)
        sent, reached = tcpreplay(s, "vgb-s0", rate, a.loop, a.capture)
        time.sleep(1.5)
        st = status(a.vigilctl, sock)
        qdrops = stats(a.vigilctl, sock)["pipeline.queue_drops"]
    finally:
        stop(proc)
    iface = st["interfaces"][0]
    seen = iface["frames"]
    lost = max(0, sent - seen) + qdrops
    return sent, reached, seen, lost, iface["kernel_dropped"], qdrops


def step_peer(a, tool, rate):
    """One rate step with a fresh peer: (sent, reached Mbit/s, seen, lost)."""
    s, r = NS
    if tool == "ndpiReader":
        cmd = ["ndpiReader", "-i", "vgb-r0"]
    else:
        cmd = ["tcpdump", "-i", "vgb-r0", "-n", "-s", "0", "-B", "32768", "-w", "/dev/null"]
    proc = subprocess.Popen(["ip", "netns", "exec", r] + cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    sent, reached = tcpreplay(s, "vgb-s0", rate, a.loop, a.capture)
    time.sleep(1.5)
    out = stop(proc)
    seen = None
    kernel = 0
    for line in out.splitlines():
        line = line.strip()
        if tool == "ndpiReader" and line.startswith("IP packets:") and "of" in line:
            seen = int(line.split("of")[1].split()[0])
        if tool == "tcpdump" and line.endswith("packets captured"):
            seen = int(line.split()[0])
        if tool == "tcpdump" and line.endswith("dropped by kernel"):
            kernel = int(line.split()[0])
    if seen is None:
        raise RuntimeError("%s printed no count:\n%s" % (tool, out[-2000:]))
    return sent, reached, seen, max(0, sent - seen) + kernel


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
    ap.add_argument("--peers", default="ndpiReader,tcpdump")
    ap.add_argument("--skip-memory", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root")
        return 77
    tmp = tempfile.mkdtemp(prefix="vigil-bench-")
    rules = rules_tree(tmp)

    # 3. Memory with many concurrent flows (no namespaces needed).
    if not a.skip_memory:
        memory(a, tmp, rules)
    cleanup()
    procs = []
    try:
        run_live(a, tmp, rules, procs)
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


def memory(a, tmp, rules):
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


def run_live(a, tmp, rules, procs):
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

    # 1. Capture rate: vigild and each peer at each rate, each started fresh
    # (vigild from the latency step is stopped first: one capturer at a time).
    for p in procs:
        stop(p)
    procs.clear()
    # vigild as configured by default (blocks of at most 10 ms) and in
    # libpcap's immediate mode (capture.block_timeout = "0s").
    tools = ["vigild", "vigild-immediate"] + [t for t in a.peers.split(",") if t]
    best = {t: 0 for t in tools}
    failed = set()  # lost frames at some rate: its figure is the rate below that
    print("asked_mbps\treached_mbps\ttool\tsent\tseen\tlost\tnote")
    for rate in [int(x) for x in a.rates.split(",")]:
        for tool in tools:
            if tool.startswith("vigild"):
                sent, reached, seen, lost, kdrops, qdrops = step_vigild(
                    a, tmp, rules, rate, "0s" if tool == "vigild-immediate" else "10ms")
                note = "kernel %d, queues %d" % (kdrops, qdrops)
            else:
                sent, reached, seen, lost = step_peer(a, tool, rate)
                note = ""
            print("%d\t%.0f\t%s\t%d\t%d\t%d\t%s" % (rate, reached, tool, sent, seen, lost, note),
                  flush=True)
            if lost == 0 and tool not in failed:
                best[tool] = max(best[tool], reached)
            elif lost:
                failed.add(tool)
    for tool in tools:
        note = "" if tool in failed else " (no loss at any step: a floor)"
        print("highest rate reached with no loss: %-16s %.0f Mbit/s%s" % (tool, best[tool], note))
    for tool in tools[2:]:
        if best[tool]:
            print("vigild / %s: %.2f" % (tool, best["vigild"] / best[tool]))


if __name__ == "__main__":
    sys.exit(main())
