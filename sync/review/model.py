# model: the detector's input (a per-rusun snapshot) and output (review items, per-flat evidence).
# SPDX-License-Identifier: MIT
"""Plain, frozen data: the service layer builds a ``Snapshot`` from the database, the fleet
tools build one from their world, and ``sync.review.detect(snapshot)`` returns a ``Review``.
Nothing here reads a database or a clock.

Days are local calendar days (``datetime.date`` in the deployment's time zone, Jakarta by
default: ``Snapshot.utc_offset_min``); record times are Unix seconds (UTC). Every dated status
list is sorted by day: a status holds from its ``since`` day (inclusive) until the next entry's;
before the first entry the thing did not exist yet (a card not enrolled, a member not living
there). Identifiers are strings chosen by whoever builds the snapshot (the collector: resident
ids, card ids as decimal strings, ``<rusun id>/<unit>`` for flats, ``<rusun id>:<token hex>`` for
cards it cannot name); the detector only compares them.

Input::

    Snapshot(rusun, first_day, days, flats, cards, visitors, absences, holidays, thresholds,
             records, foreign_cards, card_days)

The taps come as ``records`` (one per tap: the fleet tools) or as ``card_days`` (one per card,
rusun and day: the collector's roll-up ``tap_times``); the detector's answer is the same.

Output::

    Review(rusun, first_day, days, items, evidence)     # items: ReviewItem, evidence per flat

Taps are evidence, never proof: an item says what the records show and why that is worth a
visit; it never says who lives in a flat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

from firmware import wire

# --- dated statuses -------------------------------------------------------------------------

# A household member's status. "moved_out" and "deceased" end the expectation to see them.
MEMBER_STATUSES = ("active", "moved_out", "deceased")
# A flat's status. "occupied" (a lease runs), "vacant" (vacated, nobody expected), "sealed" (the
# case ended with the flat sealed). A new lease after vacant is a new "occupied" entry: the
# flat's own history restarts on that day (the detector never compares two households).
FLAT_STATUSES = ("occupied", "vacant", "sealed")
# A card's status. "blocked" (reported lost or stolen; refused at the door after the next
# allow-list sync), "replaced" (a new card was issued for the holder), "returned" (the holder
# left). A tap with a card that is not "active" on that day is evidence in itself.
CARD_STATUSES = ("active", "blocked", "replaced", "returned")
# Declared absence kinds (izin).
ABSENCE_KINDS = ("travel", "hospital", "mudik", "work", "other")
VISITOR_KINDS = ("visitor", "carer")


@dataclass(frozen=True)
class Dated:
    """``status`` holds from ``since`` (a local day, inclusive) until the next entry's day."""

    since: dt.date
    status: str


def status_on(statuses: tuple[Dated, ...], day: dt.date) -> str | None:
    """The status on ``day``, None before the first entry."""
    out = None
    for d in statuses:
        if d.since > day:
            break
        out = d.status
    return out


# --- the household and its cards ------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A household member from the tenant register, with or without a card."""

    resident_id: str
    statuses: tuple[Dated, ...]  # MEMBER_STATUSES
    lease_holder: bool = False


@dataclass(frozen=True)
class Flat:
    """A flat (unit) and its household. ``key`` is unique across the city."""

    key: str
    name: str  # as residents and officers write it, e.g. "MRD-A101"
    statuses: tuple[Dated, ...]  # FLAT_STATUSES
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Card:
    """A card the collector knows for a household member (one entry per card: a replacement
    is a new card of the same holder)."""

    card: str
    holder: str  # a Member.resident_id of this snapshot's flats
    statuses: tuple[Dated, ...]  # CARD_STATUSES


@dataclass(frozen=True)
class Visitor:
    """A registered regular visitor or carer of one flat; their cards are known, not unknown."""

    visitor_id: str
    flat: str  # Flat.key
    kind: str  # VISITOR_KINDS
    cards: tuple[str, ...]
    first: dt.date
    last: dt.date | None = None  # None: still registered


@dataclass(frozen=True)
class Absence:
    """A declared absence (izin) of one resident, both days inclusive."""

    resident_id: str
    first: dt.date
    last: dt.date
    kind: str = "other"  # ABSENCE_KINDS


# --- thresholds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Per-rusun thresholds (an admin may edit them within ``THRESHOLDS``). The defaults
    are for a review of 14 days or more; ``for_period`` scales the day counts for shorter
    periods. docs/detection.md gives the reasoning behind each."""

    not_seen_days: int = 14  # not_seen: no household tap on the last N days (izin excluded)
    burst_s: int = 180  # one_card_household: two taps of one card this close are a burst
    burst_days: int = 3  # ... on at least this many days
    same_minute_days: int = 10  # same_minute: taps in one local minute on this many days
    other_rusun_days: int = 2  # other_rusun: days with a tap at another rusun
    unknown_days: int = 2  # unknown_card: days an unregistered card tapped
    history_days: int = 28  # pattern_change: days of the flat's own history it needs first
    recent_days: int = 14  # pattern_change / members_stopped: the recent window compared
    change_score: int = 50  # pattern_change: minimum share of novel taps (percent)
    stopped_days: int = 14  # members_stopped: member silent this long while a card goes on

    @classmethod
    def for_period(cls, days: int) -> Thresholds:
        """Thresholds scaled for a review shorter than 14 days (7 days: 5, 3 and 5 days)."""
        if days >= 14:
            return cls()
        return cls(
            not_seen_days=max(2, -(-5 * days // 7)),
            burst_days=max(2, -(-3 * days // 7)),
            same_minute_days=max(3, -(-5 * days // 7)),
        )


@dataclass(frozen=True)
class ThresholdSpec:
    """What an admin may set for one threshold: the range, and its meaning (ID, EN)."""

    lowest: int
    highest: int
    text: tuple[str, str]


THRESHOLDS: dict[str, ThresholdSpec] = {
    "not_seen_days": ThresholdSpec(
        2, 90, ("hari tanpa tap keluarga sebelum ditinjau", "days without a household tap")
    ),
    "burst_s": ThresholdSpec(
        10, 900, ("detik antar tap satu kartu yang dihitung beruntun", "seconds for a burst")
    ),
    "burst_days": ThresholdSpec(
        2, 60, ("hari dengan tap beruntun satu kartu", "days with bursts of one card")
    ),
    "same_minute_days": ThresholdSpec(
        3, 60, ("hari tap pada menit yang sama", "days of taps in the same minute")
    ),
    "other_rusun_days": ThresholdSpec(
        1, 60, ("hari kartu dipakai di rusun lain", "days a card is used at another rusun")
    ),
    "unknown_days": ThresholdSpec(
        1, 60, ("hari kartu tak terdaftar dipakai", "days an unregistered card is used")
    ),
    "history_days": ThresholdSpec(
        14, 180, ("hari riwayat sebelum perubahan pola", "days of history before a change")
    ),
    "recent_days": ThresholdSpec(
        7, 60, ("hari terakhir yang dibandingkan", "recent days compared with the history")
    ),
    "change_score": ThresholdSpec(
        1, 100, ("persen tap pada jam baru, minimum", "minimum percent of taps at new times")
    ),
    "stopped_days": ThresholdSpec(
        7, 90, ("hari anggota berhenti tap", "days a member has stopped tapping")
    ),
}
assert set(THRESHOLDS) == {f.name for f in fields(Thresholds)}


class ThresholdError(ValueError):
    """A threshold name or value an admin may not set (the message is "<id> / <en>")."""


def with_overrides(base: Thresholds, overrides: dict[str, int]) -> Thresholds:
    """``base`` with an admin's per-rusun values; every name and range checked."""
    for name, value in overrides.items():
        spec = THRESHOLDS.get(name)
        if spec is None:
            raise ThresholdError(f"ambang tidak dikenal: {name} / unknown threshold: {name}")
        if type(value) is not int or not spec.lowest <= value <= spec.highest:
            lo, hi = spec.lowest, spec.highest
            raise ThresholdError(
                f"{name} harus bilangan bulat {lo}-{hi} / {name} must be an integer {lo}-{hi}"
            )
    return replace(base, **overrides)


# --- records ---------------------------------------------------------------------------------


class Record(NamedTuple):
    """A dated TAP or DENIED record. ``card`` names one card (a ``Card.card``, a visitor's card,
    a foreign card or any other string for a card nobody registered); ``flags`` are the wire
    card flags (``wire.CARD_*``). A named tuple: a snapshot holds a few hundred thousand."""

    time: int  # Unix seconds
    rusun: str  # where it was tapped
    terminal: int
    card: str
    flags: int
    denied: bool = False  # the terminal refused it (not on its allow-list)


class CardDay(NamedTuple):
    """One card's dated TAP and DENIED records at one rusun on one local day, summed up:
    what the rules need of them (they never look at a record's terminal or kind)."""

    card: str  # as in ``Record.card``
    rusun: str
    times: tuple[int, ...]  # Unix seconds of each record, sorted
    clone: (
        int  # records with a clone flag (``wire.CARD_FINGERPRINT_MISMATCH``, ``_MAGIC_SUSPECT``)
    )
    plain: int  # records without ``wire.CARD_RANDOM_UID``


@dataclass(frozen=True)
class Snapshot:
    """Everything the detector may know about one rusun for the period ``first_day`` ..
    ``first_day + days - 1`` (the last day is the review's "as of" day). ``records``: every dated
    record of the period at this rusun, and every record of this rusun's cards at any rusun
    (``card_days``: the same, a row per card, rusun and day).
    ``foreign_cards``: cards that tapped here and are registered at another rusun (not
    unknown here; their own rusun's review sees them)."""

    rusun: str
    first_day: dt.date
    days: int
    flats: tuple[Flat, ...]
    cards: tuple[Card, ...]
    records: tuple[Record, ...]  # or card_days (both may hold some)
    visitors: tuple[Visitor, ...] = ()
    absences: tuple[Absence, ...] = ()
    holidays: frozenset[dt.date] = frozenset()
    thresholds: Thresholds = field(default_factory=Thresholds)
    foreign_cards: frozenset[str] = frozenset()
    utc_offset_min: int = wire.UTC_OFFSET_MIN
    card_days: tuple[CardDay, ...] = ()

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=self.days - 1)


# --- output ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One rule that fired, with what it saw. ``card`` names the card it is about (None for a
    flat-wide reason); ``since`` is the first day of what it saw (the change day for
    ``pattern_change``); ``facts`` are the numbers behind it (the explanation's fields)."""

    code: str  # one of sync.review.REASONS
    card: str | None
    since: dt.date | None
    facts: tuple[tuple[str, int | float | str], ...]
    text: tuple[str, str]  # the explanation (Bahasa Indonesia, English), facts filled in


@dataclass(frozen=True)
class ReviewItem:
    """One subject worth a look. ``subject`` is "flat" (``key`` = Flat.key) or "card" (a card
    nobody registered: ``key`` = the card; no flat can be named for it). ``score`` orders the
    queue: a risk in 0..1 (higher first: more independent evidence, more recent)."""

    subject: str
    key: str
    rusun: str
    reasons: tuple[Reason, ...]
    score: float

    @property
    def codes(self) -> list[str]:
        return sorted({r.code for r in self.reasons})


@dataclass(frozen=True)
class DayEvidence:
    """One local day of a flat: household taps (any member's card, at this rusun)."""

    day: dt.date
    taps: int
    first: int | None  # Unix seconds of the first household tap that day
    last: int | None
    members: tuple[str, ...]  # resident ids seen (through their cards)
    cards: tuple[str, ...]  # cards of the household that tapped
    night: bool  # a household tap between 15.00 that day and 12.00 the next (see docs)
    expected: int  # members expected that day (active, with an active card, no izin)
    excused: bool  # nobody could be seen that day (every card holder had izin, or no card)


@dataclass(frozen=True)
class CardUse:
    """How one card tapped for a flat over the period."""

    card: str
    holder: str | None  # resident id, or a visitor id for a registered visitor's card
    taps: int
    days: int  # distinct days with a tap
    first: int | None
    last: int | None
    other_rusun_days: int
    status: str | None  # the card's status on the last day


@dataclass(frozen=True)
class WeekEvidence:
    """Change over time: one 7-day week of the period (the last one may be shorter)."""

    first: dt.date
    days: int
    present_days: int  # days with a household tap
    nights: int
    taps: int
    members_seen: int
    cards_seen: int
    median_first_min: int | None  # median minute of day of the first tap, None if no tap
    median_last_min: int | None


@dataclass(frozen=True)
class FlatEvidence:
    """The per-flat evidence the review and the flat page show."""

    flat: str
    expected: tuple[str, ...]  # members expected on the last day
    seen: tuple[str, ...]  # members seen in the period
    cards: tuple[CardUse, ...]
    days: tuple[DayEvidence, ...]
    weeks: tuple[WeekEvidence, ...]


@dataclass(frozen=True)
class Review:
    """The detector's answer for one snapshot: ``items`` (highest score first) and the
    evidence of every flat (flagged or not)."""

    rusun: str
    first_day: dt.date
    days: int
    items: tuple[ReviewItem, ...]
    evidence: dict[str, FlatEvidence]
