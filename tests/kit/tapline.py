# tapline: a preallocated PN532 line and a terminal rig on it, for allocation and heap figures.
# SPDX-License-Identifier: MIT
import pn532
from firmware import taps as ftaps
from firmware import wire
from tests.kit.pn532fake import ACK, RSP, QuietLine
from tests.kit.termkit import K0, TID, Rig, tmpdir, token

_CARD = RSP("4B 01 01 00 04 08 04 A1 B2 C3 D4")  # one Classic 1K (SAK 08), UID A1 B2 C3 D4
_EMPTY = RSP("4B 00")


class Line(QuietLine):
    """The terminal's reader line: each command frame written makes ACK + that command's
    prepared answer readable (InListPassiveTarget: the card or an empty field, as ``card`` says;
    the Gen1a probe's InCommunicateThru: silence (status 01), or the backdoor's 0A when
    ``magic``). The recording fakes and the simulator allocate, so they stay out of this
    measurement."""

    def __init__(self):
        super().__init__(ACK())
        self.answers = {0x4A: bytearray(_CARD), 0x4B: bytearray(_EMPTY)}
        for cmd in (0x02, 0x14, 0x32, 0x16):
            self.answers[cmd] = bytearray(RSP("%02X 00 00 00 00" % (cmd + 1)))
        self.answers[0x08] = bytearray(RSP("09"))  # WriteRegister
        self.answers[0x42] = bytearray(RSP("43 01"))  # InCommunicateThru: the card is silent
        self.answers[0x40] = bytearray(RSP("43 00 0A"))  # (key 0x40: the backdoor answered)
        self.card = True
        self.magic = False

    def answer(self, buf):
        if len(buf) > 6 and buf[5] == 0xD4:
            cmd = buf[6]
            if cmd == 0x4A and not self.card:
                cmd = 0x4B
            elif cmd == 0x42 and self.magic and buf[7] == 0x40:
                cmd = 0x40
            self.frames[1] = self.answers.get(cmd, self.ack)
            return True
        return False


def tap_rig():

    root = tmpdir()
    line = Line()
    kc = wire.config_key(K0)
    entries = [(token("A1B2C3D4"), 7)] + [((i * 4294967) & 0xFFFFFFFF, i) for i in range(999)]
    with open(root + "/allow.bin", "wb") as f:
        f.write(wire.encode_allowlist(entries, 1, TID, kc))
    rig = Rig(root=root, reader=pn532.PN532UART(line))
    assert rig.terminal.allow.count == 1000
    return rig, line


def tap_run(terminal, line, clock, n, every_ms=1500, polls=5):
    """``n`` taps of the line's card, ``every_ms`` apart, each taken away after its answer;
    returns how many were stored (TAPPED or DENIED). Allocates nothing of its own.

    The card stays in the field, and then away from it, for up to ``polls`` reader steps 20 ms
    apart, as on a terminal, where both span several polls of the reader task: the driver's
    deadlines run on real ticks, so a loaded host that deschedules this process past one fails
    that poll (FAULT), and the next poll sees the card, or the empty field. Without the second
    look a missed removal leaves the card "held" and the next tap unread."""
    stored = 0
    for _ in range(n):
        clock.advance(every_ms)
        line.card = True
        for _poll in range(polls):
            r = terminal.reader_step()
            if r == ftaps.TAPPED or r == ftaps.DENIED:
                stored += 1
                break
            clock.advance(20)
        line.card = False
        for _poll in range(polls):
            if terminal.reader_step() == ftaps.IDLE:
                break
            clock.advance(20)
    return stored
