# boardrun: the board suite's scenarios on the emulated ESP32, shared with bench/board.py.
# SPDX-License-Identifier: MIT
"""``Site(tmp, cards, prefill)``: a collector (SQLite) with one registered terminal, ``cards``
enrolled residents, its signed allow-list, and the terminal's flash image holding ``prefill``
taps already (``tests.kit.qemu.terminal_flash``).

``App(site)``: that image booted on QEMU with the PN532 simulator on UART2, running hadir's real
``boot.py`` and ``main.py`` (offline: no Wi-Fi in the emulator). ``heap()`` runs the heap scenario
of docs/hardware.md on the real firmware's GC. ``cut_lane(...)``: power cuts by ``kill -9``.
"""

from __future__ import annotations

import json
import pathlib
import random
import re
import time
from types import SimpleNamespace

from firmware import wire
from tests.kit.liveserver import Collector
from tests.kit.qemu import (
    Board,
    Reader,
    card_uid,
    preload,
    terminal_flash,
    tokens_of,
)

# What main.py imports, directly or not (firmware.hardware.main -> firmware.start -> the app,
# hardware.build -> the HTTP client, Terminal.run -> the tasks): nothing more is preloaded.
APP = ["firmware.hardware", "firmware.start", "firmware.app", "firmware.httpclient",
       "firmware.tasks"]  # fmt: skip
RUN = """
exec(open("/boot.py").read(), {"__name__": "boot"})
exec(open("/main.py").read(), {"__name__": "__main__"})
"""


class Site:
    def __init__(self, tmp: pathlib.Path, cards: int, prefill: int) -> None:
        from sync.store import residents, terminals

        self.tmp = tmp
        self.collector = Collector(tmp)
        c = self.collector.__enter__()
        self.bundle = c.register()
        self.uids = [card_uid(i) for i in range(cards)]
        c.enroll([(f"R{i}", f"Warga {i}", f"U{i}", u) for i, u in enumerate(self.uids)])
        tid = self.bundle["terminal_id"]
        with c.collector.db.read() as tx:
            t = terminals.terminal(tx, tid)
            rusun = t["rusun_id"]
            entries = residents.allowlist_entries(tx, rusun, t["card_key_gen"])
            version = residents.allowlist_version(tx, rusun)
        kc = wire.config_key(bytes.fromhex(self.bundle["k0"]))
        self.allow = wire.encode_allowlist(entries, version, tid, kc)
        self.tokens = tokens_of(self.bundle, self.uids)
        self.prefill = [self.tokens[i % cards] for i in range(prefill)]
        self.flash = terminal_flash(tmp, self.bundle, self.allow, self.prefill)
        # The power-cut boards run the log's own loop from the REPL: no boot.py, no main.py.
        self.bare = terminal_flash(tmp, self.bundle, self.allow, [], "bare", app=False)

    def records(self) -> list[dict]:
        return self.collector.records(self.bundle["terminal_id"])

    def close(self) -> None:
        self.collector.__exit__(None, None, None)


class App:
    """The terminal running on the emulated ESP32; ``taps`` are the live taps acknowledged."""

    def __init__(self, site: Site, name: str = "app") -> None:
        self.site = site
        self.reader = Reader()
        self.board = Board(site.flash, self.reader.path, site.tmp / f"{name}.qemu.log")
        self.boot_s = self.board.stop_boot()
        self.board.exec(preload(APP), timeout=600)
        self.taps: list[bytes] = []

    def start(self) -> None:
        """hadir's boot.py, then main.py: the terminal application runs."""
        self.board.start(RUN)

    def running(self, timeout: float = 300) -> bool:
        """The application polls the reader (it is up, past its log recovery)."""
        return self.reader.wait_polls(1, timeout)

    def tap(self, i: int) -> bool:
        uid = self.site.uids[i % len(self.site.uids)]
        ok = self.reader.tap(f"classic1k:{uid}", 60)
        if ok:
            self.taps.append(self.site.tokens[i % len(self.site.uids)])
        return ok

    def heap(self) -> dict:
        out = self.board.exec(HEAP, timeout=900)
        m = re.search(r"HEAP (\{.*\})", out)
        assert m, out
        return json.loads(m.group(1))

    def close(self) -> None:
        self.board.cut()
        self.reader.close()


# The heap scenario on the firmware's own GC: the terminal as main.py builds it, its reader
# loop, then the batches a sync sends over the whole backlog, each as the uplink sends it
# (256 slots asked for, a longer block whole; log.outgoing's pieces read from flash as they go
# out: the emulator has no Wi-Fi, so no socket) and tools pull's stream. gc.collect() at each
# mark: the live heap at that moment; the marks sit where the most is held (a piece of a batch
# on its way, a pull line alive).
HEAP = """
import gc, json, sys
from firmware import config as cfg, hardware
from firmware.app import Terminal
_p = {"peak": 0, "free_min": 1 << 30, "marks": 0}
def _mark(*_):
    gc.collect()
    a = gc.mem_alloc(); f = gc.mem_free()
    _p["peak"] = max(_p["peak"], a); _p["free_min"] = min(_p["free_min"], f); _p["marks"] += 1
gc.collect()
_p["base_alloc"] = gc.mem_alloc()
config, secrets = cfg.load("")
t = Terminal(hardware.build(config, secrets), config, secrets)
for i in range(20):
    t.reader_step()
    _mark()
_p["idle_alloc"] = gc.mem_alloc()
h = t.health24()
_n = [0]
def _sent(piece):
    if piece is not None:
        _n[0] += len(piece)
        _mark()
_p["sync_batches"] = t.log.stream_batches(h, _sent, 256)
_p["batched_bytes"] = _n[0]
_p["pull_batches"] = t.log.stream_batches(h, lambda piece: _mark() if piece is None else None)
_p["backlog"] = t.log.backlog
_p["modules"] = len(sys.modules)
print("HEAP " + json.dumps(_p))
"""

# A power-cut lane: the log of the terminal (firmware.log on the real hlog partition) appends
# TAP slots and runs its maintenance (erase ahead, reclaim) as the reader loop does; "A seq"
# is printed once append() returned, the moment the terminal would answer the resident.
# At CI size (``blocks``) the log takes the first blocks of hlog only (its key blocks and a ring
# of blocks - 2 sectors, through a view that passes every operation to the partition at the same
# place): recovery reads every sector's header at each boot, 446 of them at ~45 ms each in
# emulation, and a lane boots once per cut; appends, seals, erases and recovery are the same code
# on the same flash. 0: the whole partition.
LANE = """
import esp32, json
from firmware import wire
from firmware.log import Log
class _First:
    def __init__(self, part, n):
        self.part = part
        self.n = n
    def readblocks(self, block, buf, off=0):
        return self.part.readblocks(block, buf, off)
    def writeblocks(self, block, buf, off):
        return self.part.writeblocks(block, buf, off)
    def ioctl(self, op, arg):
        return self.n if op == 4 else self.part.ioctl(op, arg)
with open("/config.json") as f:
    _tid = json.load(f)["terminal_id"]
_hlog = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")[0]
log = Log(_First(_hlog, LANE_N) if LANE_N else _hlog, "/data", _tid)
print("R", log.next_seq, log.boot(1))
i = 0
while True:
    seq = log.append(wire.TAP, wire.CARD_ENROLLED, 0x40000000 + log.next_seq, i)
    print("A", seq)
    log.maintain()
    i += 1
"""


def cut_lane(
    site: Site,
    name: str,
    cuts: int,
    seed: int,
    run_s: tuple[float, float] = (2.0, 12.0),
    blocks: int = 0,
) -> SimpleNamespace:
    """``cuts`` power cuts at random moments (``run_s`` seconds, uniform, after the log
    recovered) while the log appends and maintains (on the first ``blocks`` blocks of hlog, 0:
    all of it); after each, the board boots again and the
    log recovers. Then the log is read back (on the host, with the firmware's own code, from
    the flash file) and every acknowledged slot looked for."""
    from tests.kit.logcheck import Collector as Checker

    rng = random.Random(seed)
    acked: set[int] = set()
    resumed = []
    flash = site.bare.with_name(f"{name}.flash.bin")
    flash.write_bytes(site.bare.read_bytes())
    for n in range(cuts + 1):
        reader = Reader()
        board = Board(flash, reader.path, site.tmp / f"{name}.qemu.log")
        try:
            board.stop_boot()
            board.exec(preload(["firmware.log"]), timeout=600)
            board.start(LANE.replace("LANE_N", str(blocks)))
            board.console(b"R ", 300)
            resumed.append(int(board.console(b"\n", 60).split()[0]))
            if n == cuts:
                break
            end = time.monotonic() + rng.uniform(*run_s)
            while time.monotonic() < end:
                got = board.drain()
                acked.update(int(x) for x in re.findall(rb"A (\d+)\r?\n", got))
                time.sleep(0.05)
        finally:
            board.cut()  # kill -9: the power cut
            reader.close()
        # what the console had before the cut counts, nothing after it
    checker = Checker(site.bundle["terminal_id"], bytes.fromhex(site.bundle["k0"]))
    seqs = read_back(flash, site.bundle, checker, blocks)
    return SimpleNamespace(
        cuts=cuts, acked=len(acked), lost=len(acked - seqs), resumed=resumed,
        duplicates=0,
    )  # fmt: skip


def read_back(flash: pathlib.Path, bundle: dict, checker, blocks: int = 0) -> set[int]:
    """Sequence numbers of the TAP slots the log on ``flash`` holds, read by the firmware's log
    code on the host and verified by a collector (``tests.kit.logcheck``)."""
    import tempfile

    from firmware.log import Log
    from tests.kit.qemu import HLOG
    from tools.sim.flash import NorFlash

    data = flash.read_bytes()
    n = blocks or HLOG.size // 4096
    part = NorFlash(n, image=bytearray(data[HLOG.offset : HLOG.offset + n * 4096]))
    with tempfile.TemporaryDirectory() as state:
        log = Log(part, state, bundle["terminal_id"])
        for body in log.batches(wire.pack_health({}), 4096):
            checker.receive(bytes(body))
    assert checker.bad_blocks == []
    return {seq for seq, slot in checker.records() if wire.slot_kind(slot, 0) == wire.TAP}
