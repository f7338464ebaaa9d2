# header: the 28-byte header of a log sector: its layout, its check, building one for a roll.
# SPDX-License-Identifier: MIT
"""Sector layout (docs/log.md, "Layout on flash"):

====  ========================================================================================
0-3   magic ``b"HLS1"``
4-7   base: sequence number of the sector's first slot (u32)
8-11  epoch at base: seals before ``base``
12-19 prev_mac at base: MAC of the last seal before ``base`` (zero bytes for none)
20-23 first sequence number of the block open at ``base``
24-25 CRC-16/CCITT-FALSE over bytes 0-23
26    rolled: 0xFF while this sector is the head; 0x00 once the next sector was opened
27    0xFF (spare)
28-   452 slots of 9 bytes (docs/protocol.md)
====  ========================================================================================

Functions on header bytes only; ``firmware.log.ring`` reads and programs them. ``build``
writes into a caller buffer (a roll happens on the tap path): no allocation.
"""

from compat import const
from firmware import wire
from firmware.log.fields import copy, crc_ok, get32, put32, put_crc

HEADER = const(28)
ROLLED = const(26)  # offset of the "rolled" byte
_CRC_AT = const(24)
_MAGIC = b"HLS1"
# What check() finds.
ERASED = const(0)
GOOD = const(1)
BAD = const(2)


def check(h):
    """ERASED (all 0xFF), GOOD (magic and CRC right) or BAD."""
    blank = True
    for b in h:
        if b != 0xFF:
            blank = False
            break
    if blank:
        return ERASED
    for i in range(4):
        if h[i] != _MAGIC[i]:
            return BAD
    return GOOD if crc_ok(h, _CRC_AT) else BAD


def base(h):
    return get32(h, 4)


def chain(h, mac_out):
    """(epoch, first seq of the open block) at the header's base; prev_mac into ``mac_out``."""
    copy(mac_out, 0, h, 12, wire.MAC_LEN)
    return get32(h, 8), get32(h, 20)


def rolled(h):
    return h[ROLLED] != 0xFF


def build(b, base, epoch, prev_mac, block_start, slot):
    """Header of a new head sector in b[0:28], its first ``slot`` after it (one program)."""
    copy(b, 0, _MAGIC, 0, 4)
    put32(b, 4, base)
    put32(b, 8, epoch)
    copy(b, 12, prev_mac, 0, wire.MAC_LEN)
    put32(b, 20, block_start)
    put_crc(b, _CRC_AT)
    b[ROLLED] = 0xFF
    b[27] = 0xFF
    copy(b, HEADER, slot, 0, wire.SLOT)
