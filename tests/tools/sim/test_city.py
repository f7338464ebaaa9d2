# The city load generator: its signed batches are stored exactly once, its phases continue chains.
# SPDX-License-Identifier: MIT
import pytest

from sync.store import records
from tests.kit.liveserver import MASTER_KEY, Collector
from tools.sim import city


def test_steady_then_backlog_are_stored_whole_and_once(tmp_path):
    db = str(tmp_path / "city.db")
    fleet = city.provision(db, MASTER_KEY, terminals=6, sites=3, tokens=20)
    path = str(tmp_path / "fleet.json")
    city.save_fleet(path, fleet)
    fleet = city.load_fleet(path)  # a phase may run as its own command
    with Collector(db=db) as c:
        steady = city.steady(c.url, fleet[:3], seconds=1.5, sync_s=0.5, records=27,
                             concurrency=4)  # fmt: skip
        city.save_fleet(path, fleet)
        fleet = city.load_fleet(path)
        drain = city.backlog(c.url, fleet[3:], records=5000, span_s=86400, concurrency=4)
        with c.collector.db.read() as tx:
            stored = records.count_records(tx)
            held = sum(records.held(tx, t.tid) for t in fleet)
    assert steady["failed"] == drain["failed"] == 0
    assert steady["rounds"] >= 3 and drain["rounds"] == 3 * 2  # 5,000 records: two batches
    assert held == 0  # dated in the past, in order: every record counts in reports
    # every slot acknowledged; boots and clocks are records too, seals are not
    assert drain["acked_slots"] == drain["expected_slots"] == sum(t.next_seq for t in fleet[3:])
    seals = sum(t.epoch for t in fleet)
    assert stored == sum(t.next_seq for t in fleet) - seals
    assert stored == steady["records"] + drain["records"] - seals


def test_it_plays_only_against_loopback():
    with pytest.raises(SystemExit, match="loopback"):
        city.steady("http://10.0.0.1:8000", [], seconds=1, sync_s=1, records=1)
