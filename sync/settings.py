# settings: what a collector process needs to start (database, master key, hooks for tests).
# SPDX-License-Identifier: MIT
"""``Settings`` is built by the CLI from ``--db``/``HADIR_DB``, ``--master-key-file``/
``HADIR_MASTER_KEY``, ``--ca-cert``/``HADIR_CA_CERT``, ``HADIR_API_DOCS`` and
``HADIR_JOURNAL`` (docs/collector.md, "Settings"), or directly by tests."""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.vault import load_master_key


class SettingsError(Exception):
    """A setting that is missing or malformed."""


@dataclass
class Settings:
    db: str
    master_key: bytes
    clock: Callable[[], float] = time.time
    after_commit: Callable[[], None] | None = None  # tests: runs between commit and reply
    ca_pem: str | None = None  # the CA certificate terminals pin (PEM), put into their bundles
    api_docs: bool = True  # /docs and /openapi.json (HADIR_API_DOCS=off: neither)
    journal: str | None = None  # folder of acknowledged batches (HADIR_JOURNAL): for a restore

    @classmethod
    def from_env(cls, db: str | None = None, master_key_file: str | None = None,
                 ca_cert_file: str | None = None) -> Settings:  # fmt: skip
        url = db or os.environ.get("HADIR_DB")
        if not url:
            raise SettingsError("no database: pass --db PATH_OR_URL or set HADIR_DB")
        ca = ca_cert_file or os.environ.get("HADIR_CA_CERT")
        docs = os.environ.get("HADIR_API_DOCS", "on").strip().lower()
        if docs not in ("on", "off", "1", "0", "yes", "no"):
            raise SettingsError(f"HADIR_API_DOCS={docs[:20]}: on or off")
        return cls(db=url, master_key=load_master_key(master_key_file),
                   ca_pem=load_ca_cert(ca) if ca else None,
                   api_docs=docs in ("on", "1", "yes"),
                   journal=os.environ.get("HADIR_JOURNAL") or None)  # fmt: skip


def load_ca_cert(path: str) -> str:
    """The PEM text of the one CA certificate in ``path`` (checked: base64 of a certificate)."""
    try:
        text = open(path, encoding="ascii").read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"--ca-cert {path}: cannot read it ({exc})") from None
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    if text.count(begin) != 1 or end not in text:
        raise SettingsError(f"--ca-cert {path}: not one PEM certificate")
    pem = text[text.index(begin) : text.index(end) + len(end)] + "\n"
    try:
        ssl.PEM_cert_to_DER_cert(pem)
    except ValueError:
        raise SettingsError(f"--ca-cert {path}: not one PEM certificate") from None
    return pem
