# pull: device-side snippet; the signed log as batches, from the log's own batch(), printed as hex.
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
    h = wire.pack_health(health or {})
    # batch() starts at the first unacknowledged block. To go on past it without acknowledging
    # anything, the floor is moved in RAM only (as ack() would) and put back at the end.
    saved = (log._floor, log._floor_epoch, log._floor_mac)
    n = 0
    try:
        while True:
            body = log.batch(h, max_slots)
            count = (body[12] << 8) | body[13]
            if count == 0:
                break
            _emit(body)
            n += 1
            first = log._floor
            mac = bytearray(log._floor_mac)
            epoch, after = log._walk(first, first + count, log._floor_epoch, mac)
            if after is None:
                break
            log._floor, log._floor_epoch, log._floor_mac = after, epoch, mac
    finally:
        log._floor, log._floor_epoch, log._floor_mac = saved
    print("DONE %d" % n)
