# logkey: device-side snippet; provisioning puts K0 straight into the raw log, never on littlefs.
# SPDX-License-Identifier: MIT
"""littlefs writes copy-on-write: K0 in a file would stay readable in a stale block after the
file was rewritten, and K0 derives every epoch key. So K0 goes over the cable into RAM and from
there only into the log's key sectors on the raw ``hlog`` partition (``Log.install_key``),
where the first seal destroys it by programming it to zeros (docs/log.md)."""

import binascii


def install(terminal_id, k0):
    """K0 (64 hex digits) becomes the key of a log that has none; refuses one that has one."""
    import os

    import esp32

    from firmware.log import Log

    try:
        os.stat("/.wipe")
        return {"ok": False, "error": "a wipe was cut halfway: provision --force finishes it"}
    except OSError:
        pass
    parts = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")
    if not parts:
        return {"ok": False, "error": "no hlog partition"}
    log = Log(parts[0], "/data", terminal_id)
    if log.has_key():
        return {"ok": False, "error": "the log already holds a key"}
    log.install_key(binascii.unhexlify(k0))
    return {"ok": log.has_key(), "epoch": log.epoch, "next_seq": log.next_seq}
