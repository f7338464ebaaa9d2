# Runs one device test module inside MicroPython; driven by tests/runner/mpy.mjs and unix.py.
# SPDX-License-Identifier: MIT
"""WebAssembly port: the runner sets MODULE, MODULE_DIR, TREE and SHOW_BANNER as globals, runs this
file and then ``await main()`` (the port has no ``asyncio.run``). Unix port: run as a script, the
same names come from the environment (``HADIR_MODULE`` ...), and the host folder ``HADIR_ROOT``
becomes the root of the file system (as the WebAssembly port's is its own): a test that writes
``/zz_boot.py`` or ``/tmp/x`` writes there, never into the host's root."""

import sys

if sys.platform != "webassembly":
    import os

    import vfs

    MODULE = os.getenv("HADIR_MODULE")
    MODULE_DIR = os.getenv("HADIR_MODULE_DIR")
    TREE = os.getenv("HADIR_TREE")
    SHOW_BANNER = os.getenv("HADIR_BANNER") == "1"
    vfs.umount("/")
    vfs.mount(vfs.VfsPosix(os.getenv("HADIR_ROOT")), "/")

sys.path[:0] = [MODULE_DIR, TREE + "/lib", TREE]  # noqa: F821 - set by the runner

if SHOW_BANNER:  # noqa: F821 - set by the runner
    print("MicroPython banner:", sys.implementation, sys.version)

from tests.kit import mpytest  # noqa: E402


async def _run(name):
    passed = failed = 0
    try:
        module = __import__(name)
    except Exception as exc:  # an import error fails the whole module, loudly
        print("FAIL", name, "(import)")
        sys.print_exception(exc)
        return 0, 1
    for attr in sorted(dir(module)):
        test = getattr(module, attr)
        if not attr.startswith("test_") or not callable(test):
            continue
        try:
            result = test()
            if hasattr(result, "send"):  # a coroutine: the test is async
                await result
        except mpytest.Skipped as why:
            print("SKIP", name, attr, why)
            continue
        except Exception as exc:
            failed += 1
            print("FAIL", name, attr)
            sys.print_exception(exc)
            continue
        passed += 1
        print("PASS", name, attr)
    return passed, failed


async def main():
    p, f = await _run(MODULE)  # noqa: F821 - set by the runner
    print("MODULE-RESULT", p, f)


if sys.platform != "webassembly":
    import asyncio

    asyncio.run(main())
