# service_reports: the reports admins read (CLI, API, CSV export, dashboard).
# SPDX-License-Identifier: MIT
"""Each report is a function of a ``Collector`` returning a list of plain dicts (JSON-ready);
``to_csv(rows)`` turns any of them into CSV. Days are local days (``utc_offset_min``, default
Jakarta, UTC+7). No report carries a card UID or a resident's name (exports travel).

    presence(c, start=date(2026, 11, 1), days=7, rusun="Marunda")
    absent(c, days=14, as_of=date(2026, 11, 30))        # the subletting review list
    other_rusun(c, start, days); unknown_cards(c, start, days); health(c)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sync import store, store_reports
from sync.service import Collector

DAY = 86400
JAKARTA_MIN = 420


class ReportError(Exception):
    """A report request that cannot be answered (unknown rusun, bad range)."""


def _offset(utc_offset_min: int) -> int:
    return utc_offset_min * 60


def day_start(day: dt.date, utc_offset_min: int = JAKARTA_MIN) -> int:
    """Unix time of the local midnight that starts ``day``."""
    epoch = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()
    return int(epoch) - _offset(utc_offset_min)


def _date(day_index: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day_index))).isoformat()


def local_date(unix: int | None, utc_offset_min: int = JAKARTA_MIN) -> str | None:
    if unix is None:
        return None
    return _date((unix + _offset(utc_offset_min)) // DAY)


def today(c: Collector, utc_offset_min: int = JAKARTA_MIN) -> dt.date:
    return dt.date.fromisoformat(local_date(c.now(), utc_offset_min) or "1970-01-01")


def _rusun_id(tx: Any, name: str | None) -> int | None:
    if name is None:
        return None
    row = store.rusun_by_name(tx, name)
    if row is None:
        raise ReportError(f"rusun tidak dikenal / unknown rusun: {name}")
    return row[0]


def _range(c: Collector, start: dt.date | None, days: int, off_min: int) -> tuple[int, int]:
    if not 1 <= days <= 366:
        raise ReportError("jumlah hari harus 1-366 / days must be 1-366")
    if start is None:
        start = today(c, off_min) - dt.timedelta(days=days - 1)
    lo = day_start(start, off_min)
    return lo, lo + days * DAY


def presence(
    c: Collector,
    start: dt.date | None = None,
    days: int = 7,
    rusun: str | None = None,
    utc_offset_min: int = JAKARTA_MIN,
) -> list[dict[str, Any]]:
    """Daily presence per rusun: residents and units with a home-rusun tap, and taps."""
    lo, hi = _range(c, start, days, utc_offset_min)
    with c.db.read() as tx:
        rid = _rusun_id(tx, rusun)
        rows = store_reports.presence(tx, _offset(utc_offset_min), lo, hi, rid)
    return [
        {"date": _date(d), "rusun": r, "residents": n, "units": u, "taps": taps}
        for r, d, n, u, taps in rows
    ]


def absent(
    c: Collector,
    days: int = 14,
    as_of: dt.date | None = None,
    rusun: str | None = None,
    utc_offset_min: int = JAKARTA_MIN,
) -> list[dict[str, Any]]:
    """Units and residents with no tap at their own rusun for >= ``days`` days, with reasons."""
    if not 1 <= days <= 3660:
        raise ReportError("jumlah hari harus 1-3660 / days must be 1-3660")
    as_of = as_of or today(c, utc_offset_min)
    until = day_start(as_of, utc_offset_min) + DAY  # end of the as_of day
    cutoff = until - days * DAY
    with c.db.read() as tx:
        rid = _rusun_id(tx, rusun)
        last = {(r, tok): w for r, tok, w in store_reports.last_tap_by_token(tx, until)}
        elsewhere: dict[str, int] = {}
        for row in store_reports.other_rusun(tx, 0, 0, until):
            elsewhere[row[0]] = max(elsewhere.get(row[0], 0), row[6])
        reg = store_reports.registry(tx, rid)
    residents: dict[str, dict[str, Any]] = {}
    for resident_id, unit, rname, r_id, registered, token, status in reg:
        entry = residents.setdefault(
            resident_id,
            {"resident_id": resident_id, "unit": unit, "rusun": rname, "registered": registered,
             "last_seen": None, "cards": 0},
        )  # fmt: skip
        if token is not None and status == "active":
            entry["cards"] += 1
            seen = last.get((r_id, token))
            if seen is not None and (entry["last_seen"] is None or seen > entry["last_seen"]):
                entry["last_seen"] = seen
    out: list[dict[str, Any]] = []
    units: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in residents.values():
        units.setdefault((entry["rusun"], entry["unit"]), []).append(entry)
        away = elsewhere.get(entry["resident_id"], 0) > (entry["last_seen"] or 0)
        reason = _absence_reason(entry, cutoff, until, utc_offset_min, away)
        if reason:
            out.append(
                {"subject": "resident", "id": entry["resident_id"], "rusun": entry["rusun"],
                 "unit": entry["unit"],
                 "last_seen": local_date(entry["last_seen"], utc_offset_min),
                 "days_absent": _days(entry, until), "reason": reason}
            )  # fmt: skip
    for (rname, unit), members in sorted(units.items()):
        seen = [m["last_seen"] for m in members if m["last_seen"] is not None]
        registered = min(m["registered"] for m in members)
        merged = {"last_seen": max(seen) if seen else None, "registered": registered,
                  "cards": sum(m["cards"] for m in members)}  # fmt: skip
        any_elsewhere = any(
            elsewhere.get(m["resident_id"], 0) > (merged["last_seen"] or 0) for m in members
        )
        reason = _absence_reason(merged, cutoff, until, utc_offset_min, any_elsewhere)
        if reason:
            out.append(
                {"subject": "unit", "id": unit, "rusun": rname, "unit": unit,
                 "last_seen": local_date(merged["last_seen"], utc_offset_min),
                 "days_absent": _days(merged, until),
                 "reason": f"{reason}; {len(members)} penghuni/residents"}
            )  # fmt: skip
    out.sort(key=lambda e: (e["subject"] != "unit", e["rusun"], e["id"]))
    return out


def _days(entry: dict[str, Any], until: int) -> int:
    since = entry["last_seen"] if entry["last_seen"] is not None else entry["registered"]
    return max(0, (until - since) // DAY)


def _absence_reason(
    entry: dict[str, Any], cutoff: int, until: int, off_min: int, elsewhere: bool
) -> str | None:
    if entry["registered"] > cutoff:
        return None  # registered too recently to judge
    if entry["cards"] == 0:
        return "tidak ada kartu aktif / no active card"
    tail = ""
    if elsewhere:  # seen at another rusun after the last tap at home
        tail = "; kartu dipakai di rusun lain / card used at another rusun since"
    if entry["last_seen"] is None:
        since = local_date(entry["registered"], off_min)
        return f"tidak pernah terlihat sejak terdaftar {since} / never seen since enrolment{tail}"
    if entry["last_seen"] <= cutoff:
        n = (until - entry["last_seen"]) // DAY
        when = local_date(entry["last_seen"], off_min)
        return f"terakhir terlihat {when}, {n} hari lalu / last seen {n} days ago{tail}"
    return None


def other_rusun(
    c: Collector, start: dt.date | None = None, days: int = 30, utc_offset_min: int = JAKARTA_MIN
) -> list[dict[str, Any]]:
    """Registered cards tapped at a rusun that is not their own."""
    lo, hi = _range(c, start, days, utc_offset_min)
    with c.db.read() as tx:
        rows = store_reports.other_rusun(tx, _offset(utc_offset_min), lo, hi)
    return [
        {"resident_id": rid, "home_rusun": home, "seen_at": seen, "taps": taps, "days": nd,
         "first": local_date(first, utc_offset_min), "last": local_date(last, utc_offset_min)}
        for rid, home, seen, taps, nd, first, last in rows
    ]  # fmt: skip


def unknown_cards(
    c: Collector, start: dt.date | None = None, days: int = 30, utc_offset_min: int = JAKARTA_MIN
) -> list[dict[str, Any]]:
    """Tokens tapped at a rusun that match no enrolled card (random UIDs left out)."""
    lo, hi = _range(c, start, days, utc_offset_min)
    with c.db.read() as tx:
        rows = store_reports.unknown_cards(tx, _offset(utc_offset_min), lo, hi)
    return [
        {"rusun": r, "token": "%08X" % tok, "taps": taps, "days": nd,
         "first": local_date(first, utc_offset_min), "last": local_date(last, utc_offset_min)}
        for r, tok, taps, nd, first, last in rows
    ]  # fmt: skip


def health(c: Collector) -> list[dict[str, Any]]:
    """Per terminal: last seen, backlog, clock quality, reader resets, storage use, open gaps,
    alerts of the last 7 days, undated records and clock jumps."""
    now = c.now()
    out = []
    with c.db.read() as tx:
        gaps: dict[int, int] = {}
        for g in store.open_gaps(tx):
            gaps[g["terminal_id"]] = gaps.get(g["terminal_id"], 0) + g["to_seq"] - g["from_seq"]
        for t in store.terminals(tx):
            h = store.latest_health(tx, t["id"]) or {}
            out.append(
                {
                    "terminal_id": t["id"],
                    "rusun": t["rusun"],
                    "door": t["door"],
                    "status": t["status"],
                    "last_seen": t["last_seen"],
                    "silent_s": None if t["last_seen"] is None else now - t["last_seen"],
                    "acked": t["acked"],
                    "backlog_slots": h.get("backlog_slots"),
                    "oldest_unsynced_s": h.get("oldest_unsynced_s"),
                    "clock_quality": h.get("clock_quality"),
                    "reader_recoveries": h.get("reader_recoveries"),
                    "read_errors": h.get("read_errors"),
                    "storage_per_mille": h.get("storage_per_mille"),
                    "firmware_version": h.get("firmware_version"),
                    "wifi_rssi": h.get("wifi_rssi"),
                    "missing_slots": gaps.get(t["id"], 0),
                    "alerts_7d": store_reports.alert_count(tx, t["id"], now - 7 * DAY),
                    "undated_records": store_reports.undated(tx, t["id"]),
                    "clock_jumps": store_reports.clock_jumps(tx, t["id"]),
                }
            )
    return out


def alerts(c: Collector, terminal_id: int | None = None, limit: int = 100) -> list[dict]:
    with c.db.read() as tx:
        return store.alerts(tx, terminal_id, limit)


def gaps(c: Collector, terminal_id: int | None = None) -> list[dict]:
    with c.db.read() as tx:
        return store.open_gaps(tx, terminal_id)


COLUMNS = {
    "presence": ["date", "rusun", "residents", "units", "taps"],
    "absent": ["subject", "id", "rusun", "unit", "last_seen", "days_absent", "reason"],
    "other-rusun": ["resident_id", "home_rusun", "seen_at", "taps", "days", "first", "last"],
    "unknown": ["rusun", "token", "taps", "days", "first", "last"],
    "health": [
        "terminal_id", "rusun", "door", "status", "last_seen", "silent_s", "acked",
        "backlog_slots", "oldest_unsynced_s", "clock_quality", "reader_recoveries", "read_errors",
        "storage_per_mille", "firmware_version", "wifi_rssi", "missing_slots", "alerts_7d",
        "undated_records", "clock_jumps",
    ],
}  # fmt: skip


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """CSV of a report; ``columns`` (e.g. ``COLUMNS["absent"]``) gives the header when empty."""
    out = io.StringIO()
    fields = columns or (list(rows[0]) if rows else [])
    if fields:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
