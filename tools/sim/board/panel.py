# panel: simulated terminal peripherals (RGB LED, buzzer, OLED, Wi-Fi, clock, watchdog, RTC).
# SPDX-License-Identifier: MIT
"""Objects shaped like what ``firmware.hardware`` builds on the ESP32, for tests and the fleet:

==============  ===============================================================
``Led``         ``set(r, g, b)`` (0/1 each); ``rgb`` holds the last colour
``Buzzer``      ``tone(hz)`` (0 = silent); ``beeps`` counts tones started
``Display``     ``show(line1, line2)``; ``lines`` holds what is on the screen
``Wifi``        ``connect(ssid, password)``, ``isconnected()``, ``rssi()``; ``up`` = AP there
``Clock``       ``ticks_ms()``, ``wall()`` (s since 2000 or None), ``set_wall(s)``; ``advance``
``Watchdog``    ``feed()``; ``fed`` counts
``Rtc``         a DS3231 stand-in: ``read()`` -> s since 2000 or None, ``write(s)``
==============  ===============================================================

``Clock(real=True)`` follows the runtime's ticks (for asyncio tests); otherwise time moves only
when ``advance(ms)`` is called, so a simulation can run days in seconds.
"""

from compat import ticks_add, ticks_diff, ticks_ms


class Led:
    def __init__(self):
        self._rgb = bytearray(3)  # set() must not allocate: it is on the tap path
        self.changes = 0

    @property
    def rgb(self):
        return tuple(self._rgb)

    def set(self, r, g, b):
        self._rgb[0] = r
        self._rgb[1] = g
        self._rgb[2] = b
        self.changes += 1


class Buzzer:
    def __init__(self):
        self.hz = 0
        self.beeps = 0

    def tone(self, hz):
        if hz and not self.hz:
            self.beeps += 1
        self.hz = hz


class Display:
    def __init__(self):
        self.lines = ("", "")

    def show(self, line1, line2=""):
        self.lines = (line1, line2)


class Wifi:
    def __init__(self, up=True, rssi=-60):
        self.up = up  # the access point is reachable
        self.connected = False
        self.attempts = 0
        self._rssi = rssi

    def connect(self, ssid, password):
        self.attempts += 1
        self.connected = self.up

    def isconnected(self):
        if not self.up:
            self.connected = False
        return self.connected

    def rssi(self):
        return self._rssi if self.isconnected() else 0


class Clock:
    def __init__(self, real=False, wall=None, start_ms=0):
        self.real = real
        self._t = start_ms  # ticks (wrapped like the runtime's)
        self._elapsed_s = 0  # simulated seconds, never wrapped (for wall time over days)
        self._elapsed_ms = 0
        self._base = ticks_ms()
        self._wall = wall  # seconds since 2000 at _wall_at, or None (unknown)
        self._wall_at = 0

    def ticks_ms(self):
        if self.real:
            return ticks_add(self._t, ticks_diff(ticks_ms(), self._base))
        return self._t

    def advance(self, ms):
        self._t = ticks_add(self._t, ms)
        ms += self._elapsed_ms
        self._elapsed_s += ms // 1000
        self._elapsed_ms = ms % 1000

    def _now_s(self):
        if self.real:
            return self._elapsed_s + ticks_diff(ticks_ms(), self._base) // 1000
        return self._elapsed_s

    def wall(self):
        if self._wall is None:
            return None
        return self._wall + self._now_s() - self._wall_at

    def set_wall(self, seconds):
        self._wall = seconds
        self._wall_at = self._now_s()


class Watchdog:
    def __init__(self):
        self.fed = 0

    def feed(self):
        self.fed += 1


class Rtc:
    def __init__(self, seconds=None):
        self.seconds = seconds

    def read(self):
        return self.seconds

    def write(self, seconds):
        self.seconds = seconds
