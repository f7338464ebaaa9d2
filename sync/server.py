# server: the collector's HTTP server: uvicorn (h11) with a guard on every connection.
# SPDX-License-Identifier: MIT
"""``run(app, Listen(...))`` is ``python -m sync serve``; ``config(app, Listen(...))`` the same
uvicorn configuration for a server run in a thread (tests, benchmarks).

uvicorn alone keeps a connection that never finishes its request head for ever, and its default
parser (httptools) grows a never-ending header without bound. So the server is uvicorn with the
h11 parser (the whole request head is bounded, ``Limits.header_bytes``) and ``Guarded``, its
protocol with three more rules, checked on every connection:

- a connection limit, in all and per client address (but a trusted proxy's): a connection past
  either is answered 503 and closed before anything of it is read;
- a deadline for the request head (``header_s`` from the connection's start, or from the end of
  the previous response on a kept-alive connection) and one for the body (``body_s`` from the end
  of the head): slow-loris connections are answered 408 and closed;
- any response the guard writes itself carries ``nosniff`` like those of the app.

Per-request limits (header count, body sizes, authentication before the body) are the app's
``sync.gate``. Forwarded headers (``X-Forwarded-For``/``-Proto``) are read only from the proxies
listed in ``Listen.trusted_proxies``; with none, never (uvicorn would trust 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class Limits:
    max_connections: int = 256  # open at once, in all (32 terminals and a few browsers)
    per_address: int = 64  # open at once from one client address (a trusted proxy: no limit)
    header_s: float = 10.0  # to receive a request head
    body_s: float = 30.0  # to receive a body after its head (a full batch is 37 kB)
    keep_alive_s: int = 5  # idle between two requests of one connection
    header_bytes: int = 16 * 1024  # request line and headers (h11's incomplete-event limit)


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 8000
    tls_cert: str | None = None  # PEM certificate chain: serve HTTPS
    tls_key: str | None = None  # its private key (PEM)
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-* headers are believed
    limits: Limits = field(default_factory=Limits)
    log_level: str = "info"


def _raw_response(status: int, phrase: str, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-length: 0\r\nconnection: close\r\n"
        f"x-content-type-options: nosniff\r\n{extra}\r\n"
    ).encode("ascii")


_BUSY = _raw_response(503, "Service Unavailable", "retry-after: 10\r\n")
_TIMEOUT = _raw_response(408, "Request Timeout")


class Guarded(H11Protocol):
    """uvicorn's h11 protocol with a connection limit and head/body deadlines (module doc)."""

    limits = Limits()
    proxies: frozenset[str] = frozenset()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting: object = None
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) else None
        same = sum(1 for p in self.connections if p.client and p.client[0] == host)
        if len(self.connections) >= self.limits.max_connections or (
            host not in self.proxies and same >= self.limits.per_address
        ):
            self.transport = transport
            transport.write(_BUSY)
            transport.close()
            return
        super().connection_made(transport)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def send_400_response(self, msg: str) -> None:
        # h11 refused the request (a head over ``header_bytes``, bad syntax): answer, then close.
        self.transport.write(_raw_response(400, "Bad Request"))
        self.transport.close()

    # --- deadlines -------------------------------------------------------------------------

    def _watch(self) -> None:
        """Arm the deadline of what the client owes now: a head, a body, or nothing."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        want = "head" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if want == self._waiting:
            return
        self._disarm()
        self._waiting = want
        if want is not None:
            delay = self.limits.header_s if want == "head" else self.limits.body_s
            self._deadline = self.loop.call_later(delay, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_TIMEOUT)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()


def guarded(limits: Limits, proxies: tuple[str, ...] = ()) -> type[Guarded]:
    """The protocol class for these limits (uvicorn builds one instance per connection)."""
    return type("Guarded", (Guarded,), {"limits": limits, "proxies": frozenset(proxies)})


class ServerError(Exception):
    """The server cannot start (a certificate or key that does not load)."""


def config(app, listen: Listen, lifespan: str = "on") -> uvicorn.Config:
    """``lifespan="off"`` for a server in a thread whose caller closes the app's database."""
    lim = listen.limits
    proxies = list(listen.trusted_proxies)
    return uvicorn.Config(
        app,
        host=listen.host,
        port=listen.port,
        http=guarded(lim, listen.trusted_proxies),
        h11_max_incomplete_event_size=lim.header_bytes,
        timeout_keep_alive=lim.keep_alive_s,
        ssl_certfile=listen.tls_cert,
        ssl_keyfile=listen.tls_key,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        server_header=False,
        log_level=listen.log_level,
        lifespan=lifespan,
        ws="none",
    )


def run(app, listen: Listen) -> None:
    cfg = config(app, listen)
    try:
        cfg.load()  # builds the TLS context: a bad certificate is one line, not a traceback
    except (ssl.SSLError, OSError) as exc:
        raise ServerError(f"TLS: {exc}") from None
    uvicorn.Server(cfg).run()
