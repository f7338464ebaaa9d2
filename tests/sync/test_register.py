# The tenant register: import (CSV, XLSX) with a preview, line-numbered errors, idempotent
# re-import, registration progress; an older database upgraded. SQLite and PostgreSQL.
# SPDX-License-Identifier: MIT
import datetime as dt

from sync.service import admin, days, lifecycle, register, register_file
from sync.service.scope import OPERATOR
from sync.store import register as store
from sync.store import residents, schema
from sync.store.db import Database
from tests.kit import register as kit


def _read(text):
    return register_file.read(text.encode())


def _people(c):
    with c.db.read() as tx:
        return {p.resident_id: p for p in store.people(tx)}


def test_preview_writes_nothing_and_apply_writes_what_it_showed(collector):
    sheet = _read(kit.csv_text())
    preview = register.import_register(collector, sheet, kit.ADMIN)
    assert not preview.applied and preview.errors == []
    assert preview.rusun_new == ["Marunda", "Pulo Gebang"]
    assert len(preview.flats_new) == 5 and len(preview.people_new) == 6
    assert preview.ignored_columns == ["NIK"]  # never stored
    assert _people(collector) == {}  # the preview's transaction was rolled back
    done = register.import_register(
        collector, sheet, kit.ADMIN, apply=True, expect=preview.fingerprint
    )
    assert done.applied and done.fingerprint == preview.fingerprint
    people = _people(collector)
    assert set(people) == {"P1", "P2", "P3", "P4", "P5", "P6"}
    assert people["P1"].lease_holder and not people["P2"].lease_holder
    assert (people["P2"].relation, people["P3"].relation) == ("spouse", "child")
    with collector.db.read() as tx:
        flats = {f.name: f for f in store.flats(tx)}
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        assert {names[i]: d for i, d in store.districts(tx).items()} == {
            "Marunda": "Jakarta Utara",
            "Pulo Gebang": "Jakarta Timur",
        }
    assert flats["MRD-A101"].lease_no == "SPS-101"
    assert days.iso(flats["MRD-A101"].let_since) == "2017-02-01"  # 01-02-2017 is day first
    assert days.iso(flats["MRD-A102"].let_since) == "2019-07-15"
    assert (flats["MRD-B101"].status, flats["MRD-A101"].status) == ("vacant", "occupied")


def test_reimport_changes_nothing_and_xlsx_reads_like_csv(collector):
    kit.load(collector)
    again = register.import_register(collector, _read(kit.csv_text()), kit.ADMIN, apply=True)
    assert again.changes() == 0 and again.unchanged == 6 and again.people_missing == []
    rows = [list(r) for r in kit.ROWS]
    rows[0][5] = dt.datetime(2017, 2, 1)  # a date cell
    rows[0][3] = "MRD-A101"
    xlsx = register_file.read(kit.xlsx_bytes(rows), "register.xlsx")
    same = register.import_register(collector, xlsx, kit.ADMIN)
    assert same.changes() == 0 and same.errors == []


def test_a_file_with_any_error_is_refused_whole_with_line_numbers(collector):
    rows = [list(r) for r in kit.ROWS]
    rows[1][9] = "ya"  # a second lease holder in MRD-A101 (line 3)
    rows[2][6] = "P1"  # a resident id given twice (line 4)
    rows[3][2] = ""  # no block (line 5)
    rows[5][5] = "31-02-2020"  # no such day (line 7)
    rows[6][8] = "tetangga"  # a relation offices do not use (line 8)
    diff = register.import_register(collector, _read(kit.csv_text(rows)), kit.ADMIN, apply=True)
    assert not diff.applied
    text = "\n".join(diff.errors)
    assert "line 3: lebih dari satu pemegang sewa" in text
    assert "line 4: id_penghuni P1 sudah ada di baris 2" in text
    assert "line 5: rusun, blok dan unit wajib diisi" in text
    assert "line 7: tanggal tidak sah" in text
    assert "line 8: hubungan tidak dikenal" in text
    assert _people(collector) == {}


def test_missing_required_column_is_one_line(collector):
    try:
        register_file.read(b"Rusun,Nama\nMarunda,Siti\n")
    except admin.AdminError as exc:
        assert "blok (block), unit (unit)" in str(exc)
    else:
        raise AssertionError("a file without block and unit columns was read")


def test_any_line_end_reads_alike_and_what_csv_cannot_read_is_one_line():
    lf = kit.csv_text()
    for text in (lf.replace("\n", "\r"), lf.replace("\n", "\r\n")):
        assert _read(text).rows == _read(lf).rows  # a lone CR was a server error (schemathesis)
    for bad in ("\r0", lf + '"' + "x" * 200_000 + '"\n'):
        try:
            sheet = _read(bad)
        except admin.AdminError as exc:
            assert "\n" not in str(exc)
        else:
            raise AssertionError(f"read {len(sheet.rows)} rows of a file it should refuse")


def test_changes_moves_relet_and_people_missing_from_the_file(collector):
    kit.load(collector)
    lifecycle.enrol_card(collector, kit.ADMIN, "P3", "04A1B2C3D4E5F6")
    lifecycle.vacate(collector, kit.ADMIN, _flat_id(collector, "MRD-A102"), dt.date(2026, 11, 1))
    rows = [list(r) for r in kit.ROWS if r[6] not in ("P2",)]
    rows[1][3] = "MRD-B101"  # P3 moved to B101 (block B)
    rows[1][2] = "B"
    rows[2] = [
        "Jakarta Utara",
        "Marunda",
        "A",
        "MRD-A102",
        "SPS-999",
        "20-11-2026",
        "P7",
        "Yusuf",
        "kepala",
        "ya",
        "",
    ]
    diff = register.import_register(collector, _read(kit.csv_text(rows)), kit.ADMIN, apply=True)
    assert diff.errors == [] and diff.applied
    assert diff.people_changed == ["P3 (Marunda MRD-B101): unit MRD-A101 → MRD-B101"]
    assert diff.flats_relet == [
        "Marunda MRD-A102: vacant → occupied (2026-11-20)",  # its lease start
        f"Marunda MRD-B101: vacant → occupied ({days.today(collector)})",  # lives there: today
    ]
    assert [m.split(":")[0] for m in diff.people_missing] == ["P2 (MRD-A101)"]
    assert _people(collector)["P2"].status == "active"  # listed, never removed by an import
    with collector.db.read() as tx:
        card = store.cards_of_person(tx, "P3")[0]
        b101 = next(f for f in store.flats(tx) if f.name == "MRD-B101")
    assert card.unit_id == b101.id  # the card follows its holder
    assert b101.status == "occupied"
    assert "P7 (Marunda MRD-A102)" in diff.people_new


def test_cards_in_the_register_follow_the_import_rules(collector):
    head = kit.HEAD + ["UID Kartu"]
    rows = [r + [""] for r in kit.ROWS]
    rows[0][-1] = "04:A1:B2:C3:D4:E5:F6"
    rows[1][-1] = "08112233"  # a random UID: refused, and with it the file
    diff = register.import_register(
        collector, _read(kit.csv_text(rows, head)), kit.ADMIN, apply=True
    )
    assert not diff.applied and any("line 3" in e and "random UID" in e for e in diff.errors)
    rows[1][-1] = ""
    diff = register.import_register(
        collector, _read(kit.csv_text(rows, head)), kit.ADMIN, apply=True
    )
    assert diff.applied and diff.cards_new == 1
    assert [c["resident_id"] for c in admin.list_cards(collector, scope=OPERATOR)] == ["P1"]


def test_a_changed_register_is_not_applied_blind(collector):
    sheet = _read(kit.csv_text())
    preview = register.import_register(collector, sheet, kit.ADMIN)
    kit.load(collector, kit.csv_text(kit.ROWS[:2]))
    late = register.import_register(
        collector, sheet, kit.ADMIN, apply=True, expect=preview.fingerprint
    )
    assert not late.applied and "changed since the preview" in late.errors[-1]


def test_a_scoped_admin_imports_only_their_rusun(collector):
    kit.load(collector)
    diff = register.import_register(collector, _read(kit.csv_text()), kit.MARUNDA_ADMIN)
    assert [e.split(":")[0] for e in diff.errors] == ["baris/line 7", "baris/line 8"]
    assert "outside your scope" in diff.errors[0]
    try:
        register.import_register(collector, _read(kit.csv_text()), kit.VIEWER)
    except admin.AdminError as exc:
        assert "admin" in str(exc)
    else:
        raise AssertionError("a viewer imported a register")


def test_progress_per_rusun_district_and_city(collector):
    kit.load(collector)
    lifecycle.enrol_card(collector, kit.ADMIN, "P1", "04A1B2C3D4E5F6")
    lifecycle.enrol_card(collector, kit.ADMIN, "P5", "9A8B7C6D")
    lifecycle.move_out(collector, kit.ADMIN, "P3", dt.date(2026, 10, 1))
    p = register.progress(collector, None)
    by = {r["rusun"]: r for r in p["rusun"]}
    assert (by["Marunda"]["residents"], by["Marunda"]["with_card"]) == (3, 1)  # P3 left
    assert (by["Pulo Gebang"]["residents"], by["Pulo Gebang"]["with_card"]) == (2, 1)
    assert by["Marunda"]["flats_without_card"] == 1 and by["Marunda"]["flats_vacant"] == 1
    assert [d["district"] for d in p["districts"]] == ["Jakarta Timur", "Jakarta Utara"]
    assert (p["city"]["residents"], p["city"]["with_card"], p["city"]["per_mille"]) == (5, 2, 400)
    flats = register.flats_without_card(collector, by["Marunda"]["rusun_id"])
    assert [(f["unit"], f["lease_holder"]) for f in flats] == [("MRD-A102", "Dewi Lestari")]
    scoped = register.progress(collector, [by["Pulo Gebang"]["rusun_id"]])
    assert scoped["city"]["residents"] == 2  # a scoped view


def _flat_id(c, name):
    with c.db.read() as tx:
        return next(f.id for f in store.flats(tx) if f.name == name)


def test_an_older_database_is_upgraded_to_the_same_columns(db_url, tmp_path):
    added = {(t, col) for t, col, _ in schema.ADDED_COLUMNS}
    old = []
    for stmt in schema.statements("postgres" if db_url.startswith("postgres") else "sqlite"):
        if stmt.startswith("CREATE TABLE"):
            table = stmt.split()[5]
            lines = [
                ln for ln in stmt.splitlines() if (table, ln.strip().split(" ")[0]) not in added
            ]
            stmt = "\n".join(lines).replace(",\n)", "\n)")
        elif stmt.startswith("CREATE INDEX") and "residents_unit" in stmt:
            continue
        old.append(stmt)
    db = Database.open(db_url)
    try:
        with db.write() as tx:
            for stmt in old:
                tx.run(stmt)
            assert "status" not in schema.columns(tx, "residents")
            tx.run("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")  # before
            tx.run("INSERT INTO rusun (name) VALUES ('Marunda')")
            tx.run("INSERT INTO units (rusun_id, name) VALUES (1, 'MRD-A101')")
            tx.run(
                "INSERT INTO residents (resident_id, name, unit_id, rusun_id, registered_at)"
                " VALUES ('R1', 'Siti', 1, 1, 5)"
            )
        with db.write() as tx:
            schema.create(tx)
            schema.create(tx)  # idempotent
            upgraded = {t: schema.columns(tx, t) for t, _c, _d in schema.ADDED_COLUMNS}
            person = store.person(tx, "R1")
            version = tx.value("SELECT value FROM meta WHERE key = 'schema_version'")
    finally:
        db.close()
    assert person.status == "active" and person.kind == "member" and not person.lease_holder
    assert version == str(schema.SCHEMA_VERSION)
    fresh = Database.open(str(tmp_path / "fresh.db"))
    with fresh.write() as tx:
        schema.create(tx)
        assert upgraded == {t: schema.columns(tx, t) for t in upgraded}
    fresh.close()
