# bench/reports: one rusun's review and presence reports on a PostgreSQL store of 20 M records.
# SPDX-License-Identifier: MIT
"""python -m bench.reports [--json FILE] [--records 20000000] [--world-days 30] [--repeat 5]

One throwaway PostgreSQL server (``tests.kit.pgserver``), records partitioned by month:

1. the 2017 deployment's first world (docs/fleet.md: 23 rusun, 13,731 residents, the planted
   cases) for ``--world-days`` days through the collector's own ingest (signed batches, the
   register imported day by day: ``tests.kit.dashworld.seed_world``);
2. filler up to ``--records`` records: 40 more rusun of 600 cards, 5 doors each, 650 records a
   door a day at the world's times of day (each filler record's second of the day is drawn from
   the world's taps), going back in time from the world's last day; COPY, with the secondary
   indexes of ``records`` made after the load (as a bulk load does), then every roll-up counted
   by ``sync.store.rollups.rebuild`` / ``rebuild_times`` (the statements the schema upgrade runs,
   whose results the property test ``tests/sync/test_rollups.py`` compares with ingest's);
3. the review report (``reports.review_report``) and presence (``reports.presence``) of the
   world's largest rusun for the 30 days ending with the world's last day: the first run in a
   fresh collector, then the median of ``--repeat``; ``report_rows_in_records`` is the rows of
   ``records`` (every partition) the two reports read, from PostgreSQL's own counters
   (``pg_stat_user_tables``: ``seq_tup_read + idx_tup_fetch``, read after the collector's
   connections closed so that their counts are flushed). For comparison, the same counter and
   the time for the review's taps read record by record (how the review read them before the
   roll-up ``tap_times``: ``attendance.card_records`` and ``card_taps``). Each report's time
   is given twice: wall (``*_ms``) and this process's CPU (``*_cpu_ms``: the collector's Python
   and its side of the queries; PostgreSQL's own work shows in the wall time only), with the
   load average before and after the timing (``load_average_timing_start`` / ``_end``).

Keys: docs/benchmarks.md, "Reports at 20 M records".
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import re
import statistics
import time

import psycopg

from firmware import wire
from sync.app import open_collector
from sync.service import admin, reports
from sync.service import days as local
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import partitions, register, residents, rollups, schema
from sync.store.attendance import card_records, card_taps
from tests.kit import pgserver
from tests.kit.dashworld import seed_world
from tests.kit.liveserver import MASTER_KEY
from tests.kit.seed import Clock

DAY = 86400
FILLER_RUSUN = 40
DOORS = 5
CARDS = 600
PER_DOOR_DAY = 650
WINDOW = 30
_SECONDARY = ("records_wall", "records_boot", "records_terminal_wall", "records_payload")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json")
    ap.add_argument("--records", type=int, default=20_000_000)
    ap.add_argument("--world-days", type=int, default=WINDOW)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    out: dict = {"load_average_start": os.getloadavg()[0], "cores": os.cpu_count()}
    pg = pgserver.PgServer.start()
    try:
        _run(args, out, pg.new_database())
    finally:
        pg.stop()
    out["load_average_end"] = os.getloadavg()[0]
    for key, value in out.items():
        print(f"{key:<34} {value}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)


def _run(args, out: dict, url: str) -> None:
    t0 = time.monotonic()
    clock = Clock(0)
    c = open_collector(Settings(db=url, master_key=MASTER_KEY, clock=clock))
    w, _token_of, _keys, stored, _s = seed_world(c, clock, 1, args.world_days)
    now = w.start + args.world_days * DAY - 1
    last_day = local.date_of(now)
    seconds = [(t.t + rollups.OFFSET_S) % DAY for t in w.taps]
    counts: dict[str, int] = {}
    for t in w.taps:
        counts[t.rusun] = counts.get(t.rusun, 0) + 1
    measured = max(counts, key=lambda r: (counts[r], r))
    out["world_records"] = stored
    out["world_s"] = round(time.monotonic() - t0, 1)
    del w
    gc.collect()
    # Filler terminals: registered as any terminal is (their rusun get card keys).
    doors = [(f"Isi-{r:02d}", d) for r in range(FILLER_RUSUN) for d in range(1, DOORS + 1)]
    bundles = admin.add_terminals(c, doors, scope=OPERATOR)
    with c.db.write() as tx:
        partitions.partition_records(tx, int(local.start_of(last_day)))
    t1 = time.monotonic()
    filler = max(0, args.records - stored)
    _load_filler(c, url, [int(b["terminal_id"]) for b in bundles], filler, last_day, seconds)
    out["filler_records"] = filler
    out["load_s"] = round(time.monotonic() - t1, 1)
    t2 = time.monotonic()
    with c.db.write() as tx:
        rollups.rebuild(tx)
        rollups.rebuild_times(tx)
        # What a collector's start makes (schema.create: any index the load left out, e.g. one
        # the partitioning dropped) is made now, not in the first measured report's collector,
        # whose rows of records it would count.
        schema.create(tx)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    out["rollups_s"] = round(time.monotonic() - t2, 1)
    with c.db.read() as tx:
        out["records_stored"] = int(tx.value("SELECT COUNT(*) FROM records"))
        for table in ("tap_days", "tap_times", "terminal_days"):
            out[f"{table}_rows"] = int(tx.value(f"SELECT COUNT(*) FROM {table}"))
        out["record_partitions"] = len(partitions.months(tx))
    c.db.close()
    out["measured_rusun"] = measured
    out["measured_rusun_taps"] = counts[measured]
    _measure(args, out, url, measured, last_day, now)


def _load_filler(c, url: str, tids: list[int], n: int, last_day: dt.date, seconds: list[int]):
    """``n`` TAP records spread over the filler doors, newest day first, by COPY."""
    if not n:
        return
    rng = random.Random(18)
    with c.db.read() as tx:
        rusun_of = {int(t): int(r) for t, r in tx.all("SELECT id, rusun_id FROM terminals")}
    tokens = {r: [rng.getrandbits(32) for _ in range(CARDS)] for r in set(rusun_of.values())}
    days = -(-n // (len(tids) * PER_DOOR_DAY))
    end = local.start_of(last_day) + DAY
    with c.db.write() as tx:
        lo = end - days * DAY
        for month_start in range(lo, end + 31 * DAY, 28 * DAY):  # every month the load spans
            partitions.ensure_months(tx, month_start)
        for name in _SECONDARY:
            tx.run(f"DROP INDEX IF EXISTS {name}")
    left = n
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY records (terminal_id, gen, seq, kind, flags, payload, boot, uptime_ms,"
            " wall_time, received_at, claimed_time) FROM STDIN"
        ) as cp:
            for day in range(days):
                d0 = end - (day + 1) * DAY
                lines = []
                for tid in tids:
                    pool = tokens[rusun_of[tid]]
                    take = min(PER_DOOR_DAY, left)
                    left -= take
                    base = day * PER_DOOR_DAY
                    for i in range(take):
                        at = d0 + rng.choice(seconds)
                        lines.append(
                            f"{tid}\t0\t{base + i}\t{wire.TAP}\t{wire.CARD_ENROLLED}\t"
                            f"{rng.choice(pool)}\t1\t0\t{at}\t{at + 300}\t{at}\n"
                        )
                cp.write("".join(lines))
                if not left:
                    break
        conn.commit()
    with c.db.write() as tx:
        text = "\n".join(schema.statements(tx.kind))
        for name in _SECONDARY:  # as the schema makes them
            tx.run(re.search(rf"CREATE INDEX IF NOT EXISTS {name} ON [^\n]*", text)[0])


def _timed(call, c, repeat: int) -> tuple[float, float, float, float, int]:
    """(first run ms, median of ``repeat`` more, the same two in this process's CPU ms, rows
    of the answer). On a loaded machine the wall time is mostly waiting for a core; the CPU
    time is what the report costs (PostgreSQL's own work is in the wall time only)."""
    t, cpu = time.perf_counter(), time.process_time()
    result = call(c)
    first, first_cpu = (time.perf_counter() - t) * 1000, (time.process_time() - cpu) * 1000
    runs, cpus = [], []
    for _ in range(repeat):
        t, cpu = time.perf_counter(), time.process_time()
        call(c)
        runs.append((time.perf_counter() - t) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return (
        round(first, 1),
        round(statistics.median(runs), 1),
        round(first_cpu, 1),
        round(statistics.median(cpus), 1),
        len(result),
    )


def _measure(args, out: dict, url: str, rusun: str, last_day: dt.date, now: int) -> None:
    start = last_day - dt.timedelta(days=WINDOW - 1)
    calls = {
        "review_report": lambda c: reports.review_report(
            c, days=WINDOW, as_of=last_day, rusun=rusun
        ),
        "presence_report": lambda c: reports.presence(c, start=start, days=WINDOW, rusun=rusun),
        "review_taps_from_records": lambda c: _taps_from_records(c, rusun, start, last_day),
    }
    out["load_average_timing_start"] = os.getloadavg()[0]
    for name, call in calls.items():
        before = pgserver.rows_read(url, "records")
        c = open_collector(Settings(db=url, master_key=MASTER_KEY, clock=Clock(now)))
        try:
            first, median, first_cpu, median_cpu, rows = _timed(call, c, args.repeat)
        finally:
            c.db.close()
        time.sleep(1)  # the backends' counters reach pg_stat when they end
        read = (pgserver.rows_read(url, "records") - before) // (args.repeat + 1)
        out[f"{name}_first_ms"] = first
        out[f"{name}_ms"] = median
        out[f"{name}_first_cpu_ms"] = first_cpu
        out[f"{name}_cpu_ms"] = median_cpu
        out[f"{name}_rows"] = rows
        out[f"{name}_rows_in_records"] = read
    out["load_average_timing_end"] = os.getloadavg()[0]
    out["report_rows_in_records"] = (
        out["review_report_rows_in_records"] + out["presence_report_rows_in_records"]
    )


def _taps_from_records(c, rusun: str, start: dt.date, last_day: dt.date) -> list:
    """The review's taps of one rusun and window read record by record (the old way)."""
    t0, t1 = local.start_of(start), local.start_of(last_day) + DAY
    with c.db.read() as tx:
        rid = residents.rusun_by_name(tx, rusun).id
        mine = sorted(k.id for k in register.cards(tx, [rid]))
        return [*card_records(tx, t0, t1, [rid]), *card_taps(tx, mine, t0, t1, away_from=rid)]


if __name__ == "__main__":
    main()
