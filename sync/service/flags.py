# flags: the flats the review flags now in one rusun, with their reasons and risk score.
# SPDX-License-Identifier: MIT
"""What the visit list and the case work need of the review: per flagged flat its reasons and a
risk score in 0..1 (higher: visit first). Card reasons count for the card holder's flat; a card
nobody registered names no flat and is not here (the review page lists it)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sync.service import reports
from sync.service.collector import Collector
from sync.store import register

REVIEW_DAYS = 14


class Flagged(NamedTuple):
    unit_id: int
    key: str  # "<rusun id>/<unit>", the review's subject key
    reasons: list[str]
    score: float


def flagged_flats(c: Collector, rusun_id: int, as_of: dt.date) -> list[Flagged]:
    """The rusun's flagged flats, highest score first."""
    rows, _params = reports.review_items(c, as_of, REVIEW_DAYS)
    with c.db.read() as tx:
        units = {f.name: f.id for f in register.flats(tx, [rusun_id])}
    reasons: dict[str, set[str]] = {}
    for row in rows:
        if row["rusun_id"] != rusun_id or row["unit"] is None:
            continue
        reasons.setdefault(row["unit"], set()).update(row["reasons"])
    out = [
        Flagged(units[u], f"{rusun_id}/{u}", sorted(rs), min(1.0, len(rs) / 3))
        for u, rs in reasons.items()
        if u in units
    ]
    out.sort(key=lambda f: (-f.score, f.key))
    return out
