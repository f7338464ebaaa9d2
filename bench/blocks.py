# bench/blocks: the seal chain's table at city scale on PostgreSQL: duplicate lookup and purge.
# SPDX-License-Identifier: MIT
"""python bench/blocks.py [--json FILE] [--terminals N] [--days N] [--per-day N]

One throwaway PostgreSQL server (``tests.kit.pgserver``). ``--terminals`` terminals (100) each
with ``--per-day`` blocks (160, the fleet's measured rate, docs/scaling.md) a day for ``--days``
days (240: eight months) are written straight into ``blocks`` by COPY, twice: once into one
table, once into monthly partitions (``partitions --convert`` on the empty table first). Each
terminal's watermark is its newest block's end. Figures, per layout:

- ``lookup_ms``: median and 99th percentile of what a batch's transaction reads of ``blocks``
  after it has locked its terminal (``verify._stored``: the stored blocks its range meets, and
  the lowest stored block for the purged floor), for a retry of a terminal's newest block;
- ``purge_s``: the blocks purge with a 183-day retention (``retention.purge_blocks``): on one
  table a DELETE, on partitions the needed blocks moved forward then whole months detached;
  ``removed`` and ``kept`` rows (kept: each terminal's head, and the blocks inside retention).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

from sync.app import open_collector  # noqa: E402
from sync.service import admin  # noqa: E402
from sync.service.scope import OPERATOR  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.store import partitions, records  # noqa: E402
from sync.store import retention as purge_sql  # noqa: E402
from tests.kit import pgserver  # noqa: E402

MASTER = bytes(range(32))
DAY = 86400
NOW = 1_797_000_000  # 2026-12-11
SLOTS = 5  # records a block (a round of the busiest hour has ~27 over ~3 blocks; any will do)
RETENTION_DAYS = 183
LOOKUPS = 400


def _load(c, terminals: list[int], days: int, per_day: int) -> int:
    """Every terminal's chain of ``days`` × ``per_day`` blocks, received evenly; returns rows."""
    start = NOW - days * DAY
    step = DAY // per_day
    rows = 0
    for tid in terminals:
        chain = []
        for i in range(days * per_day):
            first = i * (SLOTS + 1)
            mac = (tid * 1_000_003 + i).to_bytes(16, "big")
            chain.append((tid, 0, first + SLOTS, first, i, b"\0" * 16, mac, start + i * step,
                          None))  # fmt: skip
        with c.db.write() as tx:
            tx.copy("blocks", records.BLOCK_COLUMNS, chain)
            tx.run("UPDATE terminals SET acked = ? WHERE id = ?", (chain[-1][2] + 1, tid))
        rows += len(chain)
    with c.db.write() as tx:
        tx.run("ANALYZE blocks")
    return rows


def run(url: str, by_month: bool, n_terminals: int, days: int, per_day: int) -> dict:
    c = open_collector(Settings(db=url, master_key=MASTER, clock=lambda: NOW))
    for i in range(n_terminals):
        admin.add_terminal(c, f"Rusun {i // 10:03d}", 1 + i % 10, scope=OPERATOR)
    if by_month:
        with c.db.write() as tx:
            partitions.partition_table(tx, "blocks", NOW - days * DAY)
            for month_start in range(NOW - days * DAY, NOW + 31 * DAY, 28 * DAY):
                partitions.ensure_months(tx, month_start)
    with c.db.read() as tx:
        terms = [(int(t), int(a)) for t, a in tx.all("SELECT id, acked FROM terminals")]
    t0 = time.perf_counter()
    rows = _load(c, [t for t, _ in terms], days, per_day)
    load_s = time.perf_counter() - t0
    with c.db.read() as tx:
        terms = [(int(t), int(a)) for t, a in tx.all("SELECT id, acked FROM terminals")]
        n_parts = len(partitions.months(tx, "blocks"))
    rng = random.Random(6)
    times = []
    for _ in range(LOOKUPS):
        tid, acked = rng.choice(terms)
        lo, hi = acked - SLOTS - 1, acked - 1  # a retry of the newest block
        t0 = time.perf_counter()
        with c.db.read() as tx:
            found = records.blocks_overlapping(tx, tid, 0, lo, hi)
            records.lowest_block(tx, tid, 0)
        times.append((time.perf_counter() - t0) * 1000)
        assert len(found) == 1, found
    times.sort()
    t0 = time.perf_counter()
    with c.db.write() as tx:
        removed, _ = purge_sql.purge_blocks(tx, NOW - RETENTION_DAYS * DAY, False)
    purge_s = time.perf_counter() - t0
    with c.db.read() as tx:
        kept = int(tx.value("SELECT COUNT(*) FROM blocks"))
        heads = int(tx.value("SELECT COUNT(*) FROM blocks b JOIN terminals t ON t.id ="
                             " b.terminal_id AND b.seal_seq = t.acked - 1"))  # fmt: skip
    c.db.close()
    return {"rows": rows, "partitions": n_parts, "load_s": round(load_s, 1),
            "lookup_ms_median": round(statistics.median(times), 2),
            "lookup_ms_p99": round(times[int(len(times) * 0.99) - 1], 2),
            "purge_s": round(purge_s, 2), "removed": removed, "kept": kept,
            "heads_kept": heads}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--terminals", type=int, default=100)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--per-day", type=int, default=160)
    args = parser.parse_args()
    if not pgserver.available():
        sys.exit("PostgreSQL's server (initdb, pg_ctl) is needed: make setup installs it")
    results: dict = {"terminals": args.terminals, "days": args.days, "per_day": args.per_day}
    pg = pgserver.PgServer.start()
    try:
        for layout, by_month in (("one_table", False), ("partitioned", True)):
            results[layout] = run(pg.new_database(), by_month, args.terminals, args.days,
                                  args.per_day)  # fmt: skip
            print(layout, results[layout], flush=True)
    finally:
        pg.stop()
    results["load_average"] = round(os.getloadavg()[0], 1)
    print(f"blocks: {args.terminals} terminals x {args.days} days x {args.per_day} a day "
          f"(load average {results['load_average']} on {os.cpu_count()} cores)")  # fmt: skip
    print(f"{'measure':<20} {'one table':>12} {'partitioned':>12}")
    for key in ("rows", "partitions", "load_s", "lookup_ms_median", "lookup_ms_p99", "purge_s",
                "removed", "kept", "heads_kept"):  # fmt: skip
        vals = [str(results[k][key]) for k in ("one_table", "partitioned")]
        print(f"{key:<20} {vals[0]:>12} {vals[1]:>12}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
