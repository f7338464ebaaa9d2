# pn532.chip: PN532 commands (UM0701-02 §7) and the non-blocking card poll, over any transport.
# SPDX-License-Identifier: MIT
"""``PN532`` speaks the chip's commands through the frame layer in ``link``.

Polling never blocks: ``start_poll()`` sends InListPassiveTarget, ``poll()`` returns
``WOULDBLOCK`` (nothing yet), ``TIMEOUT`` (no card, or no answer by the deadline: the command is
aborted with an ACK) or ``READY`` (``self.target`` holds the card). After warm-up a poll allocates
nothing: the command frame is built once, answers are parsed into preallocated buffers.
``read_passive_target(timeout_ms)`` wraps the pair for callers that may block.
"""

from compat import const, sleep_ms, ticks_add, ticks_diff, ticks_ms

from .errors import PN532ChipError, PN532FrameError
from .frame import NACK_FRAME, build_frame
from .link import ACK, BAD, NACK, NONE, Link
from .target import Target

WOULDBLOCK = const(0)
TIMEOUT = const(1)
READY = const(2)

# Command codes, named as in UM0701-02 §7.
_CMD_GET_FIRMWARE_VERSION = const(0x02)  # §7.2.2
_CMD_READ_REGISTER = const(0x06)  # §7.2.4
_CMD_WRITE_REGISTER = const(0x08)  # §7.2.5
_CMD_SAM_CONFIGURATION = const(0x14)  # §7.2.10
_CMD_POWER_DOWN = const(0x16)  # §7.2.11
_CMD_RF_CONFIGURATION = const(0x32)  # §7.3.1
_CMD_IN_DATA_EXCHANGE = const(0x40)  # §7.3.8
_CMD_IN_COMMUNICATE_THRU = const(0x42)  # §7.3.9
_CMD_IN_DESELECT = const(0x44)  # §7.3.10
_CMD_IN_LIST_PASSIVE_TARGET = const(0x4A)  # §7.3.5
_CMD_IN_RELEASE = const(0x52)  # §7.3.11
_CFG_RF_FIELD = const(0x01)  # RFConfiguration CfgItem (§7.3.1)
_CFG_TIMINGS = const(0x02)  # various timings: RFU, ATR_RES timeout, fRetryTimeout
_ATR_RES_TIMEOUT = const(0x0B)  # 102.4 ms, the chip's default (§7.3.1)
_CFG_MAX_RETRIES = const(0x05)
_BRTY_106_TYPE_A = const(0x00)
_ILPT_FRAME = const(11)  # bytes of the prebuilt InListPassiveTarget frame
_STATUS_MASK = const(0x3F)  # status byte: bits 6-7 are NAD/MI flags (§7.1)
_POLL_IDLE = const(0)
_POLL_ACK = const(1)
_POLL_RSP = const(2)


class PN532(Link):
    def __init__(self, reset=None):
        super().__init__()
        self._reset_pin = reset
        self.target = Target()
        self._ilpt = bytearray(_ILPT_FRAME)
        # MaxTg 1, BrTy 106 kbps type A (§7.3.5)
        build_frame(self._ilpt, _CMD_IN_LIST_PASSIVE_TARGET, bytes((1, _BRTY_106_TYPE_A)), 2)
        self._poll_state = _POLL_IDLE
        self._poll_deadline = 0
        self._poll_nacks = 0
        self.response_len = 0  # card answer length of the last in_communicate_thru_status
        # RFConfiguration item 2 fRetryTimeout code sent by init(), or None for the chip's
        # default 0x0A = 51.2 ms (§7.3.1). Code c means 100 µs x 2^(c-1) (0x04: 0.8 ms).
        self.retry_timeout = None

    # --- set-up ---------------------------------------------------------------------------

    def firmware_version(self):
        """GetFirmwareVersion (§7.2.2): ``(ic, ver, rev, support)``, IC is 0x32 for a PN532."""
        if self._command(_CMD_GET_FIRMWARE_VERSION, 0) < 4:
            raise PN532FrameError("short")
        d = self._data
        return d[2], d[3], d[4], d[5]

    def sam_configuration(self, mode=1, timeout=0x14, irq=1):
        """SAMConfiguration (§7.2.10): normal mode, no SAM; also wakes the chip from power-down."""
        out = self._out
        out[7] = mode
        out[8] = timeout
        out[9] = irq
        self._command(_CMD_SAM_CONFIGURATION, 3)

    def rf_configuration(self, item, values):
        out = self._out
        out[7] = item
        for i in range(len(values)):
            out[8 + i] = values[i]
        self._command(_CMD_RF_CONFIGURATION, 1 + len(values))

    def set_max_retries(self, passive=1, atr=0xFF, psl=0x01):
        """RFConfiguration item 5 (§7.3.1): MxRtyPassiveActivation 0xFF retries forever, so
        InListPassiveTarget would never answer without a card; a finite count makes it return
        NbTg = 0 instead."""
        self.rf_configuration(_CFG_MAX_RETRIES, bytes((atr, psl, passive)))

    def rf_field(self, on):
        """RFConfiguration item 1 (§7.3.1): switch the antenna field (AutoRFCA off)."""
        self.rf_configuration(_CFG_RF_FIELD, b"\x01" if on else b"\x00")

    def set_timings(self, retry_timeout, atr_timeout=_ATR_RES_TIMEOUT):
        """RFConfiguration item 2 (§7.3.1): fRetryTimeout is how long the chip waits for a
        card's answer in InCommunicateThru, and in InDataExchange with a MIFARE (Classic,
        Ultralight) or FeliCa target; then it answers status 0x01 (timeout)."""
        self.rf_configuration(_CFG_TIMINGS, bytes((0x00, atr_timeout, retry_timeout)))

    def init(self, passive_retries=1):
        """Wake the chip, configure the SAM and bound the activation retries (and, when
        ``retry_timeout`` is set, the chip's wait for a card's answer)."""
        self.sam_configuration()
        self.set_max_retries(passive=passive_retries)
        if self.retry_timeout is not None:
            self.set_timings(self.retry_timeout)

    def reset(self, low_ms=10, settle_ms=20):
        """Pulse RSTPDN low through the injected pin (PN532 data sheet, RSTPDN: active low).

        The chip comes back in its power-on state, so the next command wakes it again."""
        if self._reset_pin is None:
            return False
        self._reset_pin.value(0)
        sleep_ms(low_ms)
        self._reset_pin.value(1)
        sleep_ms(settle_ms)
        self.asleep = True
        self._poll_state = _POLL_IDLE
        return True

    def power_down(self, wakeup_enable=None):
        """PowerDown (§7.2.11); wake-up source: this transport's (HSU 0x10, I2C 0x80) unless
        given. The next command wakes the chip first."""
        self._out[7] = self._WAKE_SOURCE if wakeup_enable is None else wakeup_enable
        n = self._command(_CMD_POWER_DOWN, 1)
        status = self._data[2] & _STATUS_MASK if n else 0
        self.asleep = True
        if status:
            raise PN532ChipError(status)

    # --- registers ------------------------------------------------------------------------

    def read_register(self, addr):
        """ReadRegister (§7.2.4) of one 16-bit address; returns the byte."""
        self._out[7] = addr >> 8
        self._out[8] = addr & 0xFF
        if self._command(_CMD_READ_REGISTER, 2) < 1:
            raise PN532FrameError("short")
        return self._data[2]

    def write_registers(self, pairs):
        """WriteRegister (§7.2.5): ``pairs`` is a flat sequence addr, value, addr, value..."""
        out = self._out
        n = 0
        for i in range(0, len(pairs), 2):
            out[7 + n] = pairs[i] >> 8
            out[8 + n] = pairs[i] & 0xFF
            out[9 + n] = pairs[i + 1]
            n += 3
        self._command(_CMD_WRITE_REGISTER, n)

    def write_register(self, addr, value):
        self.write_registers((addr, value))

    def write_register_bytes(self, triples):
        """WriteRegister (§7.2.5) of a ready payload: ``bytes`` of (address high, address low,
        value) triples. For constants: frozen into firmware, a ``bytes`` stays in flash as it
        is, where a tuple of 16-bit addresses freezes as long ints (mpy-tool keeps only
        -0x2000..0x1FFF as small ints) and each ``>> 8`` on them allocates."""
        out = self._out
        n = len(triples)
        for i in range(n):
            out[7 + i] = triples[i]
        self._command(_CMD_WRITE_REGISTER, n)

    # --- card commands --------------------------------------------------------------------

    def _status_command(self, cmd, n, timeout_ms):
        """Commands whose answer starts with a status byte (§7.1): raise on a non-zero status,
        return the data length after it (data at ``self._data[3:]``)."""
        ln = self._command(cmd, n, timeout_ms)
        if ln < 1:
            raise PN532FrameError("short")
        status = self._data[2] & _STATUS_MASK
        if status:
            raise PN532ChipError(status)
        return ln - 1

    def in_data_exchange(self, data, n=None, timeout_ms=200):
        """InDataExchange (§7.3.8) with the current target; returns the answer length.

        The answer is at ``self.response`` [0:length]."""
        n = len(data) if n is None else n
        out = self._out
        out[7] = self.target.tg or 1
        for i in range(n):
            out[8 + i] = data[i]
        return self._status_command(_CMD_IN_DATA_EXCHANGE, n + 1, timeout_ms)

    def in_communicate_thru_status(self, data, n, timeout_ms=200):
        """InCommunicateThru (§7.3.9): raw bytes to the card, framing from CIU registers.
        Returns the status byte (§7.1: 0 ok, 0x01 the card did not answer, ...) instead of
        raising on it, so a probe that expects silence allocates nothing. The answer is
        ``response_byte(i)`` for i < ``response_len``. A broken link still raises
        ``PN532Timeout`` / ``PN532FrameError``."""
        out = self._out
        for i in range(n):
            out[7 + i] = data[i]
        ln = self._command(_CMD_IN_COMMUNICATE_THRU, n, timeout_ms)
        if ln < 1:
            raise PN532FrameError("short")
        self.response_len = ln - 1
        return self._data[2] & _STATUS_MASK

    def response_byte(self, i):
        """Byte ``i`` of the card's answer of the last exchange (no view is made)."""
        return self._data[3 + i]

    @property
    def response(self):
        """The card's answer of the last exchange, starting at its first byte (a view)."""
        return memoryview(self._data)[3:]

    def in_release(self, tg=0):
        """InRelease (§7.3.11): tg 0 releases all targets."""
        self._out[7] = tg
        self._status_command(_CMD_IN_RELEASE, 1, 100)

    def in_deselect(self, tg=0):
        """InDeselect (§7.3.10)."""
        self._out[7] = tg
        self._status_command(_CMD_IN_DESELECT, 1, 100)

    # --- polling (never blocks; ESPHome's update/loop split) -------------------------------

    def start_poll(self, timeout_ms=150):
        """Send InListPassiveTarget for one 106 kbps type A card (§7.3.5)."""
        if self.asleep:
            self._wake()
            self.asleep = False
        self._drain()
        self._out[6] = _CMD_IN_LIST_PASSIVE_TARGET  # what _check compares the answer with
        self._write(self._ilpt)
        self._poll_state = _POLL_ACK
        self._poll_nacks = 0
        self._poll_deadline = ticks_add(ticks_ms(), timeout_ms)

    def poll(self):
        """Advance the outstanding poll; WOULDBLOCK, TIMEOUT or READY. Never blocks."""
        if self._poll_state == _POLL_IDLE:
            return TIMEOUT
        for _ in range(4):  # bounded: ACK + response, with room for a NACK round
            r = self._pump()
            if r == NONE:
                break
            if r == ACK:
                self._poll_state = _POLL_RSP
            elif r == NACK:
                self._write(self._ilpt)
            elif r == BAD:
                if self._poll_nacks >= 2:
                    self._poll_state = _POLL_IDLE
                    self.abort()
                    raise PN532FrameError("checksum")
                self._poll_nacks += 1
                self.nacks_sent += 1
                self._write(NACK_FRAME)
            else:
                self._poll_state = _POLL_IDLE  # also when _check or parse raises
                n = self._check(r)
                if n >= 0:
                    return READY if self.target.parse(self._data, n) else TIMEOUT
                self._poll_state = _POLL_RSP  # a stale answer: keep waiting for ours
        if ticks_diff(ticks_ms(), self._poll_deadline) >= 0:
            self._poll_state = _POLL_IDLE
            self.abort()
            return TIMEOUT
        return WOULDBLOCK

    def read_passive_target(self, timeout_ms=150):
        """Blocking poll: the ``Target`` or None when no card answered within the deadline."""
        self.start_poll(timeout_ms)
        while True:
            r = self.poll()
            if r == READY:
                return self.target
            if r == TIMEOUT:
                return None
            sleep_ms(1)
