# accounts: the users of the admin API and the dashboard: add, sign in, API tokens; ``User``.
# SPDX-License-Identifier: MIT
"""Each function is one transaction of a ``Collector``.

    add_user(c, "kepala", password, "admin", [])          # argon2id hash stored (sync.vault)
    user = authenticate(c, "kepala", password)            # User or None
    token = issue_token(c, "kepala")                      # shown once; only its SHA-256 stored

A user's role and rusun are read from the store on every request (``user``), so removing a user
or narrowing a viewer takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sync.service.admin import AdminError, Forbidden, Unknown
from sync.service.collector import Collector
from sync.service.scope import OPERATOR, Scope
from sync.store import residents, sessions, users
from sync.store.db import Tx
from sync.store.users import UserRow
from sync.vault import hash_password, verify_password

ROLES = ("admin", "viewer", "supervisor")


@dataclass(frozen=True)
class User:
    name: str
    role: str  # "admin" (may change things, mark review items), "viewer" (reads only) or
    # "supervisor" (reads only, and reads the access audit: sync.service.audit)
    rusun: tuple[str, ...]  # names of the rusun this user is bound to; empty = all
    scope: Scope = OPERATOR  # what every service call of this user is limited to

    def __post_init__(self) -> None:
        if self.rusun and self.scope.everything:  # bound by name only: fail closed
            object.__setattr__(self, "scope", Scope(frozenset()))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, rusun: str) -> bool:
        """Whether the user is bound to no rusun or to the one called ``rusun`` (exact name)."""
        return not self.rusun or rusun in self.rusun


def _user(row: UserRow) -> User:
    if row.all_rusun:
        return User(row.name, row.role, (), OPERATOR)
    return User(row.name, row.role, tuple(n for _i, n in row.rusun),
                Scope.of(i for i, _n in row.rusun))  # fmt: skip


def add_user(c: Collector, name: str, password: str, role: str, rusun: list[str]) -> None:
    """Add a user, or replace an existing one's password, role and rusun (none: every rusun)."""
    if role not in ROLES:
        raise AdminError(
            f"peran harus admin, viewer atau supervisor / role must be one of {', '.join(ROLES)}"
        )
    if len(password) < 8:
        raise AdminError("kata sandi minimal 8 karakter / password needs at least 8 characters")
    if not name or any(ch in name for ch in ": \t\n"):
        raise AdminError("nama pengguna tidak sah / invalid user name")
    with c.db.write() as tx:
        ids = []
        for r in rusun:
            row = residents.rusun_by_name(tx, r)
            if row is None:
                raise AdminError(f"rusun tidak dikenal / unknown rusun: {r}")
            ids.append(row.id)
        users.upsert_user(tx, name, hash_password(password), role, ids if rusun else None,
                          c.now())  # fmt: skip
        sessions.delete_user(tx, name)  # a new password (or role, or rusun) ends every session


def user(c: Collector, name: str) -> User | None:
    """The user as stored now (a dashboard session holds only the name)."""
    with c.db.read() as tx:
        row = users.user(tx, name)
    return _user(row) if row is not None else None


_VERIFIED: dict[bytes, bool] = {}  # HTTP basic sends the password every request: argon2 once


def authenticate(c: Collector, name: str, password: str) -> User | None:
    """The user if the password is right (argon2id), else None; an unknown name costs one
    verification too. A successful check is remembered (as a SHA-256 of the stored hash and the
    password) so each request of the admin API does not pay argon2 again."""
    with c.db.read() as tx:
        row = users.user(tx, name)
    if row is None:
        verify_password(None, password)
        return None
    memo = hashlib.sha256(row.password_hash.encode() + b"\0" + password.encode()).digest()
    if memo not in _VERIFIED:
        if not verify_password(row.password_hash, password):
            return None
        if len(_VERIFIED) > 1024:
            _VERIFIED.clear()
        _VERIFIED[memo] = True
    return _user(row)


def issue_token(c: Collector, name: str) -> str:
    """A new API bearer token for a user (shown once; only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    with c.db.write() as tx:
        if users.user(tx, name) is None:
            raise AdminError(f"pengguna tidak dikenal / unknown user: {name}")
        users.insert_token(tx, hashlib.sha256(token.encode()).digest(), name, c.now())
    return token


def user_for_token(c: Collector, token: str) -> User | None:
    with c.db.read() as tx:
        row = users.user_by_token(tx, hashlib.sha256(token.encode()).digest())
    return _user(row) if row is not None else None


def list_users(c: Collector) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        rows = users.users(tx)
    return [{"name": u.name, "role": u.role, "rusun": [n for _i, n in u.rusun]} for u in rows]


def remove_user(c: Collector, name: str) -> None:
    """Remove a user with its API tokens and dashboard sessions (review marks keep the name)."""
    with c.db.write() as tx:
        if not users.delete_user(tx, name):
            raise AdminError(f"pengguna tidak dikenal / unknown user: {name}")


def token_id(token_hash: bytes) -> str:
    """How a token is named once issued: the first 12 hex digits of its SHA-256."""
    return bytes(token_hash).hex()[:12]


def list_tokens(c: Collector, name: str | None = None) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        rows = users.tokens(tx, name)
    return [{"id": token_id(h), "user": u, "created_at": at} for h, u, at in rows]


def revoke_tokens(c: Collector, name: str, token: str | None = None) -> int:
    """Revoke one API token of ``name`` (by its id, ``list_tokens``), or all of them."""
    with c.db.write() as tx:
        if users.user(tx, name) is None:
            raise AdminError(f"pengguna tidak dikenal / unknown user: {name}")
        hashes = [bytes(h) for h, _u, _at in users.tokens(tx, name)]
        if token is not None:
            hashes = [h for h in hashes if token_id(h) == token.lower()]
            if not hashes:
                raise AdminError(f"token tidak dikenal / unknown token: {token}")
        for h in hashes:
            users.delete_token(tx, h)
    return len(hashes)


# --- checks of the register's, the cases' and the visit lists' service functions ----------------


def visible(user: User, rusun: str, what: str) -> None:
    """``Unknown`` unless the user may see ``rusun``'s ``what`` (a target out of the user's
    scope is answered exactly like one that does not exist)."""
    if not user.may_see(rusun):
        raise Unknown(f"tidak ditemukan / not found: {what}")


def require(user: User, rusun: str, what: str) -> None:
    """An admin whose scope holds ``rusun``; else ``Unknown`` (out of scope) or ``Forbidden``."""
    visible(user, rusun, what)
    if not user.is_admin:
        raise Forbidden("khusus admin / admin role required")


def rusun_scope(tx: Tx, user: User) -> Scope:
    """The user's scope as rusun ids: every rusun for a user bound to none, else the ids of the
    rusun the user is bound to (by the names its rows give)."""
    if not user.rusun:
        return OPERATOR
    return Scope.of(r.id for r in residents.rusun_all(tx) if r.name in user.rusun)
