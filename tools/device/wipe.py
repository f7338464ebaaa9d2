# wipe: device-side snippet; forget a terminal identity (config, secrets, log state, raw log).
# SPDX-License-Identifier: MIT
"""Erasing ``hlog`` is 448 block erases: about 45 ms each on an ESP32's flash and up to 400 ms
at a W25Q32's datasheet maximum, so up to three minutes. It is journaled and resumable: ``/.wipe``
holds the next block to erase, written before anything goes; a wipe cut by a pulled cable, a
power cut or a retry's Ctrl-C is finished by the next one (``tools provision --force``), and
while ``/.wipe`` exists the device counts as holding an identity and no log key is installed
(``logkey.py``), so no new identity adopts the old one's remaining sectors. It prints ``W done
total`` every 8 blocks (the technician's progress, and never a silence that mpremote would
take for a dead device) and feeds the watchdog at every block."""

import os
import sys

JOURNAL = "/.wipe"
_EVERY = 8  # blocks between progress lines
_SAVE = 64  # blocks between journal updates


def _rmtree(path):
    try:
        mode = os.stat(path)[0]
    except OSError:
        return
    if mode & 0x4000:
        for entry in os.ilistdir(path):
            _rmtree(path + "/" + entry[0])
        os.rmdir(path)
    else:
        os.remove(path)


def _journal(block):
    with open(JOURNAL + ".tmp", "w") as f:
        f.write("%d" % block)
    os.rename(JOURNAL + ".tmp", JOURNAL)


def pending():
    """The block an unfinished wipe resumes at, or None."""
    try:
        with open(JOURNAL) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def main():
    """Erases every block of the hlog partition: records not pulled or synced are lost."""
    import esp32

    start = pending() or 0
    _journal(start)
    for path in ("/config.json", "/secrets.json", "/allow.bin", "/data"):
        _rmtree(path)
    hw = sys.modules.get("firmware.hardware")
    wdt = getattr(hw, "_wdt", None) if hw is not None else None
    blocks = 0
    parts = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")
    if parts:
        part = parts[0]
        blocks = part.ioctl(4, 0) or 0
        for block in range(start, blocks):
            part.ioctl(6, block)  # the key sectors (0, 1) go first: the old K is gone at once
            if wdt is not None:
                wdt.feed()
            if (block + 1) % _EVERY == 0 or block + 1 == blocks:
                print("W %d %d" % (block + 1, blocks))
            if (block + 1) % _SAVE == 0:
                _journal(block + 1)
    os.remove(JOURNAL)
    return blocks
