# bench/purge: time to purge a month of the whole fleet's tap records (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
"""python bench/purge.py [--json FILE] [--quick] [--residents N] [--taps-per-day N]

The 2017 fleet (docs/fleet.md): 13,731 residents in 23 rusun, 32 terminals. Residents and cards
come in through the register import; tap records of two months are written straight into the
store (``Tx.copy``: COPY on PostgreSQL) for 90 days, each resident tapping ``--taps-per-day``
times a day at a terminal of its rusun, 1 % of the flats with an open case. Then the retention of
tap records is set to 60 days, so the oldest month is past it, and ``retention.purge`` runs: a
dry run (counting) and the real one (taps counted by flat and day into ``flat_days``, then
deleted; the open cases' kept). Figures: wall seconds of each (and the purge's CPU seconds in
this process: all of SQLite's work, none of PostgreSQL's server), records removed, kept.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

from firmware import wire  # noqa: E402
from sync.app import open_collector  # noqa: E402
from sync.service import admin, audit, retention  # noqa: E402
from sync.service.scope import OPERATOR  # noqa: E402
from sync.settings import Settings  # noqa: E402
from tests.kit import pgserver  # noqa: E402

MASTER = bytes(range(32))
DAY = 86400
RUSUN, TERMINALS = 23, 32
NOW = 1_797_000_000


def build(url: str, residents: int, taps_per_day: int) -> tuple[object, int]:
    """The fleet, and 90 days of taps ending at ``NOW``; the number of records written."""
    c = open_collector(Settings(db=url, master_key=MASTER, clock=lambda: NOW - 91 * DAY))
    for t in range(TERMINALS):
        admin.add_terminal(c, f"Rusun {t % RUSUN:02d}", 1 + t // RUSUN, scope=OPERATOR)
    rng = random.Random(20)
    lines = ["resident_id,name,unit,rusun,card_uid"]
    for i in range(residents):
        uid = "04" + rng.randbytes(6).hex().upper()
        lines.append(f"R{i},Warga {i},U{i // 3:05d},Rusun {(i // 3) % RUSUN:02d},{uid}")
    report = admin.import_residents(c, lines, scope=OPERATOR)
    assert not report.refused, report.refused[:3]
    with c.db.read() as tx:
        tokens = tx.all("SELECT ct.rusun_id, ct.token FROM card_tokens ct JOIN cards cd"
                        " ON cd.id = ct.card_id AND cd.rusun_id = ct.rusun_id")  # fmt: skip
        terms = tx.all("SELECT id, rusun_id FROM terminals")
        units = [r[0] for r in tx.all("SELECT id FROM units")]
    by_rusun: dict[int, list[int]] = {}
    for tid, rid in terms:
        by_rusun.setdefault(rid, []).append(tid)
    seq = {tid: 0 for tid, _ in terms}
    cols = ("terminal_id", "gen", "seq", "kind", "flags", "payload", "boot", "uptime_ms",
            "wall_time", "time_derived", "clock_jump", "received_at", "claimed_time",
            "held")  # fmt: skip
    written = 0
    start = NOW - 90 * DAY
    for day in range(90):
        rows = []
        for rid, token in tokens:
            for _ in range(taps_per_day):
                tid = rng.choice(by_rusun[rid])
                at = start + day * DAY + rng.randrange(DAY)
                rows.append((tid, 0, seq[tid], wire.TAP, wire.CARD_ENROLLED, token, 1, 0, at, 0,
                             0, at + 60, at, 0))  # fmt: skip
                seq[tid] += 1
        with c.db.write() as tx:
            tx.copy("records", cols, rows)
        written += len(rows)
    with c.db.write() as tx:  # 1 % of the flats under an open case
        for unit in rng.sample(units, max(1, len(units) // 100)):
            tx.run("INSERT INTO cases (rusun_id, unit_id, state, source, reasons, opened_at,"
                   " opened_by, updated_at) SELECT rusun_id, id, 'flagged', 'manual', '', ?,"
                   " 'bench', ? FROM units WHERE id = ?", (NOW, NOW, unit))  # fmt: skip
    return c, written


def run(url: str, residents: int, taps_per_day: int) -> dict:
    t0 = time.perf_counter()
    c, written = build(url, residents, taps_per_day)
    built_s = time.perf_counter() - t0
    c.clock = lambda: NOW
    who = audit.Who("bench", "bench")
    retention.set_days(c, who, "records", 60)  # the oldest 30 days of the 90 are past it
    for kind in ("health", "alerts", "gaps", "forks", "review_marks", "cases", "access_audit"):
        retention.set_days(c, who, kind, 3650)
    t0 = time.perf_counter()
    dry = retention.purge(c, who, dry_run=True)["kinds"]["records"]
    dry_s = time.perf_counter() - t0
    t0, cpu0 = time.perf_counter(), time.process_time()
    real = retention.purge(c, who)["kinds"]["records"]
    purge_s, purge_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    with c.db.read() as tx:
        flat_days = tx.value("SELECT COUNT(*) FROM flat_days")
    c.db.close()
    return {"records_written": written, "build_s": round(built_s, 1),
            "dry_run_s": round(dry_s, 2), "purge_s": round(purge_s, 2),
            "purge_cpu_s": round(purge_cpu, 2),
            "removed": real["removed"], "kept_for_open_case": real["kept_for_open_case"],
            "would_remove": dry["removed"], "flat_days_rows": flat_days}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--quick", action="store_true", help="1,000 residents (a smoke test)")
    parser.add_argument("--residents", type=int, default=13_731)
    parser.add_argument("--taps-per-day", type=int, default=4)
    args = parser.parse_args()
    residents = 1000 if args.quick else args.residents
    results: dict = {"residents": residents, "taps_per_day": args.taps_per_day}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run(os.path.join(tmp, "purge.db"), residents, args.taps_per_day)
        print("sqlite", results["sqlite"], flush=True)
    if pgserver.available():
        pg = pgserver.PgServer.start()
        try:
            results["postgres"] = run(pg.new_database(), residents, args.taps_per_day)
            print("postgres", results["postgres"], flush=True)
        finally:
            pg.stop()
    print(f"purge a month of the fleet: {residents} residents, {args.taps_per_day} taps a day "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    print(f"{'measure':<28} {'sqlite':>12} {'postgres':>12}")
    for key in ("records_written", "would_remove", "removed", "kept_for_open_case",
                "flat_days_rows", "dry_run_s", "purge_s", "purge_cpu_s"):  # fmt: skip
        vals = [str(results.get(k, {}).get(key, "-")) for k in ("sqlite", "postgres")]
        print(f"{key:<28} {vals[0]:>12} {vals[1]:>12}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
