# The dashboard in a real browser: Chromium headless against the real app on a seeded database.
# SPDX-License-Identifier: MIT
"""Log in, open every page, see the chart drawn, switch language, mark a review item, download
exports, and be refused another rusun's pages as a viewer. ``make screenshots`` keeps the
screenshots in docs/screenshots/ (tests/sync/web/conftest.py, ``shots``)."""

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from sync.review import TEXT
from sync.service import dashboard
from tests.kit import seed

D = "/dashboard"
_STATE: dict = {}  # the module's collector and seed, for checks behind the browser's back


def _c():
    return _STATE["c"]


@pytest.fixture(autouse=True, scope="module")
def _keep_state(seeded_app):
    _STATE["c"] = seeded_app[0].state.collector
    _STATE["seeded"] = seeded_app[1]


def _login(page, base, user, password):
    page.goto(base + D + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


@pytest.fixture(scope="module")
def admin_page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page, server, "admin", seed.ADMIN_PASSWORD)
    page.errors = errors  # type: ignore[attr-defined]
    yield page
    ctx.close()


def test_login_page_is_indonesian_and_refuses_a_wrong_password(browser, server, shots):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    resp = page.goto(server + D)
    assert resp is not None and page.url.startswith(server + D + "/login?next=/dashboard/")
    assert page.locator("h1").inner_text() == "Masuk"
    page.screenshot(path=str(shots / "login.png"))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "salah-sekali")
    page.click("button[type=submit]")
    assert "Nama pengguna atau kata sandi salah." in page.locator(".error").inner_text()
    assert "/login" in page.url
    ctx.close()


def test_overview_shows_today_per_rusun_and_draws_the_chart(admin_page, server, shots):
    page = admin_page
    page.goto(server + D + "/")
    assert page.locator("h1").inner_text().startswith("Ringkasan hari ini")
    assert "Selasa, 1 Desember 2026" in page.locator("h1 small").inner_text()
    assert "Selasa, 1 Desember 2026 10.30" in page.locator("footer").inner_text()
    rows = page.locator("#per-rusun tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == [
        "Flamboyan data belum lengkap",  # its terminal is silent: taps may wait on it
        "Marunda",
        "Pulo Gebang",
    ]
    data = dashboard.overview(_c(), seed.NOW, None)
    assert page.locator("#kpi-taps").inner_text() == f"{data['totals']['taps']:,}".replace(
        ",", "."
    )
    # The chart: Chart.js (served by the collector) made an instance with 30 days of data and
    # painted pixels into the canvas.
    page.wait_for_function("window.hadirChart !== undefined")
    labels = page.evaluate("window.hadirChart.data.labels.length")
    assert labels == 30
    painted = page.evaluate(
        """() => { const c = document.getElementById('chart-30d');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert painted > 1000
    attention = page.locator("#attention").inner_text()
    assert "#4 Flamboyan" in attention and "terminal diam" in attention
    assert page.errors == []  # type: ignore[attr-defined]
    page.screenshot(path=str(shots / "overview.png"), full_page=True)


def test_chart_script_is_served_locally(admin_page, server):
    resp = admin_page.request.get(server + D + "/static/vendor/chart.umd.js")
    assert resp.status == 200
    assert resp.text().startswith("/*!\n * Chart.js v4")
    page = admin_page.request.get(server + D + "/")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text()
    assert "http" not in "".join(re.findall(r'<script[^>]*src="([^"]+)"', html))


def test_rusun_heat_map_shows_the_empty_unit(admin_page, server, shots):
    page = admin_page
    page.goto(server + D + "/rusun/Marunda")
    assert page.locator("h1").inner_text() == "Rusun Marunda"
    row = page.locator("#heatmap tbody tr", has_text="MRD-A104")
    cells = row.locator("td")
    assert cells.count() == 28
    assert all("h0" in (cells.nth(i).get_attribute("class") or "") for i in range(28))
    busy = page.locator("#heatmap tbody tr", has_text="MRD-A103").locator("td.h3").count()
    assert busy > 10
    page.screenshot(path=str(shots / "rusun.png"))


def test_review_queue_lists_every_planted_reason(admin_page, server):
    page = admin_page
    page.goto(server + D + "/review")
    assert page.locator("h1").inner_text() == "Antrean tinjauan: dugaan alih sewa"
    text = page.locator("#review").inner_text()
    # The one wording of each reason (sync/review/texts.py); a card nobody registered is a row
    # of its own table, with its taps.
    for reason in ("not_seen", "one_card_household", "same_minute", "other_rusun", "clone"):
        assert TEXT[reason][0].format(n=14) in text, reason
    assert page.locator("#review tbody tr").count() == 5
    assert page.locator("#unknown-cards tbody tr").count() == 1
    assert "token" in page.locator("#unknown-cards tbody tr").inner_text()
    counts = page.locator("#review-counts")
    # Flats on the queue: the two by household reasons and the three whose card is flagged.
    assert (counts.get_attribute("data-flats"), counts.get_attribute("data-unknown")) == ("5", "1")
    assert "MRD-A104" in page.locator("#item-unit-1\\/MRD-A104").inner_text()


def test_mark_review_item_keeps_an_audit_trail(admin_page, server, shots):
    page = admin_page
    page.goto(server + D + "/review")
    row = page.locator("#item-unit-1\\/MRD-A104")
    row.locator("input[name=note]").fill("Dikunjungi: unit kosong, penghuni pindah ke Bekasi")
    row.locator("button[type=submit]").click()
    assert page.locator("#saved").inner_text() == "Tinjauan disimpan."
    row = page.locator("#item-unit-1\\/MRD-A104")
    assert "Sudah ditinjau" in row.inner_text()
    assert "penghuni pindah ke Bekasi" in row.inner_text()
    page.screenshot(path=str(shots / "review.png"), full_page=True)
    # A second visit: the trail keeps both entries, oldest first.
    row.locator("input[name=note]").fill("Kunjungan kedua: dikonfirmasi RT")
    row.locator("button[type=submit]").click()
    items, _p, _period = dashboard.review_queue(_c(), seed.NOW, None)
    item = next(i for i in items if i["key"] == "1/MRD-A104")
    assert [m["note"] for m in item["trail"]] == [
        "Dikunjungi: unit kosong, penghuni pindah ke Bekasi",
        "Kunjungan kedua: dikonfirmasi RT",
    ]
    assert all(m["by"] == "admin" and m["reasons"] == "not_seen" for m in item["trail"])
    # A reviewed item keeps its place in the queue (by rusun) and is found among the reviewed;
    # sorted by status it comes after the open ones.
    assert [i["key"] for i in dashboard.review_filter(items, status="done")] == ["1/MRD-A104"]
    assert dashboard.review_filter(items, sort="status")[-1]["key"] == "1/MRD-A104"
    assert items[0]["key"] == "1/MRD-A104"


def test_form_without_csrf_token_is_refused(admin_page, server):
    resp = admin_page.request.post(
        server + D + "/review/mark",
        form={"kind": "unit", "key": "1/MRD-B201", "reasons": "one_card_household", "note": "x"},
        max_redirects=0,
    )
    assert resp.status == 403
    items, _p, _period = dashboard.review_queue(_c(), seed.NOW, None)
    assert next(i for i in items if i["key"] == "1/MRD-B201")["trail"] == []


def test_resident_page_shows_timeline_and_cards(admin_page, server, shots):
    page = admin_page
    rid = _STATE["seeded"].planted["other_rusun"]
    page.goto(server + D + f"/resident/{rid}")
    assert page.locator("h1").inner_text().startswith("Penghuni ")
    assert page.locator("#timeline .tl-row").count() == 28
    # Taps at Pulo Gebang (not the resident's rusun) are marked in red.
    assert page.locator("#timeline b.flag").count() == 4
    assert page.locator("#timeline b").count() > 30
    page.screenshot(path=str(shots / "resident.png"), full_page=True)


def test_terminals_page_raises_the_alarms(admin_page, server, shots):
    page = admin_page
    page.goto(server + D + "/terminals")
    t4 = page.locator("#t4")
    assert t4.locator(".alarm-silent").count() == 1
    assert t4.locator(".alarm-no_peak").count() == 1
    assert page.locator("#t2 .alarm-storage").count() == 1
    assert page.locator("#t3 .alarm-reader").count() == 1
    assert page.locator("#t1 .tag").count() == 0
    assert "83,0\u00a0%" in page.locator("#t2").inner_text()
    assert page.locator("#t3 td.fw").inner_text() == "2"
    assert page.locator("#t1 td.fw").inner_text() == "3"
    page.screenshot(path=str(shots / "terminals.png"), full_page=True)


def test_exports_download_csv_and_xlsx(admin_page, server, shots):
    page = admin_page
    page.goto(server + D + "/exports")
    page.screenshot(path=str(shots / "exports.png"))
    page.fill("input[name=days]", "7")
    with page.expect_download() as info:
        page.click("#presence-csv")
    dl = info.value
    assert dl.suggested_filename == "hadir-presence-2026-11-25_2026-12-01.csv"
    rows = list(csv.reader(io.StringIO(open(dl.path(), encoding="utf-8-sig").read())))
    assert rows[0][:3] == ["Tanggal", "Rusun", "Unit"]
    assert len(rows) - 1 == 7 * len(_STATE["seeded"].residents)
    assert {r[0] for r in rows[1:]} == {f"2026-11-{d}" for d in range(25, 31)} | {"2026-12-01"}
    assert not any(re.search(r"\b[0-9A-F]{8,14}\b", ",".join(r)) for r in rows[1:])  # no UIDs
    with page.expect_download() as info:
        page.click("#review-xlsx")
    assert info.value.suggested_filename == "hadir-review-2026-12-01.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    ws = wb["review"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "Jenis"
    a104 = next(v for v in values if v[1] == "MRD-A104")
    assert a104[5] == "Sudah ditinjau" and a104[6] == "admin"
    assert a104[3]  # a flat row names its first resident too
    assert isinstance(a104[7], dt.datetime)  # the mark's time: a spreadsheet date and time


def test_language_toggle_switches_to_english_and_back(admin_page, server, shots):
    page = admin_page
    page.goto(server + D + "/review")
    page.click("#lang-toggle")
    assert page.url.endswith(D + "/review")
    assert page.locator("h1").inner_text() == "Review queue: possible subletting"
    assert "not seen for 14 days" in page.locator("#review").inner_text()
    page.goto(server + D + "/")
    assert "Tuesday, 1 December 2026" in page.locator("h1 small").inner_text()
    assert page.evaluate("window.hadirChart.data.labels[29]") == "Tue 1 Dec"
    page.screenshot(path=str(shots / "overview-en.png"))
    page.click("#lang-toggle")
    assert page.locator("h1").inner_text().startswith("Ringkasan hari ini")


def test_no_script_or_policy_errors_on_any_page(admin_page, server):
    # Runs after the admin visited every page: CSP violations and JS errors land here.
    for path in ("/", "/rusun/Marunda", "/review", "/terminals", "/exports"):
        admin_page.goto(server + D + path)
    assert admin_page.errors == []  # type: ignore[attr-defined]


def test_tablet_layout(browser, server, shots):
    ctx = browser.new_context(viewport={"width": 820, "height": 1180}, is_mobile=True,
                              has_touch=True, device_scale_factor=1)  # fmt: skip
    page = ctx.new_page()
    _login(page, server, "admin", seed.ADMIN_PASSWORD)
    page.goto(server + D + "/")
    page.wait_for_function("window.hadirChart !== undefined")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820  # nothing forces sideways scrolling
    page.screenshot(path=str(shots / "overview-tablet.png"), full_page=True)
    ctx.close()


def test_viewer_sees_only_their_rusun_and_is_refused_others(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    _login(page, server, "pantau", seed.VIEWER_PASSWORD)
    assert page.url == server + D + "/"
    assert page.locator("#per-rusun tbody tr").all_inner_texts()[0].startswith("Pulo Gebang")
    assert page.locator("#per-rusun tbody tr").count() == 1
    # Another rusun's pages answer exactly as pages that do not exist: nothing tells the viewer
    # that Marunda or its resident is there (docs/security.md, "Scoped admin").
    clone = _STATE["seeded"].planted["clone"]
    for path in ("/rusun/Marunda", "/rusun/Atlantis", "/resident/" + clone, "/resident/P99"):
        resp = page.goto(server + D + path)
        assert resp is not None and resp.status == 404, path
        assert page.locator("h1").inner_text() == "Tidak ditemukan"
    resp = page.goto(server + D + "/rusun/Pulo%20Gebang")
    assert resp is not None and resp.status == 200
    page.goto(server + D + "/review")
    assert set(page.locator("#review tbody td:nth-child(2)").all_inner_texts()) == {"Pulo Gebang"}
    assert page.locator("form.mark").count() == 0  # a viewer reads, an admin marks
    csrf = page.locator("header form input[name=csrf]").get_attribute("value")
    for key in ("1/MRD-B201", "2/PLG-A102"):  # another rusun's unit, and one of Pulo Gebang
        resp = page.request.post(
            server + D + "/review/mark",
            form={"csrf": csrf, "kind": "unit", "key": key, "reasons": "", "note": "x"},
            max_redirects=0,
        )
        assert resp.status == 403
    page.goto(server + D + "/terminals")
    assert page.locator("#terminals tbody tr").count() == 1
    ctx.close()


def test_logout_ends_the_session(browser, server):
    ctx = browser.new_context()
    page = ctx.new_page()
    _login(page, server, "admin", seed.ADMIN_PASSWORD)
    page.click("header form button")
    assert "/login" in page.url
    page.goto(server + D + "/review")
    assert "/login" in page.url
    ctx.close()
