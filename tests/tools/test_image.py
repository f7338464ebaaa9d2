# image: the littlefs image mounts with littlefs-python and holds exactly the device tree.
# SPDX-License-Identifier: MIT
import json
import os
import subprocess
import sys
import tempfile

from firmware import wire
from firmware.log import Log
from tests.kit.paths import ROOT
from tests.kit.technician import K0, cli, write_bundle
from tools import image
from tools.sim.flash import NorFlash


def test_image_of_a_provisioned_device_tree_mounts_and_matches_exactly(device, tmp_path):
    port = device.plug()
    r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
    assert r.exit_code == 0, r.output
    device.unplug()
    out = tmp_path / "vfs.bin"
    r = cli(None, "image", "--from", str(device.root), "--out", str(out))
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert len(data) == image.vfs_blocks() * 4096 == 512 * 1024  # the table's vfs
    files, dirs = image.read_image(data, image.vfs_blocks())
    want_files, want_dirs = image.tree_of(device.root)
    assert files == want_files  # same paths, same bytes: nothing more, nothing less
    assert dirs == sorted(want_dirs)
    assert "/data" in dirs and "/lib/pn532" in dirs
    assert os.stat(out).st_mode & 0o077 == 0  # it holds secrets.json


def test_image_from_a_bundle_holds_firmware_config_and_secrets(tmp_path):
    out = tmp_path / "t7.bin"
    r = cli(
        None,
        "image",
        "--bundle",
        str(write_bundle(tmp_path / "b.json")),
        "--out",
        str(out),
        "--wifi-ssid",
        "RUSUN",
    )
    assert r.exit_code == 0, r.output
    files, dirs = image.read_image(out.read_bytes(), image.vfs_blocks())
    assert json.loads(files["/config.json"])["wifi_ssid"] == "RUSUN"
    secrets = json.loads(files["/secrets.json"])
    assert "k0" not in secrets and secrets["kc"] == wire.config_key(bytes.fromhex(K0)).hex()
    for form in (bytes.fromhex(K0), K0.encode(), K0.upper().encode()):
        assert form not in out.read_bytes()  # K0 is in no block of the littlefs image
    hlog = tmp_path / "t7.bin.hlog"
    assert os.stat(hlog).st_mode & 0o077 == 0 and hlog.stat().st_size == 448 * 4096
    with tempfile.TemporaryDirectory() as state:
        log = Log(NorFlash(image=bytearray(hlog.read_bytes())), state, 7)
        assert log.has_key() and bytes(log.keys.key) == wire.epoch_key(bytes.fromhex(K0), 0)
    assert files["/lib/pn532/chip.mpy"][:1] == b"M" and "/boot.py" in files
    assert dirs.count("/data") == 1


def test_image_from_a_bundle_as_a_technician_runs_it(tmp_path):
    """``python -m tools`` in a process of its own: nothing of the test runner's sys.path."""
    out = tmp_path / "t7.bin"
    bundle = str(write_bundle(tmp_path / "b.json"))
    argv = [sys.executable, "-m", "tools", "image", "--bundle", bundle, "--out", str(out)]
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "t7.bin.hlog").stat().st_size == 448 * 4096


def test_image_too_small_is_one_clear_error(tmp_path):
    r = cli(None, "image", "--out", str(tmp_path / "x.bin"), "--blocks", "4")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: image penuh (image too small)")
    assert not (tmp_path / "x.bin").exists()


def test_image_from_a_bundle_writes_nothing_when_the_log_image_cannot_be_made(
    tmp_path, monkeypatch
):
    """The log image is made first: a failure leaves no image holding secrets without it."""

    def broken(bundle, blocks=448):
        raise ModuleNotFoundError("No module named 'compat'")

    monkeypatch.setattr(image, "hlog_bytes", broken)
    out = tmp_path / "t7.bin"
    bundle = str(write_bundle(tmp_path / "b.json"))
    try:
        cli(None, "image", "--bundle", bundle, "--out", str(out))
    except ModuleNotFoundError:
        pass
    assert not out.exists() and not (tmp_path / "t7.bin.hlog").exists()
