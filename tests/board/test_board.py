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
from tests.kit.technician import cli
from tools import parttable

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
        # Exit 2 exactly when a row says PERIKSA. Two rows may: the clock (the emulated board
        # has no Wi-Fi, RTC or NTP, so its time is unknown) and the file system (the 256 KiB vfs
        # has no room left for an update: docs/benchmarks.md, "Room on the file system"). Any
        # other row failing fails the suite.
        checks = [line for line in r.output.splitlines() if "PERIKSA" in line]
        assert r.exit_code == (2 if checks else 0), r.output + r.stderr
        expected = ("jam / clock", "berkas / files")
        assert all(any(row in line for row in expected) for line in checks), r.output
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
