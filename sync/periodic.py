# periodic: a server's own timer: a pass every N seconds in a daemon thread, stopped cleanly.
# SPDX-License-Identifier: MIT
"""``Periodic(every_s, name)``: ``start()`` runs ``run_once`` every ``every_s`` seconds in a
daemon thread; ``stop()`` sets the event a pass may poll (``self._stop.is_set``) and waits for
the pass under way. The alert loop (``sync.alert_loop``) and the card sweep's
(``sync.sweep_loop``) are two; the app's lifespan starts and stops them."""

from __future__ import annotations

import threading

STOP_WAIT_S = 60.0  # at shutdown, for a pass under way (its own steps have shorter timeouts)


class Periodic:
    def __init__(self, every_s: float, name: str) -> None:
        self.every_s = every_s
        self.passes = 0  # passes finished
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_s: float = STOP_WAIT_S) -> None:
        """Ends the loop: the pass under way stops at its next check of the event."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(wait_s)

    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.run_once()

    def run_once(self) -> None:
        raise NotImplementedError
