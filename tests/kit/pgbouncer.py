# pgbouncer: a throwaway PgBouncer in transaction mode in front of the throwaway PostgreSQL.
# SPDX-License-Identifier: MIT
"""``with Bouncer(pg) as b: b.url(database)`` starts Debian's pgbouncer (1.18 on Debian 12) in
its own temp dir, on a free loopback port, with ``pool_mode = transaction`` in front of a
``tests.kit.pgserver.PgServer``: every database of that server is reachable under its own name,
``auth_type = trust`` as the server itself (pgbouncer still wants the user in its
``auth_file``); everything else is pgbouncer's default. It runs as ``nobody`` when we are root
(pgbouncer refuses root; ``-u`` switches). Its log goes into failure messages; on exit it is
stopped by its pid and the dir removed."""

from __future__ import annotations

import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any

from tests.kit.ports import free_port

BINARY = "/usr/sbin/pgbouncer"  # Debian's place; not on a normal user's PATH


def pgbouncer() -> str | None:
    return shutil.which("pgbouncer") or (BINARY if os.access(BINARY, os.X_OK) else None)


def config(listen: int, server_port: int, pool_size: int) -> str:
    return f"""[databases]
* = host=127.0.0.1 port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
logfile = pgbouncer.log
"""


class Bouncer:
    def __init__(self, server: Any, pool_size: int = 4) -> None:
        self.server = server
        self.pool_size = pool_size
        self.port = 0
        self.dir: pathlib.Path | None = None
        self.proc: Any = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.dir / "pgbouncer.log" if self.dir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def __enter__(self) -> Bouncer:
        binary = pgbouncer()
        assert binary, "pgbouncer is not installed"
        work = self.dir = pathlib.Path(tempfile.mkdtemp(prefix="hadir-pgbouncer-"))
        self.port = free_port()
        cfg = work / "pgbouncer.ini"
        cfg.write_text(config(self.port, self.server.port, self.pool_size))
        (work / "userlist.txt").write_text('"postgres" ""\n')
        args = [binary, str(cfg)]
        if os.geteuid() == 0:
            pw = pwd.getpwnam("nobody")
            os.chown(work, pw.pw_uid, pw.pw_gid)
            args[1:1] = ["-u", "nobody"]
        self.proc = subprocess.Popen(args, cwd=work, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:  # listening, then one query through it (a refusal is not "not yet")
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"pgbouncer exited: {err or self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"pgbouncer not listening: {self.log()}") from None
                time.sleep(0.05)
        try:
            with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise RuntimeError(f"pgbouncer refused a query: {exc}\n{self.log()}") from exc

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()  # SIGTERM: pgbouncer's fast exit
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=20)
        finally:
            if self.dir is not None:
                shutil.rmtree(self.dir, ignore_errors=True)
