# A viewer cannot make the collector compute whole-fleet reports without bound
# (sync.http.ReportSlots): two reports at a time, one per user, the rest 503 at once. Both
# backends.
# SPDX-License-Identifier: MIT
from sync.service import accounts

VIEWER = ("lihat", "rahasia-lihat-1")
ADMIN = ("kepala", "rahasia-admin-1")
ROUTES = ["/api/reports/" + name for name in
          ("presence", "review", "absent", "other-rusun", "unknown-cards", "health")]  # fmt: skip


def _users(collector):
    accounts.add_user(collector, *VIEWER, "viewer", [])
    accounts.add_user(collector, *ADMIN, "admin", [])


def test_a_user_computes_one_report_at_a_time(app, client, collector):
    _users(collector)
    with app.state.report_slots.hold(VIEWER[0]):  # the viewer's report still running
        for route in ROUTES:
            r = client.get(route, auth=VIEWER)
            assert r.status_code == 503 and r.headers["retry-after"] == "5", route
            assert "\n" not in r.json()["detail"]
        assert client.get(ROUTES[0], auth=ADMIN).status_code == 200  # another user's turn
    for route in ROUTES:
        assert client.get(route, auth=VIEWER).status_code == 200, route


def test_no_more_than_two_reports_at_once_whoever_asks(app, client, collector):
    _users(collector)
    with app.state.report_slots.hold("a"), app.state.report_slots.hold("b"):
        assert client.get(ROUTES[1], auth=VIEWER).status_code == 503
        assert client.get(ROUTES[1], auth=ADMIN).status_code == 503
        assert client.get("/api/terminals", auth=VIEWER).status_code == 200  # not a report
    assert client.get(ROUTES[1], auth=VIEWER).status_code == 200
