# The review's pause of the cyclic garbage collector: it always leaves the collector as it was.
# SPDX-License-Identifier: MIT
import gc

import pytest

from sync.service import quiet


@pytest.fixture
def gc_state():
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_inside_and_resumes_after(gc_state):
    gc.enable()
    with quiet.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_resumes_the_collector(gc_state):
    gc.enable()
    with pytest.raises(KeyError), quiet.paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused(gc_state):
    gc.disable()
    with quiet.paused():
        pass
    assert not gc.isenabled()
