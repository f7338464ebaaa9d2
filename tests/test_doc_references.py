# Docs and comments point inside the repository: no outside notes, issue numbers or rule numbers.
# SPDX-License-Identifier: MIT
"""What such a reference pointed at is written down in docs/ (development.md: how we write code
and the MicroPython facts the code relies on; fleet.md: the deployment; each part's API in its
own document)."""

import re

from tests.kit.paths import ROOT

OUTSIDE = [
    r"\.\./shared/",  # the team's notes beside the checkout
    r"/work/",  # a path of the machine the code was written on
    r"\bcontracts?(\.md| §)",
    r"\bSTYLE(\.md| rule)",
    r"\b(SCENARIO|MICROPYTHON)\.md",
    r"\b[Rr]ule \d+\b",
    r"\b[Ii]ssues? #?\d+",  # our tracker's numbers (upstream ones are written owner/repo#N)
    r"\b[Tt]ask #?\d+\b",
    r"\bthe (project )?brief\b",
]
TEXT = {".md", ".py", ".mjs", ".sh", ".toml", ".in", ".html", ".css", ".js"}
_SKIP = {".git", ".venv", ".stubs", "node_modules", "__pycache__", "build", "var", "vendor"}


def _files():
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if _SKIP & set(rel.parts) or not path.is_file():
            continue
        if path.suffix in TEXT or rel.as_posix() in ("Makefile", ".ci/run"):
            yield rel.as_posix(), path.read_text(encoding="utf-8")


def test_no_reference_to_documents_outside_the_repository():
    pattern = re.compile("|".join(OUTSIDE))
    found = [
        f"{rel}:{n}: {line.strip()}"
        for rel, text in _files()
        if rel != "tests/test_doc_references.py"
        for n, line in enumerate(text.splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_check_sees_each_kind_of_reference():
    pattern = re.compile("|".join(OUTSIDE))
    cases = ["see ../shared/SCENARIO.md", "(contracts §3)", "(STYLE rule 11)", "issue 9",
             "/work/contracts.md", "rule 7: events", "the brief's name", "task 4"]  # fmt: skip
    for line in cases:
        assert pattern.search(line), line
    assert not pattern.search("micropython/micropython#8940, UM0701-02 §7.3.5")
