# ratelimit: keyed token buckets and the failed sign-in throttle, in memory, bounded in size.
# SPDX-License-Identifier: MIT
"""Two primitives, thread-safe (service functions run in a thread pool), with no I/O. Times are
the caller's clock in seconds (``Collector.now()``), so tests set them.

    buckets = TokenBuckets(capacity=100, per_s=2)
    if not buckets.take(("terminal", 7), cost=40, now=now): refuse()

    throttle = Throttle()                          # 5 failures per (address, name), 20 per
    if throttle.blocked(addr, name, now): ...      # address, in 15 minutes (name None: the
                                                   # address only, for bearer tokens)
    throttle.failed(addr, name, now) / throttle.succeeded(addr, name)

``address_key(host)`` groups an IPv6 client by its /64 (one subscriber holds a whole /64).
Memory: each structure keeps at most ``max_keys`` keys and forgets those that carry the least
(full buckets, the stalest failures) first; an attacker who fills it with new keys only makes it
forget, never grow.
"""

from __future__ import annotations

import ipaddress
import threading


def address_key(host: str | None) -> str:
    if not host:
        return ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class TokenBuckets:
    """One bucket per key, ``capacity`` tokens, refilled at ``per_s`` tokens a second."""

    def __init__(self, capacity: float, per_s: float, max_keys: int = 10_000) -> None:
        self.capacity = capacity
        self.per_s = per_s
        self.max_keys = max_keys
        self._buckets: dict[object, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def _level(self, key: object, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + max(0.0, now - at) * self.per_s)

    def take(self, key: object, cost: float, now: float) -> bool:
        """Take ``cost`` tokens from ``key``'s bucket if it holds them all; else take nothing."""
        with self._lock:
            level = self._level(key, now)
            ok = level >= cost
            self._buckets[key] = (level - cost if ok else level, now)
            if len(self._buckets) > self.max_keys:
                self._forget(now)
            return ok

    def level(self, key: object, now: float) -> float:
        with self._lock:
            return self._level(key, now)

    def wait_s(self, key: object, cost: float, now: float) -> float:
        """Seconds until ``key``'s bucket holds ``cost`` tokens (0 if it does now)."""
        with self._lock:
            missing = cost - self._level(key, now)
        return max(0.0, missing / self.per_s) if self.per_s else float("inf")

    def _forget(self, now: float) -> None:
        full = [k for k in self._buckets if self._level(k, now) >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) > self.max_keys:
            by_age = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for k in by_age[: len(self._buckets) - self.max_keys // 2]:
                del self._buckets[k]


class Throttle:
    """Failed sign-ins (dashboard login and the admin API's HTTP basic alike): after
    ``per_name`` failures of one (address, user name) pair, or ``per_address`` failures from one
    address, within ``window_s``, that pair (or address) is refused until its oldest failure
    leaves the window. A success clears its pair, not the address."""

    def __init__(
        self, per_name: int = 5, per_address: int = 20, window_s: int = 15 * 60,
        max_keys: int = 10_000,
    ) -> None:  # fmt: skip
        self.per_name = per_name
        self.per_address = per_address
        self.window_s = window_s
        self.max_keys = max_keys
        self._fails: dict[tuple[str, ...], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], now: float) -> list[float]:
        times = [t for t in self._fails.get(key, []) if now - t < self.window_s]
        if times:
            self._fails[key] = times
        else:
            self._fails.pop(key, None)
        return times

    def _limits(self, address: str, name: str | None) -> list[tuple[tuple[str, ...], int]]:
        """(key, limit) of the address and, with a user name, of the pair."""
        addr = address_key(address)
        out = [((addr,), self.per_address)]
        if name is not None:
            out.append(((addr, name.lower()), self.per_name))
        return out

    def blocked(self, address: str, name: str | None, now: float) -> bool:
        """Whether this pair (``name`` None: a bearer token, this address) is refused now."""
        with self._lock:
            return any(len(self._recent(k, now)) >= n for k, n in self._limits(address, name))

    def retry_after(self, address: str, name: str | None, now: float) -> int:
        """Seconds until a blocked pair or address may try again."""
        with self._lock:
            waits = [0.0]
            for key, limit in self._limits(address, name):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[len(times) - limit] + self.window_s - now)
        return max(1, int(max(waits)) + 1)

    def failed(self, address: str, name: str | None, now: float) -> None:
        with self._lock:
            for key, limit in self._limits(address, name):
                self._fails.setdefault(key, []).append(now)
                del self._fails[key][:-limit]
            if len(self._fails) > self.max_keys:  # forget the stalest keys
                stale = sorted(self._fails, key=lambda k: self._fails[k][-1])
                for old in stale[: len(stale) // 2]:
                    del self._fails[old]

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._fails.pop(self._limits(address, name)[1][0], None)
