# attendance: read-only SQL over card records (TAP, DENIED) joined with the resident registry.
# SPDX-License-Identifier: MIT
"""What the reports and the dashboard count; ``sync.service.reports`` and
``sync.service.dashboard`` shape it. Functions of an open ``Tx`` (``sync.store.db``).

Times are Unix seconds. A local day is ``(wall_time + offset) / 86400`` (integer division on
both dialects); the dashboard's is ``LOCAL_OFFSET_S`` (Asia/Jakarta, UTC+7, no daylight saving).
A card record's ``payload`` is the card's token under the rusun's key of the door it was read at;
``card_tokens`` maps it back to the card.
"""

from __future__ import annotations

from firmware import wire
from sync.store.db import Row, Tx, where_in

LOCAL_OFFSET_S = wire.UTC_OFFSET_MIN * 60
DAY_S = 86400
_CARD_KINDS = (wire.TAP, wire.DENIED)


def presence(tx: Tx, offset_s: int, lo: int, hi: int, rusun_ids: list[int] | None) -> list[Row]:
    """(rusun, day, residents, units, taps) for home-rusun taps with lo <= wall_time < hi, at the
    given rusun (None: all). A tap's token is looked up under every generation of the rusun's
    card key (a door keeps its key until re-provisioned). Jakarta days (and day-aligned bounds)
    read the roll-up ``tap_days``: rows of the asked days only, never the record history."""
    where, params = where_in("td.rusun_id", rusun_ids)
    if offset_s == LOCAL_OFFSET_S and (lo + offset_s) % DAY_S == 0 == (hi + offset_s) % DAY_S:
        return tx.all(
            "SELECT r.name, td.day, COUNT(DISTINCT c.resident_id), COUNT(DISTINCT c.unit_id),"
            " SUM(td.taps) FROM tap_days td"
            " JOIN card_tokens ct ON ct.rusun_id = td.rusun_id AND ct.token = td.token"
            " JOIN cards c ON c.id = ct.card_id AND c.rusun_id = td.rusun_id"
            " JOIN rusun r ON r.id = td.rusun_id"
            " WHERE td.taps > 0 AND td.day >= ? AND td.day < ?"
            + where
            + " GROUP BY r.name, td.day ORDER BY r.name, td.day",
            [(lo + offset_s) // DAY_S, (hi + offset_s) // DAY_S, *params],
        )
    where, params = where_in("t.rusun_id", rusun_ids)
    return tx.all(
        "SELECT r.name, (rec.wall_time + ?) / 86400 AS d, COUNT(DISTINCT c.resident_id),"
        " COUNT(DISTINCT c.unit_id), COUNT(*) FROM records rec"
        " JOIN terminals t ON t.id = rec.terminal_id"
        " JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = rec.payload"
        " JOIN cards c ON c.id = ct.card_id AND c.rusun_id = t.rusun_id"
        " JOIN rusun r ON r.id = t.rusun_id"
        " WHERE rec.kind = ? AND rec.wall_time >= ? AND rec.wall_time < ?"
        + where
        + " GROUP BY r.name, d ORDER BY r.name, d",
        [offset_s, wire.TAP, lo, hi, *params],
    )


_CARD_RECORDS = (
    "SELECT rec.wall_time, t.rusun_id, rec.terminal_id, rec.kind, rec.flags, rec.payload, "
    "(SELECT MIN(ct.card_id) FROM card_tokens ct WHERE ct.rusun_id = t.rusun_id "
    "AND ct.token = rec.payload) AS card_id "
    "FROM records rec JOIN terminals t ON t.id = rec.terminal_id "
    "WHERE rec.kind IN (?, ?) AND rec.wall_time >= ? AND rec.wall_time < ?"
)


def card_records(tx: Tx, t0: int, t1: int, rusun_ids: list[int] | None) -> list[Row]:
    """(wall_time, rusun_id, terminal_id, kind, flags, token, card_id or None) for every dated
    card record (TAP or DENIED) in [t0, t1) at the given rusun's doors (None: all), by time."""
    where, params = where_in("t.rusun_id", rusun_ids)
    if rusun_ids is not None:  # door by door (records_terminal_wall): never other rusun's taps
        return tx.all(
            _CARD_RECORDS.replace(
                "FROM records rec JOIN terminals t ON t.id = rec.terminal_id WHERE",
                "FROM terminals t CROSS JOIN records rec WHERE rec.terminal_id = t.id AND",
            )
            + where
            + " ORDER BY rec.wall_time",
            [*_CARD_KINDS, t0, t1, *params],
        )
    return tx.all(
        _CARD_RECORDS + where + " ORDER BY rec.wall_time", [*_CARD_KINDS, t0, t1, *params]
    )


def token_tap_days(
    tx: Tx, offset_s: int, t0: int, t1: int, rusun_ids: list[int] | None
) -> list[Row]:
    """(rusun_id, token, local day, taps, first, last) of the dated TAP records in [t0, t1) at
    the given rusun's doors (None: all), grouped in the database: one row per token and day
    instead of one per tap, and no per-record card lookup (``token_cards`` maps the tokens)."""
    where, params = where_in("t.rusun_id", rusun_ids)
    source = (
        " FROM records rec JOIN terminals t ON t.id = rec.terminal_id WHERE"
        if rusun_ids is None  # door by door (records_terminal_wall), as ``card_records``
        else " FROM terminals t CROSS JOIN records rec WHERE rec.terminal_id = t.id AND"
    )
    return tx.all(
        "SELECT t.rusun_id, rec.payload, (rec.wall_time + ?) / 86400 AS d, COUNT(*),"
        " MIN(rec.wall_time), MAX(rec.wall_time)"
        + source
        + " rec.kind = ? AND rec.wall_time >= ? AND rec.wall_time < ?"
        + where
        + " GROUP BY t.rusun_id, rec.payload, d",
        [offset_s, wire.TAP, t0, t1, *params],
    )


def token_cards(tx: Tx, rusun_ids: list[int] | None) -> dict[tuple[int, int], int]:
    """{(rusun_id, token): card_id} at the given rusun (None: all): the card a token names there,
    the lowest id when two do, as ``card_records``' lookup."""
    where, params = where_in("rusun_id", rusun_ids)
    rows = tx.all(
        "SELECT rusun_id, token, MIN(card_id) FROM card_tokens WHERE 1 = 1"
        + where
        + " GROUP BY rusun_id, token",
        params,
    )
    return {(int(r), int(tok)): int(card) for r, tok, card in rows}


def _of_cards(
    tx: Tx, columns: str, card_ids: list[int], t0: int, t1: int, away_from: int | None = None
) -> list[Row]:
    """``columns`` of every dated card record of ``card_ids`` in [t0, t1), at any rusun (each
    card's token under that rusun's key), by time."""
    if not card_ids:
        return []
    marks = ", ".join("?" for _ in card_ids)
    # From the cards to their records (indexes card_tokens_card, records_payload). "+" keeps
    # SQLite off the wall-time index: with a rusun's thousand cards it would probe each of the
    # period's records once per card (minutes for a week of the 2017 fleet instead of 0.1 s).
    return tx.all(
        f"SELECT {columns} FROM card_tokens ct JOIN terminals t ON t.rusun_id = ct.rusun_id "
        "JOIN records rec ON rec.terminal_id = t.id AND rec.payload = ct.token "
        f"WHERE ct.card_id IN ({marks}) AND rec.kind IN (?, ?) AND +rec.wall_time >= ? "
        "AND +rec.wall_time < ? AND ct.rusun_id <> ? "
        "ORDER BY rec.wall_time, rec.terminal_id, rec.seq",
        [*card_ids, *_CARD_KINDS, t0, t1, -1 if away_from is None else away_from],
    )


def card_taps(
    tx: Tx, card_ids: list[int], t0: int, t1: int, away_from: int | None = None
) -> list[Row]:
    """Like ``card_records`` but only records of ``card_ids`` (at any rusun: through each card's
    token under that rusun's key; not at rusun ``away_from`` when given)."""
    return _of_cards(
        tx, "rec.wall_time, t.rusun_id, rec.terminal_id, rec.kind, rec.flags, rec.payload, "
        "ct.card_id", card_ids, t0, t1, away_from,
    )  # fmt: skip


def last_card_taps(tx: Tx, card_ids: list[int], until: int) -> dict[int, int]:
    """{card_id: wall_time of its last TAP or DENIED record before ``until`` (a Jakarta day
    boundary), at any rusun}, for ``card_ids``: from the roll-up ``tap_days`` (one index probe
    per card and rusun), never the record history."""
    if not card_ids:
        return {}
    marks = ", ".join("?" for _ in card_ids)
    rows = tx.all(
        "SELECT ct.card_id, MAX(td.last_at) FROM card_tokens ct JOIN tap_days td"
        " ON td.rusun_id = ct.rusun_id AND td.token = ct.token"
        f" WHERE ct.card_id IN ({marks}) AND td.day < ? GROUP BY ct.card_id",
        (*card_ids, (until + LOCAL_OFFSET_S) // DAY_S),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def daily_taps(tx: Tx, t0: int, t1: int, rusun_ids: list[int] | None) -> list[Row]:
    """(local_day_number, rusun_id, taps) for TAP records in [t0, t1) (Jakarta day bounds), from
    the roll-up ``tap_days``."""
    where, params = where_in("rusun_id", rusun_ids)
    return tx.all(
        "SELECT day, rusun_id, SUM(taps) FROM tap_days WHERE day >= ? AND day < ? AND taps > 0"
        + where
        + " GROUP BY day, rusun_id ORDER BY day",
        [(t0 + LOCAL_OFFSET_S) // DAY_S, (t1 + LOCAL_OFFSET_S) // DAY_S, *params],
    )


def terminal_taps_between(tx: Tx, t0: int, t1: int) -> dict[int, int]:
    """{terminal_id: TAP records in [t0, t1)}."""
    rows = tx.all(
        "SELECT terminal_id, COUNT(*) FROM records WHERE kind = ? AND wall_time >= ? "
        "AND wall_time < ? GROUP BY terminal_id",
        (wire.TAP, t0, t1),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def other_rusun(tx: Tx, offset_s: int, lo: int, hi: int) -> list[Row]:
    """(resident_id, home rusun, seen at, taps, days, first, last) for cards tapped elsewhere."""
    return tx.all(
        "SELECT c.resident_id, hr.name, sr.name, COUNT(*),"
        " COUNT(DISTINCT (rec.wall_time + ?) / 86400), MIN(rec.wall_time), MAX(rec.wall_time)"
        " FROM records rec JOIN terminals t ON t.id = rec.terminal_id"
        " JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = rec.payload"
        " JOIN cards c ON c.id = ct.card_id AND c.rusun_id <> t.rusun_id"
        " JOIN rusun hr ON hr.id = c.rusun_id JOIN rusun sr ON sr.id = t.rusun_id"
        " WHERE rec.kind IN (?, ?) AND rec.wall_time >= ? AND rec.wall_time < ?"
        " GROUP BY c.resident_id, hr.name, sr.name ORDER BY c.resident_id, sr.name",
        (offset_s, *_CARD_KINDS, lo, hi),
    )


def unknown_cards(tx: Tx, offset_s: int, lo: int, hi: int) -> list[Row]:
    """(rusun, token, taps, days, first, last) of tokens no card of any rusun has; random UIDs
    (card flag 8) are left out: they change at every tap."""
    return tx.all(
        "SELECT r.name, rec.payload, COUNT(*), COUNT(DISTINCT (rec.wall_time + ?) / 86400),"
        " MIN(rec.wall_time), MAX(rec.wall_time) FROM records rec"
        " JOIN terminals t ON t.id = rec.terminal_id JOIN rusun r ON r.id = t.rusun_id"
        " LEFT JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = rec.payload"
        " WHERE rec.kind IN (?, ?) AND ct.card_id IS NULL AND rec.flags < 8"
        " AND rec.wall_time >= ? AND rec.wall_time < ?"
        " GROUP BY r.name, rec.payload ORDER BY r.name, rec.payload",
        (offset_s, *_CARD_KINDS, lo, hi),
    )


def card_records_detail(tx: Tx, card_ids: list[int], t0: int, t1: int) -> list[Row]:
    """(wall_time, rusun_id, terminal_id, kind, flags, card_id, time_derived, clock_jump) of
    every dated card record of ``card_ids`` in [t0, t1) at any rusun, by time (an evidence
    pack lists them with how each was dated)."""
    return _of_cards(
        tx, "rec.wall_time, t.rusun_id, rec.terminal_id, rec.kind, rec.flags, ct.card_id, "
        "rec.time_derived, rec.clock_jump", card_ids, t0, t1,
    )  # fmt: skip
