# register: the tenant register: import with a diff preview, registration progress per rusun.
# SPDX-License-Identifier: MIT
"""The housing office's register lists every rusun, block, flat, lease holder and household
member, whether or not they have a card yet (docs/cases.md, "Tenant register").

    sheet = register_file.read(data, "register.xlsx")
    diff = import_register(c, sheet, user, apply=False)   # the preview: nothing is written
    diff = import_register(c, sheet, user, apply=True, expect=diff.fingerprint)

A file with any error is refused whole (each error names its line); the preview runs the very
same import in a transaction that is rolled back, so what it shows is what applying does.
Re-importing the same file changes nothing. People the database has but the file lacks are
listed, never removed: a move-out is a dated lifecycle change (``sync.service.lifecycle``).
``progress(c, scope)``: residents with an active card out of residents in the register, per
rusun, district and city, and the flats where nobody has a card.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sync.service import days
from sync.service.accounts import User, rusun_scope
from sync.service.admin import AdminError, ImportReport, _Import, ensure_rusun
from sync.service.collector import Collector
from sync.service.register_file import Sheet
from sync.service.scope import OPERATOR
from sync.store import register, register_events, residents
from sync.store.db import Tx

# Relation to the lease holder: code -> what offices write (lower case).
RELATIONS: dict[str, tuple[str, ...]] = {
    "head": ("kepala keluarga", "kepala", "kk", "suami/kk", "pemegang sewa", "head"),
    "spouse": ("istri", "suami", "pasangan", "spouse", "wife", "husband"),
    "child": ("anak", "anak kandung", "anak angkat", "child"),
    "parent": ("orang tua", "ayah", "ibu", "mertua", "parent"),
    "other": (
        "famili lain",
        "famili",
        "saudara",
        "cucu",
        "menantu",
        "keponakan",
        "lainnya",
        "lain-lain",
        "other",
    ),
}
_RELATION = {text: code for code, texts in RELATIONS.items() for text in texts}
STATUS_TEXT = {"moved_out": ("pindah", "moved out"), "deceased": ("meninggal", "deceased")}
_YES = ("ya", "y", "yes", "1", "true", "x", "v")
_NO = ("tidak", "t", "no", "n", "0", "false", "")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


class _Rollback(Exception):
    """Ends a preview's transaction without writing."""


@dataclass
class RegisterDiff:
    """What an import does (``applied``) or would do. Texts name rusun, flat and resident ids;
    ``errors`` and ``warnings`` start with their line (``baris/line N``) where they have one."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rusun_new: list[str] = field(default_factory=list)
    flats_new: list[str] = field(default_factory=list)
    flats_changed: list[str] = field(default_factory=list)
    flats_relet: list[str] = field(default_factory=list)
    people_new: list[str] = field(default_factory=list)
    people_changed: list[str] = field(default_factory=list)
    people_missing: list[str] = field(default_factory=list)
    cards_new: int = 0
    unchanged: int = 0
    applied: bool = False
    fingerprint: str = ""

    def changes(self) -> int:
        return (
            len(self.rusun_new)
            + len(self.flats_new)
            + len(self.flats_changed)
            + len(self.flats_relet)
            + len(self.people_new)
            + len(self.people_changed)
            + self.cards_new
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _seal(self) -> None:
        """The fingerprint of what the import does: an apply may demand the one it previewed,
        so a register changed in between is not imported blind."""
        body = {k: v for k, v in asdict(self).items() if k not in ("applied", "fingerprint")}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
        self.fingerprint = hashlib.sha256(text).hexdigest()[:16]


@dataclass
class _FlatRow:
    rusun: str
    unit: str
    block: str
    lease_no: str | None  # None: the file has no such column (keep what is stored)
    lease_start: int | None
    line: int
    people: list[_PersonRow] = field(default_factory=list)


@dataclass
class _PersonRow:
    line: int
    resident_id: str
    name: str
    relation: str
    lease_holder: bool
    card: dict[str, str] | None


def _relation(text: str) -> str:
    key = " ".join(text.lower().split())
    if not key:
        return ""
    code = _RELATION.get(key)
    if code is None:
        known = ", ".join(texts[0] for texts in RELATIONS.values())
        raise AdminError(f"hubungan tidak dikenal / unknown relation '{text[:30]}' ({known})")
    return code


def _flag(text: str, relation: str) -> bool:
    key = text.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return relation == "head" and not key
    raise AdminError(f"pemegang_sewa harus ya/tidak / lease_holder must be yes/no: {text[:10]}")


def _check_text(what: str, text: str, limit: int) -> str:
    if len(text) > limit:
        raise AdminError(f"{what} lebih dari {limit} karakter / {what} longer than {limit}")
    return text


def _parse(
    sheet: Sheet, user: User, diff: RegisterDiff
) -> tuple[dict[tuple[str, str], _FlatRow], dict[str, str]]:
    """Rows -> flats with their people, and each rusun's district (where the file has the
    column); every problem goes to ``diff.errors`` with its line."""
    flats: dict[tuple[str, str], _FlatRow] = {}
    districts: dict[str, tuple[str, int]] = {}
    seen_ids: dict[str, int] = {}
    has = set(sheet.columns)
    for line, cells in sheet.rows:
        try:
            rusun = _check_text("rusun", cells["rusun"], 100)
            unit = _check_text("unit", cells["unit"], 40)
            block = _check_text("blok", cells["block"], 40)
            if not (rusun and unit and block):
                raise AdminError(
                    "rusun, blok dan unit wajib diisi / rusun, block and unit are required"
                )
            if not user.may_see(rusun):
                raise AdminError(f"rusun di luar wewenang / rusun outside your scope: {rusun}")
            district = _check_text("wilayah", cells.get("district", ""), 100)
            if "district" in has:
                prev = districts.setdefault(rusun, (district, line))
                if prev[0] != district:
                    raise AdminError(
                        f"wilayah berbeda dengan baris {prev[1]} / district differs "
                        f"from line {prev[1]}"
                    )
            lease_no = _check_text("no_sps", cells["lease_no"], 60) if "lease_no" in has else None
            start = cells.get("lease_start", "")
            lease_start = days.parse_day(start) if start else None
            flat = flats.get((rusun, unit))
            if flat is None:
                flat = flats[(rusun, unit)] = _FlatRow(
                    rusun, unit, block, lease_no, lease_start, line
                )
            else:
                for what, mine, theirs in (
                    ("blok", block, flat.block),
                    ("no_sps", lease_no, flat.lease_no),
                ):
                    if mine != theirs and mine and theirs:
                        raise AdminError(
                            f"{what} berbeda dengan baris {flat.line} / {what} "
                            f"differs from line {flat.line}"
                        )
                if lease_start is not None and flat.lease_start not in (None, lease_start):
                    raise AdminError(
                        f"mulai_sewa berbeda dengan baris {flat.line} / lease_start "
                        f"differs from line {flat.line}"
                    )
                flat.lease_no = flat.lease_no or lease_no
                flat.lease_start = flat.lease_start or lease_start
            rid = cells.get("resident_id", "")
            name = _check_text("nama", cells.get("name", ""), 100)
            if not rid and not name:
                if cells.get("card_uid"):
                    raise AdminError("kartu tanpa penghuni / a card without a resident")
                continue  # a flat on its own line: in the register, nobody living there yet
            if not (rid and name):
                raise AdminError(
                    "id_penghuni dan nama wajib berdua / resident_id and name go together"
                )
            if not _ID.match(rid):
                raise AdminError(
                    "id_penghuni: huruf, angka, . _ / - (maks. 40) / resident_id: "
                    "letters, digits, . _ / - (max. 40)"
                )
            if rid in seen_ids:
                raise AdminError(
                    f"id_penghuni {rid} sudah ada di baris {seen_ids[rid]} / "
                    f"resident_id {rid} already on line {seen_ids[rid]}"
                )
            seen_ids[rid] = line
            relation = _relation(cells.get("relation", ""))
            holder = _flag(cells.get("lease_holder", ""), relation)
            card = None
            if cells.get("card_uid"):
                card = {k: cells.get(k, "") for k in ("card_uid", "atqa", "sak", "ats")}
            flat.people.append(_PersonRow(line, rid, name, relation, holder, card))
        except AdminError as exc:
            diff.errors.append(f"baris/line {line}: {exc}")
    for flat in flats.values():
        holders = [p for p in flat.people if p.lease_holder]
        if len(holders) > 1:
            lines = ", ".join(str(p.line) for p in holders)
            diff.errors.append(
                f"baris/line {holders[1].line}: lebih dari satu pemegang sewa di "
                f"{flat.unit} (baris {lines}) / more than one lease holder "
                f"in {flat.unit}"
            )
        elif flat.people and not holders:
            diff.warnings.append(
                f"baris/line {flat.line}: {flat.rusun} {flat.unit} tanpa "
                "pemegang sewa / without a lease holder"
            )
    return flats, {name: d for name, (d, _line) in districts.items()}


def import_register(
    c: Collector, sheet: Sheet, user: User, apply: bool = False, expect: str | None = None
) -> RegisterDiff:
    """Compare ``sheet`` with the register and, when ``apply`` and nothing is wrong, write it
    (one transaction). ``expect``: the fingerprint of the preview the admin saw; a different
    outcome now is refused."""
    if not user.is_admin:
        raise AdminError("khusus admin / admin role required")
    diff = RegisterDiff(ignored_columns=list(sheet.ignored))
    flats, districts = _parse(sheet, user, diff)
    try:
        with c.db.write() as tx:
            _Apply(c, tx, user, diff).run(flats, districts)
            diff._seal()
            if expect is not None and expect != diff.fingerprint:
                diff.errors.append(
                    "register berubah sejak pratinjau; buat pratinjau lagi / "
                    "the register changed since the preview; preview again"
                )
            if diff.errors or not apply:
                raise _Rollback
            diff.applied = True
    except _Rollback:
        pass
    return diff


class _Apply:
    """One import inside its transaction: compares and writes as it goes (a preview's
    transaction is rolled back)."""

    def __init__(self, c: Collector, tx: Tx, user: User, diff: RegisterDiff) -> None:
        self.c, self.tx, self.user, self.diff = c, tx, user, diff
        self.now = c.now()
        self.events: list[tuple] = []

    def event(
        self,
        at: int,
        kind: str,
        rusun_id: int,
        unit_id: int | None,
        resident_id: str | None,
        detail: str,
    ) -> None:
        self.events.append(
            (at, kind, rusun_id, unit_id, resident_id, None, detail, self.user.name, self.now)
        )

    def run(self, flats: dict[tuple[str, str], _FlatRow], districts: dict[str, str]) -> None:
        tx, diff = self.tx, self.diff
        rusun_ids: dict[str, int] = {}
        for name in sorted({r for r, _u in flats}):
            known = residents.rusun_by_name(tx, name)
            if known is None:
                if self.user.rusun:  # a scoped admin cannot make a rusun they would not see
                    raise AdminError(f"rusun tidak dikenal / unknown rusun: {name}")
                diff.rusun_new.append(name)
            rusun_ids[name] = known.id if known else ensure_rusun(self.c, tx, name, OPERATOR).id
        stored_districts = register.districts(tx)
        for name, district in sorted(districts.items()):
            rid = rusun_ids[name]
            if stored_districts.get(rid, "") != district:
                if name not in diff.rusun_new:
                    diff.flats_changed.append(
                        f"{name}: wilayah/district "
                        f"'{stored_districts.get(rid, '')}' → '{district}'"
                    )
                register.set_district(tx, rid, district)
        stored = {(f.rusun_id, f.name): f for f in register.flats(tx, list(rusun_ids.values()))}
        people = {p.resident_id: p for p in register.people(tx)}
        in_file: set[str] = set()
        unit_ids: dict[tuple[str, str], int] = {}
        new_people: list[tuple] = []
        for (rname, uname), row in sorted(flats.items()):
            rid = rusun_ids[rname]
            unit_ids[(rname, uname)] = self._flat(rid, row, stored.get((rid, uname)))
        for (rname, uname), row in sorted(flats.items()):
            rid, uid = rusun_ids[rname], unit_ids[(rname, uname)]
            for p in row.people:
                in_file.add(p.resident_id)
                old = people.get(p.resident_id)
                try:
                    if old is None:
                        new_people.append(
                            (
                                p.resident_id,
                                p.name,
                                uid,
                                rid,
                                self.now,
                                "member",
                                p.relation,
                                int(p.lease_holder),
                                None,
                            )
                        )
                        diff.people_new.append(f"{p.resident_id} ({rname} {uname})")
                        self.event(self.now, "registered", rid, uid, p.resident_id, p.name)
                    else:
                        self._person(old, p, rid, uid, rname, uname)
                except AdminError as exc:
                    diff.errors.append(f"baris/line {p.line}: {exc}")
        register.insert_people(tx, new_people)
        for p in people.values():
            if (
                p.rusun_id in rusun_ids.values()
                and p.resident_id not in in_file
                and p.kind == "member"
                and p.status == "active"
            ):
                flat = register.flat(tx, p.unit_id)
                diff.people_missing.append(
                    f"{p.resident_id} ({flat.name if flat else '?'}): tidak ada di berkas; "
                    "catat pindah bila sudah pergi / not in the file; record a move-out if "
                    "they left"
                )
        self._cards(flats)
        register_events.add_many(tx, self.events)

    def _flat(self, rid: int, row: _FlatRow, old: register.Flat | None) -> int:
        tx, diff = self.tx, self.diff
        label = f"{row.rusun} {row.unit}"
        if old is None:
            status = "occupied" if row.people else "vacant"
            uid = register.insert_flat(
                tx, rid, row.unit, row.block, status, self.now, row.lease_no or "", row.lease_start
            )
            diff.flats_new.append(f"{label} (blok/block {row.block})")
            # The flat's history starts with its lease when the register gives one.
            self.event(
                min(self.now, row.lease_start or self.now), "flat_added", rid, uid, None, status
            )
            return uid
        lease_no = old.lease_no if row.lease_no is None else row.lease_no
        start = row.lease_start if row.lease_start is not None else old.let_since
        changes = [
            f"{what} '{a or ''}' → '{b or ''}'"
            for what, a, b in (
                ("blok/block", old.block, row.block),
                ("no_sps/lease_no", old.lease_no, lease_no),
                ("mulai_sewa/lease_start", days.iso(old.let_since), days.iso(start)),
            )
            if a != b
        ]
        if old.status != "occupied" and row.people:
            at = row.lease_start or self.now
            register.relet_flat(tx, old.id, at, lease_no)
            diff.flats_relet.append(f"{label}: {old.status} → occupied ({days.iso(at)})")
            self.event(at, "flat_relet", rid, old.id, None, lease_no)
            start = at
        elif changes:
            diff.flats_changed.append(f"{label}: {'; '.join(changes)}")
            self.event(self.now, "flat_updated", rid, old.id, None, "; ".join(changes))
        register.set_flat_details(tx, old.id, row.block, lease_no, start)
        return old.id

    def _person(
        self, old: register.Person, p: _PersonRow, rid: int, uid: int, rname: str, uname: str
    ) -> None:
        if old.kind != "member":
            raise AdminError(
                f"{p.resident_id} terdaftar sebagai pengunjung / is registered as "
                "a visitor or carer"
            )
        if old.rusun_id != rid:
            raise AdminError(
                f"{p.resident_id} terdaftar di rusun lain; catat pindah dulu / "
                "registered at another rusun; record the move-out first"
            )
        if old.status != "active":
            what = STATUS_TEXT.get(old.status, (old.status, old.status))
            raise AdminError(
                f"{p.resident_id} tercatat {what[0]} sejak "
                f"{days.iso(old.status_at)} / recorded as {what[1]}"
            )
        changes = []
        if old.name != p.name:
            changes.append(f"nama/name '{old.name}' → '{p.name}'")
        if old.unit_id != uid:
            flat = register.flat(self.tx, old.unit_id)
            changes.append(f"unit {flat.name if flat else '?'} → {uname}")
        if old.relation != p.relation:
            changes.append(f"hubungan/relation '{old.relation}' → '{p.relation}'")
        if old.lease_holder != p.lease_holder:
            changes.append(f"pemegang_sewa/lease_holder {old.lease_holder} → {p.lease_holder}")
        if not changes:
            self.diff.unchanged += 1
            return
        register.update_member(self.tx, p.resident_id, p.name, uid, p.relation, p.lease_holder)
        if old.unit_id != uid:
            register.move_cards(self.tx, p.resident_id, uid)
        self.diff.people_changed.append(f"{p.resident_id} ({rname} {uname}): {'; '.join(changes)}")
        self.event(self.now, "person_updated", rid, uid, p.resident_id, "; ".join(changes))

    def _cards(self, flats: dict[tuple[str, str], _FlatRow]) -> None:
        """Rows that carry a card UID: the residents import's own rules (``admin._Import``)."""
        report = ImportReport()
        state = _Import(
            self.c, self.tx, self.now, report, rusun_scope(self.tx, self.user), self.user.name
        )
        for (rname, uname), row in sorted(flats.items()):
            for p in row.people:
                if p.card is None:
                    continue
                try:
                    state.row(
                        {
                            "resident_id": p.resident_id,
                            "name": p.name,
                            "unit": uname,
                            "rusun": rname,
                            **p.card,
                        }
                    )
                except AdminError as exc:
                    self.diff.errors.append(f"baris/line {p.line}: {exc}")
        state.finish()
        self.diff.cards_new = report.cards


# --- registration progress -----------------------------------------------------------------------


def progress(c: Collector, scope: list[int] | None) -> dict[str, Any]:
    """Residents with an active card / residents in the register (active household members),
    per rusun, per district and city-wide (of the rusun in ``scope``; None: all), and per
    rusun the occupied flats where nobody has an active card."""
    with c.db.read() as tx:
        rusun = [r for r in residents.rusun_all(tx) if scope is None or r.id in scope]
        district = register.districts(tx)
        counts = register.progress_rows(tx, None if scope is None else [r.id for r in rusun])
        flats = {f.id: f for f in register.flats(tx, [r.id for r in rusun])}
    per: dict[int, dict[str, Any]] = {
        r.id: {
            "rusun": r.name,
            "rusun_id": r.id,
            "district": district.get(r.id, ""),
            "residents": 0,
            "with_card": 0,
            "flats": 0,
            "flats_vacant": 0,
            "flats_without_card": 0,
            "flats_without_members": 0,
        }
        for r in rusun
    }
    members: dict[int, list[bool]] = {}
    for unit_id, has_card in counts:
        members.setdefault(unit_id, []).append(has_card)
    for f in flats.values():
        row = per[f.rusun_id]
        if f.status != "occupied":
            row["flats_vacant"] += 1
            continue
        row["flats"] += 1
        cards = members.get(f.id, [])
        row["residents"] += len(cards)
        row["with_card"] += sum(cards)
        if not cards:
            row["flats_without_members"] += 1
        elif not any(cards):
            row["flats_without_card"] += 1
    rows = sorted(per.values(), key=lambda r: (r["district"], r["rusun"]))
    by_district: dict[str, dict[str, Any]] = {}
    keys = (
        "residents",
        "with_card",
        "flats",
        "flats_vacant",
        "flats_without_card",
        "flats_without_members",
    )
    for row in rows:
        d = by_district.setdefault(
            row["district"], {"district": row["district"], "rusun": 0, **{k: 0 for k in keys}}
        )
        d["rusun"] += 1
        for k in keys:
            d[k] += row[k]
    city = {"rusun": len(rows), **{k: sum(r[k] for r in rows) for k in keys}}
    for row in [*rows, *by_district.values(), city]:
        row["per_mille"] = (1000 * row["with_card"] // row["residents"]) if row["residents"] else 0
    return {
        "rusun": rows,
        "districts": sorted(by_district.values(), key=lambda d: d["district"]),
        "city": city,
    }


def flats_without_card(c: Collector, rusun_id: int) -> list[dict[str, Any]]:
    """Occupied flats of a rusun whose active members have no active card (or that have no
    active member in the register), by block and flat: who to invite to the enrollment desk."""
    with c.db.read() as tx:
        flats = register.flats(tx, [rusun_id])
        people = register.people(tx, [rusun_id])
        counts = register.progress_rows(tx, [rusun_id])
    has: dict[int, list[bool]] = {}
    for unit_id, has_card in counts:
        has.setdefault(unit_id, []).append(has_card)
    holder = {p.unit_id: p for p in people if p.lease_holder and p.status == "active"}
    out = []
    for f in sorted(flats, key=lambda f: (f.block, f.name)):
        cards = has.get(f.id, [])
        if f.status != "occupied" or any(cards):
            continue
        h = holder.get(f.id)
        out.append(
            {
                "unit_id": f.id,
                "unit": f.name,
                "block": f.block,
                "members": len(cards),
                "lease_holder": h.name if h else None,
                "lease_holder_id": h.resident_id if h else None,
            }
        )
    return out
