# service_admin: terminal registry and keys, rusun, residents and cards import, admin users.
# SPDX-License-Identifier: MIT
"""Registry functions of a ``Collector`` (``sync.service``); each is one transaction.

    bundle = add_terminal(c, rusun="Marunda", door=1, collector_url="http://10.0.0.5:8000")
    write_bundle(bundle, "t7.json")          # mode 0600: it holds K0 and the card key
    report = import_residents(c, open("residents.csv", encoding="utf-8"))

Errors are ``AdminError`` with one clear line (Bahasa Indonesia first, then English).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from firmware import wire
from sync.service.ingest import Collector, default_config_json
from sync.store import registry as store
from sync.store.db import Tx
from sync.vault import card_tokens, hash_password, verify_password

BUNDLE_FORMAT = "hadir-provision-1"
ROLES = ("admin", "viewer")
CSV_COLUMNS = ("resident_id", "name", "unit", "rusun", "card_uid")


class AdminError(Exception):
    """A registry request that cannot be done; the message is one line for the admin."""


def _card_key(c: Collector, rusun_row: tuple) -> bytes:
    return c.vault.open(b"card_key:%d" % rusun_row[0], rusun_row[2])


def ensure_rusun(c: Collector, tx: Tx, name: str) -> tuple:
    """The rusun row, created with a fresh card key when new (every stored card gets a token
    there; an import in progress adds its own cards' tokens at its end)."""
    row = store.rusun_by_name(tx, name)
    if row is not None:
        return row
    if not name.strip():
        raise AdminError("nama rusun kosong / empty rusun name")
    # The id is needed for the associated data: insert with a placeholder, then seal.
    rid = store.insert_rusun(tx, name, b"")
    key = secrets.token_bytes(16)
    store.set_rusun_card_key(tx, rid, c.vault.seal(b"card_key:%d" % rid, key))
    cards = store.cards_all(tx)
    if cards:
        uids = [c.vault.open(b"uid:" + bytes(h), enc) for _cid, h, enc in cards]
        toks = card_tokens(key, uids)
        store.insert_card_tokens(tx, [(rid, tok, card[0]) for card, tok in zip(cards, toks)])
    row = store.rusun_by_name(tx, name)
    assert row is not None
    return row


# --- terminals -----------------------------------------------------------------------------------


def add_terminal(
    c: Collector, rusun: str, door: int, tid: int | None = None, collector_url: str = ""
) -> dict[str, Any]:
    """Register a terminal; returns the provisioning bundle (shown once: it holds K0)."""
    if not 0 <= door <= 255:
        raise AdminError("nomor pintu harus 0-255 / door must be 0-255")
    k0 = secrets.token_bytes(32)
    with c.db.write() as tx:
        r = ensure_rusun(c, tx, rusun)
        if tid is None:
            tid = store.next_terminal_id(tx)
        elif store.terminal(tx, tid) is not None:
            raise AdminError(f"terminal {tid} sudah ada / terminal {tid} already exists")
        if not 0 < tid < 1 << 32:
            raise AdminError("id terminal harus 1..2^32-1 / terminal id must be 1..2^32-1")
        store.insert_terminal(
            tx, tid, r[0], door, c.vault.seal(b"k0:%d:0" % tid, k0), default_config_json(), c.now()
        )
        card_key = _card_key(c, r)
    return _bundle(tid, rusun, door, k0, card_key, collector_url)


def _bundle(tid: int, rusun: str, door: int, k0: bytes, card_key: bytes, url: str) -> dict:
    return {
        "format": BUNDLE_FORMAT,
        "terminal_id": tid,
        "rusun": rusun,
        "door": door,
        "k0": k0.hex(),
        "card_key": card_key.hex(),
        "collector_url": url,
        "ca_pin": None,
    }


def write_bundle(bundle: dict[str, Any], path: str) -> None:
    """Write the bundle JSON with mode 0600 (created so; never world-readable, even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(bundle, f, indent=1)
        f.write("\n")
    os.chmod(path, 0o600)


def list_terminals(c: Collector) -> list[dict[str, Any]]:
    """Public fields only (no key material)."""
    with c.db.read() as tx:
        rows = store.terminals(tx)
        out = []
        for t in rows:
            health = store.latest_health(tx, t["id"])
            out.append(
                {
                    "id": t["id"],
                    "rusun": t["rusun"],
                    "door": t["door"],
                    "status": t["status"],
                    "generation": t["gen"],
                    "acked": t["acked"],
                    "last_seen": t["last_seen"],
                    "config_version": t["config_version"],
                    "allowlist_version": t["allowlist_version"],
                    "backlog_slots": health["backlog_slots"] if health else None,
                }
            )
    return out


def _existing(tx: Tx, tid: int) -> dict[str, Any]:
    t = store.lock_terminal(tx, tid)
    if t is None:
        raise AdminError(f"terminal {tid} tidak dikenal / unknown terminal {tid}")
    return t


def revoke_terminal(c: Collector, tid: int) -> None:
    with c.db.write() as tx:
        _existing(tx, tid)
        store.set_terminal_status(tx, tid, "revoked", c.now())
        store.insert_alert(tx, tid, "revoked", "terminal revoked by an admin", c.now())
    c.forget(tid)


def rotate_terminal(c: Collector, tid: int, collector_url: str = "") -> dict[str, Any]:
    """A new K0 and a new generation (the re-provisioned terminal starts a fresh log at seq 0);
    records of earlier generations stay. Returns the new bundle."""
    k0 = secrets.token_bytes(32)
    with c.db.write() as tx:
        t = _existing(tx, tid)
        store.rotate_terminal(tx, tid, c.vault.seal(b"k0:%d:%d" % (tid, t["gen"] + 1), k0))
        store.insert_alert(tx, tid, "rotated", f"new key, generation {t['gen'] + 1}", c.now())
        r = store.rusun_by_name(tx, t["rusun"])
        assert r is not None
        card_key = _card_key(c, r)
    c.forget(tid)
    return _bundle(tid, t["rusun"], t["door"], k0, card_key, collector_url)


def set_config(c: Collector, tid: int, settings: dict[str, Any]) -> int:
    """Replace the settings sent to a terminal; returns the new config version."""
    with c.db.write() as tx:
        t = _existing(tx, tid)
        merged = json.loads(t["config_json"])
        merged.update(settings)
        store.set_terminal_config(tx, tid, json.dumps(merged, sort_keys=True))
        return t["config_version"] + 1


# --- residents and cards -------------------------------------------------------------------------


@dataclass
class ImportReport:
    residents: int = 0
    cards: int = 0
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)


def parse_uid(text: str) -> bytes:
    text = text.strip().replace(":", "").replace(" ", "")
    try:
        uid = bytes.fromhex(text)
    except ValueError:
        raise AdminError(f"UID bukan heksadesimal / UID is not hex: {text[:2]}…") from None
    if not 4 <= len(uid) <= 10:
        raise AdminError("UID harus 4-10 byte / UID must be 4-10 bytes")
    return uid


def import_residents(c: Collector, lines: Iterable[str]) -> ImportReport:
    """Import ``resident_id,name,unit,rusun,card_uid`` rows (one transaction). A refused row is
    reported with its line number and reason; the rest are imported. Optional columns ``atqa``,
    ``sak``, ``ats`` (hex) give the card's allow-list fingerprint."""
    reader = csv.DictReader(lines)
    missing = [col for col in CSV_COLUMNS if col not in (reader.fieldnames or [])]
    if missing:
        raise AdminError(f"kolom CSV hilang / missing CSV columns: {', '.join(missing)}")
    report = ImportReport()
    now = c.now()
    with c.db.write() as tx:
        state = _Import(c, tx, now, report)
        for lineno, row in enumerate(reader, start=2):
            try:
                state.row(row)
            except AdminError as exc:
                report.refused.append(f"baris/line {lineno}: {exc}")
        state.finish()
    return report


class _Import:
    """One import: caches rusun and keys, and adds every new card's token under every rusun's
    key at the end (one AES-ECB call per rusun)."""

    def __init__(self, c: Collector, tx: Tx, now: int, report: ImportReport) -> None:
        self.c, self.tx, self.now, self.report = c, tx, now, report
        self.rusun: dict[str, tuple] = {}
        self.keys: dict[int, bytes] = {}
        self.pending: dict[bytes, bytes] = {}  # new card's uid_hash -> UID
        self.new_residents: dict[str, tuple] = {}
        self.updated_residents: dict[str, tuple] = {}
        self.new_cards: dict[bytes, list] = {}
        self.changed: set[int] = set()
        self.units = store.units_index(tx)
        self.residents = store.resident_ids(tx)
        self.cards = store.cards_index(tx)
        self.home_tokens = {(v[1], v[4]) for v in self.cards.values() if v[5] == "active"}

    def _rusun(self, name: str) -> tuple:
        r = self.rusun.get(name)
        if r is None:
            r = self.rusun[name] = ensure_rusun(self.c, self.tx, name)
            self.keys[r[0]] = _card_key(self.c, r)
        return r

    def row(self, row: dict[str, str]) -> None:
        c, tx = self.c, self.tx
        if any("\x00" in (v or "") for v in row.values() if isinstance(v, str)):
            raise AdminError("karakter NUL di baris / NUL character in the row")
        rid_text = (row.get("resident_id") or "").strip()
        name = (row.get("name") or "").strip()
        unit_name = (row.get("unit") or "").strip()
        rusun_name = (row.get("rusun") or "").strip()
        if not (rid_text and name and unit_name and rusun_name):
            raise AdminError("kolom kosong / empty field")
        uid = parse_uid(row.get("card_uid") or "")
        if wire.is_random_uid(len(uid), uid[0]):
            raise AdminError(
                "UID acak (kartu/ponsel), tidak bisa didaftarkan / random UID refused"
            )
        fingerprint = _fingerprint(uid, row)
        r = self._rusun(rusun_name)
        unit = self.units.get((r[0], unit_name))
        uid_hash = c.vault.uid_hash(uid)
        card = self.cards.get(uid_hash)
        if card is not None and card[5] == "active" and (card[1], card[2]) != (r[0], unit):
            raise AdminError(
                "kartu sudah terdaftar di unit lain / card already bound to another unit"
            )
        if card is not None and card[3] != rid_text:
            raise AdminError("kartu milik penghuni lain / card belongs to another resident")
        token = None
        if card is None:
            token = card_tokens(self.keys[r[0]], [uid])[0]
            if (r[0], token) in self.home_tokens:
                raise AdminError(
                    "token kartu bentrok di rusun ini / card token collides in this rusun"
                )
        if unit is None:
            unit = self.units[(r[0], unit_name)] = store.insert_unit(tx, r[0], unit_name)
        resident = (rid_text, name, unit, r[0], self.now)
        if rid_text in self.new_residents or rid_text not in self.residents:
            if rid_text not in self.new_residents:
                self.report.residents += 1
            self.new_residents[rid_text] = resident
        else:
            self.updated_residents[rid_text] = resident
        if card is not None:
            if fingerprint is not None:
                if card[0] is None:  # a card of this import, not inserted yet
                    self.new_cards[uid_hash][6] = fingerprint
                else:
                    store.set_card_fingerprint(tx, card[0], fingerprint)
                self.changed.add(r[0])
            self.report.unchanged += 1
            return
        assert token is not None
        uid_enc = c.vault.seal(b"uid:" + uid_hash, uid)
        self.new_cards[uid_hash] = [uid_hash, uid_enc, r[0], unit, rid_text, token, fingerprint]
        self.pending[uid_hash] = uid
        self.home_tokens.add((r[0], token))
        self.cards[uid_hash] = (None, r[0], unit, rid_text, token, "active")
        self.changed.add(r[0])
        self.report.cards += 1

    def finish(self) -> None:
        """The deferred writes, in bulk: residents, cards, each card's token under every rusun."""
        tx = self.tx
        store.insert_residents(tx, list(self.new_residents.values()))
        for rid_text, name, unit, rusun_id, now in self.updated_residents.values():
            store.upsert_resident(tx, rid_text, name, unit, rusun_id, now, new=False)
        store.insert_cards(tx, [row + [self.now] for row in self.new_cards.values()])
        if self.pending:
            ids = {h: v[0] for h, v in store.cards_index(tx).items()}
            hashes = list(self.pending)
            uids = [self.pending[h] for h in hashes]
            rows = []
            for other in store.rusun_all(tx):
                key = self.keys.get(other[0]) or _card_key(self.c, other)
                toks = card_tokens(key, uids)
                rows += [(other[0], tok, ids[h]) for h, tok in zip(hashes, toks)]
            store.insert_card_tokens(tx, rows)
        for rusun_id in self.changed:
            store.bump_allowlist(tx, rusun_id)


def _fingerprint(uid: bytes, row: dict[str, str]) -> int | None:
    atqa, sak = (row.get("atqa") or "").strip(), (row.get("sak") or "").strip()
    if not atqa or not sak:
        return None
    try:
        data = uid + bytes.fromhex(atqa) + bytes.fromhex(sak) + bytes.fromhex(row.get("ats") or "")
    except ValueError:
        raise AdminError("atqa/sak/ats bukan heksadesimal / not hex") from None
    return wire.fingerprint16(data, len(data))


def _rusun_filter(tx: Tx, rusun: str | None) -> int | None:
    if rusun is None:
        return None
    row = store.rusun_by_name(tx, rusun)
    if row is None:
        raise AdminError(f"rusun tidak dikenal / unknown rusun: {rusun}")
    return row[0]


def list_residents(c: Collector, rusun: str | None = None) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        return store.residents_list(tx, _rusun_filter(tx, rusun))


def list_cards(c: Collector, rusun: str | None = None) -> list[dict[str, Any]]:
    """Cards with their home token (hex) and fingerprint; never the UID."""
    with c.db.read() as tx:
        rows = store.cards_list(tx, _rusun_filter(tx, rusun))
    for row in rows:
        row["token"] = "%08X" % row["token"]
    return rows


def revoke_card(c: Collector, uid: bytes) -> None:
    with c.db.write() as tx:
        card = store.card_by_uid_hash(tx, c.vault.uid_hash(uid))
        if card is None:
            raise AdminError("kartu tidak dikenal / unknown card")
        store.set_card_status(tx, card[0], "revoked")
        store.bump_allowlist(tx, card[1])


# --- admin users ---------------------------------------------------------------------------------


@dataclass
class User:
    name: str
    role: str
    rusun: list[str]


def add_user(c: Collector, name: str, password: str, role: str, rusun: list[str]) -> None:
    if role not in ROLES:
        raise AdminError(f"peran harus admin atau viewer / role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise AdminError("kata sandi minimal 8 karakter / password needs at least 8 characters")
    if not name or any(ch in name for ch in ": \t\n"):
        raise AdminError("nama pengguna tidak sah / invalid user name")
    with c.db.write() as tx:
        for r in rusun:
            if store.rusun_by_name(tx, r) is None:
                raise AdminError(f"rusun tidak dikenal / unknown rusun: {r}")
        store.upsert_user(tx, name, hash_password(password), role, ",".join(rusun), c.now())


_VERIFIED: dict[bytes, bool] = {}  # HTTP basic sends the password every request: argon2 once


def authenticate(c: Collector, name: str, password: str) -> User | None:
    """The user if the password is right (argon2id), else None. A successful check is remembered
    (as a SHA-256 of the stored hash and the password) so each request does not pay argon2."""
    with c.db.read() as tx:
        row = store.user(tx, name)
    if row is None:
        return None
    memo = hashlib.sha256(row[1].encode() + b"\0" + password.encode()).digest()
    if memo not in _VERIFIED:
        if not verify_password(row[1], password):
            return None
        if len(_VERIFIED) > 1024:
            _VERIFIED.clear()
        _VERIFIED[memo] = True
    return User(row[0], row[2], [r for r in row[3].split(",") if r])


def issue_token(c: Collector, name: str) -> str:
    """A new API bearer token for a user (shown once; only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    with c.db.write() as tx:
        if store.user(tx, name) is None:
            raise AdminError(f"pengguna tidak dikenal / unknown user: {name}")
        store.insert_token(tx, hashlib.sha256(token.encode()).digest(), name, c.now())
    return token


def user_for_token(c: Collector, token: str) -> User | None:
    with c.db.read() as tx:
        row = store.user_by_token(tx, hashlib.sha256(token.encode()).digest())
    if row is None:
        return None
    return User(row[0], row[2], [r for r in row[3].split(",") if r])


def list_users(c: Collector) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        rows = store.users(tx)
    return [
        {"name": n, "role": r, "rusun": [x for x in ru.split(",") if x]} for n, r, ru, _ in rows
    ]
