# reader_health: counts reader failures and walks the PN532 recovery ladder; no attendance logic.
# SPDX-License-Identifier: MIT
"""``ReaderHealth(reader)`` keeps the reader alive.

Call ``ok()`` after a successful exchange and ``failed()`` after a ``PN532Error``. Consecutive
failures walk a ladder, one step per failure, each step counted for the health report (the step
numbers are the READER_FAULT record flags of docs/protocol.md):

1. retransmit: nothing to do here, the caller simply tries again;
2. re-init: wake-up + SAMConfiguration + MaxRetries (``reader.init()``);
3. reset: pulse RSTPDN through the injected pin (``reader.reset()``) and re-init;
4. faulty: report the reader faulty and keep retrying with an exponential backoff
   (``may_try(now)`` says when), re-running steps 2-3 at each retry.
"""

from compat import const, ticks_add, ticks_diff
from pn532 import PN532Error

STEP_RETRANSMIT = const(1)
STEP_REINIT = const(2)
STEP_RESET = const(3)
STEP_FAULTY = const(4)


class ReaderHealth:
    def __init__(self, reader, *, backoff_ms=1000, backoff_max_ms=60000):
        self.reader = reader
        self.failures = 0  # consecutive
        self.steps = [0, 0, 0, 0, 0]  # times each step was taken, index = step number
        self.recoveries = 0  # failures followed by a success
        self.faulty = False
        self._backoff_min = backoff_ms
        self._backoff_max = backoff_max_ms
        self._backoff = backoff_ms
        self._next = 0

    def ok(self):
        if self.failures:
            self.recoveries += 1
        self.failures = 0
        self.faulty = False
        self._backoff = self._backoff_min

    def retry_now(self, now):
        """Try at once (an admin cleared the fault remotely), back-off from its start."""
        self._next = now
        self._backoff = self._backoff_min

    def may_try(self, now):
        """False while a faulty reader waits out its backoff."""
        return not self.faulty or ticks_diff(now, self._next) >= 0

    def failed(self, now):
        """Record one failure at ``now`` (ms ticks); take and return the next ladder step."""
        self.failures += 1
        step = self.failures if self.failures < STEP_FAULTY else STEP_FAULTY
        self.steps[step] += 1
        if step == STEP_FAULTY:
            self.faulty = True
            self._next = ticks_add(now, self._backoff)
            self._backoff = min(self._backoff * 2, self._backoff_max)
        if step >= STEP_RESET:
            self.reader.reset()
        if step >= STEP_REINIT:
            try:
                self.reader.init()
            except PN532Error:
                pass  # still broken: the next failure climbs the ladder
        return step
