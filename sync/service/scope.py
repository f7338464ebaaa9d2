# scope: the rusun a request may read or change, checked by every service function that does.
# SPDX-License-Identifier: MIT
"""A ``Scope`` is the set of rusun ids a user may act on (``None``: every rusun). Each service
function that reads or changes one rusun's data takes it as the keyword ``scope=`` and checks the
target's rusun itself, so the admin API, the dashboard and the command line get the same rule:

    admin.revoke_terminal(c, tid, scope=user.scope)    # a terminal of another rusun: "unknown"
    admin.add_terminal(c, "Marunda", 1, scope=OPERATOR)

``OPERATOR`` is the scope of the command line (whoever runs it holds the database and the master
key) and of an admin bound to no rusun. A target outside the scope is answered exactly as one
that does not exist, so a scoped user learns nothing of another rusun's residents, cards or
terminals (docs/security.md, "Scoped admin").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    rusun_ids: frozenset[int] | None  # None: every rusun

    @classmethod
    def of(cls, ids: Iterable[int]) -> Scope:
        return cls(frozenset(int(i) for i in ids))

    @property
    def everything(self) -> bool:
        return self.rusun_ids is None

    def allows(self, rusun_id: int | None) -> bool:
        return self.rusun_ids is None or (rusun_id is not None and rusun_id in self.rusun_ids)

    def ids(self) -> list[int] | None:
        """The rusun ids as a sorted list for a query filter (None: no filter)."""
        return None if self.rusun_ids is None else sorted(self.rusun_ids)


OPERATOR = Scope(None)
