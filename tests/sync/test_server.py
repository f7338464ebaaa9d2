# The collector's HTTP server (sync/server.py): connection limits, slow heads and bodies, a
# never-ending header, forwarded headers only from trusted proxies. Raw sockets on 127.0.0.x.
# SPDX-License-Identifier: MIT
import httpx

from sync.server import Limits
from tests.kit.liveserver import serve
from tests.kit.rawhttp import connect, port_of, until_closed

FAST = Limits(max_connections=40, per_address=8, header_s=0.5, body_s=0.5, keep_alive_s=1)


async def echo(scope, receive, send):
    """An app that reads its body and answers who it thinks the client is."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False) and message["type"] == "http.request"
    body = ("%s %s" % (scope["client"][0], scope["scheme"])).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def test_connections_past_the_per_address_limit_are_refused_at_once():
    with serve(echo, limits=FAST) as url:
        port = port_of(url)
        held = [connect(port) for _ in range(FAST.per_address)]
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\n")  # a head that never ends
        extra = connect(port)
        answer = until_closed(extra)
        assert answer.startswith(b"HTTP/1.1 503")
        assert b"x-content-type-options: nosniff" in answer
        # Another address is served meanwhile.
        other = connect(port, "127.0.0.2")
        other.sendall(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        assert b"\r\n\r\n127.0.0.2 http" in until_closed(other)
        for s in held + [extra, other]:
            s.close()


def test_the_total_connection_limit_holds_across_addresses():
    limits = Limits(max_connections=6, per_address=100, header_s=5, body_s=5)
    with serve(echo, limits=limits) as url:
        port = port_of(url)
        held = [connect(port, f"127.0.0.{2 + i}") for i in range(6)]
        for s in held:
            s.sendall(b"GET / HTTP/1.1\r\n")
        late = connect(port, "127.0.1.1")
        assert until_closed(late).startswith(b"HTTP/1.1 503")
        for s in held + [late]:
            s.close()


def test_slow_loris_heads_are_closed_at_their_deadline():
    with serve(echo, limits=FAST) as url:
        port = port_of(url)
        silent = connect(port)  # sends nothing at all
        slow = connect(port)
        slow.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n")  # ... and never the blank line
        for s in (silent, slow):
            answer = until_closed(s)
            assert answer.startswith(b"HTTP/1.1 408"), answer
            s.close()


def test_a_slow_body_is_closed_at_its_deadline():
    with serve(echo, limits=FAST) as url:
        s = connect(port_of(url))
        s.sendall(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n0123456789")
        assert until_closed(s).startswith(b"HTTP/1.1 408")
        s.close()


def test_an_idle_kept_alive_connection_is_closed():
    with serve(echo, limits=FAST) as url:
        s = connect(port_of(url))
        s.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        answer = until_closed(s)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n127.0.0.1 http")
        s.close()


def test_a_never_ending_header_is_cut_at_the_head_limit():
    with serve(echo, limits=FAST) as url:
        s = connect(port_of(url))
        try:
            s.sendall(b"GET / HTTP/1.1\r\nx-endless: " + b"a" * 2 * FAST.header_bytes)
            answer = until_closed(s)
        except ConnectionResetError:  # closed with our bytes unread: a reset, also a refusal
            answer = b"HTTP/1.1 400 (reset)"
        assert answer.startswith(b"HTTP/1.1 400")
        s.close()


def test_forwarded_headers_only_from_trusted_proxies():
    spoof = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}
    with serve(echo) as url:
        assert httpx.get(url, headers=spoof).text == "127.0.0.1 http"
    with serve(echo, proxies=("127.0.0.1",)) as url:
        assert httpx.get(url, headers=spoof).text == "203.0.113.9 https"
