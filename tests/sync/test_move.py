# `python -m sync migrate-to-postgres`: a SQLite collector moves to PostgreSQL whole, and goes on.
# SPDX-License-Identifier: MIT
import subprocess
import sys

import pytest

from sync.app import open_collector
from sync.service import admin, ingest, reports
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import move
from tests.kit import prereq
from tests.kit.collector_calls import day_of_taps, register
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT


@pytest.fixture
def pg_url(pg):
    if pg is None:
        prereq.missing("PostgreSQL's server (initdb, pg_ctl)", "postgresql")
    return pg.new_schema()


def _dump(c) -> dict[str, list]:
    """Every table's rows, sorted (bytes as bytes on both sides)."""
    out = {}
    with c.db.read() as tx:
        for name in move.tables():
            rows = tx.all(f"SELECT * FROM {name}")
            out[name] = sorted(
                (tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows),
                key=repr,
            )
    return out


def test_a_sqlite_collector_moves_to_postgres_and_goes_on(tmp_path, pg_url, clock):
    path = str(tmp_path / "office.db")
    old = open_collector(Settings(db=path, master_key=MASTER_KEY, clock=clock))
    term = register(old)
    admin.import_residents(
        old, ["resident_id,name,unit,rusun,card_uid", "R1,Siti,A1,Marunda,04A1B2C3D4E5F6"],
        scope=OPERATOR,
    )  # fmt: skip
    assert ingest.upload(old, day_of_taps(term, taps=5)).http == 200
    before = _dump(old)
    old.db.close()
    args = [sys.executable, "-m", "sync", "--db", path, "migrate-to-postgres", pg_url]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "7 records" in done.stdout  # a boot, a clock and five taps (a seal is no record)
    new = open_collector(Settings(db=pg_url, master_key=MASTER_KEY, clock=clock))
    try:
        after = _dump(new)
        assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
        assert after == before
        # the terminal goes on on PostgreSQL: its chain, key epoch and ids continue
        assert ingest.upload(new, day_of_taps(term, taps=3)).http == 200
        assert admin.add_terminal(new, "Marunda", 2, scope=OPERATOR)["terminal_id"] == 2
        assert reports.health(new)[0]["acked"] == term.next_seq
    finally:
        new.db.close()
    again = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "not empty" in again.stderr  # never merges two collectors
