# cardkeys: each rusun's card key and its generations: create, rotate, re-tokenise every card.
# SPDX-License-Identifier: MIT
"""A rusun's card key turns a card's UID into the token its terminals see (docs/protocol.md,
"Card token"). Rotating it makes a new *generation*; the rusun's own cards, and the cards of
other rusun already recognised there, get a token under it, and the rusun's allow-list version
moves. A card is stored with its home tokens only (enrolling writes the card, its home token
and its register event); a token tapped at a rusun where no card has it is matched, at ingest,
against the cards of the rusun's district (``recognise``), and only a match is stored: rows
grow with the cards actually seen away from home, never with cards × sites (docs/security.md,
"Card tokens"). A terminal keeps the generation it was
provisioned with (``terminals.card_key_gen``) until it is re-provisioned (``terminals rotate``):
its allow-list holds its rusun's tokens under that generation, so a rotation never locks a door,
and taps under any generation are recognised. Functions of an open transaction of a
``Collector`` (``sync.service.admin`` calls them).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable

from sync.service.collector import Collector
from sync.store import alert_log, residents
from sync.store import unknown as unknown_tokens
from sync.store.db import Tx
from sync.store.residents import Rusun
from sync.vault import card_tokens

# A new key whose tokens would collide (two active cards of the rusun, or a new token equal to one
# of an older generation there) is drawn again; each draw collides with a probability of a few
# per cent at most (tokens are 32 bits).
_DRAWS = 32


class CardKeyError(Exception):
    """No collision-free key was found (practically impossible; the message says what to do)."""


def purpose(rusun_id: int, gen: int) -> bytes:
    return b"card_key:%d" % rusun_id if gen == 0 else b"card_key:%d:%d" % (rusun_id, gen)


def open_key(c: Collector, tx: Tx, rusun_id: int, gen: int) -> bytes:
    """The rusun's card key of generation ``gen``."""
    return c.vault.open(purpose(rusun_id, gen), residents.card_keys(tx, rusun_id)[gen])


def keys_of(c: Collector, tx: Tx, rusun_id: int) -> dict[int, bytes]:
    """{generation: card key} of every generation of one rusun."""
    sealed = residents.card_keys(tx, rusun_id)
    return {g: c.vault.open(purpose(rusun_id, g), k) for g, k in sealed.items()}


def _all_cards(
    c: Collector, tx: Tx, which: Callable[[int, int], bool]
) -> tuple[list[tuple[int, int, str]], list[bytes]]:
    """([(card id, home rusun id, status)], [UID]) of the stored cards ``which(id, home)``
    chooses."""
    rows = [r for r in residents.cards_all(tx) if which(r[0], r[3])]
    uids = [c.vault.open(b"uid:" + h, enc) for _cid, h, enc, _r, _s in rows]
    return [(cid, home, status) for cid, _h, _e, home, status in rows], uids


def new_generation(c: Collector, tx: Tx, r: Rusun | int, now: int) -> int:
    """A fresh card key for rusun ``r`` (a new one: ``r`` is its id), the tokens under it of the
    rusun's own cards and of the other rusun's cards recognised there, and the home cards'
    tokens moved to it. Returns the new generation."""
    rusun_id = r if isinstance(r, int) else r.id
    gen = 0 if isinstance(r, int) else r.card_key_gen + 1
    mine = set(residents.sighted_cards(tx, rusun_id))
    cards, uids = _all_cards(c, tx, lambda cid, home: home == rusun_id or cid in mine)
    taken = residents.rusun_tokens(tx, rusun_id)
    for _ in range(_DRAWS):
        key = secrets.token_bytes(16)
        toks = card_tokens(key, uids)
        home = [tok for (_cid, h, status), tok in zip(cards, toks) if h == rusun_id
                and status == "active"]  # fmt: skip
        if len(set(home)) == len(home) and not taken.intersection(toks):
            break
    else:
        raise CardKeyError(
            "tidak ada kunci kartu tanpa tabrakan token, coba lagi / no card key without token "
            "collisions was found, try again"
        )
    residents.insert_card_key(tx, rusun_id, gen, c.vault.seal(purpose(rusun_id, gen), key), now)
    residents.insert_card_tokens(
        tx, [(rusun_id, gen, tok, cid) for (cid, _h, _s), tok in zip(cards, toks)]
    )
    residents.set_home_tokens(
        tx, [(cid, tok) for (cid, h, _s), tok in zip(cards, toks) if h == rusun_id]
    )
    if gen:
        residents.bump_allowlist(tx, rusun_id)
        alert_log.add(tx, None, "card_key_rotated", f"rusun {rusun_id}: generation {gen}", now)
    return gen


def gens_in_use(tx: Tx, r: Rusun) -> set[int]:
    """The generations of the rusun's key a new card needs a token under: the current one and
    those its doors still hold."""
    return {r.card_key_gen} | residents.terminal_key_gens(tx, r.id)


class Sightings:
    """Per process: for each (rusun, generation), the tokens under that key of the cards a
    token unknown there is matched against (``residents.candidate_cards``), extended with the
    cards enrolled since (ids only grow). A cache of facts that never change (a UID and a key
    make one token), so it is correct whatever other processes do; thread-safe; the ``MAPS``
    most recently used rusun and generations are kept (memory stays bounded in a city)."""

    MAPS = 128

    def __init__(self) -> None:
        self._maps: OrderedDict[tuple[int, int], tuple[int, dict[int, int]]] = OrderedDict()
        self._lock = threading.Lock()

    def match(self, c: Collector, tx: Tx, rusun_id: int, tokens: set[int]) -> list[tuple]:
        """(rusun_id, gen, token, card_id) for each of ``tokens`` a candidate card has there."""
        out = []
        for gen, key in keys_of(c, tx, rusun_id).items():
            with self._lock:
                upto, found = self._maps.get((rusun_id, gen), (0, {}))
                if (rusun_id, gen) in self._maps:
                    self._maps.move_to_end((rusun_id, gen))
            fresh = residents.candidate_cards(tx, rusun_id, upto)
            if fresh:
                uids = [c.vault.open(b"uid:" + h, enc) for _cid, h, enc in fresh]
                found = dict(found)
                found.update(zip(card_tokens(key, uids), (cid for cid, _h, _e in fresh)))
                with self._lock:
                    self._maps[(rusun_id, gen)] = (fresh[-1][0], found)
                    while len(self._maps) > self.MAPS:
                        self._maps.popitem(last=False)
            out += [(rusun_id, gen, tok, found[tok]) for tok in sorted(tokens) if tok in found]
        return out


def recognise(c: Collector, tx: Tx, rusun_id: int, tokens: set[int]) -> int:
    """Tokens tapped at ``rusun_id`` that no card has there yet: store the matches among the
    candidate cards (a card of another rusun, seen here) and note the rest for the city-wide
    sweep (``sync.service.cardsweep``); returns how many were stored."""
    unknown = tokens - residents.known_tokens(tx, rusun_id, sorted(tokens))
    if not unknown:
        return 0
    rows = c.sightings.match(c, tx, rusun_id, unknown)
    residents.add_sightings(tx, rows)
    unknown_tokens.note(tx, rusun_id, unknown - {r[2] for r in rows}, c.now())
    return len(rows)
