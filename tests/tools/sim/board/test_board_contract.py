# The hw contract, written once in docs/terminal.md: the real builder and the board double meet it.
# SPDX-License-Identifier: MIT
"""The table "The hw contract" of docs/terminal.md is read here, so a part or a call added there
and missing from ``firmware/hardware.py`` (what a terminal builds) or from ``tools/sim/board``
(its double), or the other way round, fails. firmware/hardware.py cannot be imported on CPython
(it imports ``machine``): it is read with ``ast``, and its ``esp32.Partition`` from the ESP32
stubs it is type-checked against."""

import ast
import inspect
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[4]
_CALL = re.compile(r"`(await )?(\w+)\(")


def contract():
    """{part: [(call, is_async), ...]} from the table under "### The hw contract"."""
    text = (ROOT / "docs" / "terminal.md").read_text()
    section = text.split("### The hw contract", 1)[1].split("\n#", 1)[0]
    parts = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        calls = [(m.group(2), bool(m.group(1))) for m in _CALL.finditer(cells[2])]
        parts[cells[0].strip("`")] = calls
    return parts


def test_the_contract_table_is_there():
    parts = contract()
    assert set(parts) == {"reader", "led", "buzzer", "display", "rtc", "wifi", "http", "ntp",
                          "flash", "state_dir", "clock", "watchdog", "root",
                          "reset"}  # fmt: skip
    assert ("post", True) in parts["http"] and ("set_wall", False) in parts["clock"]


def _meets(obj, calls, where):
    for name, is_async in calls:
        fn = getattr(obj, name, None)
        assert callable(fn), f"{where}: no {name}()"
        assert inspect.iscoroutinefunction(fn) == is_async, f"{where}: {name}() async is wrong"


def test_the_board_double_meets_the_contract(tmp_path):
    import pn532
    from tests.kit.paperco import PaperCollector
    from tools.sim import board
    from tools.sim.flash import NorFlash
    from tools.sim.fleet.site import Network, SimHttp, SimNtp, SimTime
    from tools.sim.pn532 import scenario
    from tools.sim.pn532.transport import UART

    now = SimTime(0)
    hw = board.Hw(
        reader=pn532.PN532UART(UART(scenario.build({}))),
        flash=NorFlash(blocks=4),
        state_dir=str(tmp_path),
        http=PaperCollector(7, bytes(32)),
        display=board.Display(),
        rtc=board.Rtc(),
        ntp=SimNtp(now, Network(now), "x"),
    )
    parts = contract()
    for part, calls in parts.items():
        assert hasattr(hw, part), part
        if part == "reset":  # optional: None unless a simulation gives one (docs/terminal.md)
            assert hw.reset is None
            continue
        _meets(getattr(hw, part), calls, "board.Hw." + part)
    _meets(SimHttp(Network(now), "x", None), parts["http"], "fleet SimHttp")  # type: ignore[arg-type]
    assert hw.root == "" and isinstance(hw.state_dir, str)
    assert board.Hw(hw.reader, hw.flash, "", hw.http).display is None  # not fitted: None


def _classes(tree):
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def _methods(cls):
    return {n.name: isinstance(n, ast.AsyncFunctionDef) for n in cls.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}  # fmt: skip


def _real_parts():
    """{part: (file, class)} of what ``build()`` in firmware/hardware.py hands to ``Hw``."""
    path = ROOT / "firmware" / "hardware.py"
    tree = ast.parse(path.read_text())
    build = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build")
    imported = {}  # name -> file, from the imports build() and the module make
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            base = ROOT / ("lib" if "." not in node.module and node.module != "firmware" else "")
            file = base / (node.module.replace(".", "/") + ".py")
            for alias in node.names:
                imported[alias.asname or alias.name] = file
    assigned = {}  # local name -> the call that made it
    for node in ast.walk(build):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = node.value
    call = next(n for n in ast.walk(build) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name) and n.func.id == "Hw")  # fmt: skip
    parts = {}
    for kw in call.keywords:
        value = kw.value
        if isinstance(value, ast.Name) and value.id in assigned:
            value = assigned[value.id]
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            name = value.func.id
            parts[kw.arg] = (imported.get(name, path), name)
        else:
            parts[kw.arg] = None  # the reader (the driver), the partition, the state folder
    return tree, parts


def test_the_real_builder_meets_the_contract():
    tree, parts = _real_parts()
    hw_init = _classes(tree)["Hw"].body[-1]
    assert isinstance(hw_init, ast.FunctionDef) and hw_init.name == "__init__"
    set_in_init = {t.attr for n in ast.walk(hw_init) if isinstance(n, ast.Assign)
                   for t in n.targets if isinstance(t, ast.Attribute)}  # fmt: skip
    table = contract()
    assert set(table) == set_in_init  # Hw carries exactly the contract's parts
    # build() gives all but root ("" on the device) and reset (Hw takes machine.reset itself)
    assert set(parts) == set_in_init - {"root", "reset"}
    checked = 0
    for part, found in parts.items():
        if found is None:
            continue
        file, name = found
        methods = _methods(_classes(ast.parse(file.read_text()))[name])
        for call, is_async in table[part]:
            assert call in methods, f"{file.name}: {name} has no {call}()"
            assert methods[call] == is_async, f"{file.name}: {name}.{call}() async is wrong"
        checked += 1
    assert checked == 9  # led buzzer display rtc wifi http ntp clock watchdog


def test_the_flash_part_is_the_esp32_partition_the_nor_model_stands_for():
    stubs = ROOT / ".stubs" / "esp32.pyi"
    if not stubs.exists():
        pytest.fail("ESP32 stubs missing: run `make setup`")
    from tools.sim.flash import NorFlash

    partition = _classes(ast.parse(stubs.read_text()))["Partition"]
    for call, _ in contract()["flash"]:
        assert call in _methods(partition)
        assert callable(getattr(NorFlash(blocks=1), call))
