# budget: what verifying a request may cost before it has proved who sent it.
# SPDX-License-Identifier: MIT
"""A terminal's request proves its sender only at its request MAC. Before that the collector may
have to evolve a key up to the claimed epoch (one SHA-256 each) and try the request MAC under
several later keys (one HMAC over the body each, docs/collector.md "Request key"). A genuine
terminal's usual request costs a few evolutions and one MAC; more is rare (the first batch of a
long backlog, a long time offline) — and is what a forged header or a captured batch asks for.

Work is counted in units: one per key evolution, ``1 + len(body) // 1024`` per MAC tried (one
unit is about a microsecond). Each request gets ``FREE`` units; beyond that it is charged, in
blocks, to two token buckets: the terminal it claims and the client address it came from. An
empty bucket stops the work at once: ``Exhausted`` (the request is answered 429 and may be sent
again later).

Paid work also needs one of ``SLOW_LANES`` lanes, held until the request is done: many clients
on many addresses, each with a full budget, would otherwise run as many long searches at once
and take every worker thread and core from the terminals whose requests cost one MAC (measured:
bench/security.py). A request that finds every lane taken is answered 429 at once.

    work = c.budget.work(terminal_id, peer)
    try:
        work.spend(evolutions)      # raises Exhausted past FREE + what the buckets allow
    finally:
        work.done()                 # gives its lane back
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sync.ratelimit import TokenBuckets, address_key

FREE = 1024  # per request: a few hundred evolutions and a few MACs on a full batch
BLOCK = 1024  # units taken from the buckets at a time
# A full key search of a backlog batch (100,000 evolutions and 20,000 MACs over 37 kB) is about
# 840,000 units, well under a CPU second: each terminal may need one now and then, each address
# may cause a few a minute, and nobody more.
PER_TERMINAL = (1_000_000, 1_000_000 / 3600)  # (capacity, refill a second)
PER_ADDRESS = (2_000_000, 1_000_000 / 300)
SLOW_LANES = 1  # paid (long) searches at once; the free work of other requests goes on beside
LANE_BUSY_RETRY_S = 10.0


def mac_units(body_len: int) -> int:
    return 1 + body_len // 1024


class Exhausted(Exception):
    """The buckets cannot pay for more work on this request; ``retry_s`` until they can."""

    def __init__(self, retry_s: float) -> None:
        super().__init__(f"retry in {retry_s:.0f} s")
        self.retry_s = retry_s


class Budget:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.terminals = TokenBuckets(*PER_TERMINAL)
        self.addresses = TokenBuckets(*PER_ADDRESS)
        self.lanes = threading.BoundedSemaphore(SLOW_LANES)

    def work(self, tid: int, peer: str) -> Work:
        return Work(self, tid, address_key(peer))

    def take(self, tid: int, address: str, units: int) -> float:
        """Take ``units`` from both buckets (all or nothing); 0, or seconds to wait."""
        now = self.clock()
        if not self.terminals.take(tid, units, now):
            return self.terminals.wait_s(tid, units, now)
        if not self.addresses.take(address, units, now):
            self.terminals.take(tid, -units, now)  # give the terminal's share back
            return self.addresses.wait_s(address, units, now)
        return 0.0


class Work:
    """The work done on one request so far."""

    def __init__(self, budget: Budget, tid: int, address: str) -> None:
        self.budget = budget
        self.tid = tid
        self.address = address
        self.used = 0
        self.paid = FREE
        self.lane = False

    def spend(self, units: int) -> None:
        self.used += units
        if self.used <= self.paid:
            return
        if not self.lane:
            if not self.budget.lanes.acquire(blocking=False):
                raise Exhausted(LANE_BUSY_RETRY_S)
            self.lane = True
        block = max(BLOCK, self.used - self.paid)
        wait = self.budget.take(self.tid, self.address, block)
        if wait:
            raise Exhausted(wait)
        self.paid += block

    def done(self) -> None:
        """The request's work is over: its lane (if it had one) is free again."""
        if self.lane:
            self.lane = False
            self.budget.lanes.release()
