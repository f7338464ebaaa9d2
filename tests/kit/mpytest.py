# mpytest: the few test helpers device tests need, identical under MicroPython and pytest.
# SPDX-License-Identifier: MIT
import gc
import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"


class Skipped(Exception):
    pass


def skip(reason):
    """Skip the calling test (pytest reports it as skipped too)."""
    if not IS_MICROPYTHON:
        import pytest

        pytest.skip(reason)
    raise Skipped(reason)


class raises:  # noqa: N801 - used like pytest.raises
    """``with raises(ValueError): ...`` — fails unless the block raises that exception type."""

    def __init__(self, exc_type):
        self.exc_type = exc_type
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            raise AssertionError("did not raise " + self.exc_type.__name__)
        if not issubclass(exc_type, self.exc_type):
            return False
        self.value = exc
        return True


def allocated_bytes(fn):
    """Heap bytes ``fn()`` allocates, measured on MicroPython; None on CPython.

    GC is disabled while measuring so a collection cannot hide an allocation.
    """
    if not IS_MICROPYTHON:
        return None
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()  # pyright: ignore[reportAttributeAccessIssue]
        fn()
        return gc.mem_alloc() - before  # pyright: ignore[reportAttributeAccessIssue]
    finally:
        gc.enable()
