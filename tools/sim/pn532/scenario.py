# scenario: build a simulated PN532 with its field from a plain dict (a parsed JSON scenario).
# SPDX-License-Identifier: MIT
"""``build(spec)`` -> ``PN532`` (its ``field`` attribute holds the cards). Keys, all optional:

``cards``      list of card specs present from power-on, e.g. ``["classic1k:04A1B2C3"]``
``events``     list of ``{"at_command": N, "place": SPEC}`` or ``{"at_command": N, "remove": I}``
               (I: index into ``cards`` + placed cards, in order of appearance, or a UID in hex)
``noise``      ``{"rate": 0.05, "seed": 7}``: corrupt 5 % of the frames sent to the host
``lockup_at``  the chip hangs on its N-th command frame until a reset pulse

The reader troubles a terminal must survive, as specs: a card placed and removed (two events); two
cards in the field (two ``cards``); a card pulled mid-read (``remove`` between authenticate and
read); RF noise (``noise``); a reader lock-up (``lockup_at``).
"""

from binascii import unhexlify

from tools.sim.pn532.cards import from_spec
from tools.sim.pn532.chip import PN532
from tools.sim.pn532.field import Field


def build(spec):
    known = [from_spec(s) for s in spec.get("cards", ())]
    field = Field(known)
    for ev in spec.get("events", ()):
        n = int(ev["at_command"])
        if "place" in ev:
            card = from_spec(ev["place"])
            known.append(card)
            field.at(n, field.place, card)
        else:
            field.at(n, field.remove, _find(known, ev["remove"]))
    chip = PN532(field)
    if "noise" in spec:
        chip.noise(float(spec["noise"]["rate"]), int(spec["noise"].get("seed", 1)))
    if "lockup_at" in spec:
        chip.lock_at = int(spec["lockup_at"])
    return chip


def _find(cards, ref):
    if isinstance(ref, int):
        return cards[ref]
    uid = unhexlify(ref)
    for card in cards:
        if card.uid == uid:
            return card
    raise ValueError("no such card: " + ref)
