# devsim: a device double for the technician tools: a simulated terminal on a pseudo-terminal.
# SPDX-License-Identifier: MIT
"""See ``double.py`` (REPL protocols on a pty) and ``runtime.py`` (the device's interpreter)."""

from tools.sim.device.double import DeviceDouble  # noqa: F401
from tools.sim.device.runtime import Config  # noqa: F401
