# The access audit: every admin API request, resident page view, export and dashboard form is
# one append-only row (who, when, what, from where) that supervisors query and export.
# SPDX-License-Identifier: MIT
import re

import pytest

from sync.cli_privacy import audit_command
from sync.service import accounts, audit
from sync.store import audit as audit_rows
from tests.kit import register as kit

PASSWORD = "kata-sandi-benar"


@pytest.fixture
def people(collector):
    kit.load(collector)
    accounts.add_user(collector, "kepala", PASSWORD, "admin", [])
    accounts.add_user(collector, "pantau", PASSWORD, "viewer", [])
    accounts.add_user(collector, "dpo", PASSWORD, "supervisor", [])
    return collector


def _all(c):
    with c.db.read() as tx:
        return audit_rows.rows(tx, limit=1000)


def test_each_admin_request_is_one_row_with_who_what_and_where(people, client):
    r = client.get("/api/residents?rusun=Marunda", auth=("kepala", PASSWORD))
    assert r.status_code == 200
    client.get("/api/reports/presence?format=csv", auth=("kepala", PASSWORD))
    r = client.post("/api/terminals", json={"rusun": "Marunda", "door": 1},
                    auth=("kepala", PASSWORD))  # fmt: skip
    tid = r.json()["terminal_id"]
    client.post(f"/api/terminals/{tid}/revoke", auth=("kepala", PASSWORD))
    rows = _all(people)[::-1]
    assert [(x["user_name"], x["via"], x["kind"], x["action"]) for x in rows] == [
        ("kepala", "api", "view", "GET /api/residents"),
        ("kepala", "api", "export", "GET /api/reports/presence"),
        ("kepala", "api", "change", "POST /api/terminals"),
        ("kepala", "api", "change", "POST /api/terminals/{terminal_id}/revoke"),
    ]
    assert rows[0]["peer"] == "testclient" and '"rusun": "Marunda"' in rows[0]["detail"]
    assert rows[3]["target"] == f"terminal_id={tid}"
    assert all(x["at"] == people.now() for x in rows)
    assert "k0" not in str(rows)  # the bundle's secret is in no row


def test_the_table_is_append_only(people, client):
    client.get("/api/residents", auth=("kepala", PASSWORD))
    with pytest.raises(Exception, match="append-only"):
        with people.db.write() as tx:
            tx.run("UPDATE access_audit SET user_name = 'someone-else'")
    assert _all(people)[0]["user_name"] == "kepala"


def test_only_supervisors_and_admins_of_every_rusun_read_it(people, client):
    client.get("/api/residents", auth=("pantau", PASSWORD))
    assert client.get("/api/audit", auth=("pantau", PASSWORD)).status_code == 403
    accounts.add_user(people, "mrd", PASSWORD, "admin", ["Marunda"])
    assert client.get("/api/audit", auth=("mrd", PASSWORD)).status_code == 403
    r = client.get("/api/audit?who=pantau", auth=("dpo", PASSWORD))
    assert r.status_code == 200
    assert [x["action"] for x in r.json()] == ["GET /api/audit", "GET /api/residents"]
    csv = client.get("/api/audit?format=csv&kind=view", auth=("dpo", PASSWORD)).text
    assert csv.splitlines()[0].startswith("id,at,user_name,via,peer,kind,action")
    assert "GET /api/residents" in csv
    # Reading the audit is itself audited, and the refused attempts too.
    assert {x["user_name"] for x in _all(people) if x["action"] == "GET /api/audit"} == {
        "pantau", "mrd", "dpo"}  # fmt: skip


def _login(client, user):
    page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/dashboard/login", data={"csrf": csrf, "username": user, "password": PASSWORD},
                follow_redirects=False)  # fmt: skip


def test_dashboard_resident_views_are_audited_and_shown_to_the_supervisor(people, client):
    _login(client, "pantau")
    assert client.get("/dashboard/resident/P1").status_code == 200
    assert client.get("/dashboard/").status_code == 200  # shows nobody: not a row
    assert client.get("/dashboard/audit").status_code == 403
    rows = [x for x in _all(people) if x["via"] == "dashboard"]
    assert [(x["user_name"], x["kind"], x["action"]) for x in rows] == [
        ("pantau", "view", "GET /dashboard/audit"),
        ("pantau", "view", "GET /dashboard/resident/P1"),
    ]
    client.cookies.clear()
    _login(client, "dpo")
    page = client.get("/dashboard/audit?who=pantau").text
    assert "/dashboard/resident/P1" in page and 'href="/dashboard/audit"' in page
    csv = client.get("/dashboard/audit.csv?who=pantau")
    assert csv.status_code == 200 and "GET /dashboard/resident/P1" in csv.text


def test_the_command_line_names_the_operator(people):
    audit_command(people, ["export", "presence", "out.csv", "--days", "7"])
    audit_command(people, ["terminals", "revoke", "7"])
    audit_command(people, ["cases", "list"])
    rows = _all(people)[::-1]
    assert [(x["via"], x["kind"], x["action"]) for x in rows] == [
        ("cli", "export", "cli export presence"),
        ("cli", "change", "cli terminals revoke"),
        ("cli", "view", "cli cases list"),
    ]
    assert rows[0]["user_name"].startswith("cli:") and '"--days"' in rows[0]["detail"]


def test_the_command_line_row_holds_no_database_password(people):
    audit_command(people, ["--db", "postgresql://hadir:rahasia@db/hadir", "purge", "--dry-run"])
    audit_command(people, ["--db=postgresql://hadir:rahasia@db/hadir", "init"])
    audit_command(people, ["report", "presence", "--rusun", "postgresql://u:rahasia@x/y"])
    rows = _all(people)[::-1]
    assert [x["action"] for x in rows] == ["cli purge", "cli init", "cli report presence"]
    assert "rahasia" not in str(rows)


def test_a_user_name_that_looks_like_a_formula_is_quoted_in_the_export(people):
    with people.db.write() as tx:
        audit_rows.append(tx, at=1, user="=HYPERLINK(1)", via="api", action="x")
    assert "'=HYPERLINK(1)" in audit.to_csv(audit.query(people, kit.ADMIN))
