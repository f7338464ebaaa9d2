# engine: the event loop of a simulated deployment: taps, syncs, faults and enrolment in sim time.
# SPDX-License-Identifier: MIT
"""``Simulation(world, faults, collector, options).run()`` drives every terminal through the
world's week from one timeline, never sleeping: each event moves the shared ``SimTime`` to its
moment, then taps a card, runs a sync round, cuts or restores power, locks a reader up, or enrols
the residents who registered that day. After the last day every site comes back online and each
terminal syncs until its backlog is empty (the drain), so everything the terminals stored can be
reconciled against what the world generated. ``Options.end_hour`` ends the run earlier on the
last day (the demo ends in the evening, so "today" on the dashboard has taps); the world's taps
after it are never presented.
"""

from __future__ import annotations

import heapq
import random
import time
from dataclasses import dataclass, field

import httpx

from firmware import config as fconfig
from firmware import wire
from tools.sim.fleet.behaviour import DAY, Tap
from tools.sim.fleet.device import SimTerminal
from tools.sim.fleet.faults import FaultPlan, PowerCut
from tools.sim.fleet.site import Network, SimTime, sim_card
from tools.sim.fleet.world import World

# Event priorities at the same millisecond: enrol first, then power, then taps, then syncs.
_DAY, _ON, _CUT, _LOCK, _TAP, _SYNC, _IDLE = range(7)
_REBOOT_AFTER_TORN_TAP_MS = 2000  # the resident taps again once the terminal is back up
_DRAIN_ROUNDS = 200


@dataclass
class Options:
    sync_interval_s: int = 1800
    idle_s: int = 1800
    debounce_s: int = 3
    blocks: int = 448
    progress: bool = False
    end_hour: int = 24  # local hour of the last day the run ends at (24: its midnight)


@dataclass
class Presented:
    tap: Tap
    outcome: str  # stored | refused | none | dark
    at_ms: int  # when the terminal answered (simulated)
    tries: int = 1


@dataclass
class RunResult:
    presented: list[Presented] = field(default_factory=list)
    wall_s: float = 0.0
    drain_rounds: int = 0
    syncs: int = 0
    sync_failures: int = 0
    enrolled: int = 0
    terminals: dict[int, SimTerminal] = field(default_factory=dict)
    backlog_left: int = 0


class Simulation:
    def __init__(
        self, world: World, faults: FaultPlan, collector, workdir: str, opts: Options
    ) -> None:
        self.world = world
        self.faults = faults
        self.collector = collector
        self.workdir = workdir
        self.opts = opts
        self.now = SimTime(world.start * 1000)
        self.net = Network(self.now)
        for site, a, b in faults.outages:
            self.net.add_outage(site, a * 1000, b * 1000)
        self.rng = random.Random(world.seed * 7 + 3)
        self._events: list[tuple] = []
        self._n = 0
        self._armed: dict[int, PowerCut] = {}  # terminal -> a cut waiting for its operation
        self._tap_times: dict[int, list[int]] = {}
        self.result = RunResult()

    # --- timeline -------------------------------------------------------------------------------
    def _push(self, t_ms: int, prio: int, kind: str, arg) -> None:
        self._n += 1
        heapq.heappush(self._events, (t_ms, prio, self._n, kind, arg))

    def _next_tap_ms(self, tid: int) -> int:
        times = self._tap_times.get(tid, [])
        t = self.now.ms
        for x in times:  # times are sorted; a short scan from the front of what is left
            if x > t:
                return x
        return (self.world.start + self.world.days * DAY) * 1000

    def _config(self, tid: int, rusun: str, door: int, url: str) -> dict:
        return {
            "terminal_id": tid,
            "rusun": rusun,
            "door": door,
            "wifi_ssid": "rusun-" + rusun.lower().replace(" ", "-"),
            "collector_url": url,
            "ca_pin": None,
            "reader": "uart",
            "pins": dict(fconfig.PINS),
            "display": False,
            "rtc": False,
            "debounce_s": self.opts.debounce_s,
            "language": "id",
            "utc_offset_min": fconfig.UTC_OFFSET_MIN,
            "sync_interval_s": self.opts.sync_interval_s,
        }

    async def run(self) -> RunResult:
        t0 = time.perf_counter()
        w = self.world
        res = self.result
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=4)) as client:
            for term in w.pop.terminals:
                door = int(term.door.rsplit("-", 1)[1])
                bundle = self.collector.bundles[term.terminal_id]
                # What `tools provision` gives: K0 (SimTerminal puts it into the log only)
                # and Kc = HMAC(K0, "hadir-config").
                kc = wire.config_key(bytes.fromhex(bundle["k0"])).hex()
                secrets = {"k0": bundle["k0"], "kc": kc,
                           "card_key": bundle["card_key"], "wifi_password": "sim"}  # fmt: skip
                cfg = self._config(term.terminal_id, term.rusun, door, self.collector.url)
                blocks = self.faults.small_storage.get(term.terminal_id, self.opts.blocks)
                st = SimTerminal(
                    term.terminal_id, term.rusun, cfg, secrets, self.now, self.net, client,
                    self.workdir, blocks,
                )  # fmt: skip
                res.terminals[term.terminal_id] = st
            start_ms = w.start * 1000
            end_ms = (w.start + (w.days - 1) * DAY + self.opts.end_hour * 3600) * 1000
            for tid, st in res.terminals.items():
                st.boot()
                phase = (tid * 7919) % self.opts.sync_interval_s
                self._push(start_ms + phase * 1000, _SYNC, "sync", tid)
                self._push(start_ms + (phase // 2) * 1000, _IDLE, "idle", tid)
            for i, tap in enumerate(w.taps):
                self._tap_times.setdefault(tap.terminal, []).append(tap.t * 1000)
                self._push(tap.t * 1000, _TAP, "tap", i)
            for day in range(1, w.days):
                self._push(start_ms + day * DAY * 1000 - 1000, _DAY, "day", day)
            for cut in self.faults.power_cuts:
                self._push(cut.at * 1000, _CUT, "cut", cut)
            for tid, at in self.faults.lockups:
                self._push(at * 1000, _LOCK, "lock", tid)
            day_seen = -1
            while self._events:
                t_ms, _, _, kind, arg = heapq.heappop(self._events)
                if t_ms >= end_ms and kind in ("sync", "idle"):
                    continue
                self.now.advance_to(t_ms)
                if self.opts.progress:
                    d = (self.now.ms - start_ms) // (DAY * 1000)
                    if d != day_seen and d < w.days:
                        day_seen = d
                        print(
                            "  day %d of %d (%.0f s)" % (d + 1, w.days, time.perf_counter() - t0)
                        )
                await self._handle(kind, arg)
            self.now.advance_to(end_ms)
            await self._drain()
        res.wall_s = time.perf_counter() - t0
        return res

    async def _handle(self, kind: str, arg) -> None:
        res = self.result
        if kind == "tap":
            self._tap(self.world.taps[arg])
        elif kind == "sync":
            st = res.terminals[arg]
            await self._sync(st)
            self._push(self.now.ms + self.opts.sync_interval_s * 1000, _SYNC, "sync", arg)
        elif kind == "idle":
            res.terminals[arg].idle()
            self._push(self.now.ms + self.opts.idle_s * 1000, _IDLE, "idle", arg)
        elif kind == "day":
            rows = [r for r in self.world.pop.registry() if r["registered_day"] == arg]
            self.collector.enroll(rows)
            res.enrolled += len(rows)
        elif kind == "cut":
            self._cut(arg)
        elif kind == "on":
            tid, lost = arg
            st = res.terminals[tid]
            if not st.powered:
                st.boot(clock_lost=lost)
        elif kind == "lock":
            st = res.terminals[arg]
            st.chip.lock_at = st.chip.commands_seen + 1

    # --- faults ---------------------------------------------------------------------------------
    def _cut(self, cut: PowerCut) -> None:
        st = self.result.terminals[cut.terminal]
        if not st.powered:
            return
        if cut.during:
            self._armed[cut.terminal] = cut  # strikes inside its next tap or sync round
            return
        st.power_cut()
        self._power_on_later(cut)

    def _power_on_later(self, cut: PowerCut) -> None:
        off_ms = min(cut.off_s * 1000, self._next_tap_ms(cut.terminal) - self.now.ms - 1000)
        self._push(self.now.ms + max(1000, off_ms), _ON, "on", (cut.terminal, cut.clock_lost))

    def _arm(self, st: SimTerminal, during: str) -> PowerCut | None:
        cut = self._armed.get(st.terminal_id)
        if cut is None or cut.during != during:
            return None
        del self._armed[st.terminal_id]
        # Inside a tap the first write is the record itself (the log never erases on the tap
        # path); inside a sync round any of the first few writes (ack, reclaim, key files).
        st.flash.cut_at = st.flash.ops + (1 if during == "tap" else self.rng.randint(1, 3))
        return cut

    # --- taps and syncs -------------------------------------------------------------------------
    def _tap(self, tap: Tap) -> None:
        st = self.result.terminals[tap.terminal]
        if not st.powered:
            self.result.presented.append(Presented(tap, "dark", self.now.ms))
            return
        cut = self._arm(st, "tap")
        tries = 1
        struck = False
        outcome = st.present(sim_card(tap.card, tap.flags))
        while outcome == "cut" and tries < 3:
            # No beep: the resident waits for the terminal to come back and taps again.
            struck = True
            self.now.advance(_REBOOT_AFTER_TORN_TAP_MS)
            st.boot(clock_lost=cut.clock_lost if cut else False)
            tries += 1
            outcome = st.present(sim_card(tap.card, tap.flags))
        if cut is not None and not struck:
            st.flash.cut_at = 0  # the tap needed fewer writes than the cut: it comes after
            if st.powered:
                st.power_cut()
            self._power_on_later(cut)
        self.result.presented.append(Presented(tap, outcome, self.now.ms, tries))

    async def _sync(self, st: SimTerminal) -> None:
        if not st.powered:
            return
        cut = self._arm(st, "sync")
        self.result.syncs += 1
        if self.net.down(st.site):
            self.result.sync_failures += 1
        await st.sync()
        if cut is not None:
            if st.flash.cut_at:  # the round wrote nothing that far: cut after it instead
                st.flash.cut_at = 0
                st.power_cut()
            self._power_on_later(cut)

    async def _drain(self) -> None:
        """Network back everywhere; every terminal syncs until nothing is left to send."""
        self.net.forced_up = True
        res = self.result
        for st in res.terminals.values():
            if not st.powered:
                st.boot()
        for r in range(_DRAIN_ROUNDS):
            busy = [st for st in res.terminals.values() if st.backlog > 0]
            if not busy and r > 0:
                break
            for st in busy or list(res.terminals.values()):
                self.now.advance(1000)
                await st.sync()
            res.drain_rounds = r + 1
        res.backlog_left = sum(st.backlog for st in res.terminals.values())
