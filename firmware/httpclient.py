# httpclient: a small HTTP/1.1 client on asyncio streams (ESP32 MicroPython and CPython alike).
# SPDX-License-Identifier: MIT
"""``Client(ca=None)``; ``await client.post(url, body, timeout_ms)`` -> ``(status, body)``.

One request per connection (``Connection: close``), ``application/octet-stream`` bodies (bytes,
or an object with ``len()`` whose iteration gives the body's pieces in order, each written and
drained before the next is asked for: the uplink's batches, never held whole), the
answer read by its ``Content-Length`` (at most ``_MAX_BODY``). Raises ``OSError`` on any network
failure, timeout, connection closed early, refused certificate or malformed answer, so the uplink
treats all alike ("nothing was stored"); ``last_error`` keeps what was raised inside.

TLS (``https://``): ``ca`` is the DER bytes (or PEM text) of the collector's CA, the only
certificate trusted. On the ESP32 ``ssl.SSLContext(PROTOCOL_TLS_CLIENT)`` with
``load_verify_locations(cadata=ca)`` and ``CERT_REQUIRED`` makes mbedtls verify the chain to that
CA and the host name (``server_hostname`` = the URL's host); on CPython the same through
``ssl.create_default_context(cadata=...)``. Plain ``http://`` is for a collector on a closed LAN.
"""

import asyncio

from compat import const

_MAX_BODY = const(65536)
_EIO = const(5)
_ETIMEDOUT = const(110)


def split_url(url):
    """(https, host, port, path) of ``http(s)://host[:port]/path``."""
    https = url.startswith("https://")
    rest = url[8:] if https else url[7:] if url.startswith("http://") else None
    if rest is None:
        raise OSError(_EIO)
    slash = rest.find("/")
    hostport, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
    colon = hostport.rfind(":")
    if colon > 0:
        return https, hostport[:colon], int(hostport[colon + 1 :]), path
    return https, hostport, 443 if https else 80, path


def joined(body):
    """The bytes ``post`` sends for ``body`` (either kind), in one buffer: for doubles of the
    network. A bytes-like body is returned as it is."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return body
    out = bytearray(len(body))
    at = 0
    for piece in body:
        n = len(piece)
        out[at : at + n] = piece
        at += n
    return out


def tls_context(ca):
    import ssl

    make = getattr(ssl, "create_default_context", None)
    if make is not None:  # CPython: PEM as text, DER as bytes
        if isinstance(ca, bytes) and ca.startswith(b"-----BEGIN"):
            ca = ca.decode()
        return make(cadata=ca)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=ca)
    return ctx


class Client:
    def __init__(self, ca=None):
        self._ca = ca
        self._ctx = None
        self.requests = 0
        self.failures = 0
        self.last_error = None  # what the last failed request raised inside, for doctor

    def pin(self, ca):
        """Pin another CA (settings from the collector): the next request makes a new TLS
        context with it."""
        self._ca = ca
        self._ctx = None

    async def post(self, url, body, timeout_ms):
        self.requests += 1
        try:
            return await asyncio.wait_for(self._post(url, body), timeout_ms / 1000)
        except asyncio.TimeoutError as e:
            self.failures += 1
            self.last_error = e
            raise OSError(_ETIMEDOUT) from None
        # EOFError: a connection closed early (MicroPython's readexactly; CPython's
        # IncompleteReadError is one too); ValueError: mbedTLS refusing a certificate
        # (MicroPython) or a malformed number; IndexError: a malformed answer.
        except (OSError, ValueError, IndexError, EOFError) as e:
            self.failures += 1
            self.last_error = e
            raise OSError(_EIO) from None

    async def _post(self, url, body):
        https, host, port, path = split_url(url)
        ctx = None
        if https:
            if self._ca is None:
                raise OSError(_EIO)  # never TLS without the pinned CA
            if self._ctx is None:
                self._ctx = tls_context(self._ca)
            ctx = self._ctx
        if ctx is None:
            reader, writer = await asyncio.open_connection(host, port)
        else:
            reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
        try:
            head = "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/octet-stream\r\n"
            head += "Content-Length: %d\r\nConnection: close\r\n\r\n"
            writer.write((head % (path, host, len(body))).encode())
            if isinstance(body, (bytes, bytearray, memoryview)):
                writer.write(body)
                await writer.drain()
            else:  # pieces (firmware.log's Outgoing): each goes out before the next is read
                for piece in body:
                    writer.write(piece)
                    await writer.drain()
            line = await reader.readline()
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
                raise OSError(_EIO)
            status = int(parts[1])
            length = -1
            while True:
                line = await reader.readline()
                if not line or line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length < 0 or length > _MAX_BODY:
                raise OSError(_EIO)
            data = await reader.readexactly(length) if length else b""
            return status, data
        finally:
            writer.close()
            await writer.wait_closed()
