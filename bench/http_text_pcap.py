#!/usr/bin/env python3
"""A plain-HTTP capture for the page-text benchmark (bench/README.md, "HTTP text").

Keep-alive HTTP/1.1 connections over Ethernet/IPv4, each with a few requests
answered as browsers see on unencrypted sites: HTML pages (plain with a
Content-Length, gzip with chunked coding, brotli), JSON (gzip), images and
HEAD / 304 answers. Pages are made of words with markup, scripts, styles and
character references, 10-80 KB each. Segments of 1448 bytes, every other one
acknowledged. Deterministic for a given --seed.

usage: http_text_pcap.py --out FILE [--size-mb N] [--seed S]

Needs Debian's python3 and libbrotli1 (libbrotlienc through ctypes).
"""
import argparse
import ctypes
import random
import struct
import zlib

_enc = ctypes.CDLL("libbrotlienc.so.1")
_enc.BrotliEncoderCompress.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_size_t,
                                       ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t),
                                       ctypes.c_char_p]


def brotli(data):
    out = ctypes.create_string_buffer(len(data) + 1024)
    size = ctypes.c_size_t(len(out))
    assert _enc.BrotliEncoderCompress(5, 22, 1, len(data), data, ctypes.byref(size), out)
    return out.raw[:size.value]


def gzip(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def chunked(body, size=4096):
    out = []
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out.append(b"%x\r\n" % len(part) + part + b"\r\n")
    return b"".join(out) + b"0\r\n\r\n"


SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ber", "con", "dis", "ent", "for",
             "gra", "hal", "ing", "ment", "pro", "que", "sion", "tur", "und", "wel", "xy"]


def make_words(r, n):
    return ["".join(r.choice(SYLLABLES) for _ in range(r.randint(1, 4))) for _ in range(n)]


def make_page(r, words, size):
    parts = [b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             b"<title>%s</title>" % " ".join(r.choice(words) for _ in range(5)).encode(),
             b"<style>body{font:14px sans-serif} .nav li{display:inline}</style>",
             b"<script>window.dataLayer=[];function t(e){dataLayer.push(e)}" + b"/*x*/" * 200 +
             b"</script></head><body>",
             b"<ul class=\"nav\">" + b"".join(b"<li><a href=\"/%s\">%s</a></li>" % (w.encode(), w.encode())
                                           for w in r.sample(words, 12)) + b"</ul>"]
    total = sum(map(len, parts))
    while total < size:
        sent = " ".join(r.choice(words) for _ in range(r.randint(8, 30)))
        p = (b"<p class=\"c%d\">%s &amp; <b>%s</b> caf&eacute; &#8211; <a href=\"/x?id=%d\">%s</a>.</p>\n"
             % (r.randint(1, 9), sent.encode(), r.choice(words).encode(), r.randint(1, 99999),
                r.choice(words).encode()))
        if r.random() < 0.1:
            p += b"<!-- ad slot %d --><div class=\"ad\"><script>t(%d)</script></div>\n" % (total, total)
        parts.append(p)
        total += len(p)
    parts.append(b"</body></html>\n")
    return b"".join(parts)


def make_json(r, words):
    items = ",".join('{"id":%d,"title":"%s","snippet":"%s"}' % (
        r.randint(1, 10**6), " ".join(r.choice(words) for _ in range(4)),
        " ".join(r.choice(words) for _ in range(20))) for _ in range(r.randint(5, 40)))
    return ('{"query":"%s","results":[%s]}' % (r.choice(words), items)).encode()


def mac(n):
    return bytes([2, 0, 0, 0, 0, n])


def ip_csum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def frame(src, dst, sp, dp, seq, ack, flags, payload, ident):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 64240,
                      0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0x4000, 64, 6, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", ip_csum(ip)) + ip[12:]
    return mac(2) + mac(1) + b"\x08\x00" + ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--size-mb", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    r = random.Random(a.seed)
    words = make_words(r, 3000)
    pages = [make_page(r, words, r.randint(10_000, 80_000)) for _ in range(120)]
    gz = [gzip(p) for p in pages]
    br = [brotli(p) for p in pages]
    jsons = [make_json(r, words) for _ in range(40)]
    jsons_gz = [gzip(j) for j in jsons]
    images = [bytes(r.getrandbits(8) for _ in range(r.randint(5_000, 60_000))) for _ in range(30)]
    limit = a.size_mb * 1_000_000
    written = 0
    t = 1_700_000_000.0
    ident = 0
    conn = 0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(fr):
            nonlocal written, t, ident
            t += 0.00002
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(fr), len(fr)) + fr)
            written += 16 + len(fr)
            ident += 1

        while written < limit:
            conn += 1
            cli = struct.pack("!BBBB", 10, 20, (conn >> 8) & 0xFF, conn & 0xFF)
            srv = struct.pack("!BBBB", 93, 184, r.randint(0, 255), r.randint(1, 254))
            cp = 1024 + conn % 60000
            cs, ss = r.getrandbits(32), r.getrandbits(32)
            put(frame(cli, srv, cp, 80, cs, 0, 0x02, b"", ident))
            put(frame(srv, cli, 80, cp, ss, cs + 1, 0x12, b"", ident))
            cs += 1
            ss += 1
            host = ("www.%s.example" % r.choice(words)).encode()
            for _ in range(r.randint(3, 8)):
                kind = r.random()
                path = ("/%s/%s" % (r.choice(words), r.choice(words))).encode()
                method = b"HEAD" if kind > 0.97 else b"GET"
                req = (method + b" " + path + b" HTTP/1.1\r\nHost: " + host +
                       b"\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nAccept-Encoding: gzip, br\r\n\r\n")
                put(frame(cli, srv, cp, 80, cs, ss, 0x18, req, ident))
                cs += len(req)
                i = r.randrange(len(pages))
                if kind < 0.35:
                    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(pages[i]) + pages[i])
                elif kind < 0.60:
                    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(gz[i]))
                elif kind < 0.70:
                    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: br\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(br[i]) + br[i])
                elif kind < 0.75:
                    j = r.randrange(len(jsons))
                    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(jsons_gz[j]) +
                            jsons_gz[j])
                elif kind < 0.95:
                    img = images[r.randrange(len(images))]
                    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(img) + img)
                elif kind < 0.97:
                    resp = b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n"
                else:
                    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                            % len(pages[i]))
                n = 0
                for off in range(0, len(resp), 1448):
                    seg = resp[off:off + 1448]
                    put(frame(srv, cli, 80, cp, ss, cs, 0x10 if len(seg) == 1448 else 0x18, seg, ident))
                    ss += len(seg)
                    n += 1
                    if n % 2 == 0:
                        put(frame(cli, srv, cp, 80, cs, ss, 0x10, b"", ident))
            put(frame(cli, srv, cp, 80, cs, ss, 0x11, b"", ident))
            put(frame(srv, cli, 80, cp, ss, cs + 1, 0x11, b"", ident))
            put(frame(cli, srv, cp, 80, cs + 1, ss + 1, 0x10, b"", ident))
    print("%s: %d connections, %d bytes" % (a.out, conn, written + 24))


if __name__ == "__main__":
    main()
