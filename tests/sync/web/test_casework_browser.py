# The register and the case work in Chromium, in Bahasa Indonesia and English: registration
# progress, the flat page, a day's visit list (tablet and PDF), a case to SP1, field precision.
# SPDX-License-Identifier: MIT
"""Against the real app on the seeded world with its register (``seed.seed_register``).
``make screenshots`` keeps the screenshots in docs/screenshots/ (``shots``)."""

import io
import re

import pypdf
import pytest

from sync.service import cases, visits
from sync.service.accounts import User
from tests.kit import seed

D = "/dashboard"
_STATE: dict = {}
JPEG = b"\xff\xd8\xff\xe0" + bytes(200)


@pytest.fixture(autouse=True, scope="module")
def _keep_state(casework_app):
    _STATE["c"] = casework_app[0].state.collector
    _STATE["seeded"] = casework_app[1]


def _login(page, base, user, password):
    page.goto(base + D + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _page(browser, base, user, password, lang="id", viewport=(1280, 900)):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                              accept_downloads=True)  # fmt: skip
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    _login(page, base, user, password)
    if lang == "en":
        page.goto(base + D + "/lang/en?next=/dashboard/")
    page.errors = errors  # type: ignore[attr-defined]
    return ctx, page


@pytest.fixture(scope="module")
def admin(browser, casework_server):
    ctx, page = _page(browser, casework_server, "admin", seed.ADMIN_PASSWORD)
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def admin_en(browser, casework_server):
    ctx, page = _page(browser, casework_server, "admin", seed.ADMIN_PASSWORD, "en")
    yield page
    ctx.close()


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def _flat_id(name):
    from sync.store import register

    with _STATE["c"].db.read() as tx:
        return next(f.id for f in register.flats(tx) if f.name == name)


def test_registration_progress_city_district_rusun(admin, admin_en, casework_server, shots):
    page = admin
    page.goto(casework_server + D + "/register")
    assert page.locator("h1").inner_text() == "Kemajuan registrasi kartu"
    assert page.locator("#reg-percent").inner_text() == "82,7\u00a0%"  # 216 of 261
    assert page.locator("#reg-with-card").inner_text() == "216"
    assert page.locator("#reg-in-register").inner_text() == "261"
    districts = page.locator("#reg-districts tbody tr").all_inner_texts()
    assert [d.split("\t")[0] for d in districts] == ["Jakarta Barat", "Jakarta Timur",
                                                     "Jakarta Utara"]  # fmt: skip
    flb = page.locator("#reg-rusun tbody tr", has_text="Flamboyan")
    assert "69,6\u00a0%" in flb.inner_text()
    page.screenshot(path=str(shots / "registration.png"), full_page=True)
    flb.locator("a").click()
    assert page.locator("h1").inner_text() == "Unit tanpa kartu terdaftar: Flamboyan"
    rows = page.locator("#unregistered tbody tr").all_inner_texts()
    assert [r.split("\t")[1] for r in rows] == ["FLB-B101", "FLB-B102"]
    admin_en.goto(casework_server + D + "/register")
    assert admin_en.locator("h1").inner_text() == "Card registration progress"
    assert admin_en.locator("#reg-percent").inner_text() == "82.7\u00a0%"
    assert page.errors == [] and admin_en.errors == []  # type: ignore[attr-defined]


def test_a_days_visit_list_on_a_tablet_and_on_paper(admin, admin_en, casework_server, shots):
    page = admin
    page.goto(casework_server + D + "/visits")
    assert page.locator("h1").inner_text() == "Daftar kunjungan"
    page.select_option("#plan-form select[name=rusun]", "Marunda")
    page.fill("#plan-form input[name=sample]", "2")
    page.click("#plan-form button[type=submit]")
    assert page.locator("h1").inner_text().startswith("Kunjungan Marunda, Selasa, 1 Desember 2026")
    flagged = page.locator("#visits-flag article")
    routine = page.locator("#visits-sample article")
    assert flagged.count() >= 1 and routine.count() == 2
    risks = [float(re.search(r"Risiko ([\d,]+)", t).group(1).replace(",", "."))
             for t in flagged.all_inner_texts()]  # fmt: skip
    assert risks == sorted(risks, reverse=True)  # highest risk first
    lid = int(page.url.rstrip("/").split("/")[-1].split("?")[0])
    _STATE["list_id"] = lid
    tablet = page.context.browser.new_context(viewport={"width": 800, "height": 1200})
    tab = tablet.new_page()
    tab.context.add_cookies(page.context.cookies())
    tab.goto(casework_server + D + f"/visits/{lid}")
    tab.screenshot(path=str(shots / "visit_list.png"), full_page=True)
    tablet.close()
    first = flagged.nth(0)
    first.locator("input[value=others_found]").check()
    first.locator("input[name=note]").fill("Penghuni lain, mengaku menyewa dari penyewa")
    first.locator("button[type=submit]").click()
    assert page.locator("#saved").inner_text() == "Hasil kunjungan disimpan."
    assert "penghuni lain" in page.locator("#visits-flag article").nth(0).inner_text()
    for i in range(2):
        card = page.locator("#visits-sample article").nth(i)
        card.locator("input[value=tenant_found]").check()
        card.locator("button[type=submit]").click()
    resp = page.request.get(casework_server + D + f"/visits/{lid}/pdf")
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    text = _pdf_text(resp.body())
    assert "Kunjungan rutin" in text and "bukan bukti" in text and "Marunda" in text
    en = admin_en.request.get(casework_server + D + f"/visits/{lid}/pdf")
    assert "Routine visits" in _pdf_text(en.body())
    admin_en.goto(casework_server + D + f"/visits/{lid}")
    assert admin_en.locator("h1").inner_text().startswith("Visits Marunda, Tuesday, 1 December")


def test_a_case_goes_to_sp1_with_letters_files_and_an_evidence_pack(
    admin, admin_en, casework_server, shots
):
    page = admin
    lst = visits.visit_list(_STATE["c"], User("admin", "admin", ()), _STATE["list_id"])
    case_id = lst["visits"][0]["case_id"]
    _STATE["case_id"] = case_id
    page.goto(casework_server + D + f"/case/{case_id}")
    assert page.locator("#case-state").inner_text() == "dikunjungi"
    page.select_option("#step-state", "teguran")
    page.fill("#step-form textarea[name=note]", "Surat teguran diserahkan kepada penghuni")
    page.set_input_files("#step-form input[name=file]",
                         files=[{"name": "teguran.jpg", "mimeType": "image/jpeg",
                                 "buffer": JPEG}])  # fmt: skip
    page.click("#step-form button[type=submit]")
    assert page.locator("#saved").inner_text() == "Langkah disimpan."
    page.select_option("#step-state", "sp1")
    page.click("#step-form button[type=submit]")
    steps = page.locator("#steps").inner_text()
    assert "001/TEGURAN/UPRS/Marunda/XII/2026" in steps
    assert "002/SP1/UPRS/Marunda/XII/2026" in steps
    assert page.locator("#case-state").inner_text() == "SP1"
    assert page.locator("#files li").count() == 1
    page.screenshot(path=str(shots / "case.png"), full_page=True)
    dl = page.request.get(casework_server + page.locator("#files a").get_attribute("href"))
    assert dl.body() == JPEG and dl.headers["content-disposition"].startswith("attachment")
    html = page.request.get(casework_server + D + f"/case/{case_id}/pack.html").text()
    assert "bukan bukti" in html and "002/SP1/UPRS/Marunda/XII/2026" in html
    assert "segel MAC" in html  # how each record was verified
    pdf = page.request.get(casework_server + D + f"/case/{case_id}/pack.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Paket bukti" in _pdf_text(pdf.body())
    admin_en.goto(casework_server + D + f"/case/{case_id}")
    assert admin_en.locator("#case-state").inner_text() == "SP1"
    assert "warning (teguran)" in admin_en.locator("#steps").inner_text()
    assert "never proof" in admin_en.request.get(
        casework_server + D + f"/case/{case_id}/pack.html").text()  # fmt: skip


def test_field_precision_per_rule_from_recorded_outcomes(admin, admin_en, casework_server, shots):
    page = admin
    page.goto(casework_server + D + "/cases")
    assert page.locator("h1").inner_text() == "Kasus verifikasi lapangan"
    p = cases.precision(_STATE["c"], None)
    row = page.locator("#rule-all").inner_text().split("\t")
    assert row[1:4] == [str(p["all"]["flags"]), str(p["all"]["visited"]),
                        str(p["all"]["confirmed"])]  # fmt: skip
    sample = page.locator("#rule-sample").inner_text().split("\t")
    assert sample[1:5] == ["2", "2", "0", "0,0\u00a0%"]  # the routine visits found the tenants
    assert page.locator("#precision tbody tr").count() == len(p["rules"]) + 2
    page.screenshot(path=str(shots / "cases.png"), full_page=True)
    admin_en.goto(casework_server + D + "/cases")
    assert admin_en.locator("h1").inner_text() == "Field verification cases"
    assert admin_en.locator("#rule-sample").inner_text().startswith("Random sample")


def test_the_flat_page_shows_evidence_and_records_changes(admin, admin_en, casework_server, shots):
    page = admin
    flat = _flat_id("MRD-A105")
    page.goto(casework_server + D + f"/flat/{flat}")
    assert page.locator("h1").inner_text().startswith("Unit MRD-A105")
    assert "bukan bukti" in page.locator("#honest").inner_text()
    assert "dari 28 malam dengan tap keluarga" in page.locator("#evidence-summary").inner_text()
    assert page.locator("#flat-days .tl-row").count() == 28
    assert page.locator("#household tbody tr").count() >= 2
    assert "pindah" in page.locator("#household").inner_text()  # the seeded move-out
    assert "pindah ke Bekasi" in page.locator("#trail").inner_text()
    page.screenshot(path=str(shots / "flat.png"), full_page=True)
    page.fill("#form-absence input[name=first]", "2026-11-28")
    page.fill("#form-absence input[name=last]", "2026-11-30")
    page.select_option("#form-absence select[name=kind]", "hospital")
    page.click("#form-absence button[type=submit]")
    assert page.locator("#saved").inner_text() == "Perubahan disimpan."
    assert "rumah sakit" in page.locator("#absences").inner_text()
    day = page.locator("#form-move-out input[name=day]")
    day.evaluate("e => e.removeAttribute('max')")  # past the browser's own check: the server's
    day.fill("2026-12-02")  # tomorrow: refused
    page.click("#form-move-out button[type=submit]")
    assert "date in the future" in page.locator("#error-body").inner_text()
    admin_en.goto(casework_server + D + f"/flat/{flat}")
    assert admin_en.locator("h1").inner_text().startswith("Flat MRD-A105")
    assert "never proof" in admin_en.locator("#honest").inner_text()


def test_izin_holidays_and_thresholds_page(admin, admin_en, casework_server):
    page = admin
    page.goto(casework_server + D + "/normal")
    assert "Libur contoh" in page.locator("#holidays").inner_text()
    pulo = page.locator("section", has_text="Ambang tinjauan: Pulo Gebang")
    row = pulo.locator("tr", has_text="not_seen_days")
    assert row.locator("input[name=value]").input_value() == "21"  # Pulo Gebang's own
    row.locator("input[name=value]").fill("18")
    row.locator("button").click()
    assert page.locator("#saved").is_visible()
    row = pulo.locator("tr", has_text="not_seen_days")
    assert row.locator("input[name=value]").input_value() == "18"
    row.locator("input[name=value]").fill("500")
    row.locator("button").click()  # the browser refuses it first (max); post it by hand
    resp = page.request.post(casework_server + D + "/normal/threshold", form={
        "csrf": page.locator("input[name=csrf]").first.input_value(), "rusun": "Pulo Gebang",
        "name": "not_seen_days", "value": "500"})  # fmt: skip
    assert resp.status == 400 and "2-90" in resp.text()
    admin_en.goto(casework_server + D + "/normal")
    assert admin_en.locator("h1").inner_text() == "Leave, holidays, thresholds"


def test_a_viewer_of_one_rusun_reads_only_its_own(browser, casework_server):
    ctx, page = _page(browser, casework_server, "pantau", seed.VIEWER_PASSWORD)
    page.goto(casework_server + D + "/register")
    rows = page.locator("#reg-rusun tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["Pulo Gebang"]
    resp = page.goto(casework_server + D + f"/flat/{_flat_id('MRD-A101')}")
    assert resp is not None and resp.status == 404  # another rusun: as if it did not exist
    resp = page.goto(casework_server + D + f"/case/{_STATE['case_id']}")
    assert resp is not None and resp.status == 404
    resp = page.goto(casework_server + D + f"/flat/{_flat_id('PLG-A101')}")
    assert resp is not None and resp.status == 200
    assert page.locator("#actions").count() == 0  # a viewer gets no forms
    csrf = page.locator("input[name=csrf]").first.input_value()
    resp = page.request.post(casework_server + D + f"/flat/{_flat_id('PLG-A101')}/vacate",
                             form={"csrf": csrf})  # fmt: skip
    assert resp.status == 403
    ctx.close()
