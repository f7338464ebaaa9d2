# Product code never imports a simulator: tools/sim is only ever imported by tests, bench, itself.
# SPDX-License-Identifier: MIT
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[3]
PRODUCT = ("boot.py", "main.py", "lib", "firmware", "sync", "tools")


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (node.module + "." + a.name for a in node.names)


def test_no_product_module_imports_a_simulator():
    files = []
    for rel in PRODUCT:
        path = ROOT / rel
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    product = [f for f in files if f.relative_to(ROOT).parts[:2] != ("tools", "sim")]
    assert ROOT / "tools" / "image.py" in product and len(product) > 50
    found = [(f.relative_to(ROOT).as_posix(), name) for f in product for name in _imports(f)
             if name == "tools.sim" or name.startswith("tools.sim.")]  # fmt: skip
    assert found == []
