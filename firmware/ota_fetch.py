# ota_fetch: a release's download, check and staging; loaded by firmware/ota.py only while it runs.
# SPDX-License-Identifier: MIT
"""``await fetch(o, post, status, release)``, ``o`` the terminal's ``firmware.ota.Ota``: the
manifest fetched and its LMS signature checked, the changed files' chunks fetched (resumable),
each changed file staged and checked, then the swap (steps 1-3 of firmware/ota.py's account).
Kept apart so that an idle terminal does not hold this code in its heap.
"""

import hashlib

from compat import asleep_ms
from firmware import blocks, ota, ota_swap, wire
from firmware.ota import SLICE, load, mkdir, read, save


def blocks_needed(m, changed, chunks, manifest_len, block):
    """Blocks the whole update takes at its peak: the manifest, the fetched chunks, every changed
    file staged beside them, ``/.ota`` and ``/.stage`` and ``/.prev`` with a folder per folder of
    the changed files (2 blocks each), the swap journal and the state files (1 each), and
    ``RESERVE`` for /data. Counted as if all existed at once (the blob is dropped before the
    swap): an update that fits this always fits."""
    swapped = blocks.swap_blocks([m.files[i][0] for i in changed],
                                   [m.files[i][1] for i in changed], block)  # fmt: skip
    size = blocks.file_blocks
    n = size(manifest_len, block) + size(chunks * m.chunk_size, block) + swapped
    return n + 2 + 2 + blocks.RESERVE  # /.ota; state.json, trial.json


async def _manifest(o, post, status, release):
    """(verified manifest, download state) of ``release``: fetched and checked once, then
    kept in /.ota with the chunks still needed; None when refused."""
    state = load(o.dir + "/state.json")
    if isinstance(state, dict) and state.get("release") == release:
        data = read(o.dir + "/manifest")
        if data is not None:
            o.need = state.get("blocks", 0)
            return wire.Manifest(data), state
    ota_swap.rmtree(o.dir + "/blob")
    ota_swap.rmtree(o.dir + "/manifest")
    data = await post("/v1/release/%d/manifest" % release, status())
    try:
        m = wire.Manifest(data)
    except ValueError:  # WireError, or a path that is not UTF-8
        o.refuse(release)
        return None
    import lms

    ok = False
    for step in lms.check(o.key, m.signed, m.signature):
        ok = step
        await asleep_ms(0)
    if ok is not True or m.release != release:
        o.refuse(release)
        return None
    changed = []
    for i in range(len(m.files)):
        if await _hash_of(o.root + "/" + m.files[i][0]) != m.file_hash(i):
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
    block, free = ota.room(o.root)
    o.need = blocks_needed(m, changed, len(need), len(data), block)
    # /.prev goes (the swap keeps the running code there): what it holds counts as free
    free += blocks.held(o.root + "/.prev", block)
    if free < o.need:
        o.no_room(release, o.need, free)
        return None
    mkdir(o.dir)
    ota_swap.rmtree(o.root + "/.prev")
    with open(o.dir + "/manifest", "wb") as f:
        f.write(data)
    with open(o.dir + "/blob", "wb"):
        pass
    state = {"release": release, "changed": changed, "need": need, "done": 0, "blocks": o.need}
    save(o.dir + "/state.json", state)
    return m, state


async def _hash_of(path):
    h = hashlib.sha256()
    buf = bytearray(SLICE)
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


async def fetch(o, post, status, release):
    got = await _manifest(o, post, status, release)
    if got is None:
        return
    m, state = got
    need = state["need"]
    while state["done"] < len(need):
        k = state["done"]
        n = need[k]
        data = await post("/v1/release/%d/chunk/%d" % (release, n), status())
        if len(data) != m.chunk_len(n) or not await _put(o, data, k * m.chunk_size,
                                                               m.chunk_hash(n)):  # fmt: skip
            o.refuse(release)
            return
        state["done"] = k + 1
        save(o.dir + "/state.json", state)
        o.chunks += 1
        o.bytes += len(data)
        data = None
    await _install(o, m, state)


async def _put(o, data, offset, want):
    """Hash, then write ``data`` at ``offset`` of the blob, a slice at a time."""
    h = hashlib.sha256()
    mv = memoryview(data)
    for at in range(0, len(data), SLICE):
        h.update(mv[at : at + SLICE])
        await asleep_ms(0)
    if h.digest() != want:
        return False
    with open(o.dir + "/blob", "r+b") as f:
        f.seek(offset)
        for at in range(0, len(data), SLICE):
            f.write(mv[at : at + SLICE])
            await asleep_ms(0)
    return True


async def _install(o, m, state):
    """Each changed file from the fetched chunks to /.stage, checked; then the swap."""
    stage = o.root + "/.stage"
    ota_swap.rmtree(stage)
    buf = bytearray(SLICE)
    need = state["need"]
    size_of = m.chunk_size
    names = []
    offsets = []
    at = 0
    for i in range(len(m.files)):
        offsets.append(at)
        at += m.files[i][1]
    with open(o.dir + "/blob", "rb") as blob:
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
                    take = min(end - pos, (n + 1) * size_of - pos, SLICE)
                    blob.seek(need.index(n) * size_of + pos - n * size_of)
                    got = blob.readinto(memoryview(buf)[:take])
                    if got != take:
                        break
                    h.update(memoryview(buf)[:take])
                    out.write(memoryview(buf)[:take])
                    pos += take
                    await asleep_ms(0)
            if pos != end or h.digest() != m.file_hash(i):
                o.refuse(m.release)
                return
            names.append(path)
    listed = [m.files[i][0] for i in range(len(m.files))]
    removed = []
    for top in ota_swap.CODE:
        full = o.root + "/" + top
        if ota_swap._isdir(full):
            files = []
            ota_swap._walk(full, top, files)
            removed += [rel for _, rel in files if rel not in listed]
        elif ota_swap._exists(full) and top not in listed:
            removed.append(top)
    ota_swap.rmtree(o.dir + "/blob")
    ota_swap.rmtree(o.dir + "/state.json")
    if not names and not removed:  # the code is this release already
        o.installed = m.release
        o.reports.append([m.release, wire.OTA_INSTALLED])
        o._save_done()
        return
    trial = {"release": m.release, "version": m.version, "boots": 0, "from": o.installed}
    save(o.dir + "/trial.json", trial)
    ota_swap.swap("/.stage", "/.prev", names, removed, o.root)
    o.restart = True
