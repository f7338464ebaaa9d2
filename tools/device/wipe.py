# wipe: device-side snippet; forget a terminal identity (config, secrets, log state, raw log).
# SPDX-License-Identifier: MIT
import os
import sys


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
        hw = sys.modules.get("firmware.hardware")
        wdt = getattr(hw, "_wdt", None) if hw is not None else None
        for block in range(blocks):
            part.ioctl(6, block)  # about 45 ms each on ESP32 SPI flash: feed the watchdog
            if wdt is not None and block % 64 == 0:
                wdt.feed()
        erased = blocks
    return erased
