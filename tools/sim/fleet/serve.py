# serve: run the real collector app under uvicorn on 127.0.0.1 with the simulation's clock.
# SPDX-License-Identifier: MIT
"""``python -m tools.sim.fleet.serve --db FILE --clock-file F --port-file P``

The collector of ``sync.app.create_app`` as ``python -m sync serve`` builds and serves it
(``sync.server``), with one difference: ``Settings.clock`` reads the simulated time that the
fleet simulation publishes in ``--clock-file`` (8 bytes, Unix milliseconds, little-endian), so
replies carry the simulated server time and reports count simulated days. Binds port 0 and
writes the port it got to ``--port-file``. The master key comes from ``HADIR_MASTER_KEY`` as
for ``sync``.
"""

import argparse
import asyncio
import mmap
import os
import socket
import struct

import uvicorn

from sync.app import create_app
from sync.server import Listen, config
from sync.settings import Settings
from sync.vault import load_master_key


class SharedClock:
    """Reads (``SharedClock(path)()``) or publishes (``set(ms)``) the simulated time."""

    def __init__(self, path: str, create: bool = False) -> None:
        if create:
            with open(path, "wb") as f:
                f.write(bytes(8))
        self._f = open(path, "r+b")  # noqa: SIM115 - held for the life of the process
        self._mm = mmap.mmap(self._f.fileno(), 8)

    def set(self, ms: int) -> None:
        struct.pack_into("<q", self._mm, 0, ms)

    def __call__(self) -> float:
        return struct.unpack_from("<q", self._mm, 0)[0] / 1000

    def close(self) -> None:
        self._mm.close()
        self._f.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="tools.sim.fleet.serve")
    ap.add_argument("--db", required=True)
    ap.add_argument("--clock-file", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args(argv)
    settings = Settings(
        db=args.db, master_key=load_master_key(), clock=SharedClock(args.clock_file)
    )
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it: without it a response written in two parts waits for the
    # client's delayed ACK (~40 ms a request on Linux loopback).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(str(sock.getsockname()[1]))
    os.replace(tmp, args.port_file)
    server = uvicorn.Server(config(app, Listen(log_level="warning")))
    asyncio.run(server.serve(sockets=[sock]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
