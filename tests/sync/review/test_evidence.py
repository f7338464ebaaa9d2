# Per-flat evidence: days, nights, first and last taps, members seen vs expected, weeks, cards.
# SPDX-License-Identifier: MIT
import ast
import datetime as dt
import pathlib

import pytest

from firmware import wire
from sync.review import detect, evidence
from sync.review.model import Absence, Card, Dated, Flat, Member, Record, Snapshot, Visitor
from tests.kit.paths import ROOT

DAY0 = dt.date(2017, 2, 6)  # a Monday
START = int(dt.datetime(2017, 2, 6, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp())


def at(day, hours):
    return START + day * 86400 + int(hours * 3600)


def rec(day, hours, card, rusun="Marunda"):
    return Record(at(day, hours), rusun, 1, card, wire.CARD_ENROLLED)


def _snapshot(records, days=14, absences=()):
    members = tuple(Member(r, (Dated(DAY0, "active"),)) for r in ("R1", "R2", "R3"))
    flat = Flat("1/A-101", "A-101", (Dated(DAY0, "occupied"),), members)
    cards = (
        Card("K1", "R1", (Dated(DAY0, "active"),)),
        Card("K2", "R2", (Dated(DAY0 + dt.timedelta(days=7), "active"),)),  # enrolled day 7
    )
    visitor = Visitor("V1", "1/A-101", "carer", ("CARER",), DAY0)
    return Snapshot("Marunda", DAY0, days, (flat,), cards, tuple(records), visitors=(visitor,),
                    absences=absences)  # fmt: skip


def test_days_nights_first_last_and_members():
    records = [
        rec(0, 6.5, "K1"), rec(0, 18, "K1"),  # day 0: out and back
        rec(1, 7, "K1"),  # day 1: out only; night 0 is still present (its 18.00 tap)
        rec(2, 10, "CARER"), rec(2, 16, "CARER"),  # only the carer: no household presence
        rec(8, 7, "K1"), rec(8, 7.5, "K2"), rec(8, 20, "K2"),
        rec(9, 9, "K1", rusun="Tambora"),  # another rusun: not presence at home
    ]  # fmt: skip
    ev = evidence(_snapshot(records), "1/A-101")
    d = {x.day: x for x in ev.days}
    day = lambda i: d[DAY0 + dt.timedelta(days=i)]  # noqa: E731
    assert (day(0).taps, day(0).first, day(0).last) == (2, at(0, 6.5), at(0, 18))
    assert day(0).night and not day(1).night  # day 1's only tap is in the morning
    assert day(2).taps == 0 and not day(2).night  # the carer is not the household
    assert day(8).members == ("R1", "R2") and day(8).cards == ("K1", "K2")
    assert day(9).taps == 0
    assert (day(6).expected, day(8).expected) == (1, 2)  # K2 is enrolled on day 7
    assert ev.expected == ("R1", "R2") and ev.seen == ("R1", "R2")
    assert [w.present_days for w in ev.weeks] == [2, 1]
    assert ev.weeks[1].members_seen == 2 and ev.weeks[0].median_first_min == 6 * 60 + 45
    uses = {u.card: u for u in ev.cards}
    assert uses["K1"].other_rusun_days == 1 and uses["K1"].days == 3
    assert uses["CARER"].holder == "V1" and uses["CARER"].taps == 2
    assert uses["K2"].status == "active"


def test_izin_makes_a_day_excused():
    izin = (Absence("R1", DAY0 + dt.timedelta(days=3), DAY0 + dt.timedelta(days=5)),)
    ev = evidence(_snapshot([rec(0, 7, "K1")], absences=izin), "1/A-101")
    assert [x.excused for x in ev.days[:7]] == [False, False, False, True, True, True, False]


def test_flagged_flats_come_with_their_evidence_and_unknown_flats_are_refused():
    s = _snapshot([rec(0, 7, "K1")], days=30)  # nobody seen for 29 days
    review = detect(s)
    assert [it.key for it in review.items] == ["1/A-101"]
    assert review.evidence["1/A-101"] == evidence(s, "1/A-101")
    assert detect(s, evidence=False).evidence == {}
    with pytest.raises(KeyError):
        evidence(s, "1/A-999")


def test_the_detector_is_pure_code():
    """sync/review imports only the standard library, itself and the wire format: no I/O, no
    database, no clock (a snapshot carries all it may know)."""
    allowed = {"__future__", "dataclasses", "datetime", "statistics", "typing", "firmware"}
    for path in sorted((ROOT / "sync" / "review").glob("*.py")):
        tree = ast.parse(pathlib.Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or name.startswith("sync.review"), (path.name, name)
                assert top != "firmware" or name == "firmware", (path.name, name)
