# rollups: small tables kept at ingest in the batch's transaction, read instead of records.
# SPDX-License-Identifier: MIT
"""Three roll-ups of ``records``, each a pure function of the stored records (``recount_*`` gives
it from scratch; a property test compares the two after randomised ingests):

- ``tap_days``: per door's rusun, card token and Jakarta local day, the card records counted in
  reports (TAP and DENIED, dated, held for nothing): ``taps``, ``denied``,
  ``first_at`` and ``last_at`` (wall times). Presence, the review's "last seen" and the
  dashboard's per-day counts read it; a card is its token under each rusun's key (``card_tokens``
  maps it back), so enrolling a card later still finds its earlier taps.
- ``tap_times``: per ``tap_days`` row, what the review's per-tap rules need (the same records):
  ``times``, the second of the local day of each record (bursts, taps in the same minute, a
  change of routine), ``clone`` (records with a clone flag) and ``plain`` (records without a
  random UID). The review of one rusun reads these two for its window, never the records.
- ``terminal_days``: per terminal and Jakarta day of receipt: ``records``, ``held`` (held back
  from reports), ``undated`` (no claimed time, VOID left out) and ``clock_jumps``: the health
  report's counts.

Records are inserted (``add``) and later changed in place by dating and holding
(``sync.store.records``: ``set_claimed``, ``hold_from``, ``release``): those take the affected
records' state before and after (``state``) and call ``change``, which moves the counts by the
difference and recomputes the ``tap_days`` rows whose first/last time may have moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from firmware import wire
from sync.store.db import Tx

OFFSET_S = wire.UTC_OFFSET_MIN * 60
DAY_S = 86400

# A record's state as far as roll-ups care (``state`` selects it in this order).
STATE_COLUMNS = ("seq", "kind", "flags", "payload", "wall_time", "held", "claimed_time",
                 "clock_jump", "received_at")  # fmt: skip
_STATE_SQL = "SELECT " + ", ".join(STATE_COLUMNS) + " FROM records"

# The condition a record meets to count in ``tap_days`` (SQL over ``rec``; ``_counted`` in Python).
_COUNTED = f"rec.kind IN ({wire.TAP}, {wire.DENIED}) AND rec.wall_time IS NOT NULL"
CLONE_FLAGS = wire.CARD_FINGERPRINT_MISMATCH | wire.CARD_MAGIC_SUSPECT

TapKey = tuple[int, int, int]  # (rusun_id, token, day)


def day_of(unix: int) -> int:
    """The Jakarta local day number of a Unix time."""
    return (unix + OFFSET_S) // DAY_S


def _counted(kind: int, wall: int | None) -> bool:
    return kind in (wire.TAP, wire.DENIED) and wall is not None


def _rusun_of(tx: Tx, tid: int) -> int:
    return int(tx.value("SELECT rusun_id FROM terminals WHERE id = ?", (tid,)))


# --- at ingest -----------------------------------------------------------------------------------


def add(tx: Tx, tid: int, rows: Sequence[Sequence[Any]]) -> None:
    """Count new records of terminal ``tid`` (rows of ``records.RECORD_COLUMNS``)."""
    if not rows:
        return
    taps: dict[TapKey, list[int]] = {}
    times: dict[TapKey, list[Any]] = {}
    days: dict[int, list[int]] = {}
    rusun = _rusun_of(tx, tid)
    for r in rows:
        kind, flags, payload, wall, jump, received, claimed, held = (
            r[3], r[4], r[5], r[8], r[10], r[11], r[12], r[13])  # fmt: skip
        _terminal_count(days, kind, held, claimed, jump, received, 1)
        if _counted(kind, wall):
            _tap_count(taps, rusun, kind, payload, wall)
            _time_count(times, (rusun, int(payload), day_of(wall)), int(flags), wall)
    _upsert_taps(tx, taps)
    _upsert_times(tx, times)
    _upsert_days(tx, tid, days)


def _tap_count(acc: dict[TapKey, list[int]], rusun: int, kind: int, token: int, wall: int) -> None:
    key = (rusun, int(token), day_of(wall))
    have = acc.get(key)
    if have is None:
        acc[key] = [int(kind == wire.TAP), int(kind == wire.DENIED), wall, wall]
        return
    have[0] += kind == wire.TAP
    have[1] += kind == wire.DENIED
    have[2] = min(have[2], wall)
    have[3] = max(have[3], wall)


def _time_count(acc: dict[TapKey, list[Any]], key: TapKey, flags: int, wall: int) -> None:
    """Add one record to a ``tap_times`` row in the making: [times, clone, plain]."""
    have = acc.setdefault(key, [[], 0, 0])
    have[0].append((wall + OFFSET_S) % DAY_S)
    have[1] += (flags & CLONE_FLAGS) != 0
    have[2] += (flags & wire.CARD_RANDOM_UID) == 0


def _upsert_times(tx: Tx, times: dict[TapKey, list[Any]]) -> None:
    """Appends to each row's times (readers sort them: ``times_of``)."""
    if not times:
        return
    tx.run_many(
        "INSERT INTO tap_times (rusun_id, token, day, times, clone, plain)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rusun_id, token, day) DO UPDATE SET"
        " times = tap_times.times || ',' || excluded.times,"
        " clone = tap_times.clone + excluded.clone, plain = tap_times.plain + excluded.plain",
        [(*key, ",".join(map(str, t)), c, p) for key, (t, c, p) in sorted(times.items())],
    )


def times_of(day: int, text: str) -> list[int]:
    """The Unix times of a ``tap_times`` row (``day``, ``times``), sorted."""
    base = day * DAY_S - OFFSET_S
    return [base + s for s in sorted(map(int, text.split(",")))]


def _terminal_count(
    acc: dict[int, list[int]], kind: int, held: int, claimed: Any, jump: int, received: int,
    sign: int,
) -> None:  # fmt: skip
    d = acc.setdefault(day_of(received), [0, 0, 0, 0])
    d[0] += sign
    d[1] += sign * (held != 0)
    d[2] += sign * (claimed is None and kind != wire.VOID)
    d[3] += sign * (jump == 1)


def _upsert_taps(tx: Tx, taps: dict[TapKey, list[int]]) -> None:
    if not taps:
        return
    low, high = ("LEAST", "GREATEST") if tx.kind == "postgres" else ("MIN", "MAX")
    tx.run_many(
        "INSERT INTO tap_days (rusun_id, token, day, taps, denied, first_at, last_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rusun_id, token, day) DO UPDATE SET"
        " taps = tap_days.taps + excluded.taps, denied = tap_days.denied + excluded.denied,"
        f" first_at = {low}(tap_days.first_at, excluded.first_at),"
        f" last_at = {high}(tap_days.last_at, excluded.last_at)",
        [(*key, *v) for key, v in sorted(taps.items())],
    )


def _upsert_days(tx: Tx, tid: int, days: dict[int, list[int]]) -> None:
    rows = [(tid, day, *v) for day, v in sorted(days.items()) if any(v)]
    if not rows:
        return
    tx.run_many(
        "INSERT INTO terminal_days (terminal_id, day, records, held, undated, clock_jumps)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (terminal_id, day) DO UPDATE SET"
        " records = terminal_days.records + excluded.records,"
        " held = terminal_days.held + excluded.held,"
        " undated = terminal_days.undated + excluded.undated,"
        " clock_jumps = terminal_days.clock_jumps + excluded.clock_jumps",
        rows,
    )


# --- records changed in place --------------------------------------------------------------------


def state(tx: Tx, tid: int, gen: int, lo: int, hi: int, where: str = "", params: tuple = ()):
    """The roll-up state (``STATE_COLUMNS``) of records lo <= seq < hi meeting ``where``."""
    return tx.all(
        _STATE_SQL + " WHERE terminal_id = ? AND gen = ? AND seq >= ? AND seq < ?" + where,
        (tid, gen, lo, hi, *params),
    )


def change(tx: Tx, tid: int, before: Iterable[Sequence[Any]], after: Iterable[Sequence[Any]]):
    """Records of ``tid`` went from ``before`` to ``after`` (``state`` rows, the same records):
    move ``terminal_days`` by the difference and recompute the ``tap_days`` rows either side
    counts in."""
    days: dict[int, list[int]] = {}
    keys: set[TapKey] = set()
    rusun = _rusun_of(tx, tid)
    for rows, sign in ((before, -1), (after, 1)):
        for _seq, kind, _flags, payload, wall, held, claimed, jump, received in rows:
            _terminal_count(days, kind, held, claimed, jump, received, sign)
            if _counted(kind, wall):
                keys.add((rusun, int(payload), day_of(wall)))
    _upsert_days(tx, tid, days)
    for key in sorted(keys):
        recompute_tap_day(tx, *key)


def recompute_tap_day(tx: Tx, rusun: int, token: int, day: int) -> None:
    """One ``tap_days`` row and its ``tap_times`` counted again from the records (index
    ``records_payload``)."""
    lo = day * DAY_S - OFFSET_S
    key = (rusun, token, day)
    tx.run("DELETE FROM tap_days WHERE rusun_id = ? AND token = ? AND day = ?", key)
    tx.run("DELETE FROM tap_times WHERE rusun_id = ? AND token = ? AND day = ?", key)
    times: dict[TapKey, list[Any]] = {}
    for wall, flags in tx.all(
        "SELECT rec.wall_time, rec.flags FROM records rec JOIN terminals t"
        f" ON t.id = rec.terminal_id WHERE rec.payload = ? AND t.rusun_id = ? AND {_COUNTED}"
        " AND rec.wall_time >= ? AND rec.wall_time < ?",
        (token, rusun, lo, lo + DAY_S),
    ):
        _time_count(times, key, int(flags), int(wall))
    _upsert_times(tx, times)
    tx.run(
        "INSERT INTO tap_days (rusun_id, token, day, taps, denied, first_at, last_at)"
        f" SELECT t.rusun_id, rec.payload, ?, SUM(CASE WHEN rec.kind = {wire.TAP} THEN 1 ELSE 0"
        f" END), SUM(CASE WHEN rec.kind = {wire.DENIED} THEN 1 ELSE 0 END), MIN(rec.wall_time),"
        " MAX(rec.wall_time) FROM records rec JOIN terminals t ON t.id = rec.terminal_id"
        f" WHERE rec.payload = ? AND t.rusun_id = ? AND {_COUNTED}"
        " AND rec.wall_time >= ? AND rec.wall_time < ? GROUP BY t.rusun_id, rec.payload",
        (day, token, rusun, lo, lo + DAY_S),
    )


# --- from scratch: the migration's fill and the tests' reference ---------------------------------

_RECOUNT_TAPS = (
    "SELECT t.rusun_id, rec.payload, (rec.wall_time + ?) / ? AS d,"
    f" SUM(CASE WHEN rec.kind = {wire.TAP} THEN 1 ELSE 0 END),"
    f" SUM(CASE WHEN rec.kind = {wire.DENIED} THEN 1 ELSE 0 END),"
    " MIN(rec.wall_time), MAX(rec.wall_time)"
    " FROM records rec JOIN terminals t ON t.id = rec.terminal_id"
    f" WHERE {_COUNTED} GROUP BY t.rusun_id, rec.payload, d"
)
_RECOUNT_DAYS = (
    "SELECT terminal_id, (received_at + ?) / ? AS d, COUNT(*),"
    " SUM(CASE WHEN held <> 0 THEN 1 ELSE 0 END),"
    f" SUM(CASE WHEN claimed_time IS NULL AND kind <> {wire.VOID} THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN clock_jump = 1 THEN 1 ELSE 0 END)"
    " FROM records GROUP BY terminal_id, d"
)


def _times_sql(kind: str) -> str:
    """``tap_times`` counted from the records (one statement, for a fill of any size)."""
    second = f"(rec.wall_time + {OFFSET_S}) % {DAY_S}"
    joined = (
        f"string_agg(({second})::text, ',')"
        if kind == "postgres"
        else f"group_concat({second}, ',')"
    )
    return (
        f"SELECT t.rusun_id, rec.payload, (rec.wall_time + {OFFSET_S}) / {DAY_S} AS d, {joined},"
        f" SUM(CASE WHEN (rec.flags & {CLONE_FLAGS}) <> 0 THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN (rec.flags & {wire.CARD_RANDOM_UID}) = 0 THEN 1 ELSE 0 END)"
        " FROM records rec JOIN terminals t ON t.id = rec.terminal_id"
        f" WHERE {_COUNTED} GROUP BY t.rusun_id, rec.payload, d"
    )


def recount_times(tx: Tx) -> list[tuple[Any, ...]]:
    """What ``tap_times`` holds, counted from the records in SQL (not the Python of ingest),
    sorted: (rusun_id, token, day, sorted times, clone, plain)."""
    return _canonical_times(tx.all(_times_sql(tx.kind)))


def stored_times(tx: Tx) -> list[tuple[Any, ...]]:
    return _canonical_times(
        tx.all("SELECT rusun_id, token, day, times, clone, plain FROM tap_times")
    )


def _canonical_times(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (int(r), int(k), int(d), tuple(sorted(int(s) for s in t.split(","))), int(c), int(p))
        for r, k, d, t, c, p in rows
    )


def recount_taps(tx: Tx) -> list[tuple[int, ...]]:
    """What ``tap_days`` holds, counted from the records, sorted."""
    return sorted(tuple(int(v) for v in r) for r in tx.all(_RECOUNT_TAPS, (OFFSET_S, DAY_S)))


def recount_days(tx: Tx) -> list[tuple[int, ...]]:
    """What ``terminal_days`` holds (rows of zeros left out), counted from the records, sorted."""
    rows = tx.all(_RECOUNT_DAYS, (OFFSET_S, DAY_S))
    return sorted(tuple(int(v) for v in r) for r in rows)


def stored_taps(tx: Tx) -> list[tuple[int, ...]]:
    rows = tx.all(
        "SELECT rusun_id, token, day, taps, denied, first_at, last_at FROM tap_days"
        " WHERE taps + denied > 0"
    )
    return sorted(tuple(int(v) for v in r) for r in rows)


def stored_days(tx: Tx) -> list[tuple[int, ...]]:
    rows = tx.all(
        "SELECT terminal_id, day, records, held, undated, clock_jumps FROM terminal_days"
        " WHERE records <> 0"
    )
    return sorted(tuple(int(v) for v in r) for r in rows)


def rebuild(tx: Tx) -> None:
    """``tap_days`` and ``terminal_days`` counted again from every record (a database older
    than the roll-ups; ``rebuild_times`` does ``tap_times``)."""
    tx.run("DELETE FROM tap_days")
    tx.run("DELETE FROM terminal_days")
    tx.run(
        "INSERT INTO tap_days (rusun_id, token, day, taps, denied, first_at, last_at) "
        + _RECOUNT_TAPS,
        (OFFSET_S, DAY_S),
    )
    tx.run(
        "INSERT INTO terminal_days (terminal_id, day, records, held, undated, clock_jumps) "
        + _RECOUNT_DAYS,
        (OFFSET_S, DAY_S),
    )


def rebuild_times(tx: Tx) -> None:
    """``tap_times`` counted again from every record (a database older than it, a bulk load)."""
    tx.run("DELETE FROM tap_times")
    tx.run(
        "INSERT INTO tap_times (rusun_id, token, day, times, clone, plain) " + _times_sql(tx.kind)
    )


def forget_before(tx: Tx, day: int) -> None:
    """Drop the roll-ups' rows of local days before ``day`` (a purge of the records before it)."""
    tx.run("DELETE FROM tap_days WHERE day < ?", (day,))
    tx.run("DELETE FROM tap_times WHERE day < ?", (day,))
    tx.run("DELETE FROM terminal_days WHERE day < ?", (day,))


def terminal_totals(tx: Tx, since_day: int = 0) -> dict[int, tuple[int, int, int]]:
    """{terminal_id: (held, undated, clock_jumps)} of the records received on ``since_day`` or
    later (Jakarta days), from ``terminal_days``."""
    rows = tx.all(
        "SELECT terminal_id, SUM(held), SUM(undated), SUM(clock_jumps) FROM terminal_days"
        " WHERE day >= ? GROUP BY terminal_id",
        (since_day,),
    )
    return {int(t): (int(h), int(u), int(j)) for t, h, u, j in rows}


# --- what the review reads -----------------------------------------------------------------------


def review_days_at(tx: Tx, rusun_id: int, d0: int, d1: int) -> list[tuple[Any, ...]]:
    """(rusun_id, token, day, times, clone, plain, card_id or None) of every ``tap_times`` row
    of the rusun's doors on local days d0 <= day < d1 (primary key: one range of one rusun).
    The rusun's tokens are matched to cards once, by a hash join, not probed row by row (a
    rusun's month is some 30,000 rows)."""
    return tx.all(
        "SELECT tt.rusun_id, tt.token, tt.day, tt.times, tt.clone, tt.plain, ct.card_id"
        " FROM tap_times tt LEFT JOIN (SELECT token, MIN(card_id) AS card_id FROM card_tokens"
        " WHERE rusun_id = ? GROUP BY token) ct ON ct.token = tt.token"
        " WHERE tt.rusun_id = ? AND tt.day >= ? AND tt.day < ?",
        (rusun_id, rusun_id, d0, d1),
    )


def review_days_of(
    tx: Tx, card_ids: list[int], d0: int, d1: int, away_from: int
) -> list[tuple[Any, ...]]:
    """Like ``review_days_at``, the rows of ``card_ids`` at every rusun but ``away_from`` (each
    card's token under that rusun's key: index ``card_tokens_card``, then the primary key)."""
    if not card_ids:
        return []
    marks = ", ".join("?" for _ in card_ids)
    return tx.all(
        "SELECT tt.rusun_id, tt.token, tt.day, tt.times, tt.clone, tt.plain, ct.card_id"
        " FROM card_tokens ct JOIN tap_times tt ON tt.rusun_id = ct.rusun_id"
        f" AND tt.token = ct.token WHERE ct.card_id IN ({marks}) AND ct.rusun_id <> ?"
        " AND tt.day >= ? AND tt.day < ?",
        (*card_ids, away_from, d0, d1),
    )
