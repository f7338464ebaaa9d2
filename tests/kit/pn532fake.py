# pn532fake: recording fake transports and frame-building helpers for byte-exact PN532 tests.
# SPDX-License-Identifier: MIT
"""``CMD('4A 01 00')`` is the host frame for that command, ``RSP('4B 00')`` the chip's answer,
``ACK()``/``NACK()`` the control frames; checksums are computed (UM0701-02 §6.2.1).

A fake transport takes a script of ``(expected_write, [frames to answer])`` pairs. Each write must
equal the next expected bytes (else the fake records a mismatch the test asserts on) and queues the
answer frames. ``FakeUART`` hands queued bytes out as one stream; ``FakeI2C`` one frame per read
transaction behind a status byte, as the chip does. Those record, so they allocate:
``QuietLine`` is the stand-in for allocation and heap measurements.
"""

import binascii


def HEX(text):  # noqa: N802 - reads like the nfcpy helper
    return binascii.unhexlify(text.replace(" ", ""))


def _frame(tfi, text):
    body = bytes([tfi]) + HEX(text)
    ln = len(body)
    if ln > 255:
        head = bytes([0, 0, 0xFF, 0xFF, 0xFF, ln >> 8, ln & 0xFF, (-((ln >> 8) + ln)) & 0xFF])
    else:
        head = bytes([0, 0, 0xFF, ln, (-ln) & 0xFF])
    return head + body + bytes([(-sum(body)) & 0xFF, 0])


def CMD(text):  # noqa: N802
    return _frame(0xD4, text)


def RSP(text):  # noqa: N802
    return _frame(0xD5, text)


def ACK():  # noqa: N802
    return HEX("00 00 FF 00 FF 00")


def NACK():  # noqa: N802
    return HEX("00 00 FF FF 00 00")


def ERR():  # noqa: N802
    return HEX("00 00 FF 01 FF 7F 81 00")


WAKE = b"\x55\x55" + bytes(14)


class _Fake:
    def __init__(self, script=()):
        self.script = list(script)
        self.written = []
        self.mismatch = None
        self.frames = []  # answer frames not yet read

    def _on_write(self, data):
        data = bytes(data)
        self.written.append(data)
        if not self.script:
            if self.mismatch is None:
                self.mismatch = ("unexpected write", data)
            return
        want, answer = self.script.pop(0)
        if want is not None and want != data and self.mismatch is None:
            self.mismatch = (want, data)
        self.frames.extend(answer)

    def feed(self, *frames):
        self.frames.extend(frames)

    def done(self):
        return self.mismatch is None and not self.script


class FakeUART(_Fake):
    def __init__(self, script=()):
        super().__init__(script)
        self._rx = b""
        self.bytes_in = 0

    def write(self, data):
        self._on_write(data)
        return len(data)

    def _pull(self):
        if self.frames:
            self._rx += b"".join(self.frames)
            self.frames = []

    def any(self):
        self._pull()
        return len(self._rx)

    def readinto(self, buf, n=None):
        self._pull()
        n = len(buf) if n is None else min(n, len(buf))
        n = min(n, len(self._rx))
        if not n:
            return None
        buf[0:n] = self._rx[:n]
        self._rx = self._rx[n:]
        self.bytes_in += n
        return n

    def bytes_out(self):
        return sum(len(w) for w in self.written)


class FakeI2C(_Fake):
    def __init__(self, script=(), address=0x24):
        super().__init__(script)
        self.address = address
        self.status_reads = 0
        self.wakes = 0
        self.nak = 0  # the next ``nak`` transactions raise OSError, as machine.I2C does

    def _maybe_nak(self):
        if self.nak:
            self.nak -= 1
            raise OSError(19)  # ENODEV: address not acknowledged

    def writeto(self, addr, data):
        assert addr == self.address
        self._maybe_nak()
        if not len(data):  # address-only transaction: the I2C wake-up
            self.wakes += 1
            return
        self._on_write(data)

    def readfrom_into(self, addr, buf):
        assert addr == self.address
        self._maybe_nak()
        for i in range(len(buf)):
            buf[i] = 0
        if not self.frames:
            return
        buf[0] = 0x01
        if len(buf) == 1:
            self.status_reads += 1
            return
        frame = self.frames.pop(0)
        n = min(len(frame), len(buf) - 1)
        buf[1 : 1 + n] = frame[:n]


class FakePin:
    def __init__(self):
        self.values = []

    def value(self, v=None):
        if v is not None:
            self.values.append(v)


class QuietLine:
    """A preallocated UART and I2C stand-in: each frame written makes the prepared ACK and
    ``frames[1]`` (the answer) readable, like the chip answering, without allocating. A subclass's
    ``answer(buf)`` may set another ``frames[1]`` first, or return False for a write the chip
    does not answer. ``bytes`` counts what crossed the line."""

    def __init__(self, answer):
        self.ack = bytearray(ACK())
        self.frames = [self.ack, bytearray(answer)]
        self.k = 2
        self.i = 0
        self.bytes = 0

    def answer(self, buf):
        return True

    def write(self, buf):
        self.bytes += len(buf)
        if self.answer(buf):
            self.k = self.i = 0

    def writeto(self, addr, buf):
        self.write(buf)

    def any(self):
        return len(self.frames[self.k]) - self.i if self.k < 2 else 0

    def readinto(self, buf, n):
        f = self.frames[self.k]
        for j in range(n):
            buf[j] = f[self.i + j]
        self.i += n
        self.bytes += n
        if self.i >= len(f):
            self.k += 1
            self.i = 0
        return n

    def readfrom_into(self, addr, buf):
        for j in range(len(buf)):
            buf[j] = 0
        if self.k >= 2:
            return
        buf[0] = 0x01
        if len(buf) > 1:  # one frame per read transaction, after the status byte
            f = self.frames[self.k]
            for j in range(len(f)):
                buf[1 + j] = f[j]
            self.k += 1
