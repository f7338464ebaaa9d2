# provision against the device double, through the real mpremote transport.
# SPDX-License-Identifier: MIT
import json

from firmware import wire
from tests.tools.technician.conftest import CARD_KEY, K0, cli, write_bundle


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
    assert secrets["k0"] == K0 and secrets["card_key"] == CARD_KEY
    assert secrets["kc"] == wire.config_key(bytes.fromhex(K0)).hex()
    assert secrets["wifi_password"] == "rahasia"
    assert "/boot.py" in files and "/lib/pn532/chip.mpy" in files
    assert "/firmware/wire.mpy" in files and "/lib/compat_host.mpy" not in files
    assert files["/lib/pn532/chip.mpy"][:1] == b"M"  # mpy-cross output, not source
    assert "v1.6" in r.output  # the PN532 answered GetFirmwareVersion through hadir's driver
    assert "GAGAL" not in r.output
    assert not any(p.startswith("/.stage") for p in files)
    assert "rahasia" not in r.output and K0 not in r.output  # no secrets on screen
