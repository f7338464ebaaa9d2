# The dashboard's service on both databases: SQLite and a real PostgreSQL, seeded the same way.
# SPDX-License-Identifier: MIT
import pytest

from sync.app import create_app
from sync.service import dashboard
from sync.settings import Settings
from tests.kit import seed


@pytest.fixture
def seeded(db_url):
    clock = seed.Clock(seed.NOW)
    app = create_app(Settings(db=db_url, master_key=bytes(range(32)), clock=clock))
    c = app.state.collector
    planted = seed.seed(c, clock)
    yield c, planted
    c.db.close()


def _reasons(items):
    return {(it["kind"], it.get("subject") or it.get("resident_id") or "unknown"): it["reasons"]
            for it in items}  # fmt: skip


def test_review_queue_finds_each_planted_case_and_nothing_else(seeded):
    c, s = seeded
    items, params, (t0, t1) = dashboard.review_queue(c, seed.NOW, None)
    assert params.not_seen_days == 14
    assert t1 - t0 == dashboard.REVIEW_DAYS * 86400 - 1  # the review's period (42 days)
    assert _reasons(items) == {
        ("unit", "MRD-A104"): ["not_seen"],
        ("unit", "MRD-B201"): ["one_card_household"],
        ("card", s.planted["other_rusun"]): ["other_rusun"],
        ("card", s.planted["clone"]): ["clone"],
        ("card", s.planted["same_minute"]): ["same_minute"],
        ("card", "unknown"): ["unknown_card"],
    }
    unknown = next(it for it in items if it["resident_id"] is None)
    assert unknown["rusun"] == "Pulo Gebang" and unknown["card_label"].startswith("token ")


def test_marks_are_an_append_only_trail_and_a_new_reason_reopens(seeded):
    c, _s = seeded
    dashboard.mark_reviewed(
        c, "unit", "1/MRD-A104", "not_seen,bogus", "  kosong  ", "admin", seed.NOW
    )
    dashboard.mark_reviewed(c, "unit", "1/MRD-B201", "not_seen", "salah alasan", "admin", seed.NOW)
    items, _p, _period = dashboard.review_queue(c, seed.NOW, None)
    a104 = next(it for it in items if it["key"] == "1/MRD-A104")
    b201 = next(it for it in items if it["key"] == "1/MRD-B201")
    assert a104["mark"]["note"] == "kosong" and a104["mark"]["reasons"] == "not_seen"
    # B201's mark was for another reason than the one it is flagged for: still open.
    assert b201["mark"] is None and len(b201["trail"]) == 1
    # Reviewed: among the reviewed, last when sorted by status; in place otherwise.
    assert [it["key"] for it in dashboard.review_filter(items, status="done")] == ["1/MRD-A104"]
    assert dashboard.review_filter(items, sort="status")[-1]["key"] == "1/MRD-A104"
    assert "1/MRD-B201" in [it["key"] for it in dashboard.review_filter(items, status="open")]
    with pytest.raises(dashboard.NotFound):
        dashboard.mark_reviewed(c, "resident", "x", "", "n", "admin", seed.NOW)


def test_scope_limits_every_view_to_the_viewers_rusun(seeded):
    c, _s = seeded
    scope = dashboard.rusun_ids(c, ("Pulo Gebang",))
    assert scope is not None and len(scope) == 1
    items, _p, _period = dashboard.review_queue(c, seed.NOW, scope)
    assert {it["rusun"] for it in items} == {"Pulo Gebang"}
    assert [r["rusun"] for r in dashboard.overview(c, seed.NOW, scope)["per_rusun"]] == [
        "Pulo Gebang"
    ]
    assert [t["rusun"] for t in dashboard.terminal_health(c, seed.NOW, scope)] == ["Pulo Gebang"]
    rows = dashboard.presence_rows(c, seed.NOW, scope, 3)
    assert rows and {r["rusun"] for r in rows} == {"Pulo Gebang"}
    assert dashboard.subject_rusun(c, "unit", "1/MRD-A104") not in scope


def test_overview_heat_map_resident_and_presence_agree(seeded):
    c, s = seeded
    ov = dashboard.overview(c, seed.NOW, None)
    assert len(ov["days"]) == 30
    marunda = next(r for r in ov["per_rusun"] if r["rusun"] == "Marunda")
    assert ov["daily"]["Marunda"][-1] == marunda["taps"] > 0
    assert next(r for r in ov["per_rusun"] if r["rusun"] == "Flamboyan")["taps"] == 0
    heat = dashboard.rusun_heatmap(c, "Marunda", seed.NOW, 28)
    a104 = next(u for u in heat["units"] if u["unit"] == "MRD-A104")
    assert a104["counts"] == [0] * 28
    # Today's heat-map column counts the residents the overview saw today at Marunda.
    assert sum(u["counts"][-1] for u in heat["units"]) == marunda["seen"]
    page = dashboard.resident_page(c, s.planted["other_rusun"], seed.NOW, 28)
    away = [tp for taps in page["taps"].values() for tp in taps if tp["rusun"] == "Pulo Gebang"]
    assert len(away) == 4 and all(tp["denied"] and tp["flagged"] for tp in away)
    rows = dashboard.presence_rows(c, seed.NOW, None, 1)
    assert len(rows) == len(s.residents)
    # Every TAP at a Marunda door today is a Marunda resident's card (others are DENIED).
    assert sum(r["taps"] for r in rows if r["rusun"] == "Marunda") == marunda["taps"]
    with pytest.raises(dashboard.NotFound):
        dashboard.rusun_heatmap(c, "Atlantis", seed.NOW)
    with pytest.raises(dashboard.NotFound):
        dashboard.resident_page(c, "P99999", seed.NOW)


def test_terminal_alarms_from_the_seeded_fleet(seeded):
    c, _s = seeded
    alarms = {t["id"]: t["alarms"] for t in dashboard.terminal_health(c, seed.NOW, None)}
    assert alarms == {1: [], 2: ["storage"], 3: ["reader"], 4: ["silent", "no_peak"]}


def _presence_by_record(c, now, scope, days):
    """The presence rows computed record by record (what the export showed before the database
    grouped the taps): every TAP of a registered member's card, at that card's token."""
    from firmware import wire
    from sync.store import attendance, residents

    today = dashboard.local_day(now)
    first = today - days + 1
    with c.db.read() as tx:
        reg = residents.registry_cards(tx, scope)
        recs = attendance.card_records(tx, dashboard.day_start(first),
                                       dashboard.day_start(today + 1), scope)  # fmt: skip
    res_of = {r.card_id: r.resident_id for r in reg if r.card_id is not None}
    taps: dict = {}
    for t, _r, _term, kind, _f, _tok, card in recs:
        if kind == wire.TAP and card is not None and int(card) in res_of:
            taps.setdefault((res_of[int(card)], dashboard.local_day(int(t))), []).append(int(t))
    people = {}
    for r in reg:
        people.setdefault(r.resident_id, r)
    return [
        {"day": d, "rusun": r.rusun, "unit": r.unit, "resident_id": rid, "name": r.name,
         "taps": len(taps.get((rid, d), [])), "first": min(taps.get((rid, d), [None])),
         "last": max(taps.get((rid, d), [None]))} if (rid, d) in taps else
        {"day": d, "rusun": r.rusun, "unit": r.unit, "resident_id": rid, "name": r.name,
         "taps": 0, "first": None, "last": None}
        for rid, r in people.items() for d in range(first, today + 1)
    ]  # fmt: skip


def test_presence_rows_grouped_by_the_database_equal_the_record_by_record_count(seeded):
    c, _s = seeded
    scope = dashboard.rusun_ids(c, ("Marunda",))
    for who, days in ((None, 30), (None, 3), (scope, 7)):
        rows = dashboard.presence_rows(c, seed.NOW, who, days)
        assert sum(r["taps"] for r in rows) > 0
        assert rows == _presence_by_record(c, seed.NOW, who, days)
