# fleetsim: the simulated deployment: real firmware on simulated hardware, the real collector.
# SPDX-License-Identifier: MIT
"""Run the fleet world (tools/sim/fleet) through real terminals and a real collector; see
docs/fleet.md ("The simulated deployment"). ``python -m tools.sim.fleet demo`` is the README demo.
"""

import pathlib
import sys

# Device code imports lib/ modules as top-level names, like on the terminal (tests/conftest.py).
ROOT = pathlib.Path(__file__).resolve().parents[3]
for _entry in (ROOT / "lib", ROOT):
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))
