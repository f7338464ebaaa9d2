# cardkeys: each rusun's card key and its generations: create, rotate, re-tokenise every card.
# SPDX-License-Identifier: MIT
"""A rusun's card key turns a card's UID into the token its terminals see (docs/protocol.md,
"Card token"). Rotating it makes a new *generation*; every card gets a token under it (at its
home rusun, for the allow-list, and at every other rusun, to recognise a card tapped away from
home) and the rusun's allow-list version moves. A terminal keeps the generation it was
provisioned with (``terminals.card_key_gen``) until it is re-provisioned (``terminals rotate``):
its allow-list holds its rusun's tokens under that generation, so a rotation never locks a door,
and taps under any generation are recognised. Functions of an open transaction of a
``Collector`` (``sync.service.admin`` calls them).
"""

from __future__ import annotations

import secrets

from sync.service.collector import Collector
from sync.store import alert_log, residents
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


def _all_cards(c: Collector, tx: Tx) -> tuple[list[tuple[int, int, str]], list[bytes]]:
    """([(card id, home rusun id, status)], [UID]) of every stored card."""
    rows = residents.cards_all(tx)
    uids = [c.vault.open(b"uid:" + h, enc) for _cid, h, enc, _r, _s in rows]
    return [(cid, home, status) for cid, _h, _e, home, status in rows], uids


def new_generation(c: Collector, tx: Tx, r: Rusun | int, now: int) -> int:
    """A fresh card key for rusun ``r`` (a new one: ``r`` is its id), every stored card's token
    under it, and the rusun's home cards' tokens moved to it. Returns the new generation."""
    rusun_id = r if isinstance(r, int) else r.id
    gen = 0 if isinstance(r, int) else r.card_key_gen + 1
    cards, uids = _all_cards(c, tx)
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
