# Remote settings on trial with automatic fallback, and remote commands, over the hostile Wi-Fi.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 256k: code 110 KB as .mpy, a terminal, the chip double
"""The terminal's Wi-Fi is the real ``firmware.hardware.Wifi`` over the double of
``network.WLAN`` (``tools/sim/board/wlan.py``: a wrong password keeps the station joining by
itself, reason 202, as ports/esp32/network_wlan.c does); the collector is the paper one, which
offers a remote command in each ``HDA2`` reply until its report arrives."""

import json

from firmware import uplink, wire
from tests.kit.mpytest import raises
from tests.kit.paperco import PaperCollector
from tests.kit.termkit import K0, TID, Rig
from tools.sim import board
from tools.sim.board.chip import Esp32
from tools.sim.board.wlan import STAT_GOT_IP, STAT_WRONG_PASSWORD


def _rig(**kw):
    esp = Esp32(clock=board.Clock())
    with esp.installed():
        from firmware import hardware

        wifi = hardware.Wifi("rusun-net", esp.clock)
    return Rig(clock=esp.clock, wifi=wifi, watchdog=esp.watchdog, **kw), esp


async def _round(rig, ms=10000):
    """One sync round, then ``ms`` of simulated time (the Wi-Fi double's joins take 3 s)."""
    r = await rig.terminal.sync_step()
    rig.hw.clock.advance(ms)
    return r


async def _until_ok(rig, rounds=30):
    for _ in range(rounds):
        if await _round(rig) == uplink.OK:
            return True
    return False


def _push(rig, version, **settings):
    password = settings.pop("wifi_password", None)
    if password is not None:
        settings[wire.SEALED_PASSWORD] = wire.seal_secret(rig.net.kc, version, TID, password)
    rig.net.set_config(version, json.dumps(settings))


def _settings_reports(rig):
    return [json.loads(r[2]) for r in rig.net.reports if '"settings"' in r[2]]


async def test_a_wrong_wifi_password_pushed_goes_back_to_the_old_one_and_says_so():
    rig, esp = _rig()
    t = rig.terminal
    assert await _until_ok(rig)
    _push(rig, 2, wifi_password="not-the-password", trial_s=120)
    assert await _round(rig) == uplink.OK  # fetched, applied on trial: the radio rejoins
    assert t.wifi_password == "not-the-password" and t.remote.trial is not None
    with open(rig.root + "/secrets.json") as f:
        assert json.load(f)["wifi_password"] == "not-the-password"
    results = []
    for _ in range(11):  # 110 s: inside the trial the station keeps failing with reason 202
        results.append(await _round(rig))
    assert uplink.OK not in results, results
    assert esp.wlan.status() != STAT_GOT_IP and esp.wlan._reason == STAT_WRONG_PASSWORD
    assert t.remote.trial is not None  # not yet: 120 s
    for _ in range(3):
        await _round(rig)
    assert t.remote.trial is None and t.remote.fell_back == 1
    assert t.wifi_password == "pw" and t.config["config_version"] == 2  # v2 not fetched again
    with open(rig.root + "/secrets.json") as f:
        assert json.load(f)["wifi_password"] == "pw"
    assert await _until_ok(rig)
    (report,) = _settings_reports(rig)
    assert report["settings"] == 2 and report["fell_back"] is True and "120 s" in report["why"]
    assert "not-the-password" not in json.dumps(rig.net.reports)  # never in a report
    posts = rig.net.posts
    assert await _round(rig) == uplink.OK and rig.net.posts == posts + 1  # one batch, no refetch
    assert any("SETTINGS_FELL_BACK v2" in f[1] for f in t.status.faults)


async def test_new_network_credentials_that_work_are_kept_and_reported():
    rig, esp = _rig()
    t = rig.terminal
    assert await _until_ok(rig)
    esp.wlan.ap.ssid, esp.wlan.ap.password = "rusun-baru", "kata-sandi-baru"  # router changed
    _push(rig, 3, wifi_ssid="rusun-baru", wifi_password="kata-sandi-baru")
    assert await _round(rig) != uplink.OK or True  # this round may end before the new join
    assert await _until_ok(rig)
    assert t.remote.trial is None and t.remote.fell_back == 0
    assert t.config["wifi_ssid"] == "rusun-baru" and t.wifi_password == "kata-sandi-baru"
    (report,) = _settings_reports(rig)
    assert report == {"settings": 3, "kept": True}
    with open(rig.root + "/config.json") as f:
        assert json.load(f)["wifi_ssid"] == "rusun-baru"


class OneHost(PaperCollector):
    """The paper collector, reachable at its own address only: any other host does not answer
    (a DNS name nobody serves: OSError, as ``firmware.httpclient`` raises it)."""

    async def post(self, url, body, timeout_ms):
        if not url.startswith("http://collector.test:8000/"):
            raise OSError(113)  # EHOSTUNREACH
        return await super().post(url, body, timeout_ms)


async def test_a_wrong_collector_url_pushed_goes_back_to_the_old_one():
    rig, _ = _rig(http=OneHost(TID, K0))
    t = rig.terminal
    assert await _until_ok(rig)
    _push(rig, 7, collector_url="http://collector.test:9999", trial_s=60)
    assert await _round(rig) == uplink.OK  # fetched from the old address, then switched
    assert t.uplink.url == "http://collector.test:9999"
    results = []
    for _ in range(4):  # no await in a comprehension on MicroPython
        results.append(await _round(rig, 20000))
    assert uplink.OK not in results[:3] and t.remote.fell_back == 1, results
    assert t.uplink.url == "http://collector.test:8000" and t.config["config_version"] == 7
    assert await _until_ok(rig)
    report = _settings_reports(rig)[-1]
    assert report["settings"] == 7 and report["fell_back"] is True and "OSError" in report["why"]


async def test_a_trial_survives_a_power_cut_and_still_falls_back():
    rig, esp = _rig()
    assert await _until_ok(rig)
    _push(rig, 4, wifi_ssid="nowhere", trial_s=60)
    await _round(rig)
    assert rig.terminal.config["wifi_ssid"] == "nowhere"
    # Power cut: the files say "nowhere", the trial is in /data/remote.json.
    from firmware import config as cfg

    rig.cfg = cfg.validate_config(cfg.read_json(rig.root + "/config.json"))
    t = rig.restart()
    assert t.config["wifi_ssid"] == "nowhere" and t.remote.trial is not None
    for _ in range(8):
        await _round(rig)
    assert t.config["wifi_ssid"] == "rusun-net" and t.remote.fell_back == 1
    assert await _until_ok(rig)
    assert _settings_reports(rig)[-1]["fell_back"] is True


async def test_a_setting_the_firmware_refuses_is_reported_and_not_applied():
    rig, _ = _rig()
    t = rig.terminal
    assert await _until_ok(rig)
    _push(rig, 5, collector_url="https://collector.test")  # https without a pinned CA
    assert await _round(rig) == uplink.OK
    assert t.config["collector_url"] == "http://collector.test:8000"
    assert t.uplink.config_refused == 1
    await _round(rig)
    (report,) = _settings_reports(rig)
    assert report["settings"] == 5 and "ca_pin" in report["refused"]
    _push(rig, 6, wifi_password="short")  # WPA2 needs 8..63
    await _round(rig)
    await _round(rig)
    assert t.wifi_password == "pw" and "wifi_password" in _settings_reports(rig)[-1]["refused"]


async def test_a_command_runs_once_and_its_result_is_reported():
    rig, _ = _rig()
    t = rig.terminal
    assert await _until_ok(rig)
    rig.net.command = (41, wire.CMD_STATUS)
    assert await _round(rig) == uplink.OK
    assert rig.net.command is None  # the report came: no longer offered
    cid, result, text = rig.net.reports[-1]
    assert (cid, result) == (41, wire.RESULT_OK)
    status = json.loads(text)["status"]
    assert status["last_sync_result"] in ("ok", None) and "pw" not in text.replace('"', " ")
    # Offered again (a lost report): not run again.
    rig.net.command = (41, wire.CMD_STATUS)
    n = len(rig.net.reports)
    await _round(rig)
    assert len(rig.net.reports) == n and t.remote.done == 41
    for cid, code in ((42, wire.CMD_SELFTEST), (43, wire.CMD_WEAR), (44, 99)):
        rig.net.command = (cid, code)
        await _round(rig)
    selftest, wear, unknown = [r for r in rig.net.reports if r[0] in (42, 43, 44)]
    doc = json.loads(selftest[2])
    assert doc["log_key"] is True and doc["reader_ok"] is True
    ring, keys, sectors = json.loads(wear[2])["wear"]
    assert ring >= 1 and keys >= 1 and sectors == 30
    assert unknown[1] == wire.RESULT_UNKNOWN


async def test_reboot_reports_first_then_stops_feeding_the_watchdog():
    rig, _ = _rig()
    t = rig.terminal
    assert await _until_ok(rig)
    t.watch()  # every task just beat
    assert t.alive()
    rig.net.command = (50, wire.CMD_REBOOT)
    await _round(rig, 0)
    assert rig.net.reports[-1][:2] == (50, wire.RESULT_OK)
    t.watch()
    assert not t.alive()  # every task beats, yet the watchdog is not fed: the chip resets
    t = rig.restart()
    t.watch()
    assert t.remote.done == 50 and not t.remote.rebooting and t.alive()
    rig.net.command = (50, wire.CMD_REBOOT)  # offered once more: done already
    await _round(rig)
    assert not t.remote.rebooting


async def test_clear_fault_lets_a_faulty_reader_be_tried_at_once():
    rig, _ = _rig()
    t = rig.terminal
    assert await _until_ok(rig)
    h = t.taps.health
    now = rig.hw.clock.ticks_ms()
    for _ in range(6):
        h.failed(now)
    assert h.faulty and not h.may_try(now)
    rig.net.command = (60, wire.CMD_CLEAR_FAULT)
    await _round(rig, 0)
    assert h.may_try(rig.hw.clock.ticks_ms())
    assert json.loads(rig.net.reports[-1][2]) == {"was_faulty": True}


def test_sealed_password_opens_only_with_its_key_version_and_terminal():
    kc = wire.config_key(bytes(range(32)))
    sealed = wire.seal_secret(kc, 9, TID, "rahasia-123")
    assert "rahasia" not in sealed and len(sealed) == 22
    assert wire.open_secret(kc, 9, TID, sealed) == "rahasia-123"
    for version, tid in ((10, TID), (9, TID + 1)):
        try:
            assert wire.open_secret(kc, version, tid, sealed) != "rahasia-123"
        except wire.WireError:
            pass  # not UTF-8 after all: refused
    with raises(wire.WireError):
        wire.open_secret(kc, 9, TID, "zz")


def test_reply_hda2_carries_the_offer_and_hda1_still_decodes():
    kc = wire.config_key(bytes(range(32)))
    req = bytes(range(16))
    old = wire.encode_reply(kc, req, wire.REPLY_OK, 3, 820454400, 1, 2)
    new = wire.encode_reply(kc, req, wire.REPLY_OK, 3, 820454400, 1, 2, (7, 41, wire.CMD_REBOOT))
    assert len(old) == wire.REPLY_LEN and len(new) == wire.REPLY2_LEN and new[:4] == b"HDA2"
    for data in (old, new):
        assert wire.decode_reply(kc, req, data) == (0, 3, 820454400, 1, 2)
    assert wire.reply_offer(new) == (7, 41, 1) and wire.reply_offer(old) == (0, 0, 0)
    bad = bytearray(new)
    bad[40] ^= 1  # the command id: covered by the MAC
    with raises(wire.WireError):
        wire.decode_reply(kc, req, bytes(bad))


def test_a_report_is_bound_to_the_request_mac():
    key = bytes(range(32))
    status = wire.encode_batch(TID, 5, 0, bytes(8), bytes(24), b"", key)
    part = wire.report_part(41, wire.RESULT_OK, '{"wear": [1, 1, 30]}')
    body = wire.encode_report(status[: wire.HEADER_LEN], part, key)
    batch, (cid, result, text) = wire.decode_report(body)
    assert (cid, result, text) == (41, 0, '{"wear": [1, 1, 30]}')
    assert batch.request_mac_ok(key) and batch.terminal_id == TID
    forged = body[:-2] + b"9]"  # another report under the same request MAC
    batch, _ = wire.decode_report(forged)
    assert not batch.request_mac_ok(key)
    with raises(wire.WireError):
        wire.decode_report(status)  # no report part
