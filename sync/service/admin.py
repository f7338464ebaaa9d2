# admin: the registry admins keep: terminals and their keys, rusun, residents and their cards.
# SPDX-License-Identifier: MIT
"""Functions of a ``Collector`` (``sync.service.collector``); each is one transaction, and each
that reads or changes a rusun's data takes the caller's ``scope=`` (``sync.service.scope``) and
checks its target against it: a target outside the scope is answered as an unknown one.

    bundle = add_terminal(c, "Marunda", 1, collector_url="http://10.0.0.5:8000", scope=OPERATOR)
    add_terminal(c, "Marunda", 2, deliver=lambda b: write_bundle(b, "t8.json"), scope=OPERATOR)
    # the file (mode 0600, atomic) is written before the registration commits, or nothing is
    report = import_residents(c, open("residents.csv", encoding="utf-8"), scope=user.scope)

Errors are ``AdminError`` with one clear line (Bahasa Indonesia first, then English); the other
admin services (``accounts``, ``reports``) raise it too. ``OutOfScope`` (an ``AdminError``) names
a rusun the caller may not act on, whether or not it exists.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from firmware import wire
from sync import secretfile
from sync.service import cardkeys
from sync.service.cardkeys import CardKeyError
from sync.service.collector import Collector
from sync.service.downlink import default_config_json
from sync.service.scope import Scope
from sync.store import alert_log, register_events, releases, residents, terminals
from sync.store.db import Tx
from sync.store.residents import Card, Rusun
from sync.vault import card_tokens

BUNDLE_FORMAT = "hadir-provision-1"
# Hands a new bundle over (writes its file) inside the transaction that creates its K0.
Deliver = Callable[[dict[str, Any]], None]
CSV_COLUMNS = ("resident_id", "name", "unit", "rusun", "card_uid")
MAX_FIELD = 200  # characters of one CSV field: a name, a unit, a rusun, an id


class AdminError(Exception):
    """An admin request that cannot be done; the message is one line for the admin."""


class Forbidden(AdminError):
    """The user may see the target but not change it (a viewer): 403."""


class AlreadyDone(AdminError):
    """What was asked is already so (a card already this person's): 409."""


class Unknown(AdminError):
    """No such target, or one outside the user's rusun: 404."""


class OutOfScope(AdminError):
    """A rusun outside the caller's scope (or, for a caller bound to some rusun, unknown)."""

    def __init__(self) -> None:
        super().__init__("rusun di luar wewenang / rusun outside your scope")


def rusun_id(tx: Tx, name: str | None, scope: Scope) -> int | None:
    """The id of the rusun called ``name`` (None: no rusun asked for). Unknown → ``AdminError``
    for a caller of every rusun, ``OutOfScope`` for one bound to some (as one outside them)."""
    if name is None:
        return None
    r = residents.rusun_by_name(tx, name)
    if r is not None and scope.allows(r.id):
        return r.id
    if not scope.everything:
        raise OutOfScope()
    raise AdminError(f"rusun tidak dikenal / unknown rusun: {name}")


def scoped_ids(tx: Tx, name: str | None, scope: Scope) -> list[int] | None:
    """The rusun ids a listing covers: the named one (checked), else the whole scope."""
    rid = rusun_id(tx, name, scope)
    return [rid] if rid is not None else scope.ids()


def ensure_rusun(c: Collector, tx: Tx, name: str, scope: Scope) -> Rusun:
    """The rusun row; a new name makes a new rusun with a fresh card key (every stored card gets
    a token there; an import in progress adds its own cards' tokens at its end). Only a caller of
    every rusun may make one."""
    row = residents.rusun_by_name(tx, name)
    if row is not None:
        if not scope.allows(row.id):
            raise OutOfScope()
        return row
    if not scope.everything:
        raise OutOfScope()
    if not name.strip():
        raise AdminError("nama rusun kosong / empty rusun name")
    try:
        cardkeys.new_generation(c, tx, residents.insert_rusun(tx, name), c.now())
    except CardKeyError as exc:
        raise AdminError(str(exc)) from None
    row = residents.rusun_by_name(tx, name)
    assert row is not None
    return row


# --- terminals -----------------------------------------------------------------------------------


def add_terminal(
    c: Collector,
    rusun: str,
    door: int,
    tid: int | None = None,
    collector_url: str = "",
    *,
    scope: Scope,
    deliver: Deliver | None = None,
) -> dict[str, Any]:
    """Register a terminal; returns the provisioning bundle (shown once: it holds K0).
    ``deliver(bundle)`` (e.g. writing the bundle file) runs inside the transaction: when it
    fails, nothing is registered, so no terminal is left whose K0 nobody has."""
    k0 = secrets.token_bytes(32)
    with c.db.write() as tx:
        bundle = _register(c, tx, rusun, door, tid, collector_url, k0, scope)
        if deliver is not None:
            deliver(bundle)
    return bundle


def add_terminals(
    c: Collector, doors: list[tuple[str, int]], collector_url: str = "", *, scope: Scope
) -> list[dict[str, Any]]:
    """Register many terminals at once, (rusun, door) each, in one transaction (a city's
    roll-out, the load generator ``tools.sim.city``); returns their bundles, in order."""
    with c.db.write() as tx:
        return [_register(c, tx, rusun, door, None, collector_url, secrets.token_bytes(32), scope)
                for rusun, door in doors]  # fmt: skip


def _register(c: Collector, tx: Tx, rusun: str, door: int, tid: int | None, collector_url: str,
              k0: bytes, scope: Scope) -> dict[str, Any]:  # fmt: skip
    if not 0 <= door <= 255:
        raise AdminError("nomor pintu harus 0-255 / door must be 0-255")
    r = ensure_rusun(c, tx, rusun, scope)
    if tid is None:
        tid = terminals.next_terminal_id(tx)
    elif terminals.terminal(tx, tid) is not None:
        raise AdminError(f"terminal {tid} sudah ada / terminal {tid} already exists")
    if not 0 < tid <= wire.TERMINAL_ID_MAX:
        raise AdminError(
            f"id terminal harus 1..{wire.TERMINAL_ID_MAX} (batas terminal) / terminal id "
            f"must be 1..{wire.TERMINAL_ID_MAX} (what a terminal can hold)"
        )
    k0_enc = c.vault.seal(b"k0:%d:0" % tid, k0)
    terminals.insert_terminal(tx, tid, r.id, door, k0_enc, default_config_json(),
                              r.card_key_gen, c.now())  # fmt: skip
    card_key = cardkeys.open_key(c, tx, r.id, r.card_key_gen)
    return _bundle(tid, rusun, door, k0, card_key, collector_url, c.ca_pem,
                   releases.trusted_key(tx))  # fmt: skip


def _bundle(tid: int, rusun: str, door: int, k0: bytes, card_key: bytes, url: str,
            ca_pem: str | None, release_pub: bytes | None = None) -> dict:  # fmt: skip
    """``ca_pin``: for an https collector, the CA certificate (PEM) the terminal will pin,
    written into its config.json by provisioning; None for http. ``release_pub``: the release
    key's public half (``release trust``), which provisioning writes to ``/release.pub``."""
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
        "release_pub": release_pub.hex() if release_pub else None,
    }


def write_bundle(bundle: dict[str, Any], path: str) -> None:
    """Write the bundle JSON: atomically, mode 0600 from creation, never through a symlink
    (``sync.secretfile``; ``SecretFileError`` otherwise)."""
    secretfile.write(path, json.dumps(bundle, indent=1) + "\n")


def list_terminals(c: Collector, *, scope: Scope) -> list[dict[str, Any]]:
    """Public fields only (no key material) of the terminals in ``scope``."""
    with c.db.read() as tx:
        rows = terminals.terminals(tx, scope.ids())
        current = {r.id: r.card_key_gen for r in residents.rusun_all(tx)}
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
                    "card_key_generation": t["card_key_gen"],
                    "card_key_current": t["card_key_gen"] == current[t["rusun_id"]],
                }
            )
    return out


def _existing(tx: Tx, tid: int, scope: Scope) -> dict[str, Any]:
    """The terminal's row, locked; unknown or outside ``scope`` → the same ``AdminError``."""
    t = terminals.lock_terminal(tx, tid)
    if t is None or not scope.allows(t["rusun_id"]):
        raise AdminError(f"terminal {tid} tidak dikenal / unknown terminal {tid}")
    return t


def revoke_terminal(c: Collector, tid: int, *, scope: Scope) -> None:
    with c.db.write() as tx:
        _existing(tx, tid, scope)
        terminals.set_terminal_status(tx, tid, "revoked", c.now())
        alert_log.add(tx, tid, "revoked", "terminal revoked by an admin", c.now())
    c.keys.forget(tid)


def rotate_terminal(
    c: Collector,
    tid: int,
    collector_url: str = "",
    *,
    scope: Scope,
    deliver: Deliver | None = None,
) -> dict[str, Any]:
    """A new K0 and a new generation (the re-provisioned terminal starts a fresh log at seq 0);
    records of earlier generations stay. The new bundle never carries the card key the terminal
    held: when that is still its rusun's current one, the rusun's card key is rotated first.
    ``deliver(bundle)`` runs inside the transaction, as for ``add_terminal``: when it fails the
    terminal keeps its old key."""
    k0 = secrets.token_bytes(32)
    with c.db.write() as tx:
        t = _existing(tx, tid, scope)
        r = residents.rusun_by_id(tx, t["rusun_id"])
        assert r is not None
        gen = r.card_key_gen
        if t["card_key_gen"] >= gen:
            gen = _new_card_key(c, tx, r)
        terminals.rotate_terminal(
            tx, tid, c.vault.seal(b"k0:%d:%d" % (tid, t["gen"] + 1), k0), gen
        )
        alert_log.add(tx, tid, "rotated", f"new key, generation {t['gen'] + 1}", c.now())
        card_key = cardkeys.open_key(c, tx, r.id, gen)
        bundle = _bundle(tid, t["rusun"], t["door"], k0, card_key, collector_url, c.ca_pem,
                         releases.trusted_key(tx))  # fmt: skip
        if deliver is not None:
            deliver(bundle)
    c.keys.forget(tid)
    return bundle


def _new_card_key(c: Collector, tx: Tx, r: Rusun) -> int:
    try:
        return cardkeys.new_generation(c, tx, r, c.now())
    except CardKeyError as exc:
        raise AdminError(str(exc)) from None


def rotate_card_key(c: Collector, rusun: str, *, scope: Scope) -> dict[str, Any]:
    """A new card key for the rusun: every card re-tokenised, its allow-list version moved. Its
    terminals keep working on the key they hold; each takes the new one when re-provisioned
    (``rotate_terminal``): ``terminals_on_older_keys`` lists them."""
    with c.db.write() as tx:
        rid = rusun_id(tx, rusun, scope)
        assert rid is not None
        r = residents.rusun_by_id(tx, rid)
        assert r is not None
        gen = _new_card_key(c, tx, r)
        stale = [t["id"] for t in terminals.terminals(tx, [rid]) if t["status"] == "active"]
    return {"rusun": rusun, "card_key_generation": gen, "terminals_on_older_keys": stale}


def set_config(c: Collector, tid: int, settings: dict[str, Any], *, scope: Scope) -> int:
    """Change settings sent to a terminal; returns the new config version. Every setting is
    checked with the terminal's own rule (``wire.setting_error``) and the whole with its size
    limit (``wire.CONFIG_MAX_BYTES``): a value the terminal would refuse is refused here."""
    if not isinstance(settings, dict):
        raise AdminError("pengaturan harus objek JSON / settings must be a JSON object")
    for name, value in settings.items():
        why = wire.setting_error(name, value)
        if why is not None:
            raise AdminError(f"{str(name)[:40]}: {why[0]} / {why[1]}")
    with c.db.write() as tx:
        t = _existing(tx, tid, scope)
        merged = json.loads(t["config_json"])
        merged.update(settings)
        text = json.dumps(merged, sort_keys=True)
        if len(text.encode()) > wire.CONFIG_MAX_BYTES:
            raise AdminError(
                f"pengaturan lebih dari {wire.CONFIG_MAX_BYTES} byte / settings longer than "
                f"{wire.CONFIG_MAX_BYTES} bytes"
            )
        terminals.set_terminal_config(tx, tid, text)
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


def import_residents(
    c: Collector, lines: Iterable[str], *, scope: Scope, user: str = "import"
) -> ImportReport:
    """Import ``resident_id,name,unit,rusun,card_uid`` rows (one transaction). A refused row is
    reported with its line number and reason; the rest are imported. Optional columns ``atqa``,
    ``sak``, ``ats`` (hex) give the card's allow-list fingerprint. A row for a rusun outside
    ``scope``, or naming a resident of one, is refused; so is a row with a field longer than
    ``MAX_FIELD``. A file that is not CSV the reader can take (a field over the csv module's
    128 kB limit, a NUL) or not UTF-8 is one ``AdminError`` naming its line; nothing of it is
    imported. Each new card is an event of the register's audit trail, by ``user``."""
    reader = csv.DictReader(lines)
    try:
        return _import_rows(c, reader, scope, user)
    except csv.Error as exc:
        raise AdminError(
            f"CSV rusak di baris {reader.line_num} / malformed CSV at line {reader.line_num}: "
            f"{str(exc)[:80]}"
        ) from None
    except UnicodeDecodeError:
        raise AdminError(
            f"CSV bukan UTF-8 (baris {reader.line_num + 1}) / CSV is not UTF-8 (line "
            f"{reader.line_num + 1})"
        ) from None


def _import_rows(c: Collector, reader: csv.DictReader, scope: Scope, user: str) -> ImportReport:
    missing = [col for col in CSV_COLUMNS if col not in (reader.fieldnames or [])]
    if missing:
        raise AdminError(f"kolom CSV hilang / missing CSV columns: {', '.join(missing)}")
    report = ImportReport()
    now = c.now()
    with c.db.write() as tx:
        state = _Import(c, tx, now, report, scope, user)
        for lineno, row in enumerate(reader, start=2):
            try:
                _check_fields(row)
                state.row(row)
            except AdminError as exc:
                report.refused.append(f"baris/line {lineno}: {exc}")
        state.finish()
    return report


def _check_fields(row: dict[str | None, Any]) -> None:
    for v in row.values():
        if isinstance(v, str) and (len(v) > MAX_FIELD or "\x00" in v):
            raise AdminError(
                f"isian lebih dari {MAX_FIELD} karakter atau berisi NUL / a field longer than "
                f"{MAX_FIELD} characters or holding a NUL"
            )


class _Import:
    """One import: caches rusun and their card keys (every generation), and adds every new
    card's token under every rusun's keys at the end (one AES-ECB call per key)."""

    def __init__(
        self, c: Collector, tx: Tx, now: int, report: ImportReport, scope: Scope, user: str
    ) -> None:
        self.c, self.tx, self.now, self.report = c, tx, now, report
        self.scope, self.user = scope, user
        self.rusun: dict[str, Rusun] = {}
        self.keys: dict[int, dict[int, bytes]] = {}  # rusun id -> {generation: card key}
        self.pending: dict[bytes, bytes] = {}  # new card's uid_hash -> UID
        # resident id -> (resident_id, name, unit_id, rusun_id, registered_at)
        self.new_residents: dict[str, tuple[str, str, int, int, int]] = {}
        self.updated_residents: dict[str, tuple[str, str, int, int, int]] = {}
        self.new_cards: dict[bytes, list] = {}  # uid_hash -> a cards row (residents.insert_cards)
        self.changed: set[int] = set()  # rusun whose allow-list changed
        self.units = residents.units_index(tx)
        self.residents = residents.resident_rusun(tx)
        self.inactive = residents.inactive_resident_ids(tx)
        self.cards = residents.cards_index(tx)
        self.home_tokens = residents.home_tokens(tx)  # (rusun id, generation, token)

    def _rusun(self, name: str) -> Rusun:
        r = self.rusun.get(name)
        if r is None:
            r = self.rusun[name] = ensure_rusun(self.c, self.tx, name, self.scope)
            self.keys[r.id] = cardkeys.keys_of(self.c, self.tx, r.id)
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
        if rid_text in self.inactive:
            raise AdminError(
                "penghuni sudah pindah atau meninggal / resident moved out or deceased"
            )
        uid = parse_uid(row.get("card_uid") or "")
        if wire.is_random_uid(len(uid), uid[0]):
            raise AdminError(
                "UID acak (kartu/ponsel), tidak bisa didaftarkan / random UID refused"
            )
        fingerprint = _fingerprint(uid, row)
        r = self._rusun(rusun_name)
        home = self.residents.get(rid_text)
        if home is not None and not self.scope.allows(home):
            # The same answer whatever that rusun is: a scoped admin learns only that the id
            # is taken (docs/security.md, "Scoped admin").
            raise AdminError("id penghuni sudah dipakai / resident id already in use")
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
        toks: dict[int, int] = {}  # generation -> the new card's home token under it
        if card is None:
            keys = self.keys[r.id]
            toks = {g: card_tokens(k, [uid])[0] for g, k in keys.items()}
            if any((r.id, g, tok) in self.home_tokens for g, tok in toks.items()):
                raise AdminError(
                    "token kartu bentrok di rusun ini / card token collides in this rusun"
                )
            token = toks[r.card_key_gen]
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
        self.home_tokens.update((r.id, g, tok) for g, tok in toks.items())
        self.cards[uid_hash] = Card(None, r.id, unit, rid_text, token, "active")
        self.changed.add(r.id)
        self.report.cards += 1

    def finish(self) -> None:
        """The deferred writes, in bulk: residents, cards, each card's token under the
        generations of its home rusun's key in use."""
        tx = self.tx
        residents.insert_residents(tx, list(self.new_residents.values()))
        for rid_text, name, unit, rusun_id, _at in self.updated_residents.values():
            residents.update_resident(tx, rid_text, name, unit, rusun_id)
        residents.insert_cards(tx, [row + [self.now] for row in self.new_cards.values()])
        if self.pending:
            index = residents.cards_index(tx)
            ids = {h: card.id for h, card in index.items()}
            events = [(self.now, "card_enrolled", index[h].rusun_id, index[h].unit_id,
                       index[h].resident_id, index[h].id, "", self.user, self.now)
                      for h in self.pending]  # fmt: skip
            register_events.add_many(tx, events)
            hashes = list(self.pending)
            uids = [self.pending[h] for h in hashes]
            rows = []
            for r in residents.rusun_all(tx):  # home tokens only (docs/security.md)
                mine = [(h, u) for h, u in zip(hashes, uids) if index[h].rusun_id == r.id]
                if not mine:
                    continue
                keys = self.keys.get(r.id) or cardkeys.keys_of(self.c, tx, r.id)
                for gen in sorted(cardkeys.gens_in_use(tx, r)):
                    toks = card_tokens(keys[gen], [u for _h, u in mine])
                    rows += [(r.id, gen, tok, ids[h]) for (h, _u), tok in zip(mine, toks)]
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


def list_residents(
    c: Collector, rusun: str | None = None, *, scope: Scope
) -> list[dict[str, Any]]:
    """Residents of ``rusun`` (checked against ``scope``), or of the whole scope."""
    with c.db.read() as tx:
        return residents.residents_list(tx, scoped_ids(tx, rusun, scope))


def list_cards(c: Collector, rusun: str | None = None, *, scope: Scope) -> list[dict[str, Any]]:
    """Cards with their home token (hex, current card key) and fingerprint; never the UID."""
    with c.db.read() as tx:
        rows = residents.cards_list(tx, scoped_ids(tx, rusun, scope))
    for row in rows:
        row["token"] = "%08X" % row["token"]
    return rows
