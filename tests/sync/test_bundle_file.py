# The provisioning bundle (K0 and the card key) reaches its file or nothing is registered:
# written atomically, mode 0600 from creation, never through a symlink (sync/secretfile.py,
# admin.add_terminal/rotate_terminal(deliver=)); terminal ids the firmware cannot hold are
# refused. Both backends.
# SPDX-License-Identifier: MIT
import json
import os
import stat
import subprocess
import sys

import pytest

from firmware import config as fconfig
from firmware import wire
from sync import secretfile
from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT


def _cli(db_url, *args):
    env = dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex(), HADIR_DB=db_url)
    env.pop("HADIR_CA_CERT", None)
    return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip


def _add(db_url, bundle, *extra):
    return _cli(db_url, "terminals", "add", "--rusun", "Marunda", "--door", "1",
                "--bundle", str(bundle), *extra)  # fmt: skip


def _one_line(r) -> str:
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hadir: "), r.stderr
    return lines[0]


def _registered(collector) -> list[int]:
    return [t["id"] for t in admin.list_terminals(collector, scope=OPERATOR)]


def test_a_bundle_that_cannot_be_written_registers_nothing(collector, db_url, tmp_path):
    _one_line(_add(db_url, tmp_path / "no-such-folder" / "t.json"))
    assert _registered(collector) == []
    good = tmp_path / "t.json"
    assert _add(db_url, good).returncode == 0
    assert json.loads(good.read_text())["terminal_id"] == 1 and _registered(collector) == [1]


def test_a_symlink_is_refused_and_its_target_left_alone(collector, db_url, tmp_path):
    victim = tmp_path / "shared.txt"
    victim.write_text("public\n")
    os.chmod(victim, 0o644)
    link = tmp_path / "t.json"
    link.symlink_to(victim)
    assert "symlink" in _one_line(_add(db_url, link))
    assert victim.read_text() == "public\n" and link.is_symlink()
    assert _registered(collector) == []


def test_an_https_bundle_without_the_pinned_ca_registers_nothing(collector, db_url, tmp_path):
    bundle = tmp_path / "t.json"
    _one_line(_add(db_url, bundle, "--collector-url", "https://collector.example"))
    assert not bundle.exists() and _registered(collector) == []


def test_a_failed_rotation_keeps_the_terminals_key(collector, db_url, tmp_path):
    first = tmp_path / "t.json"
    assert _add(db_url, first).returncode == 0
    before = admin.list_terminals(collector, scope=OPERATOR)
    _one_line(_cli(db_url, "terminals", "rotate", "1", "--bundle", str(tmp_path / "x" / "y")))
    assert admin.list_terminals(collector, scope=OPERATOR) == before  # same generation, card key
    again = tmp_path / "t2.json"
    assert _cli(db_url, "terminals", "rotate", "1", "--bundle", str(again)).returncode == 0
    assert json.loads(again.read_text())["k0"] != json.loads(first.read_text())["k0"]


def test_the_file_is_private_from_creation_and_replaced_whole(monkeypatch, tmp_path):
    umask = os.umask(0)  # restored below: a careless umask must not matter
    try:
        seen = []
        real_replace = os.replace

        def spy(src, dst):  # the new file, just before it takes the bundle's name
            seen.append((stat.S_IMODE(os.stat(src).st_mode), open(src).read()))
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", spy)
        path = tmp_path / "t.json"
        path.write_text("old bundle\n")
        secretfile.write(str(path), "new bundle\n")
        assert seen == [(0o600, "new bundle\n")]
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and path.read_text() == "new bundle\n"

        def no_space(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", no_space)
        with pytest.raises(secretfile.SecretFileError, match="No space left"):
            secretfile.write(str(path), "half a bundle")
        assert path.read_text() == "new bundle\n" and os.listdir(tmp_path) == ["t.json"]
    finally:
        os.umask(umask)


def test_terminal_ids_the_firmware_cannot_hold_are_refused(collector):
    for tid in (0, -1, wire.TERMINAL_ID_MAX + 1, 1 << 32, 1 << 40):
        with pytest.raises(admin.AdminError, match=str(wire.TERMINAL_ID_MAX)):
            admin.add_terminal(collector, "Marunda", 1, tid, scope=OPERATOR)
    assert _registered(collector) == []
    bundle = admin.add_terminal(collector, "Marunda", 1, wire.TERMINAL_ID_MAX, scope=OPERATOR)
    cfg = fconfig.validate_config({"terminal_id": bundle["terminal_id"], "rusun": "Marunda",
                                   "door": 1, "wifi_ssid": "x",
                                   "collector_url": "http://10.0.0.5:8000"})  # fmt: skip
    assert cfg["terminal_id"] == wire.TERMINAL_ID_MAX


def test_the_admin_api_refuses_them_with_one_line(client, collector):
    accounts.add_user(collector, "kepala", "rahasia-admin-1", "admin", [])
    r = client.post("/api/terminals", json={"rusun": "Marunda", "door": 1, "id": 1 << 31},
                    auth=("kepala", "rahasia-admin-1"))  # fmt: skip
    assert r.status_code in (400, 422) and _registered(collector) == []
