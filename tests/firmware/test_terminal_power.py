# Power cut at many moments (mid-program, mid-erase, mid-sync) then restart: no answered tap lost.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 376k: code 110 KB, ten restarts on one heap
"""The NOR flash model tears the k-th program or erase and then refuses every access, as a
supply failure does; the terminal is then rebuilt from the same flash and VFS (a reboot) and
carries on. At the end every tap that got its feedback must be at the (paper) collector: the
record was durable before the resident heard the beep."""

from compat import asleep_ms
from firmware import taps as ftaps
from firmware import wire
from tests.kit.paperco import PaperCollector
from tests.kit.termkit import K0, TID, Rig
from tools.sim.flash import NorFlash, PowerCut

CUTS = (3, 17, 40, 41, 95, 160, 230, 333, 470, 610)


def _token(rig, n):
    return rig.token("%08X" % (0x10000000 + n * 7919))


async def _sync(t):
    for _ in range(2):
        await t.sync_step()


async def test_power_cuts_lose_no_answered_tap():
    flash = NorFlash(blocks=16)
    net = PaperCollector(TID, K0)
    rig = Rig(flash=flash, http=net)
    answered = bytearray(len(CUTS) * 800 + 1)  # answered[n]: tap n got its feedback
    n = 0
    restarts = 0
    for cut in CUTS:
        flash.cut_at = flash.ops + cut
        uid = None
        shown = 0
        try:
            for _ in range(800):
                n += 1
                uid = "%08X" % (0x10000000 + n * 7919)  # _token(rig, n)
                rig.hw.clock.advance(2000)
                shown = rig.terminal.feedback.shown
                if rig.tap("classic1k:" + uid) in (ftaps.TAPPED, ftaps.DENIED):
                    answered[n] = 1
                uid = None
                if n % 25 == 0:
                    await _sync(rig.terminal)
                elif n % 5 == 0:
                    await asleep_ms(0)  # this port collects garbage only once back in JS
        except PowerCut:
            # Answered means: the resident saw or heard it, even if the cut came right after.
            if uid is not None and rig.terminal.feedback.shown > shown:
                answered[n] = 1
            rig.chip.field.clear()  # the resident walks away from the dark terminal
        assert not flash.powered, "the cut was never reached: %d" % cut
        flash.power_on()
        rig.restart()
        restarts += 1
    await _sync(rig.terminal)
    await _sync(rig.terminal)
    # Taps reach the collector in the order they were made: walk both in step (a set of 8,000
    # tokens would not fit the small heap of the unix-port run).
    want = [i for i in range(n + 1) if answered[i]]
    k = 0
    for r in net.records:
        if k < len(want) and r[1] in (wire.TAP, wire.DENIED) and r[3] == _token(rig, want[k]):
            k += 1
    missing = len(want) - k
    assert not missing, (missing, len(want))
    assert len(want) > 100 and restarts == len(CUTS)
    assert len(net.kinds(wire.BOOT)) == restarts + 1
