# flags: the review of one rusun (the detector over its snapshot), cached; the flagged flats.
# SPDX-License-Identifier: MIT
"""``review(c, rusun_id, as_of)`` runs ``sync.review.detect`` over the rusun's snapshot
(``sync.service.snapshot``) and keeps the answer for ``CACHE_S`` seconds (a rusun's detection
reads every record of its period: a few hundred milliseconds to seconds). What the visit list
and the case work need of it:

- ``flagged_flats(c, rusun_id, as_of)``: the flats on the review queue with their reason codes
  and risk score (0..1, higher first); a card nobody registered names no flat and is not here;
- ``flat_evidence(c, unit_id, as_of)``: the evidence of one flat (flagged or not) and its items.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from typing import NamedTuple

from sync.review import detect, evidence, queue
from sync.review.model import FlatEvidence, Review, ReviewItem, Snapshot
from sync.service import quiet, snapshot
from sync.service.collector import Collector
from sync.store import register

CACHE_S = 120


class Reviewed(NamedTuple):
    snapshot: Snapshot
    review: Review


class Flagged(NamedTuple):
    unit_id: int
    key: str  # "<rusun id>/<unit>", the review's subject key
    reasons: list[str]
    score: float


_cache: weakref.WeakKeyDictionary[Collector, dict] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def review(c: Collector, rusun_id: int, as_of: dt.date) -> Reviewed:
    """The detector's review of the rusun as of the end of ``as_of``, at most ``CACHE_S`` old
    (by the process clock: a test's settable clock does not age it)."""
    key = (rusun_id, as_of)
    with _lock:
        hit = _cache.setdefault(c, {}).get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_S:
        return hit[1]
    with quiet.paused():
        snap = snapshot.build(c, rusun_id, as_of)
        found = Reviewed(snap, detect(snap, evidence=False))
    with _lock:
        _cache[c][key] = (time.monotonic(), found)
    return found


def forget(c: Collector) -> None:
    """Drop the cached reviews (after the register changed)."""
    with _lock:
        _cache.pop(c, None)


def flagged_flats(c: Collector, rusun_id: int, as_of: dt.date) -> list[Flagged]:
    """The rusun's flats on the review queue, highest score first."""
    found = review(c, rusun_id, as_of)
    with c.db.read() as tx:
        units = {f"{rusun_id}/{f.name}": f.id for f in register.flats(tx, [rusun_id])}
    return [
        Flagged(units[it.key], it.key, it.codes, it.score)
        for it in queue(found.review)
        if it.key in units
    ]


def flat_evidence(
    c: Collector, rusun_id: int, flat_key: str, as_of: dt.date
) -> tuple[FlatEvidence | None, list[ReviewItem], Snapshot]:
    """(evidence, the review's items for this flat, the snapshot) of one flat."""
    found = review(c, rusun_id, as_of)
    items = [it for it in found.review.items if it.subject == "flat" and it.key == flat_key]
    try:
        ev = evidence(found.snapshot, flat_key)
    except KeyError:
        ev = None
    return ev, items, found.snapshot
