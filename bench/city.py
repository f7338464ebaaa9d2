# bench/city: the city on PostgreSQL: collector processes behind HAProxy, wire-level load, reports.
# SPDX-License-Identifier: MIT
"""python bench/city.py [--json FILE] [--terminals 23000] [--processes 2] [--steady-s 600]
                       [--backlog-terminals 500] [--backlog-records 1740] [--history-days 30]

One throwaway PostgreSQL server, ``--processes`` collector processes (the real app, each its own
process) behind HAProxy with sync/deploy/haproxy.cfg, and the load generator ``tools.sim.city``
in this process:

1. provision: ``--terminals`` doors over sites in the city's proportion (16,700 for 23,000),
   plus one measured rusun with 600 enrolled residents and its own two doors;
2. history: the measured rusun's doors upload ``--history-days`` days of their residents' taps;
3. steady: every terminal syncs every 300 s with 27 records, for ``--steady-s`` seconds;
4. backlog: ``--backlog-terminals`` terminals, a day offline, upload ``--backlog-records`` each,
   all at once (the morning after);
5. reports: the review and presence reports of the measured rusun for 30 days (best of 3), with
   the number of records stored; enrolment: rows written for one more card.

CPU seconds of the collectors, PostgreSQL and this process are read from /proc per phase: the
bottleneck is whichever is near the cores it could have. Keys: docs/benchmarks.md, "City".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import re
import resource
import signal
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

from sync.app import open_collector  # noqa: E402
from sync.service import admin, reports  # noqa: E402
from sync.service.scope import OPERATOR  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.store import schema  # noqa: E402
from sync.vault import card_tokens  # noqa: E402
from tests.kit import balancer, pgserver  # noqa: E402
from tests.kit.liveserver import MASTER_KEY  # noqa: E402
from tools.sim import city  # noqa: E402

MEASURED = "Kota-Ukur"
RESIDENTS = 600
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(ppid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == ppid:
                out.append(int(d))
    return out


class Meter:
    """CPU seconds used by the collectors, PostgreSQL (postmaster and backends) and us."""

    def __init__(self, pg: pgserver.PgServer, collectors: list[int]) -> None:
        self.postmaster = int(open(os.path.join(pg.data, "postmaster.pid")).readline())
        self.collectors = collectors

    def read(self) -> dict[str, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        pg = [self.postmaster, *_children(self.postmaster)]
        return {"collectors": sum(_cpu(p) for p in self.collectors),
                "postgres": sum(_cpu(p) for p in pg),
                "generator": me.ru_utime + me.ru_stime, "wall": time.monotonic()}  # fmt: skip

    @staticmethod
    def used(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        wall = b["wall"] - a["wall"]
        out = {k: round(b[k] - a[k], 1) for k in ("collectors", "postgres", "generator")}
        out["wall"] = round(wall, 1)
        out["cores_busy"] = round(sum(out[k] for k in ("collectors", "postgres", "generator"))
                                  / wall, 2) if wall else 0  # fmt: skip
        return out


def _rows(c) -> dict[str, int]:
    names = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(schema.statements("sqlite")))
    with c.db.read() as tx:
        return {n: int(tx.value(f"SELECT COUNT(*) FROM {n}")) for n in names}


def _uid(i: int) -> str:
    return "04%012X" % (0xC17700000000 + i)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json")
    ap.add_argument("--terminals", type=int, default=23000)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--steady-s", type=float, default=600)
    ap.add_argument("--sync-s", type=float, default=300)
    ap.add_argument("--records", type=int, default=27)
    ap.add_argument("--backlog-terminals", type=int, default=500)
    ap.add_argument("--backlog-records", type=int, default=1740)
    ap.add_argument("--history-days", type=int, default=30)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    out: dict = {"processes": args.processes, "terminals": args.terminals,
                 "load_average_start": os.getloadavg()[0], "cores": os.cpu_count()}  # fmt: skip
    sites = max(1, round(args.terminals * 16700 / 23000))
    pg = pgserver.PgServer.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hadir-city-") as tmp:
            _run(args, out, pg, pathlib.Path(tmp), sites)
    finally:
        pg.stop()
    _print(out)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)


def _run(args, out: dict, pg: pgserver.PgServer, tmp: pathlib.Path, sites: int) -> None:
    url = pg.new_database()
    t0 = time.monotonic()
    fleet = city.provision(url, MASTER_KEY, args.terminals, sites)
    backlog_fleet = city.provision(url, MASTER_KEY, args.backlog_terminals, sites, seed=4)
    c = open_collector(Settings(db=url, master_key=MASTER_KEY))
    try:
        measured = admin.add_terminals(c, [(MEASURED, 1), (MEASURED, 2)], scope=OPERATOR)
        rows = [f"W{i:04d},Warga {i},U{i // 3:03d},{MEASURED},{_uid(i)}" for i in range(RESIDENTS)]
        admin.import_residents(c, ["resident_id,name,unit,rusun,card_uid", *rows], scope=OPERATOR)
        key = bytes.fromhex(measured[0]["card_key"])
        tokens = card_tokens(key, [bytes.fromhex(_uid(i)) for i in range(RESIDENTS)])
        home = [city.SimTerminal(b["terminal_id"], bytes.fromhex(b["k0"]), tokens)
                for b in measured]  # fmt: skip
        out["provision_s"] = round(time.monotonic() - t0, 1)
        out["sites"] = sites + 1
        # Enrolment: one more card, at a city of this many sites.
        before = _rows(c)
        admin.import_residents(c, ["resident_id,name,unit,rusun,card_uid",
                                   f"W9999,Warga baru,U999,{MEASURED},{_uid(9999)}"],
                               scope=OPERATOR)  # fmt: skip
        after = _rows(c)
        written = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        out["enrol_rows_written_per_card"] = sum(
            written.get(k, 0) for k in ("cards", "card_tokens", "register_events")
        )
        out["enrol_rows_written"] = written
        with balancer.Cluster(url, tmp, processes=args.processes) as cl:
            meter = Meter(pg, [p.pid for p in cl.procs])
            # 2. history of the measured rusun (4 taps a resident a day)
            per_door = RESIDENTS * 4 * args.history_days // len(home)
            h = city.backlog(cl.url, home, per_door, args.history_days * 86400, concurrency=2)
            out["history"] = h
            print("history", h, flush=True)
            # 3. steady
            m0 = meter.read()
            s = city.steady(cl.url, fleet, args.steady_s, args.sync_s, args.records)
            m1 = meter.read()
            s["cpu"] = Meter.used(m0, m1)
            out["steady"] = s
            print("steady", s, flush=True)
            out["steady_rounds_per_s_sustained"] = s["rounds_per_s"]
            out["steady_rounds_per_s_offered"] = s["offered_rounds_per_s"]
            out["steady_seconds"] = s["seconds"]
            out["steady_p99_ms"] = s["p99_ms"]
            # 4. backlog: the morning after a day offline
            b = city.backlog(cl.url, backlog_fleet, args.backlog_records, 86400)
            m2 = meter.read()
            b["cpu"] = Meter.used(m1, m2)
            out["backlog"] = b
            print("backlog", b, flush=True)
            out["backlog_records"] = b["records"]
            out["backlog_drain_records_per_s"] = b["records_per_s"]
        everyone = [*fleet, *backlog_fleet, *home]
        generated = sum(t.next_seq - t.epoch for t in everyone)  # slots less seals: records
        with c.db.read() as tx:
            stored = int(tx.value("SELECT COUNT(*) FROM records"))
            distinct = int(
                tx.value(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT terminal_id, gen, seq FROM records) d"
                )
            )
        failed = sum(out[k]["failed"] for k in ("history", "steady", "backlog"))
        out["records_generated"] = generated
        out["lost"] = max(0, generated - stored) if not failed else f"{failed} rounds failed"
        out["duplicates"] = (stored - distinct) + max(0, stored - generated)
        out["records_stored"] = stored
        today = reports.today(c)
        c.db.close()  # the reports' own connections: their reads reach pg_stat when they end
        before = pgserver.rows_read(url, "records")
        c = open_collector(Settings(db=url, master_key=MASTER_KEY))
        for name, call in (
            ("review_report_ms", lambda: reports.review_report(c, days=30, as_of=today,
                                                               rusun=MEASURED)),
            ("presence_report_ms", lambda: reports.presence(
                c, start=today - dt.timedelta(days=29), days=30, rusun=MEASURED)),
        ):  # fmt: skip
            times = []
            for _ in range(3):
                t = time.perf_counter()
                result = call()
                times.append(time.perf_counter() - t)
            out[name] = round(min(times) * 1000, 1)
            out[name.replace("_ms", "_rows")] = len(result)
        c.db.close()
        time.sleep(1)
        # rows of records the two reports read, 3 runs each (bench/reports.py: at 20 M records)
        out["report_rows_in_records"] = (pgserver.rows_read(url, "records") - before) // 3
        c = open_collector(Settings(db=url, master_key=MASTER_KEY))
        out["load_average_end"] = os.getloadavg()[0]
    finally:
        c.db.close()


def _print(out: dict) -> None:
    print(f"city on PostgreSQL (load average {out['load_average_start']:.1f} at start, "
          f"{out.get('load_average_end', 0):.1f} at end, {out['cores']} cores)")  # fmt: skip
    for key in ("processes", "terminals", "sites", "steady_seconds",
                "steady_rounds_per_s_offered", "steady_rounds_per_s_sustained", "steady_p99_ms",
                "backlog_records", "backlog_drain_records_per_s", "records_generated",
                "records_stored", "report_rows_in_records", "lost", "duplicates",
                "review_report_ms", "presence_report_ms",
                "enrol_rows_written_per_card"):  # fmt: skip
        print(f"{key:<34} {out.get(key, '-')}")
    for phase in ("steady", "backlog"):
        if phase in out:
            print(f"{phase + ' CPU s':<34} {out[phase]['cpu']}")


if __name__ == "__main__":
    main()
