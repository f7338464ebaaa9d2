# seed: a small, realistic collector database for the dashboard tests, built through the service.
# SPDX-License-Identifier: MIT
"""Three rusun, four terminals, ~200 residents, 21 days of taps ending on Tuesday 1 December
2026 10.30 WIB, with one planted case of each review reason. Everything goes through the real
collector: ``import_residents`` (CSV), ``add_terminal`` (bundles with K0 and card keys), and
``ingest.upload`` of signed batches written by ``tests/kit/wirekit.PaperTerminal``.

Planted (what the review queue must show):

| subject | reason |
|---|---|
| unit MRD-A104 | not_seen (nobody taps for the whole period) |
| unit MRD-B201 | one_card_household (one card tapped for three people, in bursts) |
| card of PLG-A102's first resident | same_minute (07.42 every day) |
| card of MRD-A101's first resident | other_rusun (lives at Pulo Gebang: its only taps, 4 days) |
| card of MRD-A103's first resident | clone (a copy with another fingerprint on 3 days) |
| a card nobody registered, at Pulo Gebang | unknown_card (5 days) |

Terminal 4 (Flamboyan) stops syncing two days before "now": a silent terminal with no taps in
this morning's peak. Terminal 2 reports its log 83 % full.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field

from firmware import wire
from firmware.config import UTC_OFFSET_MIN
from sync.service import accounts, admin, ingest
from sync.service.collector import Collector
from sync.service.scope import OPERATOR
from sync.vault import card_tokens
from tests.kit.wirekit import PaperTerminal
from tools.sim.fleet.names import person_name

JAKARTA = dt.timezone(dt.timedelta(minutes=UTC_OFFSET_MIN))
NOW = int(dt.datetime(2026, 12, 1, 10, 30, tzinfo=JAKARTA).timestamp())
TODAY0 = int(dt.datetime(2026, 12, 1, 0, 0, tzinfo=JAKARTA).timestamp())
DAYS = 30
DAY = 86400
# (rusun, code, units, terminal doors)
RUSUN = (("Marunda", "MRD", 40, (1, 2)), ("Pulo Gebang", "PLG", 24, (1,)),
         ("Flamboyan", "FLB", 14, (1,)))  # fmt: skip
ADMIN_PASSWORD = "admin-rahasia-1"
VIEWER_PASSWORD = "pantau-rahasia-1"


class Clock:
    def __init__(self, t: int) -> None:
        self.t = t

    def __call__(self) -> float:
        return float(self.t)


@dataclass
class Seeded:
    collector: Collector
    clock: Clock
    residents: list[dict] = field(default_factory=list)
    planted: dict[str, str] = field(default_factory=dict)  # name -> resident_id / unit


def _wall(unix: int) -> int:
    return unix - wire.HOST_EPOCH_OFFSET


def _residents(rng: random.Random) -> list[dict]:
    out = []
    used: set[bytes] = set()
    n = 0
    for rname, code, units, _doors in RUSUN:
        for i in range(units):
            block = "AB"[i // 20]
            unit = f"{code}-{block}{1 + (i % 20) // 10}{(i % 10) + 1:02d}"
            size = 3 if unit in ("MRD-B201",) else rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
            for m in range(size):
                n += 1
                while True:
                    uid = bytes([0x04]) + rng.randbytes(6) if rng.random() < 0.6 else None
                    uid = uid or rng.randbytes(4)
                    if uid[0] not in (0x08, 0x88) and uid not in used:
                        used.add(uid)
                        break
                female = (m % 2 == 1) if m < 2 else rng.random() < 0.5
                out.append({"resident_id": f"P{n:05d}", "name": person_name(rng, female),
                            "unit": unit, "rusun": rname, "uid": uid, "member": m})  # fmt: skip
    return out


def _csv(residents: list[dict]) -> str:
    buf = io.StringIO()
    buf.write("resident_id,name,unit,rusun,card_uid\n")
    for r in residents:
        buf.write(
            f"{r['resident_id']},{r['name']},{r['unit']},{r['rusun']},{r['uid'].hex().upper()}\n"
        )
    return buf.getvalue()


def _ordinary_taps(rng: random.Random, r: dict, day0: int) -> list[int]:
    """A resident's taps on the local day starting at day0: out in the morning, back at night."""
    weekend = dt.datetime.fromtimestamp(day0, JAKARTA).weekday() >= 5
    if rng.random() < (0.15 if weekend else 0.06):
        return []  # stayed in, or away
    h_out = rng.uniform(7.5, 10.5) if weekend else rng.gauss(6.6, 0.5)
    h_back = h_out + (rng.uniform(2, 6) if weekend else rng.uniform(9, 12.5))
    taps = [day0 + int(h_out * 3600), day0 + int(min(h_back, 23.5) * 3600)]
    if rng.random() < 0.03:
        taps.append(taps[0] + rng.randint(5, 40))  # beep not heard: tapped again
    return taps


def seed(c: Collector, clock: Clock) -> Seeded:
    rng = random.Random(20261201)
    start0 = TODAY0 - (DAYS - 1) * DAY
    clock.t = start0 - 10 * DAY  # registered well before the period
    residents = _residents(rng)
    report = admin.import_residents(c, io.StringIO(_csv(residents)), scope=OPERATOR)
    assert not report.refused, report.refused
    bundles = {}
    tid = 0
    for rname, _code, _units, doors in RUSUN:
        for door in doors:
            tid += 1
            bundles[tid] = admin.add_terminal(c, rname, door, tid=tid, scope=OPERATOR)
    accounts.add_user(c, "admin", ADMIN_PASSWORD, "admin", [])
    accounts.add_user(c, "pantau", VIEWER_PASSWORD, "viewer", ["Pulo Gebang"])
    key = {b["rusun"]: bytes.fromhex(b["card_key"]) for b in bundles.values()}
    doors_of = {
        rname: [t for t, b in bundles.items() if b["rusun"] == rname] for rname, *_ in RUSUN
    }
    by_unit: dict[str, list[dict]] = {}
    for r in residents:
        by_unit.setdefault(r["unit"], []).append(r)
    sub = Seeded(c, clock, residents)
    sub.planted = {
        "not_seen": "MRD-A104",
        "one_card": "MRD-B201",
        "same_minute": by_unit["PLG-A102"][0]["resident_id"],
        "other_rusun": by_unit["MRD-A101"][0]["resident_id"],
        "clone": by_unit["MRD-A103"][0]["resident_id"],
    }
    stranger = bytes.fromhex("5A17C0DE")
    terms = {t: PaperTerminal(t, bytes.fromhex(b["k0"])) for t, b in bundles.items()}
    events: dict[int, list[tuple[int, int, int, int]]] = {t: [] for t in terms}

    def tap(rusun: str, uid: bytes, t: int, flags: int = wire.CARD_ENROLLED, kind=wire.TAP):
        door = doors_of[rusun][0] if rng.random() < 0.8 else rng.choice(doors_of[rusun])
        events[door].append((t, card_tokens(key[rusun], [uid])[0], flags, kind))

    for day in range(DAYS):
        d0 = start0 + day * DAY
        for pending in events.values():
            pending.clear()
        for unit, members in by_unit.items():
            if unit == "MRD-A104":
                continue
            if unit == "MRD-B201":
                for t in _ordinary_taps(rng, members[0], d0):
                    for k in range(3):
                        tap("Marunda", members[0]["uid"], t + 25 * k)
                continue
            for r in members:
                if r["resident_id"] == sub.planted["other_rusun"] and DAYS - 1 - day <= 8:
                    continue  # lives at Pulo Gebang since 8 days ago (taps below)
                if r["resident_id"] == sub.planted["same_minute"]:
                    tap(r["rusun"], r["uid"], d0 + 7 * 3600 + 42 * 60 + rng.randint(0, 50))
                    continue
                for t in _ordinary_taps(rng, r, d0):
                    tap(r["rusun"], r["uid"], t)
        back = DAYS - 1 - day
        if back in (2, 4, 5, 8):
            r = by_unit["MRD-A101"][0]
            tap("Pulo Gebang", r["uid"], d0 + 19 * 3600 + 300, 0, wire.DENIED)
        if back in (1, 3, 6):
            r = by_unit["MRD-A103"][0]
            tap(
                "Marunda",
                r["uid"],
                d0 + 21 * 3600,
                wire.CARD_ENROLLED | wire.CARD_FINGERPRINT_MISMATCH,
            )
        if back in (0, 1, 2, 4, 7):
            tap("Pulo Gebang", stranger, d0 + 6 * 3600 + 1200, 0, wire.DENIED)
        for t, events_t in events.items():
            _ingest_day(c, clock, terms[t], sorted(events_t), d0, t, day, back)
    clock.t = NOW
    return sub


def _ingest_day(c, clock, term: PaperTerminal, events, d0: int, tid: int, day: int, back: int):
    """One terminal's day: a boot at 04.00, a clock anchor, taps with hourly heartbeats, and one
    batch sent at the end of the day (or, today, at 10.25); terminal 4 goes silent 2 days ago."""
    if tid == 4 and back < 2:
        return
    end = NOW - 300 if back == 0 else d0 + 23 * 3600 + 1800
    events = [e for e in events if e[0] < end]
    t = d0 + 4 * 3600
    term.boot(door=1 if tid != 2 else 2)
    term.clock(_wall(t), wire.CLOCK_NTP, advance_ms=500)
    n = 0
    for when, token, flags, kind in events:
        while when - t > 3600:
            t += 3600
            term.event(wire.HEARTBEAT, 0, 0, advance_ms=3600 * 1000)
        if kind == wire.TAP:
            term.tap(token.to_bytes(4, "big"), flags, advance_ms=max(1, (when - t)) * 1000)
            n += 1
        else:
            term.event(wire.DENIED, flags, token, advance_ms=max(1, (when - t)) * 1000)
        t = when
    health = {
        "firmware_version": 3 if tid != 3 else 2,  # terminal 3 still runs the older firmware
        "taps_today": n,
        "read_errors": 2 if tid == 3 else 0,
        "reader_recoveries": 12 if tid == 3 else 1,
        "storage_per_mille": 830 if tid == 2 else 120 + day * 3,
        "clock_quality": wire.CLOCK_NTP,
        "wifi_rssi": -61,
        "boot_counter": day + 1,
    }
    clock.t = end
    out = ingest.upload(c, term.batch(health))
    assert out.http == 200 and out.status == wire.REPLY_OK, (out.http, out.reason)
