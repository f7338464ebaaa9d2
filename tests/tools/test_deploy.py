# deploy against the device double: staged, hash-checked swap; a pulled cable changes nothing.
# SPDX-License-Identifier: MIT
import json
import shutil

import pytest

from tests.kit.paths import ROOT
from tests.kit.technician import Device, cli, write_bundle

ROOMY = 128  # littlefs blocks: room to stage a few modules (the 64-block vfs has none)


@pytest.fixture
def device(tmp_path):
    """The device double with a ``vfs`` that takes a small deploy; the double holds its blocks
    as littlefs does (tools/sim/device/runtime.Budget), so a deploy that does not fit fails."""
    dev = Device(tmp_path, cards=["classic1k:04A1B2C3"], fs_blocks=ROOMY)
    yield dev
    dev.unplug()


def release_tree(tmp_path, marker, touch=None):
    """A firmware tree like this checkout's, with main.py changed, a module added, and every
    module under ``touch`` changed (a line more at the top: new line numbers in the .mpy)."""
    tree = tmp_path / f"release-{marker}"
    for name in ("boot.py", "main.py", "lib", "firmware"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            tree.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, tree / name)
    (tree / "main.py").write_text(f"# main.py of release {marker}\n")
    for path in sorted((tree / touch).rglob("*.py")) if touch else ():
        path.write_text(f"# release {marker}\n" + path.read_text())
    (tree / "lib" / "release_note.py").write_text(
        f"# note\n# SPDX-License-Identifier: MIT\nR = {marker!r}\n"
    )
    return tree


def code(files):
    return {p: d for p, d in files.items() if not p.startswith(("/.stage", "/.prev", "/data"))}


@pytest.fixture
def provisioned(device, tmp_path):
    port = device.plug()
    r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
    assert r.exit_code == 0, r.output
    return port


def test_deploy_swaps_in_new_firmware_and_keeps_identity_and_previous(
    device, provisioned, tmp_path
):
    before = device.files()
    r = cli(provisioned, "deploy", "--tree", str(release_tree(tmp_path, "B")))
    assert r.exit_code == 0, r.output
    after = device.files()
    assert after["/main.py"] == b"# main.py of release B\n"
    assert "/lib/release_note.mpy" in after
    for kept in ("/config.json", "/secrets.json"):
        assert after[kept] == before[kept]
    assert after["/.prev/main.py"] == before["/main.py"]  # previous version kept for rollback
    assert (
        json.loads(after["/version.json"])["version"]
        != json.loads(before["/version.json"])["version"]
    )
    assert not any(p.startswith("/.stage") for p in after) and "/.swap" not in after
    r = cli(provisioned, "deploy", "--rollback")
    assert r.exit_code == 0, r.output
    back = device.files()
    assert code(back) == code(before)
    assert back["/.prev/main.py"] == b"# main.py of release B\n"
    r = cli(provisioned, "deploy", "--rollback")  # again: nothing changes (idempotent)
    assert r.exit_code == 0, r.output
    assert "already rolled back" in r.output
    assert device.files() == back
    r = cli(provisioned, "deploy", "--tree", str(tmp_path / "release-B"))  # forward again
    assert r.exit_code == 0, r.output
    assert device.files()["/main.py"] == b"# main.py of release B\n"
    assert "/.prev/.rolledback" not in device.files()


def test_deploy_cut_halfway_leaves_old_firmware_then_completes(tmp_path):
    device = Device(tmp_path, fs_blocks=256)
    try:
        port = device.plug()
        assert (
            cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json"))).exit_code
            == 0
        )
        before = device.files()
        tree = release_tree(tmp_path, "C", touch="lib")
        device.unplug()

        def pull_cable_halfway(double):
            stage = double.root / ".stage"
            if stage.is_dir() and sum(1 for p in stage.rglob("*") if p.is_file()) >= 8:
                double.unplug()

        port = device.plug(after_exec=pull_cable_halfway)
        r = cli(port, "deploy", "--tree", str(tree))
        assert r.exit_code == 1
        assert r.stderr.startswith(
            "hadir: koneksi ke perangkat terputus (connection to the device lost)"
        )
        device.unplug()
        cut = device.files()
        assert code(cut) == code(before)  # the old firmware is intact, byte for byte
        staged = [p for p in cut if p.startswith("/.stage/")]
        sending = sum(1 for p in (tree / "lib").rglob("*.py") if p.name != "compat_host.py")
        assert 8 <= len(staged) < sending  # it really was cut halfway
        port = device.plug()
        r = cli(port, "deploy", "--tree", str(tree))
        assert r.exit_code == 0, r.output
        files = device.files()
        assert files["/main.py"] == b"# main.py of release C\n"
        assert files["/lib/pn532/chip.mpy"] != before["/lib/pn532/chip.mpy"]
    finally:
        device.unplug()


def test_deploy_dry_run_writes_nothing(device, provisioned, tmp_path):
    before = device.files()
    r = cli(provisioned, "deploy", "--dry-run", "--tree", str(release_tree(tmp_path, "D")))
    assert r.exit_code == 0, r.output
    assert "dry-run" in r.output
    assert device.files() == before


def test_a_swap_cut_midway_is_finished_by_the_next_deploy(device, provisioned, tmp_path):
    before = device.files()
    device.unplug()
    # The state a power cut inside swap() leaves: main.py already swapped, boot.py not yet.
    root = device.root
    (root / ".stage").mkdir()
    (root / ".stage" / "boot.py").write_text("# boot.py of release F\n")
    shutil.rmtree(root / ".prev", ignore_errors=True)  # a provisioned terminal has none
    (root / ".prev").mkdir()
    (root / "main.py").rename(root / ".prev" / "main.py")
    (root / "main.py").write_text("# main.py of release F\n")
    job = {"src": "/.stage", "keep": "/.prev", "names": ["boot.py", "main.py"], "removed": []}
    (root / ".swap").write_text(json.dumps(job))
    port = device.plug()
    r = cli(port, "deploy")  # this checkout's firmware again
    assert r.exit_code == 0, r.output
    assert "resuming" in r.output
    files = device.files()
    assert code(files) == code(before)  # the cut swap was finished, then this release installed
    assert "/.swap" not in files and not any(p.startswith("/.stage") for p in files)


def test_a_full_update_that_does_not_fit_is_refused_and_changes_nothing(device, provisioned):
    before = device.files()
    r = cli(provisioned, "deploy", "--source")  # every file changes: two firmwares > 256 KiB
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: ruang penyimpanan tidak cukup (not enough space")
    assert code(device.files()) == code(before)


def test_a_deploy_that_does_not_fit_is_refused_in_blocks_before_anything_is_written(tmp_path):
    """80 blocks: provision fits in place, a staged deploy of every library module does not,
    even without /.prev; the refusal comes before the first write, so /.prev (kept for a
    rollback) stays too."""
    small = Device(tmp_path, cards=["classic1k:04A1B2C3"], fs_blocks=80)
    try:
        port = small.plug()
        r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
        assert r.exit_code == 0, r.output
        small.unplug()
        (small.root / ".prev").mkdir()
        (small.root / ".prev" / "main.py").write_bytes(b"# the version before\n" * 10)
        before = small.files()
        port = small.plug()
        r = cli(port, "deploy", "--tree", str(release_tree(tmp_path, "C", touch="lib")))
        assert r.exit_code == 1
        assert small.files() == before  # nothing written, nothing dropped
        (line,) = r.stderr.strip().splitlines()
        assert line.startswith("hadir: ruang penyimpanan tidak cukup (not enough space")
        assert "blok, kosong" in line and "blocks of 4096 B" in line, line
    finally:
        small.unplug()


def test_deploy_refuses_a_device_without_identity(device):
    port = device.plug()
    r = cli(port, "deploy")
    assert r.exit_code == 1
    assert "terminal not provisioned" in r.stderr


@pytest.mark.parametrize(
    "scale, feed_every, survives", [(0.05, "0.05", True), (0.005, "100", False)]
)
def test_the_terminals_watchdog_is_fed_during_a_long_deploy(tmp_path, scale, feed_every, survives):
    """The terminal's boot.py starts a 60 s watchdog at every soft reset (scaled down here)."""
    dev = Device(tmp_path, wdt_scale=scale, fs_blocks=256)  # room for two whole firmwares
    try:
        port = dev.plug()
        assert (
            cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json"))).exit_code
            == 0
        )
        before = code(dev.files())
        # --source: every file changes (.py, not .mpy): the whole firmware crosses the cable
        r = cli(port, "--feed-every", feed_every, "--timeout", "1", "deploy", "--source")
        double = dev.double
        dev.unplug()  # joins the double's thread: a reset it was doing is finished
        assert double.watchdog.timeout_ms is not None  # boot.py started it (again)
        if survives:
            assert r.exit_code == 0, r.output + r.stderr
            assert double.wdt_resets == 0 and "/lib/pn532/chip.py" in dev.files()
        else:
            assert r.exit_code == 1 and double.wdt_resets >= 1
            assert code(dev.files()) == before  # reset mid-transfer: old firmware intact
    finally:
        dev.unplug()
