# notify: the two ways an alert leaves the collector: e-mail over SMTP and a signed JSON webhook.
# SPDX-License-Identifier: MIT
"""``Smtp(host, port, sender, user=None, password=None, starttls=False)`` and ``Webhook()``; both
have ``send(address, secret, subject, text, payload)`` and raise ``NotifyError`` when the
message did not go out (the caller keeps it for the next run). ``Smtp.from_env()`` reads
``HADIR_SMTP_HOST`` (unset: no e-mail), ``HADIR_SMTP_PORT`` (25), ``HADIR_SMTP_FROM``,
``HADIR_SMTP_USER`` / ``HADIR_SMTP_PASSWORD`` and ``HADIR_SMTP_STARTTLS`` (1: STARTTLS, verified).

A webhook is ``POST address`` with the JSON ``payload`` and two headers: ``X-Hadir-Timestamp``
(Unix seconds) and ``X-Hadir-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>``;
the receiver recomputes it with the shared secret (``verify_signature``) and refuses a timestamp
older than a few minutes (a replay)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

TIMEOUT_S = 15


class NotifyError(Exception):
    """The message did not go out; the text says why (no secret in it)."""


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return (
        "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def verify_signature(secret: bytes, timestamp: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class Smtp:
    channel = "email"

    def __init__(self, host: str, port: int = 25, sender: str = "hadir@localhost",
                 user: str | None = None, password: str | None = None,
                 starttls: bool = False) -> None:  # fmt: skip
        self.host, self.port, self.sender = host, port, sender
        self._user, self._password, self._starttls = user, password, starttls

    @classmethod
    def from_env(cls) -> Smtp | None:
        host = os.environ.get("HADIR_SMTP_HOST")
        if not host:
            return None
        port = os.environ.get("HADIR_SMTP_PORT", "25")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"HADIR_SMTP_PORT={port[:20]}: bukan port / not a port")
        return cls(host, int(port),
                   os.environ.get("HADIR_SMTP_FROM", "hadir@localhost"),
                   os.environ.get("HADIR_SMTP_USER"), os.environ.get("HADIR_SMTP_PASSWORD"),
                   os.environ.get("HADIR_SMTP_STARTTLS") == "1")  # fmt: skip

    def send(self, address: str, secret: bytes | None, subject: str, text: str,
             payload: dict[str, Any]) -> None:  # fmt: skip
        try:  # an address the header refuses (a line break in it) fails this message only
            msg = EmailMessage()
            msg["From"] = self.sender
            msg["To"] = address
            msg["Subject"] = subject
            msg.set_content(text)
        except ValueError as exc:
            raise NotifyError(f"smtp: address refused: {type(exc).__name__}") from None
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._user:
                    smtp.login(self._user, self._password or "")
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            raise NotifyError(f"smtp {self.host}:{self.port}: {type(exc).__name__}") from None


class Webhook:
    channel = "webhook"

    def send(self, address: str, secret: bytes | None, subject: str, text: str,
             payload: dict[str, Any]) -> None:  # fmt: skip
        if not secret:
            raise NotifyError("webhook without a secret")
        body = json.dumps(payload, sort_keys=True).encode()
        stamp = str(int(time.time()))
        req = urllib.request.Request(address, data=body, method="POST", headers={
            "Content-Type": "application/json",
            "X-Hadir-Timestamp": stamp,
            "X-Hadir-Signature": signature(secret, stamp, body),
        })  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
                if not 200 <= r.status < 300:
                    raise NotifyError(f"webhook answered {r.status}")
        except urllib.error.HTTPError as exc:
            raise NotifyError(f"webhook answered {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise NotifyError(f"webhook: {type(exc).__name__}") from None
