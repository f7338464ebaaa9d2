# The terminal application on the PN532 simulator, NOR flash and a paper collector (both runtimes).
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 368k: code 110 KB as .mpy, a terminal and its simulators
import json

from compat import asleep_ms
from firmware import config as cfg
from firmware import taps as ftaps
from firmware import texts, uplink, wire
from tests.kit.mpytest import raises
from tests.kit.termkit import TID, Rig, config, secrets

CARD = "classic1k:04A1B2C3"
OTHER = "ntag215:04112233445566"


def _sync(rig):
    """Sync rounds until the exchange happened (the first one only asks the radio)."""

    async def go():
        r = await rig.terminal.sync_step()
        if r == uplink.CONNECTING:
            r = await rig.terminal.sync_step()
        return r

    return go()


async def test_tap_is_stored_then_answered_and_reaches_the_collector():
    rig = Rig()
    assert rig.tap(CARD) == ftaps.TAPPED
    assert rig.terminal.feedback.msg == texts.OFFLINE  # never reached the collector yet
    assert rig.hw.display.lines == ("Tercatat", "Dikirim nanti")  # recorded, sent later
    assert rig.hw.buzzer.beeps == 1
    assert await _sync(rig) == uplink.OK
    taps = rig.net.kinds(wire.TAP)
    assert len(taps) == 1 and taps[0][3] == rig.token("04A1B2C3"), rig.net.records
    assert rig.terminal.log.backlog == 0
    assert rig.tap(OTHER) == ftaps.TAPPED
    assert rig.terminal.feedback.msg == texts.OK
    assert rig.hw.display.lines == ("Tercatat", "Terima kasih")


def test_held_card_fires_once_and_repeat_within_debounce_logs_once_but_answers():
    rig = Rig()
    card = rig.place(CARD)
    results = [rig.terminal.reader_step() for _ in range(5)]
    assert results.count(ftaps.TAPPED) == 1 and ftaps.HELD in results, results
    rig.remove(card)
    rig.terminal.reader_step()
    seq = rig.terminal.log.next_seq
    shown = rig.terminal.feedback.shown
    assert rig.tap(CARD) == ftaps.REPEAT
    assert rig.terminal.feedback.shown == shown + 1 and rig.terminal.log.next_seq == seq
    rig.hw.clock.advance(31000)  # past debounce_s = 30
    assert rig.tap(CARD) == ftaps.TAPPED and rig.terminal.log.next_seq == seq + 1


async def test_allow_list_from_the_collector_enrolls_and_denies():
    rig = Rig()
    fp = 0x1234
    rig.net.set_allowlist(3, [(rig.token("04A1B2C3"), fp)] + [(i * 7919, i) for i in range(999)])
    assert await _sync(rig) == uplink.OK
    assert rig.terminal.allow.present and rig.terminal.allow.count == 1000
    assert rig.tap(CARD) == ftaps.TAPPED  # enrolled, but another fingerprint: a clone hint
    assert rig.tap(OTHER) == ftaps.DENIED
    assert rig.terminal.feedback.msg == texts.DENIED
    assert rig.hw.display.lines == ("Kartu tidak terdaftar", "Hubungi pengelola")
    await _sync(rig)
    tap = rig.net.kinds(wire.TAP)[-1]
    assert tap[2] == wire.CARD_ENROLLED | wire.CARD_FINGERPRINT_MISMATCH, tap
    assert rig.net.kinds(wire.DENIED)[-1][3] == rig.token("04112233445566")
    # a restart finds the list on the VFS and verifies it again
    again = Rig(root=rig.root, flash=rig.hw.flash, http=rig.net)
    assert again.terminal.allow.version == 3 and again.terminal.allow.count == 1000


async def test_fingerprint_zero_means_none_enrolled_so_no_clone_hint():
    rig = Rig()
    rig.net.set_allowlist(4, [(rig.token("04A1B2C3"), 0)])
    assert await _sync(rig) == uplink.OK
    assert rig.tap(CARD) == ftaps.TAPPED
    await _sync(rig)
    assert rig.net.kinds(wire.TAP)[-1][2] == wire.CARD_ENROLLED


async def test_allow_list_that_does_not_verify_is_refused():
    rig = Rig()
    rig.net.set_allowlist(2, [(1, 1)])
    bad = bytearray(rig.net.allow_blob)
    bad[20] ^= 1
    rig.net.allow_blob = bytes(bad)
    assert await _sync(rig) == uplink.FAILED
    assert not rig.terminal.allow.present
    assert rig.tap(CARD) == ftaps.TAPPED  # no list: taps are stored, not enrolled


async def test_signed_config_update_is_applied_and_written_atomically():
    rig = Rig()
    rig.net.set_config(4, json.dumps({"language": "en", "debounce_s": 5, "terminal_id": 99}))
    assert await _sync(rig) == uplink.OK
    assert rig.terminal.config["language"] == "en" and rig.terminal.config["debounce_s"] == 5
    assert rig.terminal.config["terminal_id"] == TID  # not a setting the collector may change
    with open(rig.root + "/config.json") as f:
        assert json.load(f)["config_version"] == 4
    rig.tap(OTHER)
    assert rig.hw.display.lines == ("Recorded", "Thank you")


async def test_a_config_the_terminal_refuses_does_not_keep_a_new_allow_list_out():
    rig = Rig()
    rig.net.set_config(5, json.dumps({"sync_interval_s": 5}))  # below the terminal's 10 s
    rig.net.set_allowlist(2, [(rig.token("04A1B2C3"), 0)])
    assert rig.tap(CARD) == ftaps.TAPPED
    assert await _sync(rig) == uplink.OK  # the batch went through: no back-off
    assert rig.terminal.allow.present and rig.terminal.allow.version == 2
    assert (
        rig.terminal.config["sync_interval_s"] == 300
        and rig.terminal.config["config_version"] == 0
    )
    assert rig.terminal.uplink.config_refused == 1
    posts = rig.net.posts
    assert await _sync(rig) == uplink.OK
    assert rig.net.posts == posts + 1  # the refused version is not fetched again: one batch
    rig.net.set_config(6, json.dumps({"sync_interval_s": 60}))
    assert await _sync(rig) == uplink.OK
    assert (
        rig.terminal.config["sync_interval_s"] == 60 and rig.terminal.config["config_version"] == 6
    )


async def test_a_config_that_cannot_be_fetched_does_not_keep_a_new_allow_list_out():
    rig = Rig()
    rig.net.set_config(5, json.dumps({"debounce_s": 20}))
    rig.net.config_blob = b"not a config"  # the collector answers garbage for the config
    rig.net.set_allowlist(2, [(rig.token("04A1B2C3"), 0)])
    assert await _sync(rig) == uplink.OK
    assert rig.terminal.allow.present and rig.terminal.config["debounce_s"] == 30


async def test_tap_during_a_slow_sync_is_answered_before_the_sync_ends():
    import asyncio

    rig = Rig(real_clock=True)
    t = rig.terminal
    await _sync(rig)
    rig.net.delay_ms = 400
    done = []

    async def syncing():
        done.append(await t.sync_step())

    task = asyncio.create_task(syncing())
    await asleep_ms(20)
    card = rig.place(CARD)
    answered = None
    for _ in range(100):
        if t.reader_step() == ftaps.TAPPED:
            answered = not done  # was the sync still running when the tap was answered?
            break
        await asleep_ms(5)
    rig.remove(card)
    await task
    assert answered is True and done == [uplink.OK], (answered, done)
    assert t.feedback.shown >= 1


async def test_wifi_gone_for_days_then_back_delivers_everything():
    rig = Rig(wifi_up=False)
    t = rig.terminal
    attempts = []
    stored = 0
    for hour in range(72):
        rig.hw.clock.advance(3600 * 1000)
        for _ in range(3):
            await t.sync_step()
        attempts.append(rig.hw.wifi.attempts)
        if hour % 6 == 0:
            rig.hw.clock.advance(31000)
            stored += rig.tap(CARD) == ftaps.TAPPED
        t.reader_step()
        await asleep_ms(0)
    assert stored == 12 and t.log.backlog > 12
    assert rig.hw.wifi.attempts <= 3 * 72 and attempts[-1] > attempts[0]
    assert rig.terminal.health()["oldest_unsynced_s"] >= 70 * 3600
    rig.hw.wifi.up = True
    rig.hw.clock.advance(600 * 1000)  # past the longest Wi-Fi backoff
    assert await _sync(rig) == uplink.OK
    assert len(rig.net.kinds(wire.TAP)) == 12
    assert len(rig.net.kinds(wire.HEARTBEAT)) >= 70  # one an hour of uptime
    assert t.log.backlog == 0 and t.health()["oldest_unsynced_s"] == 0


async def test_a_radio_that_refuses_connect_costs_a_round_not_the_uplink():
    from tools.sim import board

    class Refusing(board.Wifi):
        def connect(self, ssid, password):  # the port, even after a radio restart
            self.attempts += 1
            raise OSError("Wifi Internal Error")

    rig = Rig(wifi=Refusing(up=False))
    t = rig.terminal
    assert await t.sync_step() == uplink.CONNECTING
    assert t.uplink.wifi_errors == 1 and str(t.uplink.last_error) == "Wifi Internal Error"
    rig.hw.clock.advance(5000)
    assert await t.sync_step() == uplink.CONNECTING and rig.hw.wifi.attempts == 2


async def test_an_offline_terminal_never_asks_the_radio_and_keeps_its_taps():
    rig = Rig(cfg=config(wifi_ssid=""))  # a site without network: records leave over USB
    t = rig.terminal
    for _ in range(3):
        rig.hw.clock.advance(31000)
        assert rig.tap(CARD) == ftaps.TAPPED
        assert await t.sync_step() == uplink.NO_WIFI
    assert rig.hw.wifi.attempts == 0 and t.uplink.delay_ms == 3600 * 1000
    assert t.log.backlog >= 3 and rig.net.posts == 0
    with raises(cfg.ConfigError):
        config(wifi_ssid=None)


async def test_collector_errors_keep_the_log_and_back_off():
    rig = Rig()
    rig.tap(CARD)
    rig.net.fail_next = 1
    assert await _sync(rig) == uplink.FAILED and rig.terminal.log.backlog > 0
    first = rig.terminal.uplink.delay_ms
    rig.net.down = True
    assert await rig.terminal.sync_step() == uplink.FAILED
    assert rig.terminal.uplink.delay_ms > first
    rig.net.down = False
    assert await rig.terminal.sync_step() == uplink.OK
    assert len(rig.net.kinds(wire.TAP)) == 1 and rig.terminal.log.backlog == 0


async def test_status_file_after_each_sync_round_holds_health_and_no_secret():
    from binascii import hexlify

    rig = Rig()
    t = rig.terminal
    path = rig.root + "/data/status.json"
    assert rig.tap(CARD) == ftaps.TAPPED
    assert await _sync(rig) == uplink.OK
    with open(path) as f:
        text = f.read()
    st = json.loads(text)
    assert st["last_sync"] == rig.net.time == t.clock.wall()  # the collector set the clock
    assert st["last_sync_result"] == "ok" and st["sync_failures"] == 0
    assert st["wifi_rssi"] == -60 and st["clock_quality"] == wire.CLOCK_COLLECTOR
    assert st["reader_recoveries"] == 0 and st["read_errors"] == 0
    assert st["taps_today"] == 1 and st["backlog_slots"] == 0 and st["faults"] == []
    assert st["boot_counter"] == t.boot_counter == 1
    secret = rig.secrets
    for needle in (hexlify(secret["kc"]).decode(), hexlify(secret["card_key"]).decode(),
                   '"pw"', "04A1B2C3", "04a1b2c3", str(rig.token("04A1B2C3"))):  # fmt: skip
        assert needle not in text, needle  # no secret, no card number, no card token
    try:
        import os

        names = os.listdir(rig.root + "/data")
    except OSError:
        names = []
    assert "status.json.tmp" not in names  # written to a temporary file, then renamed
    rig.net.fail_next = 1
    rig.hw.clock.advance(1000)
    assert await t.sync_step() == uplink.FAILED
    with open(path) as f:
        st = json.loads(f.read())
    assert st["last_sync_result"] == "failed" and st["sync_failures"] == 1
    assert st["last_sync"] == rig.net.time  # the last answered exchange stays
    assert len(st["faults"]) == 1 and st["faults"][0][1].startswith("SYNC_FAILED")
    assert t.status.writes == 3  # connecting, ok, failed
    assert await t.sync_step() == uplink.OK and t.status.writes == 4
    assert await t.sync_step() == uplink.OK and t.status.writes == 4  # same, within a minute


async def test_reader_locked_up_then_recovered():
    rig = Rig(spec={"lockup_at": 6})  # init takes 2 commands, then a few polls
    t = rig.terminal
    from compat import sleep_ms

    results = []
    for _ in range(300):  # a dead chip is seen at the poll deadline (150 ms of driver time)
        results.append(t.reader_step())
        if ftaps.FAULT in results and results[-1] == ftaps.IDLE:
            break
        sleep_ms(10)
    assert ftaps.FAULT in results and results[-1] == ftaps.IDLE, results
    assert t.taps.health.recoveries >= 1 and t.taps.health.failures == 0
    assert rig.tap(CARD) == ftaps.TAPPED
    await _sync(rig)
    faults = rig.net.kinds(wire.READER_FAULT)
    assert faults and faults[0][2] >= 2, rig.net.records  # re-init or reset pulse, logged
    assert rig.net.health["reader_recoveries"] >= 1


async def test_heartbeats_keep_coming_while_polls_hang_on_a_silent_reader():
    rig = Rig(spec={"lockup_at": 3})  # init takes 2 commands; from the first poll on, silence
    t = rig.terminal
    results = []
    for _ in range(6):
        rig.hw.clock.advance(3600 * 1000)
        results.append(t.reader_step())
    await _sync(rig)
    assert ftaps.BUSY in results, results  # a poll was outstanding on such a cycle
    assert len(rig.net.kinds(wire.HEARTBEAT)) >= 6  # one an hour of uptime all the same


async def test_clock_unknown_at_boot_then_learned_from_the_collector():
    rig = Rig()
    t = rig.terminal
    assert t.clock.wall() is None and t.clock.quality == wire.CLOCK_UNSET
    rig.hw.clock.advance(5000)
    rig.tap(CARD)
    await _sync(rig)
    clocks = rig.net.kinds(wire.CLOCK)
    assert len(clocks) == 1 and clocks[0][2] == wire.CLOCK_COLLECTOR
    assert clocks[0][3] == rig.net.time and t.clock.quality == wire.CLOCK_COLLECTOR
    rig.net.time += 3600  # the collector says the clock is an hour off: a logged jump
    await t.sync_step()
    await t.sync_step()
    assert len(rig.net.kinds(wire.CLOCK)) == 2 and t.clock.jumps == 1


def test_rtc_time_at_boot_is_an_anchor():
    from tools.sim import board

    rig = Rig()
    rig.hw.rtc = board.Rtc(820454400)
    rig.hw.clock = board.Clock()
    again = Rig(root=rig.root)
    again.hw.rtc = board.Rtc(820454400)
    from firmware.app import Terminal

    t = Terminal(again.hw, again.cfg, secrets())
    assert t.clock.quality == wire.CLOCK_RTC and t.clock.wall() == 820454400


def config_folder(rig):
    """A fresh folder holding the rig's config.json and secrets.json, as provisioning writes."""
    from tests.kit.termkit import tmpdir

    root = tmpdir()
    with open(root + "/config.json", "w") as f:
        json.dump(rig.cfg, f)
    with open(root + "/secrets.json", "w") as f:
        json.dump(cfg.secrets_json(secrets()), f)
    return root


def test_a_log_without_its_key_does_not_start_and_secrets_hold_no_k0():
    from firmware import start
    from firmware.app import Terminal
    from tests.kit.termkit import tmpdir
    from tools.sim.flash import NorFlash

    rig = Rig()  # the log got K0 as provisioning gives it: it boots on secrets without k0
    assert rig.terminal.log.has_key() and "k0" not in rig.secrets
    assert "k0" not in cfg.secrets_json(rig.secrets)
    assert "k0" not in cfg.validate_secrets(dict(cfg.secrets_json(rig.secrets), k0="00" * 32))
    rig.hw.flash = NorFlash(blocks=32, path=tmpdir() + "/hlog.bin")  # a log never given its key
    rig.hw.state_dir = tmpdir()
    with raises(cfg.ConfigError) as e:
        Terminal(rig.hw, rig.cfg, dict(rig.secrets))
    assert str(e.value).startswith("hlog: log tanpa kunci"), str(e.value)
    root = config_folder(rig)
    entered = []
    assert start.boot_terminal(root, lambda c, s: rig.hw, lambda m, led: entered.append(m)) is None
    assert entered[0].startswith("start: ConfigError('hlog: log tanpa kunci"), entered


def test_invalid_config_is_refused_with_a_message():
    cases = [
        ({"debounce_s": -1}, "debounce_s"),
        ({"debounce_s": True}, "debounce_s"),
        ({"language": "fr"}, "language"),
        ({"collector_url": "ftp://x"}, "collector_url"),
        ({"collector_url": "https://c.example"}, "ca_pin"),
        ({"pins": {"led": [1, 2]}}, "pins.led"),
        ({"terminal_id": "7"}, "terminal_id"),
    ]
    for change, name in cases:
        with raises(cfg.ConfigError) as e:
            config(**change)
        assert str(e.value).startswith(name + ":"), (name, str(e.value))
    with raises(cfg.ConfigError):
        cfg.validate_secrets({"kc": "00", "card_key": "00" * 16})
    assert config()["utc_offset_min"] == 420  # Asia/Jakarta by default


async def test_storage_full_says_memori_penuh_without_the_success_beep():
    from tools.sim.flash import NorFlash

    rig = Rig(flash=NorFlash(blocks=5))  # 2 key blocks + 3 sectors of 452 slots
    t = rig.terminal
    n = 0
    result = None
    for _ in range(2000):
        rig.hw.clock.advance(31000)
        result = rig.tap(CARD)
        if result == ftaps.FULL:
            break
        n += 1
        if n % 10 == 0:
            await asleep_ms(0)  # this port collects garbage only once back in JS
    assert result == ftaps.FULL and n > 10, (result, n)
    assert t.feedback.msg == texts.FULL  # the words say the tap was not recorded
    assert rig.hw.display.lines == ("Tidak tercatat", "Hubungi pengelola")
    assert rig.hw.buzzer.hz != 2700  # not the success tone
    assert t.taps.refused == 1


def test_watchdog_is_fed_only_while_every_task_beats():
    rig = Rig()
    t = rig.terminal
    assert t.alive()
    for i in range(5):
        t._beat(i)
    rig.hw.clock.advance(6000)
    assert not t.alive()  # reader and feedback silent for 6 s
    t._beat(0)
    t._beat(1)
    assert t.alive()


def test_invalid_config_file_enters_safe_mode_with_a_message_not_a_crash():
    from firmware import start
    from tests.kit.termkit import tmpdir

    root = tmpdir()
    entered = []

    def safe(message, led):
        entered.append(message)

    def build(config, secrets):
        raise AssertionError("must not build hardware from an invalid config")

    assert start.boot_terminal(root, build, safe) is None  # no config.json at all
    with open(root + "/config.json", "w") as f:
        f.write('{"terminal_id": 7, "rusun": "Marunda", "door": 1, "wifi_ssid": "x",'
                ' "collector_url": "http://c:8000", "debounce_s": "lama"}')  # fmt: skip
    with open(root + "/secrets.json", "w") as f:
        json.dump(cfg.secrets_json(secrets()), f)
    assert start.boot_terminal(root, build, safe) is None
    assert entered[0].startswith(root + "/config.json: tidak ada")
    assert entered[1].startswith("debounce_s: harus bilangan bulat"), entered
    assert "must be an integer" in entered[1]


def test_valid_files_start_the_terminal_and_a_failing_start_is_safe_mode():
    from firmware import start

    rig = Rig()
    root = config_folder(rig)
    entered = []
    t = start.boot_terminal(root, lambda c, s: rig.hw, lambda m, led: entered.append(m))
    assert t is not None and not entered and t.config["terminal_id"] == TID

    def broken(config, secrets):
        raise OSError(19)  # e.g. no log partition

    assert start.boot_terminal(root, broken, lambda m, led: entered.append((m, led))) is None
    assert entered[0][0].startswith("start: OSError") and entered[0][1] == [26, 27, 14]


async def test_run_answers_taps_feeds_the_watchdog_and_yields():
    import asyncio

    rig = Rig(real_clock=True)
    ticks = [0]

    async def round_robin():  # proves every task loop awaits
        while True:
            ticks[0] += 1
            await asleep_ms(5)

    other = asyncio.create_task(round_robin())
    main = asyncio.create_task(rig.terminal.run())
    await asleep_ms(100)
    card = rig.place(CARD)
    for _ in range(50):
        await asleep_ms(10)
        if rig.terminal.taps.taps:
            break
    rig.remove(card)
    await asleep_ms(50)
    main.cancel()
    other.cancel()
    for task in (main, other):
        try:
            await task
        except asyncio.CancelledError:
            pass
    assert rig.terminal.taps.taps == 1 and rig.hw.buzzer.beeps >= 1
    assert rig.hw.watchdog.feeds >= 1 and ticks[0] >= 5, (rig.hw.watchdog.feeds, ticks[0])
