# cutserver: a hostile local HTTP server that cuts the connection at a chosen byte.
# SPDX-License-Identifier: MIT
"""``await CutServer(collector).start()`` listens on 127.0.0.1 (a free port, ``port``) and
answers each ``POST`` with what ``collector`` (a ``PaperCollector``, ``await post(url, body)``)
answers, as HTTP/1.1 with ``Content-Length``. ``cut`` decides where the connection ends:

``("request", k)``   the server closes after receiving ``k`` bytes of the request (nothing is
                     stored); ``request_len`` is the length of the last whole request it read
``("response", k)``  the request is read whole and handed to the collector (which stores it),
                     then only the first ``k`` bytes of the answer go out; ``response_len``
``None``             the whole exchange

Runs on CPython and on MicroPython's unix port (``asyncio.start_server``); the WebAssembly port
has no sockets."""

import asyncio
import random


class CutServer:
    def __init__(self, collector):
        self.collector = collector
        self.cut = None
        self.port = 0
        self.request_len = 0
        self.response_len = 0
        self.served = 0
        self._server = None

    async def start(self, ssl=None):
        """``ssl``: a server-side ``SSLContext`` (HTTPS), or None."""
        for _ in range(20):  # MicroPython's start_server cannot report a port 0 bound to
            port = random.randint(20000, 59999)
            try:
                self._server = await asyncio.start_server(self._serve, "127.0.0.1", port,
                                                          ssl=ssl)  # fmt: skip
            except OSError:
                continue
            self.port = port
            return self
        raise OSError("no free port")

    async def stop(self):
        self._server.close()
        await self._server.wait_closed()

    async def _read_request(self, reader, limit):
        """(bytes read, body of the whole request, or None when ``limit`` bytes came first)."""
        got = b""
        start = end = -1  # where the body starts and ends, once the head is in
        while end < 0 or len(got) < end:
            if len(got) >= limit:
                return got, None
            want = 256 if end < 0 else end - len(got)
            chunk = await reader.read(min(want, limit - len(got)))
            if not chunk:
                return got, None
            got += chunk
            if end < 0 and b"\r\n\r\n" in got:
                start = got.index(b"\r\n\r\n") + 4
                end = start
                for line in got[:start].split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        end = start + int(value.strip())
        return got, got[start:end]

    async def _serve(self, reader, writer):
        self.served += 1
        mode, k = self.cut if self.cut is not None else ("", -1)
        try:
            limit = k if mode == "request" else 1 << 30
            got, body = await self._read_request(reader, limit)
            if body is None:
                return  # cut inside the request: close now
            self.request_len = len(got)
            if mode == "request":
                return
            path = got.split(b" ", 2)[1].decode()
            status, data = await self.collector.post("http://x" + path, body, 0)
            head = "HTTP/1.1 %d X\r\nContent-Type: application/octet-stream\r\n" % status
            head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data)
            answer = head.encode() + data
            self.response_len = len(answer)
            writer.write(answer if mode != "response" else answer[:k])
            await writer.drain()
        except OSError:
            pass  # the client went away first
        finally:
            writer.close()
            await writer.wait_closed()
