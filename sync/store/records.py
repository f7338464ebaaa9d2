# records: the SQL of the stored log: sealed blocks, their records and the gaps between them.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. Blocks and
records are keyed by (terminal, generation, sequence number); column meanings: docs/collector.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store.db import Row, Tx

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
BLOCK_COLUMNS = (
    "terminal_id", "gen", "seal_seq", "first_seq", "epoch", "prev_mac", "mac", "received_at"
)  # fmt: skip


class StoredBlock(NamedTuple):
    """A stored block: records ``first_seq`` … ``seal_seq - 1``, sealed at ``seal_seq`` under
    the key of ``epoch`` with ``mac``, chained from ``prev_mac``."""

    first_seq: int
    seal_seq: int
    epoch: int
    prev_mac: bytes
    mac: bytes


_BLOCKS = (
    "SELECT first_seq, seal_seq, epoch, prev_mac, mac FROM blocks"
    " WHERE terminal_id = ? AND gen = ?"
)


def _block(row: Row | None) -> StoredBlock | None:
    if row is None:
        return None
    return StoredBlock(int(row[0]), int(row[1]), int(row[2]), bytes(row[3]), bytes(row[4]))


def _blocks(rows: list[Row]) -> list[StoredBlock]:
    return [StoredBlock(int(a), int(b), int(e), bytes(p), bytes(m)) for a, b, e, p, m in rows]


def blocks_overlapping(tx: Tx, tid: int, gen: int, lo: int, hi: int) -> list[StoredBlock]:
    """Stored blocks meeting seqs [lo, hi], by seal."""
    return _blocks(
        tx.all(
            _BLOCKS + " AND first_seq <= ? AND seal_seq >= ? ORDER BY seal_seq", (tid, gen, hi, lo)
        )
    )


def block_sealed_at(tx: Tx, tid: int, gen: int, seal_seq: int) -> StoredBlock | None:
    return _block(tx.one(_BLOCKS + " AND seal_seq = ?", (tid, gen, seal_seq)))


def block_starting_at(tx: Tx, tid: int, gen: int, first_seq: int) -> StoredBlock | None:
    return _block(tx.one(_BLOCKS + " AND first_seq = ?", (tid, gen, first_seq)))


def blocks_from(tx: Tx, tid: int, gen: int, seq: int) -> list[StoredBlock]:
    """Stored blocks starting at or after ``seq``, in order."""
    return _blocks(tx.all(_BLOCKS + " AND first_seq >= ? ORDER BY first_seq", (tid, gen, seq)))


def high_seal(tx: Tx, tid: int, gen: int) -> int | None:
    """The highest stored seal sequence number of this generation (None when nothing stored)."""
    return tx.value(
        "SELECT MAX(seal_seq) FROM blocks WHERE terminal_id = ? AND gen = ?", (tid, gen)
    )


def insert_blocks(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of ``BLOCK_COLUMNS``."""
    tx.copy("blocks", BLOCK_COLUMNS, rows)


def insert_records(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of ``RECORD_COLUMNS``."""
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


def undated(tx: Tx, tid: int) -> int:
    """Records of a terminal with no wall time (VOID slots left out)."""
    return int(
        tx.value(
            "SELECT COUNT(*) FROM records WHERE terminal_id = ? AND wall_time IS NULL"
            " AND kind <> 0",
            (tid,),
        )
    )


def clock_jumps(tx: Tx, tid: int) -> int:
    return int(
        tx.value("SELECT COUNT(*) FROM records WHERE terminal_id = ? AND clock_jump = 1", (tid,))
    )


# --- gaps ----------------------------------------------------------------------------------------


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
