# pull: device-side snippet; the signed log as batches streamed in hex, in bounded memory.
# SPDX-License-Identifier: MIT
"""Prints ``B`` (a batch starts), lines of hex (the batch's header, then at most 32 slots a
line, then its request MAC), ``E`` (it ends), then ``DONE n``. The batches are the log's own
(``Log.stream_batches``: byte for byte ``Log.batches``), never held whole: a 4,096-slot batch
needs the log reader's 288-byte buffer and one line of hex, not the ~150 KB of heap a whole
batch would. The watchdog ``boot.py`` started is fed at every line: at 115200 baud a long
backlog takes minutes. Nothing is acknowledged: after ``upload`` the collector's reply to the
terminal's next sync moves the watermark."""

import binascii
import json
import sys

from firmware import wire


def _feed():
    hw = sys.modules.get("firmware.hardware")
    wdt = getattr(hw, "_wdt", None) if hw is not None else None
    if wdt is not None:
        wdt.feed()


def main(max_slots=4096, health=None):
    import esp32

    from firmware.log import Log

    with open("/config.json") as f:
        tid = json.load(f)["terminal_id"]
    part = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")[0]
    log = Log(part, "/data", tid)
    if not log.has_key():
        print("DONE 0")
        return
    opened = [False]

    def emit(piece):
        _feed()
        if piece is None:
            print("E")
            opened[0] = False
            return
        if not opened[0]:
            print("B")
            opened[0] = True
        print(binascii.hexlify(piece).decode())

    # From the first unacknowledged block to the head; nothing is acknowledged.
    n = log.stream_batches(wire.pack_health(health or {}), emit, max_slots)
    print("DONE %d" % n)
