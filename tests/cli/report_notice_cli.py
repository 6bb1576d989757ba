#!/usr/bin/env python3
"""CLI: `vigilctl report monthly --notify` against the notify tests' SMTP sink
(tests/integration/notify/notify_servers.py, STARTTLS with a certificate
made here). Checks that the notice reaches reports.monthly_recipients (not
notify.to), links to console.public_url + /reports/YYYY-MM, carries no
attachment, no figure and no name; that empty recipients send nothing and
exit 0; that a server that cannot be reached is one error line and exit 1
with the report still written; and that --notify needs --config.

usage: report_notice_cli.py VIGILCTL NOTIFY_SERVERS_PY
"""
import os
import subprocess
import sys
import tempfile
import time

problems = []


def problem(text):
    problems.append(text)


def run(args):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=120)


def write_config(tmp, name, port, recipients):
    path = os.path.join(tmp, name + ".toml")
    rec = ", ".join('"%s"' % r for r in recipients)
    with open(path, "w") as f:
        f.write(f"""[store]
path = "{tmp}/store.db"

[reports]
dir = "{tmp}/reports-{name}"
monthly_recipients = [{rec}]

[console]
public_url = "https://vigil.example.org:8443"

[notify]
smtp_url = "smtp://127.0.0.1:{port}"
smtp_user = "vigil-alerts"
smtp_password_file = "{tmp}/smtp-password"
from = "vigil@example.org"
to = ["dsl@example.org"]
tls_ca_file = "{tmp}/cert.pem"
""")
    return path


def main():
    vigilctl, servers = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
             "/CN=vigil-test-smtp", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", tmp + "/key.pem", "-out", tmp + "/cert.pem"],
            check=True, capture_output=True)
        with open(tmp + "/smtp-password", "w") as f:
            f.write("correct horse\n")
        os.chmod(tmp + "/smtp-password", 0o600)
        subprocess.run([vigilctl, "store", "init", "--db", tmp + "/store.db"], check=True,
                       capture_output=True)
        out = tmp + "/mail"
        os.mkdir(out)
        sink = subprocess.Popen(
            [sys.executable, servers, "smtp", "--tls", "starttls", "--cert", tmp + "/cert.pem",
             "--key", tmp + "/key.pem", "--out", out],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = sink.stdout.readline().split()
            if len(line) != 2 or line[0] != "PORT":
                raise SystemExit("the SMTP sink did not start: %r" % line)
            port = int(line[1])

            # Sent: to the monthly recipients, a link and nothing else.
            cfg = write_config(tmp, "sent", port,
                               ["governors@example.org", "director@example.org"])
            p = run([vigilctl, "report", "monthly", "--config", cfg, "--month", "2026-11",
                     "--notify"])
            if p.returncode != 0:
                problem("--notify: exit %d: %s" % (p.returncode, p.stderr))
            if "report notice sent to 2 recipients" not in p.stderr:
                problem("--notify: not told it was sent: %r" % p.stderr)
            for _ in range(50):
                if os.path.exists(out + "/1.txt"):
                    break
                time.sleep(0.1)
            if not os.path.exists(out + "/1.txt"):
                problem("no message reached the sink")
            else:
                fields = dict(l.split("=", 1) for l in open(out + "/1.txt").read().splitlines())
                if fields.get("rcpt_to") != "governors@example.org,director@example.org":
                    problem("recipients: %r" % fields.get("rcpt_to"))
                if fields.get("tls") in ("", "none"):
                    problem("sent without TLS: %r" % fields)
                if fields.get("authenticated") != "1":
                    problem("not authenticated: %r" % fields)
                with open(out + "/1.eml", encoding="utf-8", errors="replace") as f:
                    eml = f.read().replace("\r\n", "\n")
                if "\nhttps://vigil.example.org:8443/reports/2026-11\n" not in eml:
                    problem("no link to the report in: %r" % eml)
                if "Subject: Vigil: the monthly filtering report for November 2026 is ready" \
                        not in eml:
                    problem("subject: %r" % eml)
                if "dsl@example.org" in eml:
                    problem("the notice went to notify.to too: %r" % eml)
                for bad in ("multipart", "attachment", "Content-Disposition", "<html"):
                    if bad.lower() in eml.lower():
                        problem("the notice holds %r: %r" % (bad, eml))
            if not os.path.isfile(tmp + "/reports-sent/2026-11/report.html"):
                problem("the report was not written before the notice")

            # No recipients: no mail, exit 0.
            cfg = write_config(tmp, "none", port, [])
            p = run([vigilctl, "report", "monthly", "--config", cfg, "--month", "2026-11",
                     "--notify"])
            if p.returncode != 0 or "no notice sent" not in p.stderr:
                problem("no recipients: exit %d, %r" % (p.returncode, p.stderr))
            time.sleep(0.5)
            if os.path.exists(out + "/2.txt"):
                problem("a notice was sent with no recipients")
        finally:
            sink.stdin.close()
            sink.wait(timeout=10)

        # The server is gone: one error line, exit 1, the report written.
        cfg = write_config(tmp, "down", port, ["governors@example.org"])
        p = run([vigilctl, "report", "monthly", "--config", cfg, "--month", "2026-11",
                 "--notify"])
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode != 1 or len(lines) != 2 or "notice was not sent" not in lines[-1]:
            problem("server down: exit %d, %r" % (p.returncode, p.stderr))
        if not os.path.isfile(tmp + "/reports-down/2026-11/report.html"):
            problem("server down: the report was not written")

        p = run([vigilctl, "report", "monthly", "--db", tmp + "/store.db", "--out",
                 tmp + "/x", "--month", "2026-11", "--notify"])
        if p.returncode != 2 or "--notify needs --config" not in p.stderr:
            problem("--notify without --config: exit %d, %r" % (p.returncode, p.stderr))

    for p in problems:
        print("FAIL:", p)
    print("report_notice_cli: %d problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
