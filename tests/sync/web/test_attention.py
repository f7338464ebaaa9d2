# The overview's "needs action" list (sync.service.attention): each incident from what the
# terminal sent, with since when, its rusun and door; nothing for another rusun.
# SPDX-License-Identifier: MIT
from firmware import wire
from sync.service import admin, attention, ingest
from sync.service.scope import OPERATOR
from sync.store import residents
from tests.kit.wirekit import PaperTerminal

HOUR = 3600


def _upload(c, term: PaperTerminal) -> None:
    out = ingest.upload(c, term.batch())
    assert out.http == 200 and out.status == wire.REPLY_OK, out


def test_every_incident_shows_with_since_when_rusun_and_door(collector, clock):
    c = collector
    bundle = admin.add_terminal(c, "Marunda", 2, scope=OPERATOR)
    term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    t0 = int(clock.now) - 2 * 86400
    clock.now = t0
    term.boot(door=2)
    term.clock(t0 - wire.HOST_EPOCH_OFFSET, advance_ms=0)
    term.event(wire.STORAGE, wire.STORAGE_WARNING)  # t0 + 1: 80 % full
    term.event(wire.STORAGE, wire.STORAGE_FULL)  # t0 + 2: a tap refused
    term.event(wire.READER_FAULT, 1, 3)  # a retransmit: not a reset, not listed
    term.event(wire.READER_FAULT, 3, 5)  # t0 + 4: a reset pulse
    term.clock(t0 - 60 - wire.HOST_EPOCH_OFFSET)  # t0 + 5 by its uptime: a clock jump back
    clock.now = t0 + 10
    _upload(c, term)
    clock.now = t0 + 10 * HOUR  # ten hours without contact: an outage
    term.event(wire.HEARTBEAT)
    _upload(c, term)
    at = t0 + 18 * HOUR  # eight more hours of silence: still going on
    found = {i["kind"]: i for i in attention.incidents(c, at, None)}
    assert set(found) == set(attention.KINDS)
    assert all(i["rusun"] == "Marunda" and i["door"] == 2 for i in found.values())
    assert found["storage"]["since"] == t0 + 1
    assert found["refused"]["since"] == t0 + 2
    assert found["reader"]["since"] == t0 + 4 and found["reader"]["count"] == 1
    assert found["clock_jump"]["since"] == t0 - 60
    outage = found["outage"]
    assert (outage["since"], outage["last"], outage["ongoing"]) == (t0 + 10, t0 + 10 * HOUR, False)
    silent = found["silent"]
    assert (silent["since"], silent["last"], silent["ongoing"]) == (t0 + 10 * HOUR, None, True)
    # A week later none of it is recent, and the terminal is only silent.
    later = attention.incidents(c, at + 8 * 86400, None)
    assert [i["kind"] for i in later] == ["silent"]
    # Another rusun's user sees none of it.
    with c.db.read() as tx:
        marunda = next(r.id for r in residents.rusun_all(tx) if r.name == "Marunda")
    assert attention.incidents(c, at, [marunda + 1000]) == []
    # A minute after its last contact the terminal is not silent.
    assert "silent" not in {i["kind"] for i in attention.incidents(c, t0 + 10 * HOUR + 60, None)}
