# Network code updates end to end on the terminal: offer, resumable download, refusal, swap,
# confirmation after the restart, rollback by itself; taps go on during the download.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 320k: the terminal, two test release keys (Merkle trees) and a rig per test
import os

from firmware import ota, uplink, wire
from firmware import taps as ftaps
from tests.kit import lfsvol
from tests.kit.mpytest import skip
from tests.kit.paperrelease import ReleaseCollector, ReleaseKey, signed_release
from tests.kit.termkit import K0, TID, Rig, tmpdir
from tools.sim.flash import NorFlash

KEY = ReleaseKey(bytes(range(32)))
OLD = {"firmware/app.py": b"# old app\n" * 40, "firmware/gone.py": b"# dropped by the release\n",
       "lib/x.py": b"# old x\n", "version.json": b'{"version": "old000000000"}'}  # fmt: skip
NEW = [("firmware/app.py", b"# new app\n" * 140), ("lib/x.py", b"# new x\n" * 100),
       ("firmware/added.py", b"# new module\n"),
       ("version.json", b'{"version": "new111111111"}')]  # fmt: skip
PATHS = ("firmware/app.py", "firmware/gone.py", "lib/x.py", "firmware/added.py", "version.json")
ENROLLED = "classic1k:04A1B2C3"
CHUNK = 1024  # small chunks keep the test's release small: 3 chunks of 2.2 KB


def _write(path, data):
    ota.ota_swap.makedirs([path.rsplit("/", 1)[0]])
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def rig(release=5, files=NEW, key=KEY, pub=None, root=None):
    net = ReleaseCollector(TID, K0)
    flash = NorFlash(blocks=32, path=tmpdir() + "/hlog.bin") if root else None  # not in root
    r = Rig(http=net, root=root, flash=flash)
    for path, data in OLD.items():
        _write(r.root + "/" + path, data)
    with open(r.root + "/release.pub", "wb") as f:
        f.write(pub or KEY.public)
    manifest, blob = signed_release(key, release, "new111111111", files, CHUNK)
    net.publish(release, manifest, blob, CHUNK)
    r.restart()  # the Ota reads release.pub at start
    return r, net


def sync(r):
    async def go():
        res = await r.terminal.sync_step()
        if res == uplink.CONNECTING:
            res = await r.terminal.sync_step()
        return res

    return go()


def live(r):
    return {p: _read(r.root + "/" + p) for p in PATHS}


def old_code_running(r):
    got = live(r)
    return all(got[p] == d for p, d in OLD.items()) and got["firmware/added.py"] is None


def new_code_running(r):
    got = live(r)
    return all(got[p] == d for p, d in NEW) and got["firmware/gone.py"] is None


def reboot(r):
    """What a reset does: boot.py's guard, then the application on the same flash and files."""
    rolled = ota.boot_guard(r.root)
    r.restart()
    return rolled


async def test_a_release_in_the_reply_is_fetched_checked_swapped_and_confirmed_after_restart():
    r, net = rig()
    assert await sync(r) == uplink.OK
    assert r.terminal.ota.restart  # swapped: the application restarts
    assert net.chunk_gets == [0, 1, 2] and net.manifest_gets == 1
    assert new_code_running(r)
    assert _read(r.root + "/.prev/firmware/app.py") == OLD["firmware/app.py"]
    assert not _exists(r.root + "/.stage") and not _exists(r.root + "/.ota/blob")
    assert reboot(r) is False
    assert (
        await sync(r) == uplink.OK
    )  # reader answers, log open, the collector answered: confirmed
    assert r.terminal.ota.installed == 5 and r.terminal.ota.trial is None
    assert net.release_reports == [(5, wire.OTA_INSTALLED)]
    assert await sync(r) == uplink.OK and net.chunk_gets == [0, 1, 2]  # not fetched again
    assert new_code_running(r)


async def test_a_download_cut_at_every_chunk_boundary_resumes_where_it_stopped():
    for cut in range(4):
        r, net = rig()
        net.cut_at = cut
        first = await sync(r)
        if cut < 3:
            assert first == uplink.FAILED and old_code_running(r)
            assert not r.terminal.ota.restart
            assert await sync(r) == uplink.OK
        assert net.chunk_gets == [0, 1, 2], (cut, net.chunk_gets)  # no chunk twice
        assert new_code_running(r)


async def test_only_the_chunks_of_changed_files_are_fetched_and_only_they_are_staged():
    r, net = rig()
    for path, data in NEW[:3]:  # the terminal runs these already: only version.json differs
        _write(r.root + "/" + path, data)
    ota.ota_swap.rmtree(r.root + "/firmware/gone.py")
    assert await sync(r) == uplink.OK and r.terminal.ota.restart
    assert net.chunk_gets == [2]  # version.json lies in the last chunk
    assert sorted(ota.ota_swap.kept(r.root + "/.prev")[0]) == ["version.json"]
    assert new_code_running(r)


async def test_a_power_cut_mid_download_resumes_from_the_chunks_already_written():
    r, net = rig()
    net.cut_at = 2
    assert await sync(r) == uplink.FAILED
    r.restart()  # power cut: the count in /.ota/state.json survives
    assert await sync(r) == uplink.OK
    assert net.chunk_gets == [0, 1, 2] and net.manifest_gets == 1
    assert new_code_running(r)


async def test_one_flipped_byte_is_refused_with_nothing_staged_and_the_old_code_running():
    r, net = rig()
    blob = bytearray(net.blob)
    blob[1500] ^= 0x01
    net.blob = bytes(blob)
    assert await sync(r) == uplink.OK
    assert old_code_running(r) and not r.terminal.ota.restart
    assert not _exists(r.root + "/.stage") and not _exists(r.root + "/.ota/blob")
    assert net.release_reports == [] and r.terminal.ota.refused == [5]
    got = len(net.chunk_gets)
    assert await sync(r) == uplink.OK  # the refusal is reported, the release not fetched again
    assert net.release_reports == [(5, wire.OTA_REFUSED)] and len(net.chunk_gets) == got


async def test_a_flipped_byte_in_the_manifest_or_a_wrong_signature_is_refused_before_any_chunk():
    other = ReleaseKey(bytes(32), b"another key 16 B")
    r, net = rig(key=other)
    assert await sync(r) == uplink.OK
    assert net.chunk_gets == [] and old_code_running(r) and r.terminal.ota.refused == [5]
    r, net = rig()
    m = bytearray(net.manifest)
    m[40] ^= 0x80  # inside the file list, covered by the signature
    net.manifest = bytes(m)
    assert await sync(r) == uplink.OK
    assert net.chunk_gets == [] and old_code_running(r) and not _exists(r.root + "/.stage")


async def test_an_old_release_is_never_installed_again():
    r, net = rig()
    await sync(r)
    reboot(r)
    await sync(r)
    manifest, blob = signed_release(KEY, 4, "old", NEW, CHUNK)  # validly signed, older than 5
    net.publish(4, manifest, blob, CHUNK)
    gets = len(net.chunk_gets)
    assert await sync(r) == uplink.OK and len(net.chunk_gets) == gets and net.manifest_gets == 1


async def test_new_code_that_fails_its_health_check_is_rolled_back_by_itself():
    r, net = rig()
    await sync(r)
    reboot(r)
    r.terminal.taps.health.faulty = True  # the new code does not get an answer from the reader
    assert await sync(r) == uplink.OK and r.terminal.ota.trial is not None  # not confirmed
    r.hw.clock.advance(601 * 1000)
    await sync(r)  # past the trial period: the old code goes back
    assert r.terminal.ota.restart and old_code_running(r)
    reboot(r)
    assert await sync(r) == uplink.OK
    assert (5, wire.OTA_ROLLED_BACK) in net.release_reports and r.terminal.ota.refused == [5]
    assert len(net.chunk_gets) == 3  # refused: never fetched again
    assert old_code_running(r)


async def test_new_code_that_never_gets_to_confirm_is_rolled_back_after_three_boots():
    r, net = rig()
    await sync(r)
    for _ in range(3):  # crashes, or the watchdog, before a round confirms it
        assert ota.boot_guard(r.root) is False
    assert ota.boot_guard(r.root) is True and old_code_running(r)
    r.restart()
    await sync(r)
    assert net.release_reports == [(5, wire.OTA_ROLLED_BACK)]


async def test_a_power_cut_mid_swap_is_finished_at_the_next_boot():
    """Cut right after the journal was written, before its first rename (tests/tools/
    test_fsops.py cuts the same journal after each of its renames)."""
    r, net = rig()
    swap = ota.ota_swap
    real = swap.resume
    swap.resume = lambda root="": None  # the power goes: the journal is on flash, nothing moved
    try:
        assert await sync(r) == uplink.OK
    finally:
        swap.resume = real
    assert _exists(r.root + "/.swap") and old_code_running(r)
    reboot(r)  # the journal is finished before the application starts
    assert new_code_running(r) and not _exists(r.root + "/.swap")
    assert await sync(r) == uplink.OK and net.release_reports == [(5, wire.OTA_INSTALLED)]


async def test_taps_during_the_download_are_stored_and_answered_at_once():
    r, net = rig()
    results = []
    counted = []

    def tap_now(n):
        results.append(r.tap(ENROLLED))
        counted.append(r.terminal.log.backlog)

    net.on_chunk = tap_now
    r.hw.clock.advance(60000)
    assert await sync(r) == uplink.OK
    assert len(results) == 3
    assert all(x in (ftaps.TAPPED, ftaps.DENIED, ftaps.REPEAT) for x in results), results
    r.terminal.ota.restart = False
    reboot(r)
    await sync(r)
    taps = [x for x in net.records if x[1] in (wire.TAP, wire.DENIED)]
    assert len(taps) >= 1  # debounce: one card three times within 30 s counts once
    assert counted[0] >= 1


class _Room:
    """``firmware.ota.room`` for a while: the free blocks a small littlefs ``vfs`` reports
    (MicroPython's extmod/vfs_lfsx.c statvfs: f_bsize 4096, f_bavail = blocks not in use)."""

    def __init__(self, free):
        self.free = free
        self.real = ota.room

    def __enter__(self):
        ota.room = lambda root: (4096, self.free)
        return self

    def __exit__(self, *exc):
        ota.room = self.real


async def test_a_release_that_does_not_fit_fetches_nothing_reports_no_room_and_taps_go_on():
    r, net = rig()
    with _Room(12):
        assert await sync(r) == uplink.OK
        assert net.manifest_gets == 1 and net.chunk_gets == []  # weighed before any chunk
        assert old_code_running(r) and not r.terminal.ota.restart
        for path in ("/.ota/blob", "/.ota/manifest", "/.ota/state.json", "/.stage"):
            assert not _exists(r.root + path), path
        before = r.terminal.log.backlog
        r.hw.clock.advance(60000)
        r.tap(ENROLLED)
        assert r.terminal.log.backlog == before + 1  # taps go on
        assert await sync(r) == uplink.OK
        assert net.release_reports == [(5, wire.OTA_NO_ROOM)]
        ((_, need, free),) = net.room_reports
        assert free == 12 and need > free
        assert await sync(r) == uplink.OK  # the same release, no more room: not tried again
        assert net.manifest_gets == 1 and net.chunk_gets == []
        assert any(x[1] in (wire.TAP, wire.DENIED) for x in net.records)
        r.restart()  # the memory of "no room" survives a restart
        assert await sync(r) == uplink.OK and net.manifest_gets == 1
        assert r.terminal.ota.noroom == [5, 12]
    with _Room(need):  # room was made: the same release is tried again and installed
        assert await sync(r) == uplink.OK
    assert net.chunk_gets == [0, 1, 2] and new_code_running(r)


class _Full:
    """Files the download opens, whose ``n``-th write (counted over all of them) raises
    OSError(ENOSPC) as littlefs's LFS_ERR_NOSPC does through MicroPython's
    extmod/vfs_lfsx_file.c (``*errcode = -sz``); ``n`` < 0 only counts the writes."""

    def __init__(self, n):
        self.n = n
        self.writes = 0

    def open(self, path, mode="r"):
        return _FullFile(self, open(path, mode))


class _FullFile:
    def __init__(self, fs, f):
        self.fs = fs
        self.f = f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, data):
        self.fs.writes += 1
        if self.fs.writes - 1 == self.fs.n:
            raise OSError(28)
        return self.f.write(data)

    def seek(self, at):
        return self.f.seek(at)

    def readinto(self, buf):
        return self.f.readinto(buf)


def _with_full(fs):
    """``firmware/ota_fetch.py`` opens its files through ``fs`` for the next round."""
    from firmware import ota_fetch

    ota_fetch.open = fs.open  # round() imports it again only when it is not loaded


async def test_enospc_at_every_write_of_a_download_or_stage_leaves_the_old_code_and_no_stage():
    r, net = rig()
    count = _Full(-1)
    _with_full(count)
    assert await sync(r) == uplink.OK and new_code_running(r)
    assert count.writes >= 4  # manifest, chunks, staged files
    for n in range(count.writes):
        r, net = rig()
        _with_full(_Full(n))
        assert await sync(r) == uplink.OK, n
        assert old_code_running(r) and not r.terminal.ota.restart, n
        for path in ("/.ota/blob", "/.ota/manifest", "/.ota/state.json", "/.stage"):
            assert not _exists(r.root + path), (n, path)
        await sync(r)
        assert net.release_reports[0] == (5, wire.OTA_NO_ROOM), n
        assert net.room_reports[0][0] == 5 and net.room_reports[0][1] > 0, n


async def test_on_a_real_littlefs_no_room_is_seen_by_statvfs_and_room_made_lets_it_install():
    """MicroPython's own VfsLfs2 (tests/kit/lfsvol.py): the terminal's files on 24 blocks leave
    too few for the release; 48 blocks take it. No seam: statvfs and littlefs decide."""
    small = lfsvol.mount(24)
    if small is None:
        skip("no VfsLfs2 here: the real littlefs runs on the unix port")
        return
    try:
        r, net = rig(root=small)
        assert await sync(r) == uplink.OK and await sync(r) == uplink.OK
        assert net.chunk_gets == [] and old_code_running(r) and not _exists(small + "/.stage")
        ((_, need, free),) = net.room_reports
        assert 0 < free < need, (need, free)
        assert ota.room(small)[1] < need  # statvfs, less its double count, says so still
    finally:
        lfsvol.umount(small)
    roomy = lfsvol.mount(48)
    try:
        r, net = rig(root=roomy)
        assert await sync(r) == uplink.OK and r.terminal.ota.restart
        assert net.chunk_gets == [0, 1, 2] and new_code_running(r) and net.room_reports == []
    finally:
        lfsvol.umount(roomy)
