# migrations: the steps that bring a database of an older schema version to the current one.
# SPDX-License-Identifier: MIT
"""``upgrade(tx, version, make)`` runs every step from ``version`` on, in the caller's
transaction (so a failed upgrade changes nothing); ``make(name)`` runs the current CREATE
statement of a table or index (``sync.store.schema``). Each step only adds: columns, tables and
rows derived from what is there; a column whose data moved elsewhere is dropped last.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sync.store.db import Tx


def _v1_to_v2(tx: Tx, make: Callable[[str], None]) -> None:
    """Scopes as rows, card key generations, dating state per block, held records, forks."""
    blob = "BYTEA" if tx.kind == "postgres" else "BLOB"
    # Card keys: one row per generation; the rusun row keeps which one is current.
    make("card_keys")
    tx.run("ALTER TABLE rusun ADD COLUMN card_key_gen INTEGER NOT NULL DEFAULT 0")
    tx.run(
        "INSERT INTO card_keys (rusun_id, gen, key_enc, created_at)"
        " SELECT id, 0, card_key_enc, 0 FROM rusun"
    )
    _card_tokens_by_generation(tx, make)
    # Terminals: recent request MACs (replays do not count as life), card key generation, forks.
    tx.run(f"ALTER TABLE terminals ADD COLUMN req_macs {blob}")
    tx.run("ALTER TABLE terminals ADD COLUMN card_key_gen INTEGER NOT NULL DEFAULT 0")
    tx.run("ALTER TABLE terminals ADD COLUMN fork_seq BIGINT")
    # Records: the time the terminal claims, and why a record is held back from reports.
    tx.run("ALTER TABLE records ADD COLUMN claimed_time BIGINT")
    tx.run("ALTER TABLE records ADD COLUMN held SMALLINT NOT NULL DEFAULT 0")
    tx.run("UPDATE records SET claimed_time = wall_time")
    # Dating state: kept with each block (its chain's state after it), not once per terminal.
    tx.run("ALTER TABLE blocks ADD COLUMN dating TEXT")
    _dating_to_blocks(tx)
    # Scopes: rows, not a comma-joined string.
    make("user_rusun")
    tx.run("ALTER TABLE users ADD COLUMN all_rusun SMALLINT NOT NULL DEFAULT 0")
    _scopes_to_rows(tx)
    for table, column in (
        ("rusun", "card_key_enc"),
        ("users", "rusun"),
        ("terminals", "st_seq"),
        ("terminals", "st_boot"),
        ("terminals", "st_up"),
        ("terminals", "st_anchor_wall"),
        ("terminals", "st_anchor_up"),
    ):
        tx.run(f"ALTER TABLE {table} DROP COLUMN {column}")


def _card_tokens_by_generation(tx: Tx, make: Callable[[str], None]) -> None:
    """``card_tokens`` gains the key generation, in its key: one card may, by chance, have the
    same token under two generations."""
    if tx.kind == "postgres":
        tx.run("ALTER TABLE card_tokens DROP CONSTRAINT card_tokens_pkey")
        tx.run("ALTER TABLE card_tokens ADD COLUMN gen INTEGER NOT NULL DEFAULT 0")
        tx.run("ALTER TABLE card_tokens ADD PRIMARY KEY (rusun_id, token, gen, card_id)")
        return
    tx.run("ALTER TABLE card_tokens RENAME TO card_tokens_v1")  # SQLite cannot change a key
    make("card_tokens")
    tx.run(
        "INSERT INTO card_tokens (rusun_id, token, gen, card_id)"
        " SELECT rusun_id, token, 0, card_id FROM card_tokens_v1"
    )
    tx.run("DROP TABLE card_tokens_v1")


def _dating_to_blocks(tx: Tx) -> None:
    """Each terminal's dating state (v1: ``terminals.st_*``, the state after the block ending at
    ``st_seq - 1``) goes to that block, in ``sync.service.dating.DatingState``'s JSON."""
    rows = tx.all(
        "SELECT id, gen, st_seq, st_boot, st_up, st_anchor_wall, st_anchor_up FROM terminals"
        " WHERE st_seq > 0"
    )
    for tid, gen, st_seq, boot, up, anchor_wall, anchor_up in rows:
        boot_seq = tx.value(
            "SELECT MAX(seq) FROM records WHERE terminal_id = ? AND gen = ? AND kind = 2"
            " AND seq < ?",
            (tid, gen, st_seq),
        )
        high = tx.value(
            "SELECT MAX(wall_time) FROM records WHERE terminal_id = ? AND gen = ? AND seq < ?",
            (tid, gen, st_seq),
        )
        state = {
            "boot": boot,
            "boot_seq": boot_seq if boot is not None else None,
            "boot_held": 0,
            "up": up,
            "anchor_wall": anchor_wall,
            "anchor_up": anchor_up,
            "anchor_held": 0,
            "high": high,
        }
        tx.run(
            "UPDATE blocks SET dating = ? WHERE terminal_id = ? AND gen = ? AND seal_seq = ?",
            (json.dumps(state), tid, gen, st_seq - 1),
        )


def _scopes_to_rows(tx: Tx) -> None:
    """v1 kept a user's rusun as one comma-joined string, ambiguous for a rusun whose name holds
    a comma: the whole string naming one rusun wins, else its parts that name one. A string
    naming none leaves the user bound to no rusun (it never widens to all of them)."""
    ids = {name: rid for rid, name in tx.all("SELECT id, name FROM rusun")}
    for name, text in tx.all("SELECT name, rusun FROM users"):
        if not text:
            tx.run("UPDATE users SET all_rusun = 1 WHERE name = ?", (name,))
            continue
        chosen = [ids[text]] if text in ids else [ids[p] for p in text.split(",") if p in ids]
        for rid in sorted(set(chosen)):
            tx.run("INSERT INTO user_rusun (user_name, rusun_id) VALUES (?, ?)", (name, rid))


# The tenant register's columns (version 3): (table, column, definition), the same text as in
# sync.store.schema's CREATE statements; its new tables and indexes are made by ``create``.
REGISTER_COLUMNS = (
    ("rusun", "district", "TEXT NOT NULL DEFAULT ''"),
    ("units", "block", "TEXT NOT NULL DEFAULT ''"),
    ("units", "status", "TEXT NOT NULL DEFAULT 'occupied'"),
    ("units", "status_at", "BIGINT"),
    ("units", "lease_no", "TEXT NOT NULL DEFAULT ''"),
    ("units", "let_since", "BIGINT"),
    ("residents", "kind", "TEXT NOT NULL DEFAULT 'member'"),
    ("residents", "relation", "TEXT NOT NULL DEFAULT ''"),
    ("residents", "lease_holder", "SMALLINT NOT NULL DEFAULT 0"),
    ("residents", "status", "TEXT NOT NULL DEFAULT 'active'"),
    ("residents", "status_at", "BIGINT"),
    ("residents", "valid_until", "BIGINT"),
    ("cards", "status_at", "BIGINT"),
    ("cards", "replaces", "BIGINT"),
)


def _v2_to_v3(tx: Tx, make: Callable[[str], None]) -> None:
    """The tenant register: dated statuses of flats, people and cards, blocks, districts."""
    for table, column, ddl in REGISTER_COLUMNS:
        tx.run(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}")


def _v3_to_v4(tx: Tx, make: Callable[[str], None]) -> None:
    """Roll-ups kept at ingest (``sync.store.rollups``), filled from the stored records."""
    from sync.store import rollups

    for name in ("tap_days", "terminal_days"):
        make(name)
    rollups.rebuild(tx)


def _v4_to_v5(tx: Tx, make: Callable[[str], None]) -> None:
    """The review's roll-up ``tap_times`` (``sync.store.rollups``), filled from the records."""
    from sync.store import rollups

    make("tap_times")
    rollups.rebuild_times(tx)


# _STEPS[v - 1] moves a database from version v to v + 1.
_STEPS: tuple[Callable[[Tx, Callable[[str], None]], None], ...] = (
    _v1_to_v2,
    _v2_to_v3,
    _v3_to_v4,
    _v4_to_v5,
)


def upgrade(tx: Tx, version: int, make: Callable[[str], None]) -> None:
    for step in _STEPS[version - 1 :]:
        step(tx, make)
