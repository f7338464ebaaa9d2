# clock: the board double's time: ticks since boot and a settable wall clock; a DS3231 stand-in.
# SPDX-License-Identifier: MIT
"""``Clock`` is ``hw.clock``, shaped like ``firmware.hardware.Clock``:

- ``ticks_ms()``: milliseconds since boot, wrapped like MicroPython's ticks (period 2**30);
- ``wall()``: seconds since 2000 UTC, or None until ``set_wall(s)`` (or ``wall=`` at creation):
  the ESP32's RTC restarts at 2000-01-01 after a power cut, so firmware.hardware reports the
  wall time unknown until NTP, the collector or a DS3231 sets it;
- once set, the wall clock counts whole seconds from the millisecond it was set, as an RTC
  set then does (``machine.RTC.datetime`` takes the time with subseconds 0).

Where time comes from: by default only ``advance(ms)`` moves it, so a test runs days in
milliseconds; tasks that wait with ``await sleep_ms(ms)`` wake when ``await run_for(ms, n)``
has moved the time past their wake-up (a small discrete-event scheduler on asyncio);
``real=True`` adds the runtime's own ticks (asyncio tests); ``source`` (any object whose ``ms``
attribute counts milliseconds, like the fleet's ``SimTime``) makes it follow that source from
the moment of creation, the boot. Nothing allocates on MicroPython: elapsed time is
kept as seconds + milliseconds, small ints even after weeks.

``Rtc(seconds=None)`` stands for a DS3231 (``lib/ds3231.py``): ``read()`` -> seconds since 2000
or None (oscillator stopped), ``write(s)``.
"""

from compat import asleep_ms, ticks_add, ticks_diff, ticks_ms

_SETTLE = 200  # yields a woken task may take (network round trips) before time moves on


class Clock:
    def __init__(self, real=False, wall=None, source=None):
        self.real = real
        self._source = source
        self._boot = source.ms if source is not None else 0
        self._base = ticks_ms()
        self._t = 0  # ticks moved by advance()
        self._s = 0  # ... and the same time, never wrapped, as seconds + milliseconds
        self._ms = 0
        self._now_s = 0  # elapsed time at the last _elapsed(): no tuple, no allocation
        self._now_ms = 0
        self._wall = wall  # seconds since 2000 at (_at_s, _at_ms), or None (unknown)
        self._at_s = 0
        self._at_ms = 0
        self._sleepers = []  # [due (ms since boot), event] of tasks asleep on simulated time

    def advance(self, ms):
        self._t = ticks_add(self._t, ms)
        ms += self._ms
        self._s += ms // 1000
        self._ms = ms % 1000

    def _since_boot(self):
        """Milliseconds the runtime or the source added to ``advance``'s."""
        if self._source is not None:
            return self._source.ms - self._boot
        if self.real:
            return ticks_diff(ticks_ms(), self._base)
        return 0

    def _elapsed(self):
        d = self._since_boot()
        ms = self._ms + d % 1000
        self._now_s = self._s + d // 1000 + ms // 1000
        self._now_ms = ms % 1000

    def ticks_ms(self):
        return ticks_add(self._t, self._since_boot())

    def wall(self):
        if self._wall is None:
            return None
        self._elapsed()
        late = 1 if self._now_ms < self._at_ms else 0  # not yet a whole second since _at_ms
        return self._wall + self._now_s - self._at_s - late

    def set_wall(self, seconds):
        self._elapsed()
        self._wall = seconds
        self._at_s = self._now_s
        self._at_ms = self._now_ms

    def _since_boot_ms(self):
        self._elapsed()
        return self._now_s * 1000 + self._now_ms

    async def sleep_ms(self, ms):
        """``hw.clock.sleep_ms``: real time when the clock follows the runtime or a source;
        else the task waits until ``run_for`` has moved the simulated time past ``ms``."""
        if self.real or self._source is not None:
            await asleep_ms(ms)
            return
        import asyncio

        ev = asyncio.Event()
        self._sleepers.append([self._since_boot_ms() + ms, ev])
        await ev.wait()

    async def run_for(self, ms, tasks, each=None):
        """Run ``tasks`` tasks that sleep on this clock for ``ms`` of simulated time: let them
        go until all sleep (or ``_SETTLE`` yields pass: one is stuck elsewhere), move time to the
        earliest wake-up, wake who is due, and so on; ``each()`` (if given) is called after every
        move of time. Returns the ms moved."""
        end = self._since_boot_ms() + ms
        moved = 0
        while True:
            for _ in range(_SETTLE):
                if len(self._sleepers) >= tasks:
                    break
                await asleep_ms(0)
            now = self._since_boot_ms()
            due = min(s[0] for s in self._sleepers) if self._sleepers else end
            step = min(due, end) - now
            if step > 0:
                self.advance(step)
                moved += step
                now += step
                if each is not None:
                    each()
            if now >= end:
                return moved
            woken = [s for s in self._sleepers if s[0] <= now]
            self._sleepers = [s for s in self._sleepers if s[0] > now]
            for s in woken:
                s[1].set()


class Rtc:
    def __init__(self, seconds=None):
        self.seconds = seconds

    def read(self):
        return self.seconds

    def write(self, seconds):
        self.seconds = seconds
