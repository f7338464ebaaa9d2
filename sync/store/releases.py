# releases: the SQL of signed code releases and each terminal's progress on them.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service (``sync.service.releases``) owns
the transaction."""

from __future__ import annotations

from typing import Any

from sync.store.db import Tx

_KEYS = ("id", "version", "chunk_size", "state", "paused_from", "user_name", "created_at")


def add(tx: Tx, rid: int, version: str, manifest: bytes, blob: bytes, chunk_size: int,
        user: str, now: int) -> None:  # fmt: skip
    tx.run(
        "INSERT INTO releases (id, version, manifest, blob, chunk_size, state, paused_from,"
        " user_name, created_at) VALUES (?, ?, ?, ?, ?, 'canary', 'canary', ?, ?)",
        (rid, version, manifest, blob, chunk_size, user, now),
    )


def newest_id(tx: Tx) -> int:
    return int(tx.value("SELECT COALESCE(MAX(id), 0) FROM releases"))


def get(tx: Tx, rid: int) -> dict[str, Any] | None:
    row = tx.one(
        "SELECT " + ", ".join(_KEYS) + ", length(blob) FROM releases WHERE id = ?", (rid,)
    )
    if row is None:
        return None
    out = dict(zip(_KEYS, row[:-1]))
    out["bytes"] = int(row[-1])
    return out


def all_releases(tx: Tx) -> list[dict[str, Any]]:
    rows = tx.all("SELECT " + ", ".join(_KEYS) + ", length(blob) FROM releases ORDER BY id DESC")
    out = []
    for row in rows:
        d = dict(zip(_KEYS, row[:-1]))
        d["bytes"] = int(row[-1])
        out.append(d)
    return out


def rolling(tx: Tx) -> dict[str, Any] | None:
    """The newest release being rolled out (not paused or halted), if any."""
    row = tx.one(
        "SELECT " + ", ".join(_KEYS) + " FROM releases WHERE state IN ('canary', 'all')"
        " ORDER BY id DESC LIMIT 1"
    )
    return dict(zip(_KEYS, row)) if row is not None else None


def manifest(tx: Tx, rid: int) -> bytes | None:
    row = tx.one("SELECT manifest FROM releases WHERE id = ?", (rid,))
    return bytes(row[0]) if row is not None else None


def chunk(tx: Tx, rid: int, n: int) -> bytes | None:
    """Chunk ``n`` of the release's blob (``substr`` is 1-based on both databases)."""
    row = tx.one("SELECT chunk_size FROM releases WHERE id = ?", (rid,))
    if row is None:
        return None
    size = int(row[0])
    got = tx.one("SELECT substr(blob, ?, ?) FROM releases WHERE id = ?", (n * size + 1, size, rid))
    return bytes(got[0]) if got is not None and got[0] is not None else None


def set_state(tx: Tx, rid: int, state: str, paused_from: str | None = None) -> None:
    if paused_from is None:
        tx.run("UPDATE releases SET state = ? WHERE id = ?", (state, rid))
    else:
        tx.run(
            "UPDATE releases SET state = ?, paused_from = ? WHERE id = ?",
            (state, paused_from, rid),
        )


def terminal_state(tx: Tx, rid: int, tid: int) -> dict[str, Any] | None:
    row = tx.one(
        "SELECT state, chunks, updated_at FROM release_terminals"
        " WHERE release_id = ? AND terminal_id = ?",
        (rid, tid),
    )
    return dict(zip(("state", "chunks", "updated_at"), row)) if row is not None else None


def set_terminal(tx: Tx, rid: int, tid: int, state: str, chunks: int, now: int) -> None:
    if terminal_state(tx, rid, tid) is None:
        tx.run(
            "INSERT INTO release_terminals (release_id, terminal_id, state, chunks, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (rid, tid, state, chunks, now),
        )
    else:
        tx.run(
            "UPDATE release_terminals SET state = ?, chunks = ?, updated_at = ?"
            " WHERE release_id = ? AND terminal_id = ?",
            (state, chunks, now, rid, tid),
        )


def progress(tx: Tx, rid: int) -> dict[int, dict[str, Any]]:
    rows = tx.all(
        "SELECT terminal_id, state, chunks, updated_at FROM release_terminals"
        " WHERE release_id = ?",
        (rid,),
    )
    return {int(t): {"state": s, "chunks": int(c), "updated_at": int(u)} for t, s, c, u in rows}


def set_room(tx: Tx, rid: int, tid: int, need: int, free: int, now: int) -> None:
    """What a terminal said when the release did not fit: blocks needed and free."""
    tx.run("DELETE FROM release_room WHERE release_id = ? AND terminal_id = ?", (rid, tid))
    tx.run(
        "INSERT INTO release_room (release_id, terminal_id, need, free, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (rid, tid, need, free, now),
    )


def rooms(tx: Tx, rid: int) -> dict[int, tuple[int, int]]:
    """{terminal: (blocks needed, blocks free)} of the terminals that had no room for ``rid``."""
    rows = tx.all("SELECT terminal_id, need, free FROM release_room WHERE release_id = ?", (rid,))
    return {int(t): (int(n), int(f)) for t, n, f in rows}


def trusted_key(tx: Tx) -> bytes | None:
    """The release public key terminals are given at provisioning (hex in ``meta``)."""
    value = tx.value("SELECT value FROM meta WHERE key = 'release_public_key'")
    return bytes.fromhex(value) if value else None


def set_trusted_key(tx: Tx, public: bytes) -> None:
    if tx.value("SELECT value FROM meta WHERE key = 'release_public_key'") is None:
        tx.run("INSERT INTO meta (key, value) VALUES ('release_public_key', ?)", (public.hex(),))
    else:
        tx.run("UPDATE meta SET value = ? WHERE key = 'release_public_key'", (public.hex(),))
