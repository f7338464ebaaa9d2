# fsops: device-side snippet; staging folders, hashes and the journaled swap of deploy.
# SPDX-License-Identifier: MIT
"""Only changed files are staged (a terminal's littlefs cannot hold two firmwares). The
journaled swap is ``firmware/ota_swap.py``, the one the network update uses too: ``tools/link.py``
copies its source in place of the import below, so a terminal without it (a blank one, an older
firmware) still takes a deploy."""

import hashlib
import json
import os

from firmware.blocks import (  # noqa: F401 - the snippet's functions (tools/link.py)
    held,
)
from firmware.ota_swap import (  # noqa: F401 - the snippet's functions (tools/link.py)
    _JOURNAL,
    _exists,
    _isdir,
    _walk,
    kept,
    makedirs,
    rename,
    resume,
    rmtree,
    rollback,
    swap,
)


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


# In /.prev when it holds the firmware a rollback replaced: a second rollback changes nothing.
ROLLED_BACK = "/.prev/.rolledback"


def touch(path):
    """An empty file (a mark, e.g. ``ROLLED_BACK``)."""
    with open(path, "w"):
        pass
    return True


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


def room():
    """(block size, free blocks): MicroPython's extmod/vfs_lfsx.c statvfs f_bsize, f_bavail."""
    st = os.statvfs("/")
    return [st[0], st[4]]
