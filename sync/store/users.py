# users: the SQL of the admin API's and dashboard's users and their API bearer tokens.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. Only hashes
are stored: argon2id for passwords, SHA-256 for tokens."""

from __future__ import annotations

from typing import NamedTuple

from sync.store.db import Row, Tx


class UserRow(NamedTuple):
    name: str
    password_hash: str
    role: str
    rusun: str  # the rusun names this user may see, comma-separated; empty = all


def _user(row: Row | None) -> UserRow | None:
    return UserRow(*row) if row is not None else None


def upsert_user(tx: Tx, name: str, password_hash: str, role: str, rusun: str, now: int) -> None:
    if tx.value("SELECT name FROM users WHERE name = ?", (name,)) is None:
        tx.run(
            "INSERT INTO users (name, password_hash, role, rusun, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (name, password_hash, role, rusun, now),
        )
    else:
        tx.run(
            "UPDATE users SET password_hash = ?, role = ?, rusun = ? WHERE name = ?",
            (password_hash, role, rusun, name),
        )


def user(tx: Tx, name: str) -> UserRow | None:
    return _user(
        tx.one("SELECT name, password_hash, role, rusun FROM users WHERE name = ?", (name,))
    )


def users(tx: Tx) -> list[Row]:
    """(name, role, rusun, created_at) of every user, by name (no password hashes)."""
    return tx.all("SELECT name, role, rusun, created_at FROM users ORDER BY name")


def insert_token(tx: Tx, token_hash: bytes, name: str, now: int) -> None:
    tx.run(
        "INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?, ?, ?)",
        (token_hash, name, now),
    )


def user_by_token(tx: Tx, token_hash: bytes) -> UserRow | None:
    return _user(
        tx.one(
            "SELECT u.name, u.password_hash, u.role, u.rusun FROM api_tokens a"
            " JOIN users u ON u.name = a.user_name WHERE a.token_hash = ?",
            (token_hash,),
        )
    )
