#!/usr/bin/env python3
"""`vigilctl store init|migrate|check|backup|verify-audit --db FILE`: success
output, and one clear error line with a non-zero exit for every kind of bad
input (missing file, not a database, not a Vigil store, newer schema,
tampered audit row, broken schema).

usage: store_cli.py VIGILCTL STORE_FIXTURE
"""
import os
import sqlite3
import subprocess
import sys
import tempfile


def run(*args):
    return subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def main():
    vigilctl, fixture = sys.argv[1:3]
    failures = []

    def store(*args):
        return run(vigilctl, "store", *args)

    def expect_ok(what, p, mention=None):
        if p.returncode != 0:
            failures.append("%s: exit %d: %s" % (what, p.returncode, p.stderr.strip()))
        elif mention and mention not in p.stdout:
            failures.append("%s: output %r does not say %r" % (what, p.stdout, mention))

    def expect_error(what, p, mention=None):
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode == 0:
            failures.append("%s: exit 0, wanted an error" % what)
        elif len(lines) != 1:
            failures.append("%s: wanted one error line, got %r" % (what, p.stderr))
        elif mention and mention not in lines[0]:
            failures.append("%s: error line %r does not say %r" % (what, lines[0], mention))

    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        expect_ok("init", store("init", "--db", db), "schema version 5")
        expect_error("init twice", store("init", "--db", db), "already exists")
        expect_ok("check fresh", store("check", "--db", db), "ok (schema version 5, journal wal")
        if subprocess.run([fixture, "current", db, "200", "20"]).returncode != 0:
            failures.append("fixture failed")
        expect_ok("check", store("check", "--db", db), "200 hits")
        expect_ok("verify-audit", store("verify-audit", "--db", db), "audit chain ok, 20 rows")

        copy = os.path.join(tmp, "copy.db")
        expect_ok("backup", store("backup", "--db", db, "--out", copy), "copied to")
        expect_ok("check the copy", store("check", "--db", copy), "200 hits")
        con = sqlite3.connect(copy)
        if con.execute("SELECT count(*) FROM hits").fetchone()[0] != 200:
            failures.append("the copy does not hold 200 hits")
        con.close()
        expect_error("backup over a file", store("backup", "--db", db, "--out", copy), "already exists")
        expect_error("backup of a missing store",
                     store("backup", "--db", os.path.join(tmp, "nope.db"), "--out", os.path.join(tmp, "x.db")),
                     "no such file")

        # Tampering with an audit row is found and the row named.
        con = sqlite3.connect(db)
        con.executescript("DROP TRIGGER audit_log_no_update;"
                          "UPDATE audit_log SET detail = 'rewritten' WHERE id = 7;")
        con.close()
        p = store("verify-audit", "--db", db)
        expect_error("tampered audit row", p, "audit row 7: content does not match its hash")
        # The untouched copy still verifies.
        expect_ok("verify the copy", store("verify-audit", "--db", copy), "20 rows")

        missing = os.path.join(tmp, "missing.db")
        for cmd in ("check", "verify-audit", "migrate"):
            expect_error(cmd + " missing file", store(cmd, "--db", missing), "no such file")
        if os.path.exists(missing):
            failures.append("a command created the missing file")

        text = os.path.join(tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("this is not a database\n" * 100)
        for cmd in ("check", "verify-audit", "migrate"):
            expect_error(cmd + " text file", store(cmd, "--db", text), "not a SQLite database")
        expect_error("check a directory", store("check", "--db", tmp), "is a directory")
        empty = os.path.join(tmp, "empty.db")
        open(empty, "w").close()
        expect_error("check an empty file", store("check", "--db", empty), "not a Vigil store")
        other = os.path.join(tmp, "other.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE t(x)")
        con.close()
        expect_error("check another SQLite database", store("check", "--db", other), "not a Vigil store")

        future = os.path.join(tmp, "future.db")
        expect_ok("init future", store("init", "--db", future))
        con = sqlite3.connect(future)
        con.executescript("INSERT INTO schema_migrations VALUES (99, 'future', 1); PRAGMA user_version=99;")
        con.close()
        for cmd in ("check", "migrate", "verify-audit"):
            expect_error(cmd + " newer schema", store(cmd, "--db", future), "schema version 99 is newer")

        broken = os.path.join(tmp, "broken.db")
        expect_ok("init broken", store("init", "--db", broken))
        con = sqlite3.connect(broken)
        con.execute("DROP INDEX incidents_recent")
        con.close()
        p = store("check", "--db", broken)
        if p.returncode == 0 or "schema: missing index incidents_recent" not in p.stderr:
            failures.append("check of a store missing an index: exit %d, %r" % (p.returncode, p.stderr))

        # An older store is migrated with its rows kept and a copy taken first.
        old = os.path.join(tmp, "v1.db")
        if subprocess.run([fixture, "v1", old]).returncode != 0:
            failures.append("v1 fixture failed")
        p = store("check", "--db", old)
        if p.returncode == 0 or "run vigilctl store migrate" not in p.stderr:
            failures.append("check of a v1 store: exit %d, %r" % (p.returncode, p.stderr))
        expect_ok("migrate v1", store("migrate", "--db", old), "schema version 1 -> 5")
        if not os.path.exists(old + ".pre-migrate-v1"):
            failures.append("migrate took no copy first")
        expect_ok("check migrated", store("check", "--db", old), "1 hits, 0 incidents, 1 concerns")
        con = sqlite3.connect(old)
        if con.execute("SELECT how_arose FROM concern_referrals").fetchone() != ("kept across the upgrade",):
            failures.append("the migrated concern has no pre-filled referral")
        con.close()
        expect_ok("migrate again", store("migrate", "--db", old), "nothing to do")

        p = store("check")
        if p.returncode == 0 or "--db FILE or --config FILE" not in p.stderr:
            failures.append("check without --db accepted: %r" % p.stderr)
        # The store named by the shared configuration (store.path), and --set over it.
        cfg = os.path.join(tmp, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n' % old)
        expect_ok("check --config", store("check", "--config", cfg), "1 hits, 0 incidents")
        with open(cfg, "w") as f:
            f.write('[store]\npath = "%s"\n' % os.path.join(tmp, "absent.db"))
        expect_ok("check --config --set", store("check", "--config", cfg, "--set",
                                                "store.path=" + old), "1 hits, 0 incidents")
        expect_error("check --config with a bad key",
                     store("check", "--config", cfg, "--set", "store.pth=x"), "store.pth")
        p = store("backup", "--db", db)
        if p.returncode == 0:
            failures.append("backup without --out accepted")

    for f in failures:
        print("FAIL " + f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
