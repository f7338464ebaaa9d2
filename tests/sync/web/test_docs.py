# docs/dashboard.md documents every dashboard route, alarm and review reason (docs are tested).
# SPDX-License-Identifier: MIT
from sync.app import create_app
from sync.service import dashboard
from sync.settings import Settings
from tests.kit.paths import DOCS

DOC = (DOCS / "dashboard.md").read_text()


def test_every_route_is_documented(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "hadir.db"), master_key=bytes(32)))
    paths = {getattr(r, "path", "") for r in app.routes}
    paths = {p for p in paths if p.startswith("/dashboard")}
    assert len(paths) >= 10
    for path in paths:
        assert f"`{path}`" in DOC or f"`{path}/…`" in DOC, path
    app.state.collector.db.close()


def test_every_alarm_and_reason_is_documented():
    for code in dashboard.ALARMS:
        assert f"`{code}`" in DOC, code
    for reason in dashboard.REASONS:
        assert f"`{reason}`" in DOC, reason


def test_each_reason_is_documented_in_the_one_wording_the_pages_show():
    """docs/dashboard.md's reason table quotes sync.review.TEXT (sync/review/texts.py), the one
    wording of the dashboard, the reports and the fleet demo: a second wording fails here."""
    from sync.review import TEXT

    for code, (id_text, en_text) in TEXT.items():
        row = f"| `{code}` | {id_text.format(n=14)} / {en_text.format(n=14)} |"
        assert row in DOC, row
