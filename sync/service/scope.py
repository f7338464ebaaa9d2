# scope: who may act on what: an admin of the target's rusun; answers that do not reveal others.
# SPDX-License-Identifier: MIT
"""Every change to the register, the cases and the visit lists goes through ``require``: the
user must be an admin whose rusun include the target's (``User.may_see``: a user bound to no
rusun sees all). A target out of the user's scope is ``Unknown`` exactly like one that does not
exist, so a scoped user learns nothing of another rusun's flats and residents. The CLI acts as
``OPERATOR`` (whoever runs it on the collector's machine already holds its database and master
key)."""

from __future__ import annotations

from sync.service.accounts import User
from sync.service.admin import AdminError


class Forbidden(AdminError):
    """The user may see the target but not change it (a viewer): 403."""


class AlreadyDone(AdminError):
    """What was asked is already so (a card already this person's): 409."""


class Unknown(AdminError):
    """No such target, or one outside the user's rusun: 404."""


OPERATOR = User("operator", "admin", ())


def visible(user: User, rusun: str, what: str) -> None:
    """``Unknown`` unless the user may see ``rusun``'s ``what``."""
    if not user.may_see(rusun):
        raise Unknown(f"tidak ditemukan / not found: {what}")


def require(user: User, rusun: str, what: str) -> None:
    """An admin whose scope holds ``rusun``; else ``Unknown`` (out of scope) or ``Forbidden``."""
    visible(user, rusun, what)
    if not user.is_admin:
        raise Forbidden("khusus admin / admin role required")
