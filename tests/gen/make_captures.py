#!/usr/bin/env python3
"""Makes Vigil's own small captures: the quick-start sample and the replay cases.

Every packet is built here byte by byte (no capture is copied from anywhere),
so each case knows exactly which names it holds; the generator writes that
knowledge next to the capture as expected.tsv (the corpus TSV format).
Deterministic: the same bytes on every run.

usage: make_captures.py REPO_ROOT
  writes tests/data/sample.pcap and tests/replay/<case>/{capture.pcap,expected.tsv}

Needs python3 and python3-cryptography (QUIC Initial protection), and
libbrotlienc (Debian libbrotli1, through ctypes) for the brotli page of the
http_text case, which also gets expected_text.tsv: the page text Vigil should
read (client, method, host, url, status, text).
"""
import ctypes
import os
import struct
import sys
import zlib
from collections import defaultdict

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113

# --------------------------------------------------------------------------
# pcap file


class Capture:
    def __init__(self, linktype=LINKTYPE_ETHERNET):
        self.linktype = linktype
        self.frames = []
        self.t = 1_700_000_000.0
        self.expected = defaultdict(set)  # (kind, value, client) -> {flow labels}
        self.texts = []  # (client, method, host, url, status, text): http_text observations

    def add(self, frame, gap=0.001):
        self.t += gap
        self.frames.append((self.t, frame))

    def expect(self, kind, value, client, flow):
        self.expected[(kind, value, client)].add(flow)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, self.linktype))
            for t, frame in self.frames:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)

    def expect_text(self, client, method, host, url, status, text):
        self.texts.append((client, method, host, url, str(status), text))

    def write_expected_text(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write("client_ip\tmethod\thost\turl\tstatus\ttext\n")
            for row in sorted(self.texts):
                f.write("\t".join(row) + "\n")

    def write_expected(self, path):
        rows = sorted((k, v, c, len(flows)) for (k, v, c), flows in self.expected.items())
        with open(path, "w") as f:
            f.write("kind\tvalue\tclient_ip\tcount\n")
            for k, v, c, n in rows:
                f.write("%s\t%s\t%s\t%d\n" % (k, v, c, n))


# --------------------------------------------------------------------------
# layers


def mac(n):
    return bytes([0x02, 0, 0, 0, 0, n])


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ether(payload, ethertype, vlans=(), src=1, dst=2):
    hdr = mac(dst) + mac(src)
    tpids = [0x88A8] + [0x8100] * (len(vlans) - 1) if len(vlans) > 1 else [0x8100] * len(vlans)
    for tpid, vid in zip(tpids, vlans):
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ident=1, frag_off=0, more=False, ttl=64):
    flags = (0x2000 if more else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, ttl, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nh, payload, hop=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hop, ip6(src), ip6(dst)) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                       flags, 65535, 0, 0) + payload


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def eth4(src, dst, proto, l4, **kw):
    return ether(ipv4(src, dst, proto, l4), 0x0800, **kw)


def eth6(src, dst, nh, l4, **kw):
    return ether(ipv6(src, dst, nh, l4), 0x86DD, **kw)


class TcpConn:
    """A TCP connection between client and server, IPv4 or IPv6, over Ethernet."""

    def __init__(self, cap, client, cport, server, sport, wrap=None):
        self.cap, self.c, self.cp, self.s, self.sp = cap, client, cport, server, sport
        self.cseq, self.sseq = 1000, 50000
        self.v6 = ":" in client
        self.wrap = wrap or (lambda frame: frame)

    def _frame(self, from_client, flags, payload, seq=None):
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        sp, dp = (self.cp, self.sp) if from_client else (self.sp, self.cp)
        if seq is None:
            seq = self.cseq if from_client else self.sseq
        ack = self.sseq if from_client else self.cseq
        if flags == SYN:
            ack = 0
        seg = tcp(sp, dp, seq, ack, flags, payload)
        return self.wrap(eth6(src, dst, 6, seg) if self.v6 else eth4(src, dst, 6, seg))

    def handshake(self):
        self.cap.add(self._frame(True, SYN, b""))
        self.cseq += 1
        self.cap.add(self._frame(False, SYN | ACK, b""))
        self.sseq += 1
        self.cap.add(self._frame(True, ACK, b""))

    def send(self, from_client, payload):
        self.cap.add(self._frame(from_client, PSH | ACK, payload))
        if from_client:
            self.cseq += len(payload)
        else:
            self.sseq += len(payload)

    def send_segments(self, from_client, payload, cuts, order=None, retransmit=()):
        """Sends payload cut at `cuts`, in `order`, repeating segments in `retransmit`."""
        base = self.cseq if from_client else self.sseq
        bounds = [0] + list(cuts) + [len(payload)]
        segs = [(base + bounds[i], payload[bounds[i]:bounds[i + 1]]) for i in range(len(bounds) - 1)]
        for i in (order or range(len(segs))):
            seq, data = segs[i]
            self.cap.add(self._frame(from_client, PSH | ACK, data, seq=seq))
            if i in retransmit:
                self.cap.add(self._frame(from_client, PSH | ACK, data, seq=seq))
        if from_client:
            self.cseq += len(payload)
        else:
            self.sseq += len(payload)

    def close(self):
        self.cap.add(self._frame(True, FIN | ACK, b""))
        self.cseq += 1
        self.cap.add(self._frame(False, FIN | ACK, b""))
        self.sseq += 1
        self.cap.add(self._frame(True, ACK, b""))


# --------------------------------------------------------------------------
# DNS


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_query(ident, name, qtype=1):
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_response(ident, name, addrs):
    """A response whose answers point back at the question name (compression)."""
    msg = struct.pack("!HHHHHH", ident, 0x8180, 1, len(addrs), 0, 0)
    msg += dns_name(name) + struct.pack("!HH", 1 if ":" not in (addrs or ["."])[0] else 28, 1)
    for a in addrs:
        if ":" in a:
            msg += struct.pack("!HHHIH", 0xC00C, 28, 1, 60, 16) + ip6(a)
        else:
            msg += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + ip4(a)
    return msg


# --------------------------------------------------------------------------
# TLS ClientHello


def ext(etype, body):
    return struct.pack("!HH", etype, len(body)) + body


def client_hello(sni, alpn=("h2", "http/1.1"), quic_params=False, pad_to=0):
    exts = b""
    if sni is not None:
        host = sni.encode()
        entry = b"\0" + struct.pack("!H", len(host)) + host
        exts += ext(0, struct.pack("!H", len(entry)) + entry)
    exts += ext(10, struct.pack("!HH", 2, 0x001D))  # supported_groups: x25519
    exts += ext(13, struct.pack("!HH", 2, 0x0403))  # signature_algorithms
    if alpn:
        protos = b"".join(bytes([len(p)]) + p.encode() for p in alpn)
        exts += ext(16, struct.pack("!H", len(protos)) + protos)
    exts += ext(43, b"\x02\x03\x04")  # supported_versions: TLS 1.3
    exts += ext(51, struct.pack("!HHH", 36, 0x001D, 32) + bytes(range(32)))  # key_share
    if quic_params:
        exts += ext(0x39, b"\x01\x04\x80\x00\x75\x30")  # max_idle_timeout
    if pad_to and len(exts) < pad_to:
        exts += ext(21, bytes(pad_to - len(exts)))
    body = struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x20" + bytes(32)
    body += struct.pack("!HHH", 4, 0x1301, 0x1302) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def tls_records(handshake, record_size=16384):
    out = b""
    for i in range(0, len(handshake), record_size):
        chunk = handshake[i:i + record_size]
        out += b"\x16\x03\x01" + struct.pack("!H", len(chunk)) + chunk
    return out


# --------------------------------------------------------------------------
# QUIC v1 Initial protection (RFC 9001 section 5)

QUIC_V1_SALT = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def hkdf_extract(salt, ikm):
    h = HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def hkdf_expand_label(secret, label, length):
    full = b"tls13 " + label.encode()
    info = struct.pack("!H", length) + bytes([len(full)]) + full + b"\0"
    out, block, i = b"", b"", 1
    while len(out) < length:
        h = HMAC(secret, hashes.SHA256())
        h.update(block + info + bytes([i]))
        block = h.finalize()
        out += block
        i += 1
    return out[:length]


def varint(v):
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack("!H", 0x4000 | v)
    return struct.pack("!I", 0x80000000 | v)


def quic_initial(dcid, scid, pn, frames, pad_to=1200):
    secret = hkdf_expand_label(hkdf_extract(QUIC_V1_SALT, dcid), "client in", 32)
    key = hkdf_expand_label(secret, "quic key", 16)
    iv = hkdf_expand_label(secret, "quic iv", 12)
    hp = hkdf_expand_label(secret, "quic hp", 16)
    pn_len = 2
    header_wo_len = bytes([0xC0 | (pn_len - 1)]) + struct.pack("!I", 1)
    header_wo_len += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + varint(0)
    payload = frames
    # pad so the whole datagram reaches pad_to bytes
    overhead = len(header_wo_len) + 2 + pn_len + 16
    if overhead + len(payload) < pad_to:
        payload += bytes(pad_to - overhead - len(payload))
    length = pn_len + len(payload) + 16
    header = header_wo_len + struct.pack("!H", 0x4000 | length) + struct.pack("!H", pn)
    nonce = bytes(a ^ b for a, b in zip(iv, bytes(4) + struct.pack("!Q", pn)))
    ct = AESGCM(key).encrypt(nonce, payload, header)
    pn_offset = len(header) - pn_len
    sample = ct[4 - pn_len:4 - pn_len + 16]
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    first = bytes([header[0] ^ (mask[0] & 0x0F)])
    pn_bytes = bytes(b ^ m for b, m in zip(header[pn_offset:], mask[1:1 + pn_len]))
    return first + header[1:pn_offset] + pn_bytes + ct


def crypto_frame(offset, data):
    return b"\x06" + varint(offset) + varint(len(data)) + data


# --------------------------------------------------------------------------
# scenarios

C4, S4, R4 = "10.10.0.21", "93.184.216.34", "10.10.0.1"
C6, S6, R6 = "2001:db8:10::21", "2001:db8:ffff::34", "2001:db8:10::1"


def scenario_dns(cap):
    q = dns_query(0x1234, "learn.example.org")
    cap.add(eth4(C4, R4, 17, udp(53001, 53, q)))
    cap.add(eth4(R4, C4, 17, udp(53, 53001, dns_response(0x1234, "learn.example.org", ["93.184.216.34"]))))
    cap.expect("dns", "learn.example.org", C4, "u1")
    cap.expect("dns_answer", "learn.example.org=93.184.216.34", C4, "u1")
    # IPv6 client, AAAA
    cap.add(eth6(C6, R6, 17, udp(53002, 53, dns_query(0x2222, "ipv6.example.net", 28))))
    cap.add(eth6(R6, C6, 17, udp(53, 53002, dns_response(0x2222, "ipv6.example.net", ["2001:db8::80"]))))
    cap.expect("dns", "ipv6.example.net", C6, "u2")
    cap.expect("dns_answer", "ipv6.example.net=2001:db8::80", C6, "u2")
    # Only the response was captured: the name still counts, for its receiver.
    cap.add(eth4(R4, C4, 17, udp(53, 53003, dns_response(0x3333, "answer-only.example.com", ["192.0.2.7"]))))
    cap.expect("dns", "answer-only.example.com", C4, "u3")
    cap.expect("dns_answer", "answer-only.example.com=192.0.2.7", C4, "u3")
    # DNS over TCP: two messages, the second split across segments.
    conn = TcpConn(cap, C4, 40001, R4, 53)
    conn.handshake()
    m1 = dns_query(0x4444, "tcp-one.example.org")
    m2 = dns_query(0x4445, "tcp-two.example.org")
    stream = struct.pack("!H", len(m1)) + m1 + struct.pack("!H", len(m2)) + m2
    conn.send_segments(True, stream, [len(m1) + 5])
    conn.close()
    cap.expect("dns", "tcp-one.example.org", C4, "t1")
    cap.expect("dns", "tcp-two.example.org", C4, "t1")


def scenario_tls(cap):
    # A ClientHello over two records and three TCP segments, delivered out of
    # order with one retransmission.
    hello = client_hello("split.example.com", pad_to=900)
    records = tls_records(hello, record_size=600)
    conn = TcpConn(cap, C4, 41001, S4, 443)
    conn.handshake()
    conn.send_segments(True, records, [300, 700], order=[0, 2, 1], retransmit={0})
    conn.send(False, b"\x16\x03\x03\x00\x04\x02\x00\x00\x00")
    conn.close()
    cap.expect("sni", "split.example.com", C4, "t2")
    # TLS on a port that is not 443, over IPv6
    conn = TcpConn(cap, C6, 41002, S6, 8443)
    conn.handshake()
    conn.send(True, tls_records(client_hello("odd-port.example.com")))
    conn.close()
    cap.expect("sni", "odd-port.example.com", C6, "t3")
    # Remote desktop over UDP: the ClientHello sits behind RDP-UDP's own header.
    rdp_header = bytes.fromhex("0014c101f40164e064000100")
    hello = tls_records(client_hello("desktop.example.com", alpn=None))
    cap.add(eth4(C4, S4, 17, udp(54759, 3389, rdp_header + hello)))
    cap.expect("sni", "desktop.example.com", C4, "u5")


def scenario_quic(cap):
    dcid = bytes.fromhex("8394c8f03e515708")
    scid = bytes.fromhex("c0ffee01")
    hello = client_hello("quic.example.org", alpn=("h3",), quic_params=True, pad_to=1500)
    half = len(hello) // 2
    # Second half first: CRYPTO frames arrive out of order across packets.
    p2 = quic_initial(dcid, scid, 1, crypto_frame(half, hello[half:]))
    p1 = quic_initial(dcid, scid, 0, crypto_frame(0, hello[:half]))
    cap.add(eth4(C4, S4, 17, udp(50001, 443, p2)))
    cap.add(eth4(C4, S4, 17, udp(50001, 443, p1)))
    cap.expect("quic_sni", "quic.example.org", C4, "u4")


def scenario_http(cap):
    conn = TcpConn(cap, C4, 42001, S4, 80)
    conn.handshake()
    body = b"q=hello"
    reqs = (b"GET /search?q=first+words HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\nUser-Agent: vigil-test\r\n\r\n"
            b"POST /form HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: %d\r\n\r\n" % len(body) + body +
            b"GET /chunked HTTP/1.1\r\nHost: chunks.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n"
            b"GET /last HTTP/1.1\r\nHost: last.example.com.\r\n\r\n")
    conn.send_segments(True, reqs, [10, 60, 130])
    conn.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    conn.close()
    for host, url in (("www.example.com", "/search?q=first+words"), ("www.example.com", "/form"),
                      ("chunks.example.com", "/chunked"), ("last.example.com", "/last")):
        cap.expect("http_host", host, C4, "t4")
        cap.expect("http_url", url, C4, "t4")
    # A proxy request (absolute URI) and a CONNECT tunnel carrying TLS.
    conn = TcpConn(cap, C4, 42002, R4, 3128)
    conn.handshake()
    conn.send(True, b"GET http://proxied.example.com/page HTTP/1.1\r\nHost: proxied.example.com\r\n\r\n")
    conn.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    conn.close()
    cap.expect("http_host", "proxied.example.com", C4, "t5")
    cap.expect("http_url", "http://proxied.example.com/page", C4, "t5")
    conn = TcpConn(cap, C4, 42003, R4, 3128)
    conn.handshake()
    conn.send(True, b"CONNECT tunnel.example.com:443 HTTP/1.1\r\nHost: tunnel.example.com:443\r\n\r\n")
    conn.send(False, b"HTTP/1.1 200 Connection established\r\n\r\n")
    conn.send(True, tls_records(client_hello("tunnel.example.com")))
    conn.close()
    cap.expect("http_host", "tunnel.example.com", C4, "t6")
    cap.expect("http_url", "tunnel.example.com:443", C4, "t6")
    cap.expect("sni", "tunnel.example.com", C4, "t6")


# --------------------------------------------------------------------------
# Plain-HTTP page text: compressed, chunked, pipelined, with a lost segment

def gzip_bytes(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip wrapper, mtime 0
    return c.compress(data) + c.flush()


def raw_deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def brotli_bytes(data):
    enc = ctypes.CDLL("libbrotlienc.so.1")
    enc.BrotliEncoderCompress.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_size_t,
                                          ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t),
                                          ctypes.c_char_p]
    out = ctypes.create_string_buffer(len(data) + 1024)
    size = ctypes.c_size_t(len(out))
    if not enc.BrotliEncoderCompress(5, 22, 1, len(data), data, ctypes.byref(size), out):
        raise RuntimeError("brotli encoder failed")
    return out.raw[:size.value]


def chunked_body(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def http_response(body, ctype, encoding=None, chunk=0, status=b"200 OK"):
    head = b"HTTP/1.1 " + status + b"\r\nServer: test\r\nContent-Type: " + ctype + b"\r\n"
    if encoding:
        head += b"Content-Encoding: " + encoding + b"\r\n"
    if chunk:
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked_body(body, chunk)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def http_get(path, host, method=b"GET"):
    return method + b" " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nUser-Agent: vigil-test\r\n\r\n"


NEWS_PAGE = b"""<!DOCTYPE html>
<html><head><title>School news &amp; events</title>
<style>h1 { color: navy }</style>
<script>var tracking = "<p>not shown</p>";</script></head>
<body><h1>Summer term</h1>
<p>Revision sessions start on Monday.&nbsp;Bring your <b>timetable</b>.</p>
<!-- staff note: not for pupils -->
<ul><li>Maths</li><li>English</li></ul>
<p>Caf&eacute; open 8&ndash;4</p>
</body></html>
"""
NEWS_TEXT = ("School news & events Summer term Revision sessions start on Monday. Bring your "
             "timetable. Maths English Caf\u00e9 open 8\u20134")


def scenario_http_text(cap):
    host = b"www.school.example"
    conn = TcpConn(cap, C4, 43001, S4, 80)
    conn.handshake()
    # 1. gzip and chunked HTML, its segments out of order
    conn.send(True, http_get(b"/news", host))
    news = http_response(gzip_bytes(NEWS_PAGE), b"text/html; charset=utf-8", b"gzip", chunk=100)
    conn.send_segments(False, news, [120, 260], order=[0, 2, 1])
    cap.expect_text(C4, "GET", "www.school.example", "/news", 200, NEWS_TEXT)
    # 2. pipelined HEAD and GET: the HEAD answer announces a body it does not send
    conn.send(True, http_get(b"/news", host, b"HEAD") + http_get(b"/plain.txt", host))
    head_answer = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(gzip_bytes(NEWS_PAGE)))
    plain = http_response(b"Cr\xe8me br\xfbl\xe9e recipe\r\n\r\nServes 4.\r\n",
                          b"text/plain; charset=iso-8859-1")
    conn.send(False, head_answer + plain)
    cap.expect_text(C4, "GET", "www.school.example", "/plain.txt", 200,
                    "Cr\u00e8me br\u00fbl\u00e9e recipe Serves 4.")
    # 3. an image: skipped by its length
    conn.send(True, http_get(b"/logo.png", host))
    conn.send(False, http_response(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, b"image/png"))
    # 4. JSON, raw deflate (what some servers send as "deflate")
    conn.send(True, http_get(b"/api/search?q=volcano", host))
    js = (b'{"query":"volcano","results":[{"title":"Volcanoes \\u2013 KS3 Geography",'
          b'"url":"http://example.org/v","rank":1}]}')
    conn.send(False, http_response(raw_deflate(js), b"application/json; charset=utf-8", b"deflate"))
    cap.expect_text(C4, "GET", "www.school.example", "/api/search?q=volcano", 200,
                    "query volcano results title Volcanoes \u2013 KS3 Geography url "
                    "http://example.org/v rank")
    # 5. brotli
    conn.send(True, http_get(b"/worksheet", host))
    page = b"<html><body><p>Compressed with brotli: photosynthesis worksheet</p></body></html>"
    conn.send(False, http_response(brotli_bytes(page), b"text/html", b"br", chunk=40))
    cap.expect_text(C4, "GET", "www.school.example", "/worksheet", 200,
                    "Compressed with brotli: photosynthesis worksheet")
    # 6. a search form posted: what the learner typed
    form = b"q=revision+timetable&year=12"
    conn.send(True, b"POST /search HTTP/1.1\r\nHost: www.school.example\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(form) + form)
    conn.send(False, b"HTTP/1.1 204 No Content\r\n\r\n")
    cap.expect_text(C4, "POST", "www.school.example", "/search", 0, "q=revision timetable year=12")
    conn.close()
    for method_url in ("/news", "/plain.txt", "/logo.png", "/api/search?q=volcano", "/worksheet",
                       "/search"):
        cap.expect("http_url", method_url, C4, "h1")
    cap.expect("http_host", "www.school.example", C4, "h1")

    # A lost segment in the middle of a page: its text stops there, and the
    # next response on the connection is read in full.
    conn = TcpConn(cap, C4, 43002, S4, 80)
    conn.handshake()
    conn.send(True, http_get(b"/gap1", b"gaps.example"))
    conn.send(True, http_get(b"/gap2", b"gaps.example"))
    first = http_response(b"<html><body><p>Before the gap.</p><p>Lost words here.</p>"
                          b"<p>After the gap.</p></body></html>", b"text/html")
    cut1 = first.index(b"<p>Lost")
    cut2 = first.index(b"<p>After")
    conn.send(False, first[:cut1])
    conn.sseq += cut2 - cut1  # never captured
    conn.send(False, first[cut2:])
    conn.send(False, http_response(b"<p>Second page intact.</p>", b"text/html"))
    conn.close()
    cap.expect_text(C4, "GET", "gaps.example", "/gap1", 200, "Before the gap.")
    cap.expect_text(C4, "GET", "gaps.example", "/gap2", 200, "Second page intact.")
    for url in ("/gap1", "/gap2"):
        cap.expect("http_url", url, C4, "h2")
    cap.expect("http_host", "gaps.example", C4, "h2")

    # HTTP/1.0 over IPv6: no length (the body runs to the close), the charset
    # only in a <meta> element.
    conn = TcpConn(cap, C6, 43003, S6, 8080)
    conn.handshake()
    conn.send(True, b"GET /legacy.html HTTP/1.0\r\nHost: old.example.org\r\n\r\n")
    conn.send(False, b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n"
                     b"<html><head><meta http-equiv=\"Content-Type\" "
                     b"content=\"text/html; charset=windows-1252\"></head>")
    conn.send(False, b"<body><p>\x93Smart quotes\x94 and na\xefve caf\xe9</p></body></html>")
    conn.close()
    cap.expect_text(C6, "GET", "old.example.org", "/legacy.html", 200,
                    "\u201cSmart quotes\u201d and na\u00efve caf\u00e9")
    cap.expect("http_url", "/legacy.html", C6, "h3")
    cap.expect("http_host", "old.example.org", C6, "h3")


def gre(inner, proto=0x0800):
    return struct.pack("!HH", 0, proto) + inner


def vxlan(inner_frame, vni=42):
    return struct.pack("!II", 0x08000000, vni << 8) + inner_frame


def scenario_encapsulation(cap):
    # QinQ-tagged DNS
    cap.add(ether(ipv4("10.20.0.5", R4, 17, udp(53100, 53, dns_query(0x5001, "qinq.example.org"))),
                  0x0800, vlans=(100, 200)))
    cap.expect("dns", "qinq.example.org", "10.20.0.5", "e1")
    # PPPoE session carrying DNS
    ip = ipv4("100.64.0.9", R4, 17, udp(53101, 53, dns_query(0x5002, "pppoe.example.org")))
    ppp = struct.pack("!H", 0x0021) + ip
    cap.add(ether(struct.pack("!BBHH", 0x11, 0, 0x0001, len(ppp)) + ppp, 0x8864))
    cap.expect("dns", "pppoe.example.org", "100.64.0.9", "e2")
    # GRE (IPv4 in GRE in IPv4): the client is the inner address
    inner = ipv4("172.16.5.5", R4, 17, udp(53102, 53, dns_query(0x5003, "gre.example.org")))
    cap.add(eth4("198.51.100.1", "198.51.100.2", 47, gre(inner)))
    cap.expect("dns", "gre.example.org", "172.16.5.5", "e3")
    # VXLAN carrying an Ethernet frame with TLS
    hello = tls_records(client_hello("vxlan.example.com"))
    inner_frame = eth4("192.168.77.7", S4, 6, tcp(43001, 443, 777, 0, PSH | ACK, hello))
    cap.add(eth4("198.51.100.1", "198.51.100.3", 17, udp(49152, 4789, vxlan(inner_frame))))
    cap.expect("sni", "vxlan.example.com", "192.168.77.7", "e4")
    # 6in4: IPv6 DNS inside IPv4 protocol 41
    inner6 = ipv6("2001:db8:64::9", R6, 17, udp(53103, 53, dns_query(0x5004, "sixinfour.example.org")))
    cap.add(eth4("198.51.100.1", "198.51.100.4", 41, inner6))
    cap.expect("dns", "sixinfour.example.org", "2001:db8:64::9", "e5")
    # IPv4 fragments, second fragment first
    l4 = udp(53104, 53, dns_query(0x5005, "fragmented-v4.example.org") + bytes(40))
    cut = 32
    f1 = ipv4("10.30.0.3", R4, 17, l4[:cut], ident=77, frag_off=0, more=True)
    f2 = ipv4("10.30.0.3", R4, 17, l4[cut:], ident=77, frag_off=cut)
    cap.add(ether(f2, 0x0800))
    cap.add(ether(f1, 0x0800))
    cap.expect("dns", "fragmented-v4.example.org", "10.30.0.3", "e6")
    # IPv6 fragments behind a destination options header
    l4 = udp(53105, 53, dns_query(0x5006, "fragmented-v6.example.org") + bytes(40))
    cut = 40
    dst_opts = bytes([44, 0]) + bytes([1, 4, 0, 0, 0, 0])  # next: fragment; PadN
    frag1 = bytes([17, 0]) + struct.pack("!HI", (0 << 3) | 1, 0xABCD) + l4[:cut]
    frag2 = bytes([17, 0]) + struct.pack("!HI", (cut // 8) << 3, 0xABCD) + l4[cut:]
    cap.add(ether(ipv6("2001:db8:30::3", R6, 60, dst_opts + frag1), 0x86DD))
    cap.add(ether(ipv6("2001:db8:30::3", R6, 60, dst_opts + frag2), 0x86DD))
    cap.expect("dns", "fragmented-v6.example.org", "2001:db8:30::3", "e7")


def scenario_malformed(cap):
    # Truncated and hostile frames: nothing may come out of these, and
    # nothing may crash. A DNS pointer loop after one good question.
    loop = struct.pack("!HHHHHH", 0x6001, 0x0100, 2, 0, 0, 0) + dns_name("before-loop.example.org")
    loop += struct.pack("!HH", 1, 1) + b"\xc0\x29" + b"\x00\x01\x00\x01"
    cap.add(eth4("10.40.0.4", R4, 17, udp(53200, 53, loop)))
    cap.expect("dns", "before-loop.example.org", "10.40.0.4", "m1")
    # The looping name is reported as tshark reports it, so that the corpus
    # format stays comparable: a marker, not a name.
    cap.expect("dns", "<name contains a pointer that loops>", "10.40.0.4", "m1")
    cap.add(ether(ipv4("10.40.0.4", R4, 17, udp(53201, 53, b""))[:25], 0x0800))   # cut UDP header
    cap.add(ether(b"\x45\x00", 0x0800))                                          # cut IPv4 header
    cap.add(ether(b"\x60" + bytes(10), 0x86DD))                                  # cut IPv6 header
    conn = TcpConn(cap, "10.40.0.4", 44001, S4, 443)
    conn.handshake()
    conn.send(True, tls_records(client_hello("never-finished.example.com"))[:60])  # cut ClientHello
    conn.close()


CASES = {
    "dns": [scenario_dns],
    "tls": [scenario_tls],
    "quic": [scenario_quic],
    "http": [scenario_http],
    "encapsulation": [scenario_encapsulation],
    "malformed": [scenario_malformed],
}
# Cases kept out of the quick-start sample.
REPLAY_ONLY = {
    "http_text": [scenario_http_text],
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    sample = Capture()
    for name, scenarios in CASES.items():
        cap = Capture()
        for s in scenarios:
            s(cap)
            s(sample)
        d = os.path.join(root, "tests", "replay", name)
        os.makedirs(d, exist_ok=True)
        cap.write(os.path.join(d, "capture.pcap"))
        cap.write_expected(os.path.join(d, "expected.tsv"))
    for name, scenarios in REPLAY_ONLY.items():
        cap = Capture()
        for s in scenarios:
            s(cap)
        d = os.path.join(root, "tests", "replay", name)
        os.makedirs(d, exist_ok=True)
        cap.write(os.path.join(d, "capture.pcap"))
        cap.write_expected(os.path.join(d, "expected.tsv"))
        if cap.texts:
            cap.write_expected_text(os.path.join(d, "expected_text.tsv"))
    os.makedirs(os.path.join(root, "tests", "data"), exist_ok=True)
    sample.write(os.path.join(root, "tests", "data", "sample.pcap"))
    sample.write_expected(os.path.join(root, "tests", "data", "sample.expected.tsv"))


if __name__ == "__main__":
    main()
