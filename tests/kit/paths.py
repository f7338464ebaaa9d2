# paths: where the checkout is, for tests and benchmarks that run a program from its root.
# SPDX-License-Identifier: MIT
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
