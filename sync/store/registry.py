# store: every SQL statement of the collector's ingest and registry; never commits.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service decides the transaction.

Reports have their own module (``sync.store.reports``). Column meanings: docs/collector.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from firmware import wire
from sync.store.db import Tx

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
    "acked",
    "config_json",
    "config_version",
    "created_at",
    "last_seen",
    "revoked_at",
    "st_seq",
    "st_boot",
    "st_up",
    "st_anchor_wall",
    "st_anchor_up",
)
_TERMINAL_SELECT = (
    "SELECT "
    + ", ".join("t." + c for c in TERMINAL_COLUMNS)
    + ", r.name, r.allowlist_version FROM terminals t JOIN rusun r ON r.id = t.rusun_id"
)
RECORD_COLUMNS = (
    "terminal_id",
    "gen",
    "seq",
    "kind",
    "flags",
    "payload",
    "boot",
    "uptime_ms",
    "wall_time",
    "time_derived",
    "clock_jump",
    "received_at",
)
HEALTH_COLUMNS = wire.HEALTH_FIELDS


def _terminal(row: tuple | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out: dict[str, Any] = dict(zip(TERMINAL_COLUMNS, row[: len(TERMINAL_COLUMNS)]))
    out["rusun"] = row[len(TERMINAL_COLUMNS)]
    out["allowlist_version"] = row[len(TERMINAL_COLUMNS) + 1]
    return out


def ping(tx: Tx) -> None:
    tx.value("SELECT 1")


# --- rusun ---------------------------------------------------------------------------------------


def rusun_by_name(tx: Tx, name: str) -> tuple | None:
    """(id, name, card_key_enc, allowlist_version) or None."""
    return tx.one(
        "SELECT id, name, card_key_enc, allowlist_version FROM rusun WHERE name = ?", (name,)
    )


def rusun_all(tx: Tx) -> list[tuple]:
    return tx.all("SELECT id, name, card_key_enc, allowlist_version FROM rusun ORDER BY name")


def insert_rusun(tx: Tx, name: str, card_key_enc: bytes) -> int:
    return tx.insert_id(
        "INSERT INTO rusun (name, card_key_enc) VALUES (?, ?)", (name, card_key_enc)
    )


def set_rusun_card_key(tx: Tx, rusun_id: int, card_key_enc: bytes) -> None:
    tx.run("UPDATE rusun SET card_key_enc = ? WHERE id = ?", (card_key_enc, rusun_id))


def allowlist_version(tx: Tx, rusun_id: int) -> int:
    return int(tx.value("SELECT allowlist_version FROM rusun WHERE id = ?", (rusun_id,)))


def bump_allowlist(tx: Tx, rusun_id: int) -> None:
    tx.run("UPDATE rusun SET allowlist_version = allowlist_version + 1 WHERE id = ?", (rusun_id,))


# --- terminals -----------------------------------------------------------------------------------


def next_terminal_id(tx: Tx) -> int:
    return int(tx.value("SELECT COALESCE(MAX(id), 0) + 1 FROM terminals"))


def insert_terminal(
    tx: Tx, tid: int, rusun_id: int, door: int, k0_enc: bytes, config_json: str, now: int
) -> None:
    tx.run(
        "INSERT INTO terminals (id, rusun_id, door, k0_enc, config_json, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (tid, rusun_id, door, k0_enc, config_json, now),
    )


def terminal(tx: Tx, tid: int) -> dict[str, Any] | None:
    return _terminal(tx.one(_TERMINAL_SELECT + " WHERE t.id = ?", (tid,)))


def lock_terminal(tx: Tx, tid: int) -> dict[str, Any] | None:
    """The terminal's row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite's ``BEGIN IMMEDIATE`` already holds the whole database)."""
    sql = _TERMINAL_SELECT + " WHERE t.id = ?"
    if tx.kind == "postgres":
        sql += " FOR UPDATE OF t"
    return _terminal(tx.one(sql, (tid,)))


def terminals(tx: Tx) -> list[dict[str, Any]]:
    return [t for t in map(_terminal, tx.all(_TERMINAL_SELECT + " ORDER BY t.id")) if t]


def set_terminal_status(tx: Tx, tid: int, status: str, now: int) -> int:
    return tx.run(
        "UPDATE terminals SET status = ?, revoked_at = ? WHERE id = ?",
        (status, now if status == "revoked" else None, tid),
    )


def rotate_terminal(tx: Tx, tid: int, k0_enc: bytes) -> int:
    """A new K0 opens a new generation: sequence numbers and the chain start again at 0."""
    return tx.run(
        "UPDATE terminals SET k0_enc = ?, gen = gen + 1, key_epoch = 0, key_enc = NULL,"
        " req_epoch = -1, acked = 0, st_seq = 0, st_boot = NULL, st_up = NULL,"
        " st_anchor_wall = NULL, st_anchor_up = NULL, status = 'active', revoked_at = NULL"
        " WHERE id = ?",
        (k0_enc, tid),
    )


def set_terminal_config(tx: Tx, tid: int, config_json: str) -> None:
    tx.run(
        "UPDATE terminals SET config_json = ?, config_version = config_version + 1 WHERE id = ?",
        (config_json, tid),
    )


def update_after_batch(tx: Tx, tid: int, values: dict[str, Any]) -> None:
    cols = sorted(values)
    tx.run(
        "UPDATE terminals SET " + ", ".join(f"{c} = ?" for c in cols) + " WHERE id = ?",
        [values[c] for c in cols] + [tid],
    )


def touch_terminal(tx: Tx, tid: int, now: int) -> None:
    tx.run("UPDATE terminals SET last_seen = ? WHERE id = ?", (now, tid))


# --- blocks and records --------------------------------------------------------------------------


def blocks_overlapping(tx: Tx, tid: int, gen: int, lo: int, hi: int) -> list[tuple]:
    """(first_seq, seal_seq, epoch, mac) of stored blocks meeting seqs [lo, hi]."""
    return tx.all(
        "SELECT first_seq, seal_seq, epoch, mac FROM blocks WHERE terminal_id = ? AND gen = ?"
        " AND first_seq <= ? AND seal_seq >= ? ORDER BY seal_seq",
        (tid, gen, hi, lo),
    )


def block_sealed_at(tx: Tx, tid: int, gen: int, seal_seq: int) -> tuple | None:
    """(first_seq, epoch, mac) of the block whose seal is ``seal_seq``."""
    return tx.one(
        "SELECT first_seq, epoch, mac FROM blocks WHERE terminal_id = ? AND gen = ?"
        " AND seal_seq = ?",
        (tid, gen, seal_seq),
    )


def block_starting_at(tx: Tx, tid: int, gen: int, first_seq: int) -> tuple | None:
    """(seal_seq, epoch, prev_mac) of the block that starts at ``first_seq``."""
    return tx.one(
        "SELECT seal_seq, epoch, prev_mac FROM blocks WHERE terminal_id = ? AND gen = ?"
        " AND first_seq = ?",
        (tid, gen, first_seq),
    )


def block_starts_from(tx: Tx, tid: int, gen: int, seq: int) -> list[tuple]:
    """(first_seq, seal_seq) of stored blocks starting at or after ``seq``, in order."""
    return tx.all(
        "SELECT first_seq, seal_seq FROM blocks WHERE terminal_id = ? AND gen = ?"
        " AND first_seq >= ? ORDER BY first_seq",
        (tid, gen, seq),
    )


def high_seal(tx: Tx, tid: int, gen: int) -> int | None:
    """The highest stored seal sequence number of this generation (None when nothing stored)."""
    return tx.value(
        "SELECT MAX(seal_seq) FROM blocks WHERE terminal_id = ? AND gen = ?", (tid, gen)
    )


def insert_blocks(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    tx.copy(
        "blocks",
        ("terminal_id", "gen", "seal_seq", "first_seq", "epoch", "prev_mac", "mac", "received_at"),
        rows,
    )


def insert_records(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    tx.copy("records", RECORD_COLUMNS, rows)


def backdate_boot(
    tx: Tx, tid: int, gen: int, boot: int, anchor_wall_ms: int, anchor_up: int
) -> int:
    """Date the undated records of one boot backward from its first clock anchor (derived).

    ``anchor_wall_ms`` is the anchor's wall time in Unix milliseconds at uptime ``anchor_up``.
    """
    return tx.run(
        "UPDATE records SET wall_time = (? - (? - uptime_ms)) / 1000, time_derived = 1"
        " WHERE terminal_id = ? AND gen = ? AND boot = ? AND wall_time IS NULL"
        " AND uptime_ms IS NOT NULL AND uptime_ms <= ?",
        (anchor_wall_ms, anchor_up, tid, gen, boot, anchor_up),
    )


def count_records(tx: Tx, tid: int | None = None) -> int:
    if tid is None:
        return int(tx.value("SELECT COUNT(*) FROM records"))
    return int(tx.value("SELECT COUNT(*) FROM records WHERE terminal_id = ?", (tid,)))


def records_of(tx: Tx, tid: int, lo: int = 0, hi: int | None = None) -> list[dict[str, Any]]:
    """The current generation's records of one terminal with lo <= seq < hi."""
    rows = tx.all(
        "SELECT " + ", ".join("r." + c for c in RECORD_COLUMNS) + " FROM records r"
        " JOIN terminals t ON t.id = r.terminal_id AND t.gen = r.gen"
        " WHERE r.terminal_id = ? AND r.seq >= ? AND r.seq < ? ORDER BY r.seq",
        (tid, lo, hi if hi is not None else 1 << 62),
    )
    return [dict(zip(RECORD_COLUMNS, r)) for r in rows]


# --- gaps, alerts, health ------------------------------------------------------------------------


def insert_gap(tx: Tx, tid: int, gen: int, lo: int, hi: int, now: int) -> None:
    tx.run(
        "INSERT INTO gaps (terminal_id, gen, from_seq, to_seq, detected_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (tid, gen, lo, hi, now),
    )


def fill_gaps(tx: Tx, tid: int, gen: int, acked: int, now: int) -> None:
    tx.run(
        "UPDATE gaps SET filled_at = ? WHERE terminal_id = ? AND gen = ? AND to_seq <= ?"
        " AND filled_at IS NULL",
        (now, tid, gen, acked),
    )


def open_gaps(tx: Tx, tid: int | None = None) -> list[dict[str, Any]]:
    """Open gaps, their start raised to the terminal's watermark (a partly filled gap)."""
    sql = (
        "SELECT g.terminal_id, g.from_seq, g.to_seq, g.detected_at, t.acked FROM gaps g"
        " JOIN terminals t ON t.id = g.terminal_id AND t.gen = g.gen WHERE g.filled_at IS NULL"
    )
    params: tuple = ()
    if tid is not None:
        sql += " AND g.terminal_id = ?"
        params = (tid,)
    out = []
    for t, lo, hi, at, acked in tx.all(sql + " ORDER BY g.terminal_id, g.from_seq", params):
        out.append({"terminal_id": t, "from_seq": max(lo, acked), "to_seq": hi, "detected_at": at})
    return out


def insert_alert(tx: Tx, tid: int | None, kind: str, detail: str, now: int) -> None:
    tx.run(
        "INSERT INTO alerts (terminal_id, kind, detail, created_at) VALUES (?, ?, ?, ?)",
        (tid, kind, detail, now),
    )


def alerts(tx: Tx, tid: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    sql = "SELECT id, terminal_id, kind, detail, created_at FROM alerts"
    params: list[Any] = []
    if tid is not None:
        sql += " WHERE terminal_id = ?"
        params.append(tid)
    params.append(limit)
    rows = tx.all(sql + " ORDER BY id DESC LIMIT ?", params)
    keys = ("id", "terminal_id", "kind", "detail", "created_at")
    return [dict(zip(keys, r)) for r in rows]


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


# --- residents, units, cards ---------------------------------------------------------------------


def insert_unit(tx: Tx, rusun_id: int, name: str) -> int:
    return tx.insert_id("INSERT INTO units (rusun_id, name) VALUES (?, ?)", (rusun_id, name))


def resident(tx: Tx, resident_id: str) -> tuple | None:
    """(resident_id, name, unit_id, rusun_id)."""
    return tx.one(
        "SELECT resident_id, name, unit_id, rusun_id FROM residents WHERE resident_id = ?",
        (resident_id,),
    )


def units_index(tx: Tx) -> dict[tuple[int, str], int]:
    """{(rusun_id, unit name): unit id} of every unit (an import looks them up in memory)."""
    return {(r, n): i for i, r, n in tx.all("SELECT id, rusun_id, name FROM units")}


def resident_ids(tx: Tx) -> set[str]:
    return {r[0] for r in tx.all("SELECT resident_id FROM residents")}


def cards_index(tx: Tx) -> dict[bytes, tuple]:
    """{uid_hash: (id, rusun_id, unit_id, resident_id, token, status)} of every card."""
    rows = tx.all("SELECT uid_hash, id, rusun_id, unit_id, resident_id, token, status FROM cards")
    return {bytes(r[0]): tuple(r[1:]) for r in rows}


def upsert_resident(
    tx: Tx,
    resident_id: str,
    name: str,
    unit: int,
    rusun_id: int,
    now: int,
    new: bool | None = None,
) -> None:
    """Insert or update; ``new`` (when the caller knows) saves the lookup."""
    if new is None:
        new = resident(tx, resident_id) is None
    if new:
        tx.run(
            "INSERT INTO residents (resident_id, name, unit_id, rusun_id, registered_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (resident_id, name, unit, rusun_id, now),
        )
    else:
        tx.run(
            "UPDATE residents SET name = ?, unit_id = ?, rusun_id = ? WHERE resident_id = ?",
            (name, unit, rusun_id, resident_id),
        )


def card_by_uid_hash(tx: Tx, uid_hash: bytes) -> tuple | None:
    """(id, rusun_id, unit_id, resident_id, token, status)."""
    return tx.one(
        "SELECT id, rusun_id, unit_id, resident_id, token, status FROM cards WHERE uid_hash = ?",
        (uid_hash,),
    )


def set_card_fingerprint(tx: Tx, card_id: int, fingerprint: int) -> None:
    tx.run("UPDATE cards SET fingerprint = ? WHERE id = ?", (fingerprint, card_id))


def set_card_status(tx: Tx, card_id: int, status: str) -> None:
    tx.run("UPDATE cards SET status = ? WHERE id = ?", (status, card_id))


def insert_card_tokens(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(rusun_id, token, card_id): a card's token under every rusun's key, so a card tapped at
    another rusun is still recognised."""
    tx.copy("card_tokens", ("rusun_id", "token", "card_id"), rows)


def cards_all(tx: Tx) -> list[tuple]:
    """(id, uid_hash, uid_enc) of every card (to compute tokens for a new rusun)."""
    return tx.all("SELECT id, uid_hash, uid_enc FROM cards ORDER BY id")


def insert_residents(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(resident_id, name, unit_id, rusun_id, registered_at) rows, in bulk."""
    tx.copy("residents", ("resident_id", "name", "unit_id", "rusun_id", "registered_at"), rows)


def insert_cards(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(uid_hash, uid_enc, rusun_id, unit_id, resident_id, token, fingerprint, enrolled_at)."""
    cols = ("uid_hash", "uid_enc", "rusun_id", "unit_id", "resident_id", "token", "fingerprint",
            "enrolled_at")  # fmt: skip
    tx.copy("cards", cols, rows)


def allowlist_entries(tx: Tx, rusun_id: int) -> list[tuple[int, int]]:
    rows = tx.all(
        "SELECT token, COALESCE(fingerprint, 0) FROM cards WHERE rusun_id = ?"
        " AND status = 'active' ORDER BY token",
        (rusun_id,),
    )
    return [(int(t), int(f)) for t, f in rows]


def cards_list(tx: Tx, rusun_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT c.id, c.token, c.fingerprint, r.name, u.name, c.resident_id, c.status,"
        " c.enrolled_at FROM cards c JOIN rusun r ON r.id = c.rusun_id"
        " JOIN units u ON u.id = c.unit_id"
    )
    params: tuple = ()
    if rusun_id is not None:
        sql += " WHERE c.rusun_id = ?"
        params = (rusun_id,)
    keys = ("id", "token", "fingerprint", "rusun", "unit", "resident_id", "status", "enrolled_at")
    return [dict(zip(keys, r)) for r in tx.all(sql + " ORDER BY c.id", params)]


def residents_list(tx: Tx, rusun_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT p.resident_id, p.name, u.name, r.name, p.registered_at FROM residents p"
        " JOIN units u ON u.id = p.unit_id JOIN rusun r ON r.id = p.rusun_id"
    )
    params: tuple = ()
    if rusun_id is not None:
        sql += " WHERE p.rusun_id = ?"
        params = (rusun_id,)
    keys = ("resident_id", "name", "unit", "rusun", "registered_at")
    return [dict(zip(keys, r)) for r in tx.all(sql + " ORDER BY p.resident_id", params)]


# --- users ---------------------------------------------------------------------------------------


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


def user(tx: Tx, name: str) -> tuple | None:
    """(name, password_hash, role, rusun)."""
    return tx.one("SELECT name, password_hash, role, rusun FROM users WHERE name = ?", (name,))


def users(tx: Tx) -> list[tuple]:
    return tx.all("SELECT name, role, rusun, created_at FROM users ORDER BY name")


def insert_token(tx: Tx, token_hash: bytes, name: str, now: int) -> None:
    tx.run(
        "INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?, ?, ?)",
        (token_hash, name, now),
    )


def user_by_token(tx: Tx, token_hash: bytes) -> tuple | None:
    return tx.one(
        "SELECT u.name, u.password_hash, u.role, u.rusun FROM api_tokens a"
        " JOIN users u ON u.name = a.user_name WHERE a.token_hash = ?",
        (token_hash,),
    )
