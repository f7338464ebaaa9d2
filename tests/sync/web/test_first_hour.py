# An admin's first hour on a kept demo database, in headless Chromium: problems, queue, exports.
# SPDX-License-Identifier: MIT
"""The fleet demo at a small scale (``tools.sim.fleet.run.simulate``: real firmware, real
collector, the fault plan; 2 days, ending at 20.00 on the last day) kept with ``keep=``; then,
as the demo's summary tells an admin to, the kept database is opened again with its kept master
key -- by ``python -m sync report review`` and by the dashboard, served on the real wall clock
(the data is years old: both describe the data's last day and say so). The admin logs in with
the kept password and:

1. sees on the overview the problems the fault plan planted (every long network outage, the
   reader lock-up), each with its terminal's rusun and door and since when, and no "all
   healthy";
2. finds the review queue with the same counts as the CLI and the demo summary, filters it by
   rusun and status, marks an item and finds it again among the reviewed;
3. reads each terminal's newest record in the terminal's own time;
4. downloads the presence export for exactly the days asked, with real spreadsheet dates, and
   is told clearly that 99 days is too many;
5. opens a flagged flat (its evidence ends on the data's last day) and plans a visit list there
   (made from that day's flags, dated that day by default).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import subprocess
import sys

import openpyxl
import pytest

from sync.app import create_app
from sync.settings import Settings
from tests.kit.liveserver import serve
from tests.kit.paths import ROOT
from tools.sim.fleet.run import Scale, simulate
from tools.sim.fleet.summary import summary

D = "/dashboard"
SCALE = dict(seed=1, days=2, residents=400, power_cuts=4, end_hour=20, sync_interval_s=3600,
             idle_s=3600)  # fmt: skip
_OUTAGE = re.compile(r"network down at (.+) for ([\d.]+) h")
_LOCKUP = re.compile(r"reader lock-up at terminal (\d+)")


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first-hour") / "demo"
    fig = simulate(Scale(**SCALE, keep=str(folder)))
    return fig


@pytest.fixture(scope="module")
def dashboard_url(kept):
    k = kept["kept"]
    key = bytes.fromhex(open(k["master_key"], encoding="ascii").read().strip())
    app = create_app(Settings(db=k["db"], master_key=key))  # the real wall clock
    with serve(app) as base:
        yield base
    app.state.collector.db.close()


@pytest.fixture(scope="module")
def page(browser, dashboard_url, kept):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.goto(dashboard_url + D + "/login")
    p.fill("input[name=username]", "demo")
    p.fill("input[name=password]", open(kept["kept"]["password_file"]).read().strip())
    p.click("button[type=submit]")
    p.errors = errors  # type: ignore[attr-defined]
    yield p
    ctx.close()


def _sync_cli(kept, *args: str) -> subprocess.CompletedProcess:
    k = kept["kept"]
    return subprocess.run(
        [sys.executable, "-m", "sync", "--db", k["db"], "--master-key-file", k["master_key"],
         *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip


def test_the_demo_keeps_what_reopens_it_and_says_how(kept):
    k = kept["kept"]
    text = summary(kept)
    assert f"--master-key-file {k['master_key']} report review" in text
    assert f"password in {k['password_file']}" in text
    for path in (k["master_key"], k["password_file"]):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_overview_shows_the_planted_problems(page, dashboard_url, kept):
    page.goto(dashboard_url + D + "/")
    last_day = kept["collector_review"]["as_of"]
    # The data is years old: the pages describe its last evening, and say so.
    assert "Data terakhir diterima" in page.locator("#stale").inner_text()
    day = dt.date.fromisoformat(last_day)
    assert f" {day.day} " in page.locator("h1 small").inner_text()
    assert page.locator("#all-ok").count() == 0
    incidents = page.locator("#incidents li").all_inner_texts()
    outages = [m for line in kept["faults"] for m in _OUTAGE.findall(line) if float(m[1]) >= 8]
    assert outages, kept["faults"]
    for rusun, _hours in outages:
        mine = [i for i in incidents if f" {rusun} · pintu " in i and "putus jaringan" in i]
        assert mine, (rusun, incidents)
        assert all(re.search(r"s\.d\. .* \(\d+ jam\)", i) for i in mine), mine
    lockups = [int(m) for line in kept["faults"] for m in _LOCKUP.findall(line)]
    assert lockups
    for tid in lockups:
        assert any(i.startswith(f"#{tid} ") and "pembaca kartu di-reset" in i and "sejak" in i
                   for i in incidents), (tid, incidents)  # fmt: skip
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_queue_counts_match_the_cli_and_the_demo_summary(page, dashboard_url, kept):
    cr = kept["collector_review"]
    cli = _sync_cli(kept, "export", "review", "-")
    assert "data terakhir" in cli.stderr  # the CLI says which day it reports, too
    rows = list(csv.DictReader(io.StringIO(cli.stdout)))
    cli_counts = (
        len({(r["rusun"], r["unit"]) for r in rows if r["unit"] != ""}),
        sum(r["subject"] == "card" and r["unit"] != "" for r in rows),
        sum(r["subject"] == "card" and r["unit"] == "" for r in rows),
    )
    assert cli_counts == (cr["flats"], cr["cards"], cr["unknown_cards"])
    assert sum(cli_counts) > 0
    text = summary(kept)
    assert (
        "%d flats on the queue, %d registered cards, %d cards nobody registered" % cli_counts
        in (text)
    )
    assert "42 days up to %s" % cr["as_of"] in text
    page.goto(dashboard_url + D + "/review")
    counts = page.locator("#review-counts")
    shown = tuple(int(counts.get_attribute(a) or -1) for a in ("data-flats", "data-cards",
                                                                "data-unknown"))  # fmt: skip
    assert shown == cli_counts
    assert page.locator("#review tbody tr").count() == len(rows) - cli_counts[2]
    assert page.locator("#unknown-cards tbody tr").count() == cli_counts[2]


def test_filter_mark_and_find_the_item_again(page, dashboard_url):
    page.goto(dashboard_url + D + "/review")
    first = page.locator("table.review tbody tr").first
    rusun = first.locator("td").nth(1).inner_text().strip()
    page.select_option("#review-filter select[name=rusun]", rusun)
    page.click("#review-filter button[type=submit]")
    rows = page.locator("table.review tbody tr")
    assert rows.count() >= 1
    assert {rows.nth(i).locator("td").nth(1).inner_text().strip()
            for i in range(rows.count())} == {rusun}  # fmt: skip
    row_id = rows.first.get_attribute("id")
    rows.first.locator("input[name=note]").fill("Dikunjungi, lihat catatan RT")
    rows.first.locator("button[type=submit]").click()
    assert page.locator("#saved").count() == 1
    page.goto(dashboard_url + D + "/review?status=done")
    done = page.locator("table.review tbody tr")
    assert done.count() == 1 and done.first.get_attribute("id") == row_id
    assert "Sudah ditinjau" in done.first.inner_text()
    page.goto(dashboard_url + D + "/review?status=open")
    assert page.locator(f"[id='{row_id}']").count() == 0


def test_terminal_pages_show_the_newest_record_in_terminal_time(page, dashboard_url, kept):
    page.goto(dashboard_url + D + "/terminals")
    newest = page.locator("#terminals td.newest").all_inner_texts()
    assert len(newest) == 32
    day = dt.date.fromisoformat(kept["collector_review"]["as_of"])
    assert all(f"{day.day} Februari {day.year}" in t for t in newest), newest


def test_export_has_exactly_the_days_asked_with_real_dates(page, dashboard_url, kept):
    last = dt.date.fromisoformat(kept["collector_review"]["as_of"])
    page.goto(dashboard_url + D + "/exports")
    page.fill("input[name=days]", "2")
    with page.expect_download() as info:
        page.click("#presence-xlsx")
    name = info.value.suggested_filename
    assert name == f"hadir-presence-{last - dt.timedelta(days=1)}_{last}.xlsx"
    with open(info.value.path(), "rb") as f:
        wb = openpyxl.load_workbook(io.BytesIO(f.read()), read_only=True)
    rows = list(wb["presence"].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == {
        dt.datetime.combine(last - dt.timedelta(days=1), dt.time()),
        dt.datetime.combine(last, dt.time()),
    }  # real dates (openpyxl reads a date-formatted cell as a datetime), exactly two days
    assert all(isinstance(r[5], int) for r in rows)
    assert any(isinstance(r[6], dt.time) for r in rows)  # first tap: a time of day
    page.goto(dashboard_url + D + "/exports")
    page.fill("input[name=days]", "99")
    page.evaluate("document.querySelector('input[name=days]').removeAttribute('max')")
    page.click("#presence-csv")
    assert "jumlah hari harus 1-31 / days must be 1-31: 99" in page.content()


def test_casework_pages_describe_the_datas_last_day(kept, page, dashboard_url):
    """The flat page, the visit lists and the case forms follow the reports' day on a kept
    database: a flat's evidence ends on the data's last day, a visit list planned there holds
    the flags of that day, and the forms' default date is that day (the page says so)."""
    last = kept["collector_review"]["as_of"]
    page.goto(dashboard_url + D + "/review")
    link = page.locator("table.review tbody tr a[href*='/flats/']").first
    rusun = link.get_attribute("href").split("/")[3]  # /dashboard/flats/<rusun>/<unit>
    link.click()
    assert "Data terakhir diterima" in page.locator("#stale").inner_text()
    day = dt.date.fromisoformat(last)
    newest = page.locator("#flat-days .tl-row span").first.inner_text()
    assert f"{day.day} " in newest, newest  # the evidence ends on the data's day, not today
    assert page.locator("#form-move-out input[name=day]").get_attribute("value") == last
    page.goto(dashboard_url + D + "/visits")
    assert page.locator("#plan-form input[name=day]").get_attribute("value") == last
    page.select_option("#plan-form select[name=rusun]", rusun.replace("%20", " "))
    page.click("#plan-form button[type=submit]")
    flagged = page.locator("#visits-flag article")
    assert flagged.count() >= 1  # the flags of the data's day, not of an empty today
    assert page.errors == []  # type: ignore[attr-defined]
