# tlsfiles: writes the fixed test PKI of tests/kit/tls/ (CPython only: needs cryptography).
# SPDX-License-Identifier: MIT
"""``python -m tests.kit.tlsfiles`` (re)writes ``tests/kit/tls/``: a test CA and three server
certificates for 127.0.0.1 with fixed validity windows, so that device tests on MicroPython
(which cannot make certificates) use them as files. Test keys only, never a deployment's.

==================  =========================================================================
``ca.pem``          "hadir test CA", valid 2020-01-01 .. 2099-12-31
``server.pem/.key`` 127.0.0.1, signed by the CA, valid 2024-01-01 .. 2099-12-31 (valid now)
``future.pem/.key`` 127.0.0.1, signed by the CA, valid from 2090-01-01: to a clock before that,
                    mbedTLS answers "The certificate validity starts in the future", as to a
                    terminal whose RTC restarted at 2000-01-01 for any certificate
``other.pem``       another CA ("hadir other CA"): a pin that must not match
==================  =========================================================================
"""

import datetime as dt
import ipaddress
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DIR = pathlib.Path(__file__).resolve().parent / "tls"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, key, sign_key, start, end, ca):
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(*start, tzinfo=dt.timezone.utc))
        .not_valid_after(dt.datetime(*end, tzinfo=dt.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return b.sign(sign_key, hashes.SHA256())


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def write() -> None:
    DIR.mkdir(exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert(
        "hadir test CA", "hadir test CA", ca_key, ca_key, (2020, 1, 1), (2099, 12, 31), True
    )
    (DIR / "ca.pem").write_bytes(_pem(ca))
    for name, start in (("server", (2024, 1, 1)), ("future", (2090, 1, 1))):
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = _cert("127.0.0.1", "hadir test CA", key, ca_key, start, (2099, 12, 31), False)
        (DIR / f"{name}.pem").write_bytes(_pem(leaf))
        (DIR / f"{name}.key").write_bytes(_key(key))
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("hadir other CA", "hadir other CA", other_key, other_key, (2020, 1, 1),
                  (2099, 12, 31), True)  # fmt: skip
    (DIR / "other.pem").write_bytes(_pem(other))


if __name__ == "__main__":
    write()
