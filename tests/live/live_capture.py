#!/usr/bin/env python3
"""Live capture end to end: a network namespace joined to this one by a veth
pair; `vigilctl extract --interface` listens on our end while a "learner"
inside the namespace makes a DNS query, a QUIC connection attempt, an HTTP
request and a TLS connection to servers this test runs. The names must come
out attributed to the learner's address.

Needs root and iproute2 (ip netns); otherwise exits 77 (CTest: skipped).
Talks only to the addresses of the veth pair it creates.

usage: live_capture.py VIGILCTL
"""
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gen"))
import make_captures as mk  # noqa: E402  (packet builders)

HOST_IP, LEARNER_IP = "10.199.7.1", "10.199.7.2"


def sh(*args, check=True):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=check)


def main():
    vigilctl = sys.argv[1]
    if os.geteuid() != 0:
        print("not root: skipped")
        return 77
    tag = str(os.getpid() % 100000)
    ns, host_if, ns_if = "vigil-t" + tag, "vgh" + tag, "vgl" + tag
    try:
        sh("ip", "netns", "add", ns)
    except (OSError, subprocess.CalledProcessError) as e:
        print("cannot create a network namespace (%s): skipped" % e)
        return 77
    try:
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", HOST_IP + "/24", "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", LEARNER_IP + "/24", "dev", ns_if)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        return run(vigilctl, ns, host_if)
    finally:
        sh("ip", "link", "del", host_if, check=False)
        sh("ip", "netns", "del", ns, check=False)


def serve_tcp(port, stop):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST_IP, port))
    srv.listen(4)
    srv.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.settimeout(1)
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        except OSError:
            pass
        conn.close()
    srv.close()


LEARNER = r'''
import socket, sys
sys.path.insert(0, %(gen)r)
import make_captures as mk
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(mk.dns_query(0x7777, "live-dns.example.org"), (%(host)r, 53))
hello = mk.client_hello("live-quic.example.org", alpn=("h3",), quic_params=True)
u.sendto(mk.quic_initial(bytes(range(8)), b"\x01\x02", 0, mk.crypto_frame(0, hello)), (%(host)r, 443))
t = socket.create_connection((%(host)r, 8080), timeout=3)
t.sendall(b"GET /live/page?q=words HTTP/1.1\r\nHost: live-http.example.org\r\n\r\n")
t.recv(100); t.close()
t = socket.create_connection((%(host)r, 8443), timeout=3)
t.sendall(mk.tls_records(mk.client_hello("live-tls.example.org")))
t.close()
'''


def run(vigilctl, ns, host_if):
    stop = threading.Event()
    servers = [threading.Thread(target=serve_tcp, args=(p, stop)) for p in (8080, 8443)]
    for s in servers:
        s.start()
    cap = subprocess.Popen([vigilctl, "extract", "--interface", host_if, "--duration", "6",
                            "--stats"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    gen = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "gen"))
    script = LEARNER % {"gen": gen, "host": HOST_IP}
    learner = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", script],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = cap.communicate(timeout=30)
    stop.set()
    for s in servers:
        s.join()
    if learner.returncode != 0:
        print("learner failed: " + learner.stderr)
        return 1
    if cap.returncode != 0:
        print("vigilctl exited %d: %s" % (cap.returncode, err))
        return 1
    rows = {tuple(l.split("\t")[:3]) for l in out.splitlines()[1:]}
    want = {("dns", "live-dns.example.org", LEARNER_IP),
            ("quic_sni", "live-quic.example.org", LEARNER_IP),
            ("http_host", "live-http.example.org", LEARNER_IP),
            ("http_url", "/live/page?q=words", LEARNER_IP),
            ("sni", "live-tls.example.org", LEARNER_IP)}
    missing = want - rows
    for m in sorted(missing):
        print("MISSING " + "\t".join(m))
    if "capture.dropped_kernel" not in err:
        print("no capture statistics in --stats output")
        return 1
    print(out)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
