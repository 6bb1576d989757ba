#!/usr/bin/env python3
"""Load on vigil-console with a large store (issue 6), against a peer in the same run.

  console_load.py VIGIL_CONSOLE VIGILCTL STORE.db [--duration 20] [--connections 16]

Copies STORE.db (a store with ~1 M hits, e.g. the one bench/micro/store_bench builds),
migrates the copy to the newest schema, adds a DSL, starts vigil-console on loopback,
signs in like a browser (login form with its CSRF token), and runs wrk with the
session cookie against the dashboard, the incident list and their JSON twins.
Each request is a real one: session lookup, role check, SQLite queries, an audit
row for the identifiable incident list, HTML escaping, TLS.

Peer: nginx serving the same bytes (the incident list page as vigil-console
rendered it, saved to a file) over TLS with the same certificate, same wrk
settings: the ceiling of TLS and HTTP on this machine, so vigil-console's
figure reads as a share of it. Needs wrk and nginx (scripts/install-deps.sh --bench).
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "lib"))
from console_process import start_console  # noqa: E402


def request(port, method, path, body=None, cookies=None, headers=None):
    ctx = ssl._create_unverified_context()
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    h = dict(headers or {})
    if cookies:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    set_cookies = {}
    for k, v in r.getheaders():
        if k.lower() == "set-cookie":
            name, _, rest = v.partition("=")
            set_cookies[name] = rest.split(";")[0]
    c.close()
    return r.status, dict(r.getheaders()), data, set_cookies


def login(port, user, password):
    status, _, page, cookies = request(port, "GET", "/login")
    token = re.search(rb'name="login_csrf" value="([^"]+)"', page)
    if status != 200 or not token:
        raise RuntimeError("no login form (status %d)" % status)
    body = urllib.parse.urlencode({"user": user, "password": password,
                                   "login_csrf": token.group(1).decode(), "next": "/"})
    status, _, _, more = request(port, "POST", "/login", body, cookies)
    cookies.update(more)
    session = {k: v for k, v in cookies.items() if k == "__Host-vigil_session"}
    if status not in (302, 303) or not session:
        raise RuntimeError("login refused (status %d)" % status)
    return session


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, cookie, a, connections):
    cmd = ["wrk", "-t", str(min(a.threads, connections)), "-c", str(connections),
           "-d", "%ds" % a.duration,
           "--timeout", "10s", "-s", os.path.join(HERE, "p95.lua"), url]
    if cookie:
        cmd[1:1] = ["-H", "Cookie: " + cookie]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         check=True).stdout
    vals = dict(re.findall(r"^VIGIL_(\w+) (\d+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    reqs = int(vals["REQUESTS"])
    secs = int(vals["DURATION_US"]) / 1e6
    return {"rps": reqs / secs, "p50": int(vals["P50_US"]) / 1000, "p95": int(vals["P95_US"]) / 1000,
            "p99": int(vals["P99_US"]) / 1000, "errors": int(vals["ERRORS"]),
            "non2xx": int(non2xx.group(1)) if non2xx else 0, "requests": reqs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("console")
    ap.add_argument("vigilctl")
    ap.add_argument("store")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("needs %s (scripts/install-deps.sh --bench)" % tool)
            return 77
    tmp = tempfile.mkdtemp(prefix="vigil-console-bench-")
    procs = []
    try:
        db = os.path.join(tmp, "vigil.db")
        shutil.copy(a.store, db)
        subprocess.run([a.vigilctl, "store", "migrate", "--db", db], check=True,
                       stdout=subprocess.DEVNULL)
        hits = subprocess.run(["sqlite3", db, "SELECT count(*) FROM hits"], check=True,
                              stdout=subprocess.PIPE, text=True).stdout.strip()
        incidents = subprocess.run(["sqlite3", db, "SELECT count(*) FROM incidents"], check=True,
                                   stdout=subprocess.PIPE, text=True).stdout.strip()
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[console]\nlisten = "127.0.0.1:0"\n'
                    'tls_cert = "%s/cert.pem"\ntls_key = "%s/key.pem"\n' % (db, tmp, tmp))
        password = "bench-dsl-password-1"
        subprocess.run([a.vigilctl, "users", "add", "--config", cfg, "--name", "bench-dsl",
                        "--role", "dsl"], input=password + "\n", text=True, check=True,
                       stdout=subprocess.DEVNULL)
        proc, port = start_console(a.console, cfg)
        procs.append(proc)
        if port is None:
            raise RuntimeError("vigil-console did not start")
        session = login(port, "bench-dsl", password)
        cookie = "; ".join("%s=%s" % kv for kv in session.items())
        status, _, page, _ = request(port, "GET", "/incidents", cookies=session)
        if status != 200:
            raise RuntimeError("/incidents answered %d" % status)
        print("store: %s hits, %s incidents; wrk -t%d -d%ds; load average before: %s" %
              (hits, incidents, a.threads, a.duration,
               open("/proc/loadavg").read().split()[0]))
        print("target\tconnections\trequests/s\tp50_ms\tp95_ms\tp99_ms\terrors\tnon2xx")
        results = {}
        # Two connections: a few staff at once (latency); a.connections: saturation.
        for conns in sorted({2, a.connections}):
            for path in ("/", "/incidents", "/api/dashboard", "/api/incidents"):
                r = wrk("https://127.0.0.1:%d%s" % (port, path), cookie, a, conns)
                results[(path, conns)] = r
                print("vigil-console %s\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%d\t%d" %
                      (path, conns, r["rps"], r["p50"], r["p95"], r["p99"], r["errors"],
                       r["non2xx"]), flush=True)
        audit = subprocess.run(["sqlite3", db, "SELECT count(*) FROM audit_log WHERE action = "
                                "'incident.list'"], stdout=subprocess.PIPE, text=True).stdout
        print("audit rows for incident lists written during the run: %s" % audit.strip())

        # Peer: nginx, the same incident-list bytes, TLS with the same key.
        www = os.path.join(tmp, "www")
        os.mkdir(www)
        os.chmod(tmp, 0o755)  # nginx's workers run as www-data
        with open(os.path.join(www, "incidents.html"), "wb") as f:
            f.write(page)
        peer_port = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off; worker_processes 2; pid %(t)s/nginx.pid; error_log %(t)s/nginx.err;
events { worker_connections 256; }
http { access_log off; server { listen 127.0.0.1:%(p)d ssl; ssl_certificate %(t)s/cert.pem;
  ssl_certificate_key %(t)s/key.pem; ssl_protocols TLSv1.2 TLSv1.3; root %(w)s;
  add_header Cache-Control no-store; } }
""" % {"t": tmp, "p": peer_port, "w": www})
        nginx = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        procs.append(nginx)
        time.sleep(1)
        r = wrk("https://127.0.0.1:%d/incidents.html" % peer_port, None, a, a.connections)
        print("nginx (same bytes, static)\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%d\t%d" %
              (a.connections, r["rps"], r["p50"], r["p95"], r["p99"], r["errors"], r["non2xx"]))
        print("vigil-console /incidents / nginx: %.3f of the requests per second" %
              (results[("/incidents", a.connections)]["rps"] / r["rps"]))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
