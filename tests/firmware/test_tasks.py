# The terminal's tasks over simulated days: supervised, watched, and no reset for a flapping Wi-Fi.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 224k: code 111 KB as .mpy, a terminal, the chip double, three simulated days
"""The real tasks (``firmware/tasks.py``) run on the board clock's simulated time
(``board.Clock.run_for``); the hardware watchdog is the chip double's, armed as ``boot.py``
arms it (60 s), and a reset is counted each time it expires. Wi-Fi is the real
``firmware.hardware.Wifi`` over the double of ``network.WLAN`` (``tools/sim/board/wlan.py``)."""

import asyncio
import sys

from firmware import wire
from tests.kit.mpytest import skip
from tests.kit.termkit import Rig
from tools.sim import board
from tools.sim.board.chip import Esp32
from tools.sim.board.wlan import AccessPoint

_DAY_MS = 86400 * 1000
_WDT_MS = 60000  # firmware/hardware.py arms the WDT with this in boot()
# Over days the 20 ms reader loop and the 10 s collection are left out: Wi-Fi is not theirs.
_SYNC_TASKS = ("uplink", "clock")


class Flapping(AccessPoint):
    """An access point that comes and goes: up for 10 s to 2 min, then away for 30 s to 40 min,
    from a fixed pseudo-random sequence (so every run sees the same outage)."""

    def __init__(self, clock, until_ms):
        super().__init__()
        self.clock = clock
        self.edges = []
        t, up, r = 0, False, 12345
        while t < until_ms:
            r = (r * 1103515245 + 12345) & 0x7FFFFFFF
            t += (10 + r % 110) * 1000 if up else (30 + r % 2370) * 1000
            self.edges.append(t)
            up = not up
        self.until = until_ms

    def in_reach(self):
        now = self.clock._since_boot_ms()
        if now >= self.until:
            return True  # the outage is over
        n = 0
        for edge in self.edges:
            if edge > now:
                break
            n += 1
        return n % 2 == 1  # down first, then every edge flips it


def _terminal(esp, **kw):
    with esp.installed():
        from firmware import hardware

        wifi = hardware.Wifi("rusun-net", esp.clock)
    return Rig(clock=esp.clock, wifi=wifi, watchdog=esp.watchdog, **kw)


class Resets:
    """The hardware watchdog, looked at after every move of simulated time."""

    def __init__(self, esp):
        self.wdt = esp.watchdog
        self.count = 0
        self.wdt.start(_WDT_MS)

    def check(self):
        if self.wdt.expired():
            self.count += 1
            self.wdt.feed()  # the chip restarts; keep counting


async def _run(rig, esp, ms, names=_SYNC_TASKS, stuck=0):
    resets = Resets(esp)
    main = asyncio.create_task(rig.terminal.run(names))
    await esp.clock.run_for(ms, len(names) + 1 - stuck, resets.check)  # + the watchdog task
    main.cancel()
    try:
        await main
    except asyncio.CancelledError:
        pass
    return resets.count


async def test_a_flapping_three_day_outage_ends_with_no_reset():
    if sys.platform == "webassembly":  # each asyncio turn is a JS timer here: ~2 ms x 37,000
        skip("3 simulated days take minutes on this port; CPython and the unix port run them")
    clock = board.Clock()
    ap = Flapping(clock, 3 * _DAY_MS)
    esp = Esp32(clock=clock, ap=ap)
    rig = _terminal(esp)
    t = rig.terminal
    rig.tap("classic1k:04A1B2C3")
    resets = await _run(rig, esp, 3 * _DAY_MS + 3600 * 1000)
    assert resets == 0 and t.task_failures == [0, 0, 0, 0, 0], (resets, t.task_failures)
    assert esp.wlan.drops >= 20 and esp.wlan.refused == 0, (esp.wlan.drops, esp.wlan.refused)
    # In the hour after the outage the tap made before it reached the collector.
    assert t.uplink.rounds > 0 and [r[1] for r in rig.net.kinds(wire.TAP)] == [wire.TAP]
    assert t.clock.quality == wire.CLOCK_COLLECTOR  # the wall time was never lost to a reset


async def test_a_task_that_dies_is_logged_counted_and_restarted():
    esp = Esp32()
    rig = _terminal(esp)
    t = rig.terminal
    calls = [0]
    real = t.sync_step

    async def flaky():
        calls[0] += 1
        if calls[0] in (2, 3):
            raise RuntimeError("a bug the round did not expect")
        return await real()

    t.sync_step = flaky
    resets = await _run(rig, esp, 30 * 60 * 1000)
    assert resets == 0 and t.task_failures[2] == 2 and calls[0] >= 5
    faults = [text for _, text in t.status.faults]
    assert "TASK_FAILED uplink RuntimeError" in faults
    assert t.status.doc()["task_restarts"] == 2


async def test_the_watchdog_still_resets_a_task_stuck_in_an_await():
    esp = Esp32()
    rig = _terminal(esp)
    t = rig.terminal
    never = asyncio.Event()

    async def stuck():
        await never.wait()  # a network call that never returns nor times out

    t.sync_step = stuck
    resets = await _run(rig, esp, 10 * 60 * 1000, stuck=1)
    assert resets >= 1 and t.task_failures == [0, 0, 0, 0, 0]
