# admin: the registry admins keep: terminals and their keys, rusun, residents and their cards.
# SPDX-License-Identifier: MIT
"""Functions of a ``Collector`` (``sync.service.collector``); each is one transaction.

    bundle = add_terminal(c, rusun="Marunda", door=1, collector_url="http://10.0.0.5:8000")
    write_bundle(bundle, "t7.json")          # mode 0600: it holds K0 and the card key
    report = import_residents(c, open("residents.csv", encoding="utf-8"))

Errors are ``AdminError`` with one clear line (Bahasa Indonesia first, then English); the other
admin services (``accounts``, ``reports``) raise it too.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from firmware import wire
from sync.service.collector import Collector
from sync.service.downlink import default_config_json
from sync.store import alert_log, residents, terminals
from sync.store.db import Tx
from sync.store.residents import Card, Rusun
from sync.vault import card_tokens

BUNDLE_FORMAT = "hadir-provision-1"
CSV_COLUMNS = ("resident_id", "name", "unit", "rusun", "card_uid")


class AdminError(Exception):
    """An admin request that cannot be done; the message is one line for the admin."""


def _card_key(c: Collector, r: Rusun) -> bytes:
    return c.vault.open(b"card_key:%d" % r.id, r.card_key_enc)


def rusun_id(tx: Tx, name: str | None) -> int | None:
    """The id of the rusun called ``name`` (None: no rusun asked for); unknown → ``AdminError``."""
    if name is None:
        return None
    r = residents.rusun_by_name(tx, name)
    if r is None:
        raise AdminError(f"rusun tidak dikenal / unknown rusun: {name}")
    return r.id


def ensure_rusun(c: Collector, tx: Tx, name: str) -> Rusun:
    """The rusun row, created with a fresh card key when new (every stored card gets a token
    there; an import in progress adds its own cards' tokens at its end)."""
    row = residents.rusun_by_name(tx, name)
    if row is not None:
        return row
    if not name.strip():
        raise AdminError("nama rusun kosong / empty rusun name")
    # The id is needed for the associated data: insert with a placeholder, then seal.
    rid = residents.insert_rusun(tx, name, b"")
    key = secrets.token_bytes(16)
    residents.set_rusun_card_key(tx, rid, c.vault.seal(b"card_key:%d" % rid, key))
    cards = residents.cards_all(tx)
    if cards:
        uids = [c.vault.open(b"uid:" + h, enc) for _cid, h, enc in cards]
        toks = card_tokens(key, uids)
        rows = [(rid, tok, card_id) for (card_id, _h, _e), tok in zip(cards, toks)]
        residents.insert_card_tokens(tx, rows)
    row = residents.rusun_by_name(tx, name)
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
            tid = terminals.next_terminal_id(tx)
        elif terminals.terminal(tx, tid) is not None:
            raise AdminError(f"terminal {tid} sudah ada / terminal {tid} already exists")
        if not 0 < tid < 1 << 32:
            raise AdminError("id terminal harus 1..2^32-1 / terminal id must be 1..2^32-1")
        k0_enc = c.vault.seal(b"k0:%d:0" % tid, k0)
        terminals.insert_terminal(tx, tid, r.id, door, k0_enc, default_config_json(), c.now())
        card_key = _card_key(c, r)
    return _bundle(tid, rusun, door, k0, card_key, collector_url, c.ca_pem)


def _bundle(tid: int, rusun: str, door: int, k0: bytes, card_key: bytes, url: str,
            ca_pem: str | None) -> dict:  # fmt: skip
    """``ca_pin``: for an https collector, the CA certificate (PEM) the terminal will pin,
    written into its config.json by provisioning; None for http."""
    if url.startswith("https://") and not ca_pem:
        raise AdminError(
            "https butuh sertifikat CA yang dipin terminal (--ca-cert / HADIR_CA_CERT) / "
            "https needs the CA certificate terminals pin (--ca-cert / HADIR_CA_CERT)"
        )
    return {
        "format": BUNDLE_FORMAT,
        "terminal_id": tid,
        "rusun": rusun,
        "door": door,
        "k0": k0.hex(),
        "card_key": card_key.hex(),
        "collector_url": url,
        "ca_pin": ca_pem if url.startswith("https://") else None,
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
        rows = terminals.terminals(tx)
        out = []
        for t in rows:
            health = terminals.latest_health(tx, t["id"])
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
    t = terminals.lock_terminal(tx, tid)
    if t is None:
        raise AdminError(f"terminal {tid} tidak dikenal / unknown terminal {tid}")
    return t


def revoke_terminal(c: Collector, tid: int) -> None:
    with c.db.write() as tx:
        _existing(tx, tid)
        terminals.set_terminal_status(tx, tid, "revoked", c.now())
        alert_log.add(tx, tid, "revoked", "terminal revoked by an admin", c.now())
    c.keys.forget(tid)


def rotate_terminal(c: Collector, tid: int, collector_url: str = "") -> dict[str, Any]:
    """A new K0 and a new generation (the re-provisioned terminal starts a fresh log at seq 0);
    records of earlier generations stay. Returns the new bundle."""
    k0 = secrets.token_bytes(32)
    with c.db.write() as tx:
        t = _existing(tx, tid)
        terminals.rotate_terminal(tx, tid, c.vault.seal(b"k0:%d:%d" % (tid, t["gen"] + 1), k0))
        alert_log.add(tx, tid, "rotated", f"new key, generation {t['gen'] + 1}", c.now())
        r = residents.rusun_by_name(tx, t["rusun"])
        assert r is not None
        card_key = _card_key(c, r)
    c.keys.forget(tid)
    return _bundle(tid, t["rusun"], t["door"], k0, card_key, collector_url, c.ca_pem)


def set_config(c: Collector, tid: int, settings: dict[str, Any]) -> int:
    """Replace the settings sent to a terminal; returns the new config version."""
    with c.db.write() as tx:
        t = _existing(tx, tid)
        merged = json.loads(t["config_json"])
        merged.update(settings)
        terminals.set_terminal_config(tx, tid, json.dumps(merged, sort_keys=True))
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
        self.rusun: dict[str, Rusun] = {}
        self.keys: dict[int, bytes] = {}
        self.pending: dict[bytes, bytes] = {}  # new card's uid_hash -> UID
        # resident id -> (resident_id, name, unit_id, rusun_id, registered_at)
        self.new_residents: dict[str, tuple[str, str, int, int, int]] = {}
        self.updated_residents: dict[str, tuple[str, str, int, int, int]] = {}
        self.new_cards: dict[bytes, list] = {}  # uid_hash -> a cards row (residents.insert_cards)
        self.changed: set[int] = set()  # rusun whose allow-list changed
        self.units = residents.units_index(tx)
        self.residents = residents.resident_ids(tx)
        self.cards = residents.cards_index(tx)
        self.home_tokens = {
            (v.rusun_id, v.token) for v in self.cards.values() if v.status == "active"
        }

    def _rusun(self, name: str) -> Rusun:
        r = self.rusun.get(name)
        if r is None:
            r = self.rusun[name] = ensure_rusun(self.c, self.tx, name)
            self.keys[r.id] = _card_key(self.c, r)
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
        unit = self.units.get((r.id, unit_name))
        uid_hash = c.vault.uid_hash(uid)
        card = self.cards.get(uid_hash)
        active = card if card is not None and card.status == "active" else None
        if active is not None and (active.rusun_id, active.unit_id) != (r.id, unit):
            raise AdminError(
                "kartu sudah terdaftar di unit lain / card already bound to another unit"
            )
        if card is not None and card.resident_id != rid_text:
            raise AdminError("kartu milik penghuni lain / card belongs to another resident")
        token = None
        if card is None:
            token = card_tokens(self.keys[r.id], [uid])[0]
            if (r.id, token) in self.home_tokens:
                raise AdminError(
                    "token kartu bentrok di rusun ini / card token collides in this rusun"
                )
        if unit is None:
            unit = self.units[(r.id, unit_name)] = residents.insert_unit(tx, r.id, unit_name)
        resident = (rid_text, name, unit, r.id, self.now)
        if rid_text in self.new_residents or rid_text not in self.residents:
            if rid_text not in self.new_residents:
                self.report.residents += 1
            self.new_residents[rid_text] = resident
        else:
            self.updated_residents[rid_text] = resident
        if card is not None:
            if fingerprint is not None:
                if card.id is None:  # a card of this import, not inserted yet
                    self.new_cards[uid_hash][6] = fingerprint
                else:
                    residents.set_card_fingerprint(tx, card.id, fingerprint)
                self.changed.add(r.id)
            self.report.unchanged += 1
            return
        assert token is not None
        uid_enc = c.vault.seal(b"uid:" + uid_hash, uid)
        self.new_cards[uid_hash] = [uid_hash, uid_enc, r.id, unit, rid_text, token, fingerprint]
        self.pending[uid_hash] = uid
        self.home_tokens.add((r.id, token))
        self.cards[uid_hash] = Card(None, r.id, unit, rid_text, token, "active")
        self.changed.add(r.id)
        self.report.cards += 1

    def finish(self) -> None:
        """The deferred writes, in bulk: residents, cards, each card's token under every rusun."""
        tx = self.tx
        residents.insert_residents(tx, list(self.new_residents.values()))
        for rid_text, name, unit, rusun_id, _at in self.updated_residents.values():
            residents.update_resident(tx, rid_text, name, unit, rusun_id)
        residents.insert_cards(tx, [row + [self.now] for row in self.new_cards.values()])
        if self.pending:
            ids = {h: card.id for h, card in residents.cards_index(tx).items()}
            hashes = list(self.pending)
            uids = [self.pending[h] for h in hashes]
            rows = []
            for other in residents.rusun_all(tx):
                key = self.keys.get(other.id) or _card_key(self.c, other)
                toks = card_tokens(key, uids)
                rows += [(other.id, tok, ids[h]) for h, tok in zip(hashes, toks)]
            residents.insert_card_tokens(tx, rows)
        for rusun_id in self.changed:
            residents.bump_allowlist(tx, rusun_id)


def _fingerprint(uid: bytes, row: dict[str, str]) -> int | None:
    atqa, sak = (row.get("atqa") or "").strip(), (row.get("sak") or "").strip()
    if not atqa or not sak:
        return None
    try:
        data = uid + bytes.fromhex(atqa) + bytes.fromhex(sak) + bytes.fromhex(row.get("ats") or "")
    except ValueError:
        raise AdminError("atqa/sak/ats bukan heksadesimal / not hex") from None
    return wire.fingerprint16(data, len(data))


def list_residents(c: Collector, rusun: str | None = None) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        return residents.residents_list(tx, rusun_id(tx, rusun))


def list_cards(c: Collector, rusun: str | None = None) -> list[dict[str, Any]]:
    """Cards with their home token (hex) and fingerprint; never the UID."""
    with c.db.read() as tx:
        rows = residents.cards_list(tx, rusun_id(tx, rusun))
    for row in rows:
        row["token"] = "%08X" % row["token"]
    return rows
