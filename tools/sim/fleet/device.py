# device: one simulated terminal: the real firmware on a simulated PN532, flash and clock.
# SPDX-License-Identifier: MIT
"""``SimTerminal`` owns what survives a power cut (the raw log partition, a ``NorFlash``, and the
log's state folder) and rebuilds the firmware from them at every boot, as a reboot does.

    st = SimTerminal(tid, config, secrets, now, net, client, workdir, blocks=448)
    st.boot()                      # power on: a fresh Terminal over the same flash
    got = st.present(card)         # hold a card to the reader until the terminal answers
    await st.sync()                # one sync round
    st.power_cut()                 # RAM gone; flash and state folder stay

The state folder is a host directory: the log keeps only small plain files there (current key,
boot counter, ack watermark), which on the ESP32 sit on littlefs; the records live in the raw
partition modelled byte for byte by ``NorFlash``.
"""

from __future__ import annotations

import json
import os
import time

import httpx

import pn532
from firmware import app as fw_app
from firmware import config as fw_config
from firmware import log as fw_log
from firmware import ota, wire
from firmware import taps as fw_taps
from tools.sim import board
from tools.sim.flash import NorFlash, PowerCut
from tools.sim.fleet.site import Network, SimHttp, SimNtp, SimTime, SiteWifi
from tools.sim.pn532.chip import PN532
from tools.sim.pn532.field import Field
from tools.sim.pn532.transport import UART, Pin

_PRESENT_STEPS = 400  # reader cycles a resident holds the card before giving up
_STEP_MS = 200  # simulated time per reader cycle once the first few have not answered
_QUICK_STEPS = 4  # cycles that take no simulated time (the answer is within a second)
_GONE_STEPS = 12  # cycles to see the card gone after it is taken away
_STORED = (fw_taps.TAPPED, fw_taps.DENIED)
_BUSY_STEPS = 20  # answers come at once from the simulator; after this many BUSY it is hung
_BUSY_SLEEP_S = 0.01
_NTP_RETRY_MS = 60_000  # firmware/app.py clock task: every minute until NTP answers, then hourly
_NTP_OK_MS = 3_600_000


class SimTerminal:
    def __init__(
        self,
        terminal_id: int,
        site: str,
        config: dict,
        secrets: dict,
        now: SimTime,
        net: Network,
        client: httpx.AsyncClient,
        workdir: str,
        blocks: int = 448,
    ) -> None:
        self.terminal_id = terminal_id
        self.site = site
        self.now = now
        self.net = net
        self.flash = NorFlash(blocks=blocks)
        # The terminal's file system: config.json, secrets.json, allow.bin, data/ (the log's
        # state folder), as `tools provision` writes them (docs/terminal.md).
        self.root = os.path.join(workdir, "t%02d" % terminal_id)
        self.state_dir = os.path.join(self.root, "data")
        os.makedirs(self.state_dir, exist_ok=True)
        with open(os.path.join(self.root, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f)
        # K0 goes into the raw log only, as tools/device/logkey.py puts it there; never a file.
        secrets = dict(secrets)
        k0 = bytes.fromhex(secrets.pop("k0"))
        log = fw_log.Log(self.flash, self.state_dir, terminal_id)
        if not log.has_key():
            log.install_key(k0)
        with open(os.path.join(self.root, "secrets.json"), "w", encoding="utf-8") as f:
            json.dump(secrets, f)
        self.chip = PN532(Field())
        self.http = SimHttp(net, site, client)
        self.wifi = SiteWifi(net, site)
        self.ntp = SimNtp(now, net, site)
        self.app: fw_app.Terminal | None = None
        self.clock: board.Clock | None = None
        self.boots = 0
        self.power_cuts = 0
        self.torn_cuts = 0
        self.gave_up = 0  # presentations the terminal never answered
        self.last_health: dict = {}
        self._ntp_next = 0

    # --- power --------------------------------------------------------------------------------
    def boot(self, clock_lost: bool = False) -> None:
        """Power on: the PN532 powers up, the firmware starts over the same flash and files.

        The ESP32 keeps no time over a power cut (no DS3231 here): the clock comes from NTP once
        the site is online, or from the collector's reply. ``clock_lost`` = NTP does not answer
        during this boot, so only the collector can set the time."""
        self.flash.power_on()
        self.chip.power_on()
        self.chip.field.clear()
        self.clock = board.Clock(source=self.now)  # the wall time is lost with the power
        self.ntp.broken = clock_lost
        ota.boot_guard(self.root)  # main.py's first step: a cut swap finished, a trial counted
        config, secrets = fw_config.load(self.root)
        hw = board.Hw(
            reader=pn532.PN532UART(UART(self.chip), reset=Pin(self.chip)),
            flash=self.flash,
            state_dir=self.state_dir,
            http=self.http,
            root=self.root,
            wifi=self.wifi,
            clock=self.clock,
            ntp=self.ntp,
        )
        self.hw = hw
        self.app = fw_app.Terminal(hw, config, secrets)
        self.boots += 1
        self._ntp_next = self.now.ms
        self.clock_task()

    def clock_task(self) -> None:
        """What the firmware's clock task does, on simulated time: ask NTP (every minute until
        it answers, then hourly) and hand the answer to ``learn_time``."""
        app = self.app
        if app is None or self.now.ms < self._ntp_next or not self.wifi.isconnected():
            return
        s = self.ntp.query_now()
        if s is not None:
            app.learn_time(s, wire.CLOCK_NTP)
        good = app.clock.quality == wire.CLOCK_NTP
        self._ntp_next = self.now.ms + (_NTP_OK_MS if good else _NTP_RETRY_MS)

    def power_cut(self) -> None:
        """Power gone: RAM (the Terminal object) is lost; flash and files stay."""
        if self.app is not None:
            try:
                self.last_health = self.health()
            except PowerCut:
                pass
        self.app = None
        self.power_cuts += 1

    @property
    def powered(self) -> bool:
        return self.app is not None

    def _after_cut(self) -> bool:
        """True if the flash lost power inside the last operation (a torn write)."""
        if self.flash.powered:
            return False
        self.flash.cut_at = 0
        self.torn_cuts += 1
        self.power_cut()
        return True

    # --- the tap path -------------------------------------------------------------------------
    def present(self, card) -> str:
        """Hold ``card`` to the reader until the terminal answers, then take it away.

        Returns "stored" (TAP or DENIED durable, then answered), "repeat" (same card within
        debounce_s: answered, stored once before), "refused" (log full), "cut" (power failed
        inside the tap: no answer) or "none" (the terminal never answered)."""
        assert self.app is not None
        field = self.chip.field
        field.place(card)
        outcome = "none"
        busy = 0
        try:
            for i in range(_PRESENT_STEPS):
                r = self.app.reader_step()
                busy = busy + 1 if r == fw_taps.BUSY else 0
                if busy > _BUSY_STEPS:
                    # A silent chip: the driver's poll deadline runs on the real clock
                    # (firmware/taps.py), so let real time pass as the reader task would.
                    time.sleep(_BUSY_SLEEP_S)
                if r in _STORED:
                    outcome = "stored"
                    break
                if r == fw_taps.REPEAT:
                    outcome = "repeat"
                    break
                if r == fw_taps.FULL:
                    outcome = "refused"
                    break
                if i >= _QUICK_STEPS:
                    self.now.advance(_STEP_MS)
        except PowerCut:
            pass
        field.remove(card)
        if self._after_cut():
            return "cut"
        try:
            for _ in range(_GONE_STEPS):
                if self.app.reader_step() == fw_taps.IDLE:
                    break
        except PowerCut:
            pass
        self._after_cut()
        if outcome == "none":
            self.gave_up += 1
        return outcome

    def idle(self) -> None:
        """One reader cycle with no card (heartbeats, seals, flash housekeeping)."""
        if self.app is None:
            return
        try:
            self.app.reader_step()
            self.clock_task()  # after a step: the uptime the CLOCK slot carries is current
        except PowerCut:
            pass
        self._after_cut()

    async def sync(self):
        if self.app is None:
            return None
        try:
            r = await self.app.sync_step()
            self.clock_task()
        except PowerCut:
            return None
        finally:
            self._after_cut()
        if self.app is not None and self.app.ota.restart:  # new code in, or the old one back
            self.power_cut()
            self.power_cuts -= 1  # a reset, not a cut
            self.boot()
        return r

    # --- what the firmware knows ----------------------------------------------------------------
    def health(self) -> dict:
        return dict(self.app.health()) if self.app is not None else dict(self.last_health)

    @property
    def backlog(self) -> int:
        return 0 if self.app is None else self.app.log.backlog
