# Replays do not fake life: a captured request played again refreshes no "last seen", health
# snapshot or silence alarm; only a request never seen before does (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import pytest

from sync.service import dashboard, reports
from tests.kit.collector_calls import TOKEN_A, day_of_taps, post, register, reply

HOURS_8 = 8 * 3600


def _snapshots(collector, tid):
    with collector.db.read() as tx:
        return tx.value("SELECT COUNT(*) FROM health WHERE terminal_id = ?", (tid,))


def _status(collector, clock):
    health = reports.health(collector)[0]
    alarms = dashboard.terminal_health(collector, int(clock.now), None)[0]["alarms"]
    return health["last_seen"], "silent" in alarms


def _latest_batch(term, client):
    body = day_of_taps(term)
    reply(term, body, post(client, body))
    return body


def _latest_status_request(term, client):
    _latest_batch(term, client)
    status = term.batch({"taps_today": 3})  # nothing new: a signed status request
    reply(term, status, post(client, status))
    return status


@pytest.mark.parametrize("captured", [_latest_batch, _latest_status_request],
                         ids=["batch", "status-request"])  # fmt: skip
def test_replaying_the_latest_request_does_not_refresh_life(collector, client, clock, captured):
    term = register(collector)
    body = captured(term, client)
    seen, silent = _status(collector, clock)
    assert seen == int(clock.now) and not silent
    snapshots = _snapshots(collector, term.terminal_id)
    clock.now += HOURS_8  # the terminal falls silent; someone replays what it sent last
    for _ in range(3):
        response = post(client, body)
        assert response.status_code == 200  # a retry after a lost reply is still answered
    assert _status(collector, clock) == (seen, True)
    assert _snapshots(collector, term.terminal_id) == snapshots
    fresh = term.batch({"taps_today": 4})  # the terminal itself, back: a request never seen
    reply(term, fresh, post(client, fresh))
    assert _status(collector, clock) == (int(clock.now), False)
    assert _snapshots(collector, term.terminal_id) == snapshots + 1


def test_replaying_an_older_request_refreshes_nothing(collector, client, clock):
    term = register(collector)
    first = _latest_batch(term, client)
    term.tap(TOKEN_A)
    second = term.batch()
    reply(term, second, post(client, second))
    seen = reports.health(collector)[0]["last_seen"]
    snapshots = _snapshots(collector, term.terminal_id)
    clock.now += HOURS_8
    assert post(client, first).status_code == 200
    assert _status(collector, clock) == (seen, True)
    assert _snapshots(collector, term.terminal_id) == snapshots
