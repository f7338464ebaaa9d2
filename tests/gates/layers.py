# layers: who may import whom, by folder, checked over every Python file of the tree.
# SPDX-License-Identifier: MIT
"""The import rules of docs/architecture.md, by folder (never by file, so moving a module keeps
them):

- ``lib/`` imports only ``lib/`` (and what MicroPython has: the ESP32 import gate checks that);
- ``boot.py``, ``main.py``, ``firmware/`` import ``lib/`` and ``firmware/``;
- ``cliframe/`` (how every command line fails: one line, the exit codes) imports only itself;
- ``sync/`` (the collector) imports ``sync/``, ``cliframe/`` and, of the terminal's code, only
  the wire format ``firmware.wire``; never the technician tools;
- ``tools/`` (the technician tools: everything but ``tools/sim`` and ``tools/dev``) imports
  ``tools/``, ``cliframe/``, ``firmware/`` and ``lib/``; never the collector, the simulators,
  tests or benchmarks;
- ``tools/sim/`` (simulators) may import any product code, never tests or benchmarks;
- ``tests/kit/`` may import product code, simulators and the kit;
- the rest of ``tests/`` also imports non-test modules of ``tests/`` (``tests.gates``), but no
  test module (``test_*``) and no ``conftest``, and never ``bench/``;
- ``bench/`` imports product code, simulators and ``tests/kit/``, nothing else of ``tests/``.

``check(root)`` returns one line per forbidden edge; ``edges(root)`` the folder-level graph that
docs/architecture.md draws.
"""

from __future__ import annotations

import ast
import pathlib

_SKIP = {".venv", ".stubs", "node_modules", "__pycache__", "build", "var", ".git"}
PRODUCT = {"lib", "firmware", "sync", "tools", "cliframe"}
ALLOWED = {
    "lib": {"lib"},
    "firmware": {"lib", "firmware", "firmware.wire"},
    "cliframe": {"cliframe"},
    "sync": {"sync", "firmware.wire", "cliframe"},
    "tools": {"tools", "firmware", "firmware.wire", "lib", "cliframe"},
    "tools/sim": PRODUCT | {"firmware.wire", "tools/sim"},
    "tools/dev": PRODUCT | {"firmware.wire", "tools/sim", "tools/dev", "tests/kit", "tests"},
    "tests/kit": PRODUCT | {"firmware.wire", "tools/sim", "tests/kit"},
    "tests": PRODUCT | {"firmware.wire", "tools/sim", "tests/kit", "tests"},
    "bench": PRODUCT | {"firmware.wire", "tools/sim", "tests/kit", "bench"},
}
# What each folder is called in the messages and the picture.
FOLDERS = ["lib", "firmware", "cliframe", "sync", "tools", "tools/sim", "tools/dev", "tests/kit",
           "tests", "bench"]  # fmt: skip


def python_files(root: pathlib.Path) -> list[pathlib.Path]:
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if not any(part in _SKIP or part.startswith(".") for part in rel.parts[:-1]):
            out.append(path)
    return out


def folder_of(rel: str) -> str | None:
    """The folder (a key of ALLOWED) a file of the tree belongs to, by its path."""
    if rel in ("boot.py", "main.py") or rel.startswith("firmware/"):
        return "firmware"
    for prefix in ("tools/sim/", "tools/dev/", "tests/kit/"):
        if rel.startswith(prefix):
            return prefix[:-1]
    top = rel.split("/")[0]
    return top if top in ALLOWED else None


def lib_modules(root: pathlib.Path) -> set[str]:
    """lib/ modules are imported by their bare name (``import pn532``), as on the terminal."""
    lib = root / "lib"
    if not lib.is_dir():
        return set()
    return {p.stem for p in lib.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}


def _module_path(root: pathlib.Path, dotted: str) -> str | None:
    """The tree path of a dotted module name of ours, or None when it is not in the tree."""
    base = root / dotted.replace(".", "/")
    if (base / "__init__.py").exists() or base.is_dir():
        return base.relative_to(root).as_posix() + "/__init__.py"
    if base.with_suffix(".py").exists():
        return base.relative_to(root).as_posix() + ".py"
    return None


def absolute_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of each absolute import: ``import a.b`` names ``a.b``, ``from a.b import
    c`` names ``a.b``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _imported(root: pathlib.Path, rel: str, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every module the file imports; ``from a import b`` names ``a.b``
    when that is a module of the tree."""
    package = rel.rsplit("/", 1)[0].replace("/", ".") if "/" in rel else ""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(p for p in parts + base.split(".") if p)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((node.lineno, full if _module_path(root, full) else base))
    return found


def target_of(root: pathlib.Path, dotted: str, libs: set[str]) -> tuple[str, str] | None:
    """(folder, tree path) of an imported module of ours; None for the standard library,
    MicroPython's modules and installed packages."""
    top = dotted.split(".")[0]
    if top in libs:
        return "lib", "lib/" + dotted.replace(".", "/")
    path = _module_path(root, dotted)
    if path is None and top in ("firmware", "sync", "tools", "cliframe", "tests", "bench"):
        path = dotted.replace(".", "/") + ".py"  # not (yet) in the tree: judge it by its name
    if path is None:
        return None
    if path in ("firmware/wire.py", "firmware/wire/__init__.py"):
        return "firmware.wire", path
    folder = folder_of(path)
    return (folder, path) if folder else None


def _is_test_module(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].removesuffix(".py")
    return name.startswith("test_") or name == "conftest"


def _scan(root: pathlib.Path):
    libs = lib_modules(root)
    for path in python_files(root):
        rel = path.relative_to(root).as_posix()
        source = folder_of(rel)
        if source is None:
            continue
        try:
            tree = ast.parse(path.read_text(), rel)
        except SyntaxError as exc:
            yield rel, exc.lineno or 0, source, None, "(does not parse)"
            continue
        for line, dotted in _imported(root, rel, tree):
            target = target_of(root, dotted, libs)
            if target is not None:
                yield rel, line, source, target, dotted


def check(root: pathlib.Path) -> list[str]:
    problems = []
    for rel, line, source, target, dotted in _scan(root):
        if target is None:
            problems.append(f"{rel}:{line}: {dotted}")
            continue
        folder, path = target
        if path.startswith("tests/") and _is_test_module(path):
            problems.append(f"{rel}:{line}: imports {dotted}, a test module or conftest "
                            "(what tests share lives in tests/kit/)")  # fmt: skip
        elif folder not in ALLOWED[source]:
            problems.append(f"{rel}:{line}: {source}/ must not import {folder}/ ({dotted})")
    return problems


def edges(root: pathlib.Path) -> set[tuple[str, str]]:
    """Folder-level import edges (source, target) that the tree has, self-edges left out."""
    found = set()
    for _rel, _line, source, target, _dotted in _scan(root):
        if target is not None and target[0] != source:
            found.add((source, target[0]))
    return found
