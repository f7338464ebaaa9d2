# sweep_loop: the server's own timer for the city-wide card sweep, in a thread of its own.
# SPDX-License-Identifier: MIT
"""``SweepLoop(collector, every_s)``: ``start()`` runs ``cardsweep.run`` every ``every_s``
seconds in a daemon thread, each pass bounded to ``BUDGET_S`` seconds (the next pass resumes),
``stop()`` ends it between two chunks (the app's lifespan does both; ``HADIR_CARD_SWEEP_EVERY``).
Several collector processes on one database each run a loop; the pass's lease lets one sweep
at a time. A failing pass (the database away) is logged once, as a warning, with no token,
card or key in it, and tried again on the next period."""

from __future__ import annotations

import logging
from typing import Any

from sync.periodic import Periodic
from sync.service import alerts, cardsweep

log = logging.getLogger("hadir.cardsweep")
BUDGET_S = 300.0  # one pass at most this long (then the next pass resumes where it stopped)


class SweepLoop(Periodic):
    def __init__(self, collector: Any, every_s: float) -> None:
        super().__init__(every_s, "hadir-cardsweep")
        self.collector = collector
        self.holder = alerts.new_holder()
        self.last: dict[str, int] = {}
        self._failing = False

    def run_once(self) -> None:
        try:
            self.last = cardsweep.run(self.collector, seconds=BUDGET_S, holder=self.holder,
                                      stop=self._stop.is_set)  # fmt: skip
            self._failing = False
        except Exception as exc:  # the database away, a bug: logged once, the loop goes on
            if not self._failing:
                log.warning("sapuan kartu gagal / card sweep failed: %s (retried next pass)",
                            type(exc).__name__)  # fmt: skip
            self._failing = True
        self.passes += 1
