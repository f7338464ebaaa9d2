# logcut: cut power at every flash operation of a log scenario (NOR partition + littlefs state).
# SPDX-License-Identifier: MIT
"""One scenario (appends, syncs with acks and reclaims, key evolution per seal, reboots, a
planted torn write and its recovery) runs once with every program and erase of both media
recorded in one journal. For each k, a fresh image of each medium gets operations 1..k-1 and a
torn operation k (half of them torn as a prefix, half as random bits of the whole range); then
the terminal boots on them and is checked against what it acknowledged:
every slot whose ``append`` returned before operation k is held by the collector (the snapshot
it had then plus what the recovered log sends), byte for byte, with verified seals and an
unbroken chain; the next sequence number is above every acknowledged one; no tap twice; the
log keeps working. littlefs-python swallows exceptions raised inside a UserContext, hence the
replay of recorded prefixes instead of raising mid-operation.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import littlefs

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT / "lib", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from firmware import wire  # noqa: E402
from firmware.log import Log  # noqa: E402
from firmware.log.state import StateDir  # noqa: E402
from tests.kit.logcheck import CheckError, Collector, drain  # noqa: E402
from tools.sim.flash import NorFlash, PowerCut  # noqa: E402

K0 = bytes(range(100, 132))
TID = 41
# ESP32 MicroPython's littlefs geometry (extmod/vfs_lfsx.c: cache = 4 * max(read, prog)).
LFS = dict(block_size=4096, read_size=32, prog_size=32, lookahead_size=32, cache_size=128,
           block_cycles=100)  # fmt: skip
TEARS = (0.0, 0.5, 0.9, 0.25)


class Recorder(littlefs.UserContext):
    """littlefs block device that appends each prog and erase to a shared journal."""

    def __init__(self, buffer: bytearray, journal: list | None) -> None:
        super().__init__(buffer=buffer)
        self.journal = journal

    def prog(self, cfg, block, off, data):
        if self.journal is not None:
            self.journal.append(("L", block * cfg.block_size + off, bytes(data)))
        return super().prog(cfg, block, off, data)

    def erase(self, cfg, block):
        if self.journal is not None:
            self.journal.append(("L", block * cfg.block_size, None))
        return super().erase(cfg, block)


def mount(buf: bytearray, journal: list | None, blocks: int) -> littlefs.LittleFS:
    return littlefs.LittleFS(context=Recorder(buf, journal), block_count=blocks, **LFS)


@dataclass
class Run:
    nor_blocks: int
    lfs_blocks: int
    nor0: bytes = b""
    lfs0: bytes = b""
    journal: list = field(default_factory=list)
    acked: list = field(default_factory=list)  # (ops done when append returned, seq, slot)
    snapshots: list = field(default_factory=list)  # (ops done, Collector)


def open_log(flash: NorFlash, fs: littlefs.LittleFS) -> Log:
    return Log(flash, StateDir("/data", opener=fs.open), TID)


def record(taps: int = 1800, nor_blocks: int = 2 + 3, lfs_blocks: int = 16, sync_every: int = 29,
           reboot_every: int = 530, plant_cut_at: int = 700) -> Run:  # fmt: skip
    """Run the scenario once, journaling every flash operation of both media."""
    run = Run(nor_blocks, lfs_blocks)
    lbuf = bytearray(b"\xff" * (4096 * lfs_blocks))
    fs = littlefs.LittleFS(context=littlefs.UserContext(buffer=lbuf), block_count=lfs_blocks,
                           mount=False, **LFS)  # fmt: skip
    fs.format()
    fs.mount()
    fs.mkdir("/data")
    fs.unmount()
    run.lfs0 = bytes(lbuf)
    flash = NorFlash(blocks=nor_blocks)
    run.nor0 = bytes(flash.mem)
    flash.journal = run.journal
    fs = mount(lbuf, run.journal, lfs_blocks)
    coll = Collector(TID, K0)
    log = open_log(flash, fs)
    log.install_key(K0)
    log.boot(1, 0)
    for i in range(taps):
        if i == plant_cut_at:  # a torn tap: the recovery that follows is swept as well
            flash.cut_at = flash.ops + 1
            flash.tear = 0.5
            try:
                log.append(wire.TAP, 1, i, i)
                raise AssertionError("planted cut did not happen")
            except PowerCut:
                addr, data = run.journal[-1]
                torn = bytearray(b"\xff" * len(data))
                n = len(data) // 2
                torn[:n] = data[:n]
                torn[n] = data[n] | 0x0F
                run.journal[-1] = (addr, bytes(torn))
            flash.power_on()
            fs = mount(lbuf, run.journal, lfs_blocks)
            log = open_log(flash, fs)
            log.boot(1, 0)
            continue
        seq = log.append(wire.TAP, 1, i, (i * 1000) & wire.UPTIME_MASK)
        slot = bytearray(9)
        wire.pack_slot(slot, 0, wire.TAP, 1, i, (i * 1000) & wire.UPTIME_MASK)
        run.acked.append((len(run.journal), seq, bytes(slot)))
        log.maintain()
        if i % sync_every == sync_every - 1:
            body = log.batch(bytes(24))
            acked = coll.receive(body)
            run.snapshots.append((len(run.journal), coll.copy()))
            if (i // sync_every) % 3 != 2:  # every third reply is lost: the log resends
                log.ack(acked)
            log.maintain()
            log.maintain()
        if i % reboot_every == reboot_every - 1:
            log = open_log(flash, fs)
            log.boot(1, 0)
    run.snapshots.append((len(run.journal), coll.copy()))
    return run


def check_cut(run: Run, k: int, nor: bytearray, lfs: bytearray) -> dict:
    """Boot on images cut at operation k and check them; returns counts (raises on failure)."""
    flash = NorFlash(blocks=run.nor_blocks, image=nor)
    fs = mount(lfs, None, run.lfs_blocks)
    log = open_log(flash, fs)
    if not log.has_key():  # cut before install_key finished: secrets.json still holds K0
        log.install_key(K0)
    durable = [(seq, slot) for done, seq, slot in run.acked if done < k]
    if durable and log.next_seq <= durable[-1][0]:
        raise CheckError("cut %d: next_seq %d reuses %d" % (k, log.next_seq, durable[-1][0]))
    coll = Collector(TID, K0)
    for done, snap in run.snapshots:
        if done < k:
            coll = snap
    coll = coll.copy()
    log.boot(1, 0)
    drain(log, coll)
    if coll.bad_blocks:
        raise CheckError("cut %d: seal MAC fails for blocks %r" % (k, coll.bad_blocks))
    coll.records()  # no hole
    lost = sum(1 for seq, slot in durable if coll.slots.get(seq) != slot)
    payloads = [wire.unpack_slot(s, 0)[2] for s in coll.slots.values() if s[0] >> 4 == wire.TAP]
    dups = len(payloads) - len(set(payloads))
    before = log.next_seq
    seq = log.append(wire.TAP, 1, 0xABCDEF00, 1)
    drain(log, coll)
    if seq < before or coll.slots.get(seq, b"")[:1] != b"\x11":
        raise CheckError("cut %d: the log does not keep working" % k)
    return {"lost": lost, "dups": dups}


def sweep(run: Run, every: int = 1) -> dict:
    """Cut at every ``every``-th operation of the journal; totals of lost and duplicated."""
    tested = lost = dups = 0
    for k, nor, lfs in _cut_images(run, every):
        res = check_cut(run, k, nor, lfs)
        tested += 1
        lost += res["lost"]
        dups += res["dups"]
    return {"cut_points_tested": tested, "lost_acknowledged": lost, "duplicates": dups,
            "operations": len(run.journal)}  # fmt: skip


def _apply_into(mem: bytearray, op, tear, blocks, scatter=False) -> bytearray:
    f = NorFlash(blocks=blocks, image=mem)
    f.apply(op, tear, scatter)
    return f.mem


def _lfs_apply(buf: bytearray, op, tear, scatter=False) -> None:
    _, addr, data = op
    if tear is not None and scatter:  # random bits of the whole range, as NOR may be left
        r = int(tear * 1000) + 1
        for i in range(4096 if data is None else len(data)):
            r = (r * 1103515245 + 12345) & 0x7FFFFFFF
            bits = (r >> 16) & 0xFF
            if data is None:
                buf[addr + i] |= bits
            else:
                buf[addr + i] &= data[i] | bits
        return
    if data is None:
        n = 4096 if tear is None else int(4096 * tear)
        buf[addr : addr + n] = b"\xff" * n
    else:
        n = len(data) if tear is None else int(len(data) * tear)
        buf[addr : addr + n] = data[:n]


def sweep_recovery(run: Run, every: int = 20) -> dict:
    """A second cut during the recovery from a first one: for every ``every``-th first cut k,
    journal the recovery and boot on those images, then cut again at each of their operations."""
    tested = lost = dups = 0
    for k, nor, lfs in _cut_images(run, every):
        jnl: list = []
        flash = NorFlash(blocks=run.nor_blocks, image=nor)
        flash.journal = jnl
        fs = mount(bytearray(lfs), jnl, run.lfs_blocks)
        log = open_log(flash, fs)
        if not log.has_key():
            log.install_key(K0)
        log.boot(1, 0)
        for j in range(1, len(jnl) + 1):
            n2 = bytearray(nor)
            l2 = bytearray(lfs)
            scatter = j % 2 == 1
            for i, op in enumerate(jnl[:j]):
                tear = TEARS[(k + j) % len(TEARS)] if i == j - 1 else None
                if op[0] == "L":
                    _lfs_apply(l2, op, tear, scatter)
                else:
                    n2 = _apply_into(n2, op, tear, run.nor_blocks, scatter)
            res = check_cut(run, k, n2, l2)
            tested += 1
            lost += res["lost"]
            dups += res["dups"]
    return {"recovery_cut_points_tested": tested, "recovery_lost_acknowledged": lost,
            "recovery_duplicates": dups}  # fmt: skip


def _cut_images(run: Run, every: int):
    """(k, NOR image, littlefs image) cut at every ``every``-th operation."""
    nor = NorFlash(blocks=run.nor_blocks, image=run.nor0)
    lfs = bytearray(run.lfs0)
    for k in range(1, len(run.journal) + 1):
        op = run.journal[k - 1]
        if k % every == 0:
            tear = TEARS[k % len(TEARS)]
            scatter = (k // len(TEARS)) % 2 == 1  # half the cuts tear random bits
            l2 = bytearray(lfs)
            n2 = bytearray(nor.mem)
            if op[0] == "L":
                _lfs_apply(l2, op, tear, scatter)
            else:
                n2 = _apply_into(n2, op, tear, run.nor_blocks, scatter)
            yield k, n2, l2
        if op[0] == "L":
            _lfs_apply(lfs, op, None)
        else:
            nor.apply(op)
