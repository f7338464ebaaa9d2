# detector: the detector's one entry point: a per-rusun snapshot in, review items and evidence out.
# SPDX-License-Identifier: MIT
"""``detect(snapshot) -> Review``: every rule (``rules.RULES``) over the snapshot, one item
per flat with its reasons (card reasons are about the holder's flat) and one per card nobody
registered, each scored; ``Review.evidence`` holds the per-flat evidence of every flat with an
item (``evidence.flat_evidence`` gives any other flat's).

The score orders the visit list: ``1 - prod(1 - weight)`` over the item's reasons, a prior
for how often each rule alone points at the right door (``WEIGHTS``; to be replaced by each
rule's measured field precision once visits record outcomes). A pattern change and members
who stopped within a week of each other are one story told twice and weigh as one stronger
reason (``TOGETHER``). ``QUEUE_SCORE`` is what puts a flat on the review queue: one strong
reason, or two weak ones that agree.
"""

from __future__ import annotations

from sync.review import rules
from sync.review.evidence import flat_evidence
from sync.review.index import Index
from sync.review.model import Reason, Review, ReviewItem, Snapshot
from sync.review.texts import CARD_REASONS, explain

WEIGHTS = {
    "not_seen": 0.6,
    "one_card_household": 0.7,
    "members_stopped": 0.3,
    "pattern_change": 0.3,  # one card: as likely a new job as a new person
    "same_minute": 0.7,
    "other_rusun": 0.6,
    "clone": 0.8,
    "blocked_card": 0.6,
    "unknown_card": 0.2,
}
PATTERN_CHANGE_HOUSEHOLD = 0.6  # two or more household cards changed within a week
MEMBERS_STOPPED_TOGETHER = 0.6  # two or more members stopped within a week of each other
TOGETHER = 0.75  # pattern_change and members_stopped within a week of each other
TOGETHER_DAYS = 7
QUEUE_SCORE = 0.5


def _weight(code: str, reason: rules.Finding) -> float:
    if code == "pattern_change" and int(str(reason.facts.get("cards", 1))) >= 2:
        return PATTERN_CHANGE_HOUSEHOLD
    if code == "members_stopped" and int(str(reason.facts.get("together", 1))) >= 2:
        return MEMBERS_STOPPED_TOGETHER
    return WEIGHTS[code]


def score(found: dict[str, rules.Finding]) -> float:
    """The item's score in 0..1 (see the module docstring)."""
    weights = {code: _weight(code, f) for code, f in found.items()}
    pc, ms = found.get("pattern_change"), found.get("members_stopped")
    if pc is not None and ms is not None and pc.since is not None and ms.since is not None:
        if abs(pc.since - ms.since) <= TOGETHER_DAYS:
            del weights["members_stopped"]
            weights["pattern_change"] = max(TOGETHER, weights["pattern_change"])
    keep = 1.0
    for w in weights.values():
        keep *= 1.0 - w
    return round(1.0 - keep, 4)


def detect(snap: Snapshot, evidence: bool = True) -> Review:
    """Run every rule; items sorted by score (highest first), then key."""
    ix = Index(snap)
    p = snap.thresholds
    by_subject: dict[tuple[str, str], dict[str, rules.Finding]] = {}
    for code, rule in rules.RULES.items():
        subject = "card" if code in CARD_REASONS else "flat"
        for key, finding in rule(ix, p).items():
            by_subject.setdefault((subject, key), {})[code] = finding
    items = []
    for (subject, key), found in by_subject.items():
        reasons = tuple(
            Reason(
                code,
                f.card,
                None if f.since is None else ix.day(f.since),
                tuple(sorted(f.facts.items())),
                explain(code, f.facts),
            )
            for code, f in sorted(found.items())
        )
        items.append(ReviewItem(subject, key, snap.rusun, reasons, score(found)))
    items.sort(key=lambda it: (-it.score, it.subject != "flat", it.key))
    flats = {}
    if evidence:
        flats = {it.key: flat_evidence(ix, it.key) for it in items if it.subject == "flat"}
    return Review(snap.rusun, snap.first_day, snap.days, tuple(items), flats)


def queue(review: Review) -> list[ReviewItem]:
    """The flats on the review queue (score at least ``QUEUE_SCORE``), highest score first."""
    return [it for it in review.items if it.subject == "flat" and it.score >= QUEUE_SCORE]
