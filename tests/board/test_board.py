# board suite: hadir on the official MicroPython firmware on the emulated ESP32 (QEMU).
# SPDX-License-Identifier: MIT
"""Run by ``make board-test`` (docs/hardware.md, "The board suite"). One terminal image is built
on the host with ``tools flash``'s own code path and booted once; its application taps cards from
the PN532 simulator on UART2; a technician runs ``doctor`` and ``pull`` over mpremote's socket
transport and uploads to a local collector; the heap scenario runs on the firmware's GC; other
boards, running meanwhile, are cut by ``kill -9`` at random moments while their log appends and
maintains."""

import json
import os
import re
import threading
import time
from collections import Counter
from types import SimpleNamespace

import pytest

from firmware import wire
from tests.kit.boardrun import App, Site, cut_lane
from tests.kit.esp32 import firmware
from tests.kit.logcheck import Collector as Checker
from tests.kit.qemu import Board, Reader, older_flash, preload
from tests.kit.technician import cli
from tools import logs, parttable

CARDS = 1000  # residents with a card in the allow-list
# HADIR_BOARD_SIZE=ci (make test): the same scenarios, fewer live taps, the 20 power cuts on two
# boards (one per core of a CI machine) with shorter runs between cuts and a shorter ring
# (tests/kit/boardrun.py, LANE); full (make board-test).
_CI = os.environ.get("HADIR_BOARD_SIZE", "full") == "ci"
PREFILL = int(os.environ.get("HADIR_BOARD_PREFILL", "2000"))  # taps already in the log
LIVE = int(os.environ.get("HADIR_BOARD_TAPS", "6" if _CI else "12"))  # on the running terminal
LANES = int(os.environ.get("HADIR_BOARD_LANES", "2" if _CI else "4"))
CUTS = int(os.environ.get("HADIR_BOARD_CUTS", "10" if _CI else "5"))  # per lane: 20 in all
RUN_S = (1.0, 6.0) if _CI else (2.0, 12.0)  # a lane runs this long (uniform) before its cut
LANE_BLOCKS = 64 if _CI else 0  # the lanes' log on the first 64 blocks of hlog (0: all of it)
FIGURES = os.environ.get("HADIR_BOARD_FIGURES")  # bench/board.py reads them from this file


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Site(tmp_path_factory.mktemp("board"), CARDS, PREFILL)
    yield s
    s.close()


@pytest.fixture(scope="module")
def app(site):
    a = App(site)
    yield a
    a.close()


@pytest.fixture(scope="module")
def power_cuts(site):
    """The power-cut boards run beside the terminal's scenario (they share only the site's
    image): started by the first test, joined by the last."""
    results: list = [None] * LANES

    def lane(i):
        try:
            results[i] = cut_lane(site, f"lane{i}", CUTS, i, RUN_S, LANE_BLOCKS)
        except Exception as exc:  # the test reports it
            results[i] = exc

    threads = [threading.Thread(target=lane, args=(i,), daemon=True) for i in range(LANES)]
    for t in threads:
        t.start()
    yield results, threads
    for t in threads:
        t.join()


@pytest.fixture(scope="module")
def figures():
    found = {}
    yield found
    if FIGURES:
        with open(FIGURES, "w") as f:
            json.dump(found, f)


def test_the_official_firmware_boots_with_hadirs_table(power_cuts, app, figures):
    text = app.board.text.decode(errors="replace")
    m = re.search(r"MicroPython (v[\d.]+ on [\d-]+)", text)
    assert m, text[-500:]
    figures["firmware"] = m.group(1)
    figures["boot_s"] = round(app.boot_s, 1)
    found = app.board.exec(
        "import esp32\nfor p in esp32.Partition.find(1): print(p.info()[4], p.info()[2], "
        "p.info()[3])"
    )
    seen = {(a, int(b), int(c)) for a, b, c in (ln.split() for ln in found.splitlines())}
    want = {(p.label, p.offset, p.size) for p in parttable.hadir() if p.type == 1}
    assert seen == want


def test_the_offline_terminal_answers_every_tap(app, figures):
    t0 = time.monotonic()
    app.start()
    assert app.running(), app.board.drain()[-500:]
    figures["app_start_s"] = round(time.monotonic() - t0, 1)  # boot.py + main.py to the 1st poll
    for i in range(LIVE):
        assert app.tap(i), f"tap {i} not answered"
    figures["taps"] = PREFILL + LIVE
    figures["live_taps"] = LIVE


def test_doctor_pull_and_upload_store_every_tap_exactly_once(app, site, figures, tmp_path):
    url = app.board.url
    app.board.release()
    # --timeout 300: the emulated flash makes the log's recovery over 10,000 slots go silent for
    # minutes (40 ms a flash operation; on a chip it is under a second).
    try:
        r = cli(None, "--port", url, "--resume", "--timeout", "300", "doctor")
        # Exit 2 exactly when a row says PERIKSA. Only the clock may (the emulated board has
        # no Wi-Fi, RTC or NTP, so its time is unknown); the files row reads the 512 KiB vfs
        # right (used below the size, room for an update). Any other row failing fails.
        checks = [line for line in r.output.splitlines() if "PERIKSA" in line]
        assert r.exit_code == (2 if checks else 0), r.output + r.stderr
        assert all("jam / clock" in line for line in checks), r.output
        files = re.search(r"(\d+) / (\d+) KiB terpakai", r.output)
        assert files and int(files.group(1)) < int(files.group(2)) == 512, r.output
        assert "hadir (tools/partitions.csv)" in r.output
        out = tmp_path / "t.hadir"
        r = cli(None, "--port", url, "--resume", "--timeout", "300", "pull", "--out", str(out))
        assert r.exit_code == 0, r.output + r.stderr
    finally:
        app.board.listen()
    r = cli(None, "upload", str(out), "--collector", site.collector.url)
    assert r.exit_code == 0, r.output + r.stderr
    taps = Counter(int(x["payload"]) for x in site.records() if x["kind"] == wire.TAP)
    want = Counter(int.from_bytes(t, "big") for t in site.prefill + app.taps)
    figures["duplicates"] = (taps - want).total()  # stored more often than tapped
    figures["lost_uploaded"] = (want - taps).total()  # tapped, acknowledged, not stored
    assert taps == want  # each tap once: none lost, none twice


MOVED = 500  # taps in the log of the terminal moved from the older table (two ring sectors)


def test_a_terminal_moved_from_the_older_table_boots_and_pulls_every_tap(site, tmp_path):
    """tools flash moves an image of the earlier layout (hlog 0x200000, 64-block vfs); the
    official firmware mounts the new 128-block vfs, opens the log at its new offset, and
    ``pull`` over the REPL brings every tap, verified as the collector verifies."""
    taps = site.prefill[:MOVED]
    image_file, files = older_flash(tmp_path, site.bundle, site.allow, taps)
    r = cli(None, "flash", "--firmware", str(firmware()), "--image-out", str(image_file),
            "--backup", str(tmp_path / "backup"))  # fmt: skip
    assert r.exit_code == 0 and "moved and verified" in r.output, r.output + r.stderr
    reader = Reader()
    board = Board(image_file, reader.path, tmp_path / "moved.qemu.log")
    try:
        board.stop_boot()
        board.exec(preload(["firmware.log"]), timeout=600)  # what pull imports, read fast
        out = board.exec(
            "import os, json\nst = os.statvfs('/')\n"
            "print('FS', st[0], st[2], json.load(open('/config.json'))['terminal_id'])"
        )
        assert f"FS 4096 128 {site.bundle['terminal_id']}" in out, out
        board.release()
        pulled = tmp_path / "moved.hadir"
        r = cli(None, "--port", board.url, "--resume", "--timeout", "300", "pull", "--out",
                str(pulled))  # fmt: skip
        assert r.exit_code == 0, r.output + r.stderr
    finally:
        board.cut()
        reader.close()
    checker = Checker(site.bundle["terminal_id"], bytes.fromhex(site.bundle["k0"]))
    for body in logs.load_pull(pulled)["bodies"]:
        checker.receive(body)
    assert checker.bad_blocks == []
    got = [slot[1:5] for _, slot in checker.records() if wire.slot_kind(slot, 0) == wire.TAP]
    assert got == taps  # every tap, in order, none twice


def test_heap_on_the_firmwares_gc(app, figures):
    h = app.heap()
    figures["heap_peak_bytes"] = h["peak"]
    figures["heap_free_min_bytes"] = h["free_min"]
    figures["heap"] = h
    assert h["backlog"] >= PREFILL and h["pull_batches"] >= 1 and h["sync_batches"] >= 1
    assert h["free_min"] > 0


def test_power_cuts_lose_no_acknowledged_tap(power_cuts, figures):
    results, threads = power_cuts
    for t in threads:
        t.join()
    failed = [r for r in results if not isinstance(r, SimpleNamespace)]
    assert not failed, f"a lane failed (see its qemu log): {failed}"
    figures["power_cuts"] = sum(r.cuts for r in results)
    figures["acknowledged"] = sum(r.acked for r in results)
    figures["lost_acknowledged"] = sum(r.lost for r in results)
    assert figures["power_cuts"] >= 20 or CUTS * LANES < 20
    assert figures["lost_acknowledged"] == 0
    for r in results:  # each reboot resumed at or past every slot acknowledged before
        assert r.resumed == sorted(r.resumed)
