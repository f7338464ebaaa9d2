# Each static gate must catch a deliberately wrong device snippet; a gate that passes it is broken.
# SPDX-License-Identifier: MIT
import pathlib

import pytest

from tests.gates import checks


def device_tree(tmp_path: pathlib.Path, source: str) -> pathlib.Path:
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware" / "__init__.py").write_text("")
    (tmp_path / "firmware" / "snippet.py").write_text(source)
    return tmp_path


GOOD = "import time\n\nstart = time.ticks_ms()\nprint(time.ticks_diff(time.ticks_ms(), start))\n"


@pytest.mark.parametrize(
    "gate", [checks.check_imports, checks.check_mpy_cross, checks.check_pyright]
)
def test_gate_accepts_correct_device_code(tmp_path, gate):
    assert gate(device_tree(tmp_path, GOOD)) == []


def test_import_gate_catches_cpython_only_module(tmp_path):
    problems = checks.check_imports(device_tree(tmp_path, "import dataclasses\n"))
    assert any("'dataclasses'" in p for p in problems)


def test_import_gate_catches_from_import_of_cpython_module(tmp_path):
    problems = checks.check_imports(device_tree(tmp_path, "from typing import List\n"))
    assert any("'typing'" in p for p in problems)


def test_pyright_gate_catches_cpython_only_call(tmp_path):
    problems = checks.check_pyright(device_tree(tmp_path, "import time\nt = time.monotonic()\n"))
    assert any("monotonic" in p for p in problems)


def test_pyright_gate_catches_wrong_machine_api(tmp_path):
    source = "from machine import UART\nu = UART(1)\nu.send(b'x')\n"
    problems = checks.check_pyright(device_tree(tmp_path, source))
    assert any("send" in p for p in problems)


@pytest.mark.parametrize(
    "source",
    [
        "def f[T](x: T) -> T:\n    return x\n",  # PEP 695 generics
        "type Alias = int\n",  # type statement
        "match 1:\n    case 1:\n        pass\n",  # structural pattern matching
    ],
)
def test_mpy_cross_gate_catches_syntax_micropython_rejects(tmp_path, source):
    assert checks.check_mpy_cross(device_tree(tmp_path, source))


def test_ruff_gate_catches_undefined_name(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\n")
    (tmp_path / "bad.py").write_text("print(undefined_name)\n")
    assert checks.check_ruff(tmp_path)


def write_tree(root: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def tree_with(tmp_path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    """A small tree shaped like ours: lib/pn532, firmware/wire and app, sync, tools, tests/kit."""
    base = {
        "lib/pn532/__init__.py": "",
        "lib/compat.py": "",
        "firmware/__init__.py": "",
        "firmware/wire.py": "",
        "firmware/app.py": "import pn532\nfrom firmware import wire\n",
        "sync/__init__.py": "",
        "sync/app.py": "from firmware import wire\n",
        "tools/__init__.py": "",
        "tools/cli.py": "from firmware import wire\nimport pn532\n",
        "tools/sim/__init__.py": "",
        "tools/sim/flash.py": "import sync.app\nfrom tools import cli\n",
        "tests/__init__.py": "",
        "tests/conftest.py": "",
        "tests/kit/__init__.py": "",
        "tests/kit/seed.py": "from sync import app\nfrom tools.sim import flash\n",
        "tests/sync/__init__.py": "",
        "tests/sync/conftest.py": "K = 1\n",
        "tests/sync/test_b.py": "",
        "tests/gates/__init__.py": "",
        "tests/gates/checks.py": "",
        "tests/sync/test_a.py": "from tests.kit import seed\nfrom tests.gates import checks\n",
        "bench/__init__.py": "",
        "bench/fleet.py": "from tests.kit.seed import x\nfrom tools.sim import flash\n",
    }
    return write_tree(tmp_path, {**base, **files})


def test_layers_gate_accepts_the_allowed_edges(tmp_path):
    assert checks.check_layers(tree_with(tmp_path, {})) == []


@pytest.mark.parametrize(
    "rel, source, expect",
    [
        ("lib/compat.py", "from firmware import wire\n", "lib/ must not import firmware"),
        ("firmware/app.py", "import sync.app\n", "firmware/ must not import sync/"),
        ("sync/app.py", "from firmware import app\n", "sync/ must not import firmware/"),
        ("sync/app.py", "from ..tools import cli\n", "sync/ must not import tools/"),
        ("tools/cli.py", "from tools.sim import flash\n", "tools/ must not import tools/sim/"),
        ("tools/cli.py", "from sync.app import create_app\n", "tools/ must not import sync/"),
        ("tools/cli.py", "from tests.kit import seed\n", "tools/ must not import tests/kit/"),
        ("tools/sim/flash.py", "import bench.fleet\n", "tools/sim/ must not import bench/"),
        ("tests/sync/test_a.py", "from tests.sync.test_b import x\n", "a test module"),
        ("tests/sync/test_a.py", "from tests.sync.conftest import K\n", "a test module"),
        ("tests/kit/seed.py", "from tests.conftest import ROOT\n", "a test module"),
        ("tests/sync/test_a.py", "from bench import fleet\n", "tests/ must not import bench/"),
        ("bench/fleet.py", "from tests.gates import checks\n", "bench/ must not import tests/"),
    ],
)
def test_layers_gate_catches_a_forbidden_edge(tmp_path, rel, source, expect):
    problems = checks.check_layers(tree_with(tmp_path, {rel: source}))
    assert any(p.startswith(rel + ":1: ") and expect in p for p in problems), problems


def requirements_tree(tmp_path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    """A tree with a collector importing fastapi, tools importing rich, and their locks."""
    base = {
        "requirements/collector.in": "fastapi\n",
        "requirements/tools.in": "rich\n",
        "requirements/dev.in": "-r collector.in\n-r tools.in\npytest\nplaywright\n",
        "requirements/collector.txt": "fastapi==0.165.0\nstarlette==1.10.0\n",
        "requirements/tools.txt": "rich==15.0.0\n",
        "requirements/dev.txt": "fastapi==0.165.0\nstarlette==1.10.0\nrich==15.0.0\n"
        "pytest==9.2.0\nplaywright==1.65.2\n",
        "sync/__init__.py": "",
        "sync/app.py": "import fastapi\nfrom firmware import wire\n",
        "tools/__init__.py": "",
        "tools/ui.py": "from rich.console import Console\n",
        "tools/device/__init__.py": "",
        "tools/device/health.py": "import esp32\n",  # device code: not installed by pip
        "tools/sim/__init__.py": "",
        "tools/sim/fleet.py": "import httpx\n",  # simulators: the dev set
    }
    return write_tree(tmp_path, {**base, **files})


def test_deps_gate_accepts_locks_that_match_the_code(tmp_path):
    assert checks.check_deps(requirements_tree(tmp_path, {})) == []


@pytest.mark.parametrize(
    "files, expect",
    [
        ({"requirements/collector.txt": "fastapi==0.165.0\nplaywright==1.65.2\n"},
         "requirements/collector.txt: playwright is not for a collector"),
        ({"requirements/collector.txt": "fastapi==0.164.0\nstarlette==1.10.0\n"},
         "requirements/collector.txt: fastapi==0.164.0 but dev.txt has 0.165.0"),
        ({"sync/review.py": "import schemathesis\n"},
         "sync/review.py:1: imports schemathesis (schemathesis), not in requirements/collector"),
        ({"tools/cli.py": "import fastapi\n"},
         "tools/cli.py:1: imports fastapi (fastapi), not in requirements/tools.txt"),
        ({"sync/review.py": "import no_such_module_anywhere\n"},
         "imports no_such_module_anywhere, which no installed package provides"),
    ],
)  # fmt: skip
def test_deps_gate_catches_a_lock_that_does_not_fit(tmp_path, files, expect):
    problems = checks.check_deps(requirements_tree(tmp_path, files))
    assert any(expect in p for p in problems), problems


def test_frozen_ints_gate_catches_a_long_int_in_a_constant_tuple(tmp_path):
    source = ("from micropython import const\n\n_ADDR = const(0x6302)\n"
              "_PAIRS = (_ADDR, 0x00, 0x6303, 0x00)\n")  # fmt: skip
    problems = checks.check_frozen_ints(device_tree(tmp_path, source))
    assert len(problems) == 1 and "0x6302, 0x6303" in problems[0], problems
    fine = ("_TRIPLES = b'\\x63\\x02\\x00'\n_LIST = [0x6302]\n_SMALL = (5, -8192, 8191)\n"
            "_WIDE = 0x3FFFFFFF\n")  # fmt: skip
    (tmp_path / "ok").mkdir()
    assert checks.check_frozen_ints(device_tree(tmp_path / "ok", fine)) == []
