#!/usr/bin/env python3
"""`vigil-console` as a program: a missing store is refused in one line
naming `vigilctl store init`; with a store and a user made by vigilctl it
makes its certificate, says where it serves, answers HTTPS (sign-in page,
sign-in, a signed-in page), refuses plain HTTP, and stops cleanly on
SIGTERM.

usage: console_cli.py VIGIL_CONSOLE VIGILCTL
"""
import http.client
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

PASSWORD = "a long enough password"


def main():
    console, vigilctl = sys.argv[1:3]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[console]\nlisten = "127.0.0.1:0"\n'
                    'tls_cert = "%s/tls/cert.pem"\ntls_key = "%s/tls/key.pem"\n' % (db, tmp, tmp))

        p = subprocess.run([console, "--config", cfg], capture_output=True, text=True, timeout=30)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode == 0 or len(lines) != 1 or "vigilctl store init" not in lines[0]:
            failures.append("missing store: exit %d, %r" % (p.returncode, p.stderr))

        subprocess.run([vigilctl, "store", "init", "--db", db], check=True, capture_output=True)
        subprocess.run([vigilctl, "users", "add", "--config", cfg, "--name", "dsl1", "--role", "dsl"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)

        proc = subprocess.Popen([console, "--config", cfg], stderr=subprocess.PIPE, text=True)
        port = None
        seen = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"serving https://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
                break
        try:
            if port is None:
                failures.append("no 'serving' line: %r" % seen)
                return report(failures)
            if not any("SHA-256 fingerprint" in l for l in seen):
                failures.append("no fingerprint printed: %r" % seen)
            key_mode = stat.S_IMODE(os.stat(os.path.join(tmp, "tls", "key.pem")).st_mode)
            if key_mode != 0o600:
                failures.append("key mode %o" % key_mode)

            ctx = ssl.create_default_context(cafile=os.path.join(tmp, "tls", "cert.pem"))
            ctx.check_hostname = True

            def call(method, path, body=None, headers=None):
                c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
                c.request(method, path, body=body, headers=headers or {})
                r = c.getresponse()
                data = r.read().decode()
                c.close()
                return r, data

            r, page = call("GET", "/login")
            if r.status != 200 or r.getheader("X-Frame-Options") != "DENY":
                failures.append("GET /login: %d" % r.status)
            login_cookie = re.search(r"__Host-vigil_login=([0-9a-f]{64})", r.getheader("Set-Cookie") or "")
            token = re.search(r'name="login_csrf" value="([0-9a-f]{64})"', page)
            if not login_cookie or not token:
                failures.append("no login token: %r" % r.getheaders())
                return report(failures)
            body = urllib.parse.urlencode({"user": "dsl1", "password": PASSWORD,
                                           "login_csrf": token.group(1), "next": "/account"})
            r, _ = call("POST", "/login", body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "__Host-vigil_login=" + login_cookie.group(1)})
            session = re.search(r"__Host-vigil_session=([0-9a-f]{64})", r.getheader("Set-Cookie") or "")
            if r.status != 303 or r.getheader("Location") != "/account" or not session:
                failures.append("sign-in: %d %r" % (r.status, r.getheaders()))
            else:
                r, page = call("GET", "/account", headers={"Cookie": "__Host-vigil_session=" + session.group(1)})
                if r.status != 200 or "dsl1" not in page:
                    failures.append("GET /account signed in: %d" % r.status)

            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                got = b""
                try:
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        got += chunk
                except ConnectionResetError:
                    pass
                if got.startswith(b"HTTP/"):
                    failures.append("plain HTTP got an HTTP answer: %r" % got[:80])
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = None
            rest = proc.stderr.read()
            if rc != 0:
                failures.append("SIGTERM: exit %r, %r" % (rc, rest))
            elif "stopped" not in rest:
                failures.append("no 'stopped' line: %r" % rest)
    return report(failures)


def report(failures):
    for f in failures:
        print("FAIL " + f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
