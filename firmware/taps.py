# taps: the tap path (poll → identity → token → allow-list → debounce → durable log → feedback).
# SPDX-License-Identifier: MIT
"""``Taps(terminal)``: ``step()`` runs one non-blocking poll cycle of the PN532 and returns one
of the results below. The order on a card is fixed: the record is durable in the log *before*
the resident gets the answer, and nothing on the way allocates after warm-up (buffers and the
AES cipher are made here once; the token is a view of a preallocated buffer).

A MIFARE Classic card (by SAK) about to be logged is probed for the Gen1a backdoor first
(``nfc_card.Card.magic_gen1a``); a clone gets ``wire.CARD_MAGIC_SUSPECT`` on its record.
A card that stays in the field fires once (an event only when the UID changes); the same
card tapped again within ``debounce_s`` is logged once but always answered. A reader that stops
answering (no ACK or no answer by the poll deadline, or a ``PN532Error``) climbs the recovery
ladder of ``reader_health``; steps from re-init on are logged as READER_FAULT slots.
"""

import nfc_card
import pn532
import reader_health
from compat import aes, const, ticks_diff, ticks_ms
from firmware import texts, wire
from firmware.allow import ABSENT
from firmware.log import LogFull

IDLE = const(0)  # no card (or a faulty reader waiting out its backoff)
BUSY = const(1)  # poll outstanding
TAPPED = const(2)  # TAP stored, answered
DENIED = const(3)  # DENIED stored, answered
REPEAT = const(4)  # same card within debounce_s: answered, not stored again
FULL = const(5)  # log full: "Tidak tercatat", nothing stored
FAULT = const(6)  # reader failure, ladder step taken
HELD = const(7)  # the same card still in the field: no new event
_RING = const(8)  # cards remembered for debouncing
_FP_MAX = const(268)  # uid 10 + atqa 2 + sak 1 + ats 254
# Gen1a probe (docs/terminal.md, "Clone probe"): the chip's wait for a card's answer,
# RFConfiguration item 2 fRetryTimeout code 0x05 = 1.6 ms (UM0701-02 §7.3.1; default 0x0A =
# 51.2 ms, paid twice by every genuine card: HLTA and the backdoor go unanswered). A Gen1a
# answers the 7-bit 0x40 within ~0.1 ms (ISO/IEC 14443-3 FDT + 4 bits at 106 kbit/s).
RETRY_TIMEOUT = const(0x05)
_PROBE_HOST_MS = const(25)  # host wait per probe answer: bounds a chip that ignores the above


class Taps:
    def __init__(self, terminal, card_key, poll_timeout_ms=150):
        self.t = terminal
        self.reader = terminal.hw.reader
        self.reader.retry_timeout = RETRY_TIMEOUT  # sent by every reader.init()
        self.card = nfc_card.Card(self.reader)
        self.health = reader_health.ReaderHealth(self.reader)
        self._cipher = aes(card_key, 1)  # created once (docs/protocol.md, card token)
        self._ident = bytearray(16)
        self._out = bytearray(16)
        self._tok = memoryview(self._out)[0:4]
        self._last = bytearray(4)
        self._fp = bytearray(_FP_MAX)
        self._ring_tok = bytearray(4 * _RING)
        self._ring_t = [0] * _RING
        self._ring_msg = bytearray(_RING)
        self._ring_used = bytearray(_RING)
        self._ring_next = 0
        self._polling = False
        self._present = False
        self._t0 = 0
        self._timeout = poll_timeout_ms
        self.read_errors = 0
        self.taps = 0
        self.repeats = 0
        self.refused = 0
        self.probes = 0
        self.magic = 0
        self._probe_open = False  # CIU framing still raw after a probe: restore after feedback
        self.fault_logged = False

    def step(self):
        t = self.t
        now = t.hw.clock.ticks_ms()
        r = self.reader
        if not self._polling:
            if not self.health.may_try(now):
                return IDLE
            try:
                r.start_poll(self._timeout)
            except pn532.PN532Error:
                return self._failed(now)
            self._polling = True
            self._t0 = ticks_ms()  # the driver's own clock: its deadline runs on it
        try:
            res = r.poll()
        except pn532.PN532Error:
            self._polling = False
            return self._failed(now)
        if res == pn532.WOULDBLOCK:
            return BUSY
        self._polling = False
        if res == pn532.TIMEOUT:
            if ticks_diff(ticks_ms(), self._t0) >= self._timeout:
                return self._failed(now)  # no answer by the deadline: the chip is not there
            self._ok()
            self._present = False
            return IDLE
        self._ok()
        return self._tap(now)

    def _ok(self):
        if self.health.failures:
            self.health.ok()
            self.fault_logged = False

    def _same(self, buf, off):
        tok = self._tok
        for i in range(4):
            if buf[off + i] != tok[i]:
                return False
        return True

    def _tap(self, now):
        t = self.t
        card = self.card
        card.identity16(self._ident)
        wire.card_token(self._cipher, self._ident, self._out)
        tok = self._tok
        if self._present and self._same(self._last, 0):
            return HELD
        self._present = True
        for i in range(4):
            self._last[i] = tok[i]
        n = card.fingerprint_input(self._fp)
        fp = wire.fingerprint16(self._fp, n)
        enrolled = t.allow.find(tok)
        flags = wire.CARD_RANDOM_UID if card.random_uid() else 0
        if enrolled >= 0:
            flags |= wire.CARD_ENROLLED
            # 0: enrolled without ATQA/SAK/ATS (a CSV import without them), nothing to compare.
            if enrolled and enrolled != fp:
                flags |= wire.CARD_FINGERPRINT_MISMATCH
        kind = wire.DENIED if enrolled == ABSENT else wire.TAP
        debounce_ms = t.config["debounce_s"] * 1000
        for i in range(_RING):
            if (
                self._ring_used[i]
                and self._same(self._ring_tok, 4 * i)
                and ticks_diff(now, self._ring_t[i]) < debounce_ms
            ):
                t.feedback.show(self._ring_msg[i])
                self.repeats += 1
                return REPEAT
        if card.classic():
            flags |= self._probe()
        try:
            return self._store(kind, flags, now)
        finally:
            if self._probe_open:  # after the feedback: the restore is off the answer's path
                self._end_probe()

    def _store(self, kind, flags, now):
        t = self.t
        tok = self._tok
        try:
            t.log.append(kind, flags, tok, t.uptime24())
        except LogFull:
            t.feedback.show(texts.FULL)
            self.refused += 1
            return FULL
        if kind == wire.DENIED:
            msg = texts.DENIED
        else:
            msg = texts.OK if t.online() else texts.OFFLINE
        t.feedback.show(msg)
        i = self._ring_next
        self._ring_next = (i + 1) % _RING
        for j in range(4):
            self._ring_tok[4 * i + j] = tok[j]
        self._ring_t[i] = now
        self._ring_msg[i] = msg
        self._ring_used[i] = 1
        self.taps += 1
        t.appended()
        return DENIED if kind == wire.DENIED else TAPPED

    def _probe(self):
        """Gen1a probe of a MIFARE Classic card (by SAK) about to be logged: once per new
        record, never for a held card or a repeat. The card is left halted; the next poll
        selects it again and sees it held. CRC and framing are restored after the feedback
        (``_end_probe``). A reader error here costs the flag, not the tap."""
        self.probes += 1
        try:
            magic = self.card.magic_gen1a(_PROBE_HOST_MS, False, False)
        except pn532.PN532Error:  # the probe restored what it could itself
            self.read_errors += 1
            return 0
        self._probe_open = True
        if magic:
            self.magic += 1
            return wire.CARD_MAGIC_SUSPECT
        return 0

    def _end_probe(self):
        self._probe_open = False
        try:
            self.card.end_probe(False)
        except pn532.PN532Error:  # the next poll meets the broken reader and climbs the ladder
            self.read_errors += 1

    def clear_fault(self):
        """A remote ``clear_fault``: try the reader at the next poll instead of waiting out the
        back-off, and log the next fault again."""
        self.health.retry_now(self.t.hw.clock.ticks_ms())
        self.fault_logged = False

    def _failed(self, now):
        self.read_errors += 1
        h = self.health
        step = h.failed(now)
        if step >= reader_health.STEP_REINIT and not self.fault_logged:
            self.fault_logged = step == reader_health.STEP_FAULTY
            self.t.log_event(wire.READER_FAULT, step, h.failures)
        if step == reader_health.STEP_FAULTY:
            self.t.feedback.show(texts.READER)
        return FAULT
