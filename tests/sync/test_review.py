# The one review queue: the admin API, the CLI and the dashboard give the same entries for one
# database (SQLite and a real PostgreSQL); review marks live in the collector's schema.
# SPDX-License-Identifier: MIT
import csv
import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from sync import review
from sync.app import create_app, open_collector
from sync.service import accounts, dashboard, reports
from sync.settings import Settings
from sync.store import review_marks
from tests.kit import seed
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT

ADMIN = ("kepala", "rahasia-kepala-1")
AS_OF = reports.local_date(seed.NOW)
PLANTED = ("not_seen", "one_card_household", "same_minute", "other_rusun", "clone", "unknown_card")


@pytest.fixture
def seeded(db_url):
    """The dashboard's seed (one planted case per reason) on a fresh database, and an admin."""
    clock = seed.Clock(seed.NOW)
    app = create_app(Settings(db=db_url, master_key=MASTER_KEY, clock=clock))
    planted = seed.seed(app.state.collector, clock)
    accounts.add_user(app.state.collector, *ADMIN, "admin", [])
    yield app, db_url, planted
    app.state.collector.db.close()


def _cli(url, *args):
    env = dict(os.environ, HADIR_DB=url, HADIR_MASTER_KEY=MASTER_KEY.hex())
    r = subprocess.run(
        [sys.executable, "-m", "sync", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout


def _entries(rows):
    return [(r["subject"], r["key"], list(r["reasons"])) for r in rows]


def test_api_cli_and_dashboard_list_the_same_queue(seeded):
    app, url, _planted = seeded
    c = app.state.collector
    expected = reports.review_report(c, as_of=reports.today(c))  # 42 days, as the dashboard
    # Every reason the seed plants (one case of each of the first detector's reasons) is found,
    # each entry explained in both languages; every reason has its words in both.
    assert sorted(r for row in expected for r in row["reasons"]) == sorted(PLANTED)
    assert set(review.TEXT) == set(review.REASONS) >= set(PLANTED)
    for row in expected:
        assert row["reason"] == review.titles(row["reasons"], review.Params.for_period(14))
        assert " / " in row["reason"]
    items, _params, _period = dashboard.review_queue(c, seed.NOW, None)
    on_dashboard = sorted((it["kind"], it["key"], it["reasons"]) for it in items)
    assert on_dashboard == sorted(_entries(expected))
    with TestClient(app) as client:
        for path in ("review", "absent"):
            got = client.get(f"/api/reports/{path}", params={"as_of": AS_OF}, auth=ADMIN)
            assert got.status_code == 200, got.text
            assert got.json() == expected
        csv_text = client.get(
            "/api/reports/absent", params={"as_of": AS_OF, "format": "csv"}, auth=ADMIN
        ).text
    api_csv = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["subject"], r["key"], r["reasons"].split(",")) for r in api_csv] == _entries(
        expected
    )
    assert [r["reason"] for r in api_csv] == [r["reason"] for r in expected]
    for name in ("review", "absent"):  # the CLI's export is the API's CSV, byte for byte
        assert _cli(url, "export", name, "-", "--as-of", AS_OF) == csv_text
    table = _cli(url, "report", "review", "--as-of", AS_OF)
    for row in expected:
        assert row["key"] in table and row["id"] in table


def test_dashboard_scope_is_the_reports_rusun_filter(seeded):
    app, _url, _planted = seeded
    c = app.state.collector
    scope = dashboard.rusun_ids(c, ("Pulo Gebang",))
    items, _params, _period = dashboard.review_queue(c, seed.NOW, scope)
    rows = reports.review_report(c, as_of=reports.today(c), rusun="Pulo Gebang")
    assert rows and sorted((it["kind"], it["key"], it["reasons"]) for it in items) == sorted(
        _entries(rows)
    )


def test_review_marks_are_part_of_the_collectors_schema(settings):
    c = open_collector(settings)  # the schema only: no dashboard mounted
    try:
        with c.db.write() as tx:
            review_marks.add_mark(tx, "unit", "1/MRD-A101", "not_seen", "kosong", "kepala", 5)
        with c.db.read() as tx:
            assert [tuple(m)[1:] for m in review_marks.marks(tx)] == [
                ("unit", "1/MRD-A101", "not_seen", "kosong", "kepala", 5)
            ]
    finally:
        c.db.close()


def test_the_collector_does_not_import_the_simulation_tools():
    code = (
        "import sys, sync.app, sync.cli, sync.review, sync.service.dashboard\n"
        "bad = sorted(m for m in sys.modules if m == 'tools' or m.startswith('tools.'))\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


def _from_records(tx, snap, rusun_id):
    """The snapshot with its taps read record by record (how the review read them before the
    roll-up ``tap_times``): the reference the roll-up's review must equal."""
    from firmware import wire
    from sync.review.model import Record
    from sync.service import days as local
    from sync.service.snapshot import card_key
    from sync.store import attendance, register, residents

    names = {r.id: r.name for r in residents.rusun_all(tx)}
    mine = sorted(k.id for k in register.cards(tx, [rusun_id]))
    t0, t1 = local.start_of(snap.first_day), local.start_of(snap.last_day) + local.DAY
    here = attendance.card_records(tx, t0, t1, [rusun_id])
    away = attendance.card_taps(tx, mine, t0, t1, away_from=rusun_id)
    records = tuple(
        Record(int(t), names[int(rid)], int(term),
               card_key(int(rid), int(token), None if card is None else int(card)), int(flags),
               int(kind) == wire.DENIED)
        for t, rid, term, kind, flags, token, card in sorted([*here, *away])
    )  # fmt: skip
    return dataclasses.replace(snap, records=records, card_days=())


@pytest.mark.parametrize("days", [7, 42])
def test_the_review_from_rollups_equals_the_review_from_records(seeded, days):
    """Every rusun of the seed (a planted case per reason: taps elsewhere, clones, random UIDs,
    cards nobody registered): the items and every flat's evidence are the same, and the
    roll-up holds every record of the window."""
    from sync.service import snapshot
    from sync.store import residents

    app = seeded[0]
    c = app.state.collector
    reasons = set()
    with c.db.read() as tx:
        for rusun in residents.rusun_all(tx):
            snap = snapshot.build_in(tx, rusun.id, dt.date.fromisoformat(AS_OF), days)
            assert snap.records == () and snap.card_days
            old = _from_records(tx, snap, rusun.id)
            assert len(old.records) == sum(len(d.times) for d in snap.card_days)
            assert review.detect(snap) == review.detect(old)
            for flat in snap.flats:
                assert review.evidence(snap, flat.key) == review.evidence(old, flat.key)
            reasons |= {code for it in review.detect(snap).items for code in it.codes}
    assert reasons >= set(PLANTED)
