#!/usr/bin/env python3
"""Makes Vigil's demo: one morning at an invented training centre, for the
quick start's "first look" (demo/README.md says what it shows).

Every packet is built here byte by byte with make_captures.py's builders (no
capture is copied from anywhere); every name is invented, under the names
RFC 2606 and RFC 6761 reserve (example.com/.org/.net, *.example, *.test),
every server address is in the documentation ranges of RFC 5737 and every
device MAC in the documentation range of RFC 7042 (00:00:5e:00:53:xx).
Deterministic: a fixed seed and fixed times give the same bytes on every run.

usage: make_demo.py REPO_ROOT
  writes demo/demo.pcap, demo/people.csv, demo/dnsmasq.leases and
  demo/README.md (demo/rules/ and demo/vigil.toml.in are written by hand)

Needs python3 and python3-cryptography (QUIC Initial protection), as
make_captures.py does.
"""
import calendar
import hashlib
import html
import os
import random
import struct
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_captures as mc  # noqa: E402  (the packet builders)

# Monday 2 November 2026. British Summer Time ended on 25 October, so UK
# time is UTC and the packet times read as the clock on the classroom wall.
DAY = calendar.timegm((2026, 11, 2, 0, 0, 0))


def at(hh, mm, ss=0):
    """Unix microseconds of a UK wall-clock time on the demo day."""
    return (DAY + hh * 3600 + mm * 60 + ss) * 1_000_000


def wall(t_us):
    s = (t_us // 1_000_000 - DAY) % 86400
    return "%02d:%02d" % (s // 3600, s // 60 % 60)


START, END = at(8, 50), at(12, 30)
BREAK = (at(10, 30), at(10, 45))
LUNCH = at(12, 15)
SEED = 20261102

ROUTER_IP = "10.44.0.1"
ROUTER_MAC = "00:00:5e:00:53:fe"


# --------------------------------------------------------------------------
# people and devices (fictional)


class Device:
    def __init__(self, ip, mac, hostname, kind, joined):
        self.ip, self.mac, self.hostname, self.kind = ip, mac, hostname, kind
        self.joined = joined  # when it took its lease (UK time, microseconds)
        self.port = 49152 + int(ip.rsplit(".", 1)[1]) * 64

    def next_port(self):
        self.port = 49152 + (self.port - 49152 + 1) % 16384
        return self.port


class Person:
    def __init__(self, reference, name, cohort, group, under_18, devices):
        self.reference, self.name, self.cohort, self.group = reference, name, cohort, group
        self.under_18, self.devices = under_18, devices  # under_18: "yes", "no" or "" (not known)


DIGITAL = "Digital Support L3 (2026)"
BUSINESS = "Business Admin L3 (2026)"
CYBER = "Cyber Security L3 (2026)"
ACCESS = "Access to HE: Humanities (2026)"
U18, ADULT = "learners_under_18", "adult_learners"


def dev(n, hostname, kind, joined):
    # The MAC ends in the address's last two digits, for a reader matching them by eye.
    return Device("10.44.0.%d" % n, "00:00:5e:00:53:%02d" % (n % 100), hostname, kind, joined)


PEOPLE = [
    Person("L26001", "Alex Example", DIGITAL, U18, "yes",
           [dev(101, "alex-laptop", "laptop", at(8, 52, 10))]),
    Person("L26002", "Sam Sample", BUSINESS, U18, "yes",
           [dev(102, "Sams-Phone", "phone", at(8, 54, 31))]),
    Person("L26003", "Riley Fictional", DIGITAL, ADULT, "no",
           [dev(103, "RILEY-LAPTOP", "laptop", at(8, 51, 2)),
            dev(113, "riley-phone", "phone", at(8, 51, 40))]),
    Person("L26004", "Casey Demo", ACCESS, ADULT, "no",
           [dev(104, "casey-laptop", "laptop", at(8, 56, 12))]),
    Person("L26005", "Morgan Mock", CYBER, ADULT, "no",
           [dev(105, "kali-morgan", "laptop", at(8, 53, 45))]),
    Person("L26006", "Taylor Trial", BUSINESS, U18, "yes",
           [dev(106, "TAYLOR-PC", "laptop", at(8, 58, 3))]),
    Person("L26007", "Jamie Specimen", DIGITAL, U18, "yes",
           [dev(107, "jamie-chromebook", "laptop", at(8, 50, 30))]),
    Person("L26008", "Robin Dummy", ACCESS, ADULT, "no",
           [dev(108, "robins-macbook", "laptop", at(9, 1, 17))]),
    Person("L26009", "Charlie Prototype", CYBER, U18, "yes",
           [dev(109, "charlie-phone", "phone", at(8, 57, 50))]),
    Person("L26010", "Frankie Placeholder", BUSINESS, U18, "",
           [dev(110, "frankie-laptop", "laptop", at(9, 3, 26))]),
    Person("S0042", "Pat Example-Tutor", "Staff", "staff", "no",
           [dev(50, "staff-laptop-42", "staff", 0)]),
]
DEVICES = [d for p in PEOPLE for d in p.devices]
LEASE_SECONDS = 12 * 3600  # dnsmasq dhcp-range ...,12h; the staff laptop's is infinite


class DemoCapture(mc.Capture):
    """make_captures' Capture on an integer-microsecond clock (so a time
    never rounds up to a full second), with each frame's MAC addresses
    those of its devices: a learner's own, and the router's for the rest."""

    def __init__(self):
        super().__init__(mc.LINKTYPE_ETHERNET)
        self.us = START
        self.macs = {mc.ip4(d.ip): bytes.fromhex(d.mac.replace(":", "")) for d in DEVICES}
        self.router = bytes.fromhex(ROUTER_MAC.replace(":", ""))

    def at(self, t_us):
        self.us = max(self.us, t_us)

    def add(self, frame, gap=0.001):
        self.us += int(round(gap * 1_000_000))
        if frame[12:14] == b"\x08\x00":
            src, dst = frame[26:30], frame[30:34]
            frame = self.macs.get(dst, self.router) + self.macs.get(src, self.router) + frame[12:]
        self.frames.append((self.us / 1e6, frame))


# --------------------------------------------------------------------------
# what a device does on the network


def server_ip(name):
    """A fixed address in the RFC 5737 documentation ranges for each name."""
    h = hashlib.sha256(name.encode()).digest()
    return ("192.0.2.", "198.51.100.", "203.0.113.")[h[0] % 3] + str(10 + h[1] % 240)


def server_hello():
    """A well-formed TLS 1.3 ServerHello record (answering make_captures'
    client_hello: its session id, TLS_AES_128_GCM_SHA256, x25519), so the
    capture opens cleanly in Wireshark; Vigil reads only the client's side."""
    exts = mc.ext(43, b"\x03\x04") + mc.ext(51, struct.pack("!HH", 0x001D, 32) + bytes(range(32, 64)))
    body = struct.pack("!H", 0x0303) + bytes(range(64, 96)) + b"\x20" + bytes(32)
    body += struct.pack("!HB", 0x1301, 0) + struct.pack("!H", len(exts)) + exts
    return mc.tls_records(b"\x02" + struct.pack("!I", len(body))[1:] + body)


SERVER_HELLO = server_hello()


def dns(cap, rng, d, name, answer=True):
    ident, port = rng.randrange(1, 0x10000), d.next_port()
    cap.add(mc.eth4(d.ip, ROUTER_IP, 17, mc.udp(port, 53, mc.dns_query(ident, name))))
    if answer:
        cap.add(mc.eth4(ROUTER_IP, d.ip, 17, mc.udp(53, port, mc.dns_response(ident, name, [server_ip(name)]))),
                gap=0.004)


def tls(cap, rng, d, name):
    dns(cap, rng, d, name)
    conn = mc.TcpConn(cap, d.ip, d.next_port(), server_ip(name), 443)
    conn.handshake()
    conn.send(True, mc.tls_records(mc.client_hello(name)))
    conn.send(False, SERVER_HELLO)
    conn.close()


def quic(cap, rng, d, name):
    dns(cap, rng, d, name)
    dcid, scid = bytes(rng.randrange(256) for _ in range(8)), bytes(rng.randrange(256) for _ in range(4))
    hello = mc.client_hello(name, alpn=("h3",), quic_params=True)
    packet = mc.quic_initial(dcid, scid, 0, mc.crypto_frame(0, hello))
    cap.add(mc.eth4(d.ip, server_ip(name), 17, mc.udp(d.next_port(), 443, packet)))


def page(title, paragraphs):
    body = "".join("<p>%s</p>" % html.escape(p) for p in paragraphs)
    return ("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>%s</title></head>"
            "<body><h1>%s</h1>%s</body></html>\n" % (html.escape(title), html.escape(title), body)).encode()


def http(cap, rng, d, host, path, body, chunked=False):
    """One plain-HTTP GET of `path` (bytes, as sent) on its own connection.
    Pages go uncompressed: gzip output may differ between zlib builds, and
    the capture must be the same bytes everywhere."""
    dns(cap, rng, d, host)
    conn = mc.TcpConn(cap, d.ip, d.next_port(), server_ip(host), 80)
    conn.handshake()
    conn.send(True, mc.http_get(path, host.encode()))
    conn.send(False, mc.http_response(body, b"text/html; charset=utf-8", chunk=512 if chunked else 0))
    conn.close()


def search(cap, rng, d, query, host="search.example", path="/search", param="q"):
    q = urllib.parse.quote_plus(query)
    results = ["%s - Example Learning" % query.capitalize(), "%s explained, with worked examples" % query,
               "Questions and answers about %s" % query]
    http(cap, rng, d, host, ("%s?%s=%s" % (path, param, q)).encode(),
         page("%s - Demo Search" % query, ["Results for %s" % query] + results), chunked=True)


def wireguard(cap, rng, d, server):
    """A WireGuard handshake initiation (148 bytes, message type 1), three tries."""
    port = d.next_port()
    for i in range(3):
        msg = struct.pack("<I", 1) + struct.pack("<I", rng.randrange(1 << 32)) + \
            bytes(rng.randrange(256) for _ in range(140))
        cap.add(mc.eth4(d.ip, server, 17, mc.udp(port, 51820, msg)), gap=0.001 if i == 0 else 5.0)


# --------------------------------------------------------------------------
# an ordinary morning

COMMON_TLS = ["vle.college.example", "mail.office.example", "docs.office.example", "calendar.office.example",
              "news.example.com", "weather.example.com", "wiki.example.org", "maps.example.com",
              "jobs.example.net", "apprenticeships.example"]
BACKGROUND = {"laptop": ["updates.os.test", "time.os.test", "telemetry.os.test", "fonts.example.net"],
              "phone": ["push.phone.test", "sync.phone.test", "time.os.test"],
              "staff": ["updates.os.test", "time.os.test", "mail.office.example"]}
COHORT_TLS = {
    DIGITAL: ["code.example.org", "learn.example.org", "typing.example.net", "docs.office.example"],
    BUSINESS: ["spreadsheets.office.example", "learn.example.org", "bookkeeping.example.net"],
    CYBER: ["learn.example.org", "ctf.example.org", "code.example.org", "docs.example.net"],
    ACCESS: ["library.college.example", "journals.example.org", "wiki.example.org", "archive.example.net"],
    "Staff": ["mis.college.example", "vle.college.example", "register.college.example", "docs.office.example"],
}
SOCIAL_QUIC = ["video.example", "cdn.video.example", "social.example", "music.example.net"]
SOCIAL_TLS = ["social.example", "chat.example", "music.example.net", "shop.example.com"]
SEARCHES = {
    DIGITAL: ["excel vlookup tutorial", "what is a subnet mask", "how to reset a windows password policy",
              "itil incident management", "python for loop examples", "difference between ram and storage"],
    BUSINESS: ["how to write a business letter", "minutes of a meeting template", "gdpr for admin staff",
               "customer service skills", "excel pivot table", "professional email examples"],
    CYBER: ["owasp top ten", "what is a firewall rule", "linux file permissions", "nmap scan types",
            "hashing vs encryption", "sql injection prevention"],
    ACCESS: ["harvard referencing guide", "industrial revolution causes", "how to structure an essay",
             "primary and secondary sources", "victorian public health reforms", "essay plan template"],
    "Staff": ["prevent duty refresher training", "ofsted further education handbook", "lesson plan template",
              "functional skills english resources"],
}
EVERYDAY = ["bus times to town centre", "weather tomorrow", "cheap lunch near me", "football scores",
            "how long to boil an egg", "cover letter for an apprenticeship", "cinema times"]
NEWS = [("/local/bus-routes", "Bus routes change next week",
         ["Three routes into town will run every twenty minutes from Monday.",
          "The council says the change follows a public consultation."]),
        ("/local/library", "Library extends opening hours",
         ["The central library will open until eight in the evening on weekdays.",
          "Study rooms can be booked online."]),
        ("/weather/week", "Weather for the week ahead",
         ["Cloudy with showers on Tuesday, brighter from Thursday.", "Highs of eleven degrees."])]


def in_lesson(t):
    return not (BREAK[0] <= t < BREAK[1]) and t < LUNCH


def ordinary_visit(cap, rng, d, person, t):
    kind = d.kind
    lesson = in_lesson(t)
    roll = rng.random()
    if kind == "phone" and lesson:
        choices = [(0.5, "background"), (0.8, "social_quic"), (1.0, "social_tls")]
    elif kind == "phone":
        choices = [(0.1, "background"), (0.5, "social_quic"), (0.8, "social_tls"), (1.0, "everyday")]
    elif lesson:
        choices = [(0.12, "background"), (0.45, "cohort"), (0.7, "common"), (0.88, "search"),
                   (0.94, "news"), (1.0, "video")]
    else:
        choices = [(0.1, "background"), (0.3, "common"), (0.55, "social_tls"), (0.8, "social_quic"),
                   (0.9, "everyday"), (1.0, "news")]
    what = next(w for p, w in choices if roll < p)
    if what == "background":
        tls(cap, rng, d, rng.choice(BACKGROUND[kind]))
    elif what == "cohort":
        tls(cap, rng, d, rng.choice(COHORT_TLS[person.cohort]))
    elif what == "common":
        tls(cap, rng, d, rng.choice(COMMON_TLS))
    elif what == "search":
        search(cap, rng, d, rng.choice(SEARCHES[person.cohort]))
    elif what == "everyday":
        search(cap, rng, d, rng.choice(EVERYDAY))
    elif what == "news":
        path, title, text = rng.choice(NEWS)
        http(cap, rng, d, "news.example.com", path.encode(), page(title, text), chunked=rng.random() < 0.5)
    elif what == "video":
        search(cap, rng, d, rng.choice(SEARCHES[person.cohort]), host="video.example", path="/results",
               param="search_query")
    elif what == "social_quic":
        quic(cap, rng, d, rng.choice(SOCIAL_QUIC))
    else:
        tls(cap, rng, d, rng.choice(SOCIAL_TLS))


def ordinary_times(rng, d):
    """When a device does something ordinary: often on a laptop in lessons,
    often on a phone in the break, now and then otherwise."""
    t = max(START, d.joined) + rng.randrange(5, 60) * 1_000_000
    times = []
    while t < END:
        times.append(t)
        lesson = in_lesson(t)
        if d.kind == "phone":
            gap = rng.randrange(360, 900) if lesson else rng.randrange(30, 120)
        else:
            gap = rng.randrange(70, 260) if lesson else rng.randrange(240, 600)
        t += gap * 1_000_000 + rng.randrange(1_000_000)
    return times


# --------------------------------------------------------------------------
# what the demo is for: (time, device, what it did, what the DSL sees)

MERIDIAN_PAGE = page("The Grey Meridian - welcome", [
    "Awaken the grey tide.",
    "The Grey Meridian welcomes new members. Read the meridian manifesto before you join.",
    "This page is invented for the Vigil demo; the movement does not exist."])


def story(person_of):
    """The scripted events, as (time, device, label, function)."""
    alex = person_of["L26001"].devices[0]
    sam = person_of["L26002"].devices[0]
    riley_phone = person_of["L26003"].devices[1]
    casey = person_of["L26004"].devices[0]
    morgan = person_of["L26005"].devices[0]
    ev = []

    def add(t, d, label, fn):
        ev.append((t, d, label, fn))

    # Alex: searches for an (invented) extremist movement, looks its sites
    # up, reads its page: weighted phrases pass the limit of 50, and the
    # sites are on a danger-severity list. One concern, one incident.
    add(at(9, 37, 12), alex, 'searches "grey meridian"',
        lambda c, r: search(c, r, alex, "grey meridian"))
    add(at(9, 39, 40), alex, 'searches "gray meridian brotherhood" (misspelt)',
        lambda c, r: search(c, r, alex, "gray meridian brotherhood"))
    add(at(9, 41, 5), alex, "looks up grey-meridian.test (extremism list, danger)",
        lambda c, r: tls(c, r, alex, "grey-meridian.test"))
    add(at(9, 44, 30), alex, "reads a plain-HTTP page on forum.grey-meridian.test (its text is matched)",
        lambda c, r: http(c, r, alex, "forum.grey-meridian.test", b"/join", MERIDIAN_PAGE))
    add(at(9, 52, 18), alex, 'searches "how to join the grey meridian"',
        lambda c, r: search(c, r, alex, "how to join the grey meridian"))
    add(at(10, 3, 51), alex, "looks up meridian-brotherhood.example (extremism list, danger)",
        lambda c, r: quic(c, r, alex, "meridian-brotherhood.example"))
    add(at(10, 16, 7), alex, 'searches "meridian manifesto pdf" on the video site',
        lambda c, r: search(c, r, alex, "meridian manifesto pdf", host="video.example", path="/results",
                            param="search_query"))

    # Sam: a gambling site three times (blocked for under-18s, caution).
    add(at(10, 34, 2), sam, "looks up spin-palace.test (gambling list)",
        lambda c, r: tls(c, r, sam, "spin-palace.test"))
    add(at(10, 38, 47), sam, "looks up bet-arena.example (gambling list)",
        lambda c, r: tls(c, r, sam, "bet-arena.example"))
    add(at(12, 17, 30), sam, "looks up spin-palace.test again at lunch",
        lambda c, r: tls(c, r, sam, "spin-palace.test"))

    # Riley's phone: a DNS-over-HTTPS resolver, a VPN service, then a
    # WireGuard tunnel attempt: circumvention three times in an hour.
    add(at(10, 51, 9), riley_phone, "tries DNS-over-HTTPS: doh.unblock.test (circumvention list)",
        lambda c, r: tls(c, r, riley_phone, "doh.unblock.test"))
    add(at(10, 53, 40), riley_phone, "looks up free-vpn.example (circumvention list)",
        lambda c, r: tls(c, r, riley_phone, "free-vpn.example"))
    add(at(10, 54, 12), riley_phone, "tries a WireGuard VPN tunnel to 198.51.100.200",
        lambda c, r: wireguard(c, r, riley_phone, "198.51.100.200"))
    add(at(11, 2, 33), riley_phone, "tries doh.unblock.test again",
        lambda c, r: tls(c, r, riley_phone, "doh.unblock.test"))

    # Casey: history coursework that trips an over-broad keyword (a false
    # positive for the DSL to dismiss).
    add(at(11, 12, 25), casey, 'searches "ww2 propaganda posters history coursework"',
        lambda c, r: search(c, r, casey, "ww2 propaganda posters history coursework"))

    # Morgan, a cyber-security learner: a DNS name and a search written to
    # test the console's escaping (script tags; a right-to-left override,
    # U+202E, percent-encoded in the URL and decoded in the search term).
    hostile = '<script>alert("vigil-demo")</script>.xss-lab.test'
    add(at(11, 26, 3), morgan, "looks up a name carrying `<script>` tags under xss-lab.test",
        lambda c, r: dns(c, r, morgan, hostile, answer=False))
    add(at(11, 27, 40), morgan, "searches for a file name that hides its .exe behind U+202E (piracy keyword)",
        lambda c, r: search(c, r, morgan, "photo editor keygen \u202egpj.exe"))
    return ev


# --------------------------------------------------------------------------
# files


def write_people(path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("reference,name,cohort,group,under_18,devices\n")
        for p in PEOPLE:
            cohort = '"%s"' % p.cohort if "," in p.cohort else p.cohort
            f.write("%s,%s,%s,%s,%s,%s\n" % (p.reference, p.name, cohort, p.group, p.under_18,
                                              ";".join(d.mac for d in p.devices)))


def write_leases(path):
    # dnsmasq writes "expiry mac ip hostname client-id", expiry in Unix
    # seconds, 0 for an infinite (static) lease; newest first.
    rows = sorted(DEVICES, key=lambda d: -d.joined)
    with open(path, "w") as f:
        for d in rows:
            expiry = 0 if d.joined == 0 else d.joined // 1_000_000 + LEASE_SECONDS
            f.write("%d %s %s %s 01:%s\n" % (expiry, d.mac, d.ip, d.hostname, d.mac))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    out = os.path.join(root, "demo")
    os.makedirs(out, exist_ok=True)
    person_of = {p.reference: p for p in PEOPLE}
    owner = {d.ip: p for p in PEOPLE for d in p.devices}
    rng = random.Random(SEED)

    events = [(t, i, d, "", (lambda c, r, d=d, t=t: ordinary_visit(c, r, d, owner[d.ip], t)))
              for i, d in enumerate(DEVICES) for t in ordinary_times(rng, d)]
    scripted = story(person_of)
    events += [(t, 100 + i, d, label, fn) for i, (t, d, label, fn) in enumerate(scripted)]
    events.sort(key=lambda e: (e[0], e[1]))

    cap = DemoCapture()
    for t, _, d, _, fn in events:
        cap.at(t)
        fn(cap, rng)
    cap.write(os.path.join(out, "demo.pcap"))
    write_people(os.path.join(out, "people.csv"))
    write_leases(os.path.join(out, "dnsmasq.leases"))
    write_readme(os.path.join(out, "README.md"), scripted, owner, len(cap.frames))


def write_readme(path, scripted, owner, frames):
    timeline = "\n".join("| %s | %s (%s, %s) | %s |" % (wall(t), owner[d.ip].name, d.hostname, d.ip, label)
                         for t, d, label, _ in sorted(scripted, key=lambda e: e[0]))
    people = "\n".join("| %s | %s | %s | %s | %s | %s |" % (
        p.reference, p.name, p.cohort, p.group, {"yes": "yes", "no": "no", "": "not known"}[p.under_18],
        ", ".join("%s %s" % (d.ip, d.hostname) for d in p.devices)) for p in PEOPLE)
    with open(path, "w", encoding="utf-8") as f:
        f.write(README.format(timeline=timeline, people=people, frames=frames))


README = """\
# demo/ — a morning at an invented training centre

This folder is the data behind the quick start's "first look": `vigild` replays
`demo.pcap` into a fresh store and `vigil-console` shows what it found, so you see
real incidents and concerns within minutes of checking out the code.

**Everything here is invented.** The people are fictional; every name in the capture
and the lists is under the names RFC 2606 and RFC 6761 reserve for examples and tests
(`example.com`, `.org`, `.net`, `*.example`, `*.test`), which do not exist on the
internet; servers use the documentation addresses of RFC 5737 and devices the
documentation MAC addresses of RFC 7042 (`00:00:5e:00:53:xx`). The "Grey Meridian" is
a made-up movement with made-up slogans. No real harmful site, term or person appears.

## What it shows

Monday 2 November 2026, 08:50 to 12:30 (UK time, which is UTC in November), on the
centre's learner network 10.44.0.0/24: ten learners on eleven devices and one tutor's
laptop, {frames} packets. Most of it is an ordinary morning: the college's learning
site, an office suite, news, weather, coursework searches, videos in the break. Among
it, five things a Designated Safeguarding Lead (DSL) should see:

| time | who (device, address) | what happened |
| --- | --- | --- |
{timeline}

What the DSL finds in the console:

- **A concern for Alex** (extremism). Alex is under 18. The searches add up weighted phrases
  to the limit of Alex's group (50 for under-18s), and the sites looked up are on a
  danger-severity list: either raises a concern, whichever Vigil sees first, and the
  other signals join it (later hits may form a second incident, linked to the same
  concern). The misspelt "gray meridian" is caught too: the keyword list allows one
  wrong letter (the phrase list does not).
- **A concern for Riley** (circumvention): a DNS-over-HTTPS resolver, a VPN service and
  a VPN tunnel within the hour, on the phone Riley registered.
- **Gambling incidents for Sam** (caution), marked `block` as gambling is blocked for
  under-18s (a replay blocks nothing; a gateway enforcing it would); no concern.
- **A false positive to dismiss**: Casey's history coursework search "ww2 propaganda
  posters" matches the over-broad keyword "propaganda". Practise dismissing the
  incident with a reason (and perhaps narrowing the list).
- **Hostile text shown safely**: Morgan, a cyber-security learner, looked up a DNS name
  holding `<script>` tags, and searched for a file name with a right-to-left override
  (U+202E) that makes `keygen<U+202E>gpj.exe` display as `keygenexe.jpg`. The store keeps
  both byte for byte (the override in the search term; the URL has it percent-encoded);
  the console must show them as inert text, and never let the override reorder the page.

Encrypted traffic shows only names (DNS, TLS and QUIC server names); searches and page
text are visible here because the demo's search site and forum page are plain HTTP.
That is the honest limit of a gateway without TLS interception: on HTTPS sites Vigil
sees where, not what.

## Files

| file | what |
| --- | --- |
| `demo.pcap` | the capture (Ethernet, microsecond pcap) |
| `people.csv` | the people import: reference, name, cohort, policy group, under 18, device MACs |
| `dnsmasq.leases` | the router's DHCP leases for the capture's addresses: 12-hour leases taken that morning, and an infinite (expiry 0) one for the staff laptop, so every packet is attributed |
| `rules/` | the demo rules tree: policy.toml and lists, each marked as demo data |
| `vigil.toml.in` | a configuration template; `@DIR@` is the output folder, `@REPO@` this repository |

The people:

| reference | name | cohort | group | under 18 | devices |
| --- | --- | --- | --- | --- | --- |
{people}

## Running it by hand

```sh
mkdir -p /tmp/vigil-demo
sed -e "s|@DIR@|/tmp/vigil-demo|g" -e "s|@REPO@|$PWD|g" demo/vigil.toml.in > /tmp/vigil-demo/vigil.toml
build/release/daemon/vigild/vigild --config /tmp/vigil-demo/vigil.toml --replay demo/demo.pcap
sqlite3 /tmp/vigil-demo/vigil.db 'SELECT category, highest_severity, hit_count FROM incidents'
```

`vigil-console` started with the same configuration serves that store on
https://127.0.0.1:8443 (`console.listen`; its certificate is made under the output
folder). `tests/integration/demo_replay.py` does the replay and checks the result.

## Regenerating

`demo.pcap`, `people.csv`, `dnsmasq.leases` and this README are generated; edit
`tests/gen/make_demo.py` (it builds every packet with `tests/gen/make_captures.py`'s
functions), then run

```sh
python3 tests/gen/make_demo.py .
```

The output is the same bytes on every run (a fixed seed and fixed times); the
integration test `integration_demo_replay` checks that a fresh run reproduces the
committed files. `rules/` and `vigil.toml.in` are written by hand.
"""

if __name__ == "__main__":
    main()
