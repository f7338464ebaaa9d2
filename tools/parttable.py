# parttable: ESP-IDF partition tables: hadir's CSV to the binary flashed at 0x8000, and back.
# SPDX-License-Identifier: MIT
"""The binary is what ESP-IDF's ``gen_esp32part.py`` writes (MD5 on, 0xC00 bytes), so no ESP-IDF
is needed: one 32-byte entry per partition -- the bytes ``AA 50``, type u8, subtype u8, offset
u32, size u32 (little-endian), the label NUL-padded to 16 bytes, flags u32 (bit 0 encrypted,
bit 1 read-only) -- then the MD5 entry (``EB EB``, 14 x ``FF``, the MD5 of every entry before
it), then ``FF`` to the end. The bootloader refuses a table whose MD5 entry does not match.

``hadir()`` is the table of ``tools/partitions.csv``; ``OLDER`` the hadir tables fielded
terminals may still carry (by the MD5 of their entries), which ``tools flash`` moves to it
(``tools.migrate``); ``STOCK`` the layout stock MicroPython (ESP32_GENERIC, 4 MiB) flashes, whose
``vfs`` overlaps hadir's ``hlog``.
"""

from __future__ import annotations

import hashlib
import pathlib
import struct
from dataclasses import dataclass

CSV = pathlib.Path(__file__).resolve().parent / "partitions.csv"
OFFSET = 0x8000  # where the bootloader reads the table
TABLE_LEN = 0xC00
_MAGIC = b"\xaa\x50"
_MD5 = b"\xeb\xeb" + b"\xff" * 14
_ENTRY = struct.Struct("<2sBBII16sI")
TYPES = {"app": 0x00, "data": 0x01}
SUBTYPES = {
    0x00: {"factory": 0x00, "test": 0x20, **{f"ota_{i}": 0x10 + i for i in range(16)}},
    0x01: {"ota": 0x00, "phy": 0x01, "nvs": 0x02, "coredump": 0x03, "nvs_keys": 0x04,
           "efuse": 0x05, "undefined": 0x06, "esphttpd": 0x80, "fat": 0x81, "spiffs": 0x82,
           "littlefs": 0x83},
}  # fmt: skip
FLAGS = {"encrypted": 1, "readonly": 2}


class TableError(ValueError):
    """A CSV or binary that is not a valid partition table; the message says where."""


@dataclass(frozen=True)
class Part:
    label: str
    type: int
    subtype: int
    offset: int
    size: int
    flags: int = 0

    @property
    def end(self) -> int:
        return self.offset + self.size


def _number(text: str) -> int:
    text = text.strip()
    scale = {"k": 1024, "m": 1024 * 1024}.get(text[-1:].lower(), 1)
    return int(text[:-1] if scale > 1 else text, 0) * scale


def parse_csv(text: str) -> list[Part]:
    """Rows ``Name, Type, SubType, Offset, Size[, Flags]``; every offset must be given."""
    parts = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cells = [c.strip() for c in line.split(",")] + [""] * 6
        name, kind, sub, offset, size, flags = cells[:6]
        try:
            t = TYPES[kind] if kind in TYPES else _number(kind)
            s = SUBTYPES.get(t, {}).get(sub)
            s = _number(sub) if s is None else s
            f = 0
            for word in filter(None, (w.strip() for w in flags.split(":"))):
                f |= FLAGS[word]
            parts.append(Part(name, t, s, _number(offset), _number(size), f))
        except (KeyError, ValueError, IndexError) as exc:
            raise TableError(f"line {n}: {raw.strip()!r}: {exc}") from None
    check(parts)
    return parts


def check(parts: list[Part], flash_size: int = 4 * 1024 * 1024) -> None:
    end = OFFSET + 0x1000  # the table's own sector
    for p in sorted(parts, key=lambda p: p.offset):
        if not p.label or len(p.label.encode()) > 15:
            raise TableError(f"{p.label!r}: a label is 1 to 15 bytes")
        if p.offset < end:
            raise TableError(f"{p.label}: starts at 0x{p.offset:x}, before 0x{end:x}")
        if p.offset % 0x1000 or p.size % 0x1000 or p.size <= 0:
            raise TableError(f"{p.label}: offset and size must be multiples of 4 KiB")
        if p.type == TYPES["app"] and p.offset % 0x10000:
            raise TableError(f"{p.label}: an app partition starts on a 64 KiB boundary")
        if p.end > flash_size:
            raise TableError(f"{p.label}: ends at 0x{p.end:x}, past the flash")
        end = p.end
    labels = [p.label for p in parts]
    if len(set(labels)) != len(labels):
        raise TableError("labels must be unique")


def to_binary(parts: list[Part]) -> bytes:
    """The 0xC00 bytes flashed at 0x8000."""
    check(parts)
    body = b"".join(
        _ENTRY.pack(_MAGIC, p.type, p.subtype, p.offset, p.size, p.label.encode(), p.flags)
        for p in parts
    )
    body += _MD5 + hashlib.md5(body).digest()
    if len(body) > TABLE_LEN:
        raise TableError("too many partitions")
    return body + b"\xff" * (TABLE_LEN - len(body))


def from_binary(data: bytes) -> list[Part]:
    """Parse a table (the bytes at 0x8000); a wrong MD5 or a broken entry is a TableError."""
    parts: list[Part] = []
    md5_seen = False
    for i in range(0, min(len(data), TABLE_LEN) - 31, 32):
        entry = data[i : i + 32]
        if entry[:2] == _MAGIC:
            _, t, s, offset, size, label, flags = _ENTRY.unpack(entry)
            parts.append(Part(label.rstrip(b"\0").decode(errors="replace"), t, s, offset, size,
                              flags))  # fmt: skip
        elif entry[:16] == _MD5:
            if hashlib.md5(data[:i]).digest() != entry[16:]:
                raise TableError("MD5 entry does not match the table")
            md5_seen = True
        elif entry == b"\xff" * 32:
            break
        else:
            raise TableError(f"no partition entry at 0x{i:x}")
    if not parts:
        raise TableError("no partition table")
    if not md5_seen:
        raise TableError("no MD5 entry")
    return parts


def hadir() -> list[Part]:
    return parse_csv(CSV.read_text())


def by_label(parts: list[Part], label: str) -> Part:
    for p in parts:
        if p.label == label:
            return p
    raise TableError(f"no partition {label!r}")


# What stock MicroPython ESP32_GENERIC (4 MiB) has at 0x8000 (v1.23 to v1.27).
STOCK = [
    Part("nvs", 1, 0x02, 0x9000, 0x6000),
    Part("phy_init", 1, 0x01, 0xF000, 0x1000),
    Part("factory", 0, 0x00, 0x10000, 0x1F0000),
    Part("vfs", 1, 0x81, 0x200000, 0x200000),
]


# hadir tables of earlier releases, keyed by the MD5 digest of their entries (the digest in their
# MD5 entry), never edited: a terminal still carrying one is moved to hadir() by `tools flash`.
OLDER = {
    # 2026-11 to 2026-12: vfs of 256 KiB (64 blocks), too small for any update (docs/hardware.md)
    "4cd1054cc4a6b243c5095b294701cb02": [
        Part("nvs", 1, 0x02, 0x9000, 0x6000),
        Part("phy_init", 1, 0x01, 0xF000, 0x1000),
        Part("factory", 0, 0x00, 0x10000, 0x1F0000),
        Part("hlog", 1, 0x40, 0x200000, 0x1C0000),
        Part("vfs", 1, 0x81, 0x3C0000, 0x40000),
    ],
}


def digest(data: bytes) -> str | None:
    """The MD5 digest a table's MD5 entry carries (hex), None when ``data`` is no valid table."""
    try:
        n = len(from_binary(data))
    except TableError:
        return None
    return data[32 * n + 16 : 32 * n + 32].hex()


def identify(data: bytes) -> tuple[str, list[Part] | None]:
    """What the bytes at 0x8000 are: ("current", hadir()), ("older", its parts), ("stock",
    STOCK), or ("other", the parts found, or None when there is no valid table)."""
    md5 = digest(data)
    if md5 is None:
        return "other", None
    parts = from_binary(data)
    if parts == hadir():
        return "current", parts
    if md5 in OLDER:
        return "older", OLDER[md5]
    if parts == STOCK:
        return "stock", parts
    return "other", parts


WHY = {
    "stock": "tabel stok MicroPython, tanpa hlog / stock MicroPython table, no hlog",
    "older": "tabel hadir lama, vfs terlalu kecil / an older hadir table, vfs too small",
    "no-hlog": "tidak ada partisi hlog / no hlog partition",
    "different": "partisi lain dari tools/partitions.csv / not the partitions of the CSV",
}


def diagnose(found: list[tuple[str, int, int, int, int]]) -> str | None:
    """What is wrong with the partitions a device reports (label, type, subtype, offset, size),
    compared with hadir's table: None when they match; "stock" for stock MicroPython's layout;
    "older" for a table of an earlier hadir release; "no-hlog" when there is no log partition;
    else "different"."""
    have = {(p[0], p[3], p[4]) for p in found}

    def data_parts(parts: list[Part]) -> set[tuple[str, int, int]]:
        return {(p.label, p.offset, p.size) for p in parts if p.type == TYPES["data"]}

    if data_parts(hadir()) <= have:
        return None
    if any(data_parts(parts) <= have for parts in OLDER.values()):
        return "older"
    if data_parts(STOCK) <= have:
        return "stock"
    if not any(p[0] == "hlog" for p in found):
        return "no-hlog"
    return "different"
