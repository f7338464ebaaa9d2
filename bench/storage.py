# bench/storage: flash cost per tap, tap-path time, capacity and power-cut safety of firmware.log.
# SPDX-License-Identifier: MIT
"""Usage: ``.venv/bin/python bench/storage.py [--taps 100000] [--json FILE]``.

Workload: one door, 900 taps a day (70 % in the 05-08 h and 16-21 h peaks), a sync attempt
every 300 s (seal + batch when anything is open, then ack), a HEARTBEAT every hour, a reboot
every third day, one 14-day outage (syncs fail, nothing acknowledged) in every 60 days. The log
runs on a full-size NOR model (448 blocks = 1.75 MiB ``hlog``) and its state file on real
littlefs (littlefs-python, 256 KiB, ESP32 geometry). Every erase and program of both media is
counted, over the whole run, per durable tap.

Tap-path time is modelled from the flash operations of ``append`` itself: 45 ms per 4 KB sector
erase (tSE typical) and 0.4 ms per page program (tPP typical, the full-page figure even for a
9-byte program), Winbond W25Q32JV datasheet, "AC Electrical Characteristics". Capacity fills a
fresh partition with taps only. The power-cut sweep is tests/kit/logcut.py on a longer scenario.
"""

import argparse
import json
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
for entry in (ROOT / "lib", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import littlefs  # noqa: E402

from firmware import wire  # noqa: E402
from firmware.log import Log, LogFull  # noqa: E402
from firmware.log.state import StateDir  # noqa: E402
from tests.kit import logcut  # noqa: E402
from tests.kit.logcheck import Collector  # noqa: E402
from tools.sim.flash import NorFlash  # noqa: E402

ERASE_MS = 45.0  # W25Q32JV tSE typical, 4 KB sector erase
PAGE_MS = 0.4  # W25Q32JV tPP typical, page program
TID = 3
K0 = bytes(range(32))


class CountingLfs(littlefs.UserContext):
    def __init__(self, buffer):
        super().__init__(buffer=buffer)
        self.erases = 0
        self.programmed = 0

    def prog(self, cfg, block, off, data):
        self.programmed += len(data)
        return super().prog(cfg, block, off, data)

    def erase(self, cfg, block):
        self.erases += 1
        return super().erase(cfg, block)


def counted_littlefs():
    """(fs, ctx): a fresh 64-block littlefs with ``/data``, in the terminal's geometry, whose
    context counts erases and bytes programmed."""
    ctx = CountingLfs(bytearray(b"\xff" * (4096 * 64)))
    fs = littlefs.LittleFS(context=ctx, block_count=64, mount=False, **logcut.LFS)
    fs.format()
    fs.mount()
    fs.mkdir("/data")
    return fs, ctx


def tap_times(days, per_day, rng):
    out = []
    for d in range(days):
        for _ in range(per_day):
            r = rng.random()
            if r < 0.35:
                t = rng.uniform(5, 8)
            elif r < 0.70:
                t = rng.uniform(16, 21)
            else:
                t = rng.uniform(0, 24)
            out.append(d * 86400 + int(t * 3600))
    out.sort()
    return out


def workload(taps):
    rng = random.Random(4)
    per_day = 900
    days = taps // per_day + 1
    times = tap_times(days, per_day, rng)[:taps]
    fs, ctx = counted_littlefs()
    ctx.erases = ctx.programmed = 0
    flash = NorFlash(blocks=448)
    state = StateDir("/data", opener=fs.open)
    log = Log(flash, state, TID)
    log.install_key(K0)
    log.boot(1)
    coll = Collector(TID, K0)
    ops, ms = [], []
    next_sync = 300
    next_hb = 3600
    next_boot = 3 * 86400
    refused = 0
    max_backlog = 0
    for i, t in enumerate(times):
        max_backlog = max(max_backlog, log.backlog)
        while next_sync <= t or next_hb <= t or next_boot <= t:
            now = min(next_sync, next_hb, next_boot)
            up = (now * 1000) & wire.UPTIME_MASK
            if now == next_hb:
                log.append(wire.HEARTBEAT, 0, 0, up)
                next_hb += 3600
            elif now == next_boot:
                log = Log(flash, state, TID)
                log.boot(1, 0)
                next_boot += 3 * 86400
            else:
                offline = (now // 86400) % 60 >= 46
                if log.next_seq > log.acked:
                    health = wire.pack_health({"backlog_slots": log.backlog})
                    body = log.batch(health)
                    if not offline:
                        log.ack(coll.receive(body))
                next_sync += 300
            log.maintain()
        e, p, pg = flash.erases, flash.prog_ops, flash.pages
        try:
            log.append(wire.TAP, 1, i, (t * 1000) & wire.UPTIME_MASK)
        except LogFull:
            refused += 1
        de, dp, dpg = flash.erases - e, flash.prog_ops - p, flash.pages - pg
        ops.append(de + dp)
        ms.append(de * ERASE_MS + dpg * PAGE_MS)
        log.maintain()
    n = len(times)
    erases = flash.erases + ctx.erases
    programmed = flash.programmed_bytes + ctx.programmed
    ops.sort()
    ms.sort()
    return {
        "taps": n,
        "refused_taps": refused,
        "erases_per_tap": erases / n,
        "bytes_programmed_per_tap": programmed / n,
        "nor_erases": flash.erases,
        "littlefs_erases": ctx.erases,
        "nor_bytes_programmed": flash.programmed_bytes,
        "littlefs_bytes_programmed": ctx.programmed,
        "p50_tap_flash_ops": ops[n // 2],
        "p99_tap_flash_ops": ops[n * 99 // 100],
        "max_tap_flash_ops": ops[-1],
        "p50_tap_flash_ms_model": ms[n // 2],
        "p99_tap_flash_ms_model": ms[n * 99 // 100],
        "max_tap_flash_ms_model": ms[-1],
        "seals": log.epoch,
        "max_backlog_slots": max_backlog,
    }


def worst_case(taps):
    """Every tap alone in its sync: one seal, two key copies and two zeroed copies per tap."""
    flash = NorFlash(blocks=448)
    fs, ctx = counted_littlefs()
    log = Log(flash, StateDir("/data", opener=fs.open), TID)
    log.install_key(K0)
    log.boot(1)
    coll = Collector(TID, K0)
    ctx.erases = ctx.programmed = 0
    e0, p0 = flash.erases, flash.programmed_bytes
    for i in range(taps):
        log.append(wire.TAP, 1, i, i)
        log.maintain()
        log.ack(coll.receive(log.batch(bytes(24))))
        log.maintain()
    return {
        "worst_erases_per_tap": (flash.erases - e0 + ctx.erases) / taps,
        "worst_bytes_programmed_per_tap": (flash.programmed_bytes - p0 + ctx.programmed) / taps,
    }


def capacity():
    flash = NorFlash(blocks=448)
    lbuf = bytearray(b"\xff" * (4096 * 64))
    fs = littlefs.LittleFS(context=littlefs.UserContext(buffer=lbuf), block_count=64,
                           mount=False, **logcut.LFS)  # fmt: skip
    fs.format()
    fs.mount()
    fs.mkdir("/data")
    log = Log(flash, StateDir("/data", opener=fs.open), TID)
    log.install_key(K0)
    log.boot(1)
    n = 0
    try:
        while True:
            log.append(wire.TAP, 1, n, n)
            n += 1
            if n % 452 == 0:
                log.maintain()
    except LogFull:
        pass
    log.seal()  # the reserve still lets a full log seal and sync
    return {"capacity_records": n, "capacity_slots": log.capacity}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--taps", type=int, default=100_000)
    ap.add_argument("--cut-taps", type=int, default=6000)
    ap.add_argument("--json")
    args = ap.parse_args()
    t0 = time.time()
    res = workload(args.taps)
    res.update(worst_case(args.taps // 20))
    res.update(capacity())
    run = logcut.record(taps=args.cut_taps, nor_blocks=2 + 5, plant_cut_at=args.cut_taps // 2)
    res.update(logcut.sweep(run))
    res.update(logcut.sweep_recovery(run, every=7))
    res["bench_seconds"] = round(time.time() - t0, 1)
    targets = {
        "erases_per_tap": ("<=", 0.05),
        "bytes_programmed_per_tap": ("<=", 256),
        "p99_tap_flash_ms_model": ("<=", 10),
        "worst_erases_per_tap": ("<=", 0.05),
        "worst_bytes_programmed_per_tap": ("<=", 256),
        "capacity_records": (">=", 200_000),
        "lost_acknowledged": ("==", 0),
        "duplicates": ("==", 0),
        "recovery_lost_acknowledged": ("==", 0),
    }
    print("%-28s %14s  %s" % ("figure", "measured", "target"))
    for key, value in res.items():
        tgt = targets.get(key)
        shown = "%.4f" % value if isinstance(value, float) else str(value)
        print("%-28s %14s  %s" % (key, shown, "%s %s" % tgt if tgt else ""))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
