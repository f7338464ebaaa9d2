# doctor, pull and upload against the device double (real mpremote) and the real collector.
# SPDX-License-Identifier: MIT
import calendar
import json
import re
import time

import pytest

import cliframe
from firmware import wire
from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from sync.store import records
from tests.kit.technician import cli, provision_registered, run_terminal


def _device_clock(output: str) -> int:
    """The terminal's wall time (seconds since 2000) from doctor's clock row."""
    when = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC, selisih", output)
    assert when, output
    return calendar.timegm(time.strptime(when[1], "%Y-%m-%d %H:%M:%S")) - wire.HOST_EPOCH_OFFSET


def stored(server, tid):
    """(watermark, records stored) at the collector for terminal ``tid``."""
    acked = {t["id"]: t["acked"] for t in admin.list_terminals(server.collector, scope=OPERATOR)}[
        tid
    ]
    with server.collector.db.read() as tx:
        return acked, records.count_records(tx, tid)


@pytest.fixture
def terminal(device, collector_server, tmp_path):
    """A terminal registered at the collector, provisioned from its bundle, with taps logged."""
    bundle, port = provision_registered(device, collector_server, tmp_path, "--wifi-ssid", "RUSUN")
    run_terminal(device, taps=20, tid=bundle["terminal_id"], k0=bundle["k0"])
    return port, bundle


def test_doctor_shows_one_screen_from_the_log_and_the_reader(terminal):
    port, bundle = terminal
    r = cli(port, "--timeout", "5", "doctor")
    # the exit code agrees with the table: 2 exactly when a row says PERIKSA (with main's
    # firmware the double's 256 KiB file system is nearly full after provisioning: "files")
    assert r.exit_code == (cliframe.ATTENTION if "PERIKSA" in r.output else 0), r.output
    for needle in ("PN532", "v1.6", "backlog", "23 slot", "boot 1", "Marunda", "RUSUN"):
        assert needle in r.output, needle
    assert "unknown" in r.output  # no status file: last sync and RSSI are not invented
    r = cli(port, "doctor", "--json")
    report = json.loads(r.output)
    assert report["log"]["backlog"] == 23 and report["log"]["has_key"]  # boot+clock+20 taps+seal
    assert report["reader"]["firmware"] == [0x32, 1, 6, 7]


def test_doctor_reads_the_application_status_file(terminal, device):
    port, _ = terminal
    status = {
        "last_sync": 849_999_000,
        "last_sync_result": "ok",
        "wifi_rssi": -71,
        "clock_quality": 1,
        "reader_recoveries": 2,
        "read_errors": 5,
        "oldest_unsynced_s": 7200,
        "faults": [[849_990_000, "READER_FAULT reset pulse"]],
    }
    (device.root / "data" / "status.json").write_text(json.dumps(status))
    r = cli(port, "doctor")
    assert r.exit_code == cliframe.ATTENTION, r.output  # a fault listed: PERIKSA / CHECK
    for needle in ("-71 dBm", "recoveries 2", "NTP", "READER_FAULT reset pulse", "oldest 2 h"):
        assert needle in r.output, needle


def test_doctor_shows_the_status_file_the_terminal_application_wrote(
    terminal, device, monkeypatch
):
    """The other side of firmware/status.py: a real Terminal (simulated PN532 that locks up
    once, paper collector) writes /data/status.json after its sync rounds; from that file, on
    the device double, doctor shows last sync, Wi-Fi RSSI, reader recoveries and faults."""
    import pathlib

    from firmware import taps as ftaps
    from firmware import uplink
    from tests.kit.termkit import Rig

    port, _ = terminal
    before = cli(port, "doctor")
    assert before.output.count("tidak diketahui / unknown") >= 2  # nothing written yet
    rig = Rig(spec={"lockup_at": 6})  # its own folder: its log state is not the double's
    t = rig.terminal
    rig.net.time = int(time.time()) - wire.HOST_EPOCH_OFFSET - 180  # synced 3 min ago
    for _ in range(300):  # the chip locks up, the fault ladder brings it back
        r = t.reader_step()
        if t.taps.health.recoveries and r == ftaps.IDLE:
            break
        time.sleep(0.01)
    assert t.taps.health.recoveries >= 1
    import asyncio

    async def rounds():
        assert await t.sync_step() == uplink.CONNECTING
        return await t.sync_step()

    assert asyncio.run(rounds()) == uplink.OK
    written = pathlib.Path(rig.root, "data", "status.json").read_bytes()
    (device.root / "data" / "status.json").write_bytes(written)  # as if on this terminal
    st = json.loads(written)
    assert st["reader_recoveries"] == t.taps.health.recoveries and st["wifi_rssi"] == -60
    r = cli(port, "doctor")
    assert r.exit_code == cliframe.ATTENTION, r.output  # the recovered fault is a PERIKSA row
    # doctor counts "N min ago" on the terminal's clock, not the host's. Provisioning set that
    # clock from the laptop in whole seconds, over mpremote, so it lags the host by a fraction
    # of a second or, on a loaded machine, by seconds: a bracket on the host's clock is off by
    # one minute whenever that lag crosses a minute boundary.
    # The expected figure therefore comes from the device time that doctor prints to the second.
    device_now = _device_clock(r.output)
    ago = (device_now - st["last_sync"]) // 60
    assert 2 <= ago <= 10, (device_now, st["last_sync"], r.output)  # synced about 3 min ago
    assert f"{ago} min lalu / ago, ok" in r.output, (ago, r.output)
    recoveries = "recoveries %d" % st["reader_recoveries"]
    for needle in ("RSSI -60 dBm", recoveries, "READER_FAULT recovered", "collector"):
        assert needle in r.output, (needle, r.output)
    assert r.output.count("tidak diketahui / unknown") < before.output.count("unknown")


def test_pull_then_upload_stores_every_record_once(terminal, collector_server, tmp_path):
    port, bundle = terminal
    out = tmp_path / "t.hadir"
    r = cli(port, "pull", "--out", str(out))
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["format"] == "hadir-pull-1" and doc["terminal_id"] == bundle["terminal_id"]
    body = bytes.fromhex(doc["batches"][0])
    b = wire.decode_batch(body)
    assert (b.first_seq, b.count) == (0, 23)
    r = cli(None, "upload", str(out))
    assert r.exit_code == 0, r.output + r.stderr
    assert "ok" in r.output
    tid = bundle["terminal_id"]
    assert stored(collector_server, tid) == (23, 23 - 1)  # every slot but the seal is a record
    assert "22 catatan baru tersimpan / new records stored\n" in r.output
    r = cli(None, "upload", str(out))  # again: verified, nothing stored twice, and it says so
    assert r.exit_code == 0, r.output + r.stderr
    assert stored(collector_server, tid) == (23, 22)
    assert "0 catatan baru tersimpan / new records stored (semua sudah tersimpan" in r.output


def test_an_altered_pull_file_is_refused_and_stores_nothing(terminal, collector_server, tmp_path):
    port, bundle = terminal
    out = tmp_path / "t.hadir"
    assert cli(port, "pull", "--out", str(out)).exit_code == 0
    doc = json.loads(out.read_text())
    body = bytearray(bytes.fromhex(doc["batches"][0]))
    body[wire.HEADER_LEN + 4 * wire.SLOT + 2] ^= 0x01  # one bit of one tap's card token
    doc["batches"][0] = body.hex()
    out.write_text(json.dumps(doc))
    r = cli(None, "upload", str(out))
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: collector menolak log (the collector refused the log)")
    assert stored(collector_server, bundle["terminal_id"]) == (0, 0)


def test_upload_to_an_unreachable_collector_and_a_file_that_is_no_pull(tmp_path):
    out = tmp_path / "t.hadir"
    out.write_text(json.dumps({"format": "hadir-pull-1", "terminal_id": 7, "batches": ["00"]}))
    r = cli(None, "upload", str(out), "--collector", "http://127.0.0.1:9")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: berkas log tidak sah (invalid log file)")
    body = wire.encode_batch(7, 0, 0, bytes(8), wire.pack_health({}), b"", b"k" * 32)
    out.write_text(
        json.dumps(
            {
                "format": "hadir-pull-1",
                "terminal_id": 7,
                "batches": [body.hex()],
                "collector_url": "http://127.0.0.1:9",
            }
        )
    )
    r = cli(None, "upload", str(out))
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: collector tidak dapat dihubungi (collector unreachable)")


def test_pull_dry_run_writes_no_file(terminal, tmp_path):
    port, _ = terminal
    r = cli(port, "pull", "--out", str(tmp_path / "x"), "--dry-run")
    assert r.exit_code == 0 and "23" in r.output
    assert not (tmp_path / "x").exists()


def test_a_backlog_longer_than_one_batch_is_pulled_as_several(device, collector_server, tmp_path):
    bundle, port = provision_registered(device, collector_server, tmp_path)
    tid = bundle["terminal_id"]
    run_terminal(device, taps=5000, tid=tid, k0=bundle["k0"])
    out = tmp_path / "t.hadir"
    assert cli(port, "pull", "--out", str(out)).exit_code == 0
    batches = [wire.decode_batch(bytes.fromhex(h)) for h in json.loads(out.read_text())["batches"]]
    assert [(b.first_seq, b.count) for b in batches] == [(0, 4096), (4096, 908)]
    r = cli(None, "upload", str(out))
    assert r.exit_code == 0, r.output + r.stderr
    assert stored(collector_server, tid) == (5004, 5004 - 2)  # two seals
    assert (
        json.loads(cli(port, "doctor", "--json").output)["log"]["acked"] == 0
    )  # pull acks nothing


def test_provision_registers_at_the_collector_then_its_log_is_accepted(
    device, collector_server, tmp_path
):
    accounts.add_user(collector_server.collector, "tech", "sandi-teknisi", "admin", [])
    pw = tmp_path / "pw"
    pw.write_text("sandi-teknisi")
    saved = tmp_path / "saved.json"
    port = device.plug()
    args = [
        "provision",
        "--rusun",
        "Cakung",
        "--door",
        "2",
        "--collector",
        collector_server.url,
        "--user",
        "tech",
        "--password-file",
        str(pw),
        "--save-bundle",
        str(saved),
    ]
    r = cli(port, *args)
    assert r.exit_code == 0, r.output + r.stderr
    bundle = json.loads(saved.read_text())
    assert saved.stat().st_mode & 0o077 == 0
    terminals = admin.list_terminals(collector_server.collector, scope=OPERATOR)
    assert [(t["id"], t["rusun"], t["door"]) for t in terminals] == [
        (bundle["terminal_id"], "Cakung", 2)
    ]
    r = cli(port, *args)  # the device now holds an identity: refused, and nothing registered
    assert r.exit_code == 1 and "already holds a terminal identity" in r.stderr
    assert len(admin.list_terminals(collector_server.collector, scope=OPERATOR)) == 1
    run_terminal(device, taps=5, tid=bundle["terminal_id"], k0=bundle["k0"])
    out = tmp_path / "t.hadir"
    assert cli(port, "pull", "--out", str(out)).exit_code == 0
    r = cli(None, "upload", str(out))
    assert r.exit_code == 0, r.output + r.stderr
    assert stored(collector_server, bundle["terminal_id"]) == (8, 7)
