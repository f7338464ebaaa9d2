# fields: big-endian u32 fields and the CRC-16 check of the log's fixed-size records.
# SPDX-License-Identifier: MIT
"""Sector headers (``firmware.log.ring``), key records (``firmware.log.keys``) and state files
(``firmware.log.state``) are fixed layouts of u32 fields closed by a CRC-16/CCITT-FALSE
(``wire.fingerprint16``) over the bytes before it. These helpers write and check them in place:
no allocation (a sector roll, on the tap path, writes a header)."""

from firmware import wire


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
