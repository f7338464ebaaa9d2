# The dashboard's review queue on a fleet world stored by the collector, scored as bench/dashboard.
# SPDX-License-Identifier: MIT
"""Two days of the first world (seed 1) through the collector on SQLite, the queue the dashboard
shows mapped back with ``tests/kit/dashworld.queue_claims`` and scored against the planted
cases: the truth expects a registered card's misuse (clone, other_rusun) on its flat, so the
claims must name the flat, and every card nobody registered must be found back by its UID."""

from sync.app import create_app
from sync.service import dashboard
from sync.settings import Settings
from tests.kit.dashworld import DAY, queue_claims, seed_world
from tests.kit.seed import Clock
from tools.sim.fleet.scoring import score

DAYS = 2


def test_queue_scores_card_reasons_on_the_flat_and_unknown_cards_by_uid(tmp_path):
    clock = Clock(0)
    app = create_app(Settings(str(tmp_path / "hadir.db"), bytes(range(32)), clock=clock))
    c = app.state.collector
    try:
        w, token_of, _keys, stored, _s = seed_world(c, clock, 1, DAYS)
        assert stored >= len(w.taps)
        now = w.start + DAYS * DAY - 1
        clock.t = now
        items, _params, _period = dashboard.review_queue(c, now, None, days=DAYS)
        result = score(queue_claims(items, c, w, token_of), w.truth)
    finally:
        c.db.close()
    by = result["by_reason"]
    # Two days are enough for these (a same-minute habit or a one-card flat need more).
    for reason in ("clone", "other_rusun", "unknown_card"):
        assert by[reason]["expected"] > 0, reason
        assert (by[reason]["precision"], by[reason]["recall"]) == (1.0, 1.0), (reason, by[reason])
    assert by["not_seen"]["recall"] == 1.0
    assert set(by) <= {"clone", "other_rusun", "unknown_card", "not_seen", "one_card_household",
                       "same_minute"}  # the first world: no handed-over card  # fmt: skip
