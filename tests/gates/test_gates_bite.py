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
