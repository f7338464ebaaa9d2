# test_fleetsim: the simulated deployment end to end (real firmware and collector), a small world.
# SPDX-License-Identifier: MIT
"""One small first world (32 terminals, 240 residents, 2 days, no confounders: the detection
figures with confounders are bench/detection.py's) run once for the module through the real
firmware (``firmware.app.Terminal`` on the PN532 simulator and ``NorFlash``), the real collector
(uvicorn process, SQLite) and every fault kind; then: every tap the terminals answered is
stored by the collector exactly once, by (terminal, seq) and by content."""

import pytest

from firmware import wire
from tools.sim.fleet.behaviour import Tap
from tools.sim.fleet.engine import Presented
from tools.sim.fleet.reconcile import reconcile
from tools.sim.fleet.run import Scale, simulate


@pytest.fixture(scope="module")
def fig():
    return simulate(
        Scale(seed=3, days=2, residents=240, power_cuts=9, small_blocks=5, sync_interval_s=3600,
              first_world=True)
    )  # fmt: skip


def test_every_generated_tap_is_stored_exactly_once(fig):
    r = fig["reconcile"]
    assert r["generated"] == fig["world"]["taps"] > 500
    assert r["outcomes"] == {"stored": r["generated"]}
    assert r["stored_tap_records"] == r["generated"]
    assert r["matched"] == r["generated"]
    assert (r["lost"], r["duplicates"], r["duplicate_seq"], r["late"]) == (0, 0, 0, 0)
    assert r["seq_gaps"] == 0 and r["collector_open_gaps"] == 0
    assert r["undated"] == 0
    assert fig["backlog_left"] == 0


def test_the_faults_happened(fig):
    terms = fig["terminals"].values()
    assert sum(t["power_cuts"] for t in terms) >= 6
    assert sum(t["torn"] for t in terms) >= 1  # a cut inside a flash write
    assert sum(t["boots"] for t in terms) > len(fig["terminals"])
    assert fig["sync_offline"] > 0  # rounds tried while the site was offline
    assert fig["reconcile"]["time_derived"] >= 1  # records dated from a later anchor
    health = {h["terminal_id"]: h for h in fig["health"]}
    assert any((h["reader_recoveries"] or 0) >= 1 for h in health.values())  # the lock-up
    small = [t for t in terms if t["blocks"] == 5]
    assert len(small) == 1


def test_detection_on_the_collectors_records(fig):
    o = fig["detection"]["overall"]
    assert o["recall"] >= 0.8 and o["precision"] >= 0.7


def _presented(terminal, card, t, outcome="stored"):
    return Presented(Tap(t, "Marunda", terminal, card, 1, "R1"), outcome, t * 1000)


def _record(terminal, seq, token, t, kind=wire.TAP):
    return {"terminal_id": terminal, "seq": seq, "kind": kind, "flags": 1, "payload": token,
            "wall_time": t, "time_derived": 0}  # fmt: skip


TOKENS = {"Marunda": {0x01020304: "04A1B2C3D4E5F6", 0x0A0B0C0D: "AABBCCDD"}}


def test_reconcile_counts_a_lost_a_duplicated_and_a_late_record():
    presented = [_presented(1, "04A1B2C3D4E5F6", 1000 + i * 60) for i in range(4)]
    presented.append(_presented(1, "AABBCCDD", 5000))
    stored = [_record(1, i, 0x01020304, 1000 + i * 60) for i in range(3)]  # the 4th is lost
    stored.append(_record(1, 3, 0x0A0B0C0D, 5000))
    stored.append(_record(1, 3, 0x0A0B0C0D, 5000))  # the same (terminal, seq) twice
    stored.append(_record(1, 5, 0x0A0B0C0D, 5100))  # one more than presented, 100 s late
    r = reconcile(presented, stored, TOKENS, {1: "Marunda"}, {1: [4]})
    assert r["lost"] == 1
    assert r["duplicates"] == 2
    assert r["duplicate_seq"] == 1
    assert r["seq_gaps"] == 0
    assert r["matched"] == 4


def test_reconcile_sees_a_sequence_gap_and_a_wrong_time():
    presented = [_presented(2, "04A1B2C3D4E5F6", 1000), _presented(2, "04A1B2C3D4E5F6", 2000)]
    stored = [_record(2, 0, 0x01020304, 1000), _record(2, 3, 0x01020304, 2500)]
    r = reconcile(presented, stored, TOKENS, {2: "Marunda"}, {2: [1]})
    assert r["seq_gaps"] == 1  # seq 2 is neither a record nor a seal
    assert r["matched"] == 1 and r["late"] == 1
    assert r["lost"] == 0 and r["duplicates"] == 0


async def test_a_full_log_refuses_openly_and_loses_nothing(tmp_path):
    """A 4-sector log offline fills: the terminal answers FULL ("Tidak tercatat") instead of
    beeping; once online every tap it answered as stored reaches the collector exactly once."""
    import httpx

    from tools.sim.fleet.device import SimTerminal
    from tools.sim.fleet.live_collector import RealCollector
    from tools.sim.fleet.population import generate
    from tools.sim.fleet.reconcile import token_of
    from tools.sim.fleet.site import Network, SimTime, sim_card

    now = SimTime(1486314000000)
    net = Network(now)
    col = RealCollector(str(tmp_path), now)
    try:
        col.start()
        col.register(generate(1, 2, 60), {"debounce_s": 3})
        b = col.bundles[1]
        cfg = {"terminal_id": 1, "rusun": b["rusun"], "door": 1, "wifi_ssid": "x",
               "collector_url": col.url, "debounce_s": 3}  # fmt: skip
        k0 = bytes.fromhex(b["k0"])
        sec = {"k0": b["k0"], "kc": wire.config_key(k0).hex(), "card_key": b["card_key"]}
        async with httpx.AsyncClient() as client:
            st = SimTerminal(1, b["rusun"], cfg, sec, now, net, client, str(tmp_path), blocks=4)
            st.boot()
            await st.sync()
            net.add_outage(b["rusun"], now.ms, now.ms + 10**12)
            presented, tokens = [], {}
            for i in range(1000):
                now.advance(60_000)
                uid = "04%012X" % (0xA00000000 + i)
                tokens[token_of(bytes.fromhex(b["card_key"]), bytes.fromhex(uid))] = uid
                out = st.present(sim_card(uid, 0))
                presented.append(Presented(Tap(now.ms // 1000, b["rusun"], 1, uid, 0, "v"), out,
                                           now.ms))  # fmt: skip
                if i % 20 == 0:
                    st.idle()
            outcomes = {p.outcome for p in presented}
            assert outcomes == {"stored", "refused"}
            assert st.health()["storage_per_mille"] >= 980
            net.forced_up = True
            for _ in range(5):
                now.advance(60_000)
                await st.sync()
            assert st.backlog == 0
        stored, seals = col.records()
        storage = [r for r in stored if r["kind"] == wire.STORAGE]
        assert {r["flags"] for r in storage} >= {wire.STORAGE_FULL}
        r = reconcile(presented, stored, {b["rusun"]: tokens}, {1: b["rusun"]}, seals)
        n_stored = sum(p.outcome == "stored" for p in presented)
        assert r["stored_tap_records"] == r["matched"] == n_stored > 800
        assert (r["lost"], r["duplicates"], r["duplicate_seq"], r["seq_gaps"]) == (0, 0, 0, 0)
    finally:
        col.stop()
