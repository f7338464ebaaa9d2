# Shared seeded fleet worlds for the tools tests: built once per session, they take seconds each.
# SPDX-License-Identifier: MIT
import pytest

from tools.sim.fleet.world import build


@pytest.fixture(scope="session")
def world1():
    return build(seed=1, days=7)


@pytest.fixture(scope="session")
def world2():
    return build(seed=2, days=7)
