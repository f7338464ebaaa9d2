# Collector record dating: clock anchors per boot, backward (derived) dating, clock jumps.
# SPDX-License-Identifier: MIT
from firmware import wire
from sync.service import reports
from sync.store import records
from tests.kit.collector_calls import TOKEN_A, WALL, post, register, reply, resend

UNIX = WALL + wire.HOST_EPOCH_OFFSET


def _rows(collector, tid):
    with collector.db.read() as tx:
        return records.records_of(tx, tid)


def test_records_before_the_first_anchor_are_dated_backward_across_batches(collector, client):
    term = register(collector)
    term.boot()
    term.tap(TOKEN_A, advance_ms=5_000)  # uptime 5 s, the terminal does not know the time yet
    early = term.batch()
    reply(term, early, post(client, early))
    assert [r["wall_time"] for r in _rows(collector, term.terminal_id)] == [None, None]
    assert reports.health(collector)[0]["undated_records"] == 2
    term.clock(WALL, advance_ms=10_000)  # NTP at uptime 15 s
    term.tap(TOKEN_A, advance_ms=1_000)
    late = term.batch()
    reply(term, late, post(client, late))
    rows = _rows(collector, term.terminal_id)
    assert [(r["wall_time"], r["time_derived"]) for r in rows] == [
        (UNIX - 15, 1),
        (UNIX - 10, 1),
        (UNIX, 0),
        (UNIX + 1, 0),
    ]
    assert reports.health(collector)[0]["undated_records"] == 0


def test_uptime_unwraps_past_2_24_ms(collector, client):
    term = register(collector)
    term.boot()
    term.clock(WALL)
    for _ in range(5):
        term.event(wire.HEARTBEAT, advance_ms=3_600_000)  # hourly, as the firmware does
    term.tap(TOKEN_A, advance_ms=1_000)
    body = term.batch()
    reply(term, body, post(client, body))
    tap = _rows(collector, term.terminal_id)[-1]
    assert tap["uptime_ms"] == 1_000 + 5 * 3_600_000 + 1_000
    assert tap["wall_time"] == UNIX + 5 * 3600 + 1


def test_a_clock_that_jumps_is_flagged(collector, client):
    term = register(collector)
    term.boot()
    term.clock(WALL)
    term.clock(WALL + 1, advance_ms=1_000)  # agrees: no jump
    term.clock(WALL + 100, advance_ms=1_000)  # 98 s ahead of the projection
    body = term.batch()
    reply(term, body, post(client, body))
    rows = _rows(collector, term.terminal_id)
    assert [r["clock_jump"] for r in rows] == [0, 0, 0, 1]
    assert "clock_jump" in [a["kind"] for a in reports.alerts(collector)]
    assert reports.health(collector)[0]["clock_jumps"] == 1


def test_a_new_boot_drops_the_previous_anchor(collector, client):
    term = register(collector)
    term.boot()
    term.clock(WALL)
    term.boot()  # power cut: uptime restarts, the old anchor says nothing about this boot
    term.tap(TOKEN_A)
    body = term.batch()
    reply(term, body, post(client, body))
    rows = _rows(collector, term.terminal_id)
    assert [(r["boot"], r["wall_time"]) for r in rows] == [
        (1, UNIX - 1), (1, UNIX), (2, None), (2, None),
    ]  # fmt: skip


def test_a_clock_jump_is_alerted_when_a_later_block_of_the_batch_was_stored_before(
    collector, client
):
    term = register(collector)
    term.boot()
    term.clock(WALL)
    term.clock(WALL + 100, advance_ms=1_000)  # 99 s ahead of the projection
    jumped = term.batch()
    term.tap(TOKEN_A)
    middle = term.batch()
    term.tap(TOKEN_A)
    last = term.batch()
    reply(term, middle, post(client, middle))  # arrives alone first: a gap below it
    retry = resend(term, jumped, middle, last)  # the stored middle block is skipped
    status, acked, *_ = reply(term, retry, post(client, retry))
    assert (status, acked) == (wire.REPLY_OK, term.next_seq)
    assert [r["clock_jump"] for r in _rows(collector, term.terminal_id)][:3] == [0, 0, 1]
    jumps = [a["detail"] for a in reports.alerts(collector) if a["kind"] == "clock_jump"]
    assert jumps == ["seq 2: clock moved +99 s"]
