#!/usr/bin/env python3
"""`vigilctl status|stats|reload|test` against a stand-in vigild (the real
ControlServer with canned answers, tests/unit/daemon/control/fake_daemon.cc):
the JSON printed, the status summary, --socket / --config / --set, and the
one-line errors and exit statuses when vigild answers with an error (1), the
command line is wrong (2) or vigild cannot be reached (3).

usage: ctl_cli.py VIGILCTL FAKE_DAEMON
"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading

STATUS = {"version": "0.1.0-test", "uptime_s": 42, "rules": {"generation": 3, "age_s": 7},
          "capture": {"interfaces": ["br-lan", "wlan0"], "kernel_dropped": 0},
          "store": {"spool": 0}}
STATS = {"inspect": {"packets": 1000, "decode.truncated_ipv4": 2}, "store": {"hits": 5}}


def run(*args, **kw):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60, **kw)


class FakeDaemon:
    def __init__(self, binary, path, *extra):
        self.path = path
        self.proc = subprocess.Popen([binary, path, *extra], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise SystemExit("fake_daemon did not start: %r %r" % (line, self.proc.stderr.read()))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err


def main():
    vigilctl, fake_daemon = sys.argv[1:3]
    failures = []

    def check(what, cond, p=None):
        if not cond:
            detail = "" if p is None else " (exit %d, stdout %r, stderr %r)" % (
                p.returncode, p.stdout[:500], p.stderr[:500])
            failures.append(what + detail)

    def expect_error(what, p, status, *mentions):
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        check(what + ": exit %d" % status, p.returncode == status, p)
        check(what + ": one error line", len(lines) == 1, p)
        for m in mentions:
            check(what + ": error mentions %r" % m, m in p.stderr, p)

    with tempfile.TemporaryDirectory(prefix="vigil-ctl-") as tmp:
        os.chmod(tmp, 0o755)
        sock = os.path.join(tmp, "control.sock")
        daemon = FakeDaemon(fake_daemon, sock)
        try:
            # status: a summary, then the JSON; --json: the JSON only.
            p = run(vigilctl, "status", "--socket", sock)
            lines = p.stdout.splitlines()
            check("status: exit 0, no stderr", p.returncode == 0 and not p.stderr, p)
            check("status: summary first", lines and lines[0].startswith("vigild is running"), p)
            check("status: summary shows fields",
                  "  version: 0.1.0-test" in lines and "  rules: generation=3, age_s=7" in lines
                  and "  capture: interfaces=[2 items], kernel_dropped=0" in lines, p)
            check("status: JSON last", lines and json.loads(lines[-1]) == STATUS, p)
            p = run(vigilctl, "status", "--json", "--socket", sock)
            check("status --json: the JSON only",
                  p.returncode == 0 and len(p.stdout.splitlines()) == 1
                  and json.loads(p.stdout) == STATUS, p)

            p = run(vigilctl, "stats", "--socket", sock)
            check("stats", p.returncode == 0 and json.loads(p.stdout) == STATS, p)

            p = run(vigilctl, "reload", "--socket", sock)
            check("reload", p.returncode == 0 and
                  json.loads(p.stdout) == {"message": "rules reloaded (generation 1)"}, p)

            p = run(vigilctl, "test", "--socket", sock, "--group", "staff", "bad.example.com",
                    "a nice cake")
            got = [json.loads(l) for l in p.stdout.splitlines()] if p.returncode == 0 else []
            check("test: one JSON line per input", got == [
                {"input": "bad.example.com", "group": "staff", "action": "block"},
                {"input": "a nice cake", "group": "staff", "action": "allow"}], p)
            p = run(vigilctl, "test", "--socket", sock, "http://example.org/")
            check("test: default group", p.returncode == 0 and
                  json.loads(p.stdout)["group"] == "", p)
            expect_error("test: input with a line break",
                         run(vigilctl, "test", "--socket", sock, "a\nstatus"), 2,
                         "vigilctl test: control character in INPUT")
            expect_error("test: group with a space",
                         run(vigilctl, "test", "--socket", sock, "--group", "two words", "x"), 2,
                         "group name with a space")

            # The socket from the configuration, and from --set.
            conf = os.path.join(tmp, "vigil.toml")
            with open(conf, "w") as f:
                f.write('[control]\nsocket = "%s"\n' % sock)
            p = run(vigilctl, "status", "--json", "--config", conf)
            check("status --config", p.returncode == 0 and json.loads(p.stdout) == STATUS, p)
            p = run(vigilctl, "stats", "--set", "control.socket=" + sock)
            check("stats --set control.socket", p.returncode == 0 and
                  json.loads(p.stdout) == STATS, p)
            bad_conf = os.path.join(tmp, "bad.toml")
            with open(bad_conf, "w") as f:
                f.write('[control]\nsockt = "%s"\n' % sock)
            expect_error("bad configuration", run(vigilctl, "status", "--config", bad_conf), 2,
                         "vigilctl status: " + bad_conf + ":2: control.sockt: unknown key")
            p = run(vigilctl, "status", "--socket", sock, "--config", conf)
            check("--socket excludes --config", p.returncode != 0 and "excludes" in p.stderr, p)

            # Permission denied: the socket is 0660 root's (or the test user's).
            mode = stat.S_IMODE(os.stat(sock).st_mode)
            check("socket mode 0660", mode == 0o660)
            if os.geteuid() == 0:
                p = run(vigilctl, "status", "--socket", sock,
                        preexec_fn=lambda: (os.setgroups([]), os.setgid(65534), os.setuid(65534)))
            else:
                os.chmod(sock, 0)
                p = run(vigilctl, "status", "--socket", sock)
                os.chmod(sock, 0o660)
            expect_error("permission denied", p, 3, "permission denied", sock)
        finally:
            code, err = daemon.stop()
        check("fake daemon stops cleanly (exit %d, %r)" % (code, err), code == 0)
        check("socket removed on stop", not os.path.exists(sock))

        # vigild is not running: no socket, or a stale one.
        expect_error("no socket", run(vigilctl, "status", "--socket", sock), 3,
                     "vigilctl status: cannot reach vigild: no socket at " + sock,
                     "is vigild running?")
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(sock)
        stale.close()
        expect_error("stale socket", run(vigilctl, "reload", "--socket", sock), 3,
                     "nothing answers on " + sock)
        expect_error("default socket from the defaults",
                     run(vigilctl, "stats", "--set", "control.socket=" + tmp + "/none.sock"), 3,
                     "no socket at " + tmp + "/none.sock")

        # A daemon whose reload fails: exit 1 with its message; the stale socket is replaced.
        daemon = FakeDaemon(fake_daemon, sock, "--reload-fails")
        try:
            expect_error("failed reload", run(vigilctl, "reload", "--socket", sock), 1,
                         "vigilctl reload: rules/lists/extra.txt:3: bad pattern")
        finally:
            daemon.stop()

        # Something that accepts and never answers, or answers nonsense.
        for name, answer, timeout, mentions in (
                ("silent", None, "0.3", "did not answer within 0.3 s"),
                ("nonsense", b"hello\n", "10", "does not understand"),
                ("hangs up", b"", "10", "closed the connection without an answer")):
            path = os.path.join(tmp, name + ".sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(1)

            def serve(srv=srv, answer=answer):
                conn, _ = srv.accept()
                conn.recv(4096)
                if answer is not None:
                    conn.sendall(answer)
                    conn.close()
                else:
                    threading.Event().wait(3)
                    conn.close()

            t = threading.Thread(target=serve, daemon=True)
            t.start()
            expect_error(name, run(vigilctl, "status", "--socket", path, "--timeout", timeout), 3,
                         *([mentions] if mentions else []))
            srv.close()

    for f in failures:
        print("FAIL " + f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
