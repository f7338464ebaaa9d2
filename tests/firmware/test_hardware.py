# firmware/hardware.py on the ESP32 double: Wi-Fi as network_wlan.c behaves, I2C, safe mode, clock.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 240k: code 110 KB as .mpy, a terminal, the chip double, a PN532 simulator
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


def _root(cfg):
    import json

    from tests.kit.termkit import tmpdir

    root = tmpdir()
    with open(root + "/config.json", "w") as f:
        json.dump(cfg, f)
    return root


def test_pn532_on_i2c_shares_one_bus_with_the_oled_and_the_rtc():
    from tests.kit.termkit import config, secrets
    from tools.sim.board.i2cdev import Ds3231, Ssd1306
    from tools.sim.flash import NorFlash
    from tools.sim.pn532 import scenario

    try:
        import framebuf  # noqa: F401 - lib/oled.py draws with it; CPython has none
    except ImportError:
        framebuf = None
    cfg = config(reader="i2c", display=framebuf is not None, rtc=True)
    root = _root(cfg)
    oled, ds = Ssd1306(), Ds3231(when=(2026, 1, 31, 7, 30, 0))
    esp = Esp32(pn532=scenario.build({}), flash=NorFlash(blocks=4, path=root + "/hlog.bin"))
    esp.i2c_devices = {0x3C: oled, 0x68: ds}
    with esp.installed():
        from firmware import hardware

        hardware.root = root
        hw = hardware.build(cfg, secrets())
        # The three share the SDA/SCL pins: with a controller each, the GPIO matrix would give
        # the pins to the last one and the reader would never be heard again.
        assert hw.reader.firmware_version()[0] == 0x32  # IC: PN532
        if hw.display is not None:
            hw.display.show("Terima kasih", "Budi")
        now = bytearray(7)
        hw.rtc.i2c.readfrom_mem_into(0x68, 0, now)  # what DS3231.read() reads, on any runtime
        assert now[6] == 0x26 and now[5] == 0x01 and now[2] == 0x07
    assert set(esp.routes.values()) == {0}
    assert hw.display is None or (oled.on and oled.frames == 1)


def test_the_board_double_cuts_a_controller_off_its_pins_as_the_gpio_matrix_does():
    from tools.sim.pn532 import scenario

    esp = Esp32(pn532=scenario.build({}))
    with esp.installed():
        import machine

        first = machine.I2C(0, sda=machine.Pin(21), scl=machine.Pin(22))
        assert first.scan() == [0x24]
        second = machine.I2C(1, sda=machine.Pin(21), scl=machine.Pin(22))
        assert second.scan() == [0x24] and first.scan() == []
        try:
            first.writeto(0x24, b"\x00")
            raise AssertionError("a controller without its pins was heard")
        except OSError as e:
            assert e.args[0] == 19  # ENODEV: nothing acknowledged its address


def _power_up(esp, root):
    """Reset as the chip does: strapping pins first; boot.py only in SPI boot mode."""
    mode = esp.power_on()
    if mode != "spi":
        return mode
    with esp.installed():
        from firmware import hardware

        hardware.root = root
        hardware.SAFE_WINDOW_MS = 600  # the terminal's is 3 s; the gesture is the same
        hardware.boot()
        return "safe" if hardware.safe else "app"


def test_the_safe_gesture_reaches_safe_mode_on_a_board_with_strapping_pins():
    from tests.kit.termkit import config

    root = _root(config())
    leds = config()["pins"]["led"]
    esp = Esp32(clock=board.Clock(real=True))
    esp.press_on_cue(0, leds, (0, 0, 1))  # what docs/terminal.md tells a technician to do
    assert _power_up(esp, root) == "safe"
    assert esp.watchdog.timeout_ms is None and esp.levels[leds[2]] == 0  # cue off, no WDT
    with esp.installed():  # a soft reset (every mpremote command): no window, no cue
        from firmware import hardware

        hardware.root = root
        esp.press_on_cue(0, leds, (0, 0, 1))
        hardware.boot()
        assert not hardware.safe and esp.watchdog.timeout_ms == 60000 and esp._cue is not None
    esp = Esp32(clock=board.Clock(real=True))
    assert _power_up(esp, root) == "app" and esp.watchdog.timeout_ms == 60000
    esp = Esp32(clock=board.Clock(real=True))
    esp.press(0)  # held through reset: GPIO0 low selects the ROM's download mode
    assert _power_up(esp, root) == "download"
    esp = Esp32(clock=board.Clock(real=True))
    esp.reads_zero = True  # the emulated ESP32: every input reads 0
    assert _power_up(esp, root) == "app"
    esp = Esp32(clock=board.Clock(real=True))
    esp.press(12)  # MTDI high would be the 1.8 V flash; a button to ground keeps it low
    assert _power_up(esp, root) == "app"


def _built(esp, root, cfg):
    from tests.kit.termkit import secrets

    with esp.installed():
        from firmware import hardware

        hardware.root = root
        return hardware.build(cfg, secrets())


def test_a_board_that_lost_power_gets_the_last_good_time_back_before_any_tls():
    import os
    import time

    from tests.kit import tlskit
    from tests.kit.termkit import config
    from tools.sim.flash import NorFlash

    kept = 1700000000  # what the terminal last kept (firmware/clock.py); after 2000 on any epoch
    cfg = config(collector_url="https://collector.example", ca_pin=tlskit.text("ca.pem"))
    root = _root(cfg)
    os.mkdir(root + "/data")
    with open(root + "/data/last_time", "w") as f:
        f.write("%d" % kept)
    esp = Esp32(flash=NorFlash(blocks=4, path=root + "/hlog.bin"))
    esp.power_on()  # the RTC restarts at 2000-01-01
    hw = _built(esp, root, cfg)
    t = time.gmtime(kept)
    assert esp.rtc_set == 1 and esp.rtc_time == (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
    assert hw.clock.wall() is None  # a lower bound for TLS, never claimed as the time
    assert hw.http._ca == tlskit.text("ca.pem").encode()  # the CA the bundle carried, pinned
    _built(esp, root, cfg)  # the RTC is not behind any more: left alone
    assert esp.rtc_set == 1


async def test_the_terminal_keeps_the_time_it_learns_once_a_day():
    from tests.kit.termkit import Rig

    rig = Rig()
    t = rig.terminal
    path = rig.hw.state_dir + "/last_time"
    assert await t.sync_step() == 2 and await t.sync_step() == 0  # connect, then OK
    with open(path) as f:
        assert int(f.read()) == rig.net.time  # the collector's time, kept at once
    rig.hw.clock.advance(3600 * 1000)
    t.reader_step()
    with open(path) as f:
        assert int(f.read()) == rig.net.time  # not rewritten within the day
    rig.hw.clock.advance(86400 * 1000)
    for _ in range(3):
        t.reader_step()
    with open(path) as f:
        assert int(f.read()) == rig.net.time + 90000
