# mpy-heap: 64k
# The whole application in a 64 KB MicroPython heap: 10,000 taps, 20 syncs, a 1,000-card list.
# SPDX-License-Identifier: MIT
"""The runner starts this module's interpreter with a 64 KB heap (the ``mpy-heap`` line); the
WebAssembly port grows a full heap by another 64 KB, so ``GC total`` above 65,536 after the run
means the application needed more. The flash lives in a file (outside the heap, like SPI flash);
the reader is a preallocated line (the simulator's own heap use is not the terminal's)."""

import gc
import sys

from fileflash import FileFlash
from paperco import PaperCollector
from termkit import CARD_KEY, K0, TID, config, tmpdir
from test_terminal_alloc import Line

import pn532
from firmware import sync as fsync
from firmware import taps as ftaps
from firmware import wire
from tools.sim import panel

HEAP = 65536
TAPS = 10000
SYNCS = 20


class Hw:
    pass


def heap_total():
    return gc.mem_alloc() + gc.mem_free()  # pyright: ignore[reportAttributeAccessIssue]


async def test_ten_thousand_taps_and_twenty_syncs_fit_in_64k():
    from firmware.app import Terminal

    mpy = sys.implementation.name == "micropython"
    root = tmpdir()
    kc = wire.config_key(K0)
    net = PaperCollector(TID, K0, keep=False)
    net.set_allowlist(1, [((i * 4294967) & 0xFFFFFFFF, i) for i in range(999)] + [(0, 0)])
    line = Line()
    hw = Hw()
    hw.reader = pn532.PN532UART(line)
    hw.led, hw.buzzer, hw.display = panel.Led(), panel.Buzzer(), panel.Display()
    hw.rtc, hw.wifi, hw.clock = None, panel.Wifi(), panel.Clock()
    hw.watchdog, hw.http, hw.root = panel.Watchdog(), net, root
    hw.state_dir = root + "/data"
    import os

    os.mkdir(hw.state_dir)
    hw.flash = FileFlash(root + "/hlog.bin", 64)
    secrets = {"k0": K0, "kc": kc, "card_key": CARD_KEY, "wifi_password": ""}
    t = Terminal(hw, config(debounce_s=0), secrets)
    gc.collect()
    peak = gc.mem_alloc() if mpy else 0  # pyright: ignore[reportAttributeAccessIssue]
    stored = 0
    syncs = 0
    for i in range(TAPS):
        hw.clock.advance(1500)
        line.card = True
        r = t.reader_step()
        stored += r == ftaps.TAPPED or r == ftaps.DENIED
        line.card = False
        t.reader_step()
        if (i + 1) % (TAPS // SYNCS) == 0:
            r = await t.sync_step()
            if r == fsync.CONNECTING:
                r = await t.sync_step()
            assert r == fsync.OK, r
            syncs += 1
            if mpy:
                peak = max(peak, gc.mem_alloc())  # pyright: ignore[reportAttributeAccessIssue]
    assert stored == TAPS and syncs == SYNCS
    assert t.allow.count == 1000 and t.log.backlog == 0
    assert net.counts.get(wire.DENIED, 0) + net.counts.get(wire.TAP, 0) == TAPS, net.counts
    if mpy:
        total = heap_total()
        print("HEAP total", total, "live-after-sync-high", peak)
        assert total <= HEAP, total
