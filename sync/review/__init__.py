# review: the collector's one detector (possible subletting), pure code: plain data in and out.
# SPDX-License-Identifier: MIT
"""The detector of docs/detection.md: a per-rusun ``Snapshot`` (``sync.review.model``: the
tenant register's flats and members, cards, visitors, izin, holidays, thresholds and the dated
records) in, a ``Review`` out (items per flat with reasons and explanations, scores, per-flat
evidence). No I/O, no clock.

    review = detect(snapshot)            # Review(rusun, first_day, days, items, evidence)
    flats = queue(review)                # the flats on the review queue, highest score first
    ev = evidence(snapshot, flat_key)    # FlatEvidence of any flat (the flat page)

``TEXT`` (``sync.review.texts``) is the one wording of each reason, for every list that shows
one (dashboard, reports, exports, the fleet demo); ``titles(codes, params)`` joins them.
"""

from sync.review.detector import QUEUE_SCORE, detect, queue
from sync.review.evidence import evidence
from sync.review.model import Thresholds as Params
from sync.review.texts import (
    CARD_REASONS,
    CARD_SUBJECT,
    EVIDENCE_NOT_PROOF,
    FLAT_REASONS,
    REASONS,
    TEXT,
    threshold,
    title,
    titles,
)

__all__ = [
    "CARD_REASONS",
    "CARD_SUBJECT",
    "EVIDENCE_NOT_PROOF",
    "FLAT_REASONS",
    "QUEUE_SCORE",
    "REASONS",
    "TEXT",
    "Params",
    "detect",
    "evidence",
    "queue",
    "threshold",
    "title",
    "titles",
]
