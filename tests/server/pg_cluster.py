#!/usr/bin/env python3
"""A throwaway PostgreSQL for ferry-server's tests: initdb in a temporary
folder as an unprivileged user the test creates, listening on a Unix socket
only (listen_addresses=''), in a 0700 folder of that user's (root, which
runs the tests, reaches it; no other local user does).

As a module: `with Cluster() as pg: pg.url(dbname)`, `pg.psql(db, sql)`,
`pg.createdb(name)`. As a command, it runs one command with FERRY_TEST_PG set
to a fresh database's connection string, and exits with its code:

    pg_cluster.py run -- COMMAND [ARGS...]

Exit 77 with a SKIP line when PostgreSQL's binaries are not installed
(scripts/bootstrap installs them) or the test does not run as root (it
creates the user).
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

USER = "ferry-pgtest"


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(77)


class Cluster:
    def __init__(self, fsync=False):
        self.bin = bindir()
        if not self.bin:
            skip("PostgreSQL is not installed (scripts/bootstrap: postgresql)")
        if os.geteuid() != 0:
            skip("the PostgreSQL test creates an unprivileged user: run as root")
        self.fsync = fsync
        self.proc = None

    def _user(self):
        try:
            pwd.getpwnam(USER)
        except KeyError:
            r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                                "/usr/sbin/nologin", USER], capture_output=True, text=True)
            if r.returncode not in (0, 9):  # 9: made meanwhile by a parallel test
                raise RuntimeError("useradd: " + r.stderr)
        return pwd.getpwnam(USER)

    def as_user(self, argv, **kw):
        return subprocess.run(["runuser", "-u", USER, "--"] + argv, capture_output=True,
                              text=True, timeout=kw.pop("timeout", 120), **kw)

    def __enter__(self):
        u = self._user()
        self.root = tempfile.mkdtemp(prefix="ferry-pg-")
        os.chown(self.root, u.pw_uid, u.pw_gid)
        os.chmod(self.root, 0o700)
        self.data = os.path.join(self.root, "data")
        self.sock = self.root
        r = self.as_user([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "ferry",
                          "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        if r.returncode:
            raise RuntimeError("initdb: " + r.stderr[-800:])
        opts = ["-c", "listen_addresses=", "-c", "unix_socket_directories=" + self.sock,
                "-c", "max_connections=200", "-c", "shared_buffers=64MB"]
        if not self.fsync:
            opts += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off"]
        self.log = os.path.join(self.root, "postgres.log")
        with open(self.log, "w") as lf:
            os.chown(self.log, u.pw_uid, u.pw_gid)
            self.proc = subprocess.Popen(["runuser", "-u", USER, "--",
                                          os.path.join(self.bin, "postgres"), "-D", self.data]
                                         + opts, stdout=lf, stderr=subprocess.STDOUT)
        for _ in range(200):
            if os.path.exists(os.path.join(self.sock, ".s.PGSQL.5432")) and \
               self.psql("postgres", "SELECT 1", check=False).returncode == 0:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited: " + open(self.log).read()[-800:])
            time.sleep(0.1)
        raise RuntimeError("postgres did not start: " + open(self.log).read()[-800:])

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # smart shutdown: sessions end, then it stops
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db):
        return "host=%s user=ferry dbname=%s" % (self.sock, db)

    def psql(self, db, sql, check=True):
        r = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v",
                            "ON_ERROR_STOP=1", "-d", self.url(db), "-c", sql],
                           capture_output=True, text=True, timeout=120)
        if check and r.returncode:
            raise RuntimeError("psql: %s: %s" % (sql[:80], r.stderr.strip()))
        return r

    def query(self, db, sql):
        return [l.split("|") for l in self.psql(db, sql).stdout.splitlines() if l]

    def copy(self, db, table, csv_text):
        """COPY csv_text (CSV, no header) into table ("name(col, ...)")."""
        r = subprocess.run([os.path.join(self.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                            "-d", self.url(db), "-c", "COPY %s FROM STDIN WITH (FORMAT csv)" % table],
                           input=csv_text, capture_output=True, text=True, timeout=600)
        if r.returncode:
            raise RuntimeError("COPY %s: %s" % (table, r.stderr.strip()))

    def pids(self):
        """The server's processes (postmaster and every backend), for CPU accounting."""
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            for d in os.listdir("/proc"):
                if d.isdigit():
                    try:
                        st = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
                        if int(st[1]) == pid:
                            todo.append(int(d))
                    except (OSError, IndexError):
                        pass
        return out

    def createdb(self, name):
        self.psql("postgres", "CREATE DATABASE \"%s\"" % name)
        return self.url(name)


def main():
    if len(sys.argv) < 4 or sys.argv[1] != "run" or sys.argv[2] != "--":
        print(__doc__)
        return 64
    with Cluster() as pg:
        env = dict(os.environ, FERRY_TEST_PG=pg.createdb("ferry_test"))
        return subprocess.run(sys.argv[3:], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
