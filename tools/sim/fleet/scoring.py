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


def to_units(queue: list[dict], unit_of_card: dict[str, str]) -> list[dict]:
    """The first queue's shape (``registry_queue.review_queue``: card reasons on card subjects) in
    the world's terms: a registered card's claim is its holder's unit's (a card's misuse is its
    flat's); cards nobody registered stay cards."""
    out = []
    for item in queue:
        unit = unit_of_card.get(str(item.get("card", "")).upper())
        out.append({"unit": unit, "reasons": item["reasons"]} if unit else item)
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


# --- the per-flat review: what a housing officer would find at the door -----------------------

HANDOVER_REASONS = ("pattern_change", "members_stopped", "one_card_household")


def misuse_at(truth: dict, day: int) -> tuple[set[str], set[str]]:
    """(units, cards) in misuse on ``day``: every case begun by then (``since_day``); a card is
    a subject only for a card nobody registered (a registered card's misuse is its flat's)."""
    units, cards = set(), set()
    for case in truth["cases"]:
        if case.get("since_day", 0) > day:
            continue
        for item in case["expect"]:
            kind, ident = _subject(item)
            (units if kind == "unit" else cards).add(ident)
    return units, cards


def score_review(items: list[dict], truth: dict, day: int, queue_score: float) -> dict:
    """Score one review held on ``day`` (items: ``{"unit" | "card": key, "reasons", "score"}``).

    - ``by_reason[r]``: every item with reason r, whether or not its score puts it on the
      queue. precision = claims of r whose subject is in misuse that day / claims of r (a right
      door for another reason still counts: the officer finds the misuse); recall = expected
      (subject, r) claims of the cases begun by then that are claimed with r / those expected.
    - ``queue``: the flats with score >= ``queue_score``; precision = those in misuse / all of
      them; recall = flats in misuse that are on the queue / flats in misuse.
    - ``cards``: the cards nobody registered (``unknown_card``), the same way: their holder is
      not known, so they are a list of cards to identify, not doors to knock on.
    """
    units, cards = misuse_at(truth, day)
    bad = {"unit": units, "card": cards}
    want: set[tuple[str, str, str]] = set()
    for case in truth["cases"]:
        if case.get("since_day", 0) <= day:
            for item in case["expect"]:
                want.add(_subject(item) + (item["reason"],))
    got = claims(items)
    reasons = sorted({c[2] for c in got} | {c[2] for c in want})
    by_reason = {}
    for r in reasons:
        mine = {c for c in got if c[2] == r}
        exp = {c for c in want if c[2] == r}
        tp = sum(1 for kind, ident, _r in mine if ident in bad[kind])
        by_reason[r] = {"claimed": len(mine), "expected": len(exp),
                        "true_positives": tp, "found": len(mine & exp),
                        "precision": _ratio(tp, len(mine)),
                        "recall": _ratio(len(mine & exp), len(exp))}  # fmt: skip
    queue = {_subject(it)[1] for it in items if "unit" in it and it["score"] >= queue_score}
    listed = {_subject(it)[1] for it in items if "card" in it}
    return {
        "day": day,
        "by_reason": by_reason,
        "queue": _set_figures(queue, units),
        "cards": _set_figures(listed, cards),
    }


def _set_figures(got: set[str], want: set[str]) -> dict:
    tp = len(got & want)
    return {"claimed": len(got), "expected": len(want), "true_positives": tp,
            "precision": _ratio(tp, len(got)), "recall": _ratio(tp, len(want))}  # fmt: skip


def handover_figures(
    reviews: list[tuple[int, list[dict]]], truth: dict, queue_score: float, within: int = 30
) -> dict:
    """Handed-over cards over a series of reviews ``[(day, items), ...]`` (weekly, say).

    - ``recall``: handovers whose flat is on the queue (any reason) in a review held within
      ``within`` days after the handover day, over the handovers that had that long;
      ``recall_by_rules``: the same, counting only queue entries with a handover rule
      (``HANDOVER_REASONS``) among their reasons.
    - ``precision``: of the flats that entered the queue with a handover rule, each counted
      once at the first review that put it there, those in misuse (any case) on that day.
    - ``cases``: per handover, its variant, day, whether it had ``within`` days, and the first
      review on or after the handover day that put its flat on the queue (``found_day``, None
      when none did) with the reasons of that entry.
    """
    cases = [c for c in truth["cases"] if c["kind"] == "handover"]
    last = max(day for day, _items in reviews)
    first_flag: dict[str, int] = {}
    on_any: dict[str, list[int]] = {}  # unit -> review days it was on the queue
    on_rules: dict[str, list[int]] = {}
    reasons_on: dict[tuple[str, int], list[str]] = {}
    for day, items in sorted(reviews):
        for it in items:
            if "unit" not in it or it["score"] < queue_score:
                continue
            unit = it["unit"]
            on_any.setdefault(unit, []).append(day)
            reasons_on[unit, day] = sorted(it["reasons"])
            if set(it["reasons"]) & set(HANDOVER_REASONS):
                first_flag.setdefault(unit, day)
                on_rules.setdefault(unit, []).append(day)
    eligible = [c for c in cases if c["since_day"] + within <= last]

    def _found(on: dict[str, list[int]]) -> int:
        n = 0
        for c in eligible:
            days = on.get(c["expect"][0]["unit"], [])
            n += any(c["since_day"] <= d <= c["since_day"] + within for d in days)
        return n

    tp = sum(1 for unit, day in first_flag.items() if unit in misuse_at(truth, day)[0])
    per_case = []
    for c in cases:
        unit = c["expect"][0]["unit"]
        found = min((d for d in on_any.get(unit, []) if d >= c["since_day"]), default=None)
        why = reasons_on[unit, found] if found is not None else []
        per_case.append({"case": c["case"], "unit": unit, "variant": c.get("variant"),
                         "since_day": c["since_day"], "eligible": c in eligible,
                         "found_day": found, "reasons": why})  # fmt: skip
    return {
        "handovers": len(cases),
        "eligible": len(eligible),
        "found": _found(on_any),
        "found_by_rules": _found(on_rules),
        "recall": _ratio(_found(on_any), len(eligible)),
        "recall_by_rules": _ratio(_found(on_rules), len(eligible)),
        "flags": len(first_flag),
        "true_flags": tp,
        "precision": _ratio(tp, len(first_flag)),
        "cases": per_case,
    }


def series_by_reason(reviews: list[tuple[int, list[dict]]], truth: dict) -> dict:
    """Per reason over a series of reviews ``[(day, items), ...]``: each (subject, reason) claim
    counted once, at the first review that made it (whatever its score).

    precision = claims whose subject was in misuse on that day / claims; recall = expected
    (subject, reason) claims of the cases begun by the last review that some review on or
    after the case's first day made / those expected."""
    first: dict[tuple[str, str, str], int] = {}
    for day, items in sorted(reviews):
        for claim in claims(items):
            first.setdefault(claim, day)
    last = max(day for day, _items in reviews)
    since: dict[tuple[str, str, str], int] = {}
    for case in truth["cases"]:
        if case.get("since_day", 0) <= last:
            for item in case["expect"]:
                claim = _subject(item) + (item["reason"],)
                since[claim] = min(since.get(claim, last), case.get("since_day", 0))
    made: dict[tuple[str, str, str], list[int]] = {}
    for day, items in sorted(reviews):
        for claim in claims(items):
            made.setdefault(claim, []).append(day)
    misuse = {day: misuse_at(truth, day) for day, _items in reviews}
    out = {}
    for r in sorted({c[2] for c in first} | {c[2] for c in since}):
        mine = [(c, d) for c, d in first.items() if c[2] == r]
        tp = sum(1 for (kind, ident, _r), d in mine
                 if ident in misuse[d][0 if kind == "unit" else 1])  # fmt: skip
        exp = [c for c in since if c[2] == r]
        found = sum(1 for c in exp if any(d >= since[c] for d in made.get(c, ())))
        out[r] = {"claimed": len(mine), "true_positives": tp, "expected": len(exp),
                  "found": found, "precision": _ratio(tp, len(mine)),
                  "recall": _ratio(found, len(exp))}  # fmt: skip
    return out
