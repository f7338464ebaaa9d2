# Roll-ups kept at ingest equal a recount from the records, whatever the terminals send.
# SPDX-License-Identifier: MIT
"""Randomised ingests (hypothesis) on both backends: taps and denials under several tokens,
reboots, clocks set late (records dated backward), clocks ahead of the collector (held), batches
delivered out of order (gaps, detached records released later), replays, and a copy of a key at
work (every record from the conflict on held), cards with a random UID or a clone flag. After
each, ``tap_days``, ``tap_times`` and ``terminal_days`` must hold exactly what counting the
records gives."""

import datetime as dt
import random

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from firmware import wire
from sync.service import admin, ingest, reports
from sync.service.scope import OPERATOR
from sync.store import rollups
from tests.kit.collector_calls import register, twin

TOKENS = [bytes([0xA0, 0, 0, i]) for i in range(4)]
FLAGS = [wire.CARD_ENROLLED, wire.CARD_RANDOM_UID, wire.CARD_ENROLLED | wire.CARD_MAGIC_SUSPECT,
         wire.CARD_FINGERPRINT_MISMATCH | wire.CARD_RANDOM_UID]  # fmt: skip
DAY = 86400

_op = st.one_of(
    st.tuples(
        st.just("tap"),
        st.integers(0, 3),
        st.booleans(),
        st.integers(1, 30_000_000),
        st.sampled_from(FLAGS),
    ),
    st.tuples(st.just("boot")),
    st.tuples(st.just("clock"), st.integers(-3, 3)),  # days from now; ahead: held back
    st.tuples(st.just("batch")),
)
_program = st.fixed_dictionaries(
    {
        "ops": st.lists(_op, min_size=1, max_size=25),
        "order": st.randoms(use_true_random=False),
        "replay": st.booleans(),
        "fork": st.booleans(),
    }
)


def _play(collector, clock, program, rusun):
    term = register(collector, rusun)
    now = clock.now
    term.boot()
    bodies = []
    for op in program["ops"]:
        if op[0] == "tap":
            kind = wire.DENIED if op[2] else wire.TAP
            flags = op[4] if len(op) > 4 else wire.CARD_ENROLLED
            term.event(kind, flags, TOKENS[op[1]], advance_ms=op[3])
        elif op[0] == "boot":
            term.boot()
        elif op[0] == "clock":
            term.clock(int(now) + op[1] * DAY - wire.HOST_EPOCH_OFFSET)
        elif term.open:
            bodies.append(term.batch())
    if term.open:
        bodies.append(term.batch())
    order = list(range(len(bodies)))
    program["order"].shuffle(order)  # out of order: gaps first, then the records released
    for i in order:
        assert ingest.upload(collector, bodies[i]).http == 200
    if program["replay"]:
        assert ingest.upload(collector, bodies[0]).http == 200
    if program["fork"]:
        other = twin(term)
        other.boot()
        other.tap(TOKENS[0])
        ingest.upload(collector, other.batch())


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=_program, home=st.sampled_from(["Marunda", "Cakung"]))
@example(  # taps sent before the clock is set: dated later, in place
    program={"ops": [("tap", 0, False, 1000, wire.CARD_RANDOM_UID), ("batch",), ("clock", -1),
                     ("tap", 0, False, 1000, wire.CARD_MAGIC_SUSPECT)],
             "order": random.Random(0), "replay": False, "fork": False},
    home="Marunda",
)  # fmt: skip
def test_rollups_equal_a_recount_after_a_randomised_ingest(collector, clock, program, home):
    _play(collector, clock, program, home)
    with collector.db.read() as tx:
        assert rollups.stored_taps(tx) == rollups.recount_taps(tx)
        assert rollups.stored_days(tx) == rollups.recount_days(tx)
        assert rollups.stored_times(tx) == rollups.recount_times(tx)


def test_presence_reads_the_asked_days_of_the_rollup(collector, clock):
    """A card's taps count in presence on their day; the roll-up's rows of other days are not
    read (a row planted outside the window changes nothing)."""
    term = register(collector, "Marunda")
    admin.import_residents(
        collector, ["resident_id,name,unit,rusun,card_uid", "R1,Siti,A1,Marunda,04A1B2C3D4E5F6"],
        scope=OPERATOR,
    )  # fmt: skip
    from sync.vault import card_tokens

    tok = card_tokens(bytes.fromhex(term.bundle["card_key"]), [bytes.fromhex("04A1B2C3D4E5F6")])
    day = reports.today(collector) - dt.timedelta(days=1)
    at = reports.day_start(day) + 8 * 3600
    term.boot()
    term.clock(at - wire.HOST_EPOCH_OFFSET)
    term.tap(tok[0].to_bytes(4, "big"))
    term.tap(tok[0].to_bytes(4, "big"))
    assert ingest.upload(collector, term.batch()).http == 200
    with collector.db.write() as tx:  # a row far outside the window
        tx.run(
            "INSERT INTO tap_days (rusun_id, token, day, taps, denied, first_at, last_at)"
            " VALUES (?, ?, ?, 5, 0, 0, 0)",
            (tx.value("SELECT id FROM rusun WHERE name = 'Marunda'"), tok[0], 10),
        )
    rows = reports.presence(collector, start=day, days=1, rusun="Marunda")
    assert [(r["date"], r["residents"], r["units"], r["taps"]) for r in rows] == [
        (day.isoformat(), 1, 1, 2)
    ]


def test_an_older_database_gets_its_rollups_counted_from_its_records(collector, clock):
    """Schema 3 -> 4: the roll-up tables are made and filled from the records already stored."""
    from sync.store import schema

    ops = [("tap", 0, False, 1000), ("tap", 1, True, 1000), ("batch",), ("clock", -1),
           ("tap", 2, False, 5000)]  # fmt: skip
    program = {"ops": ops, "order": random.Random(1), "replay": False, "fork": False}
    _play(collector, clock, program, "Marunda")
    with collector.db.write() as tx:
        tx.run("DROP TABLE tap_days")
        tx.run("DROP TABLE terminal_days")
        tx.run("DROP TABLE tap_times")
        tx.run("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with collector.db.write() as tx:
        schema.create(tx)
    with collector.db.read() as tx:
        assert rollups.stored_taps(tx) == rollups.recount_taps(tx) != []
        assert rollups.stored_days(tx) == rollups.recount_days(tx) != []
        assert rollups.stored_times(tx) == rollups.recount_times(tx) != []


def test_a_schema_4_database_gets_the_reviews_rollup_from_its_records(collector, clock):
    """Schema 4 -> 5: ``tap_times`` is made and filled (one statement) from the records."""
    from sync.store import schema

    ops = [("clock", -1), ("tap", 0, False, 1000, wire.CARD_ENROLLED),
           ("tap", 0, False, 90_000_000, wire.CARD_RANDOM_UID),
           ("tap", 1, True, 1000, wire.CARD_MAGIC_SUSPECT), ("batch",),
           ("tap", 2, False, 5000, wire.CARD_ENROLLED)]  # fmt: skip
    program = {"ops": ops, "order": random.Random(1), "replay": False, "fork": False}
    _play(collector, clock, program, "Marunda")
    with collector.db.write() as tx:
        tx.run("DROP TABLE tap_times")
        tx.run("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with collector.db.write() as tx:
        schema.create(tx)
    with collector.db.read() as tx:
        assert rollups.stored_times(tx) == rollups.recount_times(tx) != []
