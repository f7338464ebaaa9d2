# collector: what every service function takes: the database, the vault, the clock, key caches.
# SPDX-License-Identifier: MIT
"""One ``Collector`` per process (``sync.app.open_collector``); the HTTP layer finds it at
``app.state.collector`` and passes it to the service functions (``ingest.upload(c, body)``,
``admin.add_terminal(c, …, scope=…)``, ``reports.presence(c, …)``…), each of which owns its
transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from sync.service.alerts import AlertLimiter
from sync.service.budget import Budget
from sync.store import alert_log, db
from sync.store.db import Database
from sync.vault import Vault


class ChainKey(NamedTuple):
    """A terminal's seal key K(``epoch``) of generation ``gen`` (docs/protocol.md, "Keys and
    epochs")."""

    gen: int
    epoch: int
    key: bytes


class KeyCache:
    """Recently verified chain keys of each terminal (a few, newest first), so a batch does not
    evolve its key from K0 (one SHA-256 per epoch) every time. A few, not one: while two devices
    share a terminal's key (a copy, docs/security.md) each keeps its own. Thread-safe: uploads run
    in a thread pool."""

    PER_TERMINAL = 4

    def __init__(self) -> None:
        self._keys: dict[int, list[ChainKey]] = {}
        self._lock = threading.Lock()

    def get(self, tid: int, gen: int, epoch: int) -> ChainKey | None:
        """The newest known key of generation ``gen`` at or before ``epoch``."""
        with self._lock:
            found = [k for k in self._keys.get(tid, ()) if k.gen == gen and k.epoch <= epoch]
        return max(found, key=lambda k: k.epoch, default=None)

    def remember(self, tid: int, found: ChainKey) -> None:
        with self._lock:
            keys = [k for k in self._keys.get(tid, ()) if k.gen == found.gen and k != found]
            self._keys[tid] = [found, *keys][: self.PER_TERMINAL]

    def forget(self, tid: int) -> None:
        """After a revocation or a new K0 (rotation)."""
        with self._lock:
            self._keys.pop(tid, None)


class Collector:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        clock: Callable[[], float] = time.time,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.db = database
        self.vault = vault
        self.clock = clock
        self.after_commit = after_commit  # tests only: runs between an upload's commit and reply
        self.before_commit: Callable[[], None] | None = None  # tests only: inside its transaction
        self.keys = KeyCache()
        from sync.service.cardkeys import Sightings  # cardkeys imports this module

        self.sightings = Sightings()
        self.budget = Budget(self.clock)
        self.alert_limit = AlertLimiter()
        self.ca_pem: str | None = None  # the CA certificate terminals pin (bundles carry it)
        self.journal: Any = None  # a sync.service.journal.Journal: acknowledged batches kept

    def now(self) -> int:
        return int(self.clock())

    def k0(self, t: dict[str, Any]) -> bytes:
        """The terminal's K0 (generation ``t["gen"]``), opened from the vault."""
        return self.vault.open(b"k0:%d:%d" % (t["id"], t["gen"]), t["k0_enc"])

    def alert(self, tid: int | None, kind: str, detail: str) -> None:
        """The alert row of a refused request, in its own transaction (the request's is rolled
        back), unless ``sync.service.alerts`` says this terminal has had enough of them."""
        now = self.now()
        row = self.alert_limit.admit(tid, kind, detail, now)
        if row is None:
            return
        with self.db.write() as tx:
            alert_log.add(tx, tid, row[0], row[1], now)

    def healthy(self) -> bool:
        """Whether the database answers and takes writes (``GET /healthz``)."""
        try:
            with self.db.read() as tx:
                db.ping(tx)
        except Exception:
            return False
        return self.db.probe()
