# site: what a simulated terminal meets at its site: the simulation's time, the network, the cards.
# SPDX-License-Identifier: MIT
"""The fleet's side of a terminal's ``hw``; the board itself (LED, buzzer, clock, Wi-Fi station,
watchdog) is the one board double, ``tools/sim/board``.

Time is the simulation's: ``SimTime`` holds the one "now" (Unix milliseconds) that the event
loop advances; each terminal's ``board.Clock(source=now)`` follows it. Nothing here sleeps.

- ``Network``: which sites are offline now (the outages of the fault plan).
- ``SiteWifi``: the board's Wi-Fi station, whose access point is up unless the site's network
  is down.
- ``SimNtp``: NTP as the firmware's clock task asks it: the true time while the site is online.
- ``SimHttp``: ``async post(url, body, timeout_ms) -> (status, body)`` over httpx to the real
  collector; raises ``OSError`` while the site's network is down.
- ``sim_card(uid_hex, flags)``: the simulated card a world tap presents.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

import httpx

from firmware import wire
from firmware.httpclient import joined
from tools.sim.board import Wifi
from tools.sim.pn532.card import OK, TIMEOUT, Card
from tools.sim.pn532.classic import Classic, Gen1a
from tools.sim.pn532.isodep import DESFire
from tools.sim.pn532.type2 import Type2

_EPOCH_2000 = wire.HOST_EPOCH_OFFSET


class SimTime:
    """The simulation's clock: Unix time in milliseconds, advanced only by the event loop.
    ``publish(ms)``, when set, is told every change (the collector process reads it)."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms
        self.publish: Callable[[int], None] | None = None

    def advance_to(self, ms: int) -> None:
        if ms > self.ms:
            self.ms = ms
            if self.publish is not None:
                self.publish(ms)

    def advance(self, ms: int) -> None:
        self.advance_to(self.ms + ms)

    @property
    def unix(self) -> float:
        return self.ms / 1000


class Network:
    """Which sites are offline now: ``down(site)`` is consulted on every request."""

    def __init__(self, now: SimTime) -> None:
        self.now = now
        self.outages: dict[str, list[tuple[int, int]]] = {}  # site -> [(start_ms, end_ms)]
        self.forced_up = False  # the final drain: every site back online

    def add_outage(self, site: str, start_ms: int, end_ms: int) -> None:
        self.outages.setdefault(site, []).append((start_ms, end_ms))

    def down(self, site: str) -> bool:
        if self.forced_up:
            return False
        t = self.now.ms
        return any(a <= t < b for a, b in self.outages.get(site, ()))


class SiteWifi(Wifi):
    """The board's Wi-Fi station at ``site``: its access point is up unless the site is offline.
    Already joined (``joined=True``): the fleet studies outages, not the join."""

    def __init__(self, net: Network, site: str) -> None:
        super().__init__(rssi=-61, joined=True)
        self._net = net
        self._site = site

    def ap_up(self) -> bool:
        return not self._net.down(self._site)


class SimNtp:
    """NTP as the firmware's clock task asks it: the true time, if the site is online and NTP
    is not ``broken`` (the "clock lost at boot" fault)."""

    def __init__(self, now: SimTime, net: Network, site: str) -> None:
        self._now = now
        self._net = net
        self._site = site
        self.broken = False

    def query_now(self) -> int | None:
        if self.broken or self._net.down(self._site):
            return None
        return self._now.ms // 1000 - _EPOCH_2000

    async def query(self) -> int | None:
        s = self.query_now()
        if s is None:
            raise OSError(errno.ETIMEDOUT, "ntp")
        return s


class SimHttp:
    """HTTP to the collector for one terminal; ``OSError`` while its site is offline."""

    def __init__(self, net: Network, site: str, client: httpx.AsyncClient) -> None:
        self._net = net
        self._site = site
        self._client = client

    async def post(self, url: str, body, timeout_ms: int = 10000) -> tuple[int, bytes]:
        if self._net.down(self._site):
            raise OSError(errno.EHOSTUNREACH, "network down")
        try:
            r = await self._client.post(
                url,
                content=bytes(joined(body)),
                headers={"content-type": "application/octet-stream"},
                timeout=max(timeout_ms, 30000) / 1000,
            )
        except httpx.HTTPError as e:
            raise OSError(errno.ECONNRESET, str(e)) from e
        return r.status_code, r.content


class Phone(Card):
    """A phone presenting a random UID (first byte 0x08): fixed here so a tap replays exactly."""

    name = "phone"

    def __init__(self, uid: bytes) -> None:
        super().__init__(uid, b"\x00\x04", 0x20, b"\x05\x78\x80\x70\x02")

    def exchange(self, data):
        if self.halted or not data:
            return TIMEOUT, b""
        return OK, b"\x6a\x82"


def sim_card(uid_hex: str, flags: int) -> Card:
    """The card a world tap presents: genuine cards follow the UID length (7 bytes DESFire EV1,
    4 bytes Classic 1K, as tools/sim/fleet/population.py makes them); clones are a Gen1a magic card
    (flag magic suspect) or the same UID on another chip (flag fingerprint mismatch)."""
    uid = bytes.fromhex(uid_hex)
    if flags & wire.CARD_RANDOM_UID:
        return Phone(uid)
    if flags & wire.CARD_MAGIC_SUSPECT:
        return Gen1a(uid)
    if flags & wire.CARD_FINGERPRINT_MISMATCH:
        return Type2("ntag215", uid) if len(uid) == 7 else Classic(uid, 256)
    if len(uid) == 7:
        return DESFire("desfire-ev1", uid)
    return Classic(uid, 64)
