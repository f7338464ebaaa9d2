# blocks: the littlefs blocks an update needs, shared by `tools deploy` and the network update.
# SPDX-License-Identifier: MIT
"""Kept out of the modules a terminal imports at start (firmware/ota.py, ota_swap.py): only the
download (firmware/ota_fetch.py, loaded while it runs), ``tools/deploy.py`` on the laptop and the
deploy snippet (``tools/device/fsops.py``, into which ``tools/link.py`` copies this source) use
it. Geometry: MicroPython's extmod/vfs_lfsx.c (4 KiB blocks, cache_size 4 x 32 = 128 bytes, the
inline limit); ``bench/fsroom.py`` checks the sums against a replay on real littlefs.
"""

import os

# Blocks an update (deploy or network) must leave free for /data as the terminal runs on:
# status.json, last_time, remote.json, the log's state pair, done.json, each rewritten beside
# its old copy (bench/fsroom.py: /data at its steady state takes 3 blocks on a 64-block vfs),
# plus one block for littlefs to copy a metadata pair as it compacts.
RESERVE = 4


def file_blocks(size, block=4096):
    """littlefs blocks a file of ``size`` bytes takes: none when inlined in its folder's
    metadata (up to 128 bytes: MicroPython's extmod/vfs_lfsx.c cache_size 4 x 32), else whole
    blocks (a block never holds two files' data)."""
    return 0 if size <= 128 else (size + block - 1) // block


def swap_blocks(names, sizes, block=4096):
    """Blocks a swap of ``names`` (paths relative to ``/``, their ``sizes``) needs beyond the
    live files: each staged whole, a metadata pair (2 blocks) for ``/.stage`` and ``/.prev`` and
    for each folder the names sit in, inside both; the journal and ``.added`` (1 each)."""
    folders = []
    for p in names:
        while "/" in p:
            p = p.rsplit("/", 1)[0]
            if p not in folders:
                folders.append(p)
    return sum(file_blocks(s, block) for s in sizes) + 2 * 2 * (1 + len(folders)) + 2


def held(path, block=4096):
    """Blocks the tree at ``path`` holds: what removing it gives back."""
    try:
        st = os.stat(path)
    except OSError:
        return 0
    if st[0] & 0x4000:
        return 2 + sum(held(path + "/" + name, block) for name in os.listdir(path))
    return file_blocks(st[6], block)
