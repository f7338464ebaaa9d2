# firmware/httpclient.py over TLS with the collector's CA pinned: the real collector over https.
# SPDX-License-Identifier: MIT
"""CPython only (the WebAssembly port has no ssl; the unix port runs the same client against an
in-process server in test_httpclient.py). The test PKI is the fixed one of tests/kit/tls/ (a CA
and a server certificate for 127.0.0.1); the client trusts that CA only."""

import asyncio

import pytest

from firmware import config as fconfig
from firmware import taps as ftaps
from firmware import uplink, wire
from firmware.httpclient import Client
from tests.kit import tlskit
from tests.kit.liveserver import Collector
from tests.kit.termkit import Rig, config
from tests.kit.tlsfiles import DIR

TLS = (str(DIR / "server.pem"), str(DIR / "server.key"))


@pytest.fixture
def pki(tmp_path):
    return tmp_path, tlskit.text("ca.pem"), tlskit.text("other.pem")


def test_taps_over_https_with_the_pinned_ca(pki):
    tmp, ca, _ = pki
    with Collector(tmp, tls=TLS, ca=ca) as c:
        bundle = c.register()
        assert bundle["ca_pin"] == ca  # the bundle carries the CA the terminal pins
        # As provisioning writes config.json from the bundle, and firmware/hardware.py reads it.
        cfg = config(terminal_id=bundle["terminal_id"], collector_url=c.url,
                     ca_pin=bundle["ca_pin"])  # fmt: skip
        rig = Rig(cfg=cfg, http=Client(fconfig.ca_bytes(cfg["ca_pin"])),
                  k0=bytes.fromhex(bundle["k0"]),
                  card_key=bytes.fromhex(bundle["card_key"]))  # fmt: skip
        rig.hw.clock.advance(1000)
        assert rig.tap("classic1k:04A1B2C3") == ftaps.TAPPED

        async def go():
            await rig.terminal.sync_step()
            return await rig.terminal.sync_step()

        assert c.url.startswith("https://") and asyncio.run(go()) == uplink.OK
        assert [r["kind"] for r in c.records(bundle["terminal_id"])].count(wire.TAP) == 1


def test_a_server_not_signed_by_the_pinned_ca_is_refused(pki):
    tmp, _, other = pki
    with Collector(tmp, tls=TLS) as c:
        with pytest.raises(OSError):
            asyncio.run(Client(other).post(c.url + "/v1/batches", b"x", 5000))
        with pytest.raises(OSError):  # https without any CA: never sent
            asyncio.run(Client(None).post(c.url + "/v1/batches", b"x", 5000))
