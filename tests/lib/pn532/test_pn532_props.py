# Property tests (hypothesis): any byte stream from the transport ends the PN532 driver's call in
# a result or a PN532Error subclass, within a bounded time, never another exception or a hang.
# SPDX-License-Identifier: MIT
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pn532
import pn532.chip
import pn532.link
from tests.kit.pn532fake import ACK, RSP

# Worst case of one command: ACK wait twice (one resend), a NACK for a lost answer, then the
# response wait plus two NACK rounds (pn532.link._command): 3 * 30 + 3 * 100 ms, plus slack.
BOUND_MS = 3 * 30 + 3 * 100 + 10


class Clock:
    """Fake ticks: every read of the clock moves it 1 ms, sleeping moves it too, so a loop that
    does not look at the clock is the only way to hang, and then the test times out."""

    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        self.now += 1
        return self.now

    def sleep_ms(self, ms):
        self.now += ms


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    for mod in (pn532.link, pn532.chip):
        monkeypatch.setattr(mod, "ticks_ms", c.ticks_ms)
        monkeypatch.setattr(mod, "sleep_ms", c.sleep_ms)
    return c


HANG = 20_000  # transport reads within one call: far more than any bounded wait makes


class StreamUART:
    """Gives out the given bytes (forever, if ``cycle``) in reads of the sizes asked for."""

    def __init__(self, data, cycle):
        self.it = itertools.cycle(data) if cycle and data else iter(data)
        self.pending = None
        self.reads = 0

    def write(self, buf):
        return len(buf)

    def any(self):
        self.reads += 1
        assert self.reads < HANG, "the driver keeps reading: no deadline"
        if self.pending is None:
            self.pending = next(self.it, None)
        return 0 if self.pending is None else 7

    def readinto(self, buf, n):
        k = 0
        while k < n and self.any():
            buf[k] = self.pending
            self.pending = None
            k += 1
        return k or None


class StreamI2C:
    """Each read transaction: a status byte then bytes from the stream, chunk by chunk."""

    def __init__(self, chunks, cycle):
        self.it = itertools.cycle(chunks) if cycle and chunks else iter(chunks)
        self.next = next(self.it, None)
        self.reads = 0

    def writeto(self, addr, buf):
        pass

    def readfrom_into(self, addr, buf):
        self.reads += 1
        assert self.reads < HANG, "the driver keeps reading: no deadline"
        chunk = self.next
        for i in range(len(buf)):
            buf[i] = 0
        if chunk is None:
            return
        buf[0] = chunk[0] if chunk else 0x01
        if len(buf) > 1:
            n = min(len(chunk), len(buf) - 1)
            buf[1 : 1 + n] = chunk[:n]
            self.next = next(self.it, None)


# Streams that are mostly noise, or real frames mixed with noise and cut or corrupted.
FRAMES = [ACK(), RSP("4B 00"), RSP("4B 01 01 00 04 08 04 DE AD BE EF"), RSP("03 32 01 06 07")]
pieces = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(FRAMES),
    st.sampled_from(FRAMES).flatmap(
        lambda f: st.integers(0, len(f) - 1).map(lambda i: f[:i] + bytes([f[i] ^ 0x5A]) + f[i:])
    ),
)
streams = st.lists(pieces, max_size=8).map(b"".join)

CALLS = {
    "firmware_version": lambda r: r.firmware_version(),
    "read_passive_target": lambda r: r.read_passive_target(timeout_ms=100),
    "sam_configuration": lambda r: r.sam_configuration(),
    "in_data_exchange": lambda r: r.in_data_exchange(b"\x30\x04"),
}


def _check_call(clock, reader, call):
    start = clock.now
    try:
        CALLS[call](reader)
    except pn532.PN532Error:
        pass
    assert clock.now - start <= BOUND_MS


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=streams, cycle=st.booleans(), call=st.sampled_from(sorted(CALLS)))
def test_uart_any_stream_ends_in_result_or_pn532_error(clock, data, cycle, call):
    _check_call(clock, pn532.PN532UART(StreamUART(data, cycle)), call)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    chunks=st.lists(streams, max_size=6), cycle=st.booleans(), call=st.sampled_from(sorted(CALLS))
)
def test_i2c_any_stream_ends_in_result_or_pn532_error(clock, chunks, cycle, call):
    _check_call(clock, pn532.PN532I2C(StreamI2C(chunks, cycle)), call)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=streams, cycle=st.booleans())
def test_poll_state_machine_terminates(clock, data, cycle):
    r = pn532.PN532UART(StreamUART(data, cycle))
    r.start_poll(timeout_ms=100)
    start = clock.now
    try:
        while r.poll() == pn532.WOULDBLOCK:
            clock.sleep_ms(1)
    except pn532.PN532Error:
        pass
    assert clock.now - start <= 100 + 10
