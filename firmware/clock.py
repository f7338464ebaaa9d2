# clock: the terminal's wall time and its quality, from NTP, the collector and an optional DS3231.
# SPDX-License-Identifier: MIT
"""``Clock(hwclock, rtc=None)``; ``hwclock`` has ``ticks_ms()``, ``wall()`` (seconds since 2000
UTC, or None while unknown) and ``set_wall(s)``; ``rtc`` (a DS3231) ``read()`` / ``write(s)``.

``Clock(..., state_dir)`` keeps the last good wall time in ``<state_dir>/last_time`` (``keep()``),
which ``firmware.hardware`` restores to the RTC at boot (docs/terminal.md, "Clock").

``learn(seconds, quality)`` returns what the application must log as a CLOCK slot
(docs/protocol.md, kinds): ``ANCHOR`` when time became known, ``JUMP`` when a source moved the
clock by more than 2 s, ``SAME`` otherwise. Sources rank NTP > collector > RTC: a lower-ranked
source only corrects the clock when it is off by more than ``_TRUST_S`` (a stale NTP setting is
then plainly wrong), since the collector's time is late by the round trip of its reply.
"""

import os

from compat import const
from firmware import wire

KEPT = "/last_time"  # in the state folder: the last good wall time, seconds since 2000
_KEEP_S = const(86400)  # kept again after a day of running on it
SAME = const(0)
ANCHOR = const(1)
JUMP = const(2)
_TRUST_S = const(60)
_RANK = (0, 3, 2, 1)  # by wire quality: unset, NTP, collector, RTC


class Clock:
    def __init__(self, hwclock, rtc=None, state_dir=None):
        self.hw = hwclock
        self.rtc = rtc
        self.quality = wire.CLOCK_UNSET
        self.jumps = 0
        self._kept_path = state_dir + KEPT if state_dir is not None else None
        self._kept_at = None  # wall time last written there

    def wall(self):
        return self.hw.wall()

    def start(self):
        """At boot: take the DS3231's time if the clock is unknown. Returns ANCHOR or SAME."""
        if self.hw.wall() is not None or self.rtc is None:
            return SAME
        try:
            s = self.rtc.read()
        except OSError:
            return SAME
        if s is None:
            return SAME
        self.hw.set_wall(s)
        self.quality = wire.CLOCK_RTC
        return ANCHOR

    def learn(self, seconds, quality):
        cur = self.hw.wall()
        if cur is None:
            self._set(seconds, quality)
            return ANCHOR
        off = seconds - cur
        if -wire.CLOCK_JUMP_S <= off <= wire.CLOCK_JUMP_S:  # docs/protocol.md: not a jump
            if _RANK[quality] > _RANK[self.quality]:
                self.quality = quality
            return SAME
        if _RANK[quality] < _RANK[self.quality] and -_TRUST_S <= off <= _TRUST_S:
            return SAME  # a worse source, slightly off: keep the better time
        self._set(seconds, quality)
        self.jumps += 1
        return JUMP

    def _set(self, seconds, quality):
        self.hw.set_wall(seconds)
        self.quality = quality
        if self.rtc is not None and quality != wire.CLOCK_RTC:
            try:
                self.rtc.write(seconds)
            except OSError:
                pass
        self._kept_at = None  # a new time from a source: keep it now
        self.keep()

    def keep(self):
        """Write the wall time to ``<state_dir>/last_time`` when it came from NTP or the
        collector and was not written in the last day: ``firmware.hardware`` puts it back into
        the RTC at the next boot after a power loss, before any TLS handshake (mbedTLS checks
        certificate dates against the RTC, which restarts at 2000-01-01). Off the tap path:
        from ``_set`` and the housekeeping of the reader task."""
        if self._kept_path is None:
            return False
        if self.quality != wire.CLOCK_NTP and self.quality != wire.CLOCK_COLLECTOR:
            return False
        now = self.hw.wall()
        if now is None or (self._kept_at is not None and now - self._kept_at < _KEEP_S):
            return False
        tmp = self._kept_path + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write("%d" % now)
            os.rename(tmp, self._kept_path)
        except OSError:
            return False
        self._kept_at = now
        return True

    def local_day(self, utc_offset_min):
        """Day number of local time (for "taps today"), or -1 while the time is unknown."""
        w = self.hw.wall()
        return -1 if w is None else (w + utc_offset_min * 60) // 86400
