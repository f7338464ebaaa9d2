# Scoring math on small hand-made queues, including the edge cases of the matching rules.
# SPDX-License-Identifier: MIT
import pytest

from tools.sim.fleet.scoring import claims, handover_figures, score

TRUTH = {
    "cases": [
        {"case": "C1", "expect": [{"unit": "U1", "reason": "not_seen"}]},
        {
            "case": "C2",
            "expect": [
                {"unit": "U2", "reason": "not_seen"},
                {"card": "aabbccdd", "reason": "unknown_card"},
            ],
        },
        {"case": "C3", "expect": [{"card": "01020304", "reason": "clone"}]},
    ]
}


def test_perfect_queue():
    queue = [
        {"unit": "U1", "reasons": ["not_seen"]},
        {"unit": "U2", "reasons": ["not_seen"]},
        {"card": "AABBCCDD", "reasons": ["unknown_card"]},
        {"card": "01020304", "reasons": ["clone"]},
    ]
    s = score(queue, TRUTH)
    assert s["overall"]["precision"] == s["overall"]["recall"] == 1.0
    assert (s["overall"]["cases"], s["overall"]["cases_found"]) == (3, 3)


def test_partial_queue_per_reason_and_overall():
    queue = [
        {"unit": "U1", "reasons": ["not_seen", "one_card_household"]},  # one right, one wrong
        {"unit": "U9", "reasons": ["not_seen"]},  # false positive
        {"card": "aabbccdd", "reasons": ["unknown_card"]},
        {"card": "aabbccdd", "reasons": ["unknown_card"]},  # a repeated claim counts once
        {"resident": "R1", "reasons": ["clone"]},  # wrong subject kind: no match
    ]
    s = score(queue, TRUTH)
    ns = s["by_reason"]["not_seen"]
    assert (ns["claimed"], ns["expected"], ns["true_positives"]) == (2, 2, 1)
    assert ns["precision"] == ns["recall"] == 0.5
    assert s["by_reason"]["one_card_household"]["precision"] == 0.0
    assert s["by_reason"]["one_card_household"]["recall"] is None
    assert s["by_reason"]["clone"]["recall"] == 0.0
    assert s["by_reason"]["unknown_card"]["precision"] == 1.0
    o = s["overall"]
    assert (o["claimed"], o["expected"], o["true_positives"]) == (5, 4, 2)
    assert o["precision"] == pytest.approx(2 / 5) and o["recall"] == pytest.approx(2 / 4)
    assert o["cases_found"] == 2  # C1 and C2 (through its card); C3 missed


def test_right_subject_wrong_reason_is_a_miss_and_a_false_positive():
    s = score([{"card": "01020304", "reasons": ["other_rusun"]}], TRUTH)
    assert s["by_reason"]["clone"]["recall"] == 0.0
    assert s["by_reason"]["other_rusun"]["precision"] == 0.0
    assert s["overall"]["true_positives"] == 0


def test_empty_queue():
    s = score([], TRUTH)
    assert s["overall"]["precision"] is None and s["overall"]["recall"] == 0.0


def test_item_must_name_exactly_one_subject():
    with pytest.raises(ValueError):
        claims([{"unit": "U1", "card": "01", "reasons": ["clone"]}])
    with pytest.raises(ValueError):
        claims([{"reasons": ["clone"]}])


def test_handed_over_cards_within_30_days_and_the_handover_rules_precision():
    truth = {"cases": [
        {"case": "H1", "kind": "handover", "since_day": 50, "variant": "card",
         "expect": [{"unit": "U1", "reason": "pattern_change"}]},
        {"case": "H2", "kind": "handover", "since_day": 50, "variant": "copy",
         "expect": [{"unit": "U2", "reason": "pattern_change"}]},
        {"case": "H3", "kind": "handover", "since_day": 95, "variant": "card",
         "expect": [{"unit": "U3", "reason": "pattern_change"}]},
        {"case": "S1", "kind": "sublet", "since_day": 0,
         "expect": [{"unit": "U4", "reason": "not_seen"}]},
    ]}  # fmt: skip

    def item(unit, reasons, score=0.75):
        return {"unit": unit, "reasons": reasons, "score": score}

    reviews = [
        (48, [item("U1", ["pattern_change"]), item("U9", ["members_stopped"], 0.3)]),
        (62, [item("U1", ["members_stopped", "pattern_change"]), item("U4", ["not_seen"]),
              item("U9", ["members_stopped", "pattern_change"])]),
        (90, [item("U2", ["not_seen"]), item("U4", ["pattern_change"])]),
        (111, [item("U3", ["pattern_change"])]),
    ]  # fmt: skip
    h = handover_figures(reviews, truth, 0.5)
    # H3 (day 95) has no 30 days before the last review; U1 on the queue on day 62 (the day-48
    # entry is before the handover); U2 only on day 90, 40 days after.
    assert (h["handovers"], h["eligible"], h["found"], h["recall"]) == (3, 2, 1, 0.5)
    assert h["found_by_rules"] == 1
    # First entries with a handover rule: U1 on 48 (not yet in misuse), U9 (never), U4 (in
    # misuse: a sublet), U3 (in misuse from day 95).
    assert (h["flags"], h["true_flags"]) == (4, 2) and h["precision"] == 0.5
    by_case = {c["case"]: c for c in h["cases"]}
    assert by_case["H1"]["found_day"] == 62
    assert by_case["H1"]["reasons"] == ["members_stopped", "pattern_change"]
    assert by_case["H2"]["found_day"] == 90 and by_case["H3"]["eligible"] is False
