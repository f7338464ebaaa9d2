# collector: the tools' HTTP client for the collector (terminal endpoints and the admin API).
# SPDX-License-Identifier: MIT
"""httpx, short timeouts; a network failure is ``CollectorUnreachable`` (one line, exit 1)."""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

import httpx

from tools.errors import CollectorUnreachable, HadirError


def timeout() -> httpx.Timeout:
    """A reply within 10 s, or the technician is told the collector did not answer; a slow link
    (or a loaded test machine) may allow more with HADIR_HTTP_TIMEOUT_S."""
    text = os.environ.get("HADIR_HTTP_TIMEOUT_S") or "10"
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise HadirError("HADIR_HTTP_TIMEOUT_S tidak sah", "HADIR_HTTP_TIMEOUT_S is not valid",
                         f"{text!r}: 1..3600 s")  # fmt: skip
    return httpx.Timeout(seconds, connect=5.0)


@contextlib.contextmanager
def client(url: str, auth: tuple[str, str] | None = None) -> Iterator[httpx.Client]:
    try:
        with httpx.Client(base_url=url.rstrip("/"), auth=auth, timeout=timeout()) as c:
            yield c
    except httpx.TransportError as exc:
        raise CollectorUnreachable(f"{url}: {exc.__class__.__name__}") from None


def check(response: httpx.Response, what: str) -> Any:
    if response.status_code == 401:
        raise HadirError("ditolak collector", "refused by the collector",
                         f"{what}: 401 {detail(response)}")  # fmt: skip
    if response.status_code >= 400:
        raise HadirError("collector menolak permintaan", "the collector refused the request",
                         f"{what}: {response.status_code} {detail(response)}")  # fmt: skip
    return response


def detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))
    except ValueError:
        return response.text[:200]
