# remote: settings from the collector on trial, remote commands, and the reports back to it.
# SPDX-License-Identifier: MIT
"""``Remote(terminal)``; the uplink calls it, off the tap path (docs/terminal.md, "Remote
settings on trial", "Remote commands").

- ``apply(version, changes)``: a verified config blob's settings (``wire.COLLECTOR_MAY_SET``, and
  the Wi-Fi password sealed under Kc), checked whole with the firmware's own rules
  (``firmware.config.validate_config``). A change to a network setting
  (``wire.NETWORK_SETTINGS``) starts a trial: the previous values are kept in
  ``/data/remote.json``, and a terminal that has no successful sync round within ``trial_s``
  seconds goes back to them by itself (``after_round``); either way a report says so on the
  next successful round (``synced``).
- ``command(command_id, code)``: a reply's command, run once: ids at or below the last one done
  are not run again (the reply keeps offering a command until its report is stored).
  ``reboot`` stops feeding the watchdog (``Terminal.alive``), so the hardware watchdog resets
  the chip after the report went out; the others answer at once.
- ``reports``: (command_id, result, JSON text) waiting to go out (``POST /v1/report``), kept in
  ``/data/remote.json`` until the collector answered 200, so a power cut loses none.

Wear (``Log.wear``) is reported once a day of uptime and on the ``wear`` command.
"""

import json

from compat import const
from firmware import config as cfg
from firmware import wire

_MAX_REPORTS = const(6)  # oldest dropped beyond this: a terminal offline for long sends the last
_WEAR_S = const(86400)


class Remote:
    def __init__(self, terminal):
        self.t = terminal
        self.path = terminal.root + "/data/remote.json"
        self.done = 0  # the last command id run
        self.reports = []
        self.trial = None  # {"version", "old", "old_pw"} while a network change is on trial
        self.trial_from = 0  # uptime_s the trial (re)started at: a reboot restarts its clock
        self.fell_back = 0
        self.rebooting = False
        self._wear_at = -_WEAR_S
        try:
            with open(self.path) as f:
                d = json.load(f)
            self.done = d.get("done", 0)
            self.reports = d.get("reports", [])
            self.trial = d.get("trial")
        except (OSError, ValueError):
            pass

    def _save(self):
        d = {"done": self.done, "reports": self.reports, "trial": self.trial}
        try:
            cfg.save_json(self.path, d)
        except OSError:
            pass  # no /data folder (a bare simulation): kept in memory only

    def _report(self, cid, result, doc):
        self.reports.append([cid, result, json.dumps(doc)])
        if len(self.reports) > _MAX_REPORTS:
            self.reports.pop(0)

    # --- settings -----------------------------------------------------------------------------

    def apply(self, version, changes, kc):
        """Take a verified config blob; raises ValueError (ConfigError, WireError) when the
        terminal refuses it, after reporting why (the version is not fetched again)."""
        t = self.t
        try:
            new, password = self._merge(version, changes, kc)
        except ValueError as e:
            self._report(0, wire.RESULT_FAILED, {"settings": version, "refused": str(e)})
            self._save()
            raise
        old = t.config
        network = password is not None and password != t.wifi_password
        for name in wire.NETWORK_SETTINGS:
            if name in new and new[name] != old.get(name):
                network = True
        trial = self.trial
        if network:
            if trial is None:
                keep = {}
                for name in wire.NETWORK_SETTINGS:
                    if name in old:
                        keep[name] = old[name]
                self.trial = {"version": version, "old": keep, "old_pw": t.wifi_password}
            else:  # a change during a trial: going back still means the settings before the first
                trial["version"] = version
            self.trial_from = t.uptime_s
        self._set(new, password)
        self._save()
        return network

    def _merge(self, version, changes, kc):
        t = self.t
        new = dict(t.config)
        for name in wire.COLLECTOR_MAY_SET:
            if name in changes:
                new[name] = changes[name]
        new["config_version"] = version
        new = cfg.validate_config(new)  # a bad value from the collector is refused whole
        password = None
        sealed = changes.get(wire.SEALED_PASSWORD)
        if sealed is not None:
            password = wire.open_secret(kc, version, t.config["terminal_id"], sealed)
            why = wire.password_error(password)
            if why is not None:
                raise cfg.ConfigError("wifi_password: " + why[0] + " / " + why[1])
        return new, password

    def _set(self, new, password):
        """Make ``new`` (and ``password``) the running settings, files first."""
        t = self.t
        before = t.config
        if password is not None and password != t.wifi_password:
            t.wifi_password = password
            t.save_secrets()
        t.apply_config(new)
        t.uplink.url = new["collector_url"].rstrip("/")
        if new["ca_pin"] != before["ca_pin"]:
            pin = getattr(t.hw.http, "pin", None)  # firmware.httpclient.Client: a new context
            if pin is not None:
                pin(cfg.ca_bytes(new["ca_pin"], t.root))
        if new["wifi_ssid"] != before["wifi_ssid"] or password is not None:
            try:  # leaves the old network: the station joins with the new credentials
                t.hw.wifi.connect(new["wifi_ssid"], t.wifi_password)
            except OSError:
                pass  # the uplink asks again at its next round

    def synced(self):
        """The collector answered a batch (the uplink, before it sends the reports): a trial
        ends well; the daily wear report is queued."""
        t = self.t
        trial = self.trial
        if trial is not None:
            self.trial = None
            self._report(0, wire.RESULT_OK, {"settings": trial["version"], "kept": True})
        if t.uptime_s - self._wear_at >= _WEAR_S:
            self._wear_at = t.uptime_s
            self._report(0, wire.RESULT_OK, {"wear": t.log.wear()})
        if trial is not None or self._wear_at == t.uptime_s:
            self._save()

    def after_round(self):
        """After each sync round: a trial still running ``trial_s`` after the change (no
        successful round since) goes back to the previous settings."""
        t = self.t
        if self.trial is not None and t.uptime_s - self.trial_from >= t.config["trial_s"]:
            self._fall_back(self.trial)

    def _fall_back(self, trial):
        t = self.t
        self.trial = None
        self.fell_back += 1
        new = dict(t.config)
        new.update(trial["old"])  # config_version stays: the version tried is not fetched again
        u = t.uplink
        why = "no sync within %d s; wifi joins refused %d; last error %s" % (
            t.config["trial_s"],
            u.wifi_errors,
            type(u.last_error).__name__,
        )
        self._set(cfg.validate_config(new), trial["old_pw"])
        self._report(0, wire.RESULT_FAILED,
                     {"settings": trial["version"], "fell_back": True, "why": why})  # fmt: skip
        self._save()
        t.status.fault("SETTINGS_FELL_BACK v%d" % trial["version"])

    # --- commands -----------------------------------------------------------------------------

    def command(self, cid, code):
        """Run the reply's command ``cid`` once; True when it ran now."""
        if cid <= self.done:
            return False
        t = self.t
        result = wire.RESULT_OK
        doc = {}
        if code == wire.CMD_REBOOT:
            self.rebooting = True  # after the report: Terminal.alive() is False, the WDT resets
            doc["rebooting"] = True
        elif code == wire.CMD_SELFTEST:
            doc = self.selftest()
            if not doc["ok"]:
                result = wire.RESULT_FAILED
        elif code == wire.CMD_STATUS:
            doc = {"status": t.status.doc()}
        elif code == wire.CMD_CLEAR_FAULT:
            doc = {"was_faulty": t.taps.health.faulty}
            t.taps.clear_fault()
        elif code == wire.CMD_WEAR:
            doc = {"wear": t.log.wear()}
        else:
            result = wire.RESULT_UNKNOWN
        self.done = cid
        self._report(cid, result, doc)
        self._save()
        return True

    def selftest(self):
        """What the running terminal can check without taking the reader off the tap path: the
        reader's state, the log's key and room, the clock, the network, free memory."""
        import gc

        t = self.t
        h = t.taps.health
        log = t.log
        doc = {
            "reader_ok": not h.faulty,
            "reader_failures": h.failures,
            "log_key": log.has_key(),
            "storage_per_mille": log.used_per_mille,
            "clock_known": t.clock.wall() is not None,
            "wifi": t.hw.wifi.isconnected(),
            "mem_free": gc.mem_free() if hasattr(gc, "mem_free") else -1,
        }
        doc["ok"] = doc["reader_ok"] and doc["log_key"] and doc["clock_known"]
        return doc

    def sent(self, n):
        """The first ``n`` reports reached the collector."""
        del self.reports[:n]
        self._save()
