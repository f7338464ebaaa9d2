# chip: the simulated PN532's host link: power states, wake-up, ACK/NACK/abort, lock-up, noise.
# SPDX-License-Identifier: MIT
"""``PN532(field)`` models the chip as a host controller sees it (UM0701-02).

Bytes from the host go in through ``feed(data)`` (HSU) or ``i2c_write(buf)`` (I2C); frames for the
host queue in ``out`` and a transport (``tools.sim.pn532.transport``) delivers them. ``tick()``
lets a waiting command progress: transports call it whenever the host looks for data.

Power and link, as modelled:

* Power-on and ``PowerDown`` leave the chip asleep. Over HSU only a 0x55 byte wakes it and every
  byte before it is lost (§7.2.11 wake-up sources; AN10609_3: "Low battery" mode is the
  start-up mode of PN532/C106). Over I2C any transaction addressing it wakes it, is not
  acknowledged, and its bytes are lost.
* A valid information frame is acknowledged (ACK, §6.2.1.3) before it runs; a frame with a bad
  LCS or DCS gets no answer at all, so the host times out and repeats it. A command the firmware
  rejects (unknown code, wrong parameters) gets the syntax error frame (§6.2.1.5).
* NACK from the host makes the chip send its last response frame again (§6.2.1.4); ACK from the
  host aborts the command in progress (§6.2.1.3), which then never answers.
* RSTPDN low holds the chip in reset; the rising edge is a power-on (PN532 data sheet, RSTPDN
  pin). A locked-up chip (``lock_up``) ignores everything until such a pulse.
* ``noise(rate, seed)`` corrupts that fraction of the frames sent to the host (one bit flipped
  between LEN and DCS); a NACK then retransmits the clean frame.
"""

from compat import const
from tools.sim.pn532 import commands, frame
from tools.sim.pn532.card import Rng

_RESET = const(0)  # RSTPDN held low
_ASLEEP = const(1)  # power-on (Low VBat) or PowerDown: waiting for a wake-up event
_AWAKE = const(2)
_LOCKED = const(3)  # firmware hung: silent until a reset pulse

WAKE_HSU = const(0x10)  # PowerDown WakeUpEnable bits, UM0701-02 §7.2.11
WAKE_I2C = const(0x80)
_WAKE_ALL = const(0xFF)
_HSU_WAKEUP = const(0x55)

_ENODEV = const(19)  # what machine.I2C raises when the address is not acknowledged


class PN532:
    def __init__(self, field):
        self.field = field
        self.out = []  # frames waiting for the host, oldest first
        self.decoder = frame.Decoder()
        self.commands_seen = 0  # valid command frames received since power-on
        self.lock_at = -1  # lock up when this many commands have been seen (-1: never)
        self._rng = None
        self._rate = 0
        self.power_on()

    # --- power -----------------------------------------------------------------------------
    def power_on(self):
        self.state = _ASLEEP
        self.wake_mask = _WAKE_ALL
        self._sleep_mask = -1  # PowerDown's wake-up sources, until its answer has gone
        self.out = []
        self.last = None
        self.pending = None
        self.decoder.reset()
        self.commands_seen = 0
        commands.power_on(self)
        self.field.power_cycle()

    def set_rstpdn(self, level):
        """RSTPDN pin level from the host: low holds reset, the rising edge powers on."""
        if not level:
            self.state = _RESET
            self.out = []
            self.pending = None
        elif self.state == _RESET:
            self.power_on()

    def sleep(self, wake_mask):
        """Power down once the frames already queued have gone to the host (§7.2.11: the
        PowerDown answer is sent before the chip sleeps)."""
        self._sleep_mask = wake_mask
        if not self.out:
            self._fall_asleep()

    def _fall_asleep(self):
        self.state = _ASLEEP
        self.wake_mask = self._sleep_mask
        self._sleep_mask = -1
        self.decoder.reset()

    def lock_up(self):
        self.state = _LOCKED
        self.pending = None

    # --- faults ----------------------------------------------------------------------------
    def noise(self, rate, seed=1):
        """Corrupt about ``rate`` (0..1) of the frames sent to the host, reproducibly."""
        self._rate = int(rate * 1000000)
        self._rng = Rng(seed) if rate else None

    # --- host to chip ----------------------------------------------------------------------
    def feed(self, data):
        """Bytes the host wrote on the HSU line."""
        for b in data:
            st = self.state
            if st == _AWAKE:
                self._event(self.decoder.feed(b))
            elif st == _ASLEEP and b == _HSU_WAKEUP and self.wake_mask & WAKE_HSU:
                self.state = _AWAKE
                self.decoder.reset()

    def i2c_select(self):
        """The host put the chip's address on the bus (read or write). A sleeping chip with I2C
        wake-up enabled wakes on it but does not acknowledge that transaction (§7.2.11)."""
        if self.state == _ASLEEP and self.wake_mask & WAKE_I2C:
            self.state = _AWAKE
            self.decoder.reset()
            raise OSError(_ENODEV)
        if self.state != _AWAKE:
            raise OSError(_ENODEV)

    def i2c_write(self, buf):
        self.decoder.reset()  # each I2C write carries one whole frame (§6.2, I2C)
        for b in buf:
            self._event(self.decoder.feed(b))

    def _event(self, ev):
        if ev == frame.GOT_ACK:
            self.pending = None  # abort (§6.2.1.3)
        elif ev == frame.GOT_NACK:
            if self.last is not None:
                self._send(self.last)
        elif ev == frame.GOT_FRAME:
            body = self.decoder.body
            if len(body) < 2 or body[0] != frame.TFI_HOST:
                return
            self.commands_seen += 1
            self.field.on_command(self.commands_seen)
            if 0 < self.lock_at <= self.commands_seen:
                self.lock_at = -1  # one hang per scenario; after the reset pulse all is well
                self.lock_up()
                return
            self._send(frame.ACK)
            self.pending = None  # a new command replaces one still waiting
            self._answer(commands.execute(self, body[1], bytes(body[2:])))

    def _answer(self, reply):
        if reply is None:
            return  # still working: tick() finishes it
        full = frame.ERROR if not reply else frame.encode(bytes((frame.TFI_CHIP,)) + reply)
        self.last = full
        self._send(full)

    def _send(self, data):
        if self._rng is not None and len(data) > 4 and self._rng.below(1000000) < self._rate:
            bad = bytearray(data)
            bad[3 + self._rng.below(len(data) - 4)] ^= 1 << self._rng.below(8)
            data = bytes(bad)
        self.out.append(data)

    # --- time ------------------------------------------------------------------------------
    def tick(self):
        """One step of a waiting command (one InListPassiveTarget activation attempt)."""
        if self.state == _AWAKE and self.pending is not None:
            self._answer(commands.resume(self))

    # --- chip to host ----------------------------------------------------------------------
    def take(self):
        """The oldest frame for the host, or None."""
        if self.state == _RESET or not self.out:
            return None
        f = self.out.pop(0)
        if not self.out and self._sleep_mask >= 0:
            self._fall_asleep()
        return f
