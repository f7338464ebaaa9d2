# build: the firmware file set a terminal receives, compiled with mpy-cross.
# SPDX-License-Identifier: MIT
"""``firmware_files(root)`` -> ``{device path: bytes}`` for ``boot.py``, ``main.py``, ``lib/`` and
``firmware/``. ``boot.py`` and ``main.py`` stay source (the ESP32 runs only those names); every
other module is compiled to ``.mpy`` (smaller, nothing to compile on the terminal). Host-only
helpers (``lib/compat_host.py``) never go on a terminal.
"""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
import tempfile

from tools.errors import HadirError
from tools.link import mpy_cross

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOP = ("boot.py", "main.py", "lib", "firmware")  # what deploy replaces; nothing else is code
HOST_ONLY = {"lib/compat_host.py"}


def sources(root: pathlib.Path = ROOT) -> list[str]:
    out = [name for name in ("boot.py", "main.py") if (root / name).is_file()]
    for top in ("lib", "firmware"):
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "__pycache__" not in path.parts and rel not in HOST_ONLY:
                out.append(rel)
    return out


def firmware_files(root: pathlib.Path = ROOT, compile_mpy: bool = True) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rel in sources(root):
            src = root / rel
            if not compile_mpy or rel in ("boot.py", "main.py"):
                files["/" + rel] = src.read_bytes()
                continue
            out = pathlib.Path(tmp) / "out.mpy"
            # -s sets the name tracebacks show: the device path, not the laptop's.
            result = subprocess.run([mpy_cross(), "-s", rel, "-o", str(out), str(src)],
                                    capture_output=True, text=True)  # fmt: skip
            if result.returncode:
                raise HadirError("kompilasi gagal", "compile failed", result.stderr.strip())
            files["/" + rel[: -len(".py")] + ".mpy"] = out.read_bytes()
    return files


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def version_of(files: dict[str, bytes]) -> str:
    """A short fingerprint of a firmware file set: the same files give the same version."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()[:12]
