# wipe: device-side snippet; forget a terminal identity (config, secrets, log state, raw log).
# SPDX-License-Identifier: MIT
import os


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


def main():
    """Erases every block of the hlog partition: records not pulled or synced are lost."""
    import esp32

    for path in ("/config.json", "/secrets.json", "/allow.bin", "/data"):
        _rmtree(path)
    erased = 0
    parts = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")
    if parts:
        part = parts[0]
        blocks = part.ioctl(4, 0) or 0
        for block in range(blocks):
            part.ioctl(6, block)
        erased = blocks
    return erased
