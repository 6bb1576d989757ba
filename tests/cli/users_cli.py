#!/usr/bin/env python3
"""`vigilctl users add|list|disable` against a real store: a good user is
added with an Argon2id hash and an audit row; a short password, a bad role,
a duplicate name, a missing store and a store that is not a database are
each refused with one error line and a non-zero exit, leaving the store
unchanged.

usage: users_cli.py VIGILCTL
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

PASSWORD = "a long enough password"


def main():
    vigilctl = sys.argv[1]
    failures = []

    def users(db, *args, password=None):
        return subprocess.run([vigilctl, "users", *args, "--set", "store.path=" + db],
                              input=password, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)

    def expect_error(what, p, mention):
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        if p.returncode == 0:
            failures.append("%s: exit 0, wanted an error" % what)
        elif len(lines) != 1:
            failures.append("%s: wanted one error line, got %r" % (what, p.stderr))
        elif mention not in lines[0]:
            failures.append("%s: error line %r does not say %r" % (what, lines[0], mention))

    def count_users(db):
        con = sqlite3.connect(db)
        n = con.execute("SELECT count(*) FROM users").fetchone()[0]
        con.close()
        return n

    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vigil.db")
        expect_error("missing store", users(db, "add", "--name", "admin1", "--role", "admin",
                                            password=PASSWORD + "\n"), "vigilctl store init")
        if os.path.exists(db):
            failures.append("adding a user created the store file")
        p = subprocess.run([vigilctl, "store", "init", "--db", db], capture_output=True, text=True)
        if p.returncode != 0:
            failures.append("store init: %r" % p.stderr)

        p = users(db, "add", "--name", "admin1", "--role", "admin", password=PASSWORD + "\n")
        if p.returncode != 0 or "added user admin1 (admin)" not in p.stdout:
            failures.append("add: exit %d, %r %r" % (p.returncode, p.stdout, p.stderr))
        con = sqlite3.connect(db)
        row = con.execute("SELECT role, password_hash, disabled FROM users WHERE name = 'admin1'").fetchone()
        audit = con.execute("SELECT actor, detail FROM audit_log WHERE action = 'user.add'").fetchall()
        con.close()
        if row is None or row[0] != "admin" or not row[1].startswith("$argon2id$") or row[2] != 0:
            failures.append("stored user: %r" % (row,))
        elif PASSWORD in row[1]:
            failures.append("the password is stored in clear")
        if len(audit) != 1 or not audit[0][0].startswith("vigilctl (") or audit[0][1] != "admin1 as admin":
            failures.append("audit rows: %r" % audit)
        # A Windows line ending is not part of the password.
        p = users(db, "add", "--name", "dsl1", "--role", "dsl", password=PASSWORD + "\r\n")
        if p.returncode != 0:
            failures.append("add with CRLF: %r" % p.stderr)

        expect_error("short password", users(db, "add", "--name", "short1", "--role", "dsl",
                                             password="short\n"), "at least 12")
        expect_error("password is the name", users(db, "add", "--name", "samename1234", "--role", "dsl",
                                                   password="samename1234\n"), "user name")
        expect_error("no password", users(db, "add", "--name", "nopass", "--role", "dsl",
                                          password=""), "standard input")
        expect_error("bad role", users(db, "add", "--name", "boss1", "--role", "boss",
                                       password=PASSWORD + "\n"), "unknown role \"boss\"")
        expect_error("duplicate", users(db, "add", "--name", "admin1", "--role", "auditor",
                                        password=PASSWORD + "\n"), "already exists")
        expect_error("bad name", users(db, "add", "--name", "bad name", "--role", "auditor",
                                       password=PASSWORD + "\n"), "user name")
        if count_users(db) != 2:
            failures.append("refused adds changed the store: %d users" % count_users(db))

        p = users(db, "list")
        lines = p.stdout.splitlines()
        if p.returncode != 0 or len(lines) != 3 or not lines[1].startswith("admin1") or \
                "admin" not in lines[1] or "enabled" not in lines[1]:
            failures.append("list: exit %d, %r" % (p.returncode, p.stdout))

        p = users(db, "disable", "--name", "dsl1")
        if p.returncode != 0:
            failures.append("disable: %r" % p.stderr)
        if "disabled" not in users(db, "list").stdout.splitlines()[2]:
            failures.append("list after disable: %r" % users(db, "list").stdout)
        expect_error("disable unknown", users(db, "disable", "--name", "nobody"), "not found")

        # A file that is not a store.
        text = os.path.join(tmp, "notes.txt")
        with open(text, "w") as f:
            f.write("not a database\n" * 100)
        expect_error("not a store", users(text, "add", "--name", "x1", "--role", "admin",
                                          password=PASSWORD + "\n"), "not a SQLite database")
        # A store that cannot be written (root writes anyway).
        if os.geteuid() != 0:
            ro = os.path.join(tmp, "ro.db")
            subprocess.run([vigilctl, "store", "init", "--db", ro], capture_output=True)
            os.chmod(ro, 0o444)
            expect_error("read-only store", users(ro, "add", "--name", "x1", "--role", "admin",
                                                  password=PASSWORD + "\n"), "readonly")

    for f in failures:
        print("FAIL " + f)
    print("%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
