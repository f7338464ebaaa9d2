# rawhttp: raw sockets to a live server, for what an HTTP client library will not send.
# SPDX-License-Identifier: MIT
"""Slow heads, bodies that never come, heads without a body, answers read until the server
closes; used by the server and gate tests and by bench/security.py.

    s = connect(port_of(url), source="127.0.0.2")   # any 127.0.0.x: another client address
    s.sendall(b"POST /api/terminals HTTP/1.1\\r\\n...")
    head, body = split(until_closed(s))
"""

from __future__ import annotations

import socket

WAIT_S = 20  # a safety net for a server that never answers; tests wait on events, not time


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def connect(port: int, source: str = "127.0.0.1", timeout: float = WAIT_S) -> socket.socket:
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    return out


def head(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "host: collector"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
