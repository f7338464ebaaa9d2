# firmware/httpclient.py against a hostile server: the connection cut at every byte, both ways.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 208k: code 110 KB as .mpy, a terminal, a server in the same interpreter
"""The real client, on real sockets (CPython, and MicroPython's unix port: the WebAssembly port
has none), syncs a terminal with a local server (``tests/kit/cutserver.py``) that ends the
connection after each byte of the request, then after each byte of the answer. Every round must
come back as a failed round (``uplink.FAILED``), never as an exception out of the sync loop,
and lose nothing: the next whole exchange delivers every record exactly once."""

from firmware import uplink, wire
from tests.kit.mpytest import skip
from tests.kit.paperco import PaperCollector
from tests.kit.termkit import K0, TID, Rig, config

CARDS = ("classic1k:04A1B2C3", "ntag215:04112233445566", "classic1k:04C0FFEE")


def _sockets():
    try:
        import socket  # noqa: F401
    except ImportError:
        skip("no sockets on this port (the WebAssembly port): CPython and the unix port run it")


async def test_the_sync_loop_survives_a_cut_at_every_byte_of_request_and_response():
    _sockets()
    from firmware.httpclient import Client
    from tests.kit.cutserver import CutServer

    coll = PaperCollector(TID, K0)
    server = await CutServer(coll).start()
    try:
        url = "http://127.0.0.1:%d" % server.port
        rig = Rig(http=Client(), cfg=config(collector_url=url))
        t = rig.terminal
        for card in CARDS:
            rig.hw.clock.advance(31000)
            rig.tap(card)
        assert await t.sync_step() == uplink.CONNECTING  # the station joins first
        server.cut = ("request", 1 << 30)  # read it all, answer nothing: learn its length
        assert await t.sync_step() == uplink.FAILED
        cuts = [("request", k) for k in range(server.request_len + 1)]
        server.cut = ("response", 0)
        assert await t.sync_step() == uplink.FAILED
        cuts += [("response", k) for k in range(server.response_len)]
        backlog = t.log.backlog  # the first batch sealed the open block: a SEAL slot more
        kinds = {}
        for cut in cuts:
            server.cut = cut
            result = await t.sync_step()  # an exception here is what resets a terminal
            assert result == uplink.FAILED, (cut, result)
            assert t.log.backlog == backlog, cut  # nothing acknowledged, nothing lost
            name = type(t.hw.http.last_error).__name__
            kinds[name] = kinds.get(name, 0) + 1
        print("cuts", len(cuts), "request", server.request_len, "response",
              server.response_len, "client errors", kinds)  # fmt: skip
        assert len(cuts) > 200 and server.served >= len(cuts)
        server.cut = None
        assert await t.sync_step() == uplink.OK and t.log.backlog == 0
        taps = [r for r in coll.records if r[1] in (wire.TAP, wire.DENIED)]
        assert len(taps) == len(CARDS)  # stored once, however often the answer was lost
        assert t.uplink.failures == len(cuts) + 2
    finally:
        await server.stop()
