# schemathesis over the collector's OpenAPI document: no input gives a server error (5xx).
# SPDX-License-Identifier: MIT
import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from tests.kit.collector_calls import register

ADMIN = ("admin", "rahasia-admin-1")
AUTH = {"Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()}


@pytest.fixture
def api_schema(app, collector):
    accounts.add_user(collector, *ADMIN, "admin", [])
    register(collector, "Marunda", 1)
    admin.import_residents(
        collector,
        ["resident_id,name,unit,rusun,card_uid", "R1,Siti,MRD-1,Marunda,04A1B2C3D4E5F6"],
        scope=OPERATOR,
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema):
    """Every operation, a bounded number of generated requests each (max_examples)."""
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)  # fmt: skip
        def run(case):
            response = case.call(headers=AUTH)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        run()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert "POST /v1/batches" in checked and "GET /api/reports/absent" in checked
