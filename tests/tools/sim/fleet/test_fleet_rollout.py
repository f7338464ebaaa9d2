# The wave rollout of a signed release on the simulated fleet, at small size (bench/ota.py runs
# the 32 terminals): two terminals lose power in the middle of their swap.
# SPDX-License-Identifier: MIT
from tools.sim.fleet.rollout import run_rollout


def test_a_wave_rollout_with_two_power_cuts_mid_swap_leaves_no_terminal_bricked_and_no_tap_lost(
    tmp_path,
):
    fig = run_rollout(str(tmp_path), terminals=6, rusun=4, cut=(0, 5), lms_type=5)
    assert fig["power_cuts_mid_swap"] == 2  # a canary and one of the second wave
    assert fig["bricked"] == 0
    assert fig["installed"] + fig["rolled_back"] == 6
    assert fig["on_new"] + fig["on_old"] == 6 and fig["on_new"] == fig["installed"]
    assert fig["taps"] > 0 and fig["lost_taps"] == 0
    assert fig["rollout_s"] is not None
    # one module changed: its chunks and the manifest cross the wire, not the whole release
    assert 0 < fig["update_bytes"] < fig["release_bytes"] // 2
