# layout: the log's fixed on-flash records: the sector header, u32 fields, the CRC-16 check.
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

Sector headers, key records (``firmware.log.keys``) and state files (``firmware.log.state``)
are fixed layouts of big-endian u32 fields closed by a CRC-16/CCITT-FALSE
(``wire.fingerprint16``) over the bytes before it. Everything here works on bytes in place and
allocates nothing (a roll, on the tap path, builds a header); ``firmware.log.ring`` reads and
programs the headers. One module rather than two: on littlefs every file costs a 4 KB block.
"""

from compat import const
from firmware import wire

HEADER = const(28)
ROLLED = const(26)  # offset of the "rolled" byte
_CRC_AT = const(24)
_MAGIC = b"HLS1"
# What header_state() finds.
ERASED = const(0)
GOOD = const(1)
BAD = const(2)


def header_state(h):
    """ERASED (all 0xFF), GOOD (magic and CRC right) or BAD: what a header ``h`` is."""
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


def header_base(h):
    return get32(h, 4)


def header_chain(h, mac_out):
    """(epoch, first seq of the open block) at the header's base; prev_mac into ``mac_out``."""
    copy(mac_out, 0, h, 12, wire.MAC_LEN)
    return get32(h, 8), get32(h, 20)


def header_rolled(h):
    return h[ROLLED] != 0xFF


def build_header(b, base, epoch, prev_mac, block_start, slot):
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


# --- fields of any fixed record ---------------------------------------------------------------


def get32(b, o):
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]


def put32(b, o, v):
    b[o] = (v >> 24) & 0xFF
    b[o + 1] = (v >> 16) & 0xFF
    b[o + 2] = (v >> 8) & 0xFF
    b[o + 3] = v & 0xFF


def put_crc(b, n):
    """Write the CRC-16 of b[0:n] at b[n:n+2]."""
    crc = wire.fingerprint16(b, n)
    b[n] = crc >> 8
    b[n + 1] = crc & 0xFF


def crc_ok(b, n):
    """True when b[n:n+2] holds the CRC-16 of b[0:n]."""
    crc = wire.fingerprint16(b, n)
    return b[n] == crc >> 8 and b[n + 1] == crc & 0xFF


def copy(dst, at, src, start, n):
    """dst[at : at+n] = src[start : start+n], without the slice that allocates on MicroPython."""
    for i in range(n):
        dst[at + i] = src[start + i]
