# collector: what every service function takes: the database, the vault, the clock, key caches.
# SPDX-License-Identifier: MIT
"""One ``Collector`` per process (``sync.app.open_collector``); the HTTP layer finds it at
``app.state.collector`` and passes it to the service functions (``ingest.upload(c, body)``,
``admin.add_terminal(c, …)``, ``reports.presence(c, …)``…), each of which owns its transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

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
    """The newest verified chain key of each terminal, so a batch does not evolve its key from K0
    (one SHA-256 per epoch) every time. Thread-safe: uploads run in a thread pool."""

    def __init__(self) -> None:
        self._keys: dict[int, ChainKey] = {}
        self._lock = threading.Lock()

    def get(self, tid: int) -> ChainKey | None:
        with self._lock:
            return self._keys.get(tid)

    def remember(self, tid: int, found: ChainKey) -> None:
        """Keep ``found`` unless a later key of the same generation is already known."""
        with self._lock:
            cached = self._keys.get(tid)
            if cached is None or cached.gen != found.gen or cached.epoch < found.epoch:
                self._keys[tid] = found

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
        self.keys = KeyCache()
        self.ca_pem: str | None = None  # the CA certificate terminals pin (bundles carry it)

    def now(self) -> int:
        return int(self.clock())

    def k0(self, t: dict[str, Any]) -> bytes:
        """The terminal's K0 (generation ``t["gen"]``), opened from the vault."""
        return self.vault.open(b"k0:%d:%d" % (t["id"], t["gen"]), t["k0_enc"])

    def alert(self, tid: int | None, kind: str, detail: str) -> None:
        """One alert row in its own transaction (a refused request's is rolled back)."""
        with self.db.write() as tx:
            alert_log.add(tx, tid, kind, detail, self.now())

    def ping(self) -> None:
        """Raises if the database does not answer (``GET /healthz``)."""
        with self.db.read() as tx:
            db.ping(tx)
