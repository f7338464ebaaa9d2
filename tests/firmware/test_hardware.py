# firmware/hardware.py on the ESP32 double: Wi-Fi as network_wlan.c behaves, I2C, safe mode, clock.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 104k: code 60 KB as .mpy, the chip double, a PN532 simulator
"""``tools/sim/board/chip.py`` stands for ``machine``, ``network`` and ``esp32``; the real
``firmware/hardware.py`` is imported under it and driven as boot.py and main.py drive it."""

from tools.sim import board
from tools.sim.board.chip import Esp32
from tools.sim.board.wlan import AccessPoint


def test_wifi_leaves_a_rejoining_driver_alone_and_restarts_a_wedged_one():
    esp = Esp32(ap=AccessPoint(up=False))
    with esp.installed():
        from firmware import hardware

        wifi = hardware.Wifi("rusun-net", esp.clock)
        for _ in range(60):  # five minutes of the uplink's 5 s retries, access point away
            esp.clock.advance(5000)
            wifi.connect("rusun-net", "pw")
        # One join; the driver kept rejoining by itself and was never asked again (asking
        # while it joins raises "Wifi Internal Error" on the chip).
        assert esp.wlan.joins == 1 and esp.wlan.refused == 0 and wifi.restarts == 0
        esp.clock.advance(30 * 60 * 1000)  # still joining after half an hour: a wedged driver?
        wifi.connect("rusun-net", "pw")
        assert wifi.restarts == 1 and esp.wlan.joins == 2 and esp.wlan.refused == 0
        esp.wlan.ap.up = True
        for _ in range(3):
            esp.clock.advance(3000)
            wifi.isconnected()
        assert wifi.isconnected() and wifi.rssi() == -60
        esp.wlan.ap.up = False
        for _ in range(3):
            esp.clock.advance(3000)
            wifi.isconnected()
        assert not wifi.isconnected() and wifi.rssi() == 0  # the port raises: 0 here
        offline = hardware.Wifi("", esp.clock)
        offline.connect("rusun-net", "pw")
        assert not offline.isconnected() and offline.rssi() == 0 and esp.wlan.joins == 2


def test_wifi_restarts_the_radio_when_connect_is_refused_anyway():
    esp = Esp32()
    with esp.installed():
        from firmware import hardware

        wifi = hardware.Wifi("rusun-net", esp.clock)
        wifi.connect("rusun-net", "pw")
        esp.clock.advance(3000)
        assert wifi.isconnected()
        wifi.connect("rusun-net", "pw")  # connected, asked again: the double refuses it
        assert wifi.restarts == 1 and esp.wlan.refused == 1 and esp.wlan.joins == 2
        esp.clock.advance(3000)
        assert wifi.isconnected()


async def test_the_board_clock_runs_tasks_on_simulated_time():
    import asyncio

    clock = board.Clock()
    woke = []

    async def sleeper(name, ms):
        for _ in range(3):
            await clock.sleep_ms(ms)
            woke.append((name, clock.ticks_ms()))

    tasks = [asyncio.create_task(sleeper("a", 1000)), asyncio.create_task(sleeper("b", 2500))]
    moved = await clock.run_for(6000, 2)
    for task in tasks:
        task.cancel()
    assert moved == 6000 and clock.ticks_ms() == 6000
    assert woke == [("a", 1000), ("a", 2000), ("b", 2500), ("a", 3000), ("b", 5000)], woke
