# Allocation per poll of the PN532 driver under real MicroPython (0 after warm-up), also the
# source of bench/reader.py's allocation figures (it parses the ALLOC lines).
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 40k: the driver on the simulator, GC off per poll
import pn532
from tests.kit.mpytest import allocated_bytes
from tests.kit.pn532fake import RSP, FakeUART, QuietLine

UID4 = "04 08 04 DE AD BE EF"
UID7_ATS = "44 20 07 04 11 22 33 44 55 66 06 75 77 81 02 80"


def poll_allocation(make, answer, want):
    """Bytes one start_poll + poll (+ uid_into on READY) allocates after three warm-up polls."""
    line = QuietLine(answer)  # the recording fakes allocate: they stay out of the measurement
    r = make(line)
    r.asleep = False
    buf = bytearray(10)
    results = [None]

    def one_poll():
        r.start_poll(100)
        result = r.poll()
        if result == pn532.READY:
            r.target.uid_into(buf)
        results[0] = result

    for _ in range(3):
        one_poll()
    results[0] = None
    used = allocated_bytes(one_poll)
    if used is None:  # CPython: not measured, but the poll must still give its result
        one_poll()
    assert results[0] == want, results
    return used


UART = pn532.PN532UART
I2C = pn532.PN532I2C
CASES = [
    ("uart_no_card", UART, RSP("4B 00"), pn532.TIMEOUT),
    ("uart_uid4", UART, RSP("4B 01 01 00 " + UID4), pn532.READY),
    ("uart_uid7_ats", UART, RSP("4B 01 01 03 " + UID7_ATS), pn532.READY),
    ("i2c_no_card", I2C, RSP("4B 00"), pn532.TIMEOUT),
    ("i2c_uid4", I2C, RSP("4B 01 01 00 " + UID4), pn532.READY),
]


def test_polls_allocate_nothing_after_warm_up():
    for name, make, answer, want in CASES:
        used = poll_allocation(make, answer, want)
        print("ALLOC", name, used)
        assert used in (None, 0), (name, used)


def test_measurement_sees_an_allocation():
    # Guard against a measurement that cannot fail: building the uid bytes must show up.
    r = pn532.PN532UART(FakeUART())
    used = allocated_bytes(lambda: r.target.uid)
    assert used is None or used > 0, used
