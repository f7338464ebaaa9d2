# liveserver: run an ASGI app on uvicorn in a thread, on 127.0.0.1 and a free port.
# SPDX-License-Identifier: MIT
"""with serve(app) as base_url: ...   # stopped (and joined) when the block ends"""

import contextlib
import threading
import time

import uvicorn


@contextlib.contextmanager
def serve(app, workers_hint: int = 64):
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            limit_concurrency=workers_hint * 4, lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
