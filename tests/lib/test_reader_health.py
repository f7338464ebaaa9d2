# Tests of the reader recovery ladder: retransmit, re-init, reset pulse, faulty with backoff.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 40k: reader health with the driver
import pn532
import reader_health as rh
from tests.kit.pn532fake import ACK, CMD, RSP, WAKE, FakePin, FakeUART

INIT = [(CMD("14 01 14 01"), [ACK(), RSP("15")]), (CMD("32 05 FF 01 01"), [ACK(), RSP("33")])]


def test_ladder_steps_are_taken_and_counted_in_order():
    pin = FakePin()
    fake = FakeUART([(WAKE, [])] + INIT + [(WAKE, [])] + INIT + [(WAKE, [])] + INIT)
    reader = pn532.PN532UART(fake, reset=pin)
    h = rh.ReaderHealth(reader, backoff_ms=100, backoff_max_ms=300)
    assert h.failed(0) == rh.STEP_RETRANSMIT and fake.written == []
    assert h.failed(0) == rh.STEP_REINIT and pin.values == []
    assert h.failed(0) == rh.STEP_RESET and pin.values == [0, 1]
    assert not h.faulty
    assert h.failed(1000) == rh.STEP_FAULTY and h.faulty and pin.values == [0, 1, 0, 1]
    assert fake.done(), fake.mismatch
    assert h.steps == [0, 1, 1, 1, 1] and h.failures == 4


def test_faulty_reader_backs_off_exponentially_up_to_the_cap():
    reader = pn532.PN532UART(FakeUART(), reset=FakePin())
    reader.init = lambda: None
    h = rh.ReaderHealth(reader, backoff_ms=100, backoff_max_ms=300)
    for _ in range(3):
        h.failed(0)
    h.failed(1000)
    assert not h.may_try(1099) and h.may_try(1100)
    h.failed(1100)
    assert not h.may_try(1299) and h.may_try(1300)
    h.failed(1300)
    h.failed(1600)
    assert not h.may_try(1899) and h.may_try(1900)  # capped at 300 ms


def test_success_resets_the_count_and_counts_a_recovery():
    reader = pn532.PN532UART(FakeUART())
    reader.init = lambda: None
    h = rh.ReaderHealth(reader)
    h.failed(0)
    h.failed(0)
    h.ok()
    assert h.failures == 0 and h.recoveries == 1 and not h.faulty
    assert h.failed(0) == rh.STEP_RETRANSMIT


def test_reinit_failure_is_absorbed_not_raised():
    reader = pn532.PN532UART(FakeUART([(WAKE, []), (None, []), (None, []), (None, [])]))
    h = rh.ReaderHealth(reader)
    h.failed(0)
    assert h.failed(0) == rh.STEP_REINIT  # init timed out inside: PN532Timeout swallowed
