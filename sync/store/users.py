# users: the SQL of the admin API's and dashboard's users, their rusun and their API tokens.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. Only hashes
are stored: argon2id for passwords, SHA-256 for tokens. A user may act on every rusun
(``all_rusun``) or on the rusun of its ``user_rusun`` rows: one row per rusun, by id, so no name
(not even one holding a comma) can stand for another."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sync.store.db import Row, Tx


class UserRow(NamedTuple):
    name: str
    password_hash: str
    role: str
    all_rusun: bool
    rusun: tuple[tuple[int, str], ...]  # (id, name) of the rusun it is bound to, by name


def _rusun_of(tx: Tx, name: str) -> tuple[tuple[int, str], ...]:
    rows = tx.all(
        "SELECT r.id, r.name FROM user_rusun ur JOIN rusun r ON r.id = ur.rusun_id"
        " WHERE ur.user_name = ? ORDER BY r.name",
        (name,),
    )
    return tuple((int(i), str(n)) for i, n in rows)


def _user(tx: Tx, row: Row | None) -> UserRow | None:
    if row is None:
        return None
    name, password_hash, role, all_rusun = row
    return UserRow(name, password_hash, role, bool(all_rusun), _rusun_of(tx, name))


def upsert_user(
    tx: Tx,
    name: str,
    password_hash: str,
    role: str,
    rusun_ids: Sequence[int] | None,
    now: int,
) -> None:
    """Add or replace a user; ``rusun_ids`` None: every rusun."""
    all_rusun = 1 if rusun_ids is None else 0
    if tx.value("SELECT name FROM users WHERE name = ?", (name,)) is None:
        tx.run(
            "INSERT INTO users (name, password_hash, role, all_rusun, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (name, password_hash, role, all_rusun, now),
        )
    else:
        tx.run(
            "UPDATE users SET password_hash = ?, role = ?, all_rusun = ? WHERE name = ?",
            (password_hash, role, all_rusun, name),
        )
    tx.run("DELETE FROM user_rusun WHERE user_name = ?", (name,))
    for rid in sorted(set(rusun_ids or ())):
        tx.run("INSERT INTO user_rusun (user_name, rusun_id) VALUES (?, ?)", (name, rid))


def user(tx: Tx, name: str) -> UserRow | None:
    return _user(
        tx,
        tx.one("SELECT name, password_hash, role, all_rusun FROM users WHERE name = ?", (name,)),
    )


def users(tx: Tx) -> list[UserRow]:
    """Every user, by name."""
    rows = tx.all("SELECT name, password_hash, role, all_rusun FROM users ORDER BY name")
    return [u for u in (_user(tx, r) for r in rows) if u is not None]


def insert_token(tx: Tx, token_hash: bytes, name: str, now: int) -> None:
    tx.run(
        "INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?, ?, ?)",
        (token_hash, name, now),
    )


def user_by_token(tx: Tx, token_hash: bytes) -> UserRow | None:
    return _user(
        tx,
        tx.one(
            "SELECT u.name, u.password_hash, u.role, u.all_rusun FROM api_tokens a"
            " JOIN users u ON u.name = a.user_name WHERE a.token_hash = ?",
            (token_hash,),
        ),
    )


def tokens(tx: Tx, name: str | None = None) -> list[Row]:
    """(token_hash, user_name, created_at) of the API tokens (of one user), oldest first."""
    sql = "SELECT token_hash, user_name, created_at FROM api_tokens"
    if name is None:
        return tx.all(sql + " ORDER BY created_at, user_name")
    return tx.all(sql + " WHERE user_name = ? ORDER BY created_at", (name,))


def delete_token(tx: Tx, token_hash: bytes) -> int:
    return tx.run("DELETE FROM api_tokens WHERE token_hash = ?", (token_hash,))


def delete_user(tx: Tx, name: str) -> int:
    """The user, its API tokens, rusun rows and sessions."""
    for table in ("api_tokens", "sessions"):
        tx.run(f"DELETE FROM {table} WHERE user_name = ?", (name,))
    tx.run("DELETE FROM user_rusun WHERE user_name = ?", (name,))
    return tx.run("DELETE FROM users WHERE name = ?", (name,))
