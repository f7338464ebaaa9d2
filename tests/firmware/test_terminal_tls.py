# firmware/httpclient.py over TLS with the collector's CA pinned: the real collector over https.
# SPDX-License-Identifier: MIT
"""CPython only (the WebAssembly port has no ssl). A CA and a server certificate for 127.0.0.1
are made with ``cryptography``; the client trusts that CA only."""

import asyncio
import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from firmware import config as fconfig
from firmware import taps as ftaps
from firmware import uplink, wire
from firmware.httpclient import Client
from tests.kit.liveserver import Collector
from tests.kit.termkit import Rig, config


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, key, sign_key, ca, san=None):
    now = dt.datetime.now(dt.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(sign_key, hashes.SHA256())


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def pki(tmp_path):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("hadir test CA", "hadir test CA", ca_key, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("127.0.0.1", "hadir test CA", key, ca_key, False,
                 [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])  # fmt: skip
    (tmp_path / "server.pem").write_bytes(_pem(leaf))
    (tmp_path / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("someone else", "someone else", other_key, other_key, True)
    return tmp_path, _pem(ca).decode(), _pem(other).decode()


def test_taps_over_https_with_the_pinned_ca(pki):
    tmp, ca, _ = pki
    with Collector(tmp, tls=(str(tmp / "server.pem"), str(tmp / "server.key")), ca=ca) as c:
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
    with Collector(tmp, tls=(str(tmp / "server.pem"), str(tmp / "server.key"))) as c:
        with pytest.raises(OSError):
            asyncio.run(Client(other).post(c.url + "/v1/batches", b"x", 5000))
        with pytest.raises(OSError):  # https without any CA: never sent
            asyncio.run(Client(None).post(c.url + "/v1/batches", b"x", 5000))
