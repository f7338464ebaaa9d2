# ota_swap: the journaled swap of code files, shared by `tools deploy` and the network update.
# SPDX-License-Identifier: MIT
"""One journal for both ways code reaches a terminal: ``tools deploy`` runs it through its
device snippet (``tools/device/fsops.py``, into which ``tools/link.py`` copies this module's
source, so a terminal without it still takes a deploy) and ``firmware/ota.py`` imports it.

The swap is journaled in ``/.swap`` and idempotent: ``resume()`` after a power cut or a pulled
cable finishes what was begun. Each file moves live -> keep, then src -> live; a file already
gone from ``src`` was moved, so nothing is moved twice. ``root`` prefixes every path (the
terminal's file system is ``/``; tests give a folder).
"""

import json
import os

_JOURNAL = "/.swap"
_DIR = 0x4000
# What is code (moved by a deploy or an update); config, secrets, allow-list, data never are.
CODE = ("boot.py", "main.py", "lib", "firmware", "version.json")


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
        for name in os.listdir(path):  # CPython (the fleet simulation) has no ilistdir
            rmtree(path + "/" + name)
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
    for name in os.listdir(top):
        full = top + "/" + name if top != "/" else "/" + name
        if _isdir(full):
            _walk(full, prefix + "/" + name, out)
        else:
            out.append((full, prefix + "/" + name))


def _parents(path):
    sofar = ""
    for part in path.strip("/").split("/")[:-1]:
        sofar += "/" + part
        if not _exists(sofar):
            os.mkdir(sofar)


def swap(src, keep, names, removed=(), root=""):
    """Move the files ``src``/<names> into place; each live file they replace, and each live
    file in ``removed``, goes to ``keep``. ``names`` are paths relative to ``/``. Journaled."""
    rmtree(root + keep)
    os.mkdir(root + keep)
    added = [n for n in names if not _exists(root + "/" + n)]
    with open(root + _JOURNAL, "w") as f:
        json.dump(
            {"src": src, "keep": keep, "names": names, "removed": list(removed), "added": added}, f
        )
    return resume(root)


def resume(root=""):
    """Finish a journaled swap; returns the names moved in (None when no swap was pending).
    A name still in ``src`` was not moved yet; a removed name still live was not kept yet."""
    try:
        with open(root + _JOURNAL) as f:
            job = json.load(f)
    except (OSError, ValueError):
        return None
    src, keep = root + job["src"], root + job["keep"]
    for name in job["names"]:
        if _exists(src + "/" + name):
            if _exists(root + "/" + name):
                _parents(keep + "/" + name)
                os.rename(root + "/" + name, keep + "/" + name)
            _parents(root + "/" + name)
            os.rename(src + "/" + name, root + "/" + name)
    for name in job.get("removed", ()):
        if _exists(root + "/" + name):
            _parents(keep + "/" + name)
            os.rename(root + "/" + name, keep + "/" + name)
    with open(keep + "/.added", "w") as f:
        json.dump(job.get("added", []), f)  # what a rollback must remove again
    rmtree(src)
    os.remove(root + _JOURNAL)
    return job["names"]


def kept(top):
    """(files under ``top`` as paths relative to ``top``, the files that swap added)."""
    files = []
    if _isdir(top):
        _walk(top, "", files)
    names = [rel.lstrip("/") for _, rel in files if rel != "/.added"]
    try:
        with open(top + "/.added") as f:
            added = json.load(f)
    except (OSError, ValueError):
        added = []
    return names, added


def rename(pairs):
    """Move each (src, dst); an existing dst file is replaced (littlefs rename semantics)."""
    for src, dst in pairs:
        if _exists(dst) and not _isdir(dst):
            os.remove(dst)
        os.rename(src, dst)
    return len(pairs)


def rollback(root=""):
    """Swap ``/.prev`` back in (its replaced files back, the files the swap added removed);
    what was live goes to ``/.prev`` again. Returns the names moved, None without a ``/.prev``."""
    if not _isdir(root + "/.prev"):
        return None
    names, added = kept(root + "/.prev")
    moved = swap("/.prev", "/.next", names, added, root)
    rename([(root + "/.next", root + "/.prev")])
    return moved
