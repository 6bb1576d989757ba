#!/usr/bin/env python3
"""Integration: the quick start's demo (demo/README.md) does what it says.

1. tests/gen/make_demo.py, run afresh into a temporary folder, reproduces the
   committed demo/demo.pcap, people.csv, dnsmasq.leases and README.md byte
   for byte (same SHA-256).
2. Every lease in demo/dnsmasq.leases holds for the whole capture (expiry 0,
   or after its last packet), so replayed packets are attributed.
3. demo/vigil.toml.in, filled in, passes `vigild --check-config`, and
   `vigild --replay demo/demo.pcap` into a fresh store gives, checked with SQL:
   every hit attributed to the person the people CSV gives the device's MAC;
   incidents of all three severities and of the five demo categories; one
   extremism concern for Alex (a danger-severity hit and weighted phrases
   reaching the group's limit) and one circumvention concern for Riley (the
   DoH and VPN lists and nDPI's WireGuard flow), and none for anyone else;
   Casey's false positive as a new incident; Sam's gambling blocked; the
   hostile DNS name and the U+202E search term stored byte for byte.

usage: demo_replay.py VIGILD REPO_ROOT
"""
import hashlib
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile

GENERATED = ("demo.pcap", "people.csv", "dnsmasq.leases", "README.md")
HOSTILE_NAME = '<script>alert("vigil-demo")</script>.xss-lab.test'
HOSTILE_SEARCH = "photo editor keygen \u202egpj.exe"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def last_packet_time(pcap):
    """Unix seconds of the last record of a microsecond little-endian pcap."""
    with open(pcap, "rb") as f:
        data = f.read()
    assert struct.unpack_from("<I", data)[0] == 0xA1B2C3D4, "not a little-endian microsecond pcap"
    pos, last = 24, 0
    while pos + 16 <= len(data):
        sec, _usec, incl, _orig = struct.unpack_from("<IIII", data, pos)
        last = max(last, sec + 1)
        pos += 16 + incl
    return last


def read_people(path):
    """reference -> set of MACs, and MAC -> reference (the demo CSV has no quoted commas)."""
    owner = {}
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        col = {name: i for i, name in enumerate(header)}
        for line in f:
            if not line.strip():
                continue
            cells = line.rstrip("\n").split(",")
            for mac in cells[col["devices"]].split(";"):
                if mac:
                    owner[mac.lower()] = cells[col["reference"]]
    return owner


def main():
    vigild, root = sys.argv[1:3]
    demo = os.path.join(root, "demo")
    problems = []

    with tempfile.TemporaryDirectory() as tmp:
        # 1. Byte for byte from the generator.
        gen = os.path.join(root, "tests", "gen", "make_demo.py")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        p = subprocess.run([sys.executable, gen, tmp], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                           text=True, timeout=300)
        if p.returncode != 0:
            problems.append("make_demo.py failed (%d): %s" % (p.returncode, p.stderr.strip()))
        else:
            for name in GENERATED:
                fresh, committed = os.path.join(tmp, "demo", name), os.path.join(demo, name)
                if not os.path.exists(committed):
                    problems.append("demo/%s is missing" % name)
                elif sha256(fresh) != sha256(committed):
                    problems.append("demo/%s differs from a fresh make_demo.py run (sha256 %s, fresh %s)"
                                    % (name, sha256(committed)[:12], sha256(fresh)[:12]))

        # 2. Leases hold for every packet.
        pcap = os.path.join(demo, "demo.pcap")
        size = os.path.getsize(pcap)
        if size >= 5 << 20:
            problems.append("demo.pcap is %d bytes (keep it well under 5 MB)" % size)
        end = last_packet_time(pcap)
        leases = {}  # ip -> mac
        with open(os.path.join(demo, "dnsmasq.leases")) as f:
            for line in f:
                expiry, mac, ip = line.split()[:3]
                leases[ip] = mac.lower()
                if int(expiry) != 0 and int(expiry) <= end:
                    problems.append("lease of %s expires (%s) before the capture ends (%d)" % (ip, expiry, end))
        owner_of_mac = read_people(os.path.join(demo, "people.csv"))
        for ip, mac in sorted(leases.items()):
            if mac not in owner_of_mac:
                problems.append("lease %s %s names a MAC the people CSV does not" % (ip, mac))

        # 3. The replay.
        out = os.path.join(tmp, "run")
        os.makedirs(out)
        with open(os.path.join(demo, "vigil.toml.in")) as f:
            cfg_text = f.read().replace("@DIR@", out).replace("@REPO@", os.path.abspath(root))
        cfg = os.path.join(out, "vigil.toml")
        with open(cfg, "w") as f:
            f.write(cfg_text)
        p = subprocess.run([vigild, "--config", cfg, "--check-config"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 0:
            problems.append("--check-config: %s" % p.stderr.strip())
        p = subprocess.run([vigild, "--config", cfg, "--replay", pcap], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        print(p.stdout.strip())
        if p.returncode != 0:
            problems.append("vigild --replay exit %d: %s" % (p.returncode, p.stderr.strip()))
            return report(problems)
        problems += check_store(os.path.join(out, "vigil.db"), leases, owner_of_mac)
    return report(problems)


def check_store(db, leases, owner_of_mac):
    problems = []
    con = sqlite3.connect(db)
    q = lambda sql, *args: con.execute(sql, args).fetchall()  # noqa: E731

    # Attribution: every hit to the owner of its device's MAC, from the CSV and the lease.
    rows = q("SELECT h.client_ip, p.reference, h.attribution_source FROM hits h "
             "LEFT JOIN people p ON p.id = h.person_id")
    if not rows:
        problems.append("no hits at all")
    wrong = set()
    for ip, ref, source in rows:
        want = owner_of_mac.get(leases.get(ip, ""))
        if ref is None or ref != want or source != "csv+dnsmasq":
            wrong.add((ip, ref, want, source))
    for w in sorted(wrong, key=str):
        problems.append("hit from %s attributed to %s (want %s), source %s" % w)

    # Incidents of every severity and of the demo's categories.
    severities = {r[0] for r in q("SELECT DISTINCT highest_severity FROM incidents")}
    if severities != {"advisory", "caution", "danger"}:
        problems.append("incident severities %s, want advisory, caution and danger" % sorted(severities))
    categories = {r[0] for r in q("SELECT DISTINCT category FROM incidents")}
    for c in ("extremism", "gambling", "circumvention", "malware_hacking", "piracy"):
        if c not in categories:
            problems.append("no %s incident (have %s)" % (c, sorted(categories)))

    def person_rows(sql, ref):
        return q(sql + " AND person_id = (SELECT id FROM people WHERE reference = ?)", ref)

    # Alex: a danger-severity hit, weighted phrases reaching the limit (50), one concern.
    if not person_rows("SELECT 1 FROM hits WHERE category = 'extremism' AND severity = 'danger' "
                       "AND kind = 'domain'", "L26001"):
        problems.append("Alex has no danger-severity extremism hit")
    # Each phrase counts once per flow (the URL, search term and page text of
    # one request carry it three times), over the hour of the incident window.
    phrase = q("SELECT coalesce(sum(weight), 0) FROM (SELECT DISTINCT h.flow_id, h.entry, h.weight "
               "FROM hits h JOIN people p ON p.id = h.person_id WHERE p.reference = 'L26001' AND "
               "h.weight != 0 AND h.ts_us < (SELECT min(ts_us) + 3600000000 FROM hits WHERE weight != 0))")
    if phrase[0][0] < 50:
        problems.append("Alex's weighted phrases add up to %d, below the limit of 50" % phrase[0][0])
    concerns = q("SELECT c.id, p.reference, c.summary FROM concerns c JOIN people p ON p.id = c.person_id")
    by_person = {}
    for cid, ref, summary in concerns:
        by_person.setdefault(ref, []).append((cid, summary))
    if sorted(by_person) != ["L26001", "L26003"] or any(len(v) != 1 for v in by_person.values()):
        problems.append("want one concern each for L26001 and L26003, got %r" % concerns)
    if len(by_person.get("L26001", [])) == 1:
        cid, summary = by_person["L26001"][0]
        if "extremism" not in summary:
            problems.append("Alex's concern is not about extremism: %s" % summary)
        if not q("SELECT 1 FROM incidents WHERE concern_id = ? AND category = 'extremism' AND "
                 "highest_severity = 'danger' AND status = 'linked'", cid):
            problems.append("Alex's concern links no danger-severity extremism incident")
    if len(by_person.get("L26003", [])) == 1:
        cid, summary = by_person["L26003"][0]
        if "circumvention" not in summary:
            problems.append("Riley's concern is not about circumvention: %s" % summary)

    # Riley: the demo lists and nDPI's classification.
    kinds = {r[0] for r in person_rows("SELECT DISTINCT kind FROM hits WHERE category = 'circumvention'",
                                       "L26003")}
    if kinds != {"domain", "circumvention"}:
        problems.append("Riley's circumvention hits are of kinds %s, want domain (lists) and "
                        "circumvention (nDPI's WireGuard flow)" % sorted(kinds))

    # Sam: gambling, blocked for an under-18, caution.
    sam = person_rows("SELECT DISTINCT action, severity FROM hits WHERE category = 'gambling'", "L26002")
    if sam != [("block", "caution")]:
        problems.append("Sam's gambling hits: %r, want block/caution" % sam)

    # Casey: the false positive, a new caution incident, no concern.
    casey = person_rows("SELECT highest_severity, status, concern_id FROM incidents WHERE "
                        "category = 'extremism'", "L26004")
    if casey != [("caution", "new", None)]:
        problems.append("Casey's coursework search: incidents %r, want one new caution one" % casey)

    # Nobody else, and not the tutor, has hits.
    quiet = q("SELECT DISTINCT p.reference FROM hits h JOIN people p ON p.id = h.person_id "
              "WHERE p.reference NOT IN ('L26001', 'L26002', 'L26003', 'L26004', 'L26005')")
    if quiet:
        problems.append("hits for people the demo keeps ordinary: %r" % quiet)

    # Hostile text, byte for byte.
    if not q("SELECT 1 FROM hits WHERE observation = 'dns' AND value = ? AND category = 'malware_hacking'",
             HOSTILE_NAME):
        problems.append("the <script> DNS name is not stored byte for byte: %r"
                        % q("SELECT value FROM hits WHERE category = 'malware_hacking'"))
    if not q("SELECT 1 FROM hits WHERE search_term = ? AND category = 'piracy'", HOSTILE_SEARCH):
        problems.append("the U+202E search term is not stored byte for byte: %r"
                        % q("SELECT search_term FROM hits WHERE category = 'piracy'"))

    # The ordinary morning reached the activity log.
    if not q("SELECT 1 FROM activity WHERE name = 'vle.college.example'"):
        problems.append("activity log lacks the ordinary traffic (vle.college.example)")

    for sev, n in q("SELECT highest_severity, count(*) FROM incidents GROUP BY 1 ORDER BY 1"):
        print("incidents %s: %d" % (sev, n))
    print("hits %d, concerns %d, people with hits %d" % (
        q("SELECT count(*) FROM hits")[0][0], len(concerns),
        q("SELECT count(DISTINCT person_id) FROM hits")[0][0]))
    con.close()
    return problems


def report(problems):
    for pr in problems:
        print("PROBLEM", pr)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
