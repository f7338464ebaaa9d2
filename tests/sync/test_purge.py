# Retention and purge: data goes at the end of its retention, taps counted by flat first.
# SPDX-License-Identifier: MIT
# An open case keeps its evidence until it closes; a dry run removes nothing; every run leaves a
# purge report and an audit row (SQLite and PostgreSQL).
import json

import pytest

from sync.service import audit, cases, retention
from sync.service.admin import AdminError
from sync.store import cases as case_store
from tests.kit import register as kit
from tests.kit.collector_calls import two_flats_tapped

DAY = 86400
WHO = audit.Who("cli:petugas", "cli")


def _count(c, table):
    with c.db.read() as tx:
        return tx.value(f"SELECT COUNT(*) FROM {table}")


@pytest.fixture
def old_taps(collector, client, clock):
    """Two flats whose residents tapped 300 days ago (3 taps each); R1's flat has an open case."""
    now = int(clock.now)
    clock.now = now - 300 * DAY
    units = two_flats_tapped(collector, client, clock.now)
    case_id = cases.open_case(collector, kit.ADMIN, units["R1"], ["not_seen"], "manual")
    clock.now = now
    return units, case_id


def test_a_dry_run_counts_and_removes_nothing(collector, old_taps):
    before = _count(collector, "records"), _count(collector, "health")
    report = retention.purge(collector, WHO, dry_run=True)
    records = report["kinds"]["records"]
    assert (records["removed"], records["kept_for_open_case"]) == (2 + 3, 3)  # boot, clock, R2
    assert report["kinds"]["health"]["removed"] == 1
    assert (_count(collector, "records"), _count(collector, "health")) == before
    assert _count(collector, "flat_days") == 0
    assert retention.runs(collector)[0]["dry_run"] is True


def test_old_taps_become_taps_per_flat_and_an_open_case_keeps_its_own(collector, old_taps):
    units, case_id = old_taps
    report = retention.purge(collector, WHO)
    assert report["kinds"]["records"]["removed"] == 5
    assert _count(collector, "records") == 3  # R1's taps: evidence of the open case
    assert _count(collector, "health") == 0
    with collector.db.read() as tx:
        flat_days = tx.all("SELECT unit_id, taps FROM flat_days")
    assert flat_days == [(units["R2"], 3)]  # by flat: no card, no person
    # The case closes: the next purge takes R1's taps too (and counts them by flat).
    with collector.db.write() as tx:
        case_store.set_state(tx, case_id, "closed", collector.now(), True)
    assert retention.purge(collector, WHO)["kinds"]["records"]["removed"] == 3
    with collector.db.read() as tx:
        assert sorted(tx.all("SELECT unit_id, taps FROM flat_days")) == sorted(
            [(units["R1"], 3), (units["R2"], 3)]
        )
        # the roll-ups hold tokens and times: they go with the records
        assert tx.value("SELECT COUNT(*) FROM tap_days") == 0
        assert tx.value("SELECT COUNT(*) FROM tap_times") == 0
    runs = retention.runs(collector)
    assert [r["dry_run"] for r in runs] == [False, False]
    assert json.loads(runs[1]["report"])["kinds"]["records"]["removed"] == 5
    with collector.db.read() as tx:
        actions = [r[0] for r in tx.all("SELECT action FROM access_audit WHERE via = 'cli'")]
    assert actions == ["purge", "purge"]


def test_retention_is_set_per_kind_and_never_below_its_purpose(collector, old_taps, clock):
    with pytest.raises(AdminError, match="at least 60 days"):
        retention.set_days(collector, WHO, "records", 30)
    with pytest.raises(AdminError, match="unknown data kind"):
        retention.set_days(collector, WHO, "everything", 30)
    retention.set_days(collector, WHO, "records", 400)  # longer than the taps' age: kept
    assert retention.days(collector)["records"] == 400
    assert retention.purge(collector, WHO)["kinds"]["records"]["removed"] == 0
    assert _count(collector, "records") == 8


def test_closed_cases_go_with_their_steps_after_their_retention(collector, old_taps, clock):
    _units, case_id = old_taps
    with collector.db.write() as tx:
        case_store.set_state(tx, case_id, "closed", collector.now() - 20 * DAY, True)
    retention.set_days(collector, WHO, "cases", 30)
    assert retention.purge(collector, WHO)["kinds"]["cases"]["removed"] == 0  # 20 days: kept
    clock.now += 11 * DAY
    assert retention.purge(collector, WHO)["kinds"]["cases"]["removed"] == 1
    assert _count(collector, "cases") == _count(collector, "case_steps") == 0


def test_on_postgresql_a_month_without_evidence_goes_as_a_whole_partition(
    collector, old_taps, db_url
):
    if not db_url.startswith("postgresql"):
        pytest.skip("partitions are PostgreSQL's")
    from sync.store import partitions

    _units, case_id = old_taps
    with collector.db.write() as tx:
        partitions.partition_records(tx, collector.now())
    with collector.db.read() as tx:
        month = min(partitions.months(tx))  # the taps' month (then one for each month since)
    retention.purge(collector, WHO)  # the open case's evidence is in it: the month stays
    with collector.db.read() as tx:
        assert month in partitions.months(tx)
        assert tx.value("SELECT COUNT(*) FROM records") == 3
    with collector.db.write() as tx:
        case_store.set_state(tx, case_id, "closed", collector.now(), True)
    assert retention.purge(collector, WHO)["kinds"]["records"]["removed"] == 3
    with collector.db.read() as tx:
        assert month not in partitions.months(tx)  # detached and dropped
        assert tx.value("SELECT COUNT(*) FROM records") == 0
        assert tx.value("SELECT SUM(taps) FROM flat_days") == 6  # counted before it went
