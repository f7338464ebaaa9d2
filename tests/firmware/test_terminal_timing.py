# Interpreter work of one tap (reader_step from READY to feedback), printed for bench/terminal.py.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 304k: code 110 KB, tap timings with the GC off
"""Asserts only behaviour (every tap is stored and answered, Classic taps probed, DESFire not);
the TAPUS / AESUS lines it prints are figures for bench/terminal.py, which models the ESP32 from
them (docs/benchmarks.md): ``TAPUS card us pages erases line_bytes probes``."""

import gc
import sys

from firmware import taps as ftaps
from tests.kit.pn532fake import RSP
from tests.kit.tapline import tap_rig

N = 200
N_DESFIRE = 100
# A DESFire EV1 (SAK 20, ATS): not MIFARE Classic, so not probed; not enrolled here (DENIED).
_DESFIRE = RSP("4B 01 01 03 44 20 07 04 11 22 33 44 55 66 06 75 77 81 02 80")
# MicroPython: a full collection before each tap, so none falls due inside it (cheap on its small
# heap). CPython frees by reference counting and gc.disable() keeps its cycle collector out of the
# tap; a full collection of the pytest process's heap before each tap was most of this test's time.
_COLLECT_EACH_TAP = sys.implementation.name == "micropython"


def _us():
    try:  # the WebAssembly port: its ticks_us has millisecond steps. Node's CPU time of this
        # process (µs) is not stretched when the shared machine schedules others instead.
        import js  # pyright: ignore[reportMissingImports]

        return js.process.cpuUsage().user
    except ImportError:
        import time

        if hasattr(time, "ticks_us"):
            return time.ticks_us()  # pyright: ignore[reportAttributeAccessIssue]
        return time.perf_counter() * 1000000  # pyright: ignore[reportAttributeAccessIssue]


def _run(rig, line, n, want, label, out):
    """Each tap's CPU time, flash work and line bytes up to the end of its feedback (what
    follows it in the same step, the probe's register restore, is off the answer's path)."""
    t = rig.terminal
    flash = rig.hw.flash
    fb = t.feedback
    show = fb.show
    at = [0, 0]

    def stamped(msg):
        show(msg)
        at[0] = _us()
        at[1] = line.bytes

    fb.show = stamped
    gc.collect()
    for i in range(n + 5):
        rig.hw.clock.advance(31000)
        line.card = True
        p0, e0, b0, q0 = flash.pages, flash.erases, line.bytes, t.taps.probes
        if _COLLECT_EACH_TAP:
            gc.collect()
        gc.disable()  # a tap allocates nothing (test_terminal_alloc): no GC is due on it
        a = _us()
        r = t.reader_step()
        gc.enable()
        assert r == want, r
        if i >= 5:
            out.append((label, at[0] - a, flash.pages - p0, flash.erases - e0, at[1] - b0,
                        t.taps.probes - q0))  # fmt: skip
        line.card = False
        t.reader_step()
    fb.show = show


def test_tap_timings():
    rig, line = tap_rig()
    samples = []
    _run(rig, line, N, ftaps.TAPPED, "classic", samples)  # enrolled Classic 1K: probed, genuine
    line.answers[0x4A] = bytearray(_DESFIRE)
    _run(rig, line, N_DESFIRE, ftaps.DENIED, "desfire", samples)
    tp = rig.terminal.taps
    a = _us()
    for _ in range(N):
        tp._cipher.encrypt(tp._ident, tp._out)
    aes_us = (_us() - a) / N
    for label, us, pages, erases, nbytes, probes in samples:
        print("TAPUS", label, int(us), pages, erases, nbytes, probes)
    print("AESUS", aes_us)
    assert len(samples) == N + N_DESFIRE
    assert all(s[5] == (1 if s[0] == "classic" else 0) for s in samples)
