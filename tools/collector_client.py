# collector: the tools' HTTP client for the collector (terminal endpoints and the admin API).
# SPDX-License-Identifier: MIT
"""httpx, short timeouts; a network failure is ``CollectorUnreachable`` (one line, exit 1)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import httpx

from tools.errors import CollectorUnreachable, HadirError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@contextlib.contextmanager
def client(url: str, auth: tuple[str, str] | None = None) -> Iterator[httpx.Client]:
    try:
        with httpx.Client(base_url=url.rstrip("/"), auth=auth, timeout=TIMEOUT) as c:
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
