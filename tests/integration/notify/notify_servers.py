#!/usr/bin/env python3
"""Real servers for the notify delivery tests.

  notify_servers.py smtp --tls starttls|implicit|none --cert C --key K --user U --password P --out DIR
  notify_servers.py webhook --cert C --key K --secret S --statuses 500,200 --out DIR

Each binds 127.0.0.1 on a port the kernel chooses, prints "PORT <n>" on
standard output once it is listening, and records what it receives in DIR:
  SMTP:    N.eml (the message as received, after dot-unstuffing) and N.txt;
           auth.txt, one line per AUTH attempt
  webhook: N.body (the raw request body) and N.txt
The .txt files are "key=value" lines, written after the data file and
renamed into place, so a reader never sees half a record. The server exits
when its standard input closes (the test ended) or after --lifetime seconds.
"""

import argparse
import asyncio
import hashlib
import hmac
import http.server
import os
import ssl
import sys
import threading


def write_record(out, name, data_ext, data, fields):
    with open(os.path.join(out, f"{name}.{data_ext}"), "wb") as f:
        f.write(data)
    tmp = os.path.join(out, f"{name}.tmp")
    with open(tmp, "w") as f:
        for k, v in fields.items():
            f.write(f"{k}={v}\n")
    os.rename(tmp, os.path.join(out, f"{name}.txt"))


def tls_version(transport):
    obj = transport.get_extra_info("ssl_object") if transport else None
    return obj.version() if obj else "none"


def server_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def exit_when_stdin_closes(lifetime):
    def watch():
        try:
            sys.stdin.buffer.read()
        finally:
            os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    threading.Timer(lifetime, lambda: os._exit(0)).start()


def run_smtp(args):
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    ctx = server_context(args.cert, args.key) if args.tls != "none" else None
    counter = {"n": 0}

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == args.user
            and auth_data.password.decode() == args.password
        )
        login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?"
        with open(os.path.join(args.out, "auth.txt"), "a") as f:
            f.write(f"mechanism={mechanism} login={login} ok={int(ok)} "
                    f"tls={tls_version(server.transport)}\n")
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            counter["n"] += 1
            write_record(
                args.out, str(counter["n"]), "eml", envelope.original_content,
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_to": ",".join(envelope.rcpt_tos),
                    "tls": tls_version(server.transport),
                    "authenticated": int(bool(session.authenticated)),
                    "login": session.auth_data.login.decode()
                    if session.authenticated and isinstance(session.auth_data, LoginPassword)
                    else "",
                },
            )
            return "250 OK"

    def factory():
        return SMTP(
            Handler(),
            hostname="mx.test",
            tls_context=ctx if args.tls == "starttls" else None,
            require_starttls=args.tls == "starttls",
            authenticator=authenticator,
            auth_required=True,
            # aiosmtpd counts only STARTTLS as TLS here, so AUTH is offered
            # over implicit TLS only with this off. The plaintext server
            # offers AUTH in the clear too, so a client that does not insist
            # on TLS would send its password (auth.txt records it).
            auth_require_tls=args.tls == "starttls",
        )

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(factory, host="127.0.0.1", port=0,
                           ssl=ctx if args.tls == "implicit" else None))
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    loop.run_forever()


def run_webhook(args):
    statuses = [int(s) for s in args.statuses.split(",")]
    secret = args.secret.encode()
    state = {"n": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state["n"] += 1
                n = state["n"]
            status = statuses[min(n, len(statuses)) - 1]
            given = self.headers.get("X-Vigil-Signature-256", "")
            expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            write_record(
                args.out, str(n), "body", body,
                {
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type", ""),
                    "event": self.headers.get("X-Vigil-Event", ""),
                    "delivery": self.headers.get("X-Vigil-Delivery", ""),
                    "signature_ok": int(bool(given) and hmac.compare_digest(given, expected)),
                    "tls": self.connection.version() if hasattr(self.connection, "version") else "none",
                    "status": status,
                },
            )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = server_context(args.cert, args.key).wrap_socket(httpd.socket, server_side=True)
    print("PORT", httpd.server_address[1], flush=True)
    httpd.serve_forever()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="kind", required=True)
    s = sub.add_parser("smtp")
    s.add_argument("--tls", choices=["starttls", "implicit", "none"], required=True)
    s.add_argument("--user", default="vigil-alerts")
    s.add_argument("--password", default="correct horse")
    w = sub.add_parser("webhook")
    w.add_argument("--secret", default="")
    w.add_argument("--statuses", default="200")
    for q in (s, w):
        q.add_argument("--cert", required=True)
        q.add_argument("--key", required=True)
        q.add_argument("--out", required=True)
        q.add_argument("--lifetime", type=float, default=120)
    args = p.parse_args()
    exit_when_stdin_closes(args.lifetime)
    run_smtp(args) if args.kind == "smtp" else run_webhook(args)


if __name__ == "__main__":
    main()
