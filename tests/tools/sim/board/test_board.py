# The board double's parts behave as the ESP32 parts they stand for, without allocating.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 24k: the board double alone
from compat import sleep_ms
from tests.kit.mpytest import allocated_bytes
from tools.sim import board


def test_led_buzzer_and_display_remember_what_the_resident_saw():
    led, buzzer, display = board.Led(), board.Buzzer(), board.Display()
    led.set(0, 1, 0)
    assert led.rgb == (0, 1, 0)
    assert allocated_bytes(lambda: led.set(1, 0, 1)) in (0, None)  # on the tap path
    for hz in (2700, 2700, 0, 880, 0):
        buzzer.tone(hz)
    assert buzzer.beeps == 2 and buzzer.hz == 0  # tones started, not calls
    display.show("Terima kasih", "Budi")
    assert display.lines == ("Terima kasih", "Budi")


def test_the_rtc_keeps_what_was_written():
    rtc = board.Rtc()
    assert rtc.read() is None  # oscillator stopped: no time
    rtc.write(820454400)
    assert rtc.read() == 820454400


def test_the_clock_is_unknown_until_set_then_counts_whole_seconds_from_then():
    c = board.Clock()
    c.advance(1500)
    assert c.ticks_ms() == 1500 and c.wall() is None
    c.set_wall(820454400)
    c.advance(999)
    assert c.wall() == 820454400  # not a whole second since it was set
    c.advance(1)
    assert c.wall() == 820454401
    for _ in range(20):  # twenty days: still small ints, the ticks wrapped
        c.advance(86400 * 1000)
    assert c.wall() == 820454401 + 86400 * 20
    assert c.ticks_ms() == (1500 + 1000 + 86400 * 1000 * 20) & ((1 << 30) - 1)
    assert allocated_bytes(c.wall) in (0, None) and allocated_bytes(c.ticks_ms) in (0, None)
    assert board.Clock(wall=100).wall() == 100


def test_a_clock_with_a_source_follows_it_from_its_boot():
    class Now:
        ms = 5_000_700

    now = Now()
    c = board.Clock(source=now)
    now.ms += 2300
    assert c.ticks_ms() == 2300 and c.wall() is None
    c.set_wall(1000)
    now.ms += 700
    assert c.wall() == 1000
    now.ms += 300
    assert c.wall() == 1001


def test_wifi_joins_when_asked_and_rejoins_by_itself():
    w = board.Wifi(up=False, rssi=-70)
    assert not w.isconnected() and w.rssi() == 0
    w.up = True
    assert not w.isconnected()  # never asked to join
    w.connect("rusun-net", "pw")
    assert w.isconnected() and w.rssi() == -70 and w.attempts == 1
    w.up = False
    assert not w.isconnected() and w.rssi() == 0
    w.up = True
    assert w.isconnected() and w.attempts == 1  # the port rejoined, no new connect()
    assert board.Wifi(joined=True).isconnected()


def test_the_watchdog_counts_feeds_and_expires_only_once_started():
    c = board.Clock()  # simulated time: the outcome does not depend on how loaded the host is
    wd = board.Watchdog(c)
    wd.feed()
    c.advance(15)
    assert wd.feeds == 1 and not wd.expired()  # not started: feeding is all there is
    wd.start(5)
    c.advance(5)
    assert not wd.expired()
    c.advance(1)
    assert wd.expired()
    wd.feed()
    assert not wd.expired() and wd.feeds == 3
    wd.stop()
    c.advance(15)
    assert not wd.expired()


def test_the_watchdog_on_the_runtime_ticks_expires_after_its_timeout():
    wd = board.Watchdog()
    wd.start(60_000)  # a minute: long enough that no host load trips it early
    assert not wd.expired()
    wd.start(5)
    sleep_ms(15)
    assert wd.expired()


def test_hw_gives_a_fresh_part_for_each_one_not_given():
    a = board.Hw("reader", "flash", "/data", "http")
    b = board.Hw("reader", "flash", "/data", "http", wifi=board.Wifi(up=False))
    assert a.led is not b.led and a.clock is not b.clock and a.watchdog is not b.watchdog
    assert a.wifi.up and not b.wifi.up
    assert a.display is None and a.rtc is None and a.ntp is None and a.root == ""
