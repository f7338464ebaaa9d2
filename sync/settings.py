# settings: what a collector process needs to start (database, master key, hooks for tests).
# SPDX-License-Identifier: MIT
"""``Settings`` is built by the CLI from ``--db``/``HADIR_DB``, ``--master-key-file``/
``HADIR_MASTER_KEY``, ``--ca-cert``/``HADIR_CA_CERT``, ``HADIR_API_DOCS``, ``HADIR_JOURNAL``,
``HADIR_ALERTS_EVERY``, ``HADIR_CARD_SWEEP_EVERY``, ``HADIR_PG_POOLER`` and ``HADIR_SMTP_*``
(docs/collector.md, "Settings"), or directly by tests (then the server's alert loop and card
sweep are off unless ``alerts_every_s`` and ``card_sweep_every_s`` say otherwise)."""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.notify import Smtp
from sync.vault import load_master_key

ALERTS_EVERY_S = 60.0  # ``serve`` runs an alert pass this often unless HADIR_ALERTS_EVERY says
# ``serve`` runs no card sweep (sync.service.cardsweep) unless HADIR_CARD_SWEEP_EVERY says how
# often: a city-wide match of a 32-bit token is a chance match 0.23 % of the time at 10 M cards,
# so the office turns it on knowingly (docs/security.md, "Card tokens"); with nothing new a pass
# is a few small queries, a new unknown token one bounded stream through the cards
CARD_SWEEP_EVERY_S = 0.0


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
    alerts_every_s: float = 0.0  # the server's alert pass, seconds apart (0: none; env: 60)
    smtp: Smtp | None = None  # where e-mail alerts go (HADIR_SMTP_HOST ...; None: no e-mail)
    card_sweep_every_s: float = 0.0  # the server's card sweep, seconds apart (0: none)
    # PostgreSQL reached through a pooler in transaction mode (HADIR_PG_POOLER=transaction):
    # no server-side prepared statements (``sync.store.db.Database``)
    pg_pooler: bool = False

    @classmethod
    def from_env(cls, db: str | None = None, master_key_file: str | None = None,
                 ca_cert_file: str | None = None) -> Settings:  # fmt: skip
        url = db or os.environ.get("HADIR_DB")
        if not url:
            raise SettingsError(
                "tidak ada basis data / no database: pass --db PATH_OR_URL or set HADIR_DB"
            )
        ca = ca_cert_file or os.environ.get("HADIR_CA_CERT")
        docs = os.environ.get("HADIR_API_DOCS", "on").strip().lower()
        if docs not in ("on", "off", "1", "0", "yes", "no"):
            raise SettingsError(f"HADIR_API_DOCS={docs[:20]}: on atau off / on or off")
        pooler = os.environ.get("HADIR_PG_POOLER", "session").strip().lower()
        if pooler not in ("session", "transaction"):
            raise SettingsError(
                f"HADIR_PG_POOLER={pooler[:20]}: session atau transaction / session or transaction"
            )
        try:
            smtp = Smtp.from_env()
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        return cls(db=url, master_key=load_master_key(master_key_file),
                   ca_pem=load_ca_cert(ca) if ca else None,
                   api_docs=docs in ("on", "1", "yes"),
                   journal=os.environ.get("HADIR_JOURNAL") or None,
                   alerts_every_s=alerts_every(os.environ.get("HADIR_ALERTS_EVERY")),
                   smtp=smtp, pg_pooler=pooler == "transaction",
                   card_sweep_every_s=every("HADIR_CARD_SWEEP_EVERY",
                                            CARD_SWEEP_EVERY_S))  # fmt: skip


def alerts_every(text: str | None) -> float:
    """HADIR_ALERTS_EVERY: seconds between the server's alert passes; unset: 60; 0: none."""
    return seconds_every("HADIR_ALERTS_EVERY", text, ALERTS_EVERY_S)


def every(name: str, default: float) -> float:
    """The environment variable ``name``: seconds between two passes (``seconds_every``)."""
    return seconds_every(name, os.environ.get(name), default)


def seconds_every(name: str, text: str | None, default: float) -> float:
    """Seconds between two passes of a server loop, 0..86400; unset: ``default``; 0: none."""
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise SettingsError(
            f"{name}={text[:20]}: detik 0..86400 / seconds 0..86400 (0: mati / off)"
        )
    return value


def load_ca_cert(path: str) -> str:
    """The PEM text of the one CA certificate in ``path`` (checked: base64 of a certificate)."""
    try:
        text = open(path, encoding="ascii").read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"--ca-cert {path}: tidak terbaca / cannot read it ({exc})") from None
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    if text.count(begin) != 1 or end not in text:
        raise SettingsError(
            f"--ca-cert {path}: bukan satu sertifikat PEM / not one PEM certificate"
        )
    pem = text[text.index(begin) : text.index(end) + len(end)] + "\n"
    try:
        ssl.PEM_cert_to_DER_cert(pem)
    except ValueError:
        raise SettingsError(
            f"--ca-cert {path}: bukan satu sertifikat PEM / not one PEM certificate"
        ) from None
    return pem
