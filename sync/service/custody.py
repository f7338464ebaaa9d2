# custody: the master key split among officers (Shamir k-of-n, SLIP-39), put together, rotated.
# SPDX-License-Identifier: MIT
"""The master key encrypts every secret (``sync.vault``); losing it means re-provisioning every
terminal, and one person holding it alone is one person too many. So:

- ``split(key, k, n)``: ``n`` shares, any ``k`` of which give the key back, none fewer tell
  anything of it (Shamir's scheme, as SLIP-39 mnemonics from Trezor's ``shamir-mnemonic``: 33
  words each, with a checksum that catches a mistyped word). Losing ``n - k`` shares loses
  nothing.
- ``combine(shares)``: the key again (refused with one line if the shares do not agree).
- ``key_id(key)``: 8 hex digits that name a key without revealing it (shown with each share and
  in every backup's header), so the officers see which key their shares make.
- ``rotate(c, new_key)``: every secret re-encrypted under a new key in one transaction (terminal
  K0 and chain keys, card keys, card UIDs and their keyed hashes), the acknowledged-batch journal
  too; the old key opens nothing written after. docs/privacy.md, "Master key custody", is the
  ceremony.
"""

from __future__ import annotations

import hashlib
import os

import shamir_mnemonic

from sync.service import cardkeys
from sync.service.collector import Collector
from sync.store import secrets
from sync.vault import Vault, VaultError, derived_key


def key_id(key: bytes) -> str:
    return hashlib.sha256(derived_key(key, b"key-id")).hexdigest()[:8]


def split(key: bytes, threshold: int, shares: int) -> list[str]:
    if not 1 <= threshold <= shares <= 16:
        raise VaultError("perlu 1 <= k <= n <= 16 / need 1 <= k <= n <= 16")
    if threshold == 1 and shares > 1:
        raise VaultError("k = 1: setiap bagian adalah kunci / every share would be the key")
    (group,) = shamir_mnemonic.generate_mnemonics(1, [(threshold, shares)], key)
    return list(group)


def combine(mnemonics: list[str]) -> bytes:
    try:
        key = shamir_mnemonic.combine_mnemonics([" ".join(m.split()) for m in mnemonics])
    except shamir_mnemonic.MnemonicError as exc:
        raise VaultError(f"bagian kunci tidak cocok / shares do not make a key: {exc}") from None
    if len(key) != 32:
        raise VaultError("bagian kunci bukan kunci induk / shares are not of a master key")
    return key


def new_key() -> bytes:
    return os.urandom(32)


def rotate(c: Collector, new: bytes) -> dict[str, int]:
    """Re-encrypt every secret under ``new``; counts of what was rewritten. The collector
    must be stopped (a running one would go on writing under the old key)."""
    old, fresh = c.vault, Vault(new)
    counts = {"terminals": 0, "card_keys": 0, "cards": 0, "journal_entries": 0}
    with c.db.write() as tx:
        for tid, gen, k0_enc, key_enc in secrets.terminal_keys(tx):
            k0 = old.open(b"k0:%d:%d" % (tid, gen), k0_enc)
            chain = None
            if key_enc is not None:
                key = old.open(b"key:%d:%d" % (tid, gen), key_enc)
                chain = fresh.seal(b"key:%d:%d" % (tid, gen), key)
            secrets.set_terminal_keys(tx, tid, fresh.seal(b"k0:%d:%d" % (tid, gen), k0), chain)
            counts["terminals"] += 1
        for rusun_id, gen, key_enc in secrets.card_keys(tx):
            purpose = cardkeys.purpose(rusun_id, gen)
            card_key = old.open(purpose, key_enc)
            secrets.set_card_key(tx, rusun_id, gen, fresh.seal(purpose, card_key))
            counts["card_keys"] += 1
        rows = []
        for card_id, uid_hash, uid_enc in secrets.card_uids(tx):
            uid = old.open(b"uid:" + bytes(uid_hash), uid_enc)
            h = fresh.uid_hash(uid)
            rows.append((card_id, h, fresh.seal(b"uid:" + h, uid)))
        secrets.set_card_uids(tx, rows)
        counts["cards"] = len(rows)
        if c.journal is not None:  # new files beside the old, renamed once this commits
            resealed = c.journal.reseal(fresh)
            counts["journal_entries"] = resealed.entries
    if c.journal is not None:
        resealed.swap()
    c.vault = fresh
    return counts
