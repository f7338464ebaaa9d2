# The application's heap over 10,000 taps, 20 syncs and a 1,000-card allow-list: within 64 KB.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 320k: code 110 KB, 500-tap stretches with the GC off
"""What is measured (MicroPython; on CPython the load runs, unmeasured):

- ``live``: heap in use after a collection, minus what was in use before the terminal was built
  (code, the test, the simulator parts: on a terminal code is frozen or loaded once as .mpy);
- ``stretch``: bytes allocated, with the GC *disabled*, during 500 taps, and then during one
  sync (less what the in-process paper collector allocated for itself: it stands for the
  network and the server): the heap each stretch needs if nothing were collected in it.

``need = max(live before a stretch + that stretch)`` bounds the heap the application needs, and
must be <= 64 KB. Why not simply a 64 KB heap: this port's GC reclaims nothing while Python
runs synchronously (only after control returns to JS), and each ``await`` leaves JS proxies
behind until JS collects them, so a heap-size run measures the port, not the terminal
(docs/terminal.md, "Heap"). The flash lives in a file (outside the heap, like SPI flash); the
reader is a preallocated line."""

import gc
import os
import sys

import pn532
from compat import asleep_ms
from firmware import taps as ftaps
from firmware import uplink, wire
from tests.kit.paperco import PaperCollector
from tests.kit.tapline import Line
from tests.kit.termkit import CARD_KEY, K0, TID, config, install_key, tmpdir
from tools.sim import board
from tools.sim.flash import NorFlash

HEAP = 65536
TAPS = 10000
SYNCS = 20


def _alloc():
    return gc.mem_alloc()  # pyright: ignore[reportAttributeAccessIssue]


async def test_ten_thousand_taps_and_twenty_syncs_need_under_64k():
    from firmware.app import Terminal

    mpy = sys.implementation.name == "micropython"
    root = tmpdir()
    kc = wire.config_key(K0)
    net = PaperCollector(TID, K0, keep=False)
    net.set_allowlist(1, [((i * 4294967) & 0xFFFFFFFF, i) for i in range(999)] + [(0, 0)])
    line = Line()
    os.mkdir(root + "/data")
    hw = board.Hw(
        reader=pn532.PN532UART(line),
        flash=NorFlash(blocks=64, path=root + "/hlog.bin"),
        state_dir=root + "/data",
        http=net,
        root=root,
        display=board.Display(),
    )
    install_key(hw.flash, hw.state_dir, K0, TID)  # as provisioning does
    secrets = {"kc": kc, "card_key": CARD_KEY, "wifi_password": ""}
    cfg = config(debounce_s=0)
    await asleep_ms(0)
    gc.collect()
    base = _alloc() if mpy else 0
    t = Terminal(hw, cfg, secrets)
    stored = 0
    need = live_high = round_high = 0
    for k in range(SYNCS):
        await asleep_ms(0)
        gc.collect()
        live = _alloc() - base if mpy else 0
        live_high = max(live_high, live)
        gc.disable()
        try:
            a0 = _alloc() if mpy else 0
            for _ in range(TAPS // SYNCS):
                hw.clock.advance(1500)
                line.card = True
                r = t.reader_step()
                stored += r == ftaps.TAPPED or r == ftaps.DENIED
                line.card = False
                t.reader_step()
            taps_alloc = _alloc() - a0 if mpy else 0
        finally:
            gc.enable()
        await asleep_ms(0)  # the reader task yields; the health task collects
        gc.collect()
        live2 = _alloc() - base if mpy else 0
        gc.disable()
        try:
            a0 = _alloc() if mpy else 0
            n0 = net.allocated
            r = await t.sync_step()
            if r == uplink.CONNECTING:
                r = await t.sync_step()
            used = _alloc() - a0 - (net.allocated - n0) if mpy else 0
        finally:
            gc.enable()
        assert r == uplink.OK, r
        round_high = max(round_high, taps_alloc, used)
        need = max(need, live + taps_alloc, live2 + used)
        if mpy:
            print("ROUND", k, "live", live, "taps", taps_alloc, "live", live2, "sync", used)
    assert stored == TAPS and t.allow.count == 1000 and t.log.backlog == 0
    assert net.counts.get(wire.DENIED, 0) + net.counts.get(wire.TAP, 0) == TAPS, net.counts
    if mpy:
        print("HEAP need", need, "live-high", live_high, "stretch-high", round_high)
        assert need <= HEAP, need
