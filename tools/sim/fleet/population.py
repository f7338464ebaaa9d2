# population: seeded world of the 2017 deployment: 23 rusun, 32 terminals, 13,731 residents.
# SPDX-License-Identifier: MIT
"""Who lives where, and which card each resident carries.

    pop = generate(seed=1, days=7)
    write_residents_csv(pop, "residents.csv")          # collector import, registered at day 0
    write_terminals_json(pop, "terminals.json")

Numbers are the 2017 deployment's (docs/fleet.md): 13,731 residents, 9,459 registered at launch,
32 terminals in 23 rusun (nine rusun have two doors). Residents live in households, one household
per unit (flat). Every resident owns a card; a resident who is not registered has no card the
system knows and does not tap (registration is when the card is enrolled). Unregistered residents
enrol over the simulated days at a constant daily rate.

Cards are either MIFARE DESFire EV1-like (7-byte UID from NXP, manufacturer byte 0x04, ATQA 0x0344,
SAK 0x20, an ATS) or MIFARE Classic 1K-like (4-byte NUID, ATQA 0x0004, SAK 0x08, no ATS). A real
card's 4-byte UID never starts with 0x08 (ISO/IEC 14443-3 reserves it for random IDs) nor 0x88
(the cascade tag).
"""

import csv
import json
import random
from dataclasses import dataclass, field

from firmware import wire
from tools.sim.fleet.names import person_name

RESIDENTS = 13731
REGISTERED_AT_START = 9459
DAILY_ENROL_RATE = 0.02  # share of the still-unregistered residents who enrol each day

# (name, code, relative size, doors). Sizes are rough building capacities; two-door rusun are the
# nine largest, so 23 rusun carry 32 terminals.
RUSUN = (
    ("Marunda", "MRD", 26, 2),
    ("Pulo Gebang", "PLG", 16, 2),
    ("Rawa Bebek", "RWB", 14, 2),
    ("Daan Mogot", "DMG", 13, 2),
    ("Pesakih", "PSK", 12, 2),
    ("Jatinegara Kaum", "JNK", 9, 1),
    ("Tambora", "TMB", 8, 1),
    ("Cakung Barat", "CKB", 9, 1),
    ("Flamboyan", "FLB", 6, 1),
    ("Kapuk Muara", "KPM", 12, 2),
    ("Pinus Elok", "PNE", 11, 2),
    ("Komarudin", "KMR", 11, 2),
    ("Muara Baru", "MRB", 8, 1),
    ("Waduk Pluit", "WDP", 7, 1),
    ("Penjaringan", "PNJ", 7, 1),
    ("Kedaung", "KDG", 6, 1),
    ("Tipar Cakung", "TPC", 12, 2),
    ("Cipinang Besar Selatan", "CBS", 7, 1),
    ("Jatirawa", "JTR", 5, 1),
    ("Buddha Tzu Chi", "BTC", 8, 1),
    ("Angke", "AGK", 5, 1),
    ("Tanah Tinggi", "TNT", 6, 1),
    ("Karang Anyar", "KRA", 6, 1),
)

# Household sizes and their shares (census-like: most flats hold a family of 3-5).
HOUSEHOLD_SIZES = ((1, 0.08), (2, 0.17), (3, 0.25), (4, 0.26), (5, 0.16), (6, 0.08))
# Daily routines; behaviour.py gives each its schedule.
KINDS = (("worker", 0.50), ("student", 0.25), ("homebody", 0.25))
DESFIRE_SHARE = 0.6
DESFIRE_ATS = bytes.fromhex("067577810280")


@dataclass(frozen=True)
class Card:
    uid: bytes
    atqa: int
    sak: int
    ats: bytes = b""

    @property
    def uid_hex(self) -> str:
        return self.uid.hex().upper()

    def fingerprint(self) -> int:
        """CRC-16/CCITT-FALSE of uid | atqa | sak | ats, as the allow-list carries it."""
        buf = self.uid + self.atqa.to_bytes(2, "big") + bytes([self.sak]) + self.ats
        return wire.fingerprint16(buf, len(buf))


@dataclass(frozen=True)
class Rusun:
    name: str
    code: str
    doors: int


@dataclass(frozen=True)
class Terminal:
    terminal_id: int
    rusun: str
    door: str


@dataclass
class Resident:
    resident_id: str
    name: str
    unit: str
    rusun: str
    card: Card
    kind: str
    # Day index (0 = first simulated day) the card is enrolled, None if never within the period.
    registered_day: int | None
    home_door: int  # index of the door this resident mostly uses


@dataclass
class Unit:
    unit_id: str
    rusun: str
    members: list[str] = field(default_factory=list)


@dataclass
class Population:
    seed: int
    days: int
    rusun: list[Rusun]
    terminals: list[Terminal]
    units: dict[str, Unit]
    residents: dict[str, Resident]

    def registry(self, day: int | None = None) -> list[dict]:
        """Registered residents as plain dicts (what the collector knows), up to ``day``."""
        last = self.days - 1 if day is None else day
        return [
            {
                "resident_id": r.resident_id,
                "name": r.name,
                "unit": r.unit,
                "rusun": r.rusun,
                "card_uid": r.card.uid_hex,
                "registered_day": r.registered_day,
            }
            for r in self.residents.values()
            if r.registered_day is not None and r.registered_day <= last
        ]

    def terminals_of(self, rusun: str) -> list[Terminal]:
        return [t for t in self.terminals if t.rusun == rusun]


def split_exact(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of ``total`` in proportion to ``weights``; sums exactly."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _weighted(rng: random.Random, table) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def new_card(rng: random.Random, used: set[bytes], desfire: bool | None = None) -> Card:
    """A fresh genuine card with a UID not in ``used`` (which it extends)."""
    if desfire is None:
        desfire = rng.random() < DESFIRE_SHARE
    while True:
        if desfire:
            uid = bytes([0x04]) + rng.randbytes(6)
        else:
            uid = rng.randbytes(4)
            if uid[0] in (0x08, 0x88):
                continue
        if uid not in used:
            used.add(uid)
            break
    if desfire:
        return Card(uid, 0x0344, 0x20, DESFIRE_ATS)
    return Card(uid, 0x0004, 0x08)


def generate(seed: int, days: int = 7, residents_total: int = RESIDENTS) -> Population:
    """The whole population, deterministic for a given ``seed``, ``days`` and size.

    ``residents_total`` below 13,731 scales the world down (the fleet demo): the same 23 rusun
    and 32 terminals, rusun sizes in the same proportions, the launch share registered."""
    rng = random.Random(seed)
    registered_at_start = round(residents_total * REGISTERED_AT_START / RESIDENTS)
    rusun = [Rusun(name, code, doors) for name, code, _, doors in RUSUN]
    terminals = []
    for r in rusun:
        for d in range(r.doors):
            terminals.append(Terminal(len(terminals) + 1, r.name, "door-%d" % (d + 1)))
    sizes = split_exact(residents_total, [float(w) for _, _, w, _ in RUSUN])
    units: dict[str, Unit] = {}
    residents: dict[str, Resident] = {}
    used: set[bytes] = set()
    for r, count in zip(rusun, sizes):
        placed = 0
        n_unit = 0
        while placed < count:
            size = min(int(_weighted(rng, HOUSEHOLD_SIZES)), count - placed)  # type: ignore[arg-type]
            block, floor, flat = n_unit // 100, (n_unit // 20) % 5 + 1, n_unit % 20 + 1
            unit_id = "%s-%s%d%02d" % (r.code, "ABCDEFGHJK"[block], floor, flat)
            unit = Unit(unit_id, r.name)
            for m in range(size):
                rid = "R%05d" % (len(residents) + 1)
                kind = "worker" if m == 0 and size > 1 else str(_weighted(rng, KINDS))
                residents[rid] = Resident(
                    resident_id=rid,
                    name=person_name(rng, female=rng.random() < 0.5),
                    unit=unit_id,
                    rusun=r.name,
                    card=new_card(rng, used),
                    kind=kind,
                    registered_day=None,
                    home_door=rng.randrange(r.doors),
                )
                unit.members.append(rid)
            units[unit_id] = unit
            placed += size
            n_unit += 1
    ids = sorted(residents)
    for rid in rng.sample(ids, registered_at_start):
        residents[rid].registered_day = 0
    for rid in ids:
        res = residents[rid]
        if res.registered_day is None:
            for day in range(1, days):
                if rng.random() < DAILY_ENROL_RATE:
                    res.registered_day = day
                    break
    return Population(seed, days, rusun, terminals, units, residents)


def residents_csv_rows(pop: Population, day: int = 0) -> list[dict]:
    """Rows in the collector's import format: resident_id,name,unit,rusun,card_uid."""
    keys = ("resident_id", "name", "unit", "rusun", "card_uid")
    return [{k: row[k] for k in keys} for row in pop.registry(day)]


CARD_COLUMNS = ("atqa", "sak", "ats")


def write_residents_csv(
    pop: Population, path: str, day: int = 0, rows: list[dict] | None = None, cards: bool = False
) -> int:
    """Write residents registered by ``day`` (or ``rows``) for `residents import`; returns the
    row count. ``cards`` adds the optional ``atqa,sak,ats`` columns (hex) the collector turns
    into the card's allow-list fingerprint."""
    rows = residents_csv_rows(pop, day) if rows is None else rows
    fields = ["resident_id", "name", "unit", "rusun", "card_uid"]
    if cards:
        fields += list(CARD_COLUMNS)
        by_uid = {r.card.uid_hex: r.card for r in pop.residents.values()}
        rows = [dict({k: row[k] for k in fields[:5]}, **_card_columns(by_uid[row["card_uid"]]))
                for row in rows]  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _card_columns(card: Card) -> dict:
    return {"atqa": "%04X" % card.atqa, "sak": "%02X" % card.sak, "ats": card.ats.hex().upper()}


def terminals_dicts(pop: Population) -> list[dict]:
    return [{"id": t.terminal_id, "rusun": t.rusun, "door": t.door} for t in pop.terminals]


def write_terminals_json(pop: Population, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(terminals_dicts(pop), f, indent=1)
