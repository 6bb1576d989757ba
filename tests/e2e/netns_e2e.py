#!/usr/bin/env python3
"""End to end on real network namespaces, made and removed by this test.

  client (vc) --veth-- router (vr: vigild, DHCP, SMTP sink) --veth-- server (vs)

The router forwards between 10.77.1.0/24 (learners) and 10.77.2.0/24 (servers).
It runs dnsmasq as the learners' DHCP server (lease file read by vigild), an
SMTP sink with STARTTLS (python3-aiosmtpd, the notify tests' server), and
vigild capturing on its learner-side veth. The server namespace runs dnsmasq
as the DNS server, an HTTP server and an HTTPS server (openssl s_server). The
client takes a DHCP lease with dhclient, then uses dig and curl against names
on the test blocklist and a page with a listed keyword.

Asserts: each hit is in the store within 1 s of the client's request,
attributed to the client's person through its lease; the incident and the
concern appear; the DSL's notification reaches the SMTP sink; a rule reload
during a burst of traffic loses no hit; a reload re-reads the configuration
(a changed rules.dir applies). Prints the measured delays.

usage: netns_e2e.py VIGILD VIGILCTL NOTIFY_SERVERS_PY    (root; exit 77 = skipped)
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

NS = ("vge2e-c", "vge2e-r", "vge2e-s")
CLIENT_MAC = "02:00:5e:77:01:02"
BLOCKED = "blocked.vigil-test.example"
KEYWORD_HOST = "news.vigil-test.example"
TLS_HOST = "tls.blocked.vigil-test.example"


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def nsx(ns, *args, **kw):
    return sh("ip", "netns", "exec", ns, *args, **kw)


def spawn(ns, args, log, **kw):
    return subprocess.Popen(["ip", "netns", "exec", ns] + args, stdout=log, stderr=subprocess.STDOUT,
                            **kw)


def cleanup():
    for ns in NS:
        for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            sh("kill", "-9", pid, check=False)
        sh("ip", "netns", "del", ns, check=False)


def setup_network():
    c, r, s = NS
    for ns in NS:
        sh("ip", "netns", "add", ns)
        nsx(ns, "ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "vge2e-c0", "netns", c, "address", CLIENT_MAC, "type", "veth",
       "peer", "name", "vge2e-r0", "netns", r)
    sh("ip", "link", "add", "vge2e-r1", "netns", r, "type", "veth", "peer", "name", "vge2e-s0",
       "netns", s)
    nsx(r, "ip", "addr", "add", "10.77.1.1/24", "dev", "vge2e-r0")
    nsx(r, "ip", "addr", "add", "10.77.2.1/24", "dev", "vge2e-r1")
    nsx(s, "ip", "addr", "add", "10.77.2.2/24", "dev", "vge2e-s0")
    for ns, dev in ((c, "vge2e-c0"), (r, "vge2e-r0"), (r, "vge2e-r1"), (s, "vge2e-s0")):
        nsx(ns, "ip", "link", "set", dev, "up")
    nsx(s, "ip", "route", "add", "default", "via", "10.77.2.1")
    nsx(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def wait_for(predicate, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = predicate()
        if v:
            return v
        time.sleep(step)
    return predicate()


def query(db, sql, args=()):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def main():
    vigild, vigilctl, notify_servers = sys.argv[1:4]
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return 77
    for tool in ("dnsmasq", "dhclient", "dig", "curl", "openssl"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed (scripts/install-deps.sh installs it)" % tool)
            return 77
    cleanup()
    tmp = tempfile.mkdtemp(prefix="vigil-e2e-")
    procs = []
    problems = []
    try:
        try:
            setup_network()
        except subprocess.CalledProcessError as e:
            print("SKIP: cannot make network namespaces here: %s" % e.stderr.strip())
            return 77
        c, r, s = NS
        log = open(os.path.join(tmp, "servers.log"), "w")

        # Server namespace: DNS, HTTP and HTTPS.
        write(os.path.join(tmp, "dns.conf"),
              "no-resolv\nno-hosts\nlisten-address=10.77.2.2\nbind-interfaces\nport=53\n"
              "address=/vigil-test.example/10.77.2.2\n")
        procs.append(spawn(s, ["dnsmasq", "--keep-in-foreground", "--conf-file=" +
                               os.path.join(tmp, "dns.conf"), "--pid-file=" +
                               os.path.join(tmp, "dns.pid"), "--user=root"], log))
        web = os.path.join(tmp, "web")
        os.mkdir(web)
        write(os.path.join(web, "page.html"),
              "<html><head><title>Local news</title></head><body><p>A report on "
              "radicalisation-test-phrase in the area.</p></body></html>")
        procs.append(spawn(s, [sys.executable, "-m", "http.server", "80", "--bind", "10.77.2.2",
                               "--directory", web], log))
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-days", "2", "-subj", "/CN=" + TLS_HOST, "-keyout",
           os.path.join(tmp, "web.key"), "-out", os.path.join(tmp, "web.pem"))
        procs.append(spawn(s, ["openssl", "s_server", "-quiet", "-accept", "443", "-cert",
                               os.path.join(tmp, "web.pem"), "-key", os.path.join(tmp, "web.key"),
                               "-www"], log, stdin=subprocess.PIPE))

        # Router namespace: DHCP for learners, the SMTP sink, vigild.
        leases = os.path.join(tmp, "dnsmasq.leases")
        write(leases, "")
        write(os.path.join(tmp, "dhcp.conf"),
              "port=0\ninterface=vge2e-r0\nbind-interfaces\n"
              "dhcp-range=10.77.1.50,10.77.1.60,255.255.255.0,1h\n"
              "dhcp-option=option:router,10.77.1.1\ndhcp-option=option:dns-server,10.77.2.2\n"
              "dhcp-leasefile=%s\n" % leases)
        procs.append(spawn(r, ["dnsmasq", "--keep-in-foreground", "--conf-file=" +
                               os.path.join(tmp, "dhcp.conf"), "--pid-file=" +
                               os.path.join(tmp, "dhcp.pid"), "--user=root"], log))
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-days", "2", "-subj", "/CN=vigil-e2e-smtp", "-addext",
           "subjectAltName=IP:127.0.0.1", "-keyout", os.path.join(tmp, "smtp.key"), "-out",
           os.path.join(tmp, "smtp.pem"))
        mail = os.path.join(tmp, "mail")
        os.mkdir(mail)
        smtp = subprocess.Popen(["ip", "netns", "exec", r, sys.executable, notify_servers, "smtp",
                                 "--tls", "starttls", "--cert", os.path.join(tmp, "smtp.pem"),
                                 "--key", os.path.join(tmp, "smtp.key"), "--out", mail,
                                 "--lifetime", "600"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(smtp)
        smtp_port = int(smtp.stdout.readline().split()[1])

        # The client takes a lease (its own hook script: no host files touched).
        hook = os.path.join(tmp, "dhclient-hook")
        write(hook, "#!/bin/sh\ncase \"$reason\" in BOUND|RENEW|REBOOT)\n"
              "  ip addr add \"$new_ip_address/24\" dev \"$interface\"\n"
              "  ip route replace default via \"$new_routers\";;\nesac\nexit 0\n", 0o755)
        nsx(c, "dhclient", "-1", "-sf", hook, "-lf", os.path.join(tmp, "client.leases"), "-pf",
            os.path.join(tmp, "dhclient.pid"), "vge2e-c0", timeout=60)
        client_ip = nsx(c, "ip", "-4", "-o", "addr", "show", "vge2e-c0").stdout.split()[3]
        client_ip = client_ip.split("/")[0]
        if not wait_for(lambda: CLIENT_MAC in open(leases).read(), 5):
            problems.append("dnsmasq wrote no lease for the client")

        rules = os.path.join(tmp, "rules")
        os.mkdir(rules)
        write(os.path.join(rules, "policy.toml"),
              'default_group = "learners"\n\n[[list]]\nname = "e2e extremism sites"\n'
              'path = "extremism.domains"\nformat = "domains"\ncategory = "extremism"\n'
              'severity = "danger"\naction = "block"\n\n[[list]]\nname = "e2e words"\n'
              'path = "words.keywords"\nformat = "keywords"\ncategory = "extremism"\n'
              'severity = "caution"\naction = "alert"\n\n[[group]]\nname = "learners"\n')
        write(os.path.join(rules, "extremism.domains"), BLOCKED + "\n")
        write(os.path.join(rules, "words.keywords"), "radicalisation-test-phrase\n")
        write(os.path.join(tmp, "people.csv"),
              "reference,name,cohort,group,under_18,devices\n"
              "L0777,Test Learner,E2E cohort,learners,yes,%s\n" % CLIENT_MAC)
        write(os.path.join(tmp, "smtp.password"), "correct horse\n", 0o600)
        db = os.path.join(tmp, "vigil.db")
        sock = os.path.join(tmp, "vigild.sock")
        cfg = os.path.join(tmp, "vigil.toml")
        write(cfg, f"""[store]
path = "{db}"
[rules]
dir = "{rules}"
[capture]
interfaces = ["vge2e-r0"]
workers = 2
[identity]
dnsmasq_leases = "{leases}"
people_csv = "{os.path.join(tmp, 'people.csv')}"
[control]
socket = "{sock}"
[metrics]
listen = "127.0.0.1:0"
[notify]
smtp_url = "smtp://127.0.0.1:{smtp_port}"
smtp_user = "vigil-alerts"
smtp_password_file = "{os.path.join(tmp, 'smtp.password')}"
tls_ca_file = "{os.path.join(tmp, 'smtp.pem')}"
from = "vigil@centre.example"
to = ["dsl@centre.example"]
[console]
public_url = "https://vigil.centre.example:8443"
""")
        vlog = open(os.path.join(tmp, "vigild.log"), "w")
        vigild_proc = spawn(r, [vigild, "--config", cfg], vlog)
        procs.append(vigild_proc)
        if not wait_for(lambda: os.path.exists(sock), 20):
            raise RuntimeError("vigild did not start: " + open(os.path.join(tmp, "vigild.log")).read())
        time.sleep(0.5)  # capture opened before the socket; let libpcap settle

        def hit_delay(start, value_sql, args):
            got = wait_for(lambda: query(db, value_sql, args), 5, 0.01)
            return (time.monotonic() - start) if got else None

        # 1. DNS for a blocked name.
        t0 = time.monotonic()
        nsx(c, "dig", "+short", "+tries=1", "+time=2", "@10.77.2.2", BLOCKED)
        dns_delay = hit_delay(t0, "SELECT id FROM hits WHERE value = ? AND observation = 'dns'",
                              (BLOCKED,))
        # 2. HTTPS to a blocked name (the SNI).
        t0 = time.monotonic()
        nsx(c, "curl", "-sk", "-o", "/dev/null", "--max-time", "5", "--resolve",
            TLS_HOST + ":443:10.77.2.2", "https://" + TLS_HOST + "/", check=False)
        tls_delay = hit_delay(t0, "SELECT id FROM hits WHERE value = ? AND observation = 'sni'",
                              (TLS_HOST,))
        # 3. A plain-HTTP page whose text holds a listed keyword.
        t0 = time.monotonic()
        nsx(c, "curl", "-s", "-o", "/dev/null", "--max-time", "5", "--resolve",
            KEYWORD_HOST + ":80:10.77.2.2", "http://" + KEYWORD_HOST + "/page.html")
        text_delay = hit_delay(t0, "SELECT id FROM hits WHERE observation = 'http_text' AND "
                               "entry = 'radicalisation-test-phrase'", ())
        for name, d in (("dns", dns_delay), ("sni", tls_delay), ("http_text", text_delay)):
            print("packet to stored hit (%s): %s" % (name, "%.3f s" % d if d is not None else
                                                       "never"))
            if d is None or d > 1.0:
                problems.append("%s hit not stored within 1 s (%s)" % (name, d))

        rows = query(db, "SELECT h.client_ip, p.reference, h.attribution_source, "
                     "h.attribution_confidence FROM hits h LEFT JOIN people p ON "
                     "p.id = h.person_id WHERE h.value = ?", (BLOCKED,))
        if not rows or rows[0][1] != "L0777" or "dnsmasq" not in (rows[0][2] or ""):
            problems.append("hit not attributed through the lease: %r (client %s)" %
                            (rows, client_ip))
        inc = wait_for(lambda: query(db, "SELECT i.id, i.concern_id FROM incidents i JOIN people p "
                                     "ON p.id = i.person_id WHERE p.reference = 'L0777' AND "
                                     "i.category = 'extremism' AND i.concern_id IS NOT NULL"), 5)
        if not inc:
            problems.append("no extremism incident linked to a concern for L0777: %r" %
                            query(db, "SELECT id, person_id, category, concern_id FROM incidents"))
        mails = wait_for(lambda: [f for f in os.listdir(mail) if f.endswith(".eml")], 15)
        if not mails:
            problems.append("no notification reached the SMTP sink")
        else:
            body = open(os.path.join(mail, mails[0]), encoding="utf-8", errors="replace").read()
            if any(x in body for x in ("Test Learner", "L0777", BLOCKED, client_ip, CLIENT_MAC)):
                problems.append("the notification carries personal detail")
            if "https://vigil.centre.example:8443/concerns/" not in body:
                problems.append("the notification does not link to the concern")

        # 4. A burst of distinct blocked names while rules reload: none lost.
        burst = 150
        reloads = subprocess.Popen(
            ["sh", "-c", "for i in 1 2 3 4 5; do %s reload --socket %s >/dev/null || exit 1; "
             "sleep 0.2; done" % (vigilctl, sock)])
        names = ["n%d.%s" % (i, BLOCKED) for i in range(burst)]
        batch = os.path.join(tmp, "burst.txt")
        write(batch, "\n".join(names) + "\n")
        nsx(c, "dig", "+short", "+tries=1", "+time=1", "@10.77.2.2", "-f", batch, check=False,
            timeout=120)
        if reloads.wait(timeout=60) != 0:
            problems.append("vigilctl reload failed during the burst")
        stored = wait_for(lambda: len(query(db, "SELECT DISTINCT value FROM hits WHERE value LIKE "
                                            "'n%%.%s' AND observation = 'dns'" % BLOCKED)) >=
                          burst and burst, 10)
        got = len(query(db, "SELECT DISTINCT value FROM hits WHERE value LIKE 'n%%.%s' AND "
                        "observation = 'dns'" % BLOCKED))
        print("burst during 5 reloads: %d of %d names stored" % (got, burst))
        if got != burst:
            problems.append("lost hits during reload: %d of %d" % (got, burst))
        # 5. A re-read configuration: rules.dir now names another tree; after a
        # reload its new entry matches.
        rules2 = os.path.join(tmp, "rules2")
        shutil.copytree(rules, rules2)
        with open(os.path.join(rules2, "extremism.domains"), "a") as f:
            f.write("second.vigil-test.example\n")
        with open(cfg) as f:
            text = f.read()
        write(cfg, text.replace('dir = "%s"' % rules, 'dir = "%s"' % rules2))
        rl = sh(vigilctl, "reload", "--socket", sock, check=False)
        nsx(c, "dig", "+short", "+tries=1", "+time=2", "@10.77.2.2", "second.vigil-test.example")
        if rl.returncode != 0 or not wait_for(lambda: query(
                db, "SELECT id FROM hits WHERE value = 'second.vigil-test.example'"), 5):
            problems.append("a rules.dir changed in the configuration did not apply on reload: %s"
                            % (rl.stdout + rl.stderr))
        st = sh(vigilctl, "stats", "--socket", sock, check=False)
        if st.returncode != 0:
            problems.append("vigilctl stats failed: " + st.stderr)
        elif '"pipeline.queue_drops":0' not in st.stdout.replace(" ", ""):
            problems.append("frames dropped during the test: " + st.stdout[:300])
        vigild_proc.terminate()
        if vigild_proc.wait(timeout=30) != 0:
            problems.append("vigild exit status %d" % vigild_proc.returncode)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        cleanup()
        if problems:
            for f in ("vigild.log", "servers.log"):
                path = os.path.join(tmp, f)
                if os.path.exists(path):
                    print("---- %s\n%s" % (f, open(path).read()[-3000:]))
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("PROBLEM", p)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
