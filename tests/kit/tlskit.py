# tlskit: the fixed test PKI of tests/kit/tls/ for device tests: CA text, server contexts.
# SPDX-License-Identifier: MIT
"""Runs on CPython and MicroPython (the files were made by ``tests/kit/tlsfiles.py``, which
lists what each one is). ``text(name)``: a file as text; ``server(name)``: a server-side
``SSLContext`` with ``name.pem`` and ``name.key``; ``has_tls()``: False on the WebAssembly port
(no ``ssl``, no sockets)."""


def _dir():
    here = __file__
    return here[: here.rfind("/")] + "/tls/"


def text(name):
    with open(_dir() + name) as f:
        return f.read()


def has_tls():
    try:
        import socket  # noqa: F401
        import ssl  # noqa: F401
    except ImportError:
        return False
    return True


def server(name):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(_dir() + name + ".pem", _dir() + name + ".key")
    return ctx
