# texts: the reasons the detector gives, their titles and explanations (Bahasa Indonesia, English).
# SPDX-License-Identifier: MIT
"""``REASONS`` lists every reason code; ``TEXT[code]`` is its short title (id, en) for lists,
the dashboard, the reports and the fleet demo (the one wording of each reason; ``{n}`` is the
period's threshold, ``threshold(code, p)``); ``titles(codes, p)`` joins the titles of one queue
item in both languages; ``explain(code, facts)`` is the sentence for one fired rule, with the
numbers behind it. Every sentence says what the records show, never who lives in a flat: taps
are evidence, never proof.
"""

from __future__ import annotations

from sync.review.model import Thresholds

# Flat reasons first (a card's reason is about its holder's flat), then the one card reason.
FLAT_REASONS = (
    "not_seen",
    "one_card_household",
    "members_stopped",
    "pattern_change",
    "same_minute",
    "other_rusun",
    "clone",
    "blocked_card",
)
CARD_REASONS = ("unknown_card",)
REASONS = FLAT_REASONS + CARD_REASONS

TEXT: dict[str, tuple[str, str]] = {
    "not_seen": ("tidak terlihat {n} hari", "not seen for {n} days"),
    "one_card_household": (
        "satu kartu membawa kegiatan beberapa orang",
        "one card carries several people's activity",
    ),
    "members_stopped": (
        "anggota berhenti tap, satu kartu tetap dipakai",
        "members stopped tapping while a card goes on",
    ),
    "pattern_change": ("pola kegiatan unit berubah mendadak", "the flat's pattern changed"),
    "same_minute": ("tap sekali sehari pada menit yang sama", "one tap a day, same minute"),
    "other_rusun": ("kartu tinggal di rusun lain", "card lives at another rusun"),
    "clone": ("petunjuk kartu kloning", "clone hints"),
    "blocked_card": (
        "kartu yang diblokir atau milik penghuni yang sudah keluar dipakai",
        "a blocked card, or the card of someone who left, was used",
    ),
    "unknown_card": ("kartu tak terdaftar dipakai berulang", "unregistered card used often"),
}

# One sentence per reason; ``{name}`` fields are the rule's facts (Reason.facts).
_SENTENCES: dict[str, tuple[str, str]] = {
    "not_seen": (
        "tidak ada tap anggota keluarga selama {days} hari (terakhir: {last_seen})",
        "no household member's card tapped for {days} days (last: {last_seen})",
    ),
    "one_card_household": (
        "sejak {since} hanya kartu {card} dari keluarga ini yang dipakai, dan pada "
        "{burst_days} dari {active_days} hari kartu itu di-tap beberapa kali berturut-turut "
        "(beberapa orang memakai satu kartu)",
        "since {since} only card {card} of the household tapped, and on {burst_days} of its "
        "{active_days} days it was tapped several times in a row (several people, one card)",
    ),
    "members_stopped": (
        "{stopped} anggota berhenti tap sejak {since} ({silent} hari), kartu {card} tetap "
        "dipakai pada {going_days} hari",
        "{stopped} member(s) stopped tapping on {since} ({silent} days) while card {card} "
        "went on, on {going_days} days",
    ),
    "pattern_change": (
        "sejak {since}, {novel}% tap kartu {card} pada hari kerja jatuh pada jam yang jarang "
        "dipakainya (lebih dari {reach} menit dari kebiasaannya) dalam {history} hari "
        "sebelumnya; {cards} kartu keluarga berubah bersamaan",
        "since {since}, {novel}% of card {card}'s weekday taps fall at times of day it rarely "
        "used (more than {reach} minutes from its habits) in the {history} days before; "
        "{cards} household card(s) changed together",
    ),
    "same_minute": (
        "kartu {card} di-tap sekali sehari pada {minute} pada {days} hari, tanpa tap lain",
        "card {card} tapped once a day at {minute} on {days} days, with no other tap",
    ),
    "other_rusun": (
        "sejak {since}, kartu {card} hanya di-tap di {where} pada {days} dari {active_days} "
        "hari aktifnya",
        "since {since}, card {card} tapped only at {where} on {days} of its {active_days} "
        "active days",
    ),
    "clone": (
        "kartu {card}: {records} catatan dengan petunjuk kloning sejak {since}",
        "card {card}: {records} record(s) with clone hints since {since}",
    ),
    "blocked_card": (
        "kartu {card} ({status}) di-tap pada {days} hari sejak {since}",
        "card {card} ({status}) tapped on {days} days since {since}",
    ),
    "unknown_card": (
        "kartu tak terdaftar di-tap pada {days} hari sejak {since}; pemiliknya tidak diketahui",
        "a card nobody registered tapped on {days} days since {since}; its holder is unknown",
    ),
}
assert set(_SENTENCES) == set(TEXT) == set(REASONS)
# Reasons the queue lists on the card rather than on its flat (the first queue's card subjects).
CARD_SUBJECT = ("same_minute", "other_rusun", "clone", "blocked_card", "unknown_card")


def threshold(code: str, p: Thresholds) -> int | None:
    """The number of days behind a reason (None where no single number says it)."""
    return {
        "not_seen": p.not_seen_days,
        "one_card_household": p.burst_days,
        "members_stopped": p.stopped_days,
        "same_minute": p.same_minute_days,
        "other_rusun": p.other_rusun_days,
        "unknown_card": p.unknown_days,
    }.get(code)


def title(code: str, p: Thresholds, lang: int) -> str:
    """One reason's short title (``lang`` 0: Bahasa Indonesia, 1: English) for period ``p``."""
    return TEXT[code][lang].format(n=threshold(code, p))


def titles(codes: list[str], p: Thresholds) -> str:
    """``"<id>; <id> / <en>; <en>"``: the reasons of one queue item in both languages."""
    parts = [[title(r, p, lang) for r in codes] for lang in (0, 1)]
    return f"{'; '.join(parts[0])} / {'; '.join(parts[1])}"


def explain(code: str, facts: dict[str, object]) -> tuple[str, str]:
    """The sentence for one fired rule (id, en)."""
    id_text, en_text = _SENTENCES[code]
    return id_text.format(**facts), en_text.format(**facts)


# What every explanation ends with, on screen and in the evidence pack.
EVIDENCE_NOT_PROOF = (
    "Tap adalah petunjuk, bukan bukti: hanya kunjungan lapangan yang memastikan siapa tinggal "
    "di unit ini.",
    "Taps are evidence, never proof: only a field visit tells who lives in this flat.",
)
