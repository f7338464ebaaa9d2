# pull: device-side snippet; the signed log as batches, from the log's own batches(), as hex.
# SPDX-License-Identifier: MIT
"""Prints ``B`` (a batch starts), lines of hex (256 bytes each, so the device never holds more
than one batch and a small line), ``E`` (it ends), then ``DONE n``. Nothing is acknowledged:
after ``upload`` the collector's reply to the terminal's next sync moves the watermark."""

import binascii
import json

from firmware import wire

_LINE = 256


def _emit(body):
    print("B")
    for i in range(0, len(body), _LINE):
        print(binascii.hexlify(body[i : i + _LINE]).decode())
    print("E")


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
    n = 0
    # From the first unacknowledged block to the head; nothing is acknowledged (Log.batches).
    for body in log.batches(wire.pack_health(health or {}), max_slots):
        _emit(body)
        n += 1
    print("DONE %d" % n)
