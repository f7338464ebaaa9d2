# alert_log: the SQL of the alerts table (rejected requests, gaps, clock jumps, admin actions).
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. Alert kinds:
docs/collector.md, "Schema"."""

from __future__ import annotations

from typing import Any

from sync.store.db import Tx

_KEYS = ("id", "terminal_id", "kind", "detail", "created_at")


def add(tx: Tx, tid: int | None, kind: str, detail: str, now: int) -> None:
    tx.run(
        "INSERT INTO alerts (terminal_id, kind, detail, created_at) VALUES (?, ?, ?, ?)",
        (tid, kind, detail, now),
    )


def recent(tx: Tx, tid: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest ``limit`` alerts (of one terminal, or all), newest first."""
    sql = "SELECT " + ", ".join(_KEYS) + " FROM alerts"
    params: list[Any] = []
    if tid is not None:
        sql += " WHERE terminal_id = ?"
        params.append(tid)
    params.append(limit)
    return [dict(zip(_KEYS, r)) for r in tx.all(sql + " ORDER BY id DESC LIMIT ?", params)]


def count_since(tx: Tx, tid: int, since: int) -> int:
    return int(
        tx.value(
            "SELECT COUNT(*) FROM alerts WHERE terminal_id = ? AND created_at >= ?", (tid, since)
        )
    )
