# provision against the device double, through the real mpremote transport.
# SPDX-License-Identifier: MIT
import base64
import json

from firmware import wire
from tests.kit.technician import (
    CARD_KEY,
    K0,
    cli,
    provision_registered,
    run_terminal,
    write_bundle,
)


def test_provision_writes_identity_firmware_and_passes_self_test(device, tmp_path):
    port = device.plug()
    bundle = write_bundle(tmp_path / "t7.json")
    pw = tmp_path / "pw"
    pw.write_text("rahasia\n")
    r = cli(
        port,
        "provision",
        "--bundle",
        str(bundle),
        "--wifi-ssid",
        "RUSUN-MARUNDA",
        "--wifi-password-file",
        str(pw),
    )
    assert r.exit_code == 0, r.output
    files = device.files()
    config = json.loads(files["/config.json"])
    assert config["terminal_id"] == 7 and config["rusun"] == "Marunda"
    assert config["wifi_ssid"] == "RUSUN-MARUNDA"
    secrets = json.loads(files["/secrets.json"])
    assert "k0" not in secrets and secrets["card_key"] == CARD_KEY
    assert secrets["kc"] == wire.config_key(bytes.fromhex(K0)).hex()
    assert secrets["wifi_password"] == "rahasia"
    assert "/boot.py" in files and "/lib/pn532/chip.mpy" in files
    assert "/firmware/wire.mpy" in files and "/lib/compat_host.mpy" not in files
    assert files["/lib/pn532/chip.mpy"][:1] == b"M"  # mpy-cross output, not source
    assert "v1.6" in r.output  # the PN532 answered GetFirmwareVersion through hadir's driver
    assert "GAGAL" not in r.output
    assert not any(p.startswith("/.stage") for p in files)
    assert "rahasia" not in r.output and K0 not in r.output  # no secrets on screen


def test_k0_goes_into_the_raw_log_and_never_touches_the_file_system(
    device, tmp_path, write_history, collector_server
):
    from firmware.log import Log
    from firmware.log.state import StateDir
    from tools.sim.flash import NorFlash

    bundle, port = provision_registered(device, collector_server, tmp_path)
    k0 = bytes.fromhex(bundle["k0"])
    forms = [k0, k0.hex().encode(), k0.hex().upper().encode(), base64.b64encode(k0)]
    assert write_history, "the journal saw the provisioning writes"
    history = b"".join(write_history)
    for form in forms:  # not in any file now, nor in anything ever written to a file
        assert form not in history
        for path, data in device.files().items():
            assert form not in data, path
    device.unplug()
    flash = NorFlash(path=str(device.flash))
    log = Log(flash, StateDir(str(device.root / "data")), bundle["terminal_id"])
    assert log.has_key() and log.epoch == 0
    assert bytes(log.keys.key) == wire.epoch_key(k0, 0)  # K(0), in the raw key sectors
    # and a batch it signs verifies at the real collector, like a network batch
    log.boot(1, 0)
    log.append(wire.TAP, wire.CARD_ENROLLED, 0x01020304, 1000)
    body = log.batch(wire.pack_health({}), 64)
    flash.close()
    import httpx

    reply = httpx.post(collector_server.url + "/v1/batches", content=bytes(body), timeout=10)
    assert reply.status_code == 200 and len(reply.content) == wire.REPLY_LEN, reply.text
    status, acked = wire.decode_reply(
        wire.config_key(k0), body[len(body) - wire.REQUEST_MAC_LEN :], reply.content
    )[:2]
    assert status == wire.REPLY_OK and acked == 3  # BOOT, TAP, SEAL


def test_provision_refuses_an_existing_identity_unless_forced(device, tmp_path):
    port = device.plug()
    assert (
        cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "a.json"))).exit_code == 0
    )
    run_terminal(device, taps=5)  # terminal 7 logged records: log state in /data, slots in hlog
    before = device.files()
    other = write_bundle(tmp_path / "b.json", terminal_id=8)
    r = cli(port, "provision", "--bundle", str(other))
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: perangkat sudah punya identitas terminal (device already")
    assert "terminal 7" in r.stderr
    assert device.files() == before  # nothing touched
    r = cli(port, "provision", "--bundle", str(other), "--force")
    assert r.exit_code == 0, r.output + r.stderr
    files = device.files()
    assert json.loads(files["/config.json"])["terminal_id"] == 8
    assert "/data/log.state" not in files  # the old identity's log state is gone
    with open(device.flash, "rb") as f:
        raw = f.read()
    assert set(raw[2 * 4096 :]) == {0xFF}  # its raw log erased: no slot of terminal 7 is left
    assert set(raw[:4096]) != {0xFF}  # and the key sectors hold terminal 8's K(0) only


def test_provision_dry_run_writes_nothing(device, tmp_path):
    port = device.plug()
    r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "a.json")), "--dry-run")
    assert r.exit_code == 0, r.output
    assert "nothing written" in r.output
    assert device.files() == {}


def test_provision_from_the_collectors_own_cli_bundle(device, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sync.cli import app as sync_app

    monkeypatch.setenv("HADIR_DB", str(tmp_path / "hadir.db"))
    monkeypatch.setenv("HADIR_MASTER_KEY", "ab" * 32)
    bundle = tmp_path / "t.json"
    r = CliRunner().invoke(
        sync_app,
        [
            "terminals",
            "add",
            "--rusun",
            "Marunda",
            "--door",
            "2",
            "--bundle",
            str(bundle),
            "--collector-url",
            "http://192.168.1.10:8000",
        ],
    )
    assert r.exit_code == 0, r.output
    port = device.plug()
    r = cli(port, "provision", "--bundle", str(bundle), "--wifi-ssid", "MARUNDA")
    assert r.exit_code == 0, r.output + r.stderr
    config = json.loads(device.files()["/config.json"])
    assert (config["door"], config["collector_url"]) == (2, "http://192.168.1.10:8000")


def test_a_bundle_that_is_not_one_is_refused(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"format": "hadir-provision-1", "terminal_id": 7, "k0": "zz"}))
    r = cli("/dev/null", "provision", "--bundle", str(bad))
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: bundle provisi tidak sah (invalid provisioning bundle)")


def test_a_blank_terminal_gets_its_firmware_in_place_with_nothing_to_roll_back_to(
    device, tmp_path
):
    """Nothing runs on a blank terminal, so nothing is staged beside it: on the real 64-block
    littlefs a staged tree plus the live one it is swapped into does not fit (bench/fsroom.py),
    and a /.prev of "no firmware" would make `deploy --rollback` remove all the code."""
    seen = set()

    def look(double):
        seen.update(p.name for p in double.root.iterdir() if p.name in (".stage", ".prev"))

    port = device.plug(after_exec=look)
    r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
    assert r.exit_code == 0, r.output
    assert seen == set()  # no staged copy, no previous version, at any moment
    files = device.files()
    assert not any(p.startswith(("/.stage", "/.prev")) for p in files) and "/.swap" not in files
    r = cli(port, "deploy", "--rollback")
    assert r.exit_code == 1 and "no previous version" in r.stderr
    assert device.files() == files  # the firmware stays
