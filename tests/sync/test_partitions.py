# records, health and blocks by month on PostgreSQL: converted in place, ingest goes on, a month
# archived and detached (the retention purge's way); the blocks purge keeps every chain going on
# (both backends: SQLite deletes rows).
# SPDX-License-Identifier: MIT
import datetime as dt
import gzip

from firmware import wire
from sync.service import ingest, move
from sync.store import partitions, records, rollups
from tests.kit.collector_calls import TOKEN_A, TOKEN_B, WALL, day_of_taps, register, resend


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


def _blocks_in(tx, month=None):
    if month is None:
        return tx.value("SELECT COUNT(*) FROM blocks")
    return tx.value(f"SELECT COUNT(*) FROM blocks_{month.replace('-', '_')}")


def test_the_conversion_remakes_every_index_and_key_of_the_schema(collector, clock):
    """The alert pass's partial index (records_events) and blocks' foreign key come back with the
    conversion, not only at the collector's next start."""
    if collector.db.kind == "sqlite":
        return
    register(collector)
    clock.now = _at(2026, 2, 10)
    move.partitions(collector, convert=True)
    with collector.db.read() as tx:
        indexes = {name for (name,) in tx.all(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'records'"
            " AND schemaname = current_schema()")}  # fmt: skip
        foreign = tx.value(
            "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = 'blocks'::regclass"
        )
    assert {"records_events", "records_wall", "records_payload"} <= indexes
    assert foreign == 1


def test_blocks_by_month_a_retry_from_an_older_month_is_answered_not_stored(collector, clock):
    """The blocks' key now holds received_at: a retry of a January block in March meets it in
    January's partition (the lookup reads every partition) and stores nothing again."""
    if collector.db.kind == "sqlite":
        return
    term = register(collector)
    clock.now = _at(2026, 1, 15)
    january = day_of_taps(term, taps=4)
    assert ingest.upload(collector, january).http == 200
    clock.now = _at(2026, 2, 10)
    move.partitions(collector, convert=True)
    with collector.db.read() as tx:
        assert partitions.partitioned(tx, "blocks")
        assert _blocks_in(tx, "2026-01") == 1
    clock.now = _at(2026, 3, 3)
    again = ingest.upload(collector, january)
    assert (again.http, again.status, again.stored) == (200, wire.REPLY_OK, 0)
    assert again.acked == 7  # boot, clock, 4 taps, seal
    with collector.db.read() as tx:
        assert _blocks_in(tx) == 1
        assert records.count_records(tx) == 6
    march = ingest.upload(collector, day_of_taps(term, taps=1))
    assert (march.status, march.acked) == (wire.REPLY_OK, 7 + 4)
    with collector.db.read() as tx:
        assert _blocks_in(tx, "2026-03") == 1


def _purge_blocks_world(collector, clock):
    """January: two batches (two blocks); the terminal's newest block is January's second. Then,
    on PostgreSQL, the conversion in February. Returns the terminal and the first batch."""
    term = register(collector)
    clock.now = _at(2026, 1, 15)
    first = day_of_taps(term, taps=4)
    assert ingest.upload(collector, first).http == 200
    clock.now = _at(2026, 1, 20)
    assert ingest.upload(collector, day_of_taps(term, taps=2)).http == 200
    if collector.db.kind == "postgres":
        clock.now = _at(2026, 2, 10)
        move.partitions(collector, convert=True)
    return term, first


def test_the_purge_removes_old_blocks_but_each_terminals_head_and_its_chain_goes_on(
    collector, clock
):
    """Blocks past their retention go (PostgreSQL: January and February detached whole), but a
    terminal's head -- the block its next batch links to and takes its dating state from -- is
    kept (moved forward into the first month kept): the next batch verifies and is stored."""
    from sync.service import retention
    from sync.service.audit import Who

    term, _ = _purge_blocks_world(collector, clock)
    clock.now = _at(2026, 10, 1)  # cut-off 183 days back: 1 April
    with collector.db.write() as tx:
        partitions.ensure_months(tx, int(clock.now))
    report = retention.purge(collector, Who("cli:petugas", "cli"), dry_run=True)
    assert report["kinds"]["blocks"]["removed"] == 1
    report = retention.purge(collector, Who("cli:petugas", "cli"))
    assert report["kinds"]["blocks"]["removed"] == 1
    with collector.db.read() as tx:
        assert _blocks_in(tx) == 1
        head = records.block_sealed_at(tx, term.terminal_id, 0, 7 + 5 - 1)
        assert head is not None
        if collector.db.kind == "postgres":
            assert partitions.months(tx, "blocks")[0] == "2026-03"
            assert _blocks_in(tx, "2026-03") == 1
        assert records.count_records(tx) == 0  # the records went with their retention too
    # no boot, no clock: the taps go on from the head's boot and are dated from its anchor
    term.tap(TOKEN_A, advance_ms=60_000)
    term.tap(TOKEN_B, advance_ms=60_000)
    later = ingest.upload(collector, term.batch())
    assert (later.http, later.status, later.stored) == (200, wire.REPLY_OK, 2)
    assert later.acked == 12 + 3
    with collector.db.read() as tx:
        claimed = [r["claimed_time"] for r in records.records_of(tx, term.terminal_id)]
    assert claimed == [
        WALL + wire.HOST_EPOCH_OFFSET + 60 * 3,
        WALL + wire.HOST_EPOCH_OFFSET + 60 * 4,
    ]


def test_a_replay_of_a_purged_block_is_answered_and_never_stored_again(collector, clock):
    """Once a block is purged, nothing in ``blocks`` says it was stored: below the terminal's
    floor (its watermark and its lowest stored block) it counts as stored, so an old request
    played again brings no purged record back (nor, on PostgreSQL, a second copy of one)."""
    from sync.service import retention
    from sync.service.audit import Who

    term, first = _purge_blocks_world(collector, clock)
    clock.now = _at(2026, 10, 1)
    with collector.db.write() as tx:
        partitions.ensure_months(tx, int(clock.now))
    retention.purge(collector, Who("cli:petugas", "cli"))
    again = ingest.upload(collector, first)
    assert (again.http, again.stored) == (200, 0)
    with collector.db.read() as tx:
        assert records.count_records(tx) == 0
        assert _blocks_in(tx) == 1
        replays = tx.value("SELECT COUNT(*) FROM alerts WHERE kind = 'replay'")
    assert replays == 1


def test_blocks_above_an_open_gap_are_kept_and_the_gap_fills_after_the_purge(collector, clock):
    """A block above a gap is not linked yet: the purge keeps it with the head, and when the
    missing block arrives months later the chain links through both."""
    from sync.service import reports, retention
    from sync.service.audit import Who

    term, _ = _purge_blocks_world(collector, clock)  # seqs 0..11, the head sealed at 11
    clock.now = _at(2026, 1, 25)
    term.tap(TOKEN_A)
    lost = term.batch()  # 12..13, never arrives
    term.tap(TOKEN_B)
    third = term.batch()  # 14..15
    assert ingest.upload(collector, third).status == wire.REPLY_GAP
    clock.now = _at(2026, 10, 1)
    with collector.db.write() as tx:
        partitions.ensure_months(tx, int(clock.now))
    report = retention.purge(collector, Who("cli:petugas", "cli"))
    assert report["kinds"]["blocks"]["removed"] == 1  # January's first: below the head
    with collector.db.read() as tx:
        kept = tx.all("SELECT seal_seq FROM blocks ORDER BY seal_seq")
    assert [s for (s,) in kept] == [11, 15]
    filled = ingest.upload(collector, resend(term, lost, third))
    assert (filled.status, filled.acked, filled.stored) == (wire.REPLY_OK, 16, 1)
    assert reports.gaps(collector) == []


def test_on_partitions_only_whole_months_of_blocks_go(collector, clock):
    """Nothing personal is in a block: PostgreSQL waits for the month the cut-off falls in to be
    past it as a whole (no daily scan of a month's partition); SQLite deletes by the day."""
    from sync.service import retention
    from sync.service.audit import Who

    _purge_blocks_world(collector, clock)  # blocks received 15 and 20 January
    clock.now = _at(2026, 1, 18) + 183 * 86400  # cut-off 18 January: the first block is past it
    removed = retention.purge(collector, Who("cli:petugas", "cli"))["kinds"]["blocks"]["removed"]
    assert removed == (1 if collector.db.kind == "sqlite" else 0)
    with collector.db.read() as tx:
        assert _blocks_in(tx) == 2 - removed
