# retention: how long each kind of data is kept, and the purge that enforces it (with a report).
# SPDX-License-Identifier: MIT
"""``purge(c, who, dry_run)`` removes, in one transaction, every row past its kind's retention
(``KINDS``: defaults below, changed with ``set_days``), except what an open case keeps as
evidence; tap records past theirs are first counted into ``flat_days`` (taps per flat and day:
the pseudonymised form the long-term reports keep). It returns the purge report (per kind: the
retention, the cut-off, rows removed or, dry, that would be, rows kept for an open case), stores
it in ``purge_runs`` and writes one access-audit row. A journal folder (``sync.service.journal``)
loses its files older than the journal's retention. docs/privacy.md explains each figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.service import audit
from sync.service.admin import AdminError
from sync.service.collector import Collector
from sync.store import audit as audit_rows
from sync.store import retention
from sync.store.db import Tx

DAY = 86400


@dataclass(frozen=True)
class Kind:
    days: int  # default retention
    least: int  # no shorter: the purpose needs it (docs/privacy.md)
    purge: Callable[[Tx, int, bool], tuple[int, int]]
    what: str


KINDS: dict[str, Kind] = {
    "records": Kind(183, 60, retention.purge_records,
                    "tap records by card (person); then counted into flat_days"),
    "flat_days": Kind(3 * 365, 0, retention.purge_flat_days, "taps per flat and day (no person)"),
    "health": Kind(90, 7, retention.purge_health, "terminal health snapshots"),
    "alerts": Kind(365, 30, retention.purge_alerts, "security and operations alerts"),
    "gaps": Kind(365, 30, retention.purge_gaps, "filled sequence gaps"),
    "blocks": Kind(183, 60, retention.purge_blocks,
                   "the seal chain's blocks (MACs, no person); each terminal's head kept"),
    "forks": Kind(365, 30, retention.purge_forks, "blocks of a copied key's chain (evidence)"),
    "review_marks": Kind(2 * 365, 42, retention.purge_review_marks, "review queue marks"),
    "cases": Kind(5 * 365, 30, retention.purge_cases,
                  "closed cases with their steps, files and visits"),
    "access_audit": Kind(5 * 365, 365, retention.purge_audit, "the access audit"),
    "journal": Kind(35, 2, lambda tx, cut, dry: (0, 0), "acknowledged-batch journal files"),
}  # fmt: skip


def days(c: Collector) -> dict[str, int]:
    with c.db.read() as tx:
        stored = retention.rules(tx)
    return {k: stored.get(k, kind.days) for k, kind in KINDS.items()}


def set_days(c: Collector, who: audit.Who, kind: str, n: int) -> None:
    if kind not in KINDS:
        raise AdminError(f"jenis data tidak dikenal / unknown data kind: {kind} "
                         f"(one of {', '.join(KINDS)})")  # fmt: skip
    if n < KINDS[kind].least:
        raise AdminError(f"{kind}: minimal {KINDS[kind].least} hari / at least "
                         f"{KINDS[kind].least} days (the purpose needs them)")  # fmt: skip
    with c.db.write() as tx:
        retention.set_rule(tx, kind, n, who.user, c.now())
        audit_rows.append(tx, at=c.now(), user=who.user, via=who.via, peer=who.peer,
                          action="retention.set", target=kind, detail={"days": n})  # fmt: skip


def purge(c: Collector, who: audit.Who, dry_run: bool = False) -> dict[str, Any]:
    now = c.now()
    keep = days(c)
    report: dict[str, Any] = {"at": now, "dry_run": dry_run, "kinds": {}}
    with c.db.write() as tx:
        for name, kind in KINDS.items():
            cut = now - keep[name] * DAY
            if name == "journal":
                removed = _journal(c, cut, dry_run)
                kept = 0
            else:
                removed, kept = kind.purge(tx, cut, dry_run)
            report["kinds"][name] = {"days": keep[name], "before": cut, "removed": removed,
                                     "kept_for_open_case": kept}  # fmt: skip
        removed, _ = retention.purge_sessions(tx, now, dry_run)
        report["kinds"]["expired_sessions"] = {"days": 0, "before": now, "removed": removed,
                                               "kept_for_open_case": 0}  # fmt: skip
        text = json.dumps(report, sort_keys=True)
        retention.add_run(tx, now, who.user, dry_run, text)
        counts = {k: v["removed"] for k, v in report["kinds"].items()}
        audit_rows.append(tx, at=now, user=who.user, via=who.via, peer=who.peer,
                          action="purge" + (" --dry-run" if dry_run else ""),
                          detail=counts)  # fmt: skip
    return report


def _journal(c: Collector, cut: int, dry: bool) -> int:
    if c.journal is None:
        return 0
    return c.journal.prune(cut, dry)


def runs(c: Collector, limit: int = 20) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        return retention.runs(tx, limit)
