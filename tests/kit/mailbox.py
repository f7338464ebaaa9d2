# mailbox: a local SMTP server (aiosmtpd) that keeps what it receives, for the alert tests.
# SPDX-License-Identifier: MIT
"""``with mailbox() as inbox:`` an aiosmtpd server on 127.0.0.1 (a free port) until the block
ends; ``inbox.messages`` the ``(rcpt_tos, email.message.Message)`` it accepted, in order;
``inbox.sender`` a ``sync.notify.Smtp`` pointed at it. ``delay_s``: each message is answered
that much later (a slow mail server: a send that takes a while). ``free_port()``: a port nobody
listens on (for a mail server that is down)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

from sync.notify import Smtp
from tests.kit.ports import free_port


class Inbox:
    def __init__(self, delay_s: float = 0.0) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.delay_s = delay_s
        self.sender: Smtp

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def texts(self) -> list[str]:
        return [m.get_payload(decode=True).decode() for _, m in self.messages]


@contextlib.contextmanager
def mailbox(delay_s: float = 0.0) -> Iterator[Inbox]:
    inbox = Inbox(delay_s)
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    inbox.sender = Smtp("127.0.0.1", ctl.port, "hadir@rusun.test")
    try:
        yield inbox
    finally:
        ctl.stop()
