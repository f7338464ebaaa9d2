# scoring: precision and recall of a review queue against the planted cases' ground truth.
# SPDX-License-Identifier: MIT
"""Score a review queue against ground truth, per reason and overall.

    result = score(queue, truth)     # {"overall": {...}, "by_reason": {reason: {...}}}

Matching, precisely:

- A queue item names exactly one subject, ``unit``, ``resident`` or ``card``, and a list of
  reasons. It stands for one *claim* per distinct reason: (subject kind, subject id, reason).
  The same claim made twice counts once.
- Each ``expect`` item of each ground-truth case is one *expected claim*, built the same way.
  The same expected claim in two cases counts once.
- A claim is a true positive when an identical expected claim exists: same subject kind, same id
  (card UIDs compared upper-case), same reason. Nothing else matches: a card flagged for the right
  reason under another reason, or a unit reported as one of its residents, is both a false
  positive and a miss.
- Per reason r: precision = |claims with reason r that are expected| / |claims with reason r|,
  recall = |expected claims with reason r that are claimed| / |expected claims with reason r|.
  Overall: the same over all claims (micro-average). An empty denominator gives ``None``.
- A case is *found* when at least one of its expected claims is claimed; ``cases_found`` counts
  them.
"""

SUBJECTS = ("unit", "resident", "card")


def _subject(item: dict) -> tuple[str, str]:
    keys = [k for k in SUBJECTS if k in item]
    if len(keys) != 1:
        raise ValueError("an item names exactly one of unit, resident, card: %r" % (item,))
    kind = keys[0]
    value = str(item[kind])
    return kind, value.upper() if kind == "card" else value


def claims(queue: list[dict]) -> set[tuple[str, str, str]]:
    """The distinct (subject kind, id, reason) claims of a review queue."""
    out = set()
    for item in queue:
        kind, ident = _subject(item)
        for reason in item["reasons"]:
            out.add((kind, ident, reason))
    return out


def expected(truth: dict) -> set[tuple[str, str, str]]:
    """The distinct expected claims of a ground truth {cases: [{expect: [...]}, ...]}."""
    out = set()
    for case in truth["cases"]:
        for item in case["expect"]:
            out.add(_subject(item) + (item["reason"],))
    return out


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _figures(got: set, want: set) -> dict:
    tp = len(got & want)
    return {
        "claimed": len(got),
        "expected": len(want),
        "true_positives": tp,
        "precision": _ratio(tp, len(got)),
        "recall": _ratio(tp, len(want)),
    }


def score(queue: list[dict], truth: dict) -> dict:
    got, want = claims(queue), expected(truth)
    reasons = sorted({c[2] for c in got} | {c[2] for c in want})
    by_reason = {
        r: _figures({c for c in got if c[2] == r}, {c for c in want if c[2] == r}) for r in reasons
    }
    found = 0
    for case in truth["cases"]:
        case_claims = {_subject(item) + (item["reason"],) for item in case["expect"]}
        found += bool(case_claims & got)
    overall = _figures(got, want)
    overall["cases"] = len(truth["cases"])
    overall["cases_found"] = found
    return {"overall": overall, "by_reason": by_reason}
