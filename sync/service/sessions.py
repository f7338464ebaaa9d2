# sessions: the dashboard's sign-in sessions: started at login, ended at logout, password change
# SPDX-License-Identifier: MIT
"""A session is a row (``sync.store.sessions``) named by a random id the browser holds in its
signed cookie (``sync.web.auth``); only the id's SHA-256 is stored. So a session ends for good:

- at logout (its row is deleted: the old cookie names nothing);
- when its user's password, role or rusun change, or the user is removed
  (``sync.service.accounts``: every row of that user is deleted);
- ``LIFETIME_S`` after login, however busy (an absolute lifetime, never extended).

    sid = start(c, "kepala")        # after a good password
    user = user_of(c, sid)          # User or None
    end(c, sid)
"""

from __future__ import annotations

import hashlib
import secrets

from sync.service import accounts
from sync.service.accounts import User
from sync.service.collector import Collector
from sync.store import sessions

LIFETIME_S = 12 * 3600  # one office shift; then sign in again


def _hash(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()


def start(c: Collector, name: str) -> str:
    sid = secrets.token_urlsafe(32)
    now = c.now()
    with c.db.write() as tx:
        sessions.insert(tx, _hash(sid), name, now, now + LIFETIME_S)
    return sid


def user_of(c: Collector, sid: str) -> User | None:
    with c.db.read() as tx:
        name = sessions.user_of(tx, _hash(sid), c.now())
    return accounts.user(c, name) if name is not None else None


def end(c: Collector, sid: str) -> None:
    with c.db.write() as tx:
        sessions.delete(tx, _hash(sid))
