# backupfile: a backup's encrypted file: AES-256-GCM in chunks, under a key from the master key.
# SPDX-License-Identifier: MIT
"""Layout: ``HADIRBAK1\\n``, one line of JSON (the header: database kind, when, schema version,
the key's id, the nonce prefix), then chunks, each a 4-byte big-endian length and an AES-GCM
ciphertext of at most ``CHUNK`` bytes of the plain copy. Chunk ``i``'s nonce is the 8-byte prefix
and ``i``; its associated data binds the header, ``i`` and whether it is the last: a chunk moved,
dropped, or a file cut short does not open. The key is derived from the master key (label
``backup``); the key id (8 hex digits of its SHA-256) tells a wrong master key from damage.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sync.vault import derived_key

MAGIC = b"HADIRBAK1\n"
CHUNK = 4 * 1024 * 1024


class BackupFileError(Exception):
    """A backup file that is not one, was made under another master key, or is damaged."""


def _key(master_key: bytes) -> tuple[AESGCM, str]:
    key = derived_key(master_key, b"backup")
    return AESGCM(key), hashlib.sha256(key).hexdigest()[:8]


def _aad(head: bytes, index: int, last: bool) -> bytes:
    return hashlib.sha256(head).digest() + struct.pack(">IB", index, last)


def seal(master_key: bytes, plain: BinaryIO, out: BinaryIO, header: dict[str, Any]) -> None:
    aead, key_id = _key(master_key)
    prefix = os.urandom(8)
    head = json.dumps({**header, "key_id": key_id, "nonce": prefix.hex()}, sort_keys=True)
    head_bytes = head.encode()
    out.write(MAGIC + head_bytes + b"\n")
    index = 0
    chunk = plain.read(CHUNK)
    while True:
        following = plain.read(CHUNK)
        last = not following
        nonce = prefix + struct.pack(">I", index)
        sealed = aead.encrypt(nonce, chunk, _aad(head_bytes, index, last))
        out.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        index, chunk = index + 1, following


def header(src: BinaryIO) -> tuple[dict[str, Any], bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupFileError("bukan berkas cadangan hadir / not a hadir backup file")
    line = src.readline(4096)
    try:
        head = json.loads(line)
    except ValueError:
        raise BackupFileError("kepala cadangan rusak / damaged backup header") from None
    if not isinstance(head, dict):
        raise BackupFileError("kepala cadangan rusak / damaged backup header")
    return head, line.rstrip(b"\n")


def open_into(master_key: bytes, src: BinaryIO, plain: BinaryIO) -> dict[str, Any]:
    """Decrypt ``src`` into ``plain``; the header. Every chunk is checked, the last one too."""
    head, head_bytes = header(src)
    aead, key_id = _key(master_key)
    if head.get("key_id") != key_id:
        raise BackupFileError(
            "cadangan ini dibuat dengan kunci induk lain / this backup was made under another "
            "master key"
        )
    prefix = bytes.fromhex(str(head.get("nonce", "")))
    index = 0
    while True:
        size = src.read(4)
        if len(size) != 4:
            raise BackupFileError("cadangan terpotong / backup file cut short")
        sealed = src.read(struct.unpack(">I", size)[0])
        nonce = prefix + struct.pack(">I", index)
        for last in (True, False):
            try:
                data = aead.decrypt(nonce, sealed, _aad(head_bytes, index, last))
                break
            except InvalidTag:
                continue
        else:
            raise BackupFileError(f"cadangan rusak / backup damaged (chunk {index})")
        plain.write(data)
        if last:
            if src.read(1):
                raise BackupFileError("data setelah akhir cadangan / data after the backup's end")
            return head
        index += 1
