# review: the collector's one detector (possible subletting), pure code: plain data in and out.
# SPDX-License-Identifier: MIT
"""The detector of docs/detection.md: a per-rusun ``Snapshot`` (``sync.review.model``: the
tenant register's flats and members, cards, visitors, izin, holidays, thresholds and the dated
records) in, a ``Review`` out (items per flat with reasons and explanations, scores, per-flat
evidence). No I/O, no clock.

    review = detect(snapshot)            # Review(rusun, first_day, days, items, evidence)
    flats = queue(review)                # the flats on the review queue, highest score first
    ev = evidence(snapshot, flat_key)    # FlatEvidence of any flat (the flat page)

``review_queue(records, registry, start, days, params)`` answers the first queue's call (records
and registry dicts in, ``[{"unit" | "card": id, "reasons": [...]}]`` out) with this detector,
for the collector's report and dashboard until they build a ``Snapshot`` (``sync.review.legacy``).
"""

from sync.review.detector import QUEUE_SCORE, detect, queue
from sync.review.evidence import evidence
from sync.review.legacy import TEXT, Params, explain, review_queue, threshold
from sync.review.texts import CARD_REASONS, EVIDENCE_NOT_PROOF, FLAT_REASONS, REASONS

__all__ = [
    "CARD_REASONS",
    "EVIDENCE_NOT_PROOF",
    "FLAT_REASONS",
    "QUEUE_SCORE",
    "REASONS",
    "TEXT",
    "Params",
    "detect",
    "evidence",
    "explain",
    "queue",
    "review_queue",
    "threshold",
]
