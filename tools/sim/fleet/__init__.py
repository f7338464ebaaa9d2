# fleet: the simulated deployment: a seeded world, run through real firmware and a real collector.
# SPDX-License-Identifier: MIT
"""``python -m tools.sim.fleet demo`` is the README demo; docs/fleet.md describes both halves.

The world (who lives where, who taps when, what misuse is planted; pure data, no firmware):

==================  ===========================================================================
``population``      the 2017 deployment: 23 rusun, 32 terminals, 13,731 residents, their cards
``names``           synthetic Indonesian names for them
``behaviour``       each resident's taps over N days (peaks, weekends, days away)
``cases``           planted misuse (sublet, lending, clones...) with its ground truth
``world``           ``build(seed, days)``: all of the above in one call, and the ideal records
``scoring``         precision and recall of a review queue against the ground truth
==================  ===========================================================================

The engine (the world's taps through real terminals and a real collector, in simulated time):

==================  ===========================================================================
``site``            what a terminal meets at its site: ``SimTime``, the network, NTP, HTTP,
                    the cards residents hold (the board itself is ``tools/sim/board``)
``device``          ``SimTerminal``: ``firmware.app.Terminal`` on the board double, the PN532
                    simulator and the NOR flash model, rebuilt at every boot
``faults``          the seeded fault plan: outages, power cuts, lost clocks, lock-up, small log
``live_collector``  the real collector: SQLite file, uvicorn process (``serve``), admin calls
``serve``           the collector app under uvicorn with the simulation's clock
``engine``          the event loop: taps, syncs, faults and enrolment on one timeline
``reconcile``       what the terminals answered against what the collector stored
``run``             one whole deployment: world, faults, collector, engine, reconcile, scores
``summary``         the printed report; ``__main__`` the ``demo`` and ``run`` commands
==================  ===========================================================================
"""

import pathlib
import sys

# Device code imports lib/ modules as top-level names, like on the terminal (tests/conftest.py).
ROOT = pathlib.Path(__file__).resolve().parents[3]
for _entry in (ROOT / "lib", ROOT):
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))
