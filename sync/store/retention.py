# retention: the SQL of the purge: what is past its retention, what an open case keeps, deletes.
# SPDX-License-Identifier: MIT
"""Each ``purge_*`` function removes (or, with ``dry=True``, only counts) one kind of data older
than a cut-off (Unix seconds) and returns ``(removed, kept)``: ``kept`` counts the rows past the
cut-off that an open case (``cases.closed_at IS NULL``) keeps as evidence. Tap records are first
added to ``flat_days`` (taps per flat and local day: no card, no person), then deleted."""

from __future__ import annotations

from typing import Any

from firmware import wire
from sync.store.db import Tx

try:  # PostgreSQL's monthly partitions and the roll-ups kept at ingest, where this tree has them
    from sync.store import partitions, rollups  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the tree
    partitions = rollups = None

_LOCAL = wire.UTC_OFFSET_MIN * 60

# A record whose payload is a token of a card of a flat with an open case: evidence, kept until
# the case closes. By token alone (one small set, computed once by either database): a token
# of the same value at another rusun, or a non-tap record's payload, is kept too -- never less.
_PROTECTED = """records.payload IN (SELECT ct.token FROM card_tokens ct
    JOIN cards cd ON cd.id = ct.card_id
    JOIN cases cs ON cs.unit_id = cd.unit_id AND cs.closed_at IS NULL)"""
# Past the cut-off: dated by its wall time, else by its receipt (both reach records_wall).
_OLD = "(records.wall_time < ? OR (records.wall_time IS NULL AND records.received_at < ?))"


def rules(tx: Tx) -> dict[str, int]:
    return {k: int(d) for k, d in tx.all("SELECT kind, days FROM retention")}


def set_rule(tx: Tx, kind: str, days: int, user: str, now: int) -> None:
    tx.run(
        "INSERT INTO retention (kind, days, user_name, set_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (kind) DO UPDATE SET days = excluded.days,"
        " user_name = excluded.user_name, set_at = excluded.set_at",
        (kind, days, user, now),
    )


def purge_records(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    old, cuts = _OLD, (cut, cut)
    kept = tx.value(f"SELECT COUNT(*) FROM records WHERE {old} AND {_PROTECTED}", cuts)
    n = int(tx.value(f"SELECT COUNT(*) FROM records WHERE {old} AND NOT {_PROTECTED}", cuts))
    if dry:
        return n, int(kept)
    # By flat and local day, before the person-level rows go (a record is counted once even if
    # its token matches cards of two key generations).
    tx.run(
        f"""INSERT INTO flat_days (unit_id, rusun_id, day, taps)
        SELECT unit_id, rusun_id, day, COUNT(*) FROM (
            SELECT DISTINCT records.terminal_id, records.gen, records.seq, cd.unit_id,
                cd.rusun_id, (records.wall_time + {_LOCAL}) / 86400 AS day
            FROM records JOIN terminals t ON t.id = records.terminal_id
            JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = records.payload
            JOIN cards cd ON cd.id = ct.card_id
            WHERE records.kind = {wire.TAP} AND records.held = 0
              AND records.wall_time IS NOT NULL AND {old} AND NOT {_PROTECTED}
        ) x WHERE 1 = 1 GROUP BY unit_id, rusun_id, day
        ON CONFLICT (unit_id, day) DO UPDATE SET taps = flat_days.taps + excluded.taps""",
        cuts,
    )
    if rollups is not None:  # they hold tokens: they go with the records
        rollups.forget_before(tx, (cut + _LOCAL) // 86400)
    # tokens no card has where they were tapped (sync.store.unknown), not seen since the cut
    tx.run("DELETE FROM unknown_tokens WHERE last_seen < ?", (cut,))
    if partitions is not None:
        for month, start, end in _months_before(tx, cut):
            # A month's partition holds the records received in it: kept whole while any of
            # them is an open case's evidence (those months are purged row by row below).
            evidence = tx.value("SELECT COUNT(*) FROM records WHERE received_at >= ? AND"
                                f" received_at < ? AND {_PROTECTED}", (start, end))  # fmt: skip
            if not evidence:
                partitions.detach_month(tx, "records", month)
    tx.run(f"DELETE FROM records WHERE {old} AND NOT {_PROTECTED}", cuts)
    return n, int(kept)


def _months_before(tx: Tx, cut: int, table: str = "records") -> list[tuple[str, int, int]]:
    """("YYYY-MM", start, end) of each month of ``table`` that has its own partition (PostgreSQL;
    none otherwise) and ends a day or more before ``cut``: read from the catalogue, never by
    scanning the table (no index leads with ``received_at``)."""
    out = []
    for month in partitions.months(tx, table) if partitions is not None else []:
        start, end = partitions.month_bounds(month)
        if end + 86400 <= cut:
            out.append((month, start, end))
    return out


def _simple(tx: Tx, table: str, column: str, cut: int, dry: bool, extra: str = "") -> int:
    where = f"{column} < ?{extra}"
    if dry:
        return int(tx.value(f"SELECT COUNT(*) FROM {table} WHERE {where}", (cut,)))
    return tx.run(f"DELETE FROM {table} WHERE {where}", (cut,))


def purge_flat_days(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    day = (cut + _LOCAL) // 86400
    if dry:
        return int(tx.value("SELECT COUNT(*) FROM flat_days WHERE day < ?", (day,))), 0
    return tx.run("DELETE FROM flat_days WHERE day < ?", (day,)), 0


def purge_health(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    if partitions is not None and not dry:  # whole months go as partitions, the rest row by row
        n = 0
        for month, start, end in _months_before(tx, cut, "health"):
            rows = int(tx.value("SELECT COUNT(*) FROM health WHERE received_at >= ?"
                                " AND received_at < ?", (start, end)))  # fmt: skip
            if partitions.detach_month(tx, "health", month):
                n += rows
        return n + _simple(tx, "health", "received_at", cut, dry), 0
    return _simple(tx, "health", "received_at", cut, dry), 0


# A block a terminal's chain still needs (docs/collector.md, "Blocks kept"): of the terminal's
# current generation, the head of its linked chain (sealed at acked - 1: the next batch links to
# it and continues its dating state) and every block above it (above a gap, not linked yet).
_NEEDED = """EXISTS (SELECT 1 FROM terminals t WHERE t.id = blocks.terminal_id
    AND t.gen = blocks.gen AND blocks.seal_seq >= t.acked - 1)"""


def purge_blocks(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    """Blocks received before ``cut`` that no chain needs, deleted. On PostgreSQL's monthly
    partitions only whole months go: the blocks still needed in one are moved into the month
    after it (their ``received_at`` becomes its first second), then it is detached. The month
    ``cut`` falls in waits for its turn (nothing personal is in a block, and no daily scan of
    a month of them, ~110 M rows city-wide, is needed)."""
    if partitions is None or not partitions.partitioned(tx, "blocks"):
        where = f"received_at < ? AND NOT {_NEEDED}"
        if dry:
            return int(tx.value(f"SELECT COUNT(*) FROM blocks WHERE {where}", (cut,))), 0
        return tx.run(f"DELETE FROM blocks WHERE {where}", (cut,)), 0
    n = 0
    for name, start, end in _months_before(tx, cut, "blocks"):
        month = "received_at >= ? AND received_at < ?"
        if dry:
            n += int(tx.value(f"SELECT COUNT(*) FROM blocks WHERE {month} AND NOT {_NEEDED}",
                              (start, end)))  # fmt: skip
            continue
        # One scan of the month's partition (PostgreSQL plans it as a hash join with the
        # terminals), once, as the month goes: cheaper than deleting its rows.
        tx.run(f"UPDATE blocks SET received_at = ? WHERE {month} AND {_NEEDED}", (end, start, end))
        rows = int(tx.value(f"SELECT COUNT(*) FROM blocks WHERE {month}", (start, end)))
        if partitions.detach_month(tx, "blocks", name):
            n += rows
    return n, 0


def purge_alerts(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    return _simple(tx, "alerts", "created_at", cut, dry), 0


def purge_gaps(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    """Filled gaps only: an open one is a fact about records still missing."""
    return _simple(tx, "gaps", "filled_at", cut, dry, " AND filled_at IS NOT NULL"), 0


def purge_forks(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    return _simple(tx, "fork_blocks", "received_at", cut, dry), 0


def purge_review_marks(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    return _simple(tx, "review_marks", "created_at", cut, dry), 0


def purge_audit(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    return _simple(tx, "access_audit", "at", cut, dry), 0


def purge_sessions(tx: Tx, now: int, dry: bool) -> tuple[int, int]:
    return _simple(tx, "sessions", "expires_at", now, dry), 0


def purge_cases(tx: Tx, cut: int, dry: bool) -> tuple[int, int]:
    """Cases closed before ``cut``, with their steps, files and visits; open cases are kept
    whatever their age (counted as kept)."""
    kept = int(tx.value("SELECT COUNT(*) FROM cases WHERE closed_at IS NULL AND opened_at < ?",
                        (cut,)))  # fmt: skip
    ids = [r[0] for r in tx.all("SELECT id FROM cases WHERE closed_at < ?", (cut,))]
    if dry or not ids:
        return len(ids), kept
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ", ".join("?" for _ in part)
        for table in ("visits", "case_files", "case_steps"):
            tx.run(f"DELETE FROM {table} WHERE case_id IN ({marks})", part)
        tx.run(f"DELETE FROM cases WHERE id IN ({marks})", part)
    tx.run("DELETE FROM visit_lists WHERE day < ? AND NOT EXISTS"
           " (SELECT 1 FROM visits v WHERE v.list_id = visit_lists.id)", (cut,))  # fmt: skip
    return len(ids), kept


def add_run(tx: Tx, at: int, user: str, dry: bool, report: str) -> None:
    tx.run("INSERT INTO purge_runs (at, user_name, dry_run, report) VALUES (?, ?, ?, ?)",
           (at, user, int(dry), report))  # fmt: skip


def runs(tx: Tx, limit: int = 20) -> list[dict[str, Any]]:
    rows = tx.all("SELECT at, user_name, dry_run, report FROM purge_runs ORDER BY id DESC"
                  " LIMIT ?", (limit,))  # fmt: skip
    return [{"at": a, "user": u, "dry_run": bool(d), "report": r} for a, u, d, r in rows]
