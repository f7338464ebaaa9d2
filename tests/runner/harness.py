# Runs one device test module inside MicroPython; driven by tests/runner/mpy.mjs.
# SPDX-License-Identifier: MIT
import sys

sys.path[:0] = [MODULE_DIR, "/hadir/lib", "/hadir"]  # noqa: F821 - set by the runner

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


_p, _f = await _run(MODULE)  # noqa: F704, F821 - top-level await: runPythonAsync
print("MODULE-RESULT", _p, _f)
