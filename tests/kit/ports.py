# ports: a loopback TCP port nobody listens on, for the throwaway servers tests start.
# SPDX-License-Identifier: MIT
import socket


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 and took back: free unless another
    process takes it in between (each caller starts its server on it at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
