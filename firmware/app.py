# app: the terminal application: tasks reader / feedback / uplink / clock / health / watchdog.
# SPDX-License-Identifier: MIT
"""``Terminal(hw, config, secrets)`` (docs/terminal.md). ``hw`` carries every piece of hardware, as
docs/terminal.md "The hw contract" lists it (``firmware.hardware.build`` on the ESP32, the board
double ``tools/sim/board`` elsewhere). Nothing here reads the real clock: time comes from
``hw.clock``, so the fleet simulation can run months in minutes.

Construction is the boot: the log must already hold its key (``tools provision`` installs K0
straight into the raw partition; K0 is never on littlefs, docs/log.md "Forward security"),
``log.boot(door)`` appends the BOOT slot, the clock takes the DS3231's time if there is one.
``reader_step()`` and ``await sync_step()`` are one cycle each of the reader and uplink tasks;
``await run()`` runs all tasks for ever. ``health()`` is the dict of ``wire.HEALTH_FIELDS``;
after each sync round ``status`` (``firmware.status``) rewrites ``/data/status.json`` from it.
"""

import pn532
from compat import const, ticks_diff
from firmware import clock as clk
from firmware import config as cfg
from firmware import log as flog
from firmware import ota as fota
from firmware import remote, uplink, wire
from firmware import status as fstatus
from firmware import taps as ftaps
from firmware.allow import AllowList
from firmware.feedback import Feedback

FIRMWARE_VERSION = const(2)  # 2: reads HDA2 replies (remote commands, releases)
_HEARTBEAT_S = const(3600)  # docs/protocol.md: at least one HEARTBEAT an hour of uptime
_SEAL_SLOTS = const(200)  # seal a block this big without a sync: < the uplink's 256-slot batches
_SEAL_S = const(86400)  # and at least once a day
_MAINTAIN_S = const(60)
_UP_MASK = const(0xFFFFFF)
# Watchdog: the longest a task may go without a beat (s: small ints, even frozen), by index.
_TASKS = ("reader", "feedback", "uplink", "clock", "health")
_LIMITS_S = (5, 5, 120, 120, 120)


def _u16(v):
    return 0xFFFF if v > 0xFFFF else v


class Terminal:
    def __init__(self, hw, config, secrets):
        self.hw = hw
        self.config = config
        self.root = getattr(hw, "root", "")
        self.wifi_password = secrets.get("wifi_password", "")
        self._secrets = secrets
        self.log = flog.Log(hw.flash, hw.state_dir, config["terminal_id"])
        if not self.log.has_key():  # never from secrets.json: K0 must not touch littlefs
            raise cfg.ConfigError(
                "hlog: log tanpa kunci, provisi ulang / log has no key, provision again"
            )
        kc = secrets["kc"]
        self.clock = clk.Clock(hw.clock, hw.rtc, hw.state_dir)
        self.feedback = Feedback(hw.led, hw.buzzer, hw.display, hw.clock, config["language"])
        self.allow = AllowList(self.root + "/allow.bin", kc, config["terminal_id"])
        self.taps = ftaps.Taps(self, secrets["card_key"])
        self.uplink = uplink.Uplink(self, kc)
        self.ota = fota.Ota(self)
        self.status = fstatus.Status(self)
        self.remote = remote.Remote(self)
        self._last = hw.clock.ticks_ms()
        self._up24 = 0
        self._up_ms = 0
        self.uptime_s = 0
        self._hb_at = 0
        self._hb_taps = 0
        self._hb_errors = 0
        self._open = 0
        self._seal_at = 0
        self._maintain_at = 0
        self._unsynced_since = -1
        self._online_at = -1
        self._day = -1
        self._day_base = 0  # taps.taps when the local day began
        self._beats = [hw.clock.ticks_ms()] * len(_TASKS)
        self._watched = range(len(_TASKS))
        self.task_failures = [0] * len(_TASKS)
        self.boot_counter = self.log.boot(config["door"])
        if self.clock.start() == clk.ANCHOR:
            self._log_clock()
        try:
            hw.reader.init()
        except pn532.PN532Error:
            self.taps._failed(self._last)

    # --- time and counters --------------------------------------------------------------------

    def _tick(self):
        now = self.hw.clock.ticks_ms()
        d = ticks_diff(now, self._last)
        self._last = now
        if d > 0:
            self._up24 = (self._up24 + d) & _UP_MASK
            d += self._up_ms
            self.uptime_s += d // 1000
            self._up_ms = d % 1000
        return now

    def uptime24(self):
        return self._up24

    def online(self):
        """The collector answered within two sync intervals (else "Tersimpan offline")."""
        if self._online_at < 0:
            return False
        return self.uptime_s - self._online_at <= 2 * self.config["sync_interval_s"] + 60

    def appended(self):
        self._open += 1
        if self._unsynced_since < 0:
            self._unsynced_since = self.uptime_s

    def acked(self):
        """After a reply: the batch sealed everything open; the log reclaimed what was acked."""
        self._open = 0
        self._online_at = self.uptime_s
        self._unsynced_since = self.uptime_s if self.log.backlog else -1

    def log_event(self, kind, flags, payload):
        try:
            self.log.append(kind, flags, payload, self._up24)
        except flog.LogFull:
            return
        self.appended()

    def learn_time(self, seconds, quality):
        if self.clock.learn(seconds, quality) != clk.SAME:
            self._log_clock()

    def _log_clock(self):
        self.log_event(wire.CLOCK, self.clock.quality, self.clock.wall())

    def apply_config(self, new):
        self.config = new
        self.feedback.language = new["language"]
        try:
            cfg.save_json(self.root + "/config.json", new)
        except OSError:
            pass

    def save_secrets(self):
        """secrets.json with the running Wi-Fi password (settings from the collector)."""
        s = dict(self._secrets)
        s["wifi_password"] = self.wifi_password
        self._secrets = s
        try:
            cfg.save_json(self.root + "/secrets.json", cfg.secrets_json(s))
        except OSError:
            pass

    # --- the two steps the tasks (and the fleet simulation) drive --------------------------

    def reader_step(self):
        """One poll/tap cycle (never blocks); housekeeping runs on cycles without a tap."""
        self._tick()
        r = self.taps.step()
        # Also while a poll is outstanding or the reader fails: the hourly HEARTBEAT is what lets
        # the collector unwrap uptime (docs/protocol.md), so it must not wait for a healthy reader.
        if r != ftaps.TAPPED and r != ftaps.DENIED and r != ftaps.REPEAT and r != ftaps.FULL:
            self.housekeeping()
        return r

    async def sync_step(self):
        self._tick()
        result = await self.uplink.step()
        self.remote.after_round()
        self.status.after_round(result)  # /data/status.json for tools doctor
        self.ota.tick(self.uptime_s)
        if self.ota.restart and getattr(self.hw, "reset", None) is not None:
            self.hw.reset()  # new code swapped in, or the old one back: load it
        return result

    def housekeeping(self):
        self.feedback.step()
        up = self.uptime_s
        day = self.clock.local_day(self.config["utc_offset_min"])
        if day != self._day:
            if self._day >= 0:
                self._day_base = self.taps.taps
            self._day = day
        if up - self._hb_at >= _HEARTBEAT_S:
            taps = self.taps.taps - self._hb_taps
            errors = self.taps.read_errors - self._hb_errors
            self._hb_at = up
            self._hb_taps = self.taps.taps
            self._hb_errors = self.taps.read_errors
            self.log_event(wire.HEARTBEAT, 0, (_u16(taps) << 16) | _u16(errors))
        if self._open >= _SEAL_SLOTS or (self._open and up - self._seal_at >= _SEAL_S):
            self.log.seal()
            self._open = 0
            self._seal_at = up
        if up - self._maintain_at >= _MAINTAIN_S or self._open:
            self._maintain_at = up
            self.log.maintain()
            self.clock.keep()  # at most once a day it writes

    # --- health -------------------------------------------------------------------------------

    def health(self):
        log = self.log
        rssi = self.hw.wifi.rssi() if self.hw.wifi.isconnected() else 0
        since = self._unsynced_since
        return {
            "firmware_version": FIRMWARE_VERSION,
            "taps_today": _u16(self.taps.taps - self._day_base),
            "read_errors": _u16(self.taps.read_errors),
            "reader_recoveries": _u16(self.taps.health.recoveries),
            "backlog_slots": log.backlog,
            "oldest_unsynced_s": self.uptime_s - since if since >= 0 else 0,
            "storage_per_mille": log.used_per_mille,
            "clock_quality": self.clock.quality,
            "wifi_rssi": max(-128, min(127, rssi)),
            "boot_counter": self.boot_counter,
        }

    def health24(self):
        return wire.pack_health(self.health())

    # --- tasks --------------------------------------------------------------------------------

    def _beat(self, i):
        self._beats[i] = self.hw.clock.ticks_ms()

    def alive(self):
        """True while every task has beaten within its limit (then the watchdog is fed)."""
        if self.remote.rebooting:  # a remote reboot: the hardware watchdog resets the chip
            return False
        now = self.hw.clock.ticks_ms()
        for i in self._watched:
            if ticks_diff(now, self._beats[i]) > _LIMITS_S[i] * 1000:
                return False
        return True

    def watch(self, names=None):
        """The indices of the tasks ``firmware.tasks.run`` starts (all, or those named), which
        ``alive()`` then watches."""
        now = self.hw.clock.ticks_ms()
        self._watched = [i for i in range(len(_TASKS)) if names is None or _TASKS[i] in names]
        for i in self._watched:
            self._beats[i] = now
        return self._watched

    def task_failed(self, i, exc):
        """A task died and will be restarted: said on the REPL, counted, kept for doctor."""
        self.task_failures[i] += 1
        print("hadir: tugas gagal / task failed:", _TASKS[i], repr(exc))
        self.status.task_failed(_TASKS[i], exc)

    async def run(self, names=None):
        from firmware import tasks

        await tasks.run(self, names)
