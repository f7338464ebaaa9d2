# The alert rows of refused requests are limited per claimed terminal (sync/service/alerts.py):
# a client flooding forged requests cannot fill the disk nor drown the alerts admins read.
# SPDX-License-Identifier: MIT
import os

from firmware import wire
from sync.service import reports
from sync.service.alerts import PER_DAY, PER_MINUTE, AlertLimiter
from tests.kit.collector_calls import day_of_taps, post, register


def _forged_status(term) -> bytes:
    body = term.batch()
    return body[: -wire.REQUEST_MAC_LEN] + os.urandom(wire.REQUEST_MAC_LEN)


def _rows(collector, tid=None):
    return reports.alerts(collector, tid, limit=1000)


def test_a_flood_of_forged_requests_writes_a_few_rows_then_a_count(client, collector, clock):
    term = register(collector)
    forged = _forged_status(term)
    for _ in range(100):
        assert post(client, forged).status_code == 401
    assert len(_rows(collector, term.terminal_id)) == PER_MINUTE
    clock.now += 60
    assert post(client, forged).status_code == 401
    newest = _rows(collector, term.terminal_id)[0]
    assert newest["kind"] == "bad_request_mac"
    assert "+90 similar refusals not recorded" in newest["detail"]


def test_inventing_terminal_ids_shares_one_allowance(client, collector):
    for tid in range(1000, 1100):
        body = wire.encode_batch(tid, 0, 0, bytes(8), wire.pack_health({}), b"", bytes(32))
        assert post(client, body).status_code == 401
        assert post(client, b"HDB1" + tid.to_bytes(4, "big") + b"junk").status_code == 400
    assert len(_rows(collector)) == PER_MINUTE


def test_forgeries_cannot_hide_what_only_the_key_holder_can_do(client, collector):
    term = register(collector)
    forged = _forged_status(register(collector, door=2))
    forged = forged[:4] + term.terminal_id.to_bytes(4, "big") + forged[8:]
    for _ in range(50):
        post(client, forged)
    body = day_of_taps(term)
    tampered = bytearray(body)
    tampered[wire.HEADER_LEN + 3] ^= 1  # a record changed under its seal, request re-signed
    b = wire.decode_batch(bytes(tampered))
    resigned = wire.encode_batch(b.terminal_id, b.first_seq, b.epoch, b.prev_mac,
                                 wire.pack_health({}), b.slots, term.key)  # fmt: skip
    assert post(client, resigned).status_code == 200  # a signed "damaged" reply
    kinds = [a["kind"] for a in _rows(collector, term.terminal_id)]
    assert kinds[0] == "bad_seal"


def test_a_daily_cap_then_silence_until_the_next_day():
    limit = AlertLimiter()
    day = 20_000 * 86400
    written = []
    for i in range(PER_DAY * 2):
        row = limit.admit(7, "replay", "again", day + i * 6)  # one every 6 s: within the rate
        if row:
            written.append(row)
    assert len(written) == PER_DAY + 1
    assert written[-1][0] == "suppressed" and "500 alert rows today" in written[-1][1]
    row = limit.admit(7, "replay", "again", day + 86400)
    assert row is not None and "similar refusals not recorded" in row[1]
    assert limit.admit(8, "replay", "other terminal", day + 6 * PER_DAY) is not None
