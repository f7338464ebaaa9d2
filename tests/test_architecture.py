# docs/architecture.md tells the truth: its tree names every folder, its picture is the real graph.
# SPDX-License-Identifier: MIT
import re

from tests.gates import layers
from tests.kit.paths import DOCS, ROOT

DOC = (DOCS / "architecture.md").read_text()
# The picture's node ids and the folders (tests/gates/layers.py) they stand for.
NODES = {"lib": "lib", "firmware": "firmware", "wire": "firmware.wire", "sync": "sync",
         "tools": "tools", "sim": "tools/sim", "cliframe": "cliframe"}  # fmt: skip
_SKIP = {".git", ".venv", ".stubs", "node_modules", "__pycache__", "build", "var"}


def _block(heading: str, kind: str = "") -> str:
    section = DOC.split(heading, 1)[1]
    return section.split("```" + kind + "\n", 1)[1].split("```", 1)[0]


def _tree_entries() -> set[str]:
    names = set()
    for line in _block("## The tree").splitlines():
        head = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        names.update(name.strip().rstrip("/") for name in head.split(","))
    return names


def _code_folders() -> set[str]:
    """Folders of the checkout holding code (.py, .mjs, .sh); tests/ mirrors the others."""
    found = set()
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if path.suffix in (".py", ".mjs", ".sh") and not (_SKIP & set(rel.parts)):
            if len(rel.parts) > 1 and not rel.parts[0].startswith("."):
                found.add(rel.parent.as_posix())
    mirrored = {f for f in found if f.startswith("tests/") and f[len("tests/") :] in found}
    return found - mirrored


def test_the_tree_names_every_code_folder_and_only_real_ones():
    entries = _tree_entries()
    missing = _code_folders() - entries
    assert not missing, f"docs/architecture.md's tree lacks {sorted(missing)}"
    for name in entries:
        assert (ROOT / name).exists(), f"docs/architecture.md's tree names {name}, not in the tree"


def test_the_picture_is_the_graph_of_the_product_and_simulators():
    drawn = set()
    for src, dst in re.findall(r"^\s*(\w+)(?:\[[^\]]*\])? --> (\w+)", _block("## Who", "mermaid"),
                               re.M):  # fmt: skip
        drawn.add((NODES[src], NODES[dst]))
    real = {
        (src, dst)
        for src, dst in layers.edges(ROOT)
        if src in NODES.values() and not (src == "firmware" and dst == "firmware.wire")
    }
    assert drawn == real, f"drawn, not real: {drawn - real}; real, not drawn: {real - drawn}"
