# chip: the ESP32 double: machine, network and esp32 as firmware/hardware.py sees them.
# SPDX-License-Identifier: MIT
"""``Esp32(clock=None, flash=None, pn532=None, ap=None)`` is the chip and what is wired to it;
``with esp.installed(): ...`` puts its ``machine``, ``network`` and ``esp32`` into
``sys.modules`` (and drops ``firmware.hardware``, so the next import sees them), so that
``firmware/hardware.py`` -- boot, build, Wi-Fi, safe mode -- runs in tests on CPython and on
MicroPython. ``root``: the folder standing for the terminal's file system root.

What each part does, and where that comes from:

- **Strapping pins** (ESP32 datasheet v4.x, §2.4 "Strapping Pins"): at reset the chip samples
  GPIO0, GPIO2, MTDI (GPIO12), MTDO (GPIO15) and GPIO5. GPIO0 low (with GPIO2 low or floating)
  selects the ROM's download boot: the firmware does not start, so ``boot.py`` never runs.
  MTDI high selects a 1.8 V flash supply, on which the 3.3 V flash of a WROOM module does not
  start. ``power_on()`` samples the buttons held at that moment and sets ``boot_mode``
  ("spi", "download", "flash_1v8"); ``boot.py`` may run only in "spi".
- **Pins**: ``Pin(n, Pin.IN, Pin.PULL_UP)`` reads 0 while a button to ground on ``n`` is
  pressed (``press(n, ...)``), else the pull's level; ``reads_zero=True`` makes every input
  read 0, as the emulated ESP32 (QEMU) does. Outputs record their level in ``levels``; the
  PN532's RSTPDN is wired to the pin ``pn532_reset``. GPIO 34-39 are inputs only, without
  pulls (datasheet §2.2, "Pin Description"): an output there raises ``ValueError``.
- **GPIO matrix** (ESP32 Technical Reference Manual §4 "IO_MUX and GPIO Matrix"): a pin's output
  comes from exactly one peripheral signal (``GPIO_FUNCn_OUT_SEL``). ``I2C(1, sda=21, scl=22)``
  routes pins 21 and 22 to controller 1; a controller whose pins were since routed to another
  drives nothing: its address is never acknowledged and every transfer raises ``OSError(19)``
  (ENODEV, how ports/esp32/machine_i2c.c reports a NACK). Devices on the bus: the PN532 (its
  simulator's I2C side, 0x24), and ``i2c_devices`` (``tools/sim/board/i2cdev.py``).
- ``UART(id, ...)``: the PN532 simulator's serial side on the UART it is wired to (``pn532_uart``);
  any other UART has nothing on it.
- ``WDT(timeout=ms)`` arms ``watchdog`` (the board's ``Watchdog`` on this chip's clock);
  ``RTC()``: ``datetime()`` reads 2000-01-01 00:00 after a power loss (the ESP32's RTC has no
  battery) and keeps what was set (``rtc_set`` counts the sets); ``memory()`` survives
  ``reset()``; ``Timer(0).init(callback=...)`` keeps the callback in ``timers``;
  ``reset()`` raises ``Reset``.
- ``network.WLAN(STA_IF)``: the one station, ``wlan`` (``tools/sim/board/wlan.py``).
- ``esp32.Partition.find(TYPE_DATA, label="hlog")``: the NOR flash model ``flash``, if any.
"""

import sys

from tools.sim.board.clock import Clock
from tools.sim.board.watchdog import Watchdog
from tools.sim.board.wlan import WLAN

_ENODEV = 19
_STRAPPING_DEFAULT = {0: 1, 2: 0, 5: 1, 12: 0, 15: 1}  # datasheet §2.4: internal pulls at reset
_INPUT_ONLY = (34, 35, 36, 37, 38, 39)
_PN532_I2C = 0x24
_RTC_RESET = (2000, 1, 1, 5, 0, 0, 0, 0)  # (y, m, d, weekday, h, mi, s, subseconds)


class _Pn532OnBus:
    """The PN532 simulator's I2C side as a device of the bus (``writeto(buf)``...)."""

    def __init__(self, chip):
        from tools.sim.pn532.transport import I2C

        self._i2c = I2C(chip)

    def writeto(self, buf):
        self._i2c.writeto(_PN532_I2C, buf)

    def readfrom_into(self, buf):
        self._i2c.readfrom_into(_PN532_I2C, buf)


class Reset(BaseException):
    """``machine.reset()``: the chip restarts; nothing after it runs."""


class _Module:
    """What ``sys.modules`` holds for a module the double stands for."""

    def __init__(self, name, **attrs):
        self.__name__ = name
        for k, v in attrs.items():
            setattr(self, k, v)


class Esp32:
    def __init__(self, clock=None, flash=None, pn532=None, ap=None, root=""):
        self.clock = clock if clock is not None else Clock()
        self.flash = flash
        self.pn532 = pn532
        self.pn532_uart = 2
        self.pn532_reset = 4
        self.root = root
        self.wlan = WLAN(self.clock, ap)
        self.watchdog = Watchdog(self.clock)
        self.reads_zero = False
        self.levels = {}  # output pin -> level
        self.pulls = {}  # input pin -> level its pull gives (1 up, 0 down, None floating)
        self.i2c_devices = {}  # address -> device
        self.routes = {}  # pin -> I2C controller id whose signal drives it (GPIO matrix)
        self.rtc_time = _RTC_RESET  # RTC.datetime(): after a power loss, 2000-01-01 00:00
        self.rtc_set = 0
        self.rtc_memory = b""
        self.timers = {}
        self.pwm = {}
        self.boot_mode = None
        self._buttons = {}  # pin -> list of (start_ms, end_ms or None), on clock ticks
        self._cue = None  # (pins, colour, hold_ms): press when the LED shows that colour

    # --- the outside world --------------------------------------------------------------------

    def press(self, pin, start_ms=0, end_ms=None):
        """A button from ``pin`` to ground held from ``start_ms`` to ``end_ms`` (clock ticks;
        None: held until released with ``release``)."""
        self._buttons.setdefault(pin, []).append([start_ms, end_ms])

    def release(self, pin):
        for b in self._buttons.get(pin, ()):
            if b[1] is None:
                b[1] = self.clock.ticks_ms()

    def press_on_cue(self, pin, led_pins, colour, reaction_ms=250, hold_ms=300):
        """A technician watching the LED: ``reaction_ms`` after it shows ``colour`` (r, g, b),
        they press the button on ``pin`` for ``hold_ms``."""
        self._cue = (pin, tuple(led_pins), tuple(colour), reaction_ms, hold_ms)

    def _watch_cue(self):
        if self._cue is None:
            return
        pin, leds, colour, reaction, hold = self._cue
        if tuple(self.levels.get(p, 0) for p in leds) == colour:
            at = self.clock.ticks_ms() + reaction
            self._cue = None
            self.press(pin, at, at + hold)

    def pressed(self, pin):
        now = self.clock.ticks_ms()
        for start, end in self._buttons.get(pin, ()):
            if start <= now and (end is None or now < end):
                return True
        return False

    def power_on(self):
        """Power-up: RTC memory is lost, the strapping pins are sampled; returns ``boot_mode``."""
        self.rtc_memory = b""
        self.rtc_time = _RTC_RESET
        self.levels = {}
        self.routes = {}
        self.timers = {}
        self.watchdog.stop()
        level = {}
        for pin, default in _STRAPPING_DEFAULT.items():
            level[pin] = 0 if self.pressed(pin) else default
        if level[12]:
            self.boot_mode = "flash_1v8"
        elif not level[0] and not level[2]:
            self.boot_mode = "download"
        else:
            self.boot_mode = "spi"
        return self.boot_mode

    # --- the modules --------------------------------------------------------------------------

    def modules(self):
        return {"machine": self._machine(), "network": self._network(), "esp32": self._esp32()}

    def installed(self):
        return _Installed(self)

    def _read(self, n):
        self._watch_cue()
        if self.reads_zero or self.pressed(n):
            return 0
        pull = self.pulls.get(n)
        return 0 if pull is None else pull

    def _machine(self):
        esp = self

        class Pin:
            IN = 1
            OUT = 3
            OPEN_DRAIN = 7
            PULL_UP = 1
            PULL_DOWN = 2

            def __init__(self, n, mode=-1, pull=-1, value=None):
                self.n = n
                if mode == Pin.OUT and n in _INPUT_ONLY:
                    raise ValueError("pin can only be input")
                if mode == Pin.IN:
                    if n in _INPUT_ONLY:
                        esp.pulls[n] = None  # no internal pulls on GPIO 34-39
                    else:
                        esp.pulls[n] = {Pin.PULL_UP: 1, Pin.PULL_DOWN: 0}.get(pull)
                if value is not None:
                    self.value(value)

            def value(self, v=None):
                if v is None:
                    if self.n in esp.levels:
                        return esp.levels[self.n]
                    return esp._read(self.n)
                esp.levels[self.n] = 1 if v else 0
                if self.n == esp.pn532_reset and esp.pn532 is not None:
                    esp.pn532.set_rstpdn(esp.levels[self.n])
                esp._watch_cue()
                return None

            def __call__(self, v=None):
                return self.value(v)

            def on(self):
                self.value(1)

            def off(self):
                self.value(0)

        def pin_no(p):
            return p.n if isinstance(p, Pin) else p

        class I2C:
            def __init__(self, id, *, scl, sda, freq=400000, timeout=50000):
                self.id = id
                self.pins = (pin_no(sda), pin_no(scl))
                for p in self.pins:
                    esp.routes[p] = id  # the GPIO matrix: each pin follows one signal only

            def _device(self, addr):
                if any(esp.routes.get(p) != self.id for p in self.pins):
                    raise OSError(_ENODEV)  # its signals reach no pin: nothing acknowledges
                if addr == _PN532_I2C and esp.pn532 is not None:
                    return _Pn532OnBus(esp.pn532)
                dev = esp.i2c_devices.get(addr)
                if dev is None:
                    raise OSError(_ENODEV)
                return dev

            def scan(self):
                found = []
                for addr in [_PN532_I2C] + sorted(esp.i2c_devices):
                    try:
                        self._device(addr)
                        found.append(addr)
                    except OSError:
                        pass
                return found

            def writeto(self, addr, buf, stop=True):
                self._device(addr).writeto(bytes(buf))
                return len(buf)

            def readfrom_into(self, addr, buf, stop=True):
                self._device(addr).readfrom_into(buf)

            def readfrom(self, addr, n, stop=True):
                buf = bytearray(n)
                self.readfrom_into(addr, buf, stop)
                return bytes(buf)

            def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
                self.writeto(addr, bytes((memaddr,)) + bytes(buf))

            def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
                self.writeto(addr, bytes((memaddr,)), False)
                self.readfrom_into(addr, buf)

        class Silent:
            """A UART with nothing on its other end."""

            def write(self, buf):
                return len(buf)

            def any(self):
                return 0

            def read(self, n=-1):
                return None

            def readinto(self, buf, n=-1):
                return None

        def UART(id, baudrate=115200, **kwargs):  # noqa: N802 - machine.UART is a class
            if id != esp.pn532_uart or esp.pn532 is None:
                return Silent()
            from tools.sim.pn532.transport import UART as Pn532Uart

            return Pn532Uart(esp.pn532)

        class PWM:
            def __init__(self, pin, freq=0, duty_u16=0):
                self.pin = pin_no(pin)
                esp.pwm[self.pin] = self
                self._freq = freq
                self._duty = duty_u16

            def freq(self, f=None):
                if f is None:
                    return self._freq
                self._freq = f
                return None

            def duty_u16(self, d=None):
                if d is None:
                    return self._duty
                self._duty = d
                return None

        class Timer:
            PERIODIC = 1
            ONE_SHOT = 0

            def __init__(self, id=-1):
                self.id = id

            def init(self, mode=1, period=-1, callback=None, **kwargs):
                esp.timers[self.id] = (period, callback)

            def deinit(self):
                esp.timers.pop(self.id, None)

        class RTC:
            def datetime(self, dt=None):
                if dt is None:
                    return esp.rtc_time
                esp.rtc_time = tuple(dt)
                esp.rtc_set += 1
                return None

            def memory(self, data=None):
                if data is None:
                    return esp.rtc_memory
                esp.rtc_memory = bytes(data)
                return None

        class WDT:
            def __init__(self, id=0, timeout=5000):
                esp.watchdog.start(timeout)

            def feed(self):
                esp.watchdog.feed()

        def reset():
            raise Reset()

        return _Module("machine", Pin=Pin, I2C=I2C, SoftI2C=I2C, UART=UART, PWM=PWM,
                       Timer=Timer, RTC=RTC, WDT=WDT, reset=reset,
                       reset_cause=lambda: 1, PWRON_RESET=1, WDT_RESET=3)  # fmt: skip

    def _network(self):
        esp = self

        def wlan(interface=0):
            if interface != 0:
                raise ValueError("only the station is modelled")
            return esp.wlan

        return _Module("network", WLAN=wlan, STA_IF=0, AP_IF=1, STAT_IDLE=1000,
                       STAT_CONNECTING=1001, STAT_GOT_IP=1010, STAT_NO_AP_FOUND=201,
                       STAT_WRONG_PASSWORD=202, STAT_BEACON_TIMEOUT=200, STAT_ASSOC_FAIL=203,
                       STAT_HANDSHAKE_TIMEOUT=204)  # fmt: skip

    def _esp32(self):
        esp = self

        class Partition:
            TYPE_APP = 0
            TYPE_DATA = 1

            @staticmethod
            def find(type=0, subtype=255, label=None):
                if esp.flash is not None and type == 1 and label in (None, "hlog"):
                    return [esp.flash]
                return []

        return _Module("esp32", Partition=Partition)


def _forget_hardware():
    """Drop firmware.hardware, so the next import runs it against the modules in place now."""
    sys.modules.pop("firmware.hardware", None)
    pkg = sys.modules.get("firmware")
    if pkg is not None and "hardware" in dir(pkg):
        delattr(pkg, "hardware")


class _Installed:
    _NAMES = ("machine", "network", "esp32")

    def __init__(self, esp):
        self.esp = esp
        self._saved = {}

    def __enter__(self):
        mods = self.esp.modules()
        for name in self._NAMES:
            self._saved[name] = sys.modules.get(name)
            sys.modules[name] = mods[name]
        _forget_hardware()
        return self.esp

    def __exit__(self, *exc):
        for name in self._NAMES:
            if self._saved[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = self._saved[name]
        _forget_hardware()
        return False
