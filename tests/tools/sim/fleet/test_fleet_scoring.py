# Scoring math on small hand-made queues, including the edge cases of the matching rules.
# SPDX-License-Identifier: MIT
import pytest

from tools.sim.fleet.scoring import claims, score

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
