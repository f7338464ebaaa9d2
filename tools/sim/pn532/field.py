# field: the RF field in front of the simulated PN532: cards present, and scripted events.
# SPDX-License-Identifier: MIT
"""``Field(cards)`` holds the cards in range, in anticollision order (the first one is listed
first). Events are scripted against the count of command frames the chip has received, so a
scenario plays the same way on every run and interpreter:

    field.at(3, field.remove, card)    # pulled out as the third command arrives
"""


class Field:
    def __init__(self, cards=()):
        self.cards = list(cards)
        self._events = []  # (command number, function, argument)

    def place(self, card):
        if card not in self.cards:
            card.activate()
            card.halted = False
            self.cards.append(card)
        return card

    def remove(self, card):
        if card in self.cards:
            self.cards.remove(card)
            card.reset_session()  # out of the field the card has no power (ISO/IEC 14443-3)

    def clear(self):
        for card in list(self.cards):
            self.remove(card)

    def at(self, command, fn, arg=None):
        """Run ``fn(arg)`` when the chip receives its ``command``-th command frame."""
        self._events.append((command, fn, arg))

    def on_command(self, n):
        due = [e for e in self._events if e[0] <= n]
        for e in due:
            self._events.remove(e)
            if e[2] is None:
                e[1]()
            else:
                e[1](e[2])

    def power_cycle(self):
        """The reader's field went off and on: every card starts again from power-on."""
        for card in self.cards:
            card.halted = False
            card.reset_session()
