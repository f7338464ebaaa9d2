# bench/collector: ingest throughput, upload latency under 32 terminals, 30-day backlog drain.
# SPDX-License-Identifier: MIT
"""python bench/collector.py [--json FILE] [--quick]

1. Verified + stored records per second, one core: ``ingest.upload`` called in one thread on
   batches of 4096 slots (blocks of 512), SQLite file and PostgreSQL (throwaway server).
2. Latency of a 500-record batch while 32 terminals upload at once over loopback HTTP (the server
   in its own process, uvicorn, one worker), p50 and p99.
3. A 30-day backlog of one terminal (about 26,000 records, sealed daily) drained end to end over
   loopback HTTP in batches of at most 4096 slots, until the watermark reaches the last slot.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

import httpx  # noqa: E402

from firmware import wire  # noqa: E402
from sync.app import open_collector  # noqa: E402
from sync.service import admin, ingest  # noqa: E402
from sync.service.scope import OPERATOR  # noqa: E402
from sync.settings import Settings  # noqa: E402
from tests.kit import pgserver  # noqa: E402
from tests.kit.wirekit import PaperTerminal  # noqa: E402

MASTER = bytes(range(32))
WALL = 850_000_000


def _terminal(c, rusun="Marunda", door=1) -> PaperTerminal:
    bundle = admin.add_terminal(c, rusun, door, scope=OPERATOR)
    term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    term.bundle = bundle  # type: ignore[attr-defined]
    return term


def _fill(term: PaperTerminal, records: int, block: int) -> list[bytes]:
    """Batches (each <= 4096 slots, ending with a seal) holding ``records`` taps and heartbeats."""
    bodies = []
    slots_in_batch = 0
    term.boot()
    term.clock(WALL)
    n = 2
    while n < records:
        if n % 50 == 0:
            term.event(wire.HEARTBEAT, payload=50 << 16, advance_ms=60_000)
        else:
            term.tap((n * 2654435761 & 0xFFFFFFFF).to_bytes(4, "big"), advance_ms=20_000)
        n += 1
        slots_in_batch += 1
        if len(term.open) // wire.SLOT >= block:
            term.seal()
            slots_in_batch += 1
            if slots_in_batch + block + 1 > wire.MAX_BATCH_SLOTS:
                bodies.append(term.batch())
                slots_in_batch = 0
    bodies.append(term.batch())
    return bodies


def _server_cpu(pg: pgserver.PgServer | None) -> float:
    """CPU seconds used so far by the PostgreSQL server's processes (postmaster children)."""
    if pg is None:
        return 0.0
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        master = f.readline().strip()
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == master or fields[1] == master:
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def throughput(url: str, records: int, pg: pgserver.PgServer | None = None) -> dict:
    """Ingest in this thread. CPU = this process (SQLite runs in it) + the PostgreSQL server's
    processes: on a shared, loaded machine that, not wall time, is the one-core figure."""
    c = open_collector(Settings(db=url, master_key=MASTER))
    term = _terminal(c)
    bodies = _fill(term, records, block=512)
    stored = 0
    s0 = _server_cpu(pg)
    t0 = time.process_time()
    w0 = time.perf_counter()
    for body in bodies:
        out = ingest.upload(c, body)
        assert out.http == 200 and out.status == wire.REPLY_OK, out.reason
        stored += out.stored
    cpu = time.process_time() - t0 + _server_cpu(pg) - s0
    wall = time.perf_counter() - w0
    c.db.close()
    return {"records": stored, "batches": len(bodies), "seconds": round(wall, 3),
            "cpu_seconds": round(cpu, 3), "records_per_s": round(stored / wall),
            "records_per_cpu_s": round(stored / cpu)}  # fmt: skip


class Server:
    """The collector in its own process (``python -m sync serve`` equivalent on a free port)."""

    def __init__(self, url: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ, HADIR_MASTER_KEY=MASTER.hex(), HADIR_DB=url)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync", "serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("collector did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _post(client: httpx.Client, base: str, body: bytes) -> httpx.Response:
    return client.post(base + "/v1/batches", content=bytes(body),
                       headers={"content-type": "application/octet-stream"})  # fmt: skip


def latency(url: str, terminals: int, rounds: int) -> dict:
    c = open_collector(Settings(db=url, master_key=MASTER))
    work = []
    for i in range(terminals):
        term = _terminal(c, f"Rusun{i % 23}", i // 23 + 1)
        bodies = []
        term.boot()
        term.clock(WALL)
        for r in range(rounds):
            for k in range(500):
                term.tap(((i << 20) + r * 500 + k).to_bytes(4, "big"), advance_ms=10_000)
            bodies.append(term.batch())
        work.append(bodies)
    c.db.close()
    server = Server(url)
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(terminals)

    def run(bodies: list[bytes]) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            for body in bodies:
                t = time.perf_counter()
                response = _post(client, server.base, body)
                dt = time.perf_counter() - t
                assert response.status_code == 200, response.text
                with lock:
                    times.append(dt)

    try:
        threads = [threading.Thread(target=run, args=(b,)) for b in work]
        w0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - w0
    finally:
        server.stop()
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return {"terminals": terminals, "batches": len(times), "records_per_batch": 500,
            "p50_ms": round(statistics.median(times) * 1000, 1), "p99_ms": round(p99 * 1000, 1),
            "records_per_s": round(len(times) * 500 / wall)}  # fmt: skip


def drain(url: str, days: int = 30, per_day: int = 870) -> dict:
    """One terminal offline ``days`` days, sealing daily, then draining its log over HTTP."""
    c = open_collector(Settings(db=url, master_key=MASTER))
    term = _terminal(c)
    c.db.close()
    blocks: list[tuple[int, int, bytes, bytes]] = []  # (first_seq, epoch, prev_mac, slots)
    for day in range(days):
        term.boot()
        term.clock(WALL + day * 86400)
        for k in range(per_day - 2):
            term.tap(((day << 16) + k).to_bytes(4, "big"), advance_ms=60_000)
        first, epoch, prev = term.next_seq - len(term.open) // wire.SLOT, term.epoch, term.prev_mac
        at = len(term.sealed)
        term.seal()
        blocks.append((first, epoch, prev, bytes(term.sealed[at:])))
    records = term.next_seq - days
    server = Server(url)
    try:
        t0 = time.perf_counter()
        acked, uploads = 0, 0
        with httpx.Client(timeout=60) as client:
            while acked < term.next_seq:
                # What the log does: from the first unacknowledged block, whole blocks, <= 4096.
                start = next(i for i, b in enumerate(blocks) if b[0] == acked)
                chunk, n = [], 0
                for b in blocks[start:]:
                    if n + len(b[3]) // wire.SLOT > wire.MAX_BATCH_SLOTS:
                        break
                    chunk.append(b)
                    n += len(b[3]) // wire.SLOT
                body = wire.encode_batch(
                    term.terminal_id, chunk[0][0], chunk[0][1], chunk[0][2],
                    wire.pack_health({"backlog_slots": term.next_seq - acked}),
                    b"".join(b[3] for b in chunk), term.key,
                )  # fmt: skip
                response = _post(client, server.base, body)
                assert response.status_code == 200, response.text
                kc = wire.config_key(bytes.fromhex(term.bundle["k0"]))  # type: ignore[attr-defined]
                before, acked = acked, wire.decode_reply(kc, body[-16:], response.content)[1]
                if acked <= before:
                    raise RuntimeError(f"watermark did not move past {before}")
                uploads += 1
        seconds = time.perf_counter() - t0
    finally:
        server.stop()
    return {"records": records, "batches": uploads, "seconds": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description="collector benchmarks (docs/benchmarks.md)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    rounds = 2 if args.quick else 6
    results: dict = {"throughput": {}, "latency_32": {}, "drain_30_days": {}}
    pg = pgserver.PgServer.start() if pgserver.available() else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            dbs = {"sqlite": lambda name: os.path.join(tmp, name + ".db")}
            if pg is not None:
                dbs["postgres"] = lambda name: pg.new_database()
            for kind, make in dbs.items():
                results["throughput"][kind] = throughput(
                    make("t"), n, pg if kind == "postgres" else None
                )
                print(kind, "throughput", results["throughput"][kind], flush=True)
                results["latency_32"][kind] = latency(make("l"), 32, rounds)
                print(kind, "latency", results["latency_32"][kind], flush=True)
                results["drain_30_days"][kind] = drain(make("d"))
                print(kind, "drain", results["drain_30_days"][kind], flush=True)
    finally:
        if pg is not None:
            pg.stop()
    print(f"collector (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"{'measure':<44} {'sqlite':>12} {'postgres':>12}")

    def row(label: str, section: str, key: str) -> None:
        vals = [str(results[section].get(k, {}).get(key, "-")) for k in ("sqlite", "postgres")]
        print(f"{label:<44} {vals[0]:>12} {vals[1]:>12}")

    row("verified+stored records per CPU second", "throughput", "records_per_cpu_s")
    row("verified+stored records/s, wall (1 thread)", "throughput", "records_per_s")
    row("500-record batch p50 ms, 32 terminals", "latency_32", "p50_ms")
    row("500-record batch p99 ms, 32 terminals", "latency_32", "p99_ms")
    row("records/s over HTTP, 32 terminals", "latency_32", "records_per_s")
    row("30-day backlog: records", "drain_30_days", "records")
    row("30-day backlog: seconds end to end", "drain_30_days", "seconds")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
