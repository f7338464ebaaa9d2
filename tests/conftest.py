# pytest wiring: device modules import like on the terminal (lib/ and the tree root on sys.path),
# and `async def` tests run on a fresh asyncio loop, as the MicroPython runner runs them.
import asyncio
import inspect
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
for entry in (ROOT / "lib", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))


# The board suite (tests/board: the emulated ESP32, minutes of it) runs under `make test` (CI
# size) and `make board-test`, which set HADIR_BOARD=1; a plain `pytest` leaves it out.
collect_ignore = [] if os.environ.get("HADIR_BOARD") else ["board"]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**kwargs))
        return True
    return None
