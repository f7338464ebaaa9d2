# status: /data/status.json, what only the running terminal knows, for `tools doctor` over USB.
# SPDX-License-Identifier: MIT
"""``Status(terminal).after_round(result)`` runs after each sync round (the uplink task, never the
tap path) and rewrites ``<root>/data/status.json`` atomically (a temporary file, then a rename)
from the terminal's health counters: last sync and its result, Wi-Fi signal, reader recoveries,
recent faults (docs/tools.md). No secret and no card data goes into it: counters, times (seconds
since 2000, None while the clock is unknown) and fixed texts only.

Written after a round that reached the collector or tried to connect, at most once a minute
unless the result changed: a few hundred small littlefs writes a day, far below its wear.
"""

from compat import const
from firmware import config as cfg
from firmware import uplink, wire

_NAMES = ("ok", "no_wifi", "connecting", "failed", "rejected")
_FAULTS = const(5)  # newest last
_EVERY_S = const(60)


class Status:
    def __init__(self, terminal):
        self.t = terminal
        self.path = terminal.root + "/data/status.json"
        self.last_sync = None  # wall time of the last exchange the collector answered
        self.result = None
        self.faults = []
        self.writes = 0
        self._written_at = -_EVERY_S
        self._recoveries = 0
        self._faulty = False
        self._warned = False

    def fault(self, text):
        self.faults.append([self.t.clock.wall(), text])
        if len(self.faults) > _FAULTS:
            self.faults.pop(0)

    def task_failed(self, name, exc):
        self.fault("TASK_FAILED " + name + " " + type(exc).__name__)

    def after_round(self, result):
        t = self.t
        if result == uplink.NO_WIFI:
            return False
        if result == uplink.OK or result == uplink.REJECTED:
            self.last_sync = t.clock.wall()
        if result == uplink.FAILED:
            self.fault("SYNC_FAILED " + type(t.uplink.last_error).__name__)
        elif result == uplink.REJECTED:
            self.fault("SYNC_REJECTED tamper/damaged")
        h = t.taps.health
        if h.recoveries > self._recoveries:
            self.fault("READER_FAULT recovered x%d" % (h.recoveries - self._recoveries))
        self._recoveries = h.recoveries
        if h.faulty and not self._faulty:
            self.fault("READER_FAULT faulty")
        self._faulty = h.faulty
        pm = t.log.used_per_mille
        warn = pm >= wire.STORAGE_WARN_PER_MILLE  # the level at which the log warns itself
        if warn and not self._warned:
            self.fault("STORAGE_WARNING %d%%" % (pm // 10))
        self._warned = warn
        name = _NAMES[result]
        if name == self.result and t.uptime_s - self._written_at < _EVERY_S:
            return False
        self.result = name
        return self.write()

    def doc(self):
        t = self.t
        h = t.health()
        up = t.hw.wifi.isconnected()
        return {
            "written_at": t.clock.wall(),
            "uptime_s": t.uptime_s,
            "boot_counter": t.boot_counter,
            "firmware_version": h["firmware_version"],
            "last_sync": self.last_sync,
            "last_sync_result": self.result,
            "sync_failures": t.uplink.failures,
            "task_restarts": sum(t.task_failures),
            "wifi_rssi": h["wifi_rssi"] if up else None,
            "clock_quality": h["clock_quality"],
            "reader_recoveries": h["reader_recoveries"],
            "read_errors": h["read_errors"],
            "taps_today": h["taps_today"],
            "backlog_slots": h["backlog_slots"],
            "oldest_unsynced_s": h["oldest_unsynced_s"],
            "storage_per_mille": h["storage_per_mille"],
            "faults": self.faults,
        }

    def write(self):
        try:
            cfg.save_json(self.path, self.doc())
        except OSError:
            return False  # no /data folder (a bare simulation): nothing to show a technician
        self._written_at = self.t.uptime_s
        self.writes += 1
        return True
