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
