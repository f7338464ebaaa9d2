# legacy: the first review queue (records + registry -> subjects), until the per-flat detector.
# SPDX-License-Identifier: MIT
"""The one detector of the product: the collector's review report (``reports.review_report``:
CLI ``report review``/``absent``, ``/api/reports/absent``, CSV) and the dashboard's review
queue run it over the stored records; the fleet tools score it on their planted cases. Pure
functions, no I/O, plain data in and out.

    queue = review_queue(records, registry, start, days, Params.for_period(days))

``records``: dicts ``{"time": unix_s, "rusun": name, "terminal": id, "card": card id,
"flags": wire card flags}``. A card id is any string naming one card: the fleet tools use the
UID hex, the collector its card id (it maps a token back to its card through ``card_tokens``).
``registry``: dicts ``{"resident_id", "unit", "rusun", "card_uid", "registered_day"}``, the
residents registered by the end of the period (``registered_day`` counts from ``start``, day 0 is
the local day beginning at Unix time ``start``). The queue is a list of
``{"unit" | "card": id, "reasons": [...]}``, one item per subject, sorted.

Reasons (thresholds are fields of ``Params``):

- `not_seen` (unit): no registered member's card tapped on the last `not_seen_days` days,
  counted from the later of period start and the first member's registration.
- `one_card_household` (unit): ≥ 2 registered members, exactly one of their cards ever tapped,
  and that card tapped in bursts (≥ 2 taps within `burst_s` seconds) on ≥ `burst_days` days.
- `same_minute` (card): taps at the same local minute of day on ≥ `same_minute_days` days.
- `other_rusun` (card): a registered card tapped at a rusun not its own on ≥ `other_rusun_days`
  distinct days.
- `clone` (card): any record flagged fingerprint mismatch or magic-card suspect.
- `unknown_card` (card): a card in no registry entry tapped on ≥ `unknown_days` distinct days;
  phones' random UIDs (flag random UID) are skipped, they change at every tap.

The thresholds reject what ordinary residents do: a repeated tap when the beep was not heard (a
burst on one day), a guest's single visit to another rusun or a one-off visitor's card (one day),
a punctual worker (same minute on two or three days of a week).

``REASONS`` lists the reasons; ``TEXT[reason]`` is its explanation (Bahasa Indonesia, English)
with ``{n}`` for the threshold ``threshold(reason, p)``; ``explain(reasons, p)`` joins them.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware import wire

DAY = 86400
_CLONE_FLAGS = wire.CARD_FINGERPRINT_MISMATCH | wire.CARD_MAGIC_SUSPECT


@dataclass(frozen=True)
class Params:
    not_seen_days: int = 14
    burst_s: int = 180
    burst_days: int = 3
    same_minute_days: int = 10
    other_rusun_days: int = 2
    unknown_days: int = 2

    @classmethod
    def for_period(cls, days: int) -> Params:
        """Thresholds scaled for a demo shorter than 14 days (7 days: 5, 3 and 5 days)."""
        if days >= 14:
            return cls()
        return cls(
            not_seen_days=max(2, -(-5 * days // 7)),
            burst_days=max(2, -(-3 * days // 7)),
            same_minute_days=max(3, -(-5 * days // 7)),
        )


REASONS = ("not_seen", "one_card_household", "same_minute", "other_rusun", "clone", "unknown_card")
TEXT: dict[str, tuple[str, str]] = {
    "not_seen": ("tidak terlihat {n} hari", "not seen for {n} days"),
    "one_card_household": (
        "hanya satu kartu keluarga yang dipakai",
        "only one card of the household used",
    ),
    "same_minute": ("tap pada menit yang sama setiap hari", "taps at the same minute daily"),
    "other_rusun": ("kartu dipakai di rusun lain", "card used at another rusun"),
    "clone": ("petunjuk kartu kloning", "clone hints"),
    "unknown_card": ("kartu tak terdaftar dipakai berulang", "unregistered card used often"),
}


def threshold(reason: str, p: Params) -> int | None:
    """The number of days behind a reason (None for ``clone``: one flagged record is enough)."""
    return {
        "not_seen": p.not_seen_days,
        "one_card_household": p.burst_days,
        "same_minute": p.same_minute_days,
        "other_rusun": p.other_rusun_days,
        "unknown_card": p.unknown_days,
    }.get(reason)


def explain(reasons: list[str], p: Params) -> str:
    """``"<id>; <id> / <en>; <en>"``: the reasons of one queue item in both languages."""
    parts = [[TEXT[r][lang].format(n=threshold(r, p)) for r in reasons] for lang in (0, 1)]
    return f"{'; '.join(parts[0])} / {'; '.join(parts[1])}"


def _day(t: int, start: int) -> int:
    return (t - start) // DAY


def _minute(t: int) -> int:
    return ((t + wire.UTC_OFFSET_MIN * 60) % DAY) // 60  # local time of day (wire.UTC_OFFSET_MIN)


def _burst_days(times: list[int], start: int, burst_s: int) -> int:
    ts = sorted(times)
    return len({_day(b, start) for a, b in zip(ts, ts[1:]) if b - a <= burst_s})


def card_reasons(
    records: list[dict], registry: list[dict], start: int, p: Params
) -> dict[str, set[str]]:
    """{card_uid: set of reasons} for the card-level rules."""
    home = {r["card_uid"]: r["rusun"] for r in registry}
    minute_days: dict[str, dict[int, set[int]]] = {}
    away_days: dict[str, set[int]] = {}
    unknown_days: dict[str, set[int]] = {}
    out: dict[str, set[str]] = {}
    for rec in records:
        card, day = rec["card"], _day(rec["time"], start)
        if rec["flags"] & _CLONE_FLAGS:
            out.setdefault(card, set()).add("clone")
        if card not in home:
            if not rec["flags"] & wire.CARD_RANDOM_UID:
                unknown_days.setdefault(card, set()).add(day)
            continue
        minute_days.setdefault(card, {}).setdefault(_minute(rec["time"]), set()).add(day)
        if rec["rusun"] != home[card]:
            away_days.setdefault(card, set()).add(day)
    for card, by_minute in minute_days.items():
        if max(len(d) for d in by_minute.values()) >= p.same_minute_days:
            out.setdefault(card, set()).add("same_minute")
    for card, days in away_days.items():
        if len(days) >= p.other_rusun_days:
            out.setdefault(card, set()).add("other_rusun")
    for card, days in unknown_days.items():
        if len(days) >= p.unknown_days:
            out.setdefault(card, set()).add("unknown_card")
    return out


def unit_reasons(
    records: list[dict], registry: list[dict], start: int, days: int, p: Params
) -> dict[str, set[str]]:
    """{unit: set of reasons} for the household rules."""
    registered = {r["card_uid"] for r in registry}
    members: dict[str, list[dict]] = {}
    for r in registry:
        members.setdefault(r["unit"], []).append(r)
    times: dict[str, list[int]] = {}
    for rec in records:
        if rec["card"] in registered:
            times.setdefault(rec["card"], []).append(rec["time"])
    out: dict[str, set[str]] = {}
    for unit, rows in members.items():
        used = [r["card_uid"] for r in rows if r["card_uid"] in times]
        first = max(0, min(r["registered_day"] for r in rows))
        last_seen = max((_day(t, start) for c in used for t in times[c]), default=first - 1)
        if days - 1 - last_seen >= p.not_seen_days:
            out.setdefault(unit, set()).add("not_seen")
        if len(rows) >= 2 and len(used) == 1:
            if _burst_days(times[used[0]], start, p.burst_s) >= p.burst_days:
                out.setdefault(unit, set()).add("one_card_household")
    return out


def review_queue(
    records: list[dict], registry: list[dict], start: int, days: int, p: Params | None = None
) -> list[dict]:
    """The review queue: one item per flagged unit or card, reasons sorted, items sorted."""
    p = Params.for_period(days) if p is None else p
    items = []
    for unit, reasons in unit_reasons(records, registry, start, days, p).items():
        items.append({"unit": unit, "reasons": sorted(reasons)})
    for card, reasons in card_reasons(records, registry, start, p).items():
        items.append({"card": card, "reasons": sorted(reasons)})
    items.sort(key=lambda it: ("unit" not in it, it.get("unit") or it.get("card")))
    return items
