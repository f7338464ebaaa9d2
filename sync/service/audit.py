# audit: the access audit: record who viewed, exported or changed what; query it (supervisors).
# SPDX-License-Identifier: MIT
"""Every request of the admin API, every dashboard page that shows a person (a resident, a flat's
household, a case, its files) or sends a file out, every dashboard form and every command of the
command line that changes or exports something writes one ``access_audit`` row: who, when, what,
from where (docs/privacy.md, "Accountability").

    record(c, Who("kepala", "api", "10.0.0.5"), "view", "GET /api/residents", "rusun=Marunda")
    rows = query(c, user, since=…)         # supervisors (and admins of every rusun) only

Work that comes through no request (a scheduled purge) records itself with ``via`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync.service import reports
from sync.service.admin import Forbidden
from sync.service.collector import Collector
from sync.store import audit


@dataclass(frozen=True)
class Who:
    user: str
    via: str  # api, dashboard, cli, …
    peer: str = ""


def record(
    c: Collector,
    who: Who,
    kind: str,
    action: str,
    target: str = "",
    rusun_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One row in its own transaction (the audited read has none of its own to join)."""
    with c.db.write() as tx:
        audit.append(tx, at=c.now(), user=who.user, via=who.via, peer=who.peer, kind=kind,
                     action=action, target=target, rusun_id=rusun_id, detail=detail)  # fmt: skip


def may_read(user: Any) -> bool:
    """Supervisors, and admins bound to no rusun (the operator's peers)."""
    return user.role == "supervisor" or (user.role == "admin" and user.scope.everything)


def query(
    c: Collector,
    user: Any,
    since: int | None = None,
    until: int | None = None,
    who: str | None = None,
    kind: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    if not may_read(user):
        raise Forbidden("khusus pengawas / supervisor role required")
    with c.db.read() as tx:
        return audit.rows(tx, since=since, until=until, user=who, kind=kind,
                          rusun_ids=user.scope.ids(), limit=limit)  # fmt: skip


def to_csv(rows: list[dict[str, Any]]) -> str:
    return reports.to_csv(rows, list(audit.COLUMNS))


def classify(method: str, path: str, query: str) -> str:
    """view, export or change for an HTTP request of the admin API or the dashboard."""
    if method not in ("GET", "HEAD"):
        return "change" if "/exports/" not in path else "export"
    if "format=csv" in query or path.endswith((".pdf", "/pdf", ".html", ".csv")) \
            or "/files/" in path or "/file/" in path or "format=pdf" in query:  # fmt: skip
        return "export"
    return "view"
