#!/usr/bin/env python3
"""Bad input to `vigilctl extract` gets one clear error line and a non-zero
exit, never a crash; good captures next to bad ones are still extracted.

usage: cli_errors.py VIGILCTL SAMPLE_PCAP
"""
import os
import subprocess
import sys
import tempfile


def run(*args):
    return subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main():
    vigilctl, sample = sys.argv[1:3]
    failures = []

    def expect_error(what, p, status=1, mention=None):
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode != status:
            failures.append("%s: exit %d, wanted %d" % (what, p.returncode, status))
        elif len(lines) != 1:
            failures.append("%s: wanted one error line, got %r" % (what, p.stderr))
        elif mention and mention not in lines[0]:
            failures.append("%s: error line %r does not name %r" % (what, lines[0], mention))

    with tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, "no-such.pcap")
        expect_error("missing file", run(vigilctl, "extract", missing), mention=missing)
        text = os.path.join(tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("this is not a capture\n" * 10)
        expect_error("text file", run(vigilctl, "extract", text), mention=text)
        empty = os.path.join(tmp, "empty.pcap")
        open(empty, "w").close()
        expect_error("empty file", run(vigilctl, "extract", empty), mention=empty)
        expect_error("directory", run(vigilctl, "extract", tmp), mention=tmp)
        unreadable = os.path.join(tmp, "locked.pcap")
        with open(sample, "rb") as src, open(unreadable, "wb") as dst:
            dst.write(src.read())
        os.chmod(unreadable, 0)
        if os.geteuid() != 0:  # root reads it anyway
            expect_error("unreadable file", run(vigilctl, "extract", unreadable), mention=unreadable)
        # A capture cut in the middle of a packet: what came before is kept.
        with open(sample, "rb") as f:
            data = f.read()
        cut = os.path.join(tmp, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 2 // 3])
        p = run(vigilctl, "extract", cut)
        if p.returncode != 0 or "warning" not in p.stderr or len(p.stdout.splitlines()) < 5:
            failures.append("cut capture: exit %d, stderr %r, %d rows" %
                            (p.returncode, p.stderr, len(p.stdout.splitlines())))
        # Bad options
        p = run(vigilctl, "extract", "--max-flows", "0", sample)
        if p.returncode == 0:
            failures.append("--max-flows 0 accepted")
        p = run(vigilctl, "extract", "--no-such-option", sample)
        if p.returncode == 0:
            failures.append("unknown option accepted")
        # One bad file among good ones: the good ones are still written.
        out = os.path.join(tmp, "out")
        p = run(vigilctl, "extract", "--out-dir", out, text, sample)
        if p.returncode != 1 or not os.path.exists(os.path.join(out, os.path.basename(sample) + ".tsv")):
            failures.append("mixed inputs: exit %d, outputs %r" %
                            (p.returncode, os.listdir(out) if os.path.isdir(out) else None))
    for f in failures:
        print("FAIL " + f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
