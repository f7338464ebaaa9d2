# Dashboard pieces without a browser: Indonesian formats, password hashing, sessions, exports.
# SPDX-License-Identifier: MIT
import csv
import io
import re

import openpyxl

from sync.service.accounts import User
from sync.vault import hash_password, verify_password
from sync.web import auth, exports, i18n
from sync.web.i18n import MESSAGES

# 2026-12-01 00:15 UTC = Selasa 1 Desember 2026 07.15 WIB
T = 1796084100


def test_indonesian_datetime_format():
    assert i18n.fmt_datetime(T, "id") == "Selasa, 1 Desember 2026 07.15"
    assert i18n.fmt_datetime(T, "en") == "Tuesday, 1 December 2026 07:15"


def test_jakarta_day_boundary_is_utc_plus_7():
    # 16:59:59 UTC on 30 Nov is 23:59:59 WIB, still Monday 30 November; one second later Tuesday.
    assert i18n.fmt_date(T - 7 * 3600 - 15 * 60 - 1, "id") == "Senin, 30 November 2026"
    assert i18n.fmt_date(T - 7 * 3600 - 15 * 60, "id") == "Selasa, 1 Desember 2026"
    assert i18n.day_start(i18n.local_day(T)) == T - 7 * 3600 - 15 * 60


def test_numbers_use_indonesian_separators():
    assert i18n.fmt_int(13731, "id") == "13.731"
    assert i18n.fmt_int(13731, "en") == "13,731"


def test_every_message_has_both_languages_and_same_placeholders():
    for key, (ind, eng) in MESSAGES.items():
        assert ind and eng, key
        assert set(re.findall(r"{(\w+)}", ind)) == set(re.findall(r"{(\w+)}", eng)), key


def test_templates_use_only_known_message_keys():
    import pathlib

    root = pathlib.Path(auth.__file__).parent / "templates"
    used = set()
    for path in root.glob("*.html"):
        used |= set(re.findall(r"t\('([a-z_.0-9]+)'\)", path.read_text()))
    assert used, "no t('…') calls found"
    assert used - set(MESSAGES) == set()


def test_password_hash_is_argon2id_and_verifies():
    h = hash_password("rahasia-kantor")  # what `python -m sync users add` stores
    assert h.startswith("$argon2id$")
    assert verify_password(h, "rahasia-kantor")
    assert not verify_password(h, "rahasia-kantor!")
    assert not verify_password(None, "rahasia-kantor")
    assert not verify_password("not a hash", "x")


def test_session_cookie_is_signed():
    s = auth.Sessions(b"k" * 32)
    cookie = s.dump({"s": "session-id", "c": "tok"})
    assert s.load(cookie) == {"s": "session-id", "c": "tok"}
    forged = auth.Sessions(b"x" * 32).dump({"s": "session-id", "c": "tok"})
    assert s.load(forged)["s"] is None
    assert s.load(cookie[:-2] + "AA")["s"] is None
    assert auth.csrf_ok({"c": "tok"}, "tok")
    assert not auth.csrf_ok({"c": "tok"}, "tak")
    assert not auth.csrf_ok({"c": "tok"}, "")


def test_exports_quote_formulas_and_open_in_excel():
    table = (["Nama", "Catatan"], [['=HYPERLINK("x")', "+62 812"], ["Siti", "ok"]])
    text = exports.to_csv(table).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ['\'=HYPERLINK("x")', "'+62 812"]
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(table, "review")))
    ws = wb["review"]
    assert [c.value for c in ws[1]] == ["Nama", "Catatan"]
    assert ws["A2"].value == '\'=HYPERLINK("x")'
    assert ws["A3"].value == "Siti"


def test_rusun_binding_limits_any_role_and_empty_means_all():
    assert User("a", "admin", ()).may_see("Marunda")
    assert User("v", "viewer", ()).may_see("Marunda")
    bound = User("v", "viewer", ("Pulo Gebang",))
    assert bound.may_see("Pulo Gebang") and not bound.may_see("Marunda")
    assert not User("a", "admin", ("Pulo Gebang",)).may_see("Marunda")
    assert not bound.is_admin
