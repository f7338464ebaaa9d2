# End to end under real MicroPython: the terminal application with the PN532 simulator in process,
# simulated board, NOR flash, and HTTP carried by the JS bridge to a real collector on localhost.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 128k: skipped on this port (no JS bridge)
import json
from binascii import hexlify, unhexlify

from firmware import taps as ftaps
from firmware import uplink, wire
from firmware.httpclient import joined
from tests.kit.mpytest import skip
from tests.kit.termkit import Rig, config


class BridgeHttp:
    """``hw.http`` under the WebAssembly port: the request goes out through Node's http."""

    def __init__(self, bridge):
        self.bridge = bridge

    async def post(self, url, body, timeout_ms):
        got = json.loads(await self.bridge.post(url, hexlify(joined(body)).decode(), timeout_ms))
        if got["status"] < 0:
            raise OSError(113)
        return got["status"], unhexlify(got["hex"])


def _bridge():
    try:
        import hadir_e2e  # pyright: ignore[reportMissingImports]
    except ImportError:
        skip("needs the JS bridge (MicroPython runner); CPython: tests/firmware/test_terminal_e2e")
    return hadir_e2e  # pyright: ignore[reportPossiblyUnbound]


async def _sync(rig):
    r = await rig.terminal.sync_step()
    if r == uplink.CONNECTING:
        r = await rig.terminal.sync_step()
    return r


async def test_taps_reach_the_real_collector_through_the_bridge():
    bridge = _bridge()
    setup = json.loads(await bridge.start())
    b = setup["bundle"]
    cfg = config(terminal_id=b["terminal_id"], collector_url=setup["url"])
    rig = Rig(cfg=cfg, http=BridgeHttp(bridge), k0=unhexlify(b["k0"]),
              card_key=unhexlify(b["card_key"]))  # fmt: skip
    assert await _sync(rig) == uplink.OK
    assert rig.terminal.allow.count == 1 and rig.terminal.clock.quality == wire.CLOCK_COLLECTOR
    answered = 0
    for i in range(6):
        rig.hw.clock.advance(31000)
        answered += rig.tap("classic1k:04A1B2C3" if i % 2 else "ntag215:04112233445566") in (
            ftaps.TAPPED, ftaps.DENIED)  # fmt: skip
    assert answered == 6
    assert await _sync(rig) == uplink.OK and rig.terminal.log.backlog == 0
    rows = json.loads(await bridge.records(b["terminal_id"]))
    taps = [r for r in rows if r["kind"] == wire.TAP]
    denied = [r for r in rows if r["kind"] == wire.DENIED]
    assert len(taps) == 3 and len(denied) == 3, rows
    assert taps[0]["payload"] == rig.token("04A1B2C3") and taps[0]["flags"] & wire.CARD_ENROLLED
    assert all(r["wall_time"] is not None for r in taps)
