# device: a device double for the technician tools: a simulated terminal on a pseudo-terminal.
# SPDX-License-Identifier: MIT
"""See ``double.py`` (REPL protocols on a pty) and ``runtime.py`` (the device's interpreter, whose
``machine``, ``network`` and ``esp32`` modules are shims over the board double ``tools/sim/board``,
the PN532 simulator ``tools/sim/pn532`` and the NOR flash model ``tools/sim/flash``)."""

import pathlib
import sys

# The board and PN532 simulator cores import lib/'s compat as a top-level module, as on a device.
_LIB = str(pathlib.Path(__file__).resolve().parents[3] / "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

from tools.sim.device.double import DeviceDouble  # noqa: E402, F401
from tools.sim.device.runtime import Config  # noqa: E402, F401
