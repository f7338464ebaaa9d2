# ota: code updates over the network: fetch, verify, stage, swap; confirm or roll back by itself.
# SPDX-License-Identifier: MIT
"""``Ota(terminal)``; the uplink calls ``await round(post, status, offered)`` after each
exchange the collector answered, with the release its reply offered (docs/protocol.md,
"Releases"); the application calls ``tick()`` after every sync round and ``boot_guard(root)``
runs before the application is built.

1. A release newer than the installed one (ids only grow: an old signed release cannot be
   replayed), not refused before, with ``/release.pub`` present: its manifest is fetched and its
   LMS signature checked against that key (``lib/lms.py``, one hash chain per step, yielding);
   refused -> reported, never fetched again, nothing written but the report.
2. Only the files whose SHA-256 differs from the live copy are fetched (two whole firmwares do
   not fit the terminal's file system, docs/tools.md "deploy"): the chunks (``wire.RELEASE_CHUNK``)
   holding them, one per request, into ``/.ota/blob``, each checked against its SHA-256 in the
   signed manifest, written in slices with a yield between, and counted in
   ``/.ota/state.json`` only once written: a cut link or a power cut resumes at the first chunk
   not counted. A chunk that does not match refuses the release (TLS carried it as the
   collector holds it: fetching it again cannot help).
   Steps 1-3 run in ``firmware/ota_fetch.py``, imported for a download only.
3. Complete: each changed file is copied to ``/.stage`` and its SHA-256 checked;
   ``/.ota/trial.json`` is written, then ``firmware.ota_swap.swap`` -- the journal ``tools
   deploy`` uses -- moves them in, the old ones (and files the release no longer has) to
   ``/.prev``, and the terminal restarts (``restart``).
   Before any chunk is fetched, the blocks the download, the stage and the swap need
   (``ota_fetch.blocks_needed``: each file rounded up to whole blocks, 2 per directory, plus
   ``blocks.RESERVE`` for ``/data``) are weighed against ``os.statvfs`` (``room``). Too
   few: nothing is fetched or written, ``no_room`` is reported with the blocks needed and
   free, and the same release is tried again only when more blocks are free than then
   (``noroom``) or another release is offered. ENOSPC while fetching or staging ends the
   same way, the partial download and stage removed, the old code running.
4. The new code is on trial: ``boot_guard`` counts its boots; the first round after which the
   reader answers, the log is open and the collector answered confirms it (``installed``,
   reported). Not confirmed within ``_TRIAL_S`` of uptime, or ``_TRIAL_BOOTS`` boots without a
   confirmation (a crash, the watchdog): ``ota_swap.rollback`` puts the old code back, the
   release is refused and reported, the terminal restarts.

Taps go on throughout: everything here runs in the uplink task between awaits, in slices of
``SLICE`` bytes (bench/ota.py measures the tap latency while a download runs).
"""

import json
import os
import sys

from compat import const
from firmware import ota_swap, wire
from firmware.config import save_json as save  # written whole, then renamed: never half

_DIR = "/.ota"
SLICE = const(1024)
_TRIAL_S = const(600)
_TRIAL_BOOTS = const(3)
_BLOCK = const(4096)
ENOSPC = const(28)  # littlefs LFS_ERR_NOSPC, raised by MicroPython's extmod/vfs_lfsx_file.c


def room(root):
    """(block size, free blocks) of the file system holding ``root``: MicroPython's
    extmod/vfs_lfsx.c ``statvfs`` gives f_bsize = the littlefs block size and f_bavail =
    block_count - the blocks ``lfs2_fs_traverse`` visits, which counts each folder's metadata
    pair twice (lib/littlefs/lfs2.c: from the list of pairs and, ``includeorphans``, from its
    parent's entry): 2 blocks per folder are given back here (as tools/device/health.py does)."""
    st = os.statvfs(root or "/")
    return st[0], st[4] + 2 * _folders(root)


def _folders(path):
    n = 0
    for name in os.listdir(path or "/"):
        if ota_swap._isdir(path + "/" + name):
            n += 1 + _folders(path + "/" + name)
    return n


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def mkdir(path):
    try:
        os.mkdir(path)
    except OSError:
        pass


def _done(root):
    d = load(root + _DIR + "/done.json")
    return d if isinstance(d, dict) else {"release": 0, "refused": [], "report": []}


def report_path(rep):
    """The report request of ``[release, state]`` or ``[release, NO_ROOM, need, free]``."""
    path = "/v1/release/%d/report/%d" % (rep[0], rep[1])
    return path + "?need=%d&free=%d" % (rep[2], rep[3]) if len(rep) > 3 else path


def _fail_trial(root, done, trial):
    """The new code failed: old code back, release refused, the rollback to be reported."""
    ota_swap.rollback(root)
    rel = trial.get("release", 0)
    if rel not in done["refused"]:
        done["refused"].append(rel)
    done["report"].append([rel, wire.OTA_ROLLED_BACK])
    done["release"] = trial.get("from", 0)
    mkdir(root + _DIR)
    save(root + _DIR + "/done.json", done)
    os.remove(root + _DIR + "/trial.json")


def boot_guard(root=""):
    """Before the application starts: finish a cut swap; count a trial's boots and roll back
    after ``_TRIAL_BOOTS``. True when it rolled back (restart, so the old code is loaded)."""
    ota_swap.resume(root)
    trial = load(root + _DIR + "/trial.json")
    if not isinstance(trial, dict):
        return False
    trial["boots"] = trial.get("boots", 0) + 1
    if trial["boots"] > _TRIAL_BOOTS:
        _fail_trial(root, _done(root), trial)
        return True
    save(root + _DIR + "/trial.json", trial)
    return False


class Ota:
    def __init__(self, terminal):
        self.t = terminal
        self.root = terminal.root
        self.dir = self.root + _DIR
        done = _done(self.root)
        self.installed = done.get("release", 0)
        self.refused = done.get("refused", [])
        self.reports = done.get("report", [])
        trial = load(self.dir + "/trial.json")
        self.trial = trial if isinstance(trial, dict) else None
        self.noroom = done.get("noroom")  # [release, free blocks] of the last "no room"
        self.key = read(self.root + "/release.pub")
        self.restart = False  # set after a swap or a rollback: the application restarts
        self.bytes = 0  # release bytes fetched since boot
        self.chunks = 0
        self.busy = False  # a download is under way in this round
        self.need = 0  # blocks the release under way needs (firmware/ota_fetch.py)

    # --- state ----------------------------------------------------------------------------

    def _save_done(self):
        mkdir(self.dir)
        rec = {"release": self.installed, "refused": self.refused, "report": self.reports}
        if self.noroom:
            rec["noroom"] = self.noroom
        save(self.dir + "/done.json", rec)

    def _drop_download(self):
        ota_swap.rmtree(self.dir + "/blob")
        ota_swap.rmtree(self.dir + "/manifest")
        ota_swap.rmtree(self.dir + "/state.json")
        ota_swap.rmtree(self.root + "/.stage")

    def refuse(self, release):
        self._drop_download()
        if release not in self.refused:
            self.refused.append(release)
        self.reports.append([release, wire.OTA_REFUSED])
        self._save_done()

    def no_room(self, release, need, free):
        """Too few blocks (weighed first, or ENOSPC on the way): nothing kept of the download,
        the old code runs, reported once; tried again when more is free or on a new release."""
        self._drop_download()
        _, free_now = room(self.root)  # what the dropped download gave back counts
        self.noroom = [release, free_now]
        self.reports.append([release, wire.OTA_NO_ROOM, need, free])
        self._save_done()

    def _waits_for_room(self, offered):
        if not self.noroom or self.noroom[0] != offered:
            return False
        return room(self.root)[1] <= self.noroom[1]

    def healthy(self):
        """After an answered round: the reader answers (no failure since its last success) and
        the log is open (it holds its key)."""
        h = self.t.taps.health
        return not h.faulty and h.failures == 0 and self.t.log.has_key()

    def tick(self, uptime_s):
        """Every sync round: a trial not confirmed within ``_TRIAL_S`` rolls back."""
        if self.trial is not None and uptime_s > _TRIAL_S:
            _fail_trial(self.root, _done(self.root), self.trial)
            self.trial = None
            self.restart = True

    # --- the round --------------------------------------------------------------------------

    async def round(self, post, status, offered):
        """``post(path, body)`` -> answer bytes (raises on failure); ``status()`` a signed status
        request; ``offered`` the release id of the reply (0: none)."""
        if self.trial is not None:
            live = load(self.root + "/version.json")
            if not isinstance(live, dict) or live.get("version") != self.trial.get("version"):
                # cut between the trial mark and the swap's journal: the swap never began
                os.remove(self.dir + "/trial.json")
                ota_swap.rmtree(self.root + "/.stage")
                self.trial = None
                return
            if not self.healthy():
                return
            self.installed = self.trial.get("release", 0)
            self.reports.append([self.installed, wire.OTA_INSTALLED])
            self._save_done()
            os.remove(self.dir + "/trial.json")
            self.trial = None
        while self.reports:
            await post(report_path(self.reports[0]), status())
            self.reports.pop(0)
            self._save_done()
        if (not offered or offered <= self.installed or offered in self.refused
                or self.key is None or self._waits_for_room(offered)):  # fmt: skip
            return
        self.busy = True
        # The download's code is loaded for a download only: an idle terminal does not carry it
        # in its heap (docs/hardware.md, RAM budget).
        from firmware import ota_fetch

        try:
            await ota_fetch.fetch(self, post, status, offered)
        except OSError as e:
            if not e.args or e.args[0] != ENOSPC:  # a cut link: the download resumes later
                raise
            self.no_room(offered, self.need, room(self.root)[1])
        finally:
            self.busy = False
            # Forgotten by the module table and by the package, which holds it as an attribute
            # too: otherwise the idle terminal keeps it (and its globals) after one download.
            sys.modules.pop("firmware.ota_fetch", None)
            import firmware

            try:
                delattr(firmware, "ota_fetch")
            except AttributeError:
                pass
