# records: the SQL of the stored log: sealed blocks, their records and the gaps between them.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. Blocks and
records are keyed by (terminal, generation, sequence number); column meanings: docs/collector.md.
A record's ``wall_time`` is set only while it is held for nothing (``held`` = 0): reports read
``wall_time``, so a held record never counts in one; ``claimed_time`` keeps what the terminal
said. ``fork_blocks`` keeps, as evidence, blocks that conflict with the stored chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store import rollups
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
    "claimed_time",
    "held",
)
BLOCK_COLUMNS = (
    "terminal_id", "gen", "seal_seq", "first_seq", "epoch", "prev_mac", "mac", "received_at",
    "dating",
)  # fmt: skip
FORK_COLUMNS = (
    "terminal_id", "gen", "seal_seq", "first_seq", "epoch", "prev_mac", "mac", "slots",
    "received_at",
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


def lowest_block(tx: Tx, tid: int, gen: int) -> StoredBlock | None:
    """The stored block of this generation with the lowest seal (the retention purge removes
    those below each terminal's head; the first key of each partition's index)."""
    return _block(tx.one(_BLOCKS + " ORDER BY seal_seq LIMIT 1", (tid, gen)))


def high_seal(tx: Tx, tid: int, gen: int) -> int | None:
    """The highest stored seal sequence number of this generation (None when nothing stored)."""
    return tx.value(
        "SELECT MAX(seal_seq) FROM blocks WHERE terminal_id = ? AND gen = ?", (tid, gen)
    )


def insert_blocks(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of ``BLOCK_COLUMNS``."""
    tx.copy("blocks", BLOCK_COLUMNS, rows)


def insert_records(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of ``RECORD_COLUMNS``; the roll-ups count them in the same transaction."""
    tx.copy("records", RECORD_COLUMNS, rows)
    by_terminal: dict[int, list[Sequence[Any]]] = {}
    for row in rows:
        by_terminal.setdefault(int(row[0]), []).append(row)
    for tid, mine in by_terminal.items():
        rollups.add(tx, tid, mine)


def block_dating(tx: Tx, tid: int, gen: int, seal_seq: int) -> tuple[bool, str | None]:
    """(stored, its dating state JSON) of the block sealed at ``seal_seq``."""
    row = tx.one(
        "SELECT dating FROM blocks WHERE terminal_id = ? AND gen = ? AND seal_seq = ?",
        (tid, gen, seal_seq),
    )
    return (row is not None, row[0] if row is not None else None)


def dating_below(tx: Tx, tid: int, gen: int, seq: int) -> str | None:
    """The dating state JSON of the nearest stored block below ``seq`` (None: none stored)."""
    return tx.value(
        "SELECT dating FROM blocks WHERE terminal_id = ? AND gen = ? AND seal_seq < ?"
        " ORDER BY seal_seq DESC LIMIT 1",
        (tid, gen, seq),
    )


def undated_between(tx: Tx, tid: int, gen: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """(seq, uptime_ms, held) of stored records with lo <= seq < hi that have an uptime and no
    date yet (a boot's records before its first clock anchor)."""
    rows = tx.all(
        "SELECT seq, uptime_ms, held FROM records WHERE terminal_id = ? AND gen = ?"
        " AND seq >= ? AND seq < ? AND claimed_time IS NULL AND uptime_ms IS NOT NULL"
        " AND kind <> 0 ORDER BY seq",
        (tid, gen, lo, hi),
    )
    return [(int(a), int(b), int(c)) for a, b, c in rows]


def set_claimed(tx: Tx, tid: int, gen: int, rows: Sequence[tuple[int, int, int]]) -> None:
    """(seq, claimed_time, held): dates derived backward from a later anchor; ``wall_time`` set
    only where held is 0."""
    if not rows:
        return
    seqs = {r[0] for r in rows}
    lo, hi = min(seqs), max(seqs) + 1
    before = [r for r in rollups.state(tx, tid, gen, lo, hi) if r[0] in seqs]
    for seq, claimed, held in rows:
        tx.run(
            "UPDATE records SET claimed_time = ?, held = ?, time_derived = 1,"
            " wall_time = CASE WHEN ? = 0 THEN ? END"
            " WHERE terminal_id = ? AND gen = ? AND seq = ?",
            (claimed, held, held, claimed, tid, gen, seq),
        )
    after = [r for r in rollups.state(tx, tid, gen, lo, hi) if r[0] in seqs]
    rollups.change(tx, tid, before, after)


def hold_from(tx: Tx, tid: int, gen: int, seq: int, bit: int) -> int:
    """Hold every record from ``seq`` on for reason ``bit``; returns how many were not yet."""
    where, params = " AND (held & ?) = 0", (bit,)
    before = rollups.state(tx, tid, gen, seq, 1 << 62, where, params)
    if not before:
        return 0
    n = tx.run(
        "UPDATE records SET held = held | ?, wall_time = NULL"
        " WHERE terminal_id = ? AND gen = ? AND seq >= ? AND (held & ?) = 0",
        (bit, tid, gen, seq, bit),
    )
    seqs = {r[0] for r in before}
    after = [r for r in rollups.state(tx, tid, gen, seq, 1 << 62) if r[0] in seqs]
    rollups.change(tx, tid, before, after)
    return n


def release(tx: Tx, tid: int, gen: int, lo: int, hi: int, bit: int) -> None:
    """Clear reason ``bit`` of records with lo <= seq < hi; those held for nothing else get their
    ``wall_time`` back."""
    before = rollups.state(tx, tid, gen, lo, hi, " AND (held & ?) <> 0", (bit,))
    if not before:
        return
    tx.run(
        "UPDATE records SET held = held & ? WHERE terminal_id = ? AND gen = ? AND seq >= ?"
        " AND seq < ? AND (held & ?) <> 0",
        (~bit & 0x7FFF, tid, gen, lo, hi, bit),
    )
    tx.run(
        "UPDATE records SET wall_time = claimed_time WHERE terminal_id = ? AND gen = ?"
        " AND seq >= ? AND seq < ? AND held = 0 AND wall_time IS NULL"
        " AND claimed_time IS NOT NULL",
        (tid, gen, lo, hi),
    )
    seqs = {r[0] for r in before}
    after = [r for r in rollups.state(tx, tid, gen, lo, hi) if r[0] in seqs]
    rollups.change(tx, tid, before, after)


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
    """Records of a terminal the terminal could not date (no anchor; VOID slots left out)."""
    return int(
        tx.value(
            "SELECT COUNT(*) FROM records WHERE terminal_id = ? AND claimed_time IS NULL"
            " AND kind <> 0",
            (tid,),
        )
    )


def held(tx: Tx, tid: int, since: int = 0) -> int:
    """Records of a terminal held back from reports (dates outside the rules, chain conflicts),
    received at or after ``since``."""
    return int(
        tx.value(
            "SELECT COUNT(*) FROM records WHERE terminal_id = ? AND held <> 0"
            " AND received_at >= ?",
            (tid, since),
        )
    )


def clock_jumps(tx: Tx, tid: int) -> int:
    return int(
        tx.value("SELECT COUNT(*) FROM records WHERE terminal_id = ? AND clock_jump = 1", (tid,))
    )


# --- conflicting chains (evidence) ---------------------------------------------------------------


def fork_known(tx: Tx, tid: int, gen: int, lo: int, hi: int) -> set[tuple[int, bytes]]:
    """(seal_seq, mac) of the fork blocks sealed in [lo, hi]."""
    rows = tx.all(
        "SELECT seal_seq, mac FROM fork_blocks WHERE terminal_id = ? AND gen = ?"
        " AND seal_seq >= ? AND seal_seq <= ?",
        (tid, gen, lo, hi),
    )
    return {(int(s), bytes(m)) for s, m in rows}


def fork_sealed_with(tx: Tx, tid: int, gen: int, mac: bytes) -> int | None:
    """The seal seq of the fork block sealed with ``mac`` (None: none)."""
    return tx.value(
        "SELECT seal_seq FROM fork_blocks WHERE terminal_id = ? AND gen = ? AND mac = ?",
        (tid, gen, mac),
    )


def sealed_with(tx: Tx, tid: int, gen: int, seal_seq: int, mac: bytes) -> str | None:
    """Where the block sealed at ``seal_seq`` with ``mac`` is stored: "main", "fork" or None."""
    main = block_sealed_at(tx, tid, gen, seal_seq)
    if main is not None and main.mac == mac:
        return "main"
    if (seal_seq, mac) in fork_known(tx, tid, gen, seal_seq, seal_seq):
        return "fork"
    return None


def continuation(tx: Tx, tid: int, gen: int, seq: int, prev_mac: bytes) -> StoredBlock | None:
    """The stored block (in the chain, else kept as evidence) that starts at ``seq`` chained from
    ``prev_mac``, or None."""
    main = block_starting_at(tx, tid, gen, seq)
    if main is not None and main.prev_mac == prev_mac:
        return main
    return _block(
        tx.one(
            "SELECT first_seq, seal_seq, epoch, prev_mac, mac FROM fork_blocks"
            " WHERE terminal_id = ? AND gen = ? AND first_seq = ? AND prev_mac = ?",
            (tid, gen, seq, prev_mac),
        )
    )


def fork_high(tx: Tx, tid: int, gen: int) -> int | None:
    return tx.value(
        "SELECT MAX(seal_seq) FROM fork_blocks WHERE terminal_id = ? AND gen = ?", (tid, gen)
    )


def insert_fork_blocks(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of ``FORK_COLUMNS``."""
    tx.copy("fork_blocks", FORK_COLUMNS, rows)


def fork_blocks(tx: Tx, tid: int) -> list[dict[str, Any]]:
    """Every fork block of a terminal (all generations), by generation and seal."""
    rows = tx.all(
        "SELECT " + ", ".join(FORK_COLUMNS) + " FROM fork_blocks WHERE terminal_id = ?"
        " ORDER BY gen, seal_seq",
        (tid,),
    )
    return [dict(zip(FORK_COLUMNS, r)) for r in rows]


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
