# records partitioned by month on PostgreSQL: converted in place, ingest goes on, a month archived
# and detached (the retention purge's way), and nothing of this on SQLite.
# SPDX-License-Identifier: MIT
import datetime as dt
import gzip

from sync.service import ingest, move
from sync.store import partitions, records, rollups
from tests.kit.collector_calls import day_of_taps, register


def _at(year, month, day):
    return dt.datetime(year, month, day, 12, tzinfo=dt.timezone.utc).timestamp()


def test_a_month_is_archived_then_detached(collector, clock, tmp_path):
    term = register(collector)
    clock.now = _at(2026, 1, 15)
    assert ingest.upload(collector, day_of_taps(term, taps=4)).http == 200  # 6 records
    if collector.db.kind == "sqlite":
        with collector.db.write() as tx:
            assert partitions.detach_month(tx, "records", "2026-01") is False
            assert records.count_records(tx) == 6
        return
    clock.now = _at(2026, 2, 10)
    assert move.partitions(collector, convert=True) == [
        "2026-01", "2026-02", "2026-03", "2026-04"
    ]  # fmt: skip
    clock.now = _at(2026, 3, 3)
    assert ingest.upload(collector, day_of_taps(term, taps=2)).http == 200  # 4 more, in March
    with collector.db.read() as tx:
        assert records.count_records(tx) == 10
        assert rollups.stored_days(tx) == rollups.recount_days(tx)
        assert tx.value("SELECT COUNT(*) FROM records_2026_03") == 4
    path = str(tmp_path / "records-2026-01.gz")
    with collector.db.write() as tx:
        assert partitions.archive_month(tx, "records", "2026-01", path) == 6
        assert partitions.detach_month(tx, "records", "2026-01") is True
        assert partitions.detach_month(tx, "records", "2026-01") is False
    assert len(gzip.open(path).read().splitlines()) == 6
    with collector.db.read() as tx:
        assert records.count_records(tx) == 4
        assert "2026-01" not in partitions.months(tx)
    # the chain goes on after the month left: the watermark lives on the terminal row
    assert ingest.upload(collector, day_of_taps(term, taps=1)).http == 200
    with collector.db.read() as tx:
        assert records.count_records(tx) == 7


def test_health_is_partitioned_too_and_its_old_months_go_whole(collector, clock):
    """One health row per fresh request (~6.6 M a day city-wide): converted with the records,
    its id sequence going on, and the purge detaches its months past retention."""
    from sync.service import retention
    from sync.service.audit import Who

    if collector.db.kind == "sqlite":
        return
    term = register(collector)
    clock.now = _at(2026, 1, 15)
    assert ingest.upload(collector, day_of_taps(term, taps=1)).http == 200
    clock.now = _at(2026, 2, 10)
    move.partitions(collector, convert=True)
    with collector.db.read() as tx:
        assert partitions.partitioned(tx, "health")
        assert partitions.months(tx, "health")[:2] == ["2026-01", "2026-02"]
        assert tx.value("SELECT COUNT(*) FROM health_2026_01") == 1
        first_id = tx.value("SELECT MAX(id) FROM health")
    clock.now = _at(2026, 5, 20)  # the collector's start makes May's and the next two
    with collector.db.write() as tx:
        partitions.ensure_months(tx, int(clock.now))
    assert ingest.upload(collector, day_of_taps(term, taps=1)).http == 200
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM health_2026_05") == 1
        assert tx.value("SELECT MAX(id) FROM health") > first_id
        assert "2026-07" in partitions.months(tx, "health")
    report = retention.purge(collector, Who("cli:petugas", "cli"))  # health: kept 90 days
    assert report["kinds"]["health"]["removed"] == 1
    with collector.db.read() as tx:
        assert "2026-01" not in partitions.months(tx, "health")
        assert tx.value("SELECT COUNT(*) FROM health") == 1
