# rules: each reason's rule over an indexed snapshot: what it saw, per flat (or per unknown card).
# SPDX-License-Identifier: MIT
"""One function per reason; each takes the ``Index`` and the ``Thresholds`` and returns
``{subject key: Finding}`` (a flat key, or a card for ``unknown_card``). A finding carries the
card it is about, the first day of what it saw and the facts its explanation shows.

The rules are written against what ordinary life does (docs/detection.md gives each rule's
reasoning and the confounders it is robust to): people pass a door out and back again; a
repeated tap when the beep was not heard is a burst on a few days, not on most; a visit to kin
at another rusun is a day with taps at home too; a punctual worker also comes home.
"""

from __future__ import annotations

from typing import NamedTuple

from sync.review.change import change_point
from sync.review.index import Index
from sync.review.model import Thresholds, status_on

MOST = 0.5  # "most of its days": the share of a card's active days a pattern must fill
REGULAR = 0.4  # a member tapped "regularly" on this share of the days before stopping
STOP_LOOKBACK = 28  # ... over this many days
TOGETHER_DAYS = 7  # members who stopped within a week of each other stopped "together"
NOT_ACTIVE = ("blocked", "replaced", "returned")
GONE = ("moved_out", "deceased")


class Finding(NamedTuple):
    card: str | None
    since: int | None  # day index
    facts: dict[str, object]


def _window(ix: Index, p: Thresholds) -> range:
    last = ix.days - 1
    return range(max(0, last - p.recent_days + 1), last + 1)


def _hhmm(minute: int) -> str:
    return "%02d.%02d" % divmod(minute, 60)


def not_seen(ix: Index, p: Thresholds) -> dict[str, Finding]:
    out = {}
    last = ix.days - 1
    for flat, cards in ix.flat_cards.items():
        expected = ix.expected(flat)
        if not expected[last]:
            continue
        # Taps are sorted by time: a card's last home tap has its last day.
        seen = max((rows[-1].d for c in cards if (rows := ix.home_taps(c))), default=-1)
        silent = sum(1 for d in range(seen + 1, last + 1) if expected[d])
        if silent >= p.not_seen_days:
            last_seen = ix.day(seen).isoformat() if seen >= 0 else "-"
            out[flat] = Finding(None, seen + 1, {"days": silent, "last_seen": last_seen})
    return out


def _bursts(rows: list, burst_s: int) -> set[int]:
    return {b.d for a, b in zip(rows, rows[1:]) if b.t - a.t <= burst_s and a.d == b.d}


def one_card_household(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """One household card carries several people: on most of its days it is tapped several
    times in a row (a burst: each person taps it), and no other household card taps
    meanwhile. A repeated tap when the beep was not heard makes a burst on a few days."""
    out = {}
    last = ix.days - 1
    for flat, cards in ix.flat_cards.items():
        taps = {c: ix.home_taps(c) for c in cards}
        last_day = {c: rows[-1].d for c, rows in taps.items() if rows}
        for c in cards:
            others_last = max((d for k, d in last_day.items() if k != c), default=-1)
            span = range(max(others_last + 1, _window(ix, p).start), last + 1)
            rows = [r for r in taps[c] if r.d in span]
            active = {r.d for r in rows}
            bursts = _bursts(rows, p.burst_s)
            if len(bursts) >= p.burst_days and len(bursts) >= MOST * len(active):
                facts = {"card": c, "since": ix.day(min(active)).isoformat(),
                         "burst_days": len(bursts), "active_days": len(active)}  # fmt: skip
                out[flat] = Finding(c, min(active), facts)
    return out


def members_stopped(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """Members who tapped regularly and then stopped, while another household card goes on."""
    out = {}
    last = ix.days - 1
    for flat, cards in ix.flat_cards.items():
        if len(cards) < 2:
            continue
        expected = ix.expected(flat)
        days = {c: {r.d for r in ix.home_taps(c)} for c in cards}
        stopped = []
        for c in cards:
            if not days[c] or c not in expected[last]:
                continue
            s = max(days[c])
            silent = sum(1 for d in range(s + 1, last + 1) if c in expected[d])
            if silent < p.stopped_days:
                continue
            before = [d for d in range(max(0, s - STOP_LOOKBACK + 1), s + 1) if c in expected[d]]
            if len(before) >= 5 and len(days[c] & set(before)) >= REGULAR * len(before):
                stopped.append((s, c, silent))
        if not stopped:
            continue
        latest = max(s for s, _c, _n in stopped)
        together = sum(1 for s, _c, _n in stopped if latest - s <= TOGETHER_DAYS)
        since = min(s for s, _c, _n in stopped) + 1
        after = range(since, last + 1)
        going = [(len(days[c] & set(after)), c) for c in cards if c not in {x[1] for x in stopped}]
        going_days, card = max(going, default=(0, None))
        if card is not None and going_days >= MOST * len(after):
            facts = {"stopped": len(stopped), "together": together,
                     "since": ix.day(since).isoformat(),
                     "silent": max(n for _s, _c, n in stopped), "card": card,
                     "going_days": going_days}  # fmt: skip
            out[flat] = Finding(card, since, facts)
    return out


def pattern_change(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """A household card whose weekday time-of-day profile changed abruptly against its own
    history (``change.change_point``); ``cards`` counts the household's cards that changed
    within a week of it."""
    out = {}
    for flat, cards in ix.flat_cards.items():
        changes = []
        for c in cards:
            ch = change_point(ix.taps.get(c, []), ix.rest, p.history_days)
            if ch is not None and ch.novel * 100 >= p.change_score:
                changes.append((ch.novel, c, ch))
        if not changes:
            continue
        novel, card, ch = max(changes)
        together = sum(1 for _n, _c, x in changes if abs(x.day - ch.day) <= 7)
        facts = {"since": ix.day(ch.day).isoformat(), "novel": round(novel * 100),
                 "card": card, "history": ch.history, "reach": ch.reach,
                 "cards": together}  # fmt: skip
        out[flat] = Finding(card, ch.day, facts)
    return out


def same_minute(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """A card tapped once a day (one passage, no return) at the same minute, on many days."""
    out = {}
    for flat, cards in ix.flat_cards.items():
        for c in cards:
            by_day: dict[int, list[int]] = {}
            for r in ix.home_taps(c):
                by_day.setdefault(r.d, []).append(r.t)
            lone: dict[int, int] = {}  # minute -> days with that minute as the only passage
            for rows in by_day.values():
                if rows[-1] - rows[0] <= 120:
                    m = ((rows[0] + ix.snap.utc_offset_min * 60) % 86400) // 60
                    lone[m] = lone.get(m, 0) + 1
            if not lone:
                continue
            best = max(lone, key=lambda m: sum(lone.get(m + k, 0) for k in (-1, 0, 1)))
            n = sum(lone.get(best + k, 0) for k in (-1, 0, 1))
            if n >= p.same_minute_days and n >= MOST * len(by_day):
                facts = {"card": c, "minute": _hhmm(best), "days": n}
                out[flat] = Finding(c, min(by_day), facts)
    return out


def other_rusun(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """A card that lives at another rusun: since its first day there (in the recent window),
    most of its active days have taps only at another rusun. A visit to kin leaves taps at
    home the same day or the next, so a visitor's days away stay a small share."""
    out = {}
    window = _window(ix, p)
    for flat, cards in ix.flat_cards.items():
        for c in cards:
            home: set[int] = set()
            away: dict[int, str] = {}
            for r in ix.taps.get(c, ()):
                if r.d in window:
                    if r.home:
                        home.add(r.d)
                    else:
                        away[r.d] = r.rusun
            only_away = sorted(d for d in away if d not in home)
            if len(only_away) < p.other_rusun_days:
                continue
            active = len({d for d in home | set(away) if d >= only_away[0]})
            if len(only_away) >= MOST * active:
                where = max(set(away.values()), key=list(away.values()).count)
                facts = {"card": c, "where": where, "days": len(only_away), "active_days": active,
                         "since": ix.day(only_away[0]).isoformat()}  # fmt: skip
                out[flat] = Finding(c, only_away[0], facts)
    return out


def clone(ix: Index, p: Thresholds) -> dict[str, Finding]:
    out = {}
    for flat, cards in ix.flat_cards.items():
        for c in cards:
            flagged = ix.clone.get(c)
            if flagged:
                first = min(flagged)
                facts = {"card": c, "records": sum(flagged.values()),
                         "since": ix.day(first).isoformat()}  # fmt: skip
                out[flat] = Finding(c, first, facts)
    return out


def blocked_card(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """A tap, a day or more after the change, with a card that is blocked, replaced or
    returned, or whose holder moved out or died."""
    out = {}
    for flat, cards in ix.flat_cards.items():
        members = {m.resident_id: m for m in ix.flats[flat].members}
        for c in cards:
            card = ix.cards[c]
            member = members[card.holder]
            changes = [s for s in card.statuses if s.status in NOT_ACTIVE]
            changes += [s for s in member.statuses if s.status in GONE]
            if not changes or c not in ix.taps:
                continue
            bad: dict[int, str] = {}  # day index -> status, from the day after each change
            for d in range(1, ix.days):
                today, yesterday = ix.day(d), ix.day(d - 1)
                for statuses, gone in ((card.statuses, NOT_ACTIVE), (member.statuses, GONE)):
                    now, before = status_on(statuses, today), status_on(statuses, yesterday)
                    if now in gone and before in gone:
                        bad.setdefault(d, str(now))
            days = sorted({r.d for r in ix.taps[c] if r.d in bad})
            if days:
                facts = {"card": c, "status": bad[days[0]], "days": len(days),
                         "since": ix.day(days[0]).isoformat()}  # fmt: skip
                out[flat] = Finding(c, days[0], facts)
    return out


def unknown_card(ix: Index, p: Thresholds) -> dict[str, Finding]:
    """A card nobody registered (not a household's, not a registered visitor's, not another
    rusun's) tapped here on several days; phones' random UIDs change at every tap."""
    out = {}
    known = ix.cards.keys() | ix.visitor_of.keys() | ix.snap.foreign_cards
    for c in ix.taps:
        if c in known:
            continue
        days = sorted(ix.plain_home.get(c, ()))
        if len(days) >= p.unknown_days:
            facts = {"days": len(days), "since": ix.day(days[0]).isoformat()}
            out[c] = Finding(c, days[0], facts)
    return out


RULES = {
    "not_seen": not_seen,
    "one_card_household": one_card_household,
    "members_stopped": members_stopped,
    "pattern_change": pattern_change,
    "same_minute": same_minute,
    "other_rusun": other_rusun,
    "clone": clone,
    "blocked_card": blocked_card,
    "unknown_card": unknown_card,
}
