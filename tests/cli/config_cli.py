#!/usr/bin/env python3
"""`vigilctl config example|check`: the example is the committed
systemd/vigil.toml and valid TOML; a good file exits 0 with one "ok" line; each
bad file or override exits 1 with one error line naming where and what.

usage: config_cli.py VIGILCTL COMMITTED_EXAMPLE
"""
import os
import subprocess
import sys
import tempfile
import tomllib


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main():
    vigilctl, committed = sys.argv[1:3]
    failures = []

    def expect_error(what, p, mentions, status=1, lines=1):
        got = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode != status:
            failures.append("%s: exit %d, wanted %d (stderr %r)" % (what, p.returncode, status, p.stderr))
        elif len(got) != lines:
            failures.append("%s: wanted %d error line(s), got %r" % (what, lines, p.stderr))
        else:
            for m in mentions:
                if m not in p.stderr:
                    failures.append("%s: error %r does not mention %r" % (what, p.stderr, m))

    def expect_ok(what, p):
        out = [l for l in p.stdout.splitlines() if l.strip()]
        if p.returncode != 0 or p.stderr or len(out) != 1 or "ok" not in out[0]:
            failures.append("%s: exit %d, stdout %r, stderr %r" % (what, p.returncode, p.stdout, p.stderr))

    # The example: what the declarations generate, identical to the committed file, valid TOML.
    p = run(vigilctl, "config", "example")
    with open(committed) as f:
        committed_text = f.read()
    if p.returncode != 0 or p.stdout != committed_text:
        failures.append("config example: exit %d; output %s the committed %s" %
                        (p.returncode, "matches" if p.stdout == committed_text else "differs from", committed))
    try:
        doc = tomllib.loads(p.stdout)
        for section in ("store", "capture", "notify", "console", "metrics"):
            if section not in doc:
                failures.append("config example: no [%s] table" % section)
    except tomllib.TOMLDecodeError as e:
        failures.append("config example: not TOML for Python's tomllib: %s" % e)

    with tempfile.TemporaryDirectory() as tmp:
        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        expect_ok("committed example", run(vigilctl, "config", "check", "--config", committed))
        good = write("good.toml", '[store]\npath = "%s/v.db"\n[capture]\ninterfaces = ["br-lan"]\n' % tmp)
        expect_ok("good file", run(vigilctl, "config", "check", "--config", good))
        expect_ok("good file and overrides",
                  run(vigilctl, "config", "check", "--config", good, "--set", "capture.workers=2",
                      "--set", "capture.interfaces=eth0,eth1", "--set", "notify.throttle=5m"))

        typo = write("typo.toml", "[store]\npth = \"/x.db\"\n")
        expect_error("unknown key", run(vigilctl, "config", "check", "--config", typo),
                     [typo + ":2: store.pth: unknown key (did you mean store.path?)"])
        section = write("section.toml", "[stor]\npath = \"/x.db\"\n")
        expect_error("unknown section", run(vigilctl, "config", "check", "--config", section),
                     [section + ":1: stor: unknown section (did you mean store?)"])
        wrong = write("wrong.toml", "[capture]\nworkers = \"abc\"\n")
        expect_error("wrong type", run(vigilctl, "config", "check", "--config", wrong),
                     [wrong + ':2: capture.workers: expected integer 0..256, got "abc"'])
        big = write("range.toml", "[capture]\nworkers = 1000\n")
        expect_error("out of range", run(vigilctl, "config", "check", "--config", big),
                     [big + ":2: capture.workers: expected integer 0..256, got 1000"])
        enum = write("enum.toml", "[log]\nlevel = \"loud\"\n")
        expect_error("bad enum", run(vigilctl, "config", "check", "--config", enum),
                     [enum + ":2: log.level: expected one of trace, debug, info, warn, error"])
        dup = write("dup.toml", "[store]\npath = \"/a.db\"\npath = \"/b.db\"\n")
        expect_error("duplicate key", run(vigilctl, "config", "check", "--config", dup),
                     [dup + ":3: invalid TOML"])
        two = write("two.toml", "[capture]\nworkers = \"abc\"\nsnaplen = 1\n")
        expect_error("two errors", run(vigilctl, "config", "check", "--config", two),
                     [two + ":2: capture.workers", two + ":3: capture.snaplen"], lines=2)

        expect_error("override syntax", run(vigilctl, "config", "check", "--config", good, "--set", "store.path"),
                     ['--set: "store.path": expected section.key=value'])
        expect_error("override of an unknown key",
                     run(vigilctl, "config", "check", "--config", good, "--set", "stor.path=/x.db"),
                     ["--set: stor.path: unknown key (did you mean store.path?)"])
        expect_error("override of the wrong type",
                     run(vigilctl, "config", "check", "--config", good, "--set", "capture.workers=abc"),
                     ['--set: capture.workers: expected integer 0..256, got "abc"'])
        expect_error("override breaking a rule between keys",
                     run(vigilctl, "config", "check", "--config", good, "--set", "notify.smtp_url=smtps://m",
                         "--set", "notify.from=vigil@example.org"),
                     ["--set: notify.smtp_url: is set, so notify.to must be set too"])

        missing = os.path.join(tmp, "absent.toml")
        expect_error("missing file", run(vigilctl, "config", "check", "--config", missing),
                     [missing + ": cannot read: No such file or directory"])
        expect_error("directory", run(vigilctl, "config", "check", "--config", tmp),
                     [tmp + ": cannot read: Is a directory"])
        if os.geteuid() != 0:  # root reads it anyway
            locked = write("locked.toml", "[store]\n")
            os.chmod(locked, 0)
            expect_error("unreadable file", run(vigilctl, "config", "check", "--config", locked),
                         [locked + ": cannot read: Permission denied"])

        p = run(vigilctl, "config", "check")
        if p.returncode in (0, 1) or p.returncode >= 128 or "--config" not in p.stderr:
            failures.append("no --config: exit %d, stderr %r" % (p.returncode, p.stderr))

    for f in failures:
        print("FAIL " + f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
