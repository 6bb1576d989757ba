#!/usr/bin/env python3
"""`vigilctl check` against a real vigild capturing live on a dummy
(or veth) interface, with tests/integration/rules_tree plus two statutory slots (IWF
with one entry, CTIRU empty): every check passes for a listed name (exit 0,
a 'pass' row in the checks log); a name no list holds fails (exit 1, a FAIL
line, a 'fail' row naming it); a bad --name is a usage error (2, no row);
vigild's first capture_health sample is in the store. Needs root and `ip`
(exit 77 otherwise).

usage: check_cli.py VIGILD VIGILCTL RULES_TREE
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

LISTED = "example.org"       # tests/integration/rules_tree/extremism.domains
UNLISTED = "unlisted.example.net"


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60)


def rows(db, sql, args=()):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def wait_for(pred, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    return False


def main():
    vigild, vigilctl, rules_tree = sys.argv[1:4]
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("needs root and ip(8) for a dummy capture interface: skipped")
        return 77
    iface = "vgchk%d" % (os.getpid() % 100000)
    peer = "vgchp%d" % (os.getpid() % 100000)
    # A dummy interface where the kernel has the module, else a veth pair.
    if (run("ip", "link", "add", iface, "type", "dummy").returncode != 0 and
            run("ip", "link", "add", iface, "type", "veth", "peer", "name", peer).returncode != 0):
        print("cannot create a dummy or veth interface: skipped")
        return 77
    failures = []
    proc = None
    tmp = tempfile.mkdtemp(prefix="vigil-check-")
    try:
        run("ip", "link", "set", iface, "up")
        run("ip", "link", "set", peer, "up")  # fails harmlessly for a dummy
        rules = os.path.join(tmp, "rules")
        shutil.copytree(rules_tree, rules)
        os.makedirs(os.path.join(rules, "statutory"))
        with open(os.path.join(rules, "statutory", "iwf.urls"), "w") as f:
            f.write("# test entry\nstatutory-test.example.net/abuse\n")
        with open(os.path.join(rules, "statutory", "ctiru.urls"), "w") as f:
            f.write("# no licence\n")
        with open(os.path.join(rules, "policy.toml"), "a") as f:
            f.write('\n[[statutory]]\nslot = "iwf"\nname = "IWF URL list"\n'
                    'path = "statutory/iwf.urls"\nformat = "urls"\n'
                    '\n[[statutory]]\nslot = "ctiru"\nname = "CTIRU list"\n'
                    'path = "statutory/ctiru.urls"\nformat = "urls"\n')
        db = os.path.join(tmp, "vigil.db")
        sock = os.path.join(tmp, "vigild.sock")
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n[rules]\ndir = "%s"\n[capture]\ninterfaces = ["%s"]\n'
                    'workers = 1\n[control]\nsocket = "%s"\n[metrics]\nlisten = "127.0.0.1:0"\n'
                    % (db, rules, iface, sock))
        log = open(os.path.join(tmp, "vigild.log"), "w")
        proc = subprocess.Popen([vigild, "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: os.path.exists(sock), 20):
            print("vigild did not start: " + open(os.path.join(tmp, "vigild.log")).read())
            return 1
        # The first sample is taken within a second of starting.
        if not wait_for(lambda: rows(db, "SELECT count(*) FROM capture_health")[0][0] > 0, 10):
            failures.append("no capture_health row within 10 s")
        else:
            got = rows(db, "SELECT interface, running, rules_generation FROM capture_health")
            if got[0][0] != iface or got[0][1] != 1 or got[0][2] < 1:
                failures.append("capture_health row %r" % (got,))

        p = run(vigilctl, "check", "--config", cfg, "--name", LISTED + "=extremism", "--by",
                "check-test")
        out = p.stdout
        print(out)
        if p.returncode != 0:
            failures.append("listed name: exit %d\n%s%s" % (p.returncode, out, p.stderr))
        for want in ("PASS  vigild reachable", "PASS  interface %s running" % iface,
                     "PASS  no drops on %s in the last 5 minutes" % iface,
                     "PASS  statutory slot IWF (1 entries) loaded",
                     "PASS  statutory slot CTIRU: present, empty: no licence configured",
                     "PASS  name %s flagged extremism" % LISTED):
            if want not in out:
                failures.append("listed name: no line %r in\n%s" % (want, out))
        if "FAIL" in out:
            failures.append("listed name: a FAIL line in\n%s" % out)
        r = rows(db, "SELECT actor, result, action, what FROM checks_log ORDER BY id")
        if len(r) != 1 or r[0][:3] != ("check-test", "pass", "none") or LISTED not in r[0][3]:
            failures.append("checks_log after the passing run: %r" % (r,))

        p = run(vigilctl, "check", "--config", cfg, "--name", UNLISTED + "=extremism")
        print(p.stdout)
        if p.returncode != 1:
            failures.append("unlisted name: exit %d (want 1)\n%s%s" % (p.returncode, p.stdout,
                                                                       p.stderr))
        if "FAIL  name %s flagged extremism: no list matches it" % UNLISTED not in p.stdout:
            failures.append("unlisted name: no FAIL line in\n%s" % p.stdout)
        if "PASS  vigild reachable" not in p.stdout:
            failures.append("unlisted name: reachability not passed\n%s" % p.stdout)
        r = rows(db, "SELECT result, action FROM checks_log ORDER BY id")
        if len(r) != 2 or r[1][0] != "fail" or UNLISTED not in r[1][1]:
            failures.append("checks_log after the failing run: %r" % (r,))

        p = run(vigilctl, "check", "--config", cfg, "--name", LISTED + "=no-such-category")
        if p.returncode != 2 or "no category" not in p.stderr:
            failures.append("bad category: exit %d, %r" % (p.returncode, p.stderr))
        p = run(vigilctl, "check", "--config", cfg)
        if p.returncode != 2 or "--name" not in p.stderr:
            failures.append("no --name: exit %d, %r" % (p.returncode, p.stderr))
        if len(rows(db, "SELECT id FROM checks_log")) != 2:
            failures.append("a usage error recorded a check")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                if proc.wait(timeout=60) != 0:
                    failures.append("vigild exited %d:\n%s" % (
                        proc.returncode, open(os.path.join(tmp, "vigild.log")).read()[-3000:]))
            except subprocess.TimeoutExpired:
                proc.kill()
                failures.append("vigild did not stop within 60 s")
        run("ip", "link", "del", iface)
        if not failures:
            shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL: " + f)
    if failures:
        print("(kept %s)" % tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
