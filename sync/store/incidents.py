# incidents: read-only SQL for what a terminal went through: its event records and contact gaps.
# SPDX-License-Identifier: MIT
"""What ``sync.service.attention`` turns into the overview's "needs action" list. Functions of
an open ``Tx`` (``sync.store.db``); times are Unix seconds.

- ``events``: the terminal's own event records (STORAGE warning/full, READER_FAULT, clock
  jumps) dated in a window, each at the time the terminal's clock gives it.
- ``contact_gaps``: stretches with no new request from a terminal (each new request stores a
  health snapshot, ``health.received_at``), longer than a limit.
- ``newest_records``: per terminal, the newest dated record (its own clock, not the upload).
- ``data_end``: the newest dated record or contact of all ("the data's last day").
"""

from __future__ import annotations

from firmware import wire
from sync.store.db import Row, Tx, where_in


def events(tx: Tx, t0: int, t1: int, terminal_ids: list[int] | None) -> list[Row]:
    """(terminal_id, kind, flags, payload, wall_time, clock_jump) for STORAGE and READER_FAULT
    records and clock jumps with t0 <= wall_time < t1, oldest first."""
    where, params = where_in("terminal_id", terminal_ids)
    return tx.all(
        "SELECT terminal_id, kind, flags, payload, wall_time, clock_jump FROM records"
        " WHERE wall_time >= ? AND wall_time < ?"
        " AND (kind = ? OR kind = ? OR (kind = ? AND clock_jump = 1))"
        + where
        + " ORDER BY wall_time, terminal_id",
        [t0, t1, wire.STORAGE, wire.READER_FAULT, wire.CLOCK, *params],
    )


def contact_gaps(tx: Tx, t0: int, t1: int, longer_than: int) -> list[Row]:
    """(terminal_id, last contact before, next contact) for consecutive contacts more than
    ``longer_than`` seconds apart, the later one in [t0, t1)."""
    return tx.all(
        "SELECT terminal_id, prev, received_at FROM ("
        " SELECT terminal_id, received_at,"
        " LAG(received_at) OVER (PARTITION BY terminal_id ORDER BY received_at) AS prev"
        " FROM health WHERE received_at < ?) g"
        " WHERE prev IS NOT NULL AND received_at >= ? AND received_at - prev > ?"
        " ORDER BY prev, terminal_id",
        [t1, t0, longer_than],
    )


def newest_records(tx: Tx, until: int) -> dict[int, int]:
    """{terminal id: wall_time of its newest dated record before ``until``}."""
    rows = tx.all(
        "SELECT terminal_id, MAX(wall_time) FROM records WHERE wall_time < ? GROUP BY terminal_id",
        [until],
    )
    return {int(tid): int(t) for tid, t in rows if t is not None}


def data_end(tx: Tx, until: int) -> int | None:
    """The newest dated record's or terminal contact's time before ``until`` (None: neither)."""
    rec = tx.value("SELECT MAX(wall_time) FROM records WHERE wall_time < ?", [until])
    seen = tx.value("SELECT MAX(last_seen) FROM terminals WHERE last_seen < ?", [until])
    known = [int(t) for t in (rec, seen) if t is not None]
    return max(known) if known else None
