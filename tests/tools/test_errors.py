# The one-line errors: no device, wrong MicroPython, device busy (locked or not answering).
# SPDX-License-Identifier: MIT
import serial

import cliframe
from tests.kit.technician import Device, cli, write_bundle


def test_no_device_found(tmp_path, monkeypatch):
    monkeypatch.delenv("HADIR_PORT", raising=False)
    r = cli(str(tmp_path / "ttyUSB9"), "doctor")
    assert r.exit_code == 1
    assert r.stderr == f"hadir: perangkat tidak ditemukan (no device found): {tmp_path}/ttyUSB9\n"
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [])
    r = cli(None, "doctor")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: perangkat tidak ditemukan (no device found)")


def test_wrong_micropython_version_is_refused_before_anything_is_written(tmp_path):
    dev = Device(tmp_path, version=(1, 19, 1), mpy=0x2806)  # mpy v6.0: cannot load our .mpy
    try:
        port = dev.plug()
        r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
        assert r.exit_code == 1
        assert r.stderr.startswith("hadir: versi MicroPython salah (wrong MicroPython version)")
        assert "1.19.1" in r.stderr and "v6.0" in r.stderr
        assert dev.files() == {}
    finally:
        dev.unplug()


def test_device_busy_when_another_program_holds_the_port(device):
    port = device.plug()
    with serial.Serial(port, exclusive=True):  # e.g. a serial monitor left open
        r = cli(port, "doctor")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: perangkat sibuk (device busy)")
    assert "in use by another program" in r.stderr


def test_device_busy_when_the_firmware_ignores_ctrl_c(device, tmp_path):
    (device.root / "main.py").parent.mkdir(parents=True, exist_ok=True)
    (device.root / "main.py").write_text("# runs forever with Ctrl-C disabled\n")
    port = device.plug(stuck=True)
    r = cli(port, "--timeout", "0.5", "doctor")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: perangkat sibuk (device busy)")
    assert "not answering" in r.stderr


def test_doctor_on_a_blank_device_reports_instead_of_failing(device):
    """A blank device is a report, not a failure: rows say what is missing in words (no
    ``None · None``, no ``ImportError(...)``) and the exit code says it needs attention."""
    port = device.plug()
    r = cli(port, "doctor")
    assert r.exit_code == cliframe.ATTENTION, r.output + r.stderr
    assert r.stderr == ""
    assert "not provisioned" in r.output and "no firmware yet" in r.output
    for raw in ("None", "ImportError", "no module named", "no config.json"):
        assert raw not in r.output, raw


def test_no_pn532_answering_fails_the_self_test(tmp_path):
    dev = Device(tmp_path, reader=False)
    try:
        port = dev.plug()
        r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
        assert r.exit_code == 1
        assert r.stderr.startswith("hadir: uji mandiri gagal (self-test failed)")
        assert "PN532Timeout" in r.output
    finally:
        dev.unplug()
