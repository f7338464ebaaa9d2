# deps: Python dependencies by role: each lock holds what its code imports, and no more roles.
# SPDX-License-Identifier: MIT
"""``requirements/`` has one ``.in`` (what we ask for) and one ``.txt`` lock per role:
``collector`` (``sync/``, a server), ``tools`` (``tools/`` but its simulators, developer scripts
and device snippets: a technician's laptop) and ``dev`` (both, plus tests, gates, benchmarks).
``check(root)`` reports:

- a role's lock pinning a package at another version than ``dev.txt`` (what the tests ran);
- the collector's lock holding a package that only ``dev.in`` or ``tools.in`` asks for
  (Playwright, schemathesis, the Adafruit driver...);
- a third-party module imported by a role's code that no package of its lock provides (modules
  are mapped to packages through the installed distributions' metadata).
"""

from __future__ import annotations

import ast
import importlib.metadata
import pathlib
import re
import sys

from tests.gates import layers

FIRST_PARTY = {"firmware", "sync", "tools", "cliframe", "tests", "bench", "__future__"}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock(path: pathlib.Path) -> dict[str, str]:
    """{package: version} of a lock file (``name==version`` lines)."""
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)", line)
        if m:
            pins[normal(m.group(1))] = m.group(2)
    return pins


def asked(path: pathlib.Path) -> set[str]:
    """The packages an ``.in`` file names itself (not through ``-r`` or ``-c``)."""
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(normal(re.split(r"[\[<>=!~;\s]", line, maxsplit=1)[0]))
    return names


def role_files(root: pathlib.Path, role: str) -> list[pathlib.Path]:
    out = []
    for path in layers.python_files(root):
        rel = path.relative_to(root).as_posix()
        folder = layers.folder_of(rel)
        if role == "collector" and folder in ("sync", "cliframe"):  # cliframe: in both roles
            out.append(path)
        elif (
            role == "tools"
            and folder in ("tools", "cliframe")
            and not rel.startswith("tools/device/")
        ):
            out.append(path)
    return out


def third_party(root: pathlib.Path, files: list[pathlib.Path]) -> dict[str, str]:
    """{top-level module: first place it is imported} for modules that are not ours, nor in
    the standard library."""
    ours = FIRST_PARTY | layers.lib_modules(root)
    found: dict[str, str] = {}
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        for line, name in layers.absolute_imports(tree):
            top = name.split(".")[0]
            if top not in ours and top not in sys.stdlib_module_names:
                found.setdefault(top, f"{path.relative_to(root).as_posix()}:{line}")
    return found


def check(root: pathlib.Path) -> list[str]:
    req = root / "requirements"
    locks = {role: lock(req / f"{role}.txt") for role in ("collector", "tools", "dev")}
    problems = []
    for role in ("collector", "tools"):
        for name, version in sorted(locks[role].items()):
            if locks["dev"].get(name) != version:
                problems.append(f"requirements/{role}.txt: {name}=={version} but dev.txt has "
                                f"{locks['dev'].get(name)} (make lock)")  # fmt: skip
    not_collector = (asked(req / "dev.in") | asked(req / "tools.in")) - asked(req / "collector.in")
    for name in sorted(not_collector & set(locks["collector"])):
        problems.append(f"requirements/collector.txt: {name} is not for a collector "
                        "(dev.in or tools.in asks for it)")  # fmt: skip
    providers = importlib.metadata.packages_distributions()
    for role in ("collector", "tools"):
        for module, where in sorted(third_party(root, role_files(root, role)).items()):
            packages = {normal(d) for d in providers.get(module, [])}
            if not packages:
                problems.append(f"{where}: imports {module}, which no installed package provides")
            elif not packages & set(locks[role]):
                problems.append(f"{where}: imports {module} ({', '.join(sorted(packages))}), "
                                f"not in requirements/{role}.txt")  # fmt: skip
    return problems
