# Unauthenticated verification work (sync/service/budget.py, verify.authenticate): it runs
# outside the write lock and is charged to the claimed terminal and the client address.
# SPDX-License-Identifier: MIT
import os
import threading

from firmware import wire
from sync.service import budget, ingest, reports
from tests.kit.collector_calls import WALL, post, register, reply

WAIT_S = 30  # safety net for a thread that never finishes; the assertions are about order


def _full_batch(term, taps=wire.MAX_BATCH_SLOTS - 3) -> bytes:
    term.boot()
    term.clock(WALL)
    for i in range(taps):
        term.tap(i.to_bytes(4, "big"), advance_ms=1000)
    return term.batch()


def _forged(body: bytes) -> bytes:
    """A captured batch (genuine seals, not stored yet) sent with a request MAC of our own: the
    collector must search later keys for it (docs/collector.md, "Request key")."""
    return body[: -wire.REQUEST_MAC_LEN] + os.urandom(wire.REQUEST_MAC_LEN)


def test_a_forger_spends_the_terminals_budget_not_the_terminals_service(client, collector):
    term = register(collector)
    genuine = _full_batch(term)
    forged = _forged(genuine)
    assert post(client, forged).status_code == 401  # searched, refused
    r = post(client, forged)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "coba lagi" in r.json()["detail"]
    # The genuine terminal's request is signed with the key at its head: one MAC, free.
    assert reply(term, genuine, post(client, genuine))[0] == wire.REPLY_OK
    kinds = [a["kind"] for a in reports.alerts(collector, term.terminal_id)]
    assert "throttled" in kinds


def test_each_address_has_its_own_budget_across_terminals(collector):
    bodies = [_forged(_full_batch(register(collector, "Cakung", n))) for n in (1, 2, 3, 4)]
    assert ingest.upload(collector, bodies[0], "10.0.0.1").http == 401
    assert ingest.upload(collector, bodies[1], "10.0.0.1").http == 401
    # A third terminal claimed from the same address: the address's budget is spent ...
    assert ingest.upload(collector, bodies[2], "10.0.0.1").http == 429
    # ... not another address's.
    assert ingest.upload(collector, bodies[3], "10.0.0.2").http == 401


def test_the_budget_refills_with_time(collector, clock):
    term = register(collector)
    forged = _forged(_full_batch(term))
    assert ingest.upload(collector, forged, "10.0.0.1").http == 401
    assert ingest.upload(collector, forged, "10.0.0.1").http == 429
    clock.now += 3600
    assert ingest.upload(collector, forged, "10.0.0.1").http == 401


def test_verification_runs_outside_the_write_lock(collector, monkeypatch):
    """An honest upload of the same terminal is stored while a forged request's key search is
    still running (before: the search held the write lock, and the honest upload waited)."""
    term = register(collector)
    honest = _full_batch(term, taps=20)
    forger = register(collector)  # same id, any key: only the claimed epoch matters here
    forger.terminal_id = term.terminal_id
    forger.epoch = 50_000
    far_ahead = forger.batch()  # a status request claiming epoch 50,000: 50,000 evolutions
    searching = threading.Event()
    release = threading.Event()
    real = wire.evolve_key

    def evolve(key):
        if threading.current_thread() is attacker:
            searching.set()
            release.wait(WAIT_S)
        return real(key)

    monkeypatch.setattr(wire, "evolve_key", evolve)
    out = {}
    attacker = threading.Thread(
        target=lambda: out.setdefault("forged", ingest.upload(collector, far_ahead, "10.6.6.6"))
    )
    genuine = threading.Thread(
        target=lambda: out.setdefault("honest", ingest.upload(collector, honest))
    )
    attacker.start()
    assert searching.wait(WAIT_S)
    genuine.start()
    genuine.join(WAIT_S)
    stored_meanwhile = not genuine.is_alive()
    release.set()
    attacker.join(WAIT_S)
    genuine.join(WAIT_S)
    assert stored_meanwhile
    assert out["honest"].http == 200 and out["honest"].stored == 22
    assert out["forged"].http == 401


def test_one_long_search_at_a_time_and_none_holds_up_a_genuine_request(collector):
    """Many addresses, each with a full budget, cannot run their long searches side by side
    (bench/security.py measured 40 s honest uploads behind 60 of them): while one holds the slow
    lane, another is 429 at once; a genuine request, one MAC, needs no lane."""
    term = register(collector)
    honest = _full_batch(term, taps=20)
    forged = _forged(_full_batch(register(collector, "Cakung", 2)))
    searching = collector.budget.work(0, "10.0.0.7")
    searching.spend(budget.FREE + 1)  # a long search under way for another request
    try:
        r = ingest.upload(collector, forged, "10.0.0.9")
        assert r.http == 429 and "retry in 10 s" in r.reason
        assert ingest.upload(collector, honest, "10.0.0.8").http == 200
    finally:
        searching.done()
    assert ingest.upload(collector, forged, "10.0.0.9").http == 401  # its turn: searched
