# reports: the reports admins read (CLI, API, CSV export, dashboard).
# SPDX-License-Identifier: MIT
"""Each report is a function of a ``Collector`` returning a list of plain dicts (JSON-ready);
``to_csv(rows)`` turns any of them into CSV. Days are local days (``utc_offset_min``, default
Jakarta, UTC+7). No report carries a card UID or a resident's name (exports travel). A request
that cannot be answered (unknown rusun, bad range) raises ``admin.AdminError``.

    presence(c, start=date(2026, 11, 1), days=7, rusun="Marunda")
    review_report(c, days=14, as_of=date(2026, 11, 30))  # the subletting review list (= absent)
    other_rusun(c, start, days); unknown_cards(c, start, days); health(c)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from firmware import wire
from sync import review
from sync.review import Params
from sync.review.model import Review, Thresholds
from sync.review.texts import CARD_SUBJECT
from sync.service import quiet, snapshot, wear
from sync.service.admin import AdminError, scoped_ids
from sync.service.collector import Collector
from sync.service.scope import OPERATOR, Scope
from sync.service.spreadsheet import safe
from sync.store import alert_log, attendance, records, residents, rollups, terminals

DAY = 86400
JAKARTA_MIN = wire.UTC_OFFSET_MIN


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


def _range(
    c: Collector, start: dt.date | None, days: int, off_min: int, as_of: dt.date | None = None
) -> tuple[int, int]:
    """The ``days`` local days from ``start``, else ending with ``as_of`` (default today)."""
    if not 1 <= days <= 366:
        raise AdminError("jumlah hari harus 1-366 / days must be 1-366")
    if start is None:
        start = (as_of or today(c, off_min)) - dt.timedelta(days=days - 1)
    lo = day_start(start, off_min)
    return lo, lo + days * DAY


def presence(
    c: Collector,
    start: dt.date | None = None,
    days: int = 7,
    rusun: str | None = None,
    utc_offset_min: int = JAKARTA_MIN,
    *,
    scope: Scope = OPERATOR,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Daily presence per rusun (``rusun``, else every rusun of ``scope``): residents and units
    with a home-rusun tap, and taps; ``days`` from ``start``, else ending with ``as_of``."""
    lo, hi = _range(c, start, days, utc_offset_min, as_of)
    with c.db.read() as tx:
        ids = scoped_ids(tx, rusun, scope)
        rows = attendance.presence(tx, _offset(utc_offset_min), lo, hi, ids)
    return [
        {"date": _date(d), "rusun": r, "residents": n, "units": u, "taps": taps}
        for r, d, n, u, taps in rows
    ]


# The review's period: a flat's own history and the recent window it is compared with (42 days
# with the default thresholds). The dashboard, `report review` and the API review it by default.
REVIEW_DAYS = snapshot.period_days(Thresholds())


def _queue(reviews: list[Review]) -> list[dict[str, Any]]:
    """The reviews' queue in the report's shape (the first queue's): a
    unit for each flat on the queue (score at least ``QUEUE_SCORE``) with its household reasons,
    a card for each card reason of those flats (``CARD_SUBJECT``: same minute, other rusun,
    clone, blocked card) and for each card nobody registered."""
    flat_items: list[dict[str, Any]] = []
    card_reasons: dict[str, set[str]] = {}
    for rv in reviews:
        for it in rv.items:
            if it.subject == "card":
                card_reasons.setdefault(it.key, set()).update(it.codes)
            elif it.score >= review.QUEUE_SCORE:
                flat = sorted({r.code for r in it.reasons if r.code not in CARD_SUBJECT})
                if flat:
                    flat_items.append({"unit": it.key, "reasons": flat})
                for r in it.reasons:
                    if r.code in CARD_SUBJECT and r.card is not None:
                        card_reasons.setdefault(r.card, set()).add(r.code)
    flat_items.sort(key=lambda it: it["unit"])
    return flat_items + [
        {"card": k, "reasons": sorted(v)} for k, v in sorted(card_reasons.items())
    ]


def _cards_of(queue: list[dict[str, Any]], reg: list[Any]) -> list[int]:
    """The card ids whose last tap the queue's rows show: the cards of each flagged unit and each
    flagged registered card."""
    units = {it["unit"] for it in queue if "unit" in it}
    cards = {int(it["card"]) for it in queue if "card" in it and it["card"].isdigit()}
    for _res, _name, unit, rid, _rname, _reg_at, card, _status in reg:
        if card is not None and f"{rid}/{unit}" in units:
            cards.add(int(card))
    return sorted(cards)


def review_items(
    c: Collector, as_of: dt.date, days: int, rusun_ids: list[int] | None = None
) -> tuple[list[dict[str, Any]], Params]:
    """The review queue (``sync.review.detect`` over each rusun's snapshot,
    ``sync.service.snapshot``: the register's dated statuses, izin, holidays, visitors and the
    rusun's thresholds, scaled for ``days``) for the ``days`` Jakarta days ending with
    ``as_of``, and the default thresholds for that period: one row per flagged subject
    (``review_report`` gives the fields); units first, then cards, each by rusun and key. A
    change in a flat's pattern needs ``snapshot.period_days`` (42 days with the default
    thresholds: a flat's own history and the recent window): the dashboard reviews that
    period, a shorter one never finds it. Only the rusun of ``rusun_ids`` (None: all) are
    reviewed; each reads its records of the period, and "last seen" comes from the roll-ups."""
    if not 1 <= days <= 3660:
        raise AdminError("jumlah hari harus 1-3660 / days must be 1-3660")
    until = day_start(as_of) + DAY  # end of the as_of day
    with c.db.read() as tx:
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        wanted = sorted(names) if rusun_ids is None else sorted(set(rusun_ids) & set(names))
        # Only the reviewed rusun's register: every unit and card of the queue is theirs.
        reg = residents.registry_cards(tx, None if rusun_ids is None else wanted)
        reviews = []
        for rid in wanted:
            with quiet.paused():  # one rusun at a time: the whole city's queue collects between
                snap = snapshot.build_in(tx, rid, as_of, days)
                reviews.append(review.detect(snap, evidence=False))
        queue = _queue(reviews)
        last_tap = attendance.last_card_taps(tx, _cards_of(queue, reg), until)
    cards: dict[str, tuple[str, int, str]] = {}  # card key -> (unit, rusun id, resident id)
    units: dict[str, dict[str, Any]] = {}  # "<rusun id>/<unit>" -> the unit's details
    for res_id, _name, unit, rid, _rname, reg_at, card, _status in reg:
        key = f"{rid}/{unit}"
        u = units.setdefault(
            key,
            {
                "unit": unit,
                "rusun_id": int(rid),
                "resident_id": res_id,
                "registered": int(reg_at),
                "cards": [],
            },
        )
        u["registered"] = min(u["registered"], int(reg_at))
        if card is None:
            continue
        u["cards"].append(int(card))
        cards[str(card)] = (unit, int(rid), res_id)
    params = Params.for_period(days)
    out: list[dict[str, Any]] = []
    for it in queue:
        row: dict[str, Any]
        if "unit" in it:
            key = it["unit"]
            rid_text, _slash, unit_name = key.partition("/")
            empty = {"unit": unit_name, "rusun_id": int(rid_text), "resident_id": None,
                     "registered": until, "cards": []}  # fmt: skip
            u = units.get(key) or empty
            seen = max((last_tap[k] for k in u["cards"] if k in last_tap), default=None)
            since = seen if seen is not None else u["registered"]
            row = {
                "subject": "unit",
                "key": key,
                "id": u["unit"],
                "rusun_id": u["rusun_id"],
                "unit": u["unit"],
                "resident_id": u["resident_id"],
                "last_seen": local_date(seen),
                "days_absent": max(0, (until - since) // DAY),
            }
        elif it["card"] in cards:
            key = it["card"]
            unit, rid, res_id = cards[key]
            row = {
                "subject": "card",
                "key": key,
                "id": f"K-{key}",
                "rusun_id": rid,
                "unit": unit,
                "resident_id": res_id,
                "last_seen": local_date(last_tap.get(int(key))),
                "days_absent": None,
            }
        else:
            key = it["card"]
            rid_text, tok = key.split(":")
            row = {
                "subject": "card",
                "key": key,
                "id": f"token {tok}",
                "rusun_id": int(rid_text),
                "unit": None,
                "resident_id": None,
                "last_seen": None,
                "days_absent": None,
            }
        row["rusun"] = names[row["rusun_id"]]
        row["reasons"] = list(it["reasons"])
        row["reason"] = review.titles(row["reasons"], params)
        out.append(row)
    out.sort(key=lambda r: (r["subject"] != "unit", r["rusun"], r["key"]))
    return out, params


def review_report(
    c: Collector,
    days: int = REVIEW_DAYS,
    as_of: dt.date | None = None,
    rusun: str | None = None,
    *,
    scope: Scope = OPERATOR,
) -> list[dict[str, Any]]:
    """The subletting review list: the product's one review queue (``sync.review``, the one
    the dashboard shows) over the ``days`` days up to ``as_of`` (default today), optionally of
    one rusun. Each row: ``subject`` (unit|card), ``key`` (the subject key of the dashboard's
    review marks), ``id`` (unit name, ``K-<card id>``, or ``token <hex>`` for an unregistered
    card), ``rusun``, ``rusun_id``, ``unit``, ``resident_id``, ``reasons`` (codes), ``reason``
    (the reasons explained, Bahasa Indonesia / English), ``last_seen`` (the last tap of the
    unit's or card's cards, at any rusun), ``days_absent`` (units: days since then, or since
    registration). No names, no UIDs. Only rows of rusun in ``scope``."""
    as_of = as_of or today(c)
    with c.db.read() as tx:
        ids = scoped_ids(tx, rusun, scope)
    rows, _params = review_items(c, as_of, days, ids)
    return [r for r in rows if (rusun is None or r["rusun"] == rusun)
            and scope.allows(r["rusun_id"])]  # fmt: skip


# The CLI's and API's names of the review list: `review`, and `absent` (its first name).
absent = review_report


def other_rusun(
    c: Collector,
    start: dt.date | None = None,
    days: int = 30,
    utc_offset_min: int = JAKARTA_MIN,
    *,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Registered cards tapped at a rusun that is not their own."""
    lo, hi = _range(c, start, days, utc_offset_min, as_of)
    with c.db.read() as tx:
        rows = attendance.other_rusun(tx, _offset(utc_offset_min), lo, hi)
    return [
        {"resident_id": rid, "home_rusun": home, "seen_at": seen, "taps": taps, "days": nd,
         "first": local_date(first, utc_offset_min), "last": local_date(last, utc_offset_min)}
        for rid, home, seen, taps, nd, first, last in rows
    ]  # fmt: skip


def unknown_cards(
    c: Collector,
    start: dt.date | None = None,
    days: int = 30,
    utc_offset_min: int = JAKARTA_MIN,
    *,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Tokens tapped at a rusun that match no enrolled card (random UIDs left out)."""
    lo, hi = _range(c, start, days, utc_offset_min, as_of)
    with c.db.read() as tx:
        rows = attendance.unknown_cards(tx, _offset(utc_offset_min), lo, hi)
    return [
        {"rusun": r, "token": "%08X" % tok, "taps": taps, "days": nd,
         "first": local_date(first, utc_offset_min), "last": local_date(last, utc_offset_min)}
        for r, tok, taps, nd, first, last in rows
    ]  # fmt: skip


def health(
    c: Collector, *, scope: Scope = OPERATOR, at: int | None = None
) -> list[dict[str, Any]]:
    """Per terminal of ``scope``: last seen, backlog, clock quality, reader resets, storage use,
    open gaps, alerts of the last 7 days, undated records, clock jumps, records held back from
    reports (all, and received since the Jakarta day 7 days ago; counts from the roll-up
    ``terminal_days``), whether a copy of its key is at work (``forked``: a conflicting chain
    was received) and its flash wear (``sync.service.wear``). ``at``: the moment "silent" and
    "the last 7 days" count from (default the collector's clock; ``asof.resolve`` for a kept
    database)."""
    now = c.now() if at is None else at
    out = []
    with c.db.read() as tx:
        totals = rollups.terminal_totals(tx)
        recent = rollups.terminal_totals(tx, rollups.day_of(now - 7 * DAY))
        gaps: dict[int, int] = {}
        for g in records.open_gaps(tx):
            gaps[g["terminal_id"]] = gaps.get(g["terminal_id"], 0) + g["to_seq"] - g["from_seq"]
        for t in terminals.terminals(tx, scope.ids()):
            h = terminals.latest_health(tx, t["id"]) or {}
            out.append(
                {
                    "terminal_id": t["id"],
                    "rusun": t["rusun"],
                    "door": t["door"],
                    "status": t["status"],
                    "last_seen": t["last_seen"],
                    "silent_s": None if t["last_seen"] is None else max(0, now - t["last_seen"]),
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
                    "alerts_7d": alert_log.count_since(tx, t["id"], now - 7 * DAY),
                    "undated_records": totals.get(t["id"], (0, 0, 0))[1],
                    "clock_jumps": totals.get(t["id"], (0, 0, 0))[2],
                    "held_records": totals.get(t["id"], (0, 0, 0))[0],
                    "held_7d": recent.get(t["id"], (0, 0, 0))[0],
                    "forked": t["fork_seq"] is not None,
                    **wear.of_terminal(tx, t),  # flash wear and years to its rated endurance
                }
            )
    return out


# --- the health report as a person reads it (``python -m sync report health``) -------------------
# Two tables that fit a laptop's terminal, headers Indonesian over English, times in the
# terminal's local time (WIB, ``wire.UTC_OFFSET_MIN``), spans as hours:minutes. The CSV export
# (``COLUMNS["health"]``) keeps the raw values for spreadsheets and scripts.
_CLOCK_SOURCE = {wire.CLOCK_UNSET: "—", wire.CLOCK_NTP: "NTP", wire.CLOCK_COLLECTOR: "kolektor",
                 wire.CLOCK_RTC: "RTC"}  # fmt: skip
_WHERE = "rusun · pintu\nrusun · door"


def clock_text(unix: int | None, utc_offset_min: int = JAKARTA_MIN) -> str:
    """``2017-02-12 19.59`` in local time; ``—`` when never."""
    if unix is None:
        return "—"
    t = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=unix + _offset(utc_offset_min))
    return f"{t:%Y-%m-%d %H.%M}"


def span_text(seconds: int | None) -> str:
    """Hours:minutes (``0:05``, ``142:00``); ``—`` when unknown."""
    if seconds is None:
        return "—"
    minutes = int(seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _n(value: Any) -> str:
    return "—" if value is None else str(value)


def health_tables(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, str]]]]:
    """``health`` rows as two (title, rows) tables: contact and log; clock, reader and flash."""
    contact, device = [], []
    for r in rows:
        where = {"#": str(r["terminal_id"]), _WHERE: f"{r['rusun']} · {r['door']}"}
        pm = r["storage_per_mille"]
        contact.append(
            {
                **where,
                "status": r["status"],
                "kontak terakhir (WIB)\nlast contact": clock_text(r["last_seen"]),
                "diam j:mm\nsilent h:mm": span_text(r["silent_s"]),
                "antrean\nbacklog": _n(r["backlog_slots"]),
                "tertua j:mm\noldest h:mm": span_text(r["oldest_unsynced_s"]),
                "log terisi\nlog used": "—" if pm is None else f"{pm / 10:.1f} %",
                "slot hilang\nmissing": _n(r["missing_slots"]),
                "alarm 7 hari\nalerts 7 d": _n(r["alerts_7d"]),
                "ditahan (7 hari)\nheld (7 d)": f"{r['held_records']} ({r['held_7d']})",
            }
        )
        years = r["wear_years"]
        device.append(
            {
                **where,
                "sumber jam\nclock source": _CLOCK_SOURCE.get(
                    r["clock_quality"], _n(r["clock_quality"])
                ),
                "loncatan jam\nclock jumps": _n(r["clock_jumps"]),
                "tanpa tanggal\nundated": _n(r["undated_records"]),
                "reset pembaca\nreader resets": _n(r["reader_recoveries"]),
                "galat baca\nread errors": _n(r["read_errors"]),
                "firmware": _n(r["firmware_version"]),
                "Wi-Fi dBm": _n(r["wifi_rssi"]),
                "kunci disalin\nkey copied": "YA / YES" if r["forked"] else "tidak / no",
                "aus (hapus · tahun)\nwear (erases · years)": (
                    f"{_n(r['wear_erases'])} · {'—' if years is None else f'{years:.0f}'}"
                ),
            }
        )
    return [
        ("kontak dan log / contact and log", contact),
        ("jam, pembaca kartu, flash / clock, card reader, flash", device),
    ]


def alerts(c: Collector, terminal_id: int | None = None, limit: int = 100) -> list[dict]:
    with c.db.read() as tx:
        return alert_log.recent(tx, terminal_id, limit)


def gaps(c: Collector, terminal_id: int | None = None) -> list[dict]:
    with c.db.read() as tx:
        return records.open_gaps(tx, terminal_id)


COLUMNS = {
    "presence": ["date", "rusun", "residents", "units", "taps"],
    "review": ["subject", "id", "rusun", "unit", "resident_id", "reasons", "last_seen",
               "days_absent", "reason", "key"],
    "other-rusun": ["resident_id", "home_rusun", "seen_at", "taps", "days", "first", "last"],
    "unknown": ["rusun", "token", "taps", "days", "first", "last"],
    "health": [
        "terminal_id", "rusun", "door", "status", "last_seen", "silent_s", "acked",
        "backlog_slots", "oldest_unsynced_s", "clock_quality", "reader_recoveries", "read_errors",
        "storage_per_mille", "firmware_version", "wifi_rssi", "missing_slots", "alerts_7d",
        "undated_records", "clock_jumps", "held_records", "held_7d", "forked", "wear_erases",
        "wear_years",
    ],
}  # fmt: skip
COLUMNS["absent"] = COLUMNS["review"]


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """CSV of a report; ``columns`` (e.g. ``COLUMNS["absent"]``) gives the header when empty."""
    out = io.StringIO()
    fields = columns or (list(rows[0]) if rows else [])
    if fields:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:  # a list (the review's reason codes) is one cell, comma-separated
            writer.writerow(
                {k: safe(",".join(v) if isinstance(v, list) else v) for k, v in row.items()}
            )
    return out.getvalue()
