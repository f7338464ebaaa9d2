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
import threading
from collections.abc import Sequence
from typing import Any

from sync.service import alerts

log = logging.getLogger("hadir.alerts")
STOP_WAIT_S = 60.0  # at shutdown, for a pass in the middle of a send (its own timeouts are 15 s)


class AlertLoop:
    def __init__(self, collector: Any, senders: Sequence[alerts.Sender], every_s: float) -> None:
        self.collector, self.senders, self.every_s = collector, list(senders), every_s
        self.holder = alerts.new_holder()  # its name on the lease (module doc)
        self.passes = 0  # passes finished (those that found the lease held included)
        self._stop = threading.Event()
        self._failing: set[str] = set()  # kinds of failure logged and not recovered since
        self._thread = threading.Thread(target=self._loop, name="hadir-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Ends the loop: the pass under way stops before its next message."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(wait_s)

    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.run_once()

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
