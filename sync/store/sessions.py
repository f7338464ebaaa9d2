# sessions: the SQL of the dashboard's sign-in sessions (one row each, the id only hashed).
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction."""

from __future__ import annotations

from sync.store.db import Tx


def insert(tx: Tx, id_hash: bytes, name: str, now: int, expires_at: int) -> None:
    tx.run("DELETE FROM sessions WHERE expires_at <= ?", (now,))  # the stale ones go here
    tx.run(
        "INSERT INTO sessions (id_hash, user_name, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (id_hash, name, now, expires_at),
    )


def user_of(tx: Tx, id_hash: bytes, now: int) -> str | None:
    """The user of a session that has not expired."""
    return tx.value(
        "SELECT user_name FROM sessions WHERE id_hash = ? AND expires_at > ?", (id_hash, now)
    )


def delete(tx: Tx, id_hash: bytes) -> None:
    tx.run("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))


def delete_user(tx: Tx, name: str) -> int:
    return tx.run("DELETE FROM sessions WHERE user_name = ?", (name,))
