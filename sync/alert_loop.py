# alert_loop: the server's own timer for alert delivery (no cron needed), in a thread of its own.
# SPDX-License-Identifier: MIT
"""``AlertLoop(collector, senders, every_s)``: ``start()`` runs ``alerts.run`` every ``every_s``
seconds in a daemon thread, ``stop()`` ends it (the app's lifespan does both: docs/collector.md,
"Alerts to people"). A pass blocks on SMTP and webhooks (each call with its own timeout,
``sync.notify.TIMEOUT_S``), so it never runs on the event loop: requests are never kept
waiting by it. Several collector processes on one database each run a loop; the pass's lease
(``alerts.run``) lets one pass run at a time.

A failing transport is logged once per kind of failure ("email: smtp host:25:
ConnectionRefusedError"), not again while it keeps failing, and once more after a pass that sent
something without it; the message stays due and is tried on the next pass. Nothing logged
names an address or a secret; both lines are warnings, so they reach the server's stderr
with no logging set up (Python's last-resort handler; uvicorn configures only its own).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sync.periodic import Periodic
from sync.service import alerts

log = logging.getLogger("hadir.alerts")


class AlertLoop(Periodic):
    def __init__(self, collector: Any, senders: Sequence[alerts.Sender], every_s: float) -> None:
        super().__init__(every_s, "hadir-alerts")
        self.collector, self.senders = collector, list(senders)
        self.holder = alerts.new_holder()  # its name on the lease (module doc)
        self._failing: set[str] = set()  # kinds of failure logged and not recovered since

    def run_once(self) -> None:
        failures: list[str] = []
        counts: dict[str, int] = {}
        try:
            counts = alerts.run(self.collector, self.senders, holder=self.holder,
                                stop=self._stop.is_set, failures=failures)  # fmt: skip
        except Exception as exc:  # the database away, a bug: logged, the loop goes on
            failures.append(f"pass: {type(exc).__name__}")
        self.passes += 1
        for kind in sorted(set(failures) - self._failing):
            log.warning("peringatan tidak terkirim / alert not sent: %s (retried next pass)", kind)
        if counts.get("sent", 0) + counts.get("digests", 0) > 0:  # something went out again
            for kind in sorted(self._failing - set(failures)):
                log.warning("peringatan terkirim lagi / alerts go out again: %s", kind)
            self._failing = set(failures)
        else:
            self._failing |= set(failures)
