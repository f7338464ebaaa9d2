# paths: where the checkout is, for tests and benchmarks that run a program from its root.
# SPDX-License-Identifier: MIT
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def shared(name: str) -> pathlib.Path | None:
    """The folder ``name`` of the machine's shared tools (the MicroPython unix port, the emulated
    ESP32), or None: under ``$HADIR_SHARED``, else in the folder ``shared`` beside the checkout,
    else beside the main checkout when this one is a git worktree of it."""
    env = os.environ.get("HADIR_SHARED")
    bases = [pathlib.Path(env)] if env else [ROOT.parent / "shared"]
    if not env:
        try:
            common = subprocess.run(
                ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                cwd=ROOT, capture_output=True, text=True, check=True, timeout=10,
            ).stdout.strip()  # fmt: skip
            bases.append(pathlib.Path(common).parent.parent / "shared")
        except (OSError, subprocess.SubprocessError):
            pass
    for base in bases:
        if (base / name).is_dir():
            return base / name
    return None
