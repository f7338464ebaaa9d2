# rollout: a signed release rolled out in waves to simulated terminals; power cuts mid-swap.
# SPDX-License-Identifier: MIT
"""``run_rollout(workdir, ...)`` -> figures (``bench/ota.py``, ``tests/tools/sim/fleet``):

- the real collector (``sync/``, SQLite) in this process, reached over HTTP through httpx's
  ASGI transport; a release key (LMS); the fleet's terminals (``SimTerminal``: the real
  firmware on simulated parts), spread over rusun, each holding the *old* file set on its file
  system and the release key's public half;
- ``release publish`` of the *new* file set (the terminal's code as ``.mpy``, one module
  changed), then simulated time: every terminal syncs each ``sync_interval_s`` (staggered)
  and a card is tapped at each terminal every ``tap_every_s``;
- the terminals in ``cut`` lose power in the middle of their swap (after ``cut_after`` of the
  journal's renames) and come back ``power_back_s`` later;
- done when every terminal has reported installed or rolled back; a final round of syncs then
  drains every log.

Figures: terminals, installed, rolled_back, bricked (code on disk that is neither release),
taps (answered as stored), lost_taps (answered but not in the collector), rollout_s (simulated,
publish to the last report), update_bytes (one terminal's release traffic: request and answer
bodies), chunks, release_bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import json
import os
import secrets
from typing import Any

import httpx

from firmware import config as fw_config
from firmware import ota_swap, wire
from sync.app import create_app
from sync.service import admin, releases
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import records
from tools import deploy
from tools.sim.flash import PowerCut
from tools.sim.fleet.device import SimTerminal
from tools.sim.fleet.site import Network, SimHttp, SimTime
from tools.sim.pn532.cards import Classic

_START_MS = 1_797_000_000_000
_URL = "http://collector.sim"
_LIMIT_S = 12 * 3600


class CountingHttp(SimHttp):
    """``SimHttp`` that counts the bytes of release requests and answers (bodies only)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.release_bytes = 0

    async def post(self, url: str, body: bytes, timeout_ms: int = 10000) -> tuple[int, bytes]:
        status, data = await super().post(url, body, timeout_ms)
        if "/v1/release/" in url:
            self.release_bytes += len(body) + len(data)
        return status, data


class SwapCut:
    """Stands in for ``os`` inside ``firmware.ota_swap``: while ``armed``, the power fails at
    the ``cut_after``-th rename of the journal (staged file -> live)."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.armed = -1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def rename(self, a: str, b: str) -> None:
        if self.armed >= 0 and "/.stage/" in a:
            if self.armed == 0:
                self.armed = -1
                raise PowerCut("power lost mid-swap")
            self.armed -= 1
        self._real.rename(a, b)


def file_sets(workdir: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(old, new): the terminal's code as .mpy (``tools deploy``'s set), and the same with one
    module changed (a comment line: a new version, the same behaviour)."""
    old = {p.lstrip("/"): d for p, d in deploy.release(compile_mpy=True).items()}
    new = dict(old)
    name = next(p for p in sorted(new) if p.startswith("firmware/texts"))
    new[name] = new[name] + b"\n"
    meta = json.loads(new["version.json"])
    meta["version"] = hashlib.sha256(b"".join(new[p] for p in sorted(new))).hexdigest()[:12]
    new["version.json"] = json.dumps(meta).encode()
    return old, new


def _code_of(root: str) -> str:
    """The digest of the code on a terminal's file system (as ``_digest`` of a file set)."""
    files: dict[str, bytes] = {}
    for top in ota_swap.CODE:
        full = os.path.join(root, top)
        paths = []
        if os.path.isdir(full):
            for d, _, names in os.walk(full):
                paths += [os.path.join(d, n) for n in names]
        elif os.path.isfile(full):
            paths.append(full)
        for p in paths:
            with open(p, "rb") as f:
                files[os.path.relpath(p, root)] = f.read()
    return _digest(files)


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.encode() + b"\0" + files[p])
    return h.hexdigest()


def _lay(root: str, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)


async def _rollout(workdir: str, terminals: int, rusun: int, cut: tuple[int, ...],
                   cut_after: int, sync_interval_s: int, tap_every_s: int,
                   power_back_s: int, lms_type: int) -> dict[str, Any]:  # fmt: skip
    now = SimTime(_START_MS)
    net = Network(now)
    settings = Settings(db=os.path.join(workdir, "collector.sqlite"),
                        master_key=secrets.token_bytes(32), clock=lambda: now.unix)  # fmt: skip
    app = create_app(settings)
    c = app.state.collector
    key = os.path.join(workdir, "release.key")
    public = releases.keygen(key, lms_type=lms_type)
    releases.trust(c, public.hex())
    old, new = file_sets(workdir)
    cutter = SwapCut(ota_swap.os)
    ota_swap.os = cutter  # pyright: ignore[reportAttributeAccessIssue]
    fleet: dict[int, SimTerminal] = {}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=_URL) as client:
            for i in range(terminals):
                name = "Rusun-%02d" % (i % rusun)
                b = admin.add_terminal(c, name, 1 + i // rusun, collector_url=_URL,
                                       scope=OPERATOR)  # fmt: skip
                cfg = fw_config.validate_config({
                    "terminal_id": b["terminal_id"], "rusun": name, "door": 1 + i // rusun,
                    "wifi_ssid": "rusun-net", "collector_url": _URL,
                    "sync_interval_s": sync_interval_s,
                })  # fmt: skip
                kc = wire.config_key(bytes.fromhex(b["k0"])).hex()
                sec = {"k0": b["k0"], "kc": kc, "card_key": b["card_key"], "wifi_password": "x"}
                st = SimTerminal(b["terminal_id"], name, cfg, sec, now, net, client, workdir, 64)
                st.http = CountingHttp(net, name, client)
                _lay(st.root, old)
                with open(os.path.join(st.root, "release.pub"), "wb") as f:
                    f.write(public)
                st.boot()
                fleet[b["terminal_id"]] = st
            tids = sorted(fleet)
            victims = {tids[k] for k in cut}
            for st in fleet.values():  # first contact: time, config, allow-list
                await st.sync()
                await st.sync()
            rid = releases.publish(c, new, key, "bench")
            t0 = now.ms
            events: list[tuple[int, int, str, int]] = []
            for n, tid in enumerate(tids):
                phase = (n * 7919) % sync_interval_s
                heapq.heappush(events, (now.ms + phase * 1000, 0, "sync", tid))
                heapq.heappush(events, (now.ms + (n * 13 % tap_every_s) * 1000, 1, "tap", tid))
            stored = dict.fromkeys(tids, 0)
            card = 0
            swap_cuts = 0
            finished_at = None
            while events and now.ms - t0 < _LIMIT_S * 1000:
                at, _, kind, tid = heapq.heappop(events)
                now.advance_to(at)
                st = fleet[tid]
                if kind == "boot":
                    st.boot()
                    continue
                if kind == "tap":
                    heapq.heappush(events, (at + tap_every_s * 1000, 1, "tap", tid))
                    if st.powered:
                        card += 1
                        uid = bytes((0x04, card >> 16 & 0xFF, card >> 8 & 0xFF, card & 0xFF))
                        if st.present(Classic(uid, 64)) == "stored":
                            stored[tid] += 1
                    continue
                heapq.heappush(events, (at + sync_interval_s * 1000, 0, "sync", tid))
                if not st.powered:
                    continue
                offered = {r["terminal"]: r["state"] for r in releases.status(c, rid)}
                if tid in victims and offered[tid] in ("offered", "downloading"):
                    cutter.armed = cut_after
                    try:
                        await st.sync()
                    finally:
                        cutter.armed = -1
                    if st.app is not None and ota_swap._exists(os.path.join(st.root, ".swap")):
                        victims.discard(tid)  # cut with the journal half done
                        st.power_cut()
                        swap_cuts += 1
                        heapq.heappush(events, (at + power_back_s * 1000, 2, "boot", tid))
                    continue
                await st.sync()
                states = {row["state"] for row in releases.status(c, rid)}
                if finished_at is None and states <= {"installed", "rolled_back", "refused"}:
                    finished_at = now.ms
                    break
            net.forced_up = True
            for st in fleet.values():  # the drain: every log to the collector
                if not st.powered:
                    st.boot()
                for _ in range(3):
                    await st.sync()
            status = releases.status(c, rid)
            with c.db.read() as tx:
                got = {
                    tid: sum(
                        1
                        for r in records.records_of(tx, tid)
                        if r["kind"] in (wire.TAP, wire.DENIED)
                    )  # fmt: skip
                    for tid in tids
                }
            lost = sum(max(0, stored[t] - got[t]) for t in tids)
            old_d, new_d = _digest(old), _digest(new)
            on_disk = {tid: _code_of(fleet[tid].root) for tid in tids}
            counting = [st.http for st in fleet.values() if isinstance(st.http, CountingHttp)]
            per_terminal = [h.release_bytes for h in counting if h.release_bytes]
            return {
                "terminals": terminals,
                "installed": sum(1 for r in status if r["state"] == "installed"),
                "rolled_back": sum(1 for r in status if r["state"] == "rolled_back"),
                "on_new": sum(1 for d in on_disk.values() if d == new_d),
                "on_old": sum(1 for d in on_disk.values() if d == old_d),
                "bricked": sum(1 for d in on_disk.values() if d not in (old_d, new_d)),
                "power_cuts_mid_swap": swap_cuts,
                "taps": sum(stored.values()),
                "lost_taps": lost,
                "rollout_s": round((finished_at - t0) / 1000) if finished_at else None,
                "update_bytes": max(per_terminal) if per_terminal else 0,
                "release_bytes": sum(len(d) for d in new.values()),
                "files": len(new),
                "sync_interval_s": sync_interval_s,
            }
    finally:
        ota_swap.os = cutter._real  # pyright: ignore[reportAttributeAccessIssue]
        c.db.close()


def run_rollout(workdir: str, terminals: int = 32, rusun: int = 23,
                cut: tuple[int, ...] = (0, 31), cut_after: int = 1, sync_interval_s: int = 300,
                tap_every_s: int = 60, power_back_s: int = 120,
                lms_type: int = releases.LMS_TYPE) -> dict[str, Any]:  # fmt: skip
    return asyncio.run(_rollout(workdir, terminals, rusun, cut, cut_after, sync_interval_s,
                                tap_every_s, power_back_s, lms_type))  # fmt: skip
