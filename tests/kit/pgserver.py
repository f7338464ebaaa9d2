# pgserver: a throwaway PostgreSQL server (initdb + pg_ctl in a temp dir) for tests and benches.
# SPDX-License-Identifier: MIT
"""``PgServer.start()`` finds the server binaries (PATH, then /usr/lib/postgresql/*/bin), runs
initdb as an unprivileged user when we are root (initdb refuses root), listens on 127.0.0.1 on a
free port, and ``stop()`` removes everything. ``new_database()`` returns a fresh database URL.
``start(in_memory=True)`` (the tests' server) keeps the cluster on /dev/shm when there is one:
each test's fresh schema is some 260 files, and on a loaded machine making them on disk took
1.6 to 2.5 times as long, and removing a full run's ~60,000 files at the end took most of a minute.
Benchmarks keep the disk: their millions of rows would be RAM."""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile

from tests.kit.ports import free_port


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        if os.access(path, os.X_OK):
            return path
    return None


def available() -> bool:
    return find_bin("initdb") is not None and find_bin("pg_ctl") is not None


class PgServer:
    def __init__(self, in_memory: bool = False) -> None:
        shm = "/dev/shm" if in_memory and os.access("/dev/shm", os.W_OK | os.X_OK) else None
        self.dir = tempfile.mkdtemp(prefix="hadir-pg-", dir=shm)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self._ids = itertools.count(1)
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "nobody"
            pw = pwd.getpwnam(self._user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o700)

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._user and shutil.which("runuser"):
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        elif self._user:  # no util-linux runuser: su with a shell-quoted command line
            import shlex

            cmd = ["su", "-s", "/bin/sh", self._user, "-c", shlex.join(cmd)]
        subprocess.run(cmd, check=True, capture_output=True, cwd=self.dir)

    @classmethod
    def start(cls, in_memory: bool = False) -> PgServer:
        server = cls(in_memory)
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        assert initdb and pg_ctl, "PostgreSQL server binaries not found"
        server._pg_ctl = pg_ctl
        server._run(initdb, "-D", server.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                    "--no-instructions")  # fmt: skip
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories=''"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        server._run(pg_ctl, "-D", server.data, "-o", opts, "-l",
                    os.path.join(server.dir, "log"), "-w", "start")  # fmt: skip
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._ids)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def new_schema(self) -> str:
        """A URL whose connections use a fresh, empty schema of one shared database (fast)."""
        import psycopg

        if not getattr(self, "_shared", None):
            self._shared = self.new_database()
        name = f"s{os.getpid()}_{next(self._ids)}"
        with psycopg.connect(self._shared, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self._shared}?options=-csearch_path%3D{name}"

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        try:
            self._run(self._pg_ctl, "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def rows_read(url: str, table: str) -> int:
    """Rows of ``table`` (with its partitions ``<table>_*``) read so far by every finished
    statement, from PostgreSQL's counters (``pg_stat_user_tables``: ``seq_tup_read +
    idx_tup_fetch``). A backend reports its counts when it goes idle or ends: close the
    connections whose reads count (and wait a second) before reading this."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(seq_tup_read + COALESCE(idx_tup_fetch, 0)), 0)"
            " FROM pg_stat_user_tables WHERE relname = %s OR relname LIKE %s",
            (table, table.replace("_", "\\_") + "\\_%"),
        ).fetchone()
    return int(row[0]) if row else 0
