# evidence: what the records show about one flat, day by day and week by week (the flat page).
# SPDX-License-Identifier: MIT
"""``evidence(snapshot, flat_key) -> FlatEvidence``, or ``flat_evidence(index, key)`` inside the
detector: per day the household's taps (any member's card, at this rusun), first and last tap,
members seen, cards, whether a night had household presence, who was expected; per week the
change over time; per card how it tapped. Registered visitors' cards are listed with the flat
(their holder is the visitor) but are never household presence.

A *night with household presence* (night of day d) is a household tap between 15.00 on day d
and 12.00 on day d+1: somebody came home or left home around that night. A tap only says a
card passed the door; it never says who carried it.
"""

from __future__ import annotations

import statistics

from sync.review.index import Index, TapRow
from sync.review.model import CardUse, DayEvidence, FlatEvidence, Snapshot, WeekEvidence, status_on

NIGHT_FROM_MIN = 15 * 60
NIGHT_UNTIL_MIN = 12 * 60


def evidence(snap: Snapshot, flat: str) -> FlatEvidence:
    """The evidence of one flat of the snapshot (``KeyError`` for an unknown flat)."""
    ix = Index(snap)
    if flat not in ix.flats:
        raise KeyError(flat)
    return flat_evidence(ix, flat)


def _use(ix: Index, card: str, holder: str | None, status: str | None) -> CardUse:
    rows = ix.taps.get(card, [])
    home = [r for r in rows if r.home]
    away = {r.d for r in rows if not r.home}
    return CardUse(card, holder, len(home), len({r.d for r in home}),
                   home[0].t if home else None, home[-1].t if home else None,
                   len(away), status)  # fmt: skip


def flat_evidence(ix: Index, flat: str) -> FlatEvidence:
    f = ix.flats[flat]
    cards = ix.flat_cards[flat]
    expected = ix.expected(flat)
    last = ix.days - 1
    holder = {c: ix.cards[c].holder for c in cards}
    by_day: list[list[tuple[TapRow, str]]] = [[] for _ in range(ix.days)]
    for c in cards:
        for r in ix.home_taps(c):
            by_day[r.d].append((r, c))
    days = []
    for d in range(ix.days):
        rows = sorted(by_day[d])
        night = any(r.minute >= NIGHT_FROM_MIN for r, _c in rows) or (
            d + 1 < ix.days and any(r.minute < NIGHT_UNTIL_MIN for r, _c in by_day[d + 1])
        )
        seen_cards = sorted({c for _r, c in rows})
        days.append(
            DayEvidence(
                day=ix.day(d),
                taps=len(rows),
                first=rows[0][0].t if rows else None,
                last=rows[-1][0].t if rows else None,
                members=tuple(sorted({holder[c] for c in seen_cards})),
                cards=tuple(seen_cards),
                night=night,
                expected=len({holder[c] for c in expected[d]}),
                excused=not expected[d],
            )
        )
    weeks = []
    for w0 in range(0, ix.days, 7):
        span = days[w0 : w0 + 7]
        tapped = [x for x in span if x.taps]
        weeks.append(
            WeekEvidence(
                first=span[0].day,
                days=len(span),
                present_days=len(tapped),
                nights=sum(x.night for x in span),
                taps=sum(x.taps for x in span),
                members_seen=len({m for x in span for m in x.members}),
                cards_seen=len({c for x in span for c in x.cards}),
                median_first_min=_median_minute(ix, [x.first for x in tapped]),
                median_last_min=_median_minute(ix, [x.last for x in tapped]),
            )
        )
    uses = [_use(ix, c, holder[c], status_on(ix.cards[c].statuses, ix.day(last))) for c in cards]
    for v in ix.snap.visitors:
        if v.flat == flat:
            uses += [_use(ix, c, v.visitor_id, None) for c in v.cards]
    seen = sorted({m for x in days for m in x.members})
    return FlatEvidence(
        flat=f.key,
        expected=tuple(sorted({holder[c] for c in expected[last]})),
        seen=tuple(seen),
        cards=tuple(uses),
        days=tuple(days),
        weeks=tuple(weeks),
    )


def _median_minute(ix: Index, times: list[int | None]) -> int | None:
    off = ix.snap.utc_offset_min * 60
    mins = [((t + off) % 86400) // 60 for t in times if t is not None]
    return int(statistics.median(mins)) if mins else None
