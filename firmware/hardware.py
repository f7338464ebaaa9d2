# hardware: the one module that touches machine, network and esp32: builds the terminal's parts.
# SPDX-License-Identifier: MIT
"""ESP32 only. ``boot()`` (from boot.py): safe-mode gesture, watchdog. ``main()`` (from main.py):
load and validate config.json + secrets.json, ``build(config, secrets)`` the ``hw`` object of
``firmware.app.Terminal`` and run it. Invalid config, or a crash at start, never loops: safe
mode blinks the LED from a timer (which also feeds the watchdog) and returns to the REPL."""

import os
import time

import machine

from compat import asleep_ms, const, sleep_ms, ticks_diff, ticks_ms
from firmware import config as cfg

# boot.py runs this module at every reset, also the soft reset of each technician command: what
# only build() and the parts it makes need (pn532, network, esp32, struct, socket) is imported
# there, so that boot() stays cheap.

_WDT_MS = const(60000)  # covers the log's recovery scan at boot, before the tasks feed it
_LOG_LABEL = "hlog"
_NTP_DELTA = const(3155673600)  # 1900-01-01 to 2000-01-01 in seconds (RFC 5905 era 0)
_CRASHES_MAX = const(3)
_CUE = (0, 0, 1)  # blue: the window in which the safe button may be pressed
_WARM_MARK = const(0xA5)  # RTC memory byte 1: booted since the last power-up
_POLL_MS = const(20)
SAFE_WINDOW_MS = 3000  # a module attribute, not a const: tests shorten it
root = ""  # the file system root: "" on the terminal, a folder in tests
_STAT_CONNECTING = const(1001)  # network.STAT_CONNECTING on the ESP32 port
_STUCK_MS = const(1800000)  # joining for 30 min: restart the radio
_wdt = None
safe = False


class Led:
    def __init__(self, pins):
        self._p = [machine.Pin(n, machine.Pin.OUT, value=0) for n in pins]

    def set(self, r, g, b):
        self._p[0].value(r)
        self._p[1].value(g)
        self._p[2].value(b)


class Buzzer:
    def __init__(self, pin):
        self._pwm = machine.PWM(machine.Pin(pin), freq=2000, duty_u16=0)

    def tone(self, hz):
        if hz:
            self._pwm.freq(hz)
            self._pwm.duty_u16(32768)
        else:
            self._pwm.duty_u16(0)


class Wifi:
    """The station over ``network.WLAN(STA_IF)`` (ports/esp32/network_wlan.c); ``ssid`` ""
    (an offline terminal) never starts the radio.

    After one ``connect()`` the port rejoins by itself after every drop (its event handler
    calls ``esp_wifi_connect()`` again while a connection is requested), and ``connect()`` while
    such a join is under way raises ``OSError("Wifi Internal Error")``. So ``connect()`` leaves
    the driver alone while it reports ``STAT_CONNECTING``, except after ``_STUCK_MS`` of that
    (a wedged driver); then, or when ``connect()`` raises anyway, it restarts the radio as field
    code does (``disconnect()``, ``active(False)``, ``active(True)``) and asks once more. That
    last ``connect()`` may still raise: the uplink counts it and tries later.

    New credentials (settings from the collector, or going back to the previous ones,
    ``firmware.remote``) restart the radio first: the driver would otherwise go on joining, or
    stay joined, with the old ones."""

    def __init__(self, ssid, clock=None):
        self._w = None
        self._clock = clock
        self._asked = None  # ticks of the last connect() that went through
        self._creds = None  # (ssid, password) of that connect()
        self.restarts = 0
        if ssid:
            import network

            self._w = network.WLAN(network.STA_IF)
            self._w.active(True)

    def _now(self):
        return self._clock.ticks_ms() if self._clock is not None else ticks_ms()

    def _restart(self, w):
        self.restarts += 1
        for step in (w.disconnect, lambda: w.active(False), lambda: w.active(True)):
            try:
                step()
            except OSError:
                pass

    def connect(self, ssid, password):
        w = self._w
        if w is None:
            return
        now = self._now()
        if self._creds is not None and self._creds != (ssid, password):
            self._restart(w)
        elif w.status() == _STAT_CONNECTING:
            if self._asked is not None and ticks_diff(now, self._asked) < _STUCK_MS:
                return  # the driver is joining by itself: asking again would raise
            self._restart(w)
        try:
            w.connect(ssid, password)  # returns at once; isconnected() says when it is up
        except OSError:
            self._restart(w)
            w.connect(ssid, password)
        self._asked = now
        self._creds = (ssid, password)

    def isconnected(self):
        return self._w is not None and self._w.isconnected()

    def rssi(self):
        try:
            return self._w.status("rssi") if self._w is not None else 0
        except OSError:
            return 0


class Clock:
    """ticks from compat; wall time unknown (None) until NTP, the collector or the DS3231 set it:
    the ESP32's RTC restarts at 2000-01-01 after a power cut."""

    def __init__(self):
        self._known = False
        self._rtc = machine.RTC()

    def ticks_ms(self):
        return ticks_ms()

    async def sleep_ms(self, ms):
        await asleep_ms(ms)

    def wall(self):
        return int(time.time()) if self._known else None

    def set_wall(self, seconds):
        t = time.gmtime(seconds)  # machine.RTC wants (y, mo, d, weekday, h, mi, s, subseconds)
        self._rtc.datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))
        self._known = True


class Watchdog:
    def feed(self):
        if _wdt is not None:
            _wdt.feed()


class Ntp:
    """SNTP over a non-blocking UDP socket (RFC 4330): never holds the event loop. The server's
    address is looked up once (that DNS lookup blocks, for at most the resolver's timeout)."""

    def __init__(self, host):
        self.host = host
        self._addr = None
        self._pkt = bytearray(48)

    async def query(self):
        import socket

        if self._addr is None:
            self._addr = socket.getaddrinfo(self.host, 123)[0][-1]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.setblocking(False)
            p = self._pkt
            for i in range(48):
                p[i] = 0
            p[0] = 0x1B  # LI 0, version 3, mode 3 (client)
            s.sendto(p, self._addr)
            for _ in range(50):  # 50 x 20 ms
                await asleep_ms(20)
                try:
                    n = s.readinto(p)
                except OSError:
                    continue
                if n == 48:
                    return int.from_bytes(p[40:44], "big") - _NTP_DELTA
            return None
        finally:
            s.close()


class Hw:
    """The ``hw`` of ``firmware.app.Terminal``: docs/terminal.md, "The hw contract"."""

    def __init__(self, **parts):
        self.root = root
        self.reader = parts["reader"]
        self.led = parts["led"]
        self.buzzer = parts["buzzer"]
        self.display = parts["display"]
        self.rtc = parts["rtc"]
        self.wifi = parts["wifi"]
        self.http = parts["http"]
        self.ntp = parts["ntp"]
        self.flash = parts["flash"]
        self.state_dir = parts["state_dir"]
        self.clock = parts["clock"]
        self.watchdog = parts["watchdog"]
        self.reset = machine.reset  # a network update swapped code in (or back): load it


def build(config, secrets):
    import esp32

    import pn532
    from firmware import clock as clk
    from firmware.httpclient import Client

    p = config["pins"]
    reset = machine.Pin(p["reset"], machine.Pin.OUT, value=1)
    i2c = None
    if config["reader"] == "i2c" or config["display"] or config["rtc"]:
        # One controller for every device on these two pins: the ESP32's GPIO matrix routes a
        # pin's output from one controller only, so a second one would cut the first off.
        i2c = machine.I2C(0, sda=machine.Pin(p["sda"]), scl=machine.Pin(p["scl"]), freq=400000)
    if config["reader"] == "i2c":
        reader = pn532.PN532I2C(i2c, reset=reset)
    else:
        uart = machine.UART(p["uart"], 115200, rx=p["rx"], tx=p["tx"], timeout=0)
        reader = pn532.PN532UART(uart, reset=reset)
    display = rtc = None
    if config["display"]:
        from oled import OLED

        display = OLED(i2c)
    if config["rtc"]:
        from ds3231 import DS3231

        rtc = DS3231(i2c)
    _restore_time(root + "/data" + clk.KEPT)  # before any TLS handshake can happen
    ca = cfg.ca_bytes(config["ca_pin"], root)
    clock = Clock()
    found = esp32.Partition.find(esp32.Partition.TYPE_DATA, label=_LOG_LABEL)
    if not found:
        raise OSError(19)  # ENODEV: the partition table has no log partition
    try:
        os.mkdir(root + "/data")
    except OSError:
        pass
    return Hw(
        reader=reader,
        led=Led(p["led"]),
        buzzer=Buzzer(p["buzzer"]),
        display=display,
        rtc=rtc,
        wifi=Wifi(config["wifi_ssid"], clock),
        http=Client(ca),
        ntp=Ntp(config.get("ntp_server", cfg.NTP_SERVER)),
        flash=found[0],
        state_dir=root + "/data",
        clock=clock,
        watchdog=Watchdog(),
    )


def _restore_time(path):
    """After a power loss the RTC restarts at 2000-01-01, and mbedTLS checks certificate dates
    against it: every handshake would fail ("validity starts in the future") and the collector
    could never set the clock. Put the last good wall time kept in flash (``firmware.clock``)
    back into the RTC when the RTC is behind it. The wall time stays unknown to the application
    (``Clock.wall()`` None) until a source sets it: this is a lower bound, not the time."""
    try:
        with open(path) as f:
            kept = int(f.read())
    except (OSError, ValueError):
        return False
    rtc = machine.RTC()
    t = time.gmtime(kept)  # (y, mo, d, h, mi, s, weekday, yearday)
    now = rtc.datetime()  # (y, mo, d, weekday, h, mi, s, subseconds)
    if (now[0], now[1], now[2], now[4], now[5], now[6]) >= t[:6]:
        return False
    rtc.datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))
    return True


def boot():
    """From boot.py: the safe-mode gesture, or the watchdog.

    The LED shows ``_CUE`` (blue) for ``SAFE_WINDOW_MS`` after a power-up; pressing the safe
    button (config ``pins.safe``, default GPIO0 = the DevKit's BOOT button) then leaves the REPL
    free. A press, not a level: the pin must read released first. Held *at* power-up, GPIO0
    puts the ESP32 into its ROM download mode and no boot.py runs at all (a strapping pin); a
    pin that reads low from the start (a stuck button, or the emulated ESP32, where every input
    reads 0) is ignored, and the terminal starts."""
    global _wdt, safe
    safe = False
    if not _warm():
        safe = _gesture()
    if safe:
        print("hadir: tombol aman ditekan, aplikasi tidak dijalankan / safe button pressed")
    else:
        _wdt = machine.WDT(timeout=_WDT_MS)


def _warm():
    """True after a soft reset (or any reset but a power-up): RTC memory, which only a power
    loss clears, carries the mark the first boot left. Only a power-up opens the window, so a
    technician's tools, which soft-reset the board at every command, never wait for it."""
    mem = machine.RTC().memory()
    if len(mem) >= 2 and mem[1] == _WARM_MARK:
        return True
    machine.RTC().memory(bytes((mem[0] if len(mem) else 0, _WARM_MARK)))
    return False


def _gesture():
    try:
        pins = dict(cfg.PINS)
        pins.update(cfg.read_json(root + "/config.json").get("pins", {}))
    except (cfg.ConfigError, AttributeError, TypeError, ValueError):
        pins = cfg.PINS
    try:
        button = machine.Pin(pins["safe"], machine.Pin.IN, machine.Pin.PULL_UP)
        led = Led(pins["led"])
    except (TypeError, ValueError, IndexError):
        button = machine.Pin(cfg.PINS["safe"], machine.Pin.IN, machine.Pin.PULL_UP)
        led = Led(cfg.PINS["led"])
    return _pressed_on_cue(button, led)


def _pressed_on_cue(button, led):
    led.set(*_CUE)
    released = False
    try:
        for _ in range(SAFE_WINDOW_MS // _POLL_MS):
            if button.value():
                released = True
            elif released:
                return True
            sleep_ms(_POLL_MS)
    finally:
        led.set(0, 0, 0)
    if not released:
        print("hadir: pin aman rendah sejak awal, diabaikan / safe pin low from start: ignored")
    return False


def safe_mode(message, led_pins=None):
    """Blink magenta from a timer (feeding the watchdog if it runs) and return to the REPL."""
    print("hadir: MODE AMAN / SAFE MODE:", message)
    led = Led(led_pins or cfg.PINS["led"])
    state = [0]

    def blink(_):
        state[0] ^= 1
        led.set(state[0], 0, state[0])
        if _wdt is not None:
            _wdt.feed()

    machine.Timer(0).init(period=500, mode=machine.Timer.PERIODIC, callback=blink)


def _crashed(exc):
    """Count crashes in RTC memory (kept over a reset): the third in a row means safe mode;
    ``None`` (an hour of running) clears the count. RTC memory: [crashes, warm mark]."""
    mem = machine.RTC().memory()
    n = 0 if exc is None else (mem[0] if len(mem) >= 1 else 0) + 1
    machine.RTC().memory(bytes((min(n, 255), _WARM_MARK)))
    return n >= _CRASHES_MAX


def main():
    if safe:
        return
    from firmware import start

    Watchdog().feed()
    start.main(root, build, safe_mode, _crashed, machine.reset)
