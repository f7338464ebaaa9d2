# fsops: device-side snippet; staging folders, hashes and the journaled swap of deploy.
# SPDX-License-Identifier: MIT
"""Only changed files are staged (a terminal's 256 KiB littlefs cannot hold two firmwares). The
swap is journaled in ``/.swap`` and idempotent: run ``resume()`` after a power cut or a pulled
cable and it finishes what was begun. Each file moves live -> keep, then src -> live; a file
already gone from ``src`` was moved, so nothing is moved twice."""

import hashlib
import json
import os

_JOURNAL = "/.swap"
# In /.prev when it holds the firmware a rollback replaced: a second rollback changes nothing.
ROLLED_BACK = "/.prev/.rolledback"
_DIR = 0x4000


def _isdir(path):
    try:
        return os.stat(path)[0] & _DIR != 0
    except OSError:
        return False


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def rmtree(path):
    if not _exists(path):
        return
    if _isdir(path):
        for entry in os.ilistdir(path):
            rmtree(path + "/" + entry[0])
        os.rmdir(path)
    else:
        os.remove(path)


def makedirs(paths):
    for path in paths:
        sofar = ""
        for part in path.strip("/").split("/"):
            sofar += "/" + part
            if not _exists(sofar):
                os.mkdir(sofar)
    return len(paths)


def _walk(top, prefix, out):
    for entry in os.ilistdir(top):
        name = entry[0]
        full = top + "/" + name if top != "/" else "/" + name
        if entry[1] & _DIR:
            _walk(full, prefix + "/" + name, out)
        else:
            out.append((full, prefix + "/" + name))


def hashes(top, names):
    """{path relative to ``top``: sha256 hex} for every file under ``top``/``names``."""
    buf = bytearray(512)
    mv = memoryview(buf)
    out = {}
    files = []
    for name in names:
        full = (top.rstrip("/") + "/" + name) if top != "/" else "/" + name
        if _isdir(full):
            _walk(full, "/" + name, files)
        elif _exists(full):
            files.append((full, "/" + name))
    for full, rel in files:
        h = hashlib.sha256()
        with open(full, "rb") as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    break
                h.update(mv[:n])
        out[rel] = "".join("%02x" % b for b in h.digest())
    return out


def copy(pairs):
    """Copy files on the device (unchanged firmware files need not cross the cable again)."""
    buf = bytearray(512)
    mv = memoryview(buf)
    for src, dst in pairs:
        with open(src, "rb") as fi, open(dst, "wb") as fo:
            while True:
                n = fi.readinto(buf)
                if not n:
                    break
                fo.write(mv[:n])
    return len(pairs)


def state():
    return {
        "journal": _exists(_JOURNAL),
        "stage": _exists("/.stage"),
        "prev": _exists("/.prev"),
        "version": _read_version("/version.json"),
        "prev_version": _read_version("/.prev/version.json"),
        "rolled_back": _exists(ROLLED_BACK),
    }


def _read_version(path):
    try:
        with open(path) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def free():
    """Free bytes on the file system (littlefs: whole blocks)."""
    st = os.statvfs("/")
    return st[0] * st[3]


def _parents(path):
    sofar = ""
    for part in path.strip("/").split("/")[:-1]:
        sofar += "/" + part
        if not _exists(sofar):
            os.mkdir(sofar)


def swap(src, keep, names, removed=()):
    """Move the files ``src``/<names> into place; each live file they replace, and each live
    file in ``removed``, goes to ``keep``. ``names`` are paths relative to ``/``. Journaled."""
    rmtree(keep)
    os.mkdir(keep)
    added = [n for n in names if not _exists("/" + n)]
    with open(_JOURNAL, "w") as f:
        json.dump(
            {"src": src, "keep": keep, "names": names, "removed": list(removed), "added": added}, f
        )
    return resume()


def resume():
    """Finish a journaled swap; returns the names moved in (None when no swap was pending).
    A name still in ``src`` was not moved yet; a removed name still live was not kept yet."""
    try:
        with open(_JOURNAL) as f:
            job = json.load(f)
    except (OSError, ValueError):
        return None
    src, keep = job["src"], job["keep"]
    for name in job["names"]:
        if _exists(src + "/" + name):
            if _exists("/" + name):
                _parents(keep + "/" + name)
                os.rename("/" + name, keep + "/" + name)
            _parents("/" + name)
            os.rename(src + "/" + name, "/" + name)
    for name in job.get("removed", ()):
        if _exists("/" + name):
            _parents(keep + "/" + name)
            os.rename("/" + name, keep + "/" + name)
    with open(keep + "/.added", "w") as f:
        json.dump(job.get("added", []), f)  # what a rollback must remove again
    rmtree(src)
    os.remove(_JOURNAL)
    return job["names"]


def kept(top):
    """(files under ``top`` as paths relative to ``/``, the files that swap added)."""
    files = []
    if _isdir(top):
        _walk(top, "", files)
    names = [rel.lstrip("/") for _, rel in files if rel not in ("/.added", "/.rolledback")]
    try:
        with open(top + "/.added") as f:
            added = json.load(f)
    except (OSError, ValueError):
        added = []
    return names, added


def touch(path):
    """An empty file (a mark, e.g. ``/.next/.rolledback``)."""
    with open(path, "w"):
        pass
    return True


def rename(pairs):
    """Move each (src, dst); an existing dst file is replaced (littlefs rename semantics)."""
    for src, dst in pairs:
        if _exists(dst) and not _isdir(dst):
            os.remove(dst)
        os.rename(src, dst)
    return len(pairs)
