# watchdog: the board double's hardware watchdog: counts feeds; once started, it can expire.
# SPDX-License-Identifier: MIT
"""``Watchdog()`` is ``hw.watchdog`` (``feed()``; ``feeds`` counts) and the device double's
``machine.WDT``: ``start(timeout_ms)`` arms it, as ``machine.WDT(timeout=...)`` does;
``expired()`` is True once it has gone longer than the timeout without a feed, on the runtime's
ticks, or on those of ``Watchdog(clock)``'s board ``Clock`` (simulated time). Nothing disarms it
but ``stop()``, the hard reset it causes: MicroPython's ESP32 ``WDT`` adds the running task to
the ESP-IDF task watchdog (``ports/esp32/machine_wdt.c``: ``esp_task_wdt_init``,
``esp_task_wdt_add``) and offers ``feed`` only, no ``deinit``; the device double keeps it armed
over a soft reset too."""

from compat import ticks_diff, ticks_ms


class Watchdog:
    def __init__(self, clock=None):
        self.feeds = 0
        self.timeout_ms = None  # None: not started
        self._fed_at = 0
        self._clock = clock  # None: the runtime's ticks; else a board Clock (simulated time)

    def _now(self):
        return ticks_ms() if self._clock is None else self._clock.ticks_ms()

    def start(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.feed()

    def feed(self):
        self.feeds += 1
        self._fed_at = self._now()

    def expired(self):
        if self.timeout_ms is None:
            return False
        return ticks_diff(self._now(), self._fed_at) > self.timeout_ms

    def stop(self):
        self.timeout_ms = None
