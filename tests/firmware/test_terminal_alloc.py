# Heap bytes one whole tap allocates (poll → token → allow-list → log.append → feedback) under
# MicroPython: 0 after warm-up. Also the source of bench/terminal.py's allocation figure.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 304k: code 110 KB, tap paths measured with the GC off
from firmware import taps as ftaps
from tests.kit.mpytest import allocated_bytes
from tests.kit.tapline import tap_rig


def one_tap(rig, line, results):
    line.card = True
    results[0] = rig.terminal.reader_step()


def measure(fn):
    used = allocated_bytes(fn)
    if used is None:  # CPython: not measured, but the step must still run
        fn()
    return used


def warmed_up(magic=False):
    """(rig, line, results, tap): a rig after three taps of a new card each, the card removed."""
    rig, line = tap_rig()
    line.magic = magic
    results = [None]

    def tap():
        one_tap(rig, line, results)

    for _ in range(3):
        rig.hw.clock.advance(31000)
        tap()
        assert results[0] == ftaps.TAPPED, results
        line.card = False
        rig.terminal.reader_step()
    return rig, line, results, tap


def test_a_tap_allocates_nothing_after_warm_up():
    rig, line, results, tap = warmed_up()
    rig.hw.clock.advance(31000)
    used = measure(tap)
    assert results[0] == ftaps.TAPPED, results
    print("ALLOC tap", used)
    assert used in (None, 0), used
    line.card = False
    rig.terminal.reader_step()
    rig.hw.clock.advance(1000)
    used = measure(tap)  # a repeat within debounce_s: answered from the ring
    assert results[0] == ftaps.REPEAT, results
    print("ALLOC repeat", used)
    assert used in (None, 0), used
    assert rig.terminal.taps.probes == 4  # every new record of this Classic card, no repeat


def test_a_probed_gen1a_tap_allocates_nothing_after_warm_up():
    rig, line, results, tap = warmed_up(magic=True)
    rig.hw.clock.advance(31000)
    used = measure(tap)
    assert results[0] == ftaps.TAPPED, results
    print("ALLOC gen1a", used)
    assert used in (None, 0), used
    assert rig.terminal.taps.magic == 4  # each new record of the clone carried the flag


def test_measurement_sees_an_allocation():
    rig, line = tap_rig()
    used = allocated_bytes(lambda: rig.terminal.health())
    assert used is None or used > 0, used
