# audit: the access audit rows (who viewed, exported or changed what, when, from where).
# SPDX-License-Identifier: MIT
"""Append-only: ``append`` is the one writer (in the caller's transaction, so a change and its
row commit together); a trigger refuses any UPDATE; ``delete_before`` is called by the purge only,
past the audit's own retention (docs/privacy.md)."""

from __future__ import annotations

import json
from typing import Any

from sync.store.db import Tx, where_in

COLUMNS = ("id", "at", "user_name", "via", "peer", "kind", "action", "target", "rusun_id",
           "detail")  # fmt: skip
KINDS = ("view", "export", "change")


def append(
    tx: Tx,
    *,
    at: int,
    user: str,
    via: str,
    peer: str = "",
    kind: str = "change",
    action: str,
    target: str = "",
    rusun_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    tx.run(
        "INSERT INTO access_audit (at, user_name, via, peer, kind, action, target, rusun_id,"
        " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, user, via, peer, kind, action[:300], target[:300], rusun_id,
         json.dumps(detail or {}, sort_keys=True, default=str)[:2000]),
    )  # fmt: skip


def rows(
    tx: Tx,
    *,
    since: int | None = None,
    until: int | None = None,
    user: str | None = None,
    kind: str | None = None,
    rusun_ids: list[int] | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Newest first; ``rusun_ids`` (a scope) keeps only rows of those rusun."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM access_audit WHERE 1 = 1"
    params: list[Any] = []
    for cond, value in (("at >= ?", since), ("at < ?", until), ("user_name = ?", user),
                        ("kind = ?", kind)):  # fmt: skip
        if value is not None:
            sql += f" AND {cond}"
            params.append(value)
    scope_sql, scope_params = where_in("rusun_id", rusun_ids)
    sql += scope_sql + " ORDER BY id DESC LIMIT ?"
    found = tx.all(sql, [*params, *scope_params, limit])
    return [dict(zip(COLUMNS, r)) for r in found]


def delete_before(tx: Tx, cut: int) -> int:
    return tx.run("DELETE FROM access_audit WHERE at < ?", (cut,))
