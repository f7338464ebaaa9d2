# A collector that dies between the database commit and the reply (for the retry test).
# SPDX-License-Identifier: MIT
"""python -m tests.kit.crashing_server DB PORT_FILE [--crash]: serves on a free port, writes the
port to PORT_FILE; with --crash the process exits right after the first batch commits."""

import os
import socket
import sys

import uvicorn

from sync.app import create_app
from sync.settings import Settings


def main() -> None:
    db, port_file = sys.argv[1], sys.argv[2]
    crash = "--crash" in sys.argv
    settings = Settings(db=db, master_key=bytes(range(32)),
                        after_commit=(lambda: os._exit(9)) if crash else None)  # fmt: skip
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    os.replace(port_file + ".tmp", port_file)
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
