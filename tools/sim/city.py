# city: a wire-level load generator: many simulated terminals per process, loopback only.
# SPDX-License-Identifier: MIT
"""Plays the city against a collector (or a balancer in front of several), at the wire level:
each simulated terminal is a few numbers (its key, epoch, sequence number, chain MAC, uptime)
and its batches are built and signed with ``firmware.wire`` exactly as a terminal's log sends
them. No firmware runs: one process plays thousands of terminals.

    python -m tools.sim.city provision --db URL --master-key-file F --terminals 23000 \\
        --sites 16700 --fleet fleet.json              # registers them (one transaction)
    python -m tools.sim.city steady --url http://127.0.0.1:8000 --fleet fleet.json \\
        --seconds 600 [--sync-s 300] [--records 27]   # each terminal syncs every sync-s
    python -m tools.sim.city backlog --url ... --fleet fleet.json --records 1740
                                                      # the morning after a day offline

Both phases print one JSON line: rounds, records sent and acknowledged, retries, failures,
latency percentiles. Bounded: ``--seconds`` and a per-request timeout; loopback URLs only (it is
a load generator: it never points at another host). A request answered 5xx or not at all is
retried (the same body, as a terminal does after a lost reply).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import cliframe
from firmware import wire

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_SLOTS = 4096  # the terminal's largest batch (docs/protocol.md)
_RETRIES = 5


@dataclass
class SimTerminal:
    """One terminal's log state: what its next batch needs."""

    tid: int
    key: bytes
    tokens: list[int]
    epoch: int = 0
    next_seq: int = 0
    prev_mac: bytes = bytes(wire.MAC_LEN)
    uptime_ms: int = 0
    booted: bool = False
    slots: bytearray = field(default_factory=bytearray)

    def _slot(self, kind: int, flags: int, payload: Any, advance_ms: int) -> None:
        self.uptime_ms += advance_ms
        buf = bytearray(wire.SLOT)
        wire.pack_slot(buf, 0, kind, flags, payload, self.uptime_ms & wire.UPTIME_MASK)
        self.slots += buf
        self.next_seq += 1

    def batch(
        self, taps: int, start_wall: float, step_ms: int, rng: random.Random
    ) -> tuple[bytes, int]:
        """A signed batch of ``taps`` card records, ``step_ms`` apart; the first batch boots and
        sets the clock to ``start_wall`` (Unix seconds) before them. (body, slots)."""
        first, epoch, prev = self.next_seq, self.epoch, self.prev_mac
        if not self.booted:
            self.booted = True
            self._slot(wire.BOOT, 0, (1 << 8) | 1, 0)
            self._slot(wire.CLOCK, wire.CLOCK_NTP, int(start_wall) - wire.HOST_EPOCH_OFFSET, 1000)
        body = bytearray()
        for _ in range(taps):
            kind = wire.DENIED if rng.random() < 0.01 else wire.TAP
            token = rng.choice(self.tokens).to_bytes(4, "big")
            self._slot(kind, wire.CARD_ENROLLED, token, step_ms)
            if len(self.slots) // wire.SLOT >= MAX_SLOTS - 1:
                body += self._seal()
        if self.slots:
            body += self._seal()
        count = len(body) // wire.SLOT
        out = wire.encode_batch(self.tid, first, epoch, prev, wire.pack_health({}), bytes(body),
                                self.key)  # fmt: skip
        return out, count

    def _seal(self) -> bytes:
        count = len(self.slots) // wire.SLOT
        first = self.next_seq - count
        mac = wire.seal_mac(self.key, self.tid, self.epoch, first, count, self.prev_mac,
                            self.slots)  # fmt: skip
        seal = bytearray(wire.SLOT)
        wire.pack_seal(seal, 0, mac)
        out = bytes(self.slots + seal)
        self.slots = bytearray()
        self.next_seq += 1
        self.prev_mac = mac
        self.key = wire.evolve_key(self.key)
        self.epoch += 1
        return out


def load_fleet(path: str) -> list[SimTerminal]:
    """The fleet file ``provision`` wrote, with each terminal's log state as the last phase left
    it (``save_fleet``), so phases run as separate commands continue each chain."""
    with open(path) as f:
        data = json.load(f)
    out = []
    for t in data["terminals"]:
        term = SimTerminal(t["tid"], bytes.fromhex(t["key"]), t["tokens"])
        term.epoch, term.next_seq, term.uptime_ms = t["epoch"], t["next_seq"], t["uptime_ms"]
        term.prev_mac, term.booted = bytes.fromhex(t["prev_mac"]), t["booted"]
        out.append(term)
    return out


def save_fleet(path: str, fleet: list[SimTerminal]) -> None:
    rows = [{"tid": t.tid, "key": t.key.hex(), "tokens": t.tokens, "epoch": t.epoch,
             "next_seq": t.next_seq, "uptime_ms": t.uptime_ms, "prev_mac": t.prev_mac.hex(),
             "booted": t.booted} for t in fleet]  # fmt: skip
    with open(path, "w") as f:
        json.dump({"terminals": rows}, f)


def _check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"city: loopback only, not {host!r}")


@dataclass
class Tally:
    rounds: int = 0
    sent: int = 0  # records in batches answered 200
    acked: int = 0  # slots the replies acknowledged, summed per terminal (last reply)
    retries: int = 0
    failed: int = 0  # rounds given up after the retries
    latencies: list[float] = field(default_factory=list)

    def summary(self, seconds: float) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else None

        return {"rounds": self.rounds, "records": self.sent, "retries": self.retries,
                "failed": self.failed, "seconds": round(seconds, 2),
                "rounds_per_s": round(self.rounds / seconds, 2) if seconds else None,
                "records_per_s": round(self.sent / seconds, 1) if seconds else None,
                "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0)}  # fmt: skip


async def _send(client: Any, url: str, term: SimTerminal, body: bytes, n: int, tally: Tally,
                acked: dict[int, int], lock: asyncio.Lock) -> None:  # fmt: skip
    async with lock:
        await _post(client, url, term, body, n, tally, acked)


async def _post(client: Any, url: str, term: SimTerminal, body: bytes, n: int, tally: Tally,
                acked: dict[int, int]) -> None:  # fmt: skip
    headers = {"content-type": "application/octet-stream"}
    for attempt in range(_RETRIES + 1):
        t0 = time.monotonic()
        try:
            r = await client.post(url + "/v1/batches", content=body, headers=headers)
            ok = r.status_code == 200
        except Exception:
            ok = False
        if ok:
            tally.latencies.append(time.monotonic() - t0)
            tally.rounds += 1
            tally.sent += n
            acked[term.tid] = max(acked.get(term.tid, 0), _acked_of(r.content))
            return
        tally.retries += attempt < _RETRIES
        await asyncio.sleep(0.2 * (attempt + 1))
    tally.failed += 1


def _acked_of(reply: bytes) -> int:
    """The acknowledged sequence number of a reply (not verified: the generator holds no Kc)."""
    return int.from_bytes(reply[5:9], "big")


async def _run(url: str, fleet: list[SimTerminal], rounds_of: Any,
               concurrency: int) -> dict[str, Any]:  # fmt: skip
    import httpx

    tally = Tally()
    acked: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sem = asyncio.Semaphore(concurrency)
    start = time.monotonic()
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        pending: set[asyncio.Task] = set()
        # A terminal sends its batches one after the other, as a real one does (a later batch
        # overtaking an earlier one would be answered with a gap); tasks take their terminal's
        # lock in the order they were made. The generators stop by ``seconds`` before building
        # a batch, so every batch built is sent.
        order: dict[int, asyncio.Lock] = {}
        async for term, body, n in rounds_of(start):
            await sem.acquire()
            lock = order.setdefault(term.tid, asyncio.Lock())
            task = asyncio.create_task(_send(client, url, term, body, n, tally, acked, lock))
            task.add_done_callback(lambda _t: sem.release())
            pending.add(task)
            pending = {t for t in pending if not t.done()}
        if pending:
            await asyncio.gather(*pending)
    out = tally.summary(time.monotonic() - start)
    out["terminals"] = len(fleet)
    out["acked_slots"] = sum(acked.values())
    out["expected_slots"] = sum(t.next_seq for t in fleet if t.tid in acked)
    return out


def steady(url: str, fleet: list[SimTerminal], seconds: float, sync_s: float, records: int,
           concurrency: int = 64, seed: int = 1) -> dict[str, Any]:  # fmt: skip
    """Each terminal syncs every ``sync_s`` seconds (phases spread evenly) with ``records``
    card records, for ``seconds``."""
    _check_loopback(url)
    rng = random.Random(seed)
    phase = {t.tid: i * sync_s / len(fleet) for i, t in enumerate(fleet)}

    async def rounds_of(start: float):
        k = 0
        while True:
            term = fleet[k % len(fleet)]
            due = start + phase[term.tid] + (k // len(fleet)) * sync_s
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.monotonic() - start > seconds:
                return
            step = int(sync_s * 1000 / max(records, 1))
            body, n = term.batch(records, time.time() - sync_s, step, rng)
            yield term, body, n
            k += 1

    out = asyncio.run(_run(url, fleet, rounds_of, concurrency))
    out["offered_rounds_per_s"] = round(len(fleet) / sync_s, 2)
    return out


def backlog(url: str, fleet: list[SimTerminal], records: int, span_s: float,
            concurrency: int = 32, seconds: float = 3600,
            seed: int = 2) -> dict[str, Any]:  # fmt: skip
    """Every terminal (each never synced before) uploads ``records`` card records spread over
    the ``span_s`` seconds before now (a day offline: the morning after), in batches of up to
    4,096 slots, all at once."""
    _check_loopback(url)
    rng = random.Random(seed)

    start_wall = time.time() - span_s - 60
    step = max(1, int(span_s * 1000 / max(records, 1)))

    async def rounds_of(start: float):
        left = {t.tid: records for t in fleet}
        while left:
            for term in fleet:
                n = min(left.get(term.tid, 0), MAX_SLOTS - 4)
                if n <= 0:
                    continue
                if time.monotonic() - start > seconds:
                    return
                left[term.tid] -= n
                if left[term.tid] <= 0:
                    del left[term.tid]
                body, count = term.batch(n, start_wall, step, rng)
                yield term, body, count

    return asyncio.run(_run(url, fleet, rounds_of, concurrency))


def provision(db: str, master_key: bytes, terminals: int, sites: int, tokens: int = 600,
              seed: int = 3) -> list[SimTerminal]:  # fmt: skip
    """Register ``terminals`` doors over ``sites`` rusun (one transaction) and give each a pool
    of ``tokens`` card tokens of its site (random 32-bit values: cards nobody enrolled)."""
    from sync.app import open_collector
    from sync.service import admin
    from sync.service.scope import OPERATOR
    from sync.settings import Settings

    c = open_collector(Settings(db=db, master_key=master_key))
    try:
        doors = [(f"City-{i % sites:05d}", 1 + i // sites) for i in range(terminals)]
        bundles = admin.add_terminals(c, doors, scope=OPERATOR)
    finally:
        c.db.close()
    rng = random.Random(seed)
    pools = {f"City-{s:05d}": [rng.getrandbits(32) for _ in range(tokens)] for s in range(sites)}
    return [SimTerminal(b["terminal_id"], bytes.fromhex(b["k0"]), pools[b["rusun"]])
            for b in bundles]  # fmt: skip


def main(argv: list[str]) -> int:
    ap = cliframe.ArgumentParser(
        prog="python -m tools.sim.city", description=__doc__.split("\n")[0]
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("provision")
    p.add_argument("--db", required=True)
    p.add_argument("--master-key-file", required=True)
    p.add_argument("--terminals", type=int, default=23000)
    p.add_argument("--sites", type=int, default=16700)
    p.add_argument("--fleet", required=True)
    for name in ("steady", "backlog"):
        q = sub.add_parser(name)
        q.add_argument("--url", required=True)
        q.add_argument("--fleet", required=True)
        q.add_argument("--records", type=int, default=27 if name == "steady" else 1740)
        q.add_argument("--concurrency", type=int, default=64 if name == "steady" else 32)
        q.add_argument("--seconds", type=float, default=600 if name == "steady" else 3600)
        if name == "steady":
            q.add_argument("--sync-s", type=float, default=300)
    args = ap.parse_args(argv)
    if args.cmd == "provision":
        try:
            key = bytes.fromhex(open(args.master_key_file).read().strip())
        except ValueError:
            raise cliframe.Failure("kunci induk bukan hex", "master key is not hex",
                                   args.master_key_file) from None  # fmt: skip
        fleet = provision(args.db, key, args.terminals, min(args.sites, args.terminals))
        save_fleet(args.fleet, fleet)
        print(json.dumps({"terminals": len(fleet)}))
        return 0
    terms = load_fleet(args.fleet)
    if args.cmd == "steady":
        out = steady(args.url, terms, args.seconds, args.sync_s, args.records, args.concurrency)
    else:
        out = backlog(args.url, terms, args.records, 86400, args.concurrency, args.seconds)
    save_fleet(args.fleet, terms)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(cliframe.run(lambda: main(sys.argv[1:]), "python -m tools.sim.city"))
