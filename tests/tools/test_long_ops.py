# long device operations: erases at flash speed, mpremote's silence timeout, the watchdog, resume.
# SPDX-License-Identifier: MIT
"""The double erases at a set speed (``Config(erase_ms=…)``, as a W25Q32 takes 45-400 ms per
4 KB sector) while the tools keep mpremote's own rule: a device silent for longer than the
transport's timeout is dead (``--timeout`` sets ours; mpremote's default is 10 s)."""

import json

from firmware.log import Log
from tests.kit.technician import Device, cli, run_terminal, write_bundle
from tools.sim.flash import NorFlash


def _provisioned(tmp_path, **config):
    dev = Device(tmp_path, **config)
    port = dev.plug()
    r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "a.json")))
    assert r.exit_code == 0, r.output + r.stderr
    run_terminal(dev, taps=30)
    return dev, port


def test_a_wipe_longer_than_the_silence_timeout_streams_progress_and_completes(tmp_path):
    # 448 erases of 8 ms = 3.6 s of erasing; the link calls 1 s of silence dead (--timeout 0.5).
    dev, port = _provisioned(tmp_path, erase_ms=8)
    try:
        other = write_bundle(tmp_path / "b.json", terminal_id=8)
        r = cli(port, "--timeout", "0.5", "provision", "--bundle", str(other), "--force")
        assert r.exit_code == 0, r.output + r.stderr
        assert "448/448" in r.output  # the technician saw the erase progress to its end
    finally:
        dev.unplug()
    raw = dev.flash.read_bytes()
    assert set(raw[2 * 4096 :]) == {0xFF}


def test_a_wipe_cut_halfway_is_finished_by_the_next_and_no_new_identity_adopts_old_sectors(
    tmp_path,
):
    dev, port = _provisioned(tmp_path)
    flash = dev.double.flash
    real = flash.ioctl
    erased = []

    def ioctl(op, arg):  # the retry's Ctrl-C arrives while block 200 is being erased
        if op == 6:
            erased.append(arg)
            if len(erased) == 200:
                raise KeyboardInterrupt
        return real(op, arg)

    flash.ioctl = ioctl
    err = dev.double.runtime.execute(_snippet_call("wipe", "main()"))
    flash.ioctl = real
    assert "KeyboardInterrupt" in err
    files = dev.files()
    assert "/.wipe" in files and "/config.json" not in files
    # No identity file is left, yet the device is not blank: a plain provision is refused...
    other = write_bundle(tmp_path / "b.json", terminal_id=8)
    r = cli(port, "provision", "--bundle", str(other))
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: perangkat sudah punya identitas terminal")
    # ... and the log refuses a key while the wipe is unfinished.
    out = dev.double.runtime.execute(_snippet_call("logkey", "install(8, '33' * 32)", "R"))
    assert out == "" and dev.double.runtime.globals["R"]["ok"] is False
    r = cli(port, "provision", "--bundle", str(other), "--force")
    assert r.exit_code == 0, r.output + r.stderr
    dev.unplug()
    assert "/.wipe" not in dev.files()
    log = Log(NorFlash(image=bytearray(dev.flash.read_bytes())), str(tmp_path / "st"), 8)
    assert log.has_key() and log.next_seq == 0  # nothing of terminal 7's log was adopted
    assert json.loads(dev.files()["/config.json"])["terminal_id"] == 8


def _snippet_call(name, call, into="_"):
    """Code running ``call`` of the device snippet ``name`` (as ``State.call`` defines it)."""
    from tools.link import snippet_code

    func, args = call.split("(", 1)
    return f"_n = {{}}\nexec({snippet_code(name)!r}, _n)\n{into} = _n[{func!r}]({args}"


def test_pull_feeds_the_watchdog_through_a_long_backlog(tmp_path):
    """A backlog that takes longer to send than the watchdog's timeout: pull feeds it on every
    line, so the terminal is not reset mid-copy: 3,000 slots take about 5 s at 115200 baud,
    the double's watchdog is scaled from 60 s to 2 s."""
    dev, port = _provisioned(tmp_path, wdt_scale=1 / 30)
    run_terminal(dev, taps=3000)
    dev.config.baud = 115200
    try:
        r = cli(port, "pull", "--out", str(tmp_path / "t7.hadir"))
        assert r.exit_code == 0, r.output + r.stderr
        assert dev.double.wdt_resets == 0
    finally:
        dev.unplug()
    doc = json.loads((tmp_path / "t7.hadir").read_text())
    assert sum(len(b) // 2 for b in doc["batches"]) > 3000 * 9
