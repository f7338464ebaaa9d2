# Interpreter work of one tap (reader_step from READY to feedback), printed for bench/terminal.py.
# SPDX-License-Identifier: MIT
"""Asserts only behaviour (every tap is stored and answered); the TAPUS / AESUS lines it prints
are figures for bench/terminal.py, which models the ESP32 from them (docs/benchmarks.md)."""

import gc

from test_terminal_alloc import tap_rig

from firmware import taps as ftaps

N = 200


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


def test_tap_timings():
    rig, line = tap_rig()
    t = rig.terminal
    flash = rig.hw.flash
    samples = []
    for i in range(N + 5):
        rig.hw.clock.advance(31000)
        line.card = True
        p0, e0 = flash.pages, flash.erases
        gc.collect()
        gc.disable()  # a tap allocates nothing (test_terminal_alloc): no GC is due on it
        a = _us()
        r = t.reader_step()
        b = _us()
        gc.enable()
        assert r == ftaps.TAPPED, r
        if i >= 5:
            samples.append((b - a, flash.pages - p0, flash.erases - e0))
        line.card = False
        t.reader_step()
    tp = t.taps
    a = _us()
    for _ in range(N):
        tp._cipher.encrypt(tp._ident, tp._out)
    aes_us = (_us() - a) / N
    for us, pages, erases in samples:
        print("TAPUS", int(us), pages, erases)
    print("AESUS", aes_us)
    assert len(samples) == N
