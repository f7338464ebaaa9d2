# lifecycle: dated changes to the register: lost and replaced cards, move-outs, deaths, flats
# vacated, sealed and re-let, new members, regular visitors and carers.
# SPDX-License-Identifier: MIT
"""Each function is one transaction of a ``Collector``, done for a ``User`` (``accounts.require``:
an admin of the target's rusun) and recorded in the register's audit trail
(``register_events``) with the date it took effect (``day``: a local date, today by default)
and who recorded it.

A card that stops being valid (lost, or its holder left) leaves the rusun's allow-list at once:
the allow-list version is bumped, so each terminal fetches the new list at its next sync and
from then on refuses the card (a DENIED record); a tap with it after that date, at any rusun,
is evidence on the flat page and for the review. A person who left is not expected to tap
after the date of leaving (the review's snapshot, ``sync.service.snapshot``).

    card_lost(c, user, card_id, day)                  # blocked; the holder keeps the flat
    enrol_card(c, user, "P00042", uid, replaces=17)   # the replacement, linked to the lost one
    move_out(c, user, "P00042", day); deceased(c, user, "P00043", day)
    vacate(c, user, unit_id, day); seal(c, user, unit_id, day); relet(c, user, unit_id, day)
"""

from __future__ import annotations

import datetime as dt

from sync.service import days
from sync.service.accounts import User, require
from sync.service.admin import AdminError, AlreadyDone, ImportReport, Unknown, _Import, parse_uid
from sync.service.collector import Collector
from sync.service.scope import Scope
from sync.store import register, register_events, residents
from sync.store.db import Tx
from sync.store.register import Person

VISITOR_KINDS = ("visitor", "carer")


def _day(c: Collector, day: dt.date | None) -> int:
    at = days.start_of(day) if day is not None else days.start_of(days.today(c))
    if at > c.now():
        raise AdminError("tanggal di masa depan / date in the future")
    return at


def _person(tx: Tx, user: User, resident_id: str) -> Person:
    p = register.person(tx, resident_id)
    if p is None:
        raise Unknown(f"tidak ditemukan / not found: {resident_id}")
    require(user, residents.rusun_name(tx, p.rusun_id), resident_id)
    return p


def _flat(tx: Tx, user: User, unit_id: int) -> register.Flat:
    f = register.flat(tx, unit_id)
    if f is None:
        raise Unknown(f"tidak ditemukan / not found: flat {unit_id}")
    require(user, residents.rusun_name(tx, f.rusun_id), f.name)
    return f


def _note(note: str) -> str:
    return note.strip()[:500]


def _revoke_cards(
    tx: Tx, c: Collector, user: User, p: Person, status: str, at: int, why: str
) -> None:
    """Every active card of ``p`` leaves the allow-list from ``at``."""
    changed = False
    for card in register.cards_of_person(tx, p.resident_id):
        if card.status == "active":
            # A card cannot end before it began (a move-out recorded after a later enrolment).
            card_at = max(at, days.start_of(days.date_of(card.enrolled_at)))
            register.set_card_status(tx, card.id, status, card_at)
            register_events.add(
                tx,
                card_at,
                "card_" + status,
                p.rusun_id,
                p.unit_id,
                p.resident_id,
                card.id,
                why,
                user.name,
                c.now(),
            )
            changed = True
    if changed:
        residents.bump_allowlist(tx, p.rusun_id)


# --- cards ---------------------------------------------------------------------------------------


def card_lost(
    c: Collector, user: User, card_id: int, day: dt.date | None = None, note: str = ""
) -> None:
    """The card is blocked (lost or stolen): refused at the door after the next allow-list
    sync; its holder keeps their place and may get a replacement (``enrol_card``)."""
    with c.db.write() as tx:
        card = register.card(tx, card_id)
        if card is None:
            raise Unknown(f"tidak ditemukan / not found: K-{card_id}")
        require(user, residents.rusun_name(tx, card.rusun_id), f"K-{card_id}")
        if card.status != "active":
            raise AdminError(f"kartu K-{card_id} tidak aktif ({card.status}) / card is not active")
        at = _day(c, day)
        if at < days.start_of(days.date_of(card.enrolled_at)):
            raise AdminError(
                "tanggal sebelum kartu didaftarkan / date before the card was enrolled"
            )
        register.set_card_status(tx, card_id, "lost", at)
        residents.bump_allowlist(tx, card.rusun_id)
        register_events.add(
            tx,
            at,
            "card_lost",
            card.rusun_id,
            card.unit_id,
            card.resident_id,
            card_id,
            _note(note),
            user.name,
            c.now(),
        )


def enrol_card(
    c: Collector,
    user: User,
    resident_id: str,
    uid_text: str,
    atqa: str = "",
    sak: str = "",
    ats: str = "",
    replaces: int | None = None,
) -> int:
    """A card for a registered, active person (the enrollment desk, a replacement): the
    residents import's rules apply (random UID, a card of someone else, a token collision).
    ``replaces``: the lost card it takes the place of (it must be that person's and no longer
    active). Returns the new card's id."""
    uid = parse_uid(uid_text)
    with c.db.write() as tx:
        p = _person(tx, user, resident_id)
        if p.status != "active":
            raise AdminError(
                "penghuni sudah pindah atau meninggal / resident moved out or deceased"
            )
        if replaces is not None:
            old = register.card(tx, replaces)
            if old is None or old.resident_id != resident_id:
                raise AdminError(
                    f"K-{replaces} bukan kartu {resident_id} / not a card of {resident_id}"
                )
            if old.status == "active":
                raise AdminError(
                    f"K-{replaces} masih aktif: laporkan hilang dulu / still "
                    "active: report it lost first"
                )
        flat = register.flat(tx, p.unit_id)
        assert flat is not None
        report = ImportReport()
        state = _Import(c, tx, c.now(), report, Scope.of([flat.rusun_id]), user.name)
        state.row(
            {
                "resident_id": p.resident_id,
                "name": p.name,
                "unit": flat.name,
                "rusun": residents.rusun_name(tx, p.rusun_id),
                "card_uid": uid.hex(),
                "atqa": atqa,
                "sak": sak,
                "ats": ats,
            }
        )
        state.finish()
        card_id = residents.card_id_by_hash(tx, c.vault.uid_hash(uid))
        assert card_id is not None
        if report.cards == 0:
            raise AlreadyDone(
                f"kartu sudah terdaftar untuk {resident_id} (K-{card_id}) / card "
                f"already enrolled to {resident_id}"
            )
        if replaces is not None:
            register.set_card_replaces(tx, card_id, replaces)
            register_events.add(
                tx,
                c.now(),
                "card_replaced",
                p.rusun_id,
                p.unit_id,
                resident_id,
                card_id,
                f"K-{replaces}",
                user.name,
                c.now(),
            )
        return card_id


# --- people --------------------------------------------------------------------------------------


def _leave(
    c: Collector, user: User, resident_id: str, status: str, day: dt.date | None, note: str
) -> None:
    with c.db.write() as tx:
        p = _person(tx, user, resident_id)
        if p.status != "active":
            raise AdminError(f"{resident_id} sudah tercatat {p.status} / already {p.status}")
        at = _day(c, day)
        register.set_person_status(tx, resident_id, status, at)
        register_events.add(
            tx,
            at,
            status,
            p.rusun_id,
            p.unit_id,
            resident_id,
            None,
            _note(note),
            user.name,
            c.now(),
        )
        _revoke_cards(tx, c, user, p, "revoked", at, status)


def move_out(
    c: Collector, user: User, resident_id: str, day: dt.date | None = None, note: str = ""
) -> None:
    """The person left the flat (and the rusun) on ``day``: no longer expected there; their
    cards leave the allow-list. A visitor or carer whose visits end leaves the same way."""
    _leave(c, user, resident_id, "moved_out", day, note)


def deceased(
    c: Collector, user: User, resident_id: str, day: dt.date | None = None, note: str = ""
) -> None:
    _leave(c, user, resident_id, "deceased", day, note)


def add_person(
    c: Collector,
    user: User,
    unit_id: int,
    name: str,
    kind: str = "member",
    resident_id: str | None = None,
    relation: str = "",
    lease_holder: bool = False,
    day: dt.date | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
) -> str:
    """A new household member of an occupied flat (a birth, someone moving in: ``resident_id``
    is the office's id), or a regular visitor or carer of the flat (``kind``; id ``V-<n>``,
    optionally until ``valid_until``): their cards are known, never "unknown". Returns the id."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AdminError("nama wajib (maks. 100) / name required (max. 100)")
    if kind not in ("member", *VISITOR_KINDS):
        raise AdminError("jenis: member, visitor, carer / kind: member, visitor, carer")
    with c.db.write() as tx:
        f = _flat(tx, user, unit_id)
        if f.status != "occupied":
            raise AdminError(f"{f.name} tidak berpenghuni ({f.status}) / flat is not occupied")
        at = _day(c, day)
        if kind == "member":
            if not resident_id or register.person(tx, resident_id) is not None:
                raise AdminError("id_penghuni wajib dan baru / a new resident_id is required")
        else:
            resident_id = f"V-{register.next_visitor_number(tx)}"
            lease_holder = False
        until = days.start_of(valid_until) if valid_until is not None else None
        register.insert_people(
            tx,
            [
                (
                    resident_id,
                    name,
                    unit_id,
                    f.rusun_id,
                    at,
                    kind,
                    relation,
                    int(lease_holder),
                    until,
                )
            ],
        )
        register_events.add(
            tx,
            at,
            "registered" if kind == "member" else kind + "_added",
            f.rusun_id,
            unit_id,
            resident_id,
            None,
            _note(note) or name,
            user.name,
            c.now(),
        )
    return resident_id


# --- flats ---------------------------------------------------------------------------------------


def _empty(
    c: Collector, user: User, unit_id: int, status: str, day: dt.date | None, note: str
) -> None:
    with c.db.write() as tx:
        empty_in(tx, c, user, unit_id, status, _day(c, day), note)


def empty_in(
    tx: Tx, c: Collector, user: User, unit_id: int, status: str, at: int, note: str
) -> None:
    """The flat becomes ``status`` (vacant or sealed) from ``at``, in the caller's transaction
    (a case that ends sealed or vacated): everyone still registered there moves out and their
    cards leave the allow-list."""
    f = _flat(tx, user, unit_id)
    if f.status == status:
        raise AdminError(f"{f.name} sudah {status} / already {status}")
    for p in register.people_of_flat(tx, unit_id):
        if p.status == "active":
            register.set_person_status(tx, p.resident_id, "moved_out", at)
            register_events.add(
                tx,
                at,
                "moved_out",
                f.rusun_id,
                unit_id,
                p.resident_id,
                None,
                "flat_" + status,
                user.name,
                c.now(),
            )
            _revoke_cards(tx, c, user, p, "revoked", at, "flat_" + status)
    register.set_flat_status(tx, unit_id, status, at)
    register_events.add(
        tx, at, "flat_" + status, f.rusun_id, unit_id, None, None, _note(note), user.name, c.now()
    )


def vacate(
    c: Collector, user: User, unit_id: int, day: dt.date | None = None, note: str = ""
) -> None:
    """The flat is empty from ``day``: everyone still registered there moved out, their cards
    leave the allow-list."""
    _empty(c, user, unit_id, "vacant", day, note)


def seal(
    c: Collector, user: User, unit_id: int, day: dt.date | None = None, note: str = ""
) -> None:
    """The flat is sealed (disegel) by the office, the last step of a case: like ``vacate``."""
    _empty(c, user, unit_id, "sealed", day, note)


def relet(
    c: Collector,
    user: User,
    unit_id: int,
    day: dt.date | None = None,
    lease_no: str = "",
    note: str = "",
) -> None:
    """A vacant or sealed flat let again from ``day`` (its new household: ``add_person`` or a
    register import). The flat's history before ``day`` is not the new household's."""
    with c.db.write() as tx:
        f = _flat(tx, user, unit_id)
        if f.status == "occupied":
            raise AdminError(f"{f.name} masih berpenghuni / flat is still occupied")
        at = _day(c, day)
        register.relet_flat(tx, unit_id, at, lease_no.strip()[:60])
        register_events.add(
            tx,
            at,
            "flat_relet",
            f.rusun_id,
            unit_id,
            None,
            None,
            _note(note) or lease_no,
            user.name,
            c.now(),
        )
