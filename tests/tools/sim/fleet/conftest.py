# Shared seeded fleet worlds for the tools tests: built once per session, they take seconds each.
# SPDX-License-Identifier: MIT
import pytest

from tools.sim.fleet.cases import FIRST_COUNTS
from tools.sim.fleet.confounders import Confounders
from tools.sim.fleet.world import build


@pytest.fixture(scope="session")
def world1():
    """A week of the honest world: every confounder on, every planted kind."""
    return build(seed=1, days=7)


@pytest.fixture(scope="session")
def world2():
    return build(seed=2, days=7)


@pytest.fixture(scope="session")
def clean1():
    """A week of the first world: no confounder, no handed-over card."""
    return build(seed=1, days=7, counts=FIRST_COUNTS, conf=Confounders.none())


@pytest.fixture(scope="session")
def clean2():
    return build(seed=2, days=7, counts=FIRST_COUNTS, conf=Confounders.none())
