# copy: a whole database copied to a file and back (SQLite backup API, pg_dump/pg_restore).
# SPDX-License-Identifier: MIT
"""The plain (unencrypted) copy a backup encrypts (``sync.service.backup``):

- SQLite: ``sqlite3``'s online backup API, from a connection of its own: a consistent copy of
  the last commit while the collector keeps writing (WAL: the copy restarts if a write lands
  while it runs; ``pages=-1`` copies in one step, so it does not).
- PostgreSQL: ``pg_dump --format=custom`` (one REPEATABLE READ snapshot: consistent while the
  collector writes) and ``pg_restore --clean --if-exists`` into the target database. A URL that
  sets ``search_path`` in its ``options`` (one schema of a shared database) dumps that schema
  only. The client binaries come from PATH or the Debian PostgreSQL folders; they must be at
  least the server's version.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from urllib.parse import parse_qs, unquote, urlsplit


class CopyError(Exception):
    """The copy could not be made or put back (one line)."""


def sqlite_path(url: str) -> str:
    return url[len("sqlite:///") :] if url.startswith("sqlite:///") else url


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def dump(url: str, out_path: str) -> None:
    """Write a consistent copy of the database at ``url`` to ``out_path``."""
    if is_postgres(url):
        _run("pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             *_schema_args(url), "--file", out_path, "--dbname", _libpq_url(url))  # fmt: skip
        return
    path = sqlite_path(url)
    if not os.path.isfile(path):
        raise CopyError(f"basis data tidak ada / no such database: {path}")
    src = sqlite3.connect(path)
    src.execute("PRAGMA query_only=ON")
    dst = sqlite3.connect(out_path)
    try:
        src.backup(dst, pages=-1)
    except sqlite3.Error as exc:
        raise CopyError(f"salinan SQLite gagal / SQLite copy failed: {exc}") from None
    finally:
        dst.close()
        src.close()


def load(url: str, in_path: str) -> None:
    """Put the copy at ``in_path`` in place of the database at ``url`` (the collector stopped)."""
    if is_postgres(url):
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--exit-on-error", "--single-transaction", "--dbname", _libpq_url(url),
             in_path)  # fmt: skip
        return
    check = sqlite3.connect(in_path)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise CopyError(f"salinan rusak / the copy is damaged: {exc}") from None
    finally:
        check.close()
    if ok != "ok":
        raise CopyError(f"salinan rusak / the copy is damaged: {ok}")
    path = sqlite_path(url)
    for stale in (path + "-wal", path + "-shm"):  # of the database being replaced
        if os.path.exists(stale):
            os.unlink(stale)
    shutil.copyfile(in_path, path + ".restoring")
    with open(path + ".restoring", "rb+") as f:
        os.fsync(f.fileno())
    os.replace(path + ".restoring", path)


def _schema_args(url: str) -> list[str]:
    """``--schema NAME`` for a URL whose options set ``search_path`` (one schema only)."""
    for opt in parse_qs(urlsplit(url).query).get("options", []):
        for part in unquote(opt).split():
            if part.startswith("-csearch_path="):
                return ["--schema", part.split("=", 1)[1].split(",")[0]]
    return []


def _libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def find_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        if os.access(path, os.X_OK):
            return path
    raise CopyError(f"{name} tidak ditemukan / not found (Debian package postgresql-client)")


def _run(name: str, *args: str) -> None:
    proc = subprocess.run([find_bin(name), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise CopyError(f"{name} gagal / failed: {last[:300]}")
