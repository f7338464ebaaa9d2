# The day reports describe (sync.service.asof): asked, today, or the data's last day when old.
# SPDX-License-Identifier: MIT
import datetime as dt

from firmware import wire
from sync.service import admin, asof, ingest, reports
from sync.service.scope import OPERATOR
from tests.kit.wirekit import PaperTerminal

DAY = 86400


def _record_at(c, clock, t: int) -> None:
    bundle = admin.add_terminal(c, "Marunda", 1, scope=OPERATOR)
    term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    clock.now = t
    term.boot()
    term.clock(t - wire.HOST_EPOCH_OFFSET, advance_ms=0)
    term.event(wire.HEARTBEAT, advance_ms=0)
    assert ingest.upload(c, term.batch()).status == wire.REPLY_OK


def test_today_when_the_data_is_fresh_or_there_is_none(collector, clock):
    now = int(clock.now)
    assert asof.resolve(collector) == (asof.local_day(now), now, None)
    _record_at(collector, clock, now - DAY // 2)
    clock.now = now
    assert asof.resolve(collector) == (asof.local_day(now), now, None)


def test_old_data_is_reported_as_of_its_last_day_and_says_so(collector, clock):
    now = int(clock.now)
    old = now - 400 * DAY
    _record_at(collector, clock, old)
    clock.now = now
    day, at, note = asof.resolve(collector)
    assert (day, at) == (asof.local_day(old), old)
    assert note is not None and day.isoformat() in note and "--as-of" in note
    # Asked for a day: that day, whatever the data.
    asked = dt.date(2020, 1, 2)
    assert asof.resolve(collector, asked) == (asked, asof.day_end(asked), None)
    # A report of that default ends on the data's day, not today.
    rows = reports.presence(collector, days=3, as_of=day)
    assert {r["date"] for r in rows} <= {
        (day - dt.timedelta(days=i)).isoformat() for i in range(3)
    }
    health = reports.health(collector, at=at)
    assert health[0]["silent_s"] == 0


def test_the_health_report_reads_in_local_time_with_whole_bilingual_headers(
    collector, clock, monkeypatch
):
    from rich.console import Console

    from sync import cli

    contact = int(dt.datetime(2017, 2, 12, 19, 59, tzinfo=dt.timezone.utc).timestamp()) - 7 * 3600
    _record_at(collector, clock, contact)
    clock.now = contact + 400 * DAY  # a kept database, read years later
    rows = reports.health(collector, at=asof.resolve(collector).at)
    (t1, first), (t2, second) = reports.health_tables(rows)
    assert first[0]["kontak terakhir (WIB)\nlast contact"] == "2017-02-12 19.59"  # WIB, not UTC
    assert first[0]["diam j:mm\nsilent h:mm"] == "0:00"
    assert reports.span_text(142 * 3600 + 5 * 60 + 59) == "142:05"
    assert " / " in t1 and " / " in t2  # titles and headers: Indonesian, then English
    assert all(
        "\n" in k
        for k in [*first[0], *second[0]]
        if k not in ("#", "status", "firmware", "Wi-Fi dBm")
    )
    shown = Console(width=160, record=True)
    monkeypatch.setattr(cli, "out", shown)
    for title, table in (t1, first), (t2, second):
        cli._table(table, title, compact=True)
    text = shown.export_text()
    assert "…" not in text  # every header and cell whole on a 160-column terminal
    assert str(contact) not in text and "2017-02-12 19.59" in text


def test_on_old_data_a_refused_report_is_one_line_and_days_0_is_refused(collector, clock, db_url):
    import os
    import subprocess
    import sys

    from tests.kit.liveserver import MASTER_KEY
    from tests.kit.paths import ROOT

    _record_at(collector, clock, int(clock.now) - 400 * DAY)  # the as-of note would be said
    env = dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex(), HADIR_DB=db_url)
    for args, says in (
        ("report review --rusun Atlantis", "unknown rusun: Atlantis"),
        ("report presence --days 0", "days must be 1-366"),  # not the default 7 days
        ("report review --days 0", "days must be 1-"),
    ):
        r = subprocess.run([sys.executable, "-m", "sync", *args.split()], capture_output=True,
                           text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip
        assert r.returncode == 1 and r.stderr.splitlines() == [r.stderr.strip()], r.stderr
        assert says in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "sync", "report", "presence", "--days", "1"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip
    assert r.returncode == 0 and "data terakhir" in r.stderr  # said once the report is out
