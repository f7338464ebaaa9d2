# The terminal in its RAM budget with a real garbage collector: 10,000 taps, 20 syncs, 1,000 cards.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 384k: the budget below, the scaffolding (simulated line, paper collector) above it
"""Unix port only (a hard heap limit, a collector that runs whenever the heap is full, 16-byte
blocks as on the ESP32); the WebAssembly port grows its heap and collects only between JS turns,
CPython has neither: they skip.

The budget is the GC heap of the reference board for the terminal's code *and* data: 128 KB
(measured on the emulated ESP32 with the official firmware: an idle terminal, its code loaded
as ``.mpy``, holds 86.7 KB; 128 KB keeps 25 % free above the batch and pull peaks). Here:

1. the terminal's code is imported first and measured (``code``: ``.mpy`` bytecode in the heap,
   as on the board; firmware/hardware.py, which needs the ESP32, is left out);
2. then the scaffolding a board does not carry (the simulated reader line, the in-process paper
   collector that stands for the network and the server, test helpers) is imported and built;
3. a terminal is built and synced once with the GC off, which measures the paper collector's
   own work per post; it must fit ``NET_RESERVE``, which is then added to the budget;
4. a ballast block takes all free heap but ``BUDGET - code - terminal's live data`` (plus the
   reserve): from then on the terminal lives in its budget, fragmented as it is;
5. 10,000 taps and 20 syncs with the GC running; a ``MemoryError`` fails the test. The high
   water of live data after each collection is printed.
"""

import gc
import sys

BUDGET = 128 * 1024
TARGET = 96 * 1024  # 25 % of the budget kept free
# The paper collector's own work per post (not on a board): it joins a batch sent in pieces and
# reads the terminal's reports (firmware/remote.py) as well as its batches.
NET_RESERVE = 20 * 1024
TAPS = 10000
SYNCS = 20


def _alloc():
    return gc.mem_alloc()  # pyright: ignore[reportAttributeAccessIssue]


def _free():
    return gc.mem_free()  # pyright: ignore[reportAttributeAccessIssue]


def _ballast(n):
    """Blocks taking ``n`` bytes of free heap, wherever it is free (the heap is fragmented)."""
    blocks = [None] * (n // 4096 + 16)  # allocated first: the list is ballast too
    i = 0
    size = 4096
    while n > 64 and i < len(blocks):
        try:
            blocks[i] = bytearray(min(size, n - 16))
        except MemoryError:
            size //= 2
            continue
        n -= len(blocks[i]) + 16
        i += 1
    return [b for b in blocks if b is not None]


async def test_ten_thousand_taps_and_twenty_syncs_in_the_budget_with_the_gc_running():
    from tests.kit.mpytest import skip

    if sys.implementation.name != "micropython" or sys.platform == "webassembly":
        skip("needs a hard heap limit and a running GC: the unix port (tests/runner/unix.py)")
    gc.collect()
    a0 = _alloc()
    import firmware.app
    import firmware.httpclient
    import firmware.start
    import firmware.tasks  # noqa: F401 - the terminal's code, as main.py loads it

    gc.collect()
    code = _alloc() - a0
    import os

    import pn532
    from compat import asleep_ms
    from firmware import uplink, wire
    from tests.kit.paperco import PaperCollector
    from tests.kit.tapline import Line, tap_run
    from tests.kit.termkit import CARD_KEY, K0, TID, config, install_key, tmpdir
    from tools.sim import board
    from tools.sim.flash import NorFlash

    root = tmpdir()
    os.mkdir(root + "/data")
    net = PaperCollector(TID, K0, keep=False)
    net.set_allowlist(1, [((i * 4294967) & 0xFFFFFFFF, i) for i in range(999)] + [(0, 0)])
    line = Line()
    hw = board.Hw(reader=pn532.PN532UART(line), flash=NorFlash(blocks=64, path=root + "/hlog"),
                  state_dir=root + "/data", http=net, root=root,
                  display=board.Display())  # fmt: skip
    install_key(hw.flash, hw.state_dir, K0, TID)
    secrets = {"kc": wire.config_key(K0), "card_key": CARD_KEY, "wifi_password": ""}
    cfg = config(debounce_s=0)
    await asleep_ms(0)
    gc.collect()
    before = _alloc()
    t = firmware.app.Terminal(hw, cfg, secrets)
    gc.disable()
    try:
        n0 = net.allocated
        for _ in range(2):  # connect, then the first exchange (allow-list included)
            r = await t.sync_step()
        net_peak = net.allocated - n0
    finally:
        gc.enable()
    assert r == uplink.OK and t.allow.count == 1000, r
    assert net_peak <= NET_RESERVE, net_peak  # the stand-in for the network fits its reserve
    gc.collect()
    live = _alloc() - before
    ballast = _ballast(_free() - (BUDGET - code - live) - NET_RESERVE)
    weight = sum(len(b) + 16 for b in ballast)
    print("BUDGET code", code, "live", live, "net-peak", net_peak, "ballast", weight)
    high = code + live
    stored = 0
    for _ in range(SYNCS):
        stored += tap_run(t, line, hw.clock, TAPS // SYNCS)
        await asleep_ms(0)
        r = await t.sync_step()
        assert r == uplink.OK, r
        gc.collect()
        high = max(high, code + _alloc() - before - weight)
    print("BUDGET high-water (code + live data)", high, "of", BUDGET, "target", TARGET)
    assert stored == TAPS and t.log.backlog == 0
    assert net.counts.get(wire.DENIED, 0) + net.counts.get(wire.TAP, 0) == TAPS
    assert high <= TARGET, high
    del ballast
