# firmware/httpclient.py against a hostile server: the connection cut at every byte, both ways.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 232k: the code as .mpy (remote settings and reports grew it), a terminal, a server
# (TLS too) in one interpreter
"""The real client, on real sockets (CPython, and MicroPython's unix port: the WebAssembly port
has none), syncs a terminal with a local server (``tests/kit/cutserver.py``) that ends the
connection after each byte of the request, then after each byte of the answer. Every round must
come back as a failed round (``uplink.FAILED``), never as an exception out of the sync loop,
and lose nothing: the next whole exchange delivers every record exactly once."""

import os

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


async def _https_rig(server, ca_pem):
    """A terminal configured as provisioning configures it from a bundle: ``ca_pin`` holds the
    CA's PEM text, turned into the client's trust anchor as firmware/hardware.py does."""
    from firmware import config as fconfig
    from firmware.httpclient import Client

    cfg = config(collector_url="https://127.0.0.1:%d" % server.port, ca_pin=ca_pem)
    rig = Rig(http=Client(fconfig.ca_bytes(cfg["ca_pin"])), cfg=cfg)
    rig.hw.clock.advance(31000)
    rig.tap(CARDS[0])
    assert await rig.terminal.sync_step() == uplink.CONNECTING
    return rig


def _tls():
    from tests.kit import tlskit

    if not tlskit.has_tls():
        skip("no ssl on this port (the WebAssembly port): CPython and the unix port run it")
    return tlskit


async def test_https_with_the_ca_pinned_from_the_bundle_delivers_the_taps():
    tlskit = _tls()
    from tests.kit.cutserver import CutServer

    coll = PaperCollector(TID, K0)
    server = await CutServer(coll).start(ssl=tlskit.server("server"))
    try:
        rig = await _https_rig(server, tlskit.text("ca.pem"))
        assert await rig.terminal.sync_step() == uplink.OK
        assert len(coll.kinds(wire.TAP)) == 1
    finally:
        await server.stop()


async def test_a_certificate_not_yet_valid_by_the_clock_is_a_failed_round_then_heals():
    """What a terminal whose RTC restarted at 2000-01-01 meets with every certificate: its TLS
    stack (mbedTLS on MicroPython's unix port, OpenSSL on CPython) checks the validity dates
    against the clock and refuses. Here the certificate starts in 2090 and the clock is the
    host's: the same check fails the same way (mbedTLS: ValueError "The certificate validity
    starts in the future", not OSError). The round fails, nothing is lost, the sync loop goes
    on; with a certificate valid by the clock the next round goes through. (The clock itself at
    2000, and the kept time restored: the next test.)"""
    tlskit = _tls()
    from tests.kit.cutserver import CutServer

    coll = PaperCollector(TID, K0)
    future = await CutServer(coll).start(ssl=tlskit.server("future"))
    try:
        rig = await _https_rig(future, tlskit.text("ca.pem"))
        t = rig.terminal
        for _ in range(3):
            assert await t.sync_step() == uplink.FAILED
        err = t.hw.http.last_error
        print("TLS refused:", type(err).__name__, repr(err))
        assert "future" in str(err) or "not yet valid" in str(err), repr(err)
        assert t.log.backlog > 0 and coll.posts == 0
        # Same terminal, the collector now with a certificate valid by the clock: delivered.
        good = await CutServer(coll).start(ssl=tlskit.server("server"))
        t.uplink.url = "https://127.0.0.1:%d" % good.port
        try:
            assert await t.sync_step() == uplink.OK and t.log.backlog == 0
        finally:
            await good.stop()
    finally:
        await future.stop()


async def test_back_from_a_power_loss_tls_fails_at_2000_until_the_kept_time_is_restored():
    """The date failure itself, on real mbedTLS (the unix port) with its clock at 2000: the
    board double's RTC restarts at 2000-01-01 on power-up and drives the time() mbedTLS reads
    (``tests/kit/wallclock.py``), as the ESP32's RTC does. Every handshake with the collector's
    valid certificate is refused (ValueError, a failed round, nothing lost) until
    ``firmware/hardware.build`` -- what main.py runs before any task -- puts the last good time
    kept in flash back into the RTC; the next round then delivers. No NTP, no DS3231."""
    tlskit = _tls()
    from tests.kit import wallclock

    if not wallclock.settable():
        skip("needs a clock mbedTLS reads that a test can set: tests/runner/unix.py's own build")
    import json

    from tests.kit.cutserver import CutServer
    from tests.kit.termkit import secrets, tmpdir
    from tools.sim.board.chip import Esp32
    from tools.sim.flash import NorFlash

    root = tmpdir()
    coll = PaperCollector(TID, K0)
    server = await CutServer(coll).start(ssl=tlskit.server("server"))  # valid 2024..2099
    esp = Esp32(flash=NorFlash(blocks=4, path=root + "/hlog.bin"), wall=wallclock.follow)
    try:
        esp.power_on()  # the RTC, and with it mbedTLS's clock, at 2000-01-01 00:00
        rig = await _https_rig(server, tlskit.text("ca.pem"))
        t = rig.terminal
        for _ in range(3):
            assert await t.sync_step() == uplink.FAILED
        err = t.hw.http.last_error
        print("TLS at 2000:", type(err).__name__, repr(err))
        assert isinstance(err, ValueError) and "future" in str(err), repr(err)
        assert t.log.backlog > 0 and coll.posts == 0
        # What the terminal's flash held from before the cut (firmware/clock.py keeps it).
        with open(root + "/config.json", "w") as f:
            json.dump(t.config, f)
        os.mkdir(root + "/data")
        with open(root + "/data/last_time", "w") as f:
            f.write("%d" % 1767225600)  # 2026-01-01 00:00 UTC
        with esp.installed():
            from firmware import hardware

            hardware.root = root
            hardware.build(t.config, secrets())
        assert esp.rtc_set == 1 and esp.rtc_time[:3] == (2026, 1, 1)
        assert await t.sync_step() == uplink.OK and t.log.backlog == 0
        assert len(coll.kinds(wire.TAP)) == 1
    finally:
        wallclock.real()
        await server.stop()


async def test_https_refuses_a_collector_signed_by_another_ca_and_https_without_a_ca():
    tlskit = _tls()
    from firmware import config as fconfig
    from firmware.httpclient import Client
    from tests.kit.cutserver import CutServer
    from tests.kit.mpytest import raises

    coll = PaperCollector(TID, K0)
    server = await CutServer(coll).start(ssl=tlskit.server("server"))
    try:
        rig = await _https_rig(server, tlskit.text("other.pem"))
        assert await rig.terminal.sync_step() == uplink.FAILED and coll.posts == 0
        with raises(OSError):
            await Client(None).post("https://127.0.0.1:%d/v1/x" % server.port, b"x", 5000)
    finally:
        await server.stop()
    with raises(fconfig.ConfigError) as e:
        config(collector_url="https://c.example", ca_pin=None)
    assert str(e.value).startswith("ca_pin:")
    with raises(fconfig.ConfigError):
        config(collector_url="https://c.example", ca_pin="not a certificate")
