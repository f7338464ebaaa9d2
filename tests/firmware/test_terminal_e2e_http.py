# End to end under CPython: the terminal application (PN532 simulator, NOR flash, real HTTP client)
# against the real collector (sync/, SQLite) served by uvicorn on localhost.
# SPDX-License-Identifier: MIT
import asyncio

import pytest

from firmware import taps as ftaps
from firmware import uplink, wire
from firmware.httpclient import Client
from tests.kit.liveserver import Collector
from tests.kit.termkit import Rig, config

ENROLLED = "classic1k:04A1B2C3"
STRANGER = "ntag215:04112233445566"


@pytest.fixture
def running(tmp_path):
    with Collector(tmp_path) as c:
        yield c


def terminal_for(c, **kw):
    bundle = c.register()
    cfg = config(terminal_id=bundle["terminal_id"], collector_url=c.url)
    rig = Rig(cfg=cfg, http=Client(), k0=bytes.fromhex(bundle["k0"]),
              card_key=bytes.fromhex(bundle["card_key"]), **kw)  # fmt: skip
    return rig, bundle["terminal_id"]


def sync(rig):
    async def go():
        r = await rig.terminal.sync_step()
        if r == uplink.CONNECTING:
            r = await rig.terminal.sync_step()
        return r

    return asyncio.run(go())


def test_taps_reach_the_collector_database(running):
    running.enroll([("R1", "Siti", "A-101", "04A1B2C3")])
    rig, tid = terminal_for(running)
    assert sync(rig) == uplink.OK  # first contact: time, config and the allow-list arrive
    assert rig.terminal.allow.present and rig.terminal.allow.count == 1
    assert rig.terminal.clock.quality == wire.CLOCK_COLLECTOR
    rig.hw.clock.advance(2000)
    assert rig.tap(ENROLLED) == ftaps.TAPPED
    rig.hw.clock.advance(2000)
    assert rig.tap(STRANGER) == ftaps.DENIED
    assert sync(rig) == uplink.OK
    records = running.records(tid)
    kinds = [r["kind"] for r in records]
    assert wire.BOOT in kinds and wire.CLOCK in kinds
    taps = [r for r in records if r["kind"] == wire.TAP]
    denied = [r for r in records if r["kind"] == wire.DENIED]
    assert len(taps) == 1 and taps[0]["payload"] == rig.token("04A1B2C3")
    assert taps[0]["flags"] & wire.CARD_ENROLLED and taps[0]["wall_time"] is not None
    assert len(denied) == 1 and denied[0]["payload"] == rig.token("04112233445566")
    assert rig.terminal.log.backlog == 0


def test_power_cut_and_restart_lose_no_acknowledged_tap(running):
    rig, tid = terminal_for(running)
    sync(rig)
    answered = 0
    for round_ in range(3):
        for _ in range(4):
            rig.hw.clock.advance(31000)
            answered += rig.tap(ENROLLED) in (ftaps.TAPPED, ftaps.DENIED)
        if round_ == 1:
            assert sync(rig) == uplink.OK
        rig.restart()  # the terminal loses RAM; flash and VFS stay
    assert sync(rig) == uplink.OK
    taps = [r for r in running.records(tid) if r["kind"] in (wire.TAP, wire.DENIED)]
    boots = [r for r in running.records(tid) if r["kind"] == wire.BOOT]
    assert len(taps) == answered == 12 and len(boots) == 4


def test_tap_during_a_slow_sync_is_answered_while_the_collector_works(tmp_path):
    import threading
    import time

    gate = threading.Event()

    def slow():  # the collector stalls between its commit and its reply
        gate.wait(5)

    with Collector(tmp_path, after_commit=slow) as c:
        rig, tid = terminal_for(c)
        rig.hw.clock.advance(1000)
        rig.tap(STRANGER)

        async def scenario():
            from compat import asleep_ms

            t = rig.terminal
            assert await t.sync_step() == uplink.CONNECTING
            task = asyncio.create_task(t.sync_step())
            await asleep_ms(50)
            card = rig.place(ENROLLED)
            answered_during_sync = None
            for _ in range(200):
                r = t.reader_step()
                if r in (ftaps.TAPPED, ftaps.DENIED):
                    answered_during_sync = not task.done()
                    break
                await asleep_ms(5)
            rig.remove(card)
            gate.set()
            return answered_during_sync, await task

        answered, result = asyncio.run(scenario())
        time.sleep(0)
        assert answered is True and result == uplink.OK, (answered, result)
        assert sync(rig) == uplink.OK
        assert len([r for r in c.records(tid) if r["kind"] in (wire.TAP, wire.DENIED)]) == 2


def test_wifi_gone_for_days_then_back_and_power_cuts(running):
    from tools.sim.flash import NorFlash, PowerCut

    flash = NorFlash(blocks=16)
    rig, tid = terminal_for(running, flash=flash, wifi_up=False)
    answered = 0
    for day in range(3):
        for hour in range(24):
            rig.hw.clock.advance(3600 * 1000)
            asyncio.run(rig.terminal.sync_step())
            if hour % 4 == 0:
                rig.hw.clock.advance(31000)
                answered += rig.tap(ENROLLED) in (ftaps.TAPPED, ftaps.DENIED)
            rig.terminal.reader_step()
        flash.cut_at = flash.ops + 1 + day  # a power cut early in the next day's writes
        try:
            rig.hw.clock.advance(31000)
            rig.tap(STRANGER)
        except PowerCut:
            rig.chip.field.clear()
        flash.power_on()
        rig.restart()
    assert answered == 18
    rig.hw.wifi.up = True
    rig.hw.clock.advance(600 * 1000)
    assert sync(rig) == uplink.OK
    while rig.terminal.log.backlog:
        assert sync(rig) == uplink.OK
    records = running.records(tid)
    taps = [r for r in records if r["kind"] == wire.TAP]
    assert len(taps) >= answered and len([r for r in records if r["kind"] == wire.BOOT]) == 4
    assert len([r for r in records if r["kind"] == wire.HEARTBEAT]) >= 70
