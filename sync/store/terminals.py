# terminals: the SQL of the terminal registry (keys, watermark, dating state) and health snapshots.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. A terminal
is a dict of ``TERMINAL_COLUMNS`` plus ``rusun`` (its name) and ``allowlist_version`` (its
rusun's). Column meanings: docs/collector.md, "Schema".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from firmware import wire
from sync.store.db import Row, Tx, where_in

TERMINAL_COLUMNS = (
    "id",
    "rusun_id",
    "door",
    "status",
    "k0_enc",
    "gen",
    "key_epoch",
    "key_enc",
    "req_epoch",
    "req_macs",
    "acked",
    "config_json",
    "config_version",
    "card_key_gen",
    "fork_seq",
    "created_at",
    "last_seen",
    "revoked_at",
)
_SELECT = (
    "SELECT "
    + ", ".join("t." + c for c in TERMINAL_COLUMNS)
    + ", r.name, r.allowlist_version FROM terminals t JOIN rusun r ON r.id = t.rusun_id"
)
HEALTH_COLUMNS = wire.HEALTH_FIELDS


def _terminal(row: Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out: dict[str, Any] = dict(zip(TERMINAL_COLUMNS, row[: len(TERMINAL_COLUMNS)]))
    out["rusun"] = row[len(TERMINAL_COLUMNS)]
    out["allowlist_version"] = row[len(TERMINAL_COLUMNS) + 1]
    return out


def next_terminal_id(tx: Tx) -> int:
    return int(tx.value("SELECT COALESCE(MAX(id), 0) + 1 FROM terminals"))


def insert_terminal(
    tx: Tx,
    tid: int,
    rusun_id: int,
    door: int,
    k0_enc: bytes,
    config_json: str,
    card_key_gen: int,
    now: int,
) -> None:
    tx.run(
        "INSERT INTO terminals (id, rusun_id, door, k0_enc, config_json, card_key_gen,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (tid, rusun_id, door, k0_enc, config_json, card_key_gen, now),
    )


def terminal(tx: Tx, tid: int) -> dict[str, Any] | None:
    return _terminal(tx.one(_SELECT + " WHERE t.id = ?", (tid,)))


def lock_terminal(tx: Tx, tid: int) -> dict[str, Any] | None:
    """The terminal's row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite's ``BEGIN IMMEDIATE`` already holds the whole database)."""
    sql = _SELECT + " WHERE t.id = ?"
    if tx.kind == "postgres":
        sql += " FOR UPDATE OF t"
    return _terminal(tx.one(sql, (tid,)))


def terminals(tx: Tx, rusun_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Terminals of the given rusun (None: all), by id."""
    where, params = where_in("t.rusun_id", rusun_ids)
    return [t for t in map(_terminal, tx.all(_SELECT + " WHERE 1 = 1" + where + " ORDER BY t.id",
                                             params)) if t]  # fmt: skip


def set_terminal_status(tx: Tx, tid: int, status: str, now: int) -> int:
    return tx.run(
        "UPDATE terminals SET status = ?, revoked_at = ? WHERE id = ?",
        (status, now if status == "revoked" else None, tid),
    )


def rotate_terminal(tx: Tx, tid: int, k0_enc: bytes, card_key_gen: int) -> int:
    """A new K0 opens a new generation: sequence numbers and the chain start again at 0."""
    return tx.run(
        "UPDATE terminals SET k0_enc = ?, gen = gen + 1, key_epoch = 0, key_enc = NULL,"
        " req_epoch = -1, req_macs = NULL, acked = 0, fork_seq = NULL, card_key_gen = ?,"
        " status = 'active', revoked_at = NULL WHERE id = ?",
        (k0_enc, card_key_gen, tid),
    )


def set_terminal_config(tx: Tx, tid: int, config_json: str) -> None:
    tx.run(
        "UPDATE terminals SET config_json = ?, config_version = config_version + 1 WHERE id = ?",
        (config_json, tid),
    )


def update_terminal(tx: Tx, tid: int, values: Mapping[str, Any]) -> None:
    """Set the given columns (names from ``TERMINAL_COLUMNS``) of one terminal."""
    cols = sorted(values)
    if not set(cols) <= set(TERMINAL_COLUMNS):
        raise ValueError(f"not terminal columns: {sorted(set(cols) - set(TERMINAL_COLUMNS))}")
    tx.run(
        "UPDATE terminals SET " + ", ".join(f"{c} = ?" for c in cols) + " WHERE id = ?",
        [values[c] for c in cols] + [tid],
    )


# --- health snapshots ----------------------------------------------------------------------------


def insert_health(tx: Tx, tid: int, now: int, health: Mapping[Any, int]) -> None:
    cols = ("terminal_id", "received_at") + HEALTH_COLUMNS
    tx.run(
        f"INSERT INTO health ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        [tid, now] + [int(health[c]) for c in HEALTH_COLUMNS],
    )


def latest_health(tx: Tx, tid: int) -> dict[str, Any] | None:
    row = tx.one(
        "SELECT received_at, "
        + ", ".join(HEALTH_COLUMNS)
        + " FROM health WHERE terminal_id = ? ORDER BY received_at DESC, id DESC LIMIT 1",
        (tid,),
    )
    return dict(zip(("received_at",) + HEALTH_COLUMNS, row)) if row else None
