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
   not fit the 256 KiB file system, docs/tools.md "deploy"): the chunks (``wire.RELEASE_CHUNK``)
   holding them, one per request, into ``/.ota/blob``, each checked against its SHA-256 in the
   signed manifest, written in slices with a yield between, and counted in
   ``/.ota/state.json`` only once written: a cut link or a power cut resumes at the first chunk
   not counted. A chunk that does not match refuses the release (TLS carried it as the
   collector holds it: fetching it again cannot help).
3. Complete: each changed file is copied to ``/.stage`` and its SHA-256 checked;
   ``/.ota/trial.json`` is written, then ``firmware.ota_swap.swap`` -- the journal ``tools
   deploy`` uses -- moves them in, the old ones (and files the release no longer has) to
   ``/.prev``, and the terminal restarts (``restart``).
4. The new code is on trial: ``boot_guard`` counts its boots; the first round after which the
   reader answers, the log is open and the collector answered confirms it (``installed``,
   reported). Not confirmed within ``_TRIAL_S`` of uptime, or ``_TRIAL_BOOTS`` boots without a
   confirmation (a crash, the watchdog): ``ota_swap.rollback`` puts the old code back, the
   release is refused and reported, the terminal restarts.

Taps go on throughout: everything here runs in the uplink task between awaits, in slices of
``_SLICE`` bytes (bench/ota.py measures the tap latency while a download runs).
"""

import hashlib
import json
import os

from compat import asleep_ms, const
from firmware import ota_swap, wire

_DIR = "/.ota"
_SLICE = const(1024)
_TRIAL_S = const(600)
_TRIAL_BOOTS = const(3)
_BLOCK = const(4096)


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _save(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _mkdir(path):
    try:
        os.mkdir(path)
    except OSError:
        pass


def _done(root):
    d = _load(root + _DIR + "/done.json")
    return d if isinstance(d, dict) else {"release": 0, "refused": [], "report": []}


def _fail_trial(root, done, trial):
    """The new code failed: old code back, release refused, the rollback to be reported."""
    ota_swap.rollback(root)
    rel = trial.get("release", 0)
    if rel not in done["refused"]:
        done["refused"].append(rel)
    done["report"].append([rel, wire.OTA_ROLLED_BACK])
    done["release"] = trial.get("from", 0)
    _mkdir(root + _DIR)
    _save(root + _DIR + "/done.json", done)
    os.remove(root + _DIR + "/trial.json")


def boot_guard(root=""):
    """Before the application starts: finish a cut swap; count a trial's boots and roll back
    after ``_TRIAL_BOOTS``. True when it rolled back (restart, so the old code is loaded)."""
    ota_swap.resume(root)
    trial = _load(root + _DIR + "/trial.json")
    if not isinstance(trial, dict):
        return False
    trial["boots"] = trial.get("boots", 0) + 1
    if trial["boots"] > _TRIAL_BOOTS:
        _fail_trial(root, _done(root), trial)
        return True
    _save(root + _DIR + "/trial.json", trial)
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
        trial = _load(self.dir + "/trial.json")
        self.trial = trial if isinstance(trial, dict) else None
        self.key = _read(self.root + "/release.pub")
        self.restart = False  # set after a swap or a rollback: the application restarts
        self.bytes = 0  # release bytes fetched since boot
        self.chunks = 0
        self.busy = False  # a download is under way in this round

    # --- state ----------------------------------------------------------------------------

    def _save_done(self):
        _mkdir(self.dir)
        rec = {"release": self.installed, "refused": self.refused, "report": self.reports}
        _save(self.dir + "/done.json", rec)

    def _refuse(self, release):
        ota_swap.rmtree(self.dir + "/blob")
        ota_swap.rmtree(self.dir + "/manifest")
        ota_swap.rmtree(self.dir + "/state.json")
        ota_swap.rmtree(self.root + "/.stage")
        if release not in self.refused:
            self.refused.append(release)
        self.reports.append([release, wire.OTA_REFUSED])
        self._save_done()

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
            live = _load(self.root + "/version.json")
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
            release, state = self.reports[0]
            await post("/v1/release/%d/report/%d" % (release, state), status())
            self.reports.pop(0)
            self._save_done()
        if (not offered or offered <= self.installed or offered in self.refused
                or self.key is None):  # fmt: skip
            return
        self.busy = True
        try:
            await self._fetch(post, status, offered)
        finally:
            self.busy = False

    async def _manifest(self, post, status, release):
        """(verified manifest, download state) of ``release``: fetched and checked once, then
        kept in /.ota with the chunks still needed; None when refused."""
        state = _load(self.dir + "/state.json")
        if isinstance(state, dict) and state.get("release") == release:
            data = _read(self.dir + "/manifest")
            if data is not None:
                return wire.Manifest(data), state
        ota_swap.rmtree(self.dir + "/blob")
        ota_swap.rmtree(self.dir + "/manifest")
        data = await post("/v1/release/%d/manifest" % release, status())
        try:
            m = wire.Manifest(data)
        except ValueError:  # WireError, or a path that is not UTF-8
            self._refuse(release)
            return None
        import lms

        ok = False
        for step in lms.check(self.key, m.signed, m.signature):
            ok = step
            await asleep_ms(0)
        if ok is not True or m.release != release:
            self._refuse(release)
            return None
        changed = []
        for i in range(len(m.files)):
            if await self._hash_of(self.root + "/" + m.files[i][0]) != m.file_hash(i):
                changed.append(i)
        need = []  # only the chunks holding changed files: a whole firmware twice does not fit
        at = 0
        for i in range(len(m.files)):
            size = m.files[i][1]
            if i in changed and size:
                for n in range(at // m.chunk_size, (at + size - 1) // m.chunk_size + 1):
                    if n not in need:
                        need.append(n)
            at += size
        _mkdir(self.dir)
        ota_swap.rmtree(self.root + "/.prev")  # room: the swap keeps the running code there
        with open(self.dir + "/manifest", "wb") as f:
            f.write(data)
        with open(self.dir + "/blob", "wb"):
            pass
        state = {"release": release, "changed": changed, "need": need, "done": 0}
        _save(self.dir + "/state.json", state)
        return m, state

    async def _hash_of(self, path):
        h = hashlib.sha256()
        buf = bytearray(_SLICE)
        try:
            with open(path, "rb") as f:
                while True:
                    n = f.readinto(buf)
                    if not n:
                        break
                    h.update(memoryview(buf)[:n])
                    await asleep_ms(0)
        except OSError:
            return None
        return h.digest()

    async def _fetch(self, post, status, release):
        got = await self._manifest(post, status, release)
        if got is None:
            return
        m, state = got
        need = state["need"]
        while state["done"] < len(need):
            k = state["done"]
            n = need[k]
            data = await post("/v1/release/%d/chunk/%d" % (release, n), status())
            if len(data) != m.chunk_len(n) or not await self._put(data, k * m.chunk_size,
                                                                   m.chunk_hash(n)):  # fmt: skip
                self._refuse(release)
                return
            state["done"] = k + 1
            _save(self.dir + "/state.json", state)
            self.chunks += 1
            self.bytes += len(data)
            data = None
        await self._install(m, state)

    async def _put(self, data, offset, want):
        """Hash, then write ``data`` at ``offset`` of the blob, a slice at a time."""
        h = hashlib.sha256()
        mv = memoryview(data)
        for at in range(0, len(data), _SLICE):
            h.update(mv[at : at + _SLICE])
            await asleep_ms(0)
        if h.digest() != want:
            return False
        with open(self.dir + "/blob", "r+b") as f:
            f.seek(offset)
            for at in range(0, len(data), _SLICE):
                f.write(mv[at : at + _SLICE])
                await asleep_ms(0)
        return True

    async def _install(self, m, state):
        """Each changed file from the fetched chunks to /.stage, checked; then the swap."""
        stage = self.root + "/.stage"
        ota_swap.rmtree(stage)
        buf = bytearray(_SLICE)
        need = state["need"]
        size_of = m.chunk_size
        names = []
        offsets = []
        at = 0
        for i in range(len(m.files)):
            offsets.append(at)
            at += m.files[i][1]
        with open(self.dir + "/blob", "rb") as blob:
            for i in state["changed"]:
                path, size, _ = m.files[i]
                dest = stage + "/" + path
                ota_swap.makedirs([dest.rsplit("/", 1)[0]])
                h = hashlib.sha256()
                pos = offsets[i]
                end = pos + size
                with open(dest, "wb") as out:
                    while pos < end:
                        n = pos // size_of
                        take = min(end - pos, (n + 1) * size_of - pos, _SLICE)
                        blob.seek(need.index(n) * size_of + pos - n * size_of)
                        got = blob.readinto(memoryview(buf)[:take])
                        if got != take:
                            break
                        h.update(memoryview(buf)[:take])
                        out.write(memoryview(buf)[:take])
                        pos += take
                        await asleep_ms(0)
                if pos != end or h.digest() != m.file_hash(i):
                    self._refuse(m.release)
                    return
                names.append(path)
        listed = [m.files[i][0] for i in range(len(m.files))]
        removed = []
        for top in ota_swap.CODE:
            full = self.root + "/" + top
            if ota_swap._isdir(full):
                files = []
                ota_swap._walk(full, top, files)
                removed += [rel for _, rel in files if rel not in listed]
            elif ota_swap._exists(full) and top not in listed:
                removed.append(top)
        ota_swap.rmtree(self.dir + "/blob")
        ota_swap.rmtree(self.dir + "/state.json")
        if not names and not removed:  # the code is this release already
            self.installed = m.release
            self.reports.append([m.release, wire.OTA_INSTALLED])
            self._save_done()
            return
        trial = {"release": m.release, "version": m.version, "boots": 0, "from": self.installed}
        _save(self.dir + "/trial.json", trial)
        ota_swap.swap("/.stage", "/.prev", names, removed, self.root)
        self.restart = True
