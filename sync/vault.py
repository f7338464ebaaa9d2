# vault: secrets at rest under the collector's master key, card tokens, password hashes.
# SPDX-License-Identifier: MIT
"""Everything secret the collector holds goes through here.

- ``Vault(master_key).seal(purpose, data)`` / ``open(purpose, blob)``: AES-256-GCM with a random
  96-bit nonce; ``purpose`` (e.g. ``b"k0:7"``) is the associated data, so a ciphertext copied into
  another row or column does not decrypt.
- ``uid_hash(uid)``: a keyed hash (HMAC-SHA256 under a key derived from the master key) to find a
  card by UID without storing the UID in clear.
- ``card_tokens(card_key, uids)``: wire tokens, AES-128-ECB over ``wire.identity16`` with the
  ``cryptography`` package (one ECB call for many UIDs).
- ``hash_password`` / ``verify_password``: argon2id; checking a password of a user that does not
  exist costs one verification too, so its time does not tell which user names exist.

The master key is 32 bytes: ``HADIR_MASTER_KEY`` (64 hex characters) or a file holding them.
Nothing here logs or formats a secret.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import struct

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from firmware import wire


class VaultError(Exception):
    """A master key that is missing or malformed, or a ciphertext that does not open."""


def parse_master_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise VaultError("master key must be 64 hex characters") from None
    if len(key) != 32:
        raise VaultError("master key must be 64 hex characters (32 bytes)")
    return key


def load_master_key(path: str | None = None) -> bytes:
    """From ``path`` if given, else from env ``HADIR_MASTER_KEY``."""
    if path:
        try:
            with open(path, encoding="ascii") as f:
                return parse_master_key(f.read())
        except OSError as exc:
            raise VaultError(f"cannot read master key file {path}: {exc.strerror}") from None
    env = os.environ.get("HADIR_MASTER_KEY")
    if not env:
        raise VaultError("no master key: set HADIR_MASTER_KEY or pass --master-key-file")
    return parse_master_key(env)


def derived_key(master_key: bytes, label: bytes) -> bytes:
    """A 32-byte key for one use (``label``) of the master key; it reveals nothing of it."""
    return hmac.new(master_key, b"hadir-" + label, hashlib.sha256).digest()


class Vault:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise VaultError("master key must be 32 bytes")
        self._aead = AESGCM(hashlib.sha256(b"hadir-vault-aead" + master_key).digest())
        self._uid_key = hashlib.sha256(b"hadir-vault-uid" + master_key).digest()

    def seal(self, purpose: bytes, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, bytes(data), purpose)

    def open(self, purpose: bytes, blob: bytes) -> bytes:
        blob = bytes(blob)
        try:
            return self._aead.decrypt(blob[:12], blob[12:], purpose)
        except Exception:
            raise VaultError("a stored secret does not open: wrong master key?") from None

    def uid_hash(self, uid: bytes) -> bytes:
        return hmac.new(self._uid_key, bytes(uid), hashlib.sha256).digest()


def card_tokens(card_key: bytes, uids: list[bytes]) -> list[int]:
    """The wire token of each UID under one rusun's card key (docs/protocol.md, card token)."""
    if not uids:
        return []
    data = b"".join(wire.identity16(uid) for uid in uids)
    enc = Cipher(algorithms.AES(card_key), modes.ECB()).encryptor()
    out = enc.update(data) + enc.finalize()
    return [struct.unpack_from(">I", out, 16 * i)[0] for i in range(len(uids))]


_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@functools.cache
def _no_such_user() -> str:
    return hash_password("hadir-no-such-user")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the argon2id hash ``stored``; ``stored`` None (no such user)
    still runs one verification, against a hash nobody's password matches."""
    try:
        return _HASHER.verify(stored or _no_such_user(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
