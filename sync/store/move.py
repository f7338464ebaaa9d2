# move: copy every table of one collector database into another, empty one (SQLite -> PostgreSQL).
# SPDX-License-Identifier: MIT
"""``copy_all(src, dst)``: both transactions' databases are at ``schema.SCHEMA_VERSION`` (the
source a SQLite one: its rows are streamed from a cursor); every
table of the schema is copied in the order the schema creates them (a table after those it
refers to), in chunks, with the columns both hold, then PostgreSQL's id sequences are moved
past the copied ids. The caller owns both transactions (nothing is committed on a failure)."""

from __future__ import annotations

import re

from sync.store import schema
from sync.store.db import Tx

_CHUNK = 5000


class NotEmpty(Exception):
    """The target already holds data (a copy never merges two collectors)."""


def tables() -> list[str]:
    text = " ".join(schema.statements("sqlite"))
    return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", text)


def copy_all(src: Tx, dst: Tx) -> dict[str, int]:
    """{table: rows copied}."""
    for name in ("terminals", "rusun", "records", "users"):
        if dst.value(f"SELECT COUNT(*) FROM {name}"):
            raise NotEmpty(name)
    dst.run("DELETE FROM meta")  # the target's own schema_version row: the source's comes over
    counts = {}
    for name in tables():
        cols = sorted(schema.columns(src, name) & schema.columns(dst, name))
        listed = ", ".join(cols)
        n = 0
        cursor = src.conn.execute(f"SELECT {listed} FROM {name}")  # streamed, not all at once
        while rows := cursor.fetchmany(_CHUNK):
            dst.copy(name, cols, [tuple(r) for r in rows])
            n += len(rows)
        counts[name] = n
        if dst.kind == "postgres" and "id" in cols and n:
            dst.run(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM"
                f" {name}))"
            )
    return counts
