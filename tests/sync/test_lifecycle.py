# Lifecycle: a lost card refused after the next allow-list sync, a replacement, move-outs and
# deaths, flats vacated and re-let; dated, audited, scoped; reflected in the detector's snapshot.
# SPDX-License-Identifier: MIT
import datetime as dt

import pytest

from firmware import wire
from sync.review.model import Dated, status_on
from sync.service import admin, lifecycle, snapshot
from sync.service.admin import Forbidden, Unknown
from sync.service.scope import OPERATOR
from sync.store import register as store
from sync.store import register_events
from tests.kit import register as kit
from tests.kit.collector_calls import kc, post
from tests.kit.collector_calls import register as paper_terminal

UID_1, UID_2, UID_3 = "04A1B2C3D4E5F6", "9A8B7C6D", "04112233445566"
TODAY = dt.date(2026, 12, 11)  # the FakeClock's day (1_797_000_000 is 2026-12-11 21:40 WIB)


def _allowlist(client, term):
    data = post(client, term.batch(), "/v1/allowlist").content
    version, _tid, count = wire.allowlist_header(kc(term), data)
    return version, {int.from_bytes(data[16 + 6 * i : 20 + 6 * i], "big") for i in range(count)}


def _tokens(c):
    return {row["id"]: int(row["token"], 16) for row in admin.list_cards(c, scope=OPERATOR)}


def _flat(c, name):
    with c.db.read() as tx:
        return next(f for f in store.flats(tx) if f.name == name)


def test_a_lost_card_leaves_the_next_allow_list_and_its_replacement_joins(
    collector, client, clock
):
    kit.load(collector)
    term = paper_terminal(collector)
    clock.now -= 20 * 86400  # enrolled on 21 November
    old = lifecycle.enrol_card(collector, kit.ADMIN, "P1", UID_1)
    clock.now += 20 * 86400
    with pytest.raises(admin.AdminError, match="before the card was enrolled"):
        lifecycle.card_lost(collector, kit.ADMIN, old, dt.date(2026, 11, 20))
    version, tokens = _allowlist(client, term)
    assert _tokens(collector)[old] in tokens
    with pytest.raises(admin.AdminError, match="still active"):
        lifecycle.enrol_card(collector, kit.ADMIN, "P1", UID_2, replaces=old)
    lifecycle.card_lost(collector, kit.ADMIN, old, dt.date(2026, 12, 1), "hilang di pasar")
    later, tokens = _allowlist(client, term)
    assert later > version and _tokens(collector)[old] not in tokens  # refused at the door now
    with pytest.raises(admin.AdminError, match="not a card of P1"):
        lifecycle.enrol_card(
            collector,
            kit.ADMIN,
            "P1",
            UID_2,
            replaces=lifecycle.enrol_card(collector, kit.ADMIN, "P2", UID_3),
        )
    new = lifecycle.enrol_card(collector, kit.ADMIN, "P1", UID_2, replaces=old)
    _v, tokens = _allowlist(client, term)
    assert _tokens(collector)[new] in tokens and _tokens(collector)[old] not in tokens
    snap = snapshot.build(collector, _flat(collector, "MRD-A101").rusun_id, TODAY, 30)
    cards = {k.card: k.statuses for k in snap.cards}
    assert status_on(cards[str(old)], dt.date(2026, 11, 30)) == "active"
    assert status_on(cards[str(old)], dt.date(2026, 12, 1)) == "blocked"
    assert status_on(cards[str(old)], TODAY) == "replaced"
    assert status_on(cards[str(new)], TODAY) == "active"
    kinds = [e.kind for e in _events(collector, "MRD-A101") if e.resident_id == "P1"]
    assert kinds.count("card_enrolled") == 2 and "card_lost" in kinds
    assert "card_replaced" in kinds


def _events(c, flat):
    with c.db.read() as tx:
        return register_events.of_flat(tx, _flat(c, flat).id)


def test_people_who_left_are_not_expected_and_their_cards_are_refused(collector, client):
    kit.load(collector)
    term = paper_terminal(collector)
    card = lifecycle.enrol_card(collector, kit.ADMIN, "P2", UID_1)
    lifecycle.move_out(collector, kit.ADMIN, "P2", dt.date(2026, 11, 2), "pindah ke Bekasi")
    lifecycle.deceased(collector, kit.ADMIN, "P3", dt.date(2026, 11, 10))
    _v, tokens = _allowlist(client, term)
    assert _tokens(collector)[card] not in tokens
    snap = snapshot.build(collector, _flat(collector, "MRD-A101").rusun_id, TODAY, 40)
    members = {m.resident_id: m.statuses for f in snap.flats for m in f.members}
    assert status_on(members["P2"], dt.date(2026, 11, 1)) == "active"
    assert status_on(members["P2"], dt.date(2026, 11, 2)) == "moved_out"
    assert status_on(members["P3"], TODAY) == "deceased"
    assert status_on({k.card: k.statuses for k in snap.cards}[str(card)], TODAY) == "returned"
    moved = [e for e in _events(collector, "MRD-A101") if e.kind == "moved_out"]
    assert moved[0].resident_id == "P2" and moved[0].detail == "pindah ke Bekasi"
    assert moved[0].user_name == "kepala" and moved[0].created_at > moved[0].at  # dated earlier
    with pytest.raises(admin.AdminError, match="moved out or deceased"):
        lifecycle.enrol_card(collector, kit.ADMIN, "P2", UID_2)
    with pytest.raises(admin.AdminError, match="already"):
        lifecycle.move_out(collector, kit.ADMIN, "P2")


def test_a_flat_vacated_then_relet_starts_a_new_history(collector):
    kit.load(collector)
    lifecycle.enrol_card(collector, kit.ADMIN, "P4", UID_1)
    a102 = _flat(collector, "MRD-A102")
    lifecycle.vacate(collector, kit.ADMIN, a102.id, dt.date(2026, 11, 5))
    assert _flat(collector, "MRD-A102").status == "vacant"
    with pytest.raises(admin.AdminError, match="not occupied"):
        lifecycle.add_person(collector, kit.ADMIN, a102.id, "Yusuf", resident_id="P9")
    lifecycle.relet(collector, kit.ADMIN, a102.id, dt.date(2026, 11, 20), "SPS-999")
    lifecycle.add_person(
        collector,
        kit.ADMIN,
        a102.id,
        "Yusuf",
        resident_id="P9",
        relation="head",
        lease_holder=True,
        day=dt.date(2026, 11, 20),
    )
    snap = snapshot.build(collector, a102.rusun_id, TODAY, 60)
    flat = next(f for f in snap.flats if f.name == "MRD-A102")
    assert [d.status for d in flat.statuses] == ["occupied", "vacant", "occupied"]
    assert flat.statuses[1:] == (
        Dated(dt.date(2026, 11, 5), "vacant"),
        Dated(dt.date(2026, 11, 20), "occupied"),
    )
    members = {m.resident_id: m for m in flat.members}
    assert status_on(members["P4"].statuses, TODAY) == "moved_out"
    assert status_on(members["P9"].statuses, TODAY) == "active" and members["P9"].lease_holder
    kinds = [e.kind for e in _events(collector, "MRD-A102")]
    assert kinds.index("flat_vacant") < kinds.index("flat_relet")
    assert "card_revoked" in kinds


def test_visitors_and_carers_are_known_but_not_household(collector):
    kit.load(collector)
    flat = _flat(collector, "MRD-A101")
    vid = lifecycle.add_person(
        collector, kit.ADMIN, flat.id, "Bu Rini", kind="carer", valid_until=dt.date(2027, 6, 30)
    )
    assert vid == "V-1"
    card = lifecycle.enrol_card(collector, kit.ADMIN, vid, UID_1)
    snap = snapshot.build(collector, flat.rusun_id, TODAY, 30)
    (visitor,) = snap.visitors
    assert (visitor.flat, visitor.kind, visitor.cards, visitor.last) == (
        f"{flat.rusun_id}/MRD-A101",
        "carer",
        (str(card),),
        dt.date(2027, 6, 30),
    )
    assert str(card) not in {k.card for k in snap.cards}
    assert "V-1" not in {m.resident_id for f in snap.flats for m in f.members}


def test_changes_are_scoped_dated_and_refused_in_the_future(collector):
    kit.load(collector)
    a101 = _flat(collector, "MRD-A101")
    with pytest.raises(Unknown):  # out of scope answers like a missing resident
        lifecycle.move_out(collector, kit.PULO_ADMIN, "P1")
    with pytest.raises(Unknown):
        lifecycle.move_out(collector, kit.PULO_ADMIN, "P404")
    with pytest.raises(Forbidden):
        lifecycle.vacate(collector, kit.VIEWER, a101.id)
    with pytest.raises(admin.AdminError, match="future"):
        lifecycle.move_out(collector, kit.MARUNDA_ADMIN, "P1", dt.date(2027, 1, 1))
    lifecycle.move_out(collector, kit.MARUNDA_ADMIN, "P1")
    moved = [e for e in _events(collector, "MRD-A101") if e.kind == "moved_out"]
    assert [(e.resident_id, e.user_name) for e in moved] == [("P1", "pengelola-mrd")]
