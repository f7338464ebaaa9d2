# dashboard: what the dashboard's pages show, built from the store in one read each.
# SPDX-License-Identifier: MIT
"""Plain data for the web layer (``sync/web``); every function opens its own transaction.

Each takes the ``Collector`` (``app.state.collector``). ``scope`` is the list of rusun ids a
user may see (None = all, for an admin). The review queue is the collector's one review queue
(``reports.review_items``: ``sync.review`` over the stored records, the same rows as
``report review``/``absent`` and ``/api/reports/absent``) plus the review marks: registered cards
are keyed by their card id, unknown cards by ``<rusun id>:<token hex>`` (the terminal never sends
a UID, so an unregistered card is known only by its token at that rusun).
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from typing import NamedTuple

from firmware import wire
from sync.review import REASONS, Params
from sync.service import attention, reports
from sync.service.collector import Collector
from sync.store import attendance, incidents, residents, review_marks
from sync.store.residents import RegistryCard

DAY = attendance.DAY_S
OFFSET = attendance.LOCAL_OFFSET_S
SILENT_AFTER_S = attention.OUTAGE_S  # a terminal syncs every 5 min when it can; 6 h: an outage
PEAK_START_H, PEAK_END_H = 5, 9  # the morning peak (docs/fleet.md: most taps 06.00-07.00)
STORAGE_ALARM_PER_MILLE = wire.STORAGE_WARN_PER_MILLE  # the log's own warning threshold (80 %)
READER_ALARM_RECOVERIES = 10
REVIEW_DAYS = reports.REVIEW_DAYS  # 42 days, the same as the visit lists' (sync.service.flags)
_FLAGGED = wire.CARD_FINGERPRINT_MISMATCH | wire.CARD_MAGIC_SUSPECT
ALARMS = ("silent", "no_peak", "storage", "clock", "reader", "held", "fork")


class NotFound(Exception):
    """The resident, rusun or review subject does not exist."""


def local_day(t: int) -> int:
    """Day number of the Jakarta calendar day containing Unix time t."""
    return (t + OFFSET) // DAY


def day_start(d: int) -> int:
    return d * DAY - OFFSET


def rusun_ids(c: Collector, names: tuple[str, ...] | None) -> list[int] | None:
    """Ids for rusun names (None = all rusun)."""
    if names is None:
        return None
    with c.db.read() as tx:
        by_name = {r.name: r.id for r in residents.rusun_all(tx)}
    return [by_name[n] for n in names if n in by_name]


def rusun_names(c: Collector, scope: list[int] | None) -> list[str]:
    with c.db.read() as tx:
        rows = residents.rusun_all(tx)
    return [r.name for r in rows if scope is None or r.id in scope]


# --- overview -----------------------------------------------------------------------------------


def overview(c: Collector, now: int, scope: list[int] | None, days: int = 30) -> dict:
    """Taps and residents seen today per rusun, and TAP counts per day and rusun for ``days``."""
    today = local_day(now)
    first = today - days + 1
    with c.db.read() as tx:
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        registered = residents.registered_per_rusun(tx)
        daily = attendance.daily_taps(tx, day_start(first), day_start(today + 1), scope)
        todays = attendance.card_records(tx, day_start(today), day_start(today + 1), scope)
        reg = residents.registry_cards(tx, scope)
    card_res = {r.card_id: r.resident_id for r in reg if r.card_id is not None}
    seen: dict[int, set[str]] = {}
    taps_today: dict[int, int] = {}
    for _t, rid, _term, kind, _fl, _tok, card in todays:
        if kind != wire.TAP:
            continue
        taps_today[rid] = taps_today.get(rid, 0) + 1
        if card is not None and int(card) in card_res:
            seen.setdefault(rid, set()).add(card_res[int(card)])
    per_rusun = [
        {
            "rusun": names[rid],
            "taps": taps_today.get(rid, 0),
            "seen": len(seen.get(rid, ())),
            "registered": registered.get(rid, 0),
        }
        for rid in sorted(names, key=names.__getitem__)
        if scope is None or rid in scope
    ]
    series: dict[int, list[int]] = {}
    for d, rid, n in daily:
        series.setdefault(int(rid), [0] * days)[int(d) - first] = int(n)
    return {
        "today": today,
        "days": list(range(first, today + 1)),
        "per_rusun": per_rusun,
        "daily": {names[rid]: vals for rid, vals in series.items()},
        "totals": {
            "taps": sum(r["taps"] for r in per_rusun),
            "seen": sum(r["seen"] for r in per_rusun),
            "registered": sum(r["registered"] for r in per_rusun),
        },
    }


# --- rusun heat map -----------------------------------------------------------------------------


def rusun_heatmap(c: Collector, name: str, now: int, days: int = 28) -> dict:
    """Per unit and local day: how many of its residents tapped at this rusun."""
    today = local_day(now)
    first = today - days + 1
    with c.db.read() as tx:
        ids = {r.name: r.id for r in residents.rusun_all(tx)}
        if name not in ids:
            raise NotFound(name)
        rid = ids[name]
        reg = residents.registry_cards(tx, [rid])
        rows = attendance.card_records(tx, day_start(first), day_start(today + 1), [rid])
    units: dict[str, dict] = {}
    card_of: dict[int, tuple[str, str]] = {}
    for res_id, _n, unit, _r, _rn, _at, card, _st in reg:
        u = units.setdefault(unit, {"unit": unit, "residents": set(), "first": res_id})
        u["residents"].add(res_id)
        if card is not None:
            card_of[int(card)] = (unit, res_id)
    present: dict[tuple[str, int], set[str]] = {}
    for t, _rid, _term, kind, _fl, _tok, card in rows:
        if kind == wire.TAP and card is not None and int(card) in card_of:
            unit, res_id = card_of[int(card)]
            present.setdefault((unit, local_day(int(t))), set()).add(res_id)
    out = []
    for unit in sorted(units):
        u = units[unit]
        counts = [len(present.get((unit, d), ())) for d in range(first, today + 1)]
        out.append(
            {
                "unit": unit,
                "members": len(u["residents"]),
                "first_resident": u["first"],
                "counts": counts,
            }
        )
    return {"rusun": name, "rusun_id": rid, "days": list(range(first, today + 1)), "units": out}


# --- review queue -------------------------------------------------------------------------------


def _detect(c: Collector, today: int, days: int) -> list[dict]:
    """The collector's review queue (``reports.review_items``, all rusun, no marks) over
    the ``days`` local days up to ``today``, with the page's names: ``kind`` (unit|card),
    ``subject`` (a unit's name), ``card_label`` and ``resident_name`` (cards)."""
    as_of = dt.date(1970, 1, 1) + dt.timedelta(days=today)
    rows, _params = reports.review_items(c, as_of, days)
    with c.db.read() as tx:
        names = {r.resident_id: r.name for r in residents.registry_cards(tx, None)}
        ids = {r.name: r.id for r in residents.rusun_all(tx)}
        lo, hi = day_start(today - days + 1), day_start(today + 1)
        # A card nobody registered is one row: its taps and days at that rusun in the period.
        taps = {
            f"{ids[name]}:{int(tok):08X}": (int(n), int(nd), int(first), int(last))
            for name, tok, n, nd, first, last in attendance.unknown_cards(tx, OFFSET, lo, hi)
        }
    items = []
    for row in rows:
        item = dict(row, kind=row["subject"])
        item["unknown"] = row["subject"] == "card" and row["unit"] is None
        if item["unknown"]:
            n, nd, first, last = taps.get(row["key"], (0, 0, None, None))
            item.update(taps=n, tap_days=nd, first=first, last=last)
        if row["subject"] == "unit":
            item["subject"] = row["id"]
            if row["resident_id"] is not None:  # the flat's first resident (the lease holder)
                item["resident_name"] = names.get(row["resident_id"], "")
        else:
            del item["subject"]
            item["card_label"] = row["id"]
            if row["resident_id"] is not None:
                item["resident_name"] = names.get(row["resident_id"], "")
        items.append(item)
    return items


# The detector reads every record of the period (about 150,000 for the whole fleet and 7 days,
# a few seconds: docs/benchmarks.md); its result is reused for this long. Marks are not cached.
QUEUE_CACHE_S = 120


class _Detected(NamedTuple):
    period: tuple[int, int]  # (today, days) it covers
    at: int  # when it ran
    items: list[dict]


_cache: weakref.WeakKeyDictionary[Collector, _Detected] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def review_queue(c: Collector, now: int, scope: list[int] | None, days: int = REVIEW_DAYS):
    """(items, params, period): the detector's queue over the last ``days`` local days, each item
    ``{"kind", "key", "rusun", "reasons", subject details, "unknown" (a card nobody registered,
    with its ``taps``, ``tap_days``, ``first`` and ``last`` there), "mark", "trail"}``, by rusun
    (units, then cards); a marked item keeps its place (``review_filter`` sorts and filters).
    The detection is at most ``QUEUE_CACHE_S`` old; review marks are always current."""
    today = local_day(now)
    with _cache_lock:
        hit = _cache.get(c)
    if hit is None or hit.period != (today, days) or not 0 <= now - hit.at < QUEUE_CACHE_S:
        hit = _Detected((today, days), now, _detect(c, today, days))
        with _cache_lock:
            _cache[c] = hit
    with c.db.read() as tx:
        all_marks = review_marks.marks(tx)
    trail: dict[tuple[str, str], list[dict]] = {}
    for _id, kind, subject, reasons, note, user, at in all_marks:
        trail.setdefault((kind, subject), []).append(
            {"reasons": reasons, "note": note, "by": user, "at": int(at)}
        )
    items = []
    for cached in hit.items:
        if scope is not None and cached["rusun_id"] not in scope:
            continue
        item = dict(cached)
        marks = trail.get((item["kind"], item["key"]), [])
        item["trail"] = marks
        # A mark clears the item only for the reasons it was made for: a new reason reopens it.
        last = marks[-1] if marks else None
        covered = last is not None and set(item["reasons"]) <= set(last["reasons"].split(","))
        item["mark"] = last if covered else None
        items.append(item)
    items.sort(key=lambda x: (x["rusun"], x["kind"] != "unit", x["key"]))
    first = today - days + 1
    return items, Params.for_period(days), (day_start(first), day_start(today + 1) - 1)


REVIEW_SORTS = ("rusun", "reason", "status")
REVIEW_STATUSES = ("all", "open", "done")


def review_counts(items: list[dict]) -> dict[str, int]:
    """Flats on the queue (by their household's reasons or a card's), rows of registered cards
    and cards nobody registered: the numbers ``report review`` and the demo summary give for the
    same window (``tools.sim.fleet.run.collector_review``)."""
    flats = len({(it["rusun_id"], it["unit"]) for it in items if it.get("unit")})
    unknown = sum(1 for it in items if it.get("unknown"))
    cards = sum(1 for it in items if it["kind"] == "card") - unknown
    return {"flats": flats, "cards": cards, "unknown": unknown,
            "open": sum(1 for it in items if it["mark"] is None)}  # fmt: skip


def review_filter(
    items: list[dict], rusun: str = "", reason: str = "", status: str = "all", sort: str = "rusun"
) -> list[dict]:
    """The queue items of ``rusun`` with ``reason`` in ``status`` (all, open, done: marked for
    its current reasons), sorted by rusun, by reason (in ``REASONS`` order) or by status (open
    first); a marked item stays in the list unless ``status`` is ``open``."""
    out = [
        it for it in items
        if (not rusun or it["rusun"] == rusun)
        and (not reason or reason in it["reasons"])
        and (status == "all" or (status == "open") == (it["mark"] is None))
    ]  # fmt: skip

    def base(it: dict) -> tuple:
        return (it["rusun"], it["kind"] != "unit", it["key"])

    if sort == "reason":
        rank = {r: i for i, r in enumerate(REASONS)}
        out.sort(key=lambda it: (min(rank.get(r, 99) for r in it["reasons"]), *base(it)))
    elif sort == "status":
        out.sort(key=lambda it: (it["mark"] is not None, *base(it)))
    else:
        out.sort(key=base)
    return out


def mark_reviewed(
    c: Collector,
    kind: str,
    key: str,
    reasons: str,
    note: str,
    user: str,
    now: int,
    scope: list[int] | None = None,
):
    """Append an audit-trail entry: ``user`` reviewed subject (kind, key) for ``reasons``. A
    subject outside ``scope`` (rusun ids, None = all) is ``NotFound``, as an unknown one."""
    if kind not in ("unit", "card"):
        raise NotFound(kind)
    if scope is not None and not subject_in_scope(c, kind, key, scope):
        raise NotFound(key)
    clean = ",".join(r for r in reasons.split(",") if r in REASONS)
    note = note.strip()[:500]
    with c.db.write() as tx:
        return review_marks.add_mark(tx, kind, key, clean, note, user, now)


def subject_in_scope(c: Collector, kind: str, key: str, scope: list[int] | None) -> bool:
    """Whether the review subject exists and belongs to a rusun of ``scope`` (None = all)."""
    rid = subject_rusun(c, kind, key)
    return rid is not None and (scope is None or rid in scope)


def subject_rusun(c: Collector, kind: str, key: str) -> int | None:
    """The rusun id a review subject belongs to (for the viewer check), None if unknown."""
    with c.db.read() as tx:
        if kind == "unit":
            rid = key.split("/", 1)[0]
            return int(rid) if rid.isdigit() else None
        if ":" in key:
            rid = key.split(":", 1)[0]
            return int(rid) if rid.isdigit() else None
        reg = [
            r
            for r in residents.registry_cards(tx, None)
            if r.card_id is not None and str(r.card_id) == key
        ]
    return reg[0].rusun_id if reg else None


# --- resident -----------------------------------------------------------------------------------


def resident_page(
    c: Collector, resident_id: str, now: int, days: int = 28, scope: list[int] | None = None
) -> dict:
    """One resident's page; a resident of a rusun outside ``scope`` (rusun ids, None = all) is
    ``NotFound``, exactly as an unknown one."""
    today = local_day(now)
    first = today - days + 1
    with c.db.read() as tx:
        res = residents.resident(tx, resident_id)
        if res is None or (scope is not None and res.rusun_id not in scope):
            raise NotFound(resident_id)
        cards = residents.resident_cards(tx, resident_id)
        members = residents.unit_members(tx, res.unit_id)
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        ids = [card.card_id for card in cards]
        rows = attendance.card_taps(tx, ids, day_start(first), day_start(today + 1))
        last = attendance.last_card_taps(tx, ids, day_start(today + 1))
    by_day: dict[int, list[dict]] = {}
    for t, rid, term, kind, fl, _tok, _card in rows:
        d = local_day(int(t))
        by_day.setdefault(d, []).append(
            {
                "time": int(t),
                "rusun": names[int(rid)],
                "terminal": int(term),
                "denied": kind == wire.DENIED,
                "flagged": bool(int(fl) & _FLAGGED)
                or kind == wire.DENIED
                or int(rid) != res.rusun_id,
            }
        )
    return {
        "resident": {"resident_id": res.resident_id, "name": res.name, "unit": res.unit,
                     "rusun_id": res.rusun_id, "rusun": res.rusun,
                     "registered_at": res.registered_at},
        "cards": [{"card_id": card.card_id, "label": f"K-{card.card_id}", "status": card.status,
                   "enrolled_at": card.enrolled_at, "last_tap": last.get(card.card_id)}
                  for card in cards],
        "household": [{"resident_id": rid, "name": name} for rid, name in members],
        "days": list(range(first, today + 1)),
        "taps": by_day,
    }  # fmt: skip


# --- terminals ----------------------------------------------------------------------------------


def terminal_health(c: Collector, now: int, scope: list[int] | None) -> list[dict]:
    """``reports.health`` per terminal, plus this morning's taps and the alarms (codes:
    silent, no_peak, storage, clock, reader, held, fork), ordered by rusun and door."""
    today = local_day(now)
    peak0 = day_start(today) + PEAK_START_H * 3600
    peak1 = day_start(today) + PEAK_END_H * 3600
    with c.db.read() as tx:
        visible = {r.name: r.id for r in residents.rusun_all(tx)}
        peak = attendance.terminal_taps_between(tx, peak0, peak1)
        newest = incidents.newest_records(tx, now + 1)
    out = []
    for h in reports.health(c, at=now):
        rid = visible[h["rusun"]]
        if scope is not None and rid not in scope:
            continue
        item = {
            "id": h["terminal_id"],
            "rusun_id": rid,
            "rusun": h["rusun"],
            "door": h["door"],
            "status": h["status"],
            "last_seen": h["last_seen"],
            "newest_record": newest.get(h["terminal_id"]),
            "backlog": h["backlog_slots"] or 0,
            "missing": h["missing_slots"],
            "recoveries": h["reader_recoveries"] or 0,
            "clock_quality": h["clock_quality"] or 0,
            "clock_jumps": h["clock_jumps"],
            "undated": h["undated_records"],
            "storage_per_mille": h["storage_per_mille"] or 0,
            "firmware": h["firmware_version"],
            "alerts_7d": h["alerts_7d"],
            "morning_taps": peak.get(h["terminal_id"], 0),
            "held_7d": h["held_7d"],
            "forked": h["forked"],
            "wear_erases": h["wear_erases"],
            "wear_years": h["wear_years"],
        }
        item["alarms"] = alarms(item, now, peak1) if h["status"] == "active" else []
        out.append(item)
    out.sort(key=lambda t: (t["rusun"], t["door"], t["id"]))
    return out


def alarms(term: dict, now: int, peak_end: int) -> list[str]:
    """Alarm codes for one terminal row (see ``terminal_health``)."""
    out = []
    last = term["last_seen"]
    if last is None or now - last > SILENT_AFTER_S:
        out.append("silent")
    # Only once the peak is over, and only for taps the collector has: a silent terminal may
    # have stored taps it could not send yet, which is why both alarms can show together.
    if now >= peak_end and term["morning_taps"] == 0:
        out.append("no_peak")
    if term["storage_per_mille"] >= STORAGE_ALARM_PER_MILLE:
        out.append("storage")
    if last is not None and term["clock_quality"] == wire.CLOCK_UNSET:
        out.append("clock")
    if term["recoveries"] >= READER_ALARM_RECOVERIES:
        out.append("reader")
    if term.get("held_7d"):  # dates outside the rules: kept as evidence, not in the reports
        out.append("held")
    if term.get("forked"):  # two devices hold its key: rotate it
        out.append("fork")
    return out


# --- exports ------------------------------------------------------------------------------------


def presence_rows(c: Collector, now: int, scope: list[int] | None, days: int) -> list[dict]:
    """One row per resident and local day of the period: taps and first/last tap at home. The
    database groups the taps per token and day (``attendance.token_tap_days``); tokens become
    cards, cards residents, and a resident's cards and key generations are merged here."""
    today = local_day(now)
    first = today - days + 1
    with c.db.read() as tx:
        reg = residents.registry_cards(tx, scope)
        grouped = attendance.token_tap_days(tx, OFFSET, day_start(first), day_start(today + 1),
                                            scope)  # fmt: skip
        cards = attendance.token_cards(tx, scope)
    res_of = {int(r.card_id): r.resident_id for r in reg if r.card_id is not None}
    agg: dict[tuple[str, int], list[int]] = {}
    for rusun_id, token, d, n, lo, hi in grouped:
        card = cards.get((int(rusun_id), int(token)))
        res_id = None if card is None else res_of.get(card)
        if res_id is None:
            continue
        key = (res_id, int(d))
        have = agg.get(key)
        if have is None:
            agg[key] = [int(n), int(lo), int(hi)]
        else:  # a second card of the same resident that day
            have[0] += int(n)
            have[1] = min(have[1], int(lo))
            have[2] = max(have[2], int(hi))
    seen: dict[str, RegistryCard] = {}
    for r in reg:
        seen.setdefault(r.resident_id, r)
    none = (0, None, None)
    out = []
    for res_id, r in seen.items():
        for d in range(first, today + 1):
            n, lo, hi = agg.get((res_id, d), none)
            out.append({"day": d, "rusun": r.rusun, "unit": r.unit, "resident_id": res_id,
                        "name": r.name, "taps": n, "first": lo, "last": hi})  # fmt: skip
    return out
