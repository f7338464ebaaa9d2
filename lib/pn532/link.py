# pn532.link: PN532 host link (UM0701-02 §6.2): receive, ACK/NACK, command exchange, deadlines.
# SPDX-License-Identifier: MIT
"""The frame protocol shared by every transport; a transport provides three hooks, two constants.

Hooks (each transport implements these and nothing else of the protocol):

- ``_write(buf)``: send all of ``buf``.
- ``_read(buf) -> n``: put up to ``len(buf)`` received bytes in ``buf``; 0 when none is ready.
  Never blocks.
- ``_wake()``: bring the chip out of power-down / reset (HSU needs a long preamble, §7.2.11).
- ``_PACKETISED``: True when one ``_read`` returns at most one frame and the rest of it is padding
  (I2C), so leftover bytes are dropped instead of parsed; ``_WAKE_SOURCE``: the PowerDown
  WakeUpEnable bit of the bus. These two are class constants, not code.

Incoming bytes go through a byte-wise state machine so that garbage before a frame is skipped and
parsing resynchronises on the next ``00 FF`` start code (§6.2.1.1). Checks run in the order the
frame allows: the length is present, LCS, then DCS over TFI + data; only then does the caller look
at TFI, the response code (command + 1) and the payload.
"""

from compat import const, sleep_ms, ticks_add, ticks_diff, ticks_ms

from .errors import PN532ChipError, PN532FrameError, PN532Timeout
from .frame import ACK_FRAME, NACK_FRAME, build_frame

FRAME_MAX = const(272)  # extended frame: 265 data bytes (§6.2.1.2) + header and checksums
_CHUNK = const(64)
_TFI_CHIP = const(0xD5)  # PN532 -> host
_ERROR_TFI = const(0x7F)  # application-level error frame (§6.2.1.5)
_ACK_TIMEOUT_MS = const(30)  # generous: the ACK follows a frame within a few ms (§6.2.2)
_NACK_LIMIT = const(2)  # retransmissions asked for a corrupted response (§6.2.1.4)
_RESEND_LIMIT = const(1)  # re-sends of a command that got no ACK
_VIEW_CACHE_MAX = const(48)  # frames up to this length keep their view (bounded cache)

# Receiver results (>= 0 is the length of a complete, checksummed data frame: TFI + data).
NONE = const(-1)
ACK = const(-2)
NACK = const(-3)
BAD = const(-4)  # LEN/LCS fine but DCS wrong: ask for the frame again with a NACK

# Receiver states.
_S_SEEK = const(0)
_S_START = const(1)
_S_LEN = const(2)
_S_LCS = const(3)
_S_XLENM = const(4)
_S_XLENL = const(5)
_S_XLCS = const(6)
_S_DATA = const(7)
_S_DCS = const(8)


class Link:
    _PACKETISED = False
    _WAKE_SOURCE = 0x10  # PowerDown WakeUpEnable bit of this transport (UM0701-02 §7.2.11)

    def __init__(self):
        self._out = bytearray(FRAME_MAX)  # the command being sent, kept for retransmission
        self._out_mv = memoryview(self._out)
        self._out_len = 0
        self._views = {}  # frame length -> view of self._out: sending allocates nothing
        self._data = bytearray(FRAME_MAX)  # TFI + data of the last received frame
        self._rx = bytearray(_CHUNK)
        self._rx_n = 0
        self._rx_i = 0
        self._st = _S_SEEK
        self._len = 0
        self._got = 0
        self._sum = 0
        self.asleep = True  # HSU needs a wake-up before the first command (§7.2.11)
        self.frames_rejected = 0  # counted for the health report
        self.nacks_sent = 0

    # --- the transport hooks (the contract in the module docstring) -----------------------

    def _write(self, buf):
        raise NotImplementedError

    def _read(self, buf):
        raise NotImplementedError

    def _wake(self):
        raise NotImplementedError

    # --- receiver -------------------------------------------------------------------------

    def _rx_reset(self):
        self._rx_n = self._rx_i = 0
        self._st = _S_SEEK

    def _feed(self, b):
        st = self._st
        if st == _S_DATA:
            self._data[self._got] = b
            self._sum += b
            self._got += 1
            if self._got == self._len:
                self._st = _S_DCS
            return NONE
        if st == _S_SEEK:
            if b == 0x00:
                self._st = _S_START
            return NONE
        if st == _S_START:
            if b == 0xFF:
                self._st = _S_LEN
            elif b != 0x00:
                self._st = _S_SEEK
            return NONE
        if st == _S_LEN:
            self._len = b
            self._st = _S_LCS
            return NONE
        if st == _S_LCS:
            ln = self._len
            self._st = _S_SEEK
            if ln == 0x00 and b == 0xFF:
                return ACK
            if ln == 0xFF and b == 0x00:
                return NACK
            if ln == 0xFF and b == 0xFF:
                self._st = _S_XLENM
            elif ln and (ln + b) & 0xFF == 0:
                self._start_data()
            else:
                self.frames_rejected += 1  # a false start: resynchronise on the next 00 FF
                self._st = _S_START if b == 0x00 else _S_SEEK
            return NONE
        if st == _S_XLENM:
            self._len = b << 8
            self._st = _S_XLENL
            return NONE
        if st == _S_XLENL:
            self._len |= b
            self._st = _S_XLCS
            return NONE
        if st == _S_XLCS:
            ln = self._len
            self._st = _S_SEEK
            if ln and ln <= FRAME_MAX and ((ln >> 8) + ln + b) & 0xFF == 0:
                self._start_data()
            else:
                self.frames_rejected += 1
            return NONE
        # _S_DCS
        self._st = _S_SEEK
        if (self._sum + b) & 0xFF:
            self.frames_rejected += 1
            return BAD
        return self._len

    def _start_data(self):
        self._got = 0
        self._sum = 0
        self._st = _S_DATA

    def _pump(self):
        """Parse buffered bytes, reading the transport at most once; return a receiver result."""
        fresh = False
        while True:
            if self._rx_i >= self._rx_n:
                if fresh:
                    return NONE
                self._rx_i = 0
                self._rx_n = self._read(self._rx)
                fresh = True
                if self._PACKETISED:  # each I2C read starts a frame: drop a half-parsed one
                    self._st = _S_SEEK
                if not self._rx_n:
                    return NONE
            b = self._rx[self._rx_i]
            self._rx_i += 1
            r = self._feed(b)
            if r != NONE:
                if self._PACKETISED:
                    self._rx_i = self._rx_n
                    self._st = _S_SEEK
                return r

    def _drain(self):
        """Drop stale input (a late answer to an aborted command) before a new command."""
        self._rx_reset()
        for _ in range(8):  # bounded: a babbling line cannot keep us here
            if not self._read(self._rx):
                break
        self._rx_reset()

    # --- sender ---------------------------------------------------------------------------

    def _send(self, cmd, n):
        """Frame ``cmd`` with the ``n`` parameters already at ``self._out[7:]`` and send it."""
        if self.asleep:
            self._wake()
            self.asleep = False
        self._drain()
        self._out_len = build_frame(self._out, cmd, None, n)
        self._write(self._frame_view())

    def _resend(self):
        self._write(self._frame_view())

    def _frame_view(self):
        """The frame being sent as a view; one view per length, made once (first use), so a
        command allocates nothing after warm-up (the ``_write`` hook takes a whole buffer)."""
        n = self._out_len
        v = self._views.get(n)
        if v is None:
            v = self._out_mv[:n]
            if n <= _VIEW_CACHE_MAX:
                self._views[n] = v
        return v

    def abort(self):
        """Send an ACK frame: the PN532 drops the command in progress (§6.2.1.3)."""
        self._write(ACK_FRAME)
        self._rx_reset()

    def _check(self, n):
        """Validate TFI and response code of the received frame; return the payload length, or
        -1 for a stale answer (another command's code, e.g. resent after a NACK): skip it."""
        data = self._data
        if n == 1 and data[0] == _ERROR_TFI:
            raise PN532ChipError(_ERROR_TFI)
        if n < 2 or data[0] != _TFI_CHIP:
            self.frames_rejected += 1
            raise PN532FrameError("unexpected frame")
        if data[1] != self._out[6] + 1:
            self.frames_rejected += 1
            return -1
        return n - 2

    def _command(self, cmd, n, timeout_ms=100):
        """Send ``cmd`` with ``n`` parameters staged at ``self._out[7:]``, return payload length.

        The payload is at ``self._data[2:2 + length]``. Raises PN532Timeout when no ACK or no
        response comes in time (then the command is aborted), PN532FrameError, PN532ChipError.
        Longest wait: 3 x 30 ms (ACK, its resend, a NACK for a lost answer) + 3 x ``timeout_ms``.
        """
        self._send(cmd, n)
        acked = nudged = False
        resends = nacks = 0
        deadline = ticks_add(ticks_ms(), _ACK_TIMEOUT_MS)
        while True:
            # The deadline is checked on every pass, not only when the line is quiet: a line
            # that babbles valid-looking ACKs must not hold the caller either.
            if ticks_diff(ticks_ms(), deadline) >= 0:
                if not acked and resends < _RESEND_LIMIT:
                    resends += 1  # the frame may have been lost on the line: send it again
                    self._resend()
                    deadline = ticks_add(ticks_ms(), _ACK_TIMEOUT_MS)
                    continue
                if acked and not nudged:
                    # An answer whose LEN or LCS was hit on the line is never seen: ask for it
                    # again once (§6.2.1.4) before giving up.
                    nudged = True
                    self.nacks_sent += 1
                    self._write(NACK_FRAME)
                    deadline = ticks_add(ticks_ms(), _ACK_TIMEOUT_MS)
                    continue
                self.abort()
                raise PN532Timeout("no ACK" if not acked else "no response")
            r = self._pump()
            if r == NONE:
                sleep_ms(1)
            elif r == ACK:
                if not acked:
                    acked = True
                    deadline = ticks_add(ticks_ms(), timeout_ms)
            elif r == NACK or r == BAD:
                # NACK from the chip: it lost our frame; BAD: we lost its frame (§6.2.1.4).
                if nacks >= _NACK_LIMIT:
                    self.abort()
                    raise PN532FrameError("checksum")
                nacks += 1
                if r == NACK:
                    self._resend()
                else:
                    self.nacks_sent += 1
                    self._write(NACK_FRAME)
                deadline = ticks_add(ticks_ms(), timeout_ms)
            else:
                n = self._check(r)
                if n >= 0:
                    return n
