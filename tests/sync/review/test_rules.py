# The detector's rules on hand-made snapshots: each fires on its story, its confounder does not.
# SPDX-License-Identifier: MIT
import datetime as dt
import random

import pytest

from firmware import wire
from sync.review import QUEUE_SCORE, detect, queue
from sync.review.model import (
    Absence,
    Card,
    Dated,
    Flat,
    Member,
    Record,
    Snapshot,
    Thresholds,
    Visitor,
)

DAY0 = dt.date(2017, 2, 6)  # a Monday
START = int(dt.datetime(2017, 2, 6, tzinfo=dt.timezone(dt.timedelta(hours=7))).timestamp())
DAYS = 63


def at(day: int, hours: float) -> int:
    return START + day * 86400 + int(hours * 3600)


def weekend(day: int) -> bool:
    return (DAY0 + dt.timedelta(days=day)).weekday() >= 5


def life(card, days=range(DAYS), out=7.0, back=18.0, seed=0, rusun="Marunda", spread=0.15):
    """Ordinary life: out and back on weekdays (a few minutes' spread), one outing at weekends."""
    rng = random.Random(hash((card, seed)) & 0xFFFF)
    recs = []
    for d in days:
        if weekend(d):
            h = rng.uniform(9, 11)
            times = [h, h + rng.uniform(2, 4)]
        else:
            times = [rng.gauss(out, spread), rng.gauss(back, spread)]
        recs += [Record(at(d, h), rusun, 1, card, wire.CARD_ENROLLED) for h in times]
    return recs


def snap(households, records, days=DAYS, **kw):
    """households: {flat: [resident, ...]}; resident R has card "K-R" from day 0."""
    flats, cards = [], []
    for key, people in households.items():
        members = tuple(Member(r, (Dated(DAY0, "active"),)) for r in people)
        flats.append(Flat(key, key, (Dated(DAY0, "occupied"),), members))
        cards += [Card("K-" + r, r, (Dated(DAY0, "active"),)) for r in people]
    extra_cards = kw.pop("cards", ())
    flats = kw.pop("flats", flats)
    return Snapshot("Marunda", DAY0, days, tuple(flats), tuple(cards) + tuple(extra_cards),
                    tuple(records), **kw)  # fmt: skip


def found(s):
    return {it.key: it.codes for it in detect(s).items}


def item(s, key):
    return next(it for it in detect(s).items if it.key == key)


HOUSE = {"A-101": ["R1", "R2", "R3"], "A-102": ["R4"]}


def ordinary():
    return (
        life("K-R1", out=6.5, back=17.5)
        + life("K-R2", out=7.25, back=16)
        + life("K-R3", out=8, back=19)
        + life("K-R4", out=6, back=20)
    )


def test_ordinary_life_gives_no_item():
    assert found(snap(HOUSE, ordinary())) == {}


def test_not_seen_counts_silent_days_and_izin_excuses_them():
    recs = [r for r in ordinary() if r.card != "K-R4" or r.time < at(40, 0)]
    it = item(snap(HOUSE, recs), "A-102")
    assert it.codes == ["not_seen"] and it.score >= QUEUE_SCORE
    assert dict(it.reasons[0].facts)["days"] == DAYS - 40
    # The same silence declared as izin (travel) from day 40 on: nothing to review.
    izin = (Absence("R4", DAY0 + dt.timedelta(days=40), DAY0 + dt.timedelta(days=70), "travel"),)
    assert found(snap(HOUSE, recs, absences=izin)) == {}
    # Silent only the last 13 days (threshold 14): not yet.
    recs = [r for r in ordinary() if r.card != "K-R4" or r.time < at(50, 0)]
    assert found(snap(HOUSE, recs)) == {}


def test_a_member_who_moved_out_is_not_expected():
    recs = [r for r in ordinary() if r.card != "K-R4" or r.time < at(40, 0)]
    left = Member("R4", (Dated(DAY0, "active"), Dated(DAY0 + dt.timedelta(days=40), "moved_out")))
    flats = [Flat("A-101", "A-101", (Dated(DAY0, "occupied"),),
                  tuple(Member(r, (Dated(DAY0, "active"),)) for r in HOUSE["A-101"])),
             Flat("A-102", "A-102", (Dated(DAY0, "occupied"),), (left,))]  # fmt: skip
    assert found(snap(HOUSE, recs, flats=flats)) == {}


def _burst(records, card, gap=30):
    return [Record(r.time + gap, r.rusun, r.terminal, r.card, r.flags) for r in records
            if r.card == card]  # fmt: skip


def test_one_card_carrying_several_people():
    recs = [r for r in ordinary() if r.card not in ("K-R2", "K-R3")]
    assert found(snap(HOUSE, recs)) == {}  # quiet members alone are no lending
    bursts = recs + _burst(recs, "K-R1")
    it = item(snap(HOUSE, bursts), "A-101")
    assert "one_card_household" in it.codes and it.score >= QUEUE_SCORE
    # A single-member flat whose card taps for several people every day: the same reason.
    single = ordinary() + _burst(ordinary(), "K-R4")
    assert "one_card_household" in found(snap(HOUSE, single))["A-102"]
    # A repeated tap when the beep was not heard, on 4 days of 63: no.
    few = [r for r in _burst(ordinary(), "K-R4") if r.time < at(4, 0)]
    assert found(snap(HOUSE, ordinary() + few)) == {}


def test_members_stopped_while_one_card_goes_on():
    stop = at(35, 0)
    recs = [r for r in ordinary() if r.card in ("K-R1", "K-R4") or r.time < stop]
    it = item(snap(HOUSE, recs), "A-101")
    assert it.codes == ["members_stopped"]
    facts = dict(it.reasons[0].facts)
    assert (facts["stopped"], facts["together"], facts["card"]) == (2, 2, "K-R1")
    assert it.score >= QUEUE_SCORE  # two members together: one strong reason
    # One member stops (a departure the office was not told of): weak, not on the queue.
    one = [r for r in ordinary() if r.card != "K-R3" or r.time < stop]
    it = item(snap(HOUSE, one), "A-101")
    assert it.codes == ["members_stopped"] and it.score < QUEUE_SCORE
    # The same member with izin: nothing.
    izin = (Absence("R3", DAY0 + dt.timedelta(days=35), DAY0 + dt.timedelta(days=90)),)
    assert found(snap(HOUSE, one, absences=izin)) == {}


def test_pattern_change_against_the_cards_own_history():
    change = 42  # a Monday
    recs = [r for r in ordinary() if r.card != "K-R4"]
    recs += life("K-R4", days=range(change), out=6, back=20)
    recs += life("K-R4", days=range(change, DAYS), out=9.5, back=15, seed=1)
    it = item(snap(HOUSE, recs), "A-102")
    assert it.codes == ["pattern_change"]
    pc = it.reasons[0]
    assert abs((pc.since - DAY0).days - change) <= 1
    assert it.score < QUEUE_SCORE  # one card: as likely a new job as a new person
    # Too little history before the change (threshold 28 days): nothing yet.
    short = [r for r in recs if r.time >= at(20, 0)]
    s = snap(HOUSE, short)
    assert "A-102" not in found(s)


def test_a_rotating_shift_worker_is_not_a_change():
    shifts = ((5.25, 14.75), (13.25, 22.75), (21.25, 6.75))
    recs = [r for r in ordinary() if r.card != "K-R4"]
    rng = random.Random(5)
    for d in range(DAYS):
        if weekend(d):
            continue
        leave, back = shifts[(d // 7) % 3]
        for h in (rng.gauss(leave, 0.15), rng.gauss(back, 0.3)):
            recs.append(Record(at(d, h), "Marunda", 1, "K-R4", wire.CARD_ENROLLED))
    assert found(snap(HOUSE, recs)) == {}


def test_a_handover_tells_the_same_story_twice_and_is_queued():
    h = 40
    recs = [r for r in ordinary() if r.card == "K-R4" or r.time < at(h, 0)]
    recs = [r for r in recs if r.card != "K-R1" or r.time < at(h, 0)]
    recs += life("K-R1", days=range(h, DAYS), out=9.5, back=22, seed=3)
    it = item(snap(HOUSE, recs), "A-101")
    assert set(it.codes) == {"members_stopped", "pattern_change"}
    assert it.score >= QUEUE_SCORE and [q.key for q in queue(detect(snap(HOUSE, recs)))] == [
        "A-101"
    ]


def test_same_minute_is_one_tap_a_day_and_a_punctual_worker_is_not():
    recs = [r for r in ordinary() if r.card != "K-R3"]
    helper = [Record(at(d, 7 + 42 / 60) + d % 50, "Marunda", 1, "K-R3", 1) for d in range(DAYS)]
    assert found(snap(HOUSE, recs + helper)) == {"A-101": ["same_minute"]}
    punctual = life("K-R3", out=7 + 42.5 / 60, back=18, spread=0.003)
    assert found(snap(HOUSE, recs + punctual)) == {}


def test_other_rusun_is_a_card_living_there_not_a_visit():
    visits = [Record(at(d, h), "Tambora", 5, "K-R4", 0, True) for d in (12, 26, 40, 54)
              for h in (13, 16)]  # fmt: skip
    assert found(snap(HOUSE, ordinary() + visits)) == {}
    moved = [r for r in ordinary() if r.card != "K-R4" or r.time < at(50, 0)]
    there = life("K-R4", days=range(50, DAYS), rusun="Tambora")
    it = item(snap(HOUSE, moved + there), "A-102")
    assert set(it.codes) == {"other_rusun"}
    assert dict(it.reasons[0].facts)["where"] == "Tambora"


def test_clone_flags_and_blocked_cards():
    flagged = [Record(at(30, 21), "Marunda", 1, "K-R2",
                      wire.CARD_ENROLLED | wire.CARD_MAGIC_SUSPECT)]  # fmt: skip
    assert found(snap(HOUSE, ordinary() + flagged)) == {"A-101": ["clone"]}
    blocked = [Card("K-R4", "R4", (Dated(DAY0, "active"),
                                   Dated(DAY0 + dt.timedelta(days=50), "blocked")))]  # fmt: skip
    households = {"A-101": HOUSE["A-101"], "A-102": []}
    flats = [Flat("A-101", "A-101", (Dated(DAY0, "occupied"),),
                  tuple(Member(r, (Dated(DAY0, "active"),)) for r in HOUSE["A-101"])),
             Flat("A-102", "A-102", (Dated(DAY0, "occupied"),),
                  (Member("R4", (Dated(DAY0, "active"),)),))]  # fmt: skip
    # Tapped on the day it was blocked (before the allow-list sync): not yet evidence.
    same_day = [r for r in ordinary() if r.card != "K-R4" or r.time < at(51, 0)]
    s = snap(households, same_day, flats=flats, cards=blocked)
    assert "blocked_card" not in found(s).get("A-102", [])
    s = snap(households, ordinary(), flats=flats, cards=blocked)
    it = item(s, "A-102")
    assert "blocked_card" in it.codes and it.score >= QUEUE_SCORE


def test_unknown_cards_registered_visitors_and_foreign_cards():
    guest = [Record(at(d, 15), "Marunda", 1, "04AABBCCDDEEFF", 0, True) for d in (3, 10, 17)]
    out = detect(snap(HOUSE, ordinary() + guest)).items
    assert [(it.subject, it.key, it.codes) for it in out] == [
        ("card", "04AABBCCDDEEFF", ["unknown_card"])
    ]
    assert out[0].score < QUEUE_SCORE  # a card names no flat: a card to identify
    carer = (Visitor("V1", "A-102", "carer", ("04AABBCCDDEEFF",), DAY0),)
    assert found(snap(HOUSE, ordinary() + guest, visitors=carer)) == {}
    kin = frozenset({"04AABBCCDDEEFF"})
    assert found(snap(HOUSE, ordinary() + guest, foreign_cards=kin)) == {}
    phone = [Record(at(d, 15), "Marunda", 1, "08A1B2C3", wire.CARD_RANDOM_UID, True)
             for d in range(10)]  # fmt: skip
    assert found(snap(HOUSE, ordinary() + phone)) == {}


def test_every_reason_explains_itself_in_both_languages():
    recs = [r for r in ordinary() if r.card in ("K-R1",) or r.time < at(35, 0)]
    for it in detect(snap(HOUSE, recs)).items:
        for reason in it.reasons:
            id_text, en_text = reason.text
            assert id_text and en_text and id_text != en_text
            assert "{" not in id_text + en_text
            for _name, value in reason.facts:
                assert str(value) in en_text or _name in ("together",)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"not_seen_days": 1}, "not_seen_days harus bilangan bulat 2-90 / "),
        ({"nope": 3}, "ambang tidak dikenal: nope / unknown threshold: nope"),
        ({"burst_s": "60"}, "must be an integer 10-900"),
    ],
)
def test_thresholds_an_admin_sets_are_checked(overrides, message):
    from sync.review.model import ThresholdError, with_overrides

    with pytest.raises(ThresholdError, match=message):
        with_overrides(Thresholds(), overrides)
    assert with_overrides(Thresholds(), {"not_seen_days": 21}).not_seen_days == 21


def test_a_per_rusun_threshold_changes_the_answer():
    recs = [r for r in ordinary() if r.card != "K-R4" or r.time < at(45, 0)]
    assert "A-102" in found(snap(HOUSE, recs))
    looser = Thresholds(not_seen_days=21)
    assert "A-102" not in found(snap(HOUSE, recs, thresholds=looser))
