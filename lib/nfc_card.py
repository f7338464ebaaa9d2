# nfc_card: card identity, family, MIFARE Classic / Ultralight reads and clone hints over a reader.
# SPDX-License-Identifier: MIT
"""Card logic kept apart from the reader chip, so a simulator or another reader reuses it; works
with any reader object that has ``target`` (uid_len/uid_into/atqa_into/sak/ats_len/ats_into),
``in_data_exchange``, ``in_communicate_thru_status``/``response_len``/``response_byte``,
``write_register_bytes``, ``read_passive_target`` and ``response``.

- ``identity16(into)``: the 16-byte token input ``uid_len | uid zero-padded to 10 | 5 zeros``
  (docs/protocol.md, card token); ``fingerprint_input(into) -> n``: ``uid | atqa | sak | ats``.
- ``family()``: decided by SAK (and ATS), never by UID length (NXP AN10833, SAK table).
- ``authenticate(block, key)`` + ``read_block(block, into)`` (MIFARE Classic), ``read_pages``.
- Clone hints as the TAP record's card flags: ``FLAG_FP_MISMATCH``, ``FLAG_MAGIC``,
  ``FLAG_RANDOM_UID``; ``magic_gen1a()`` probes the backdoor, ``classic()`` says whether the
  card is of a family worth probing (MIFARE Classic by SAK).
"""

from compat import const
from pn532 import PN532Error, PN532FrameError

FAMILY_UNKNOWN = const(0)
FAMILY_CLASSIC_1K = const(1)
FAMILY_CLASSIC_4K = const(2)
FAMILY_CLASSIC_MINI = const(3)
FAMILY_ULTRALIGHT = const(4)  # Ultralight, Ultralight C, NTAG21x: SAK 0x00
FAMILY_ISO_DEP = const(5)  # ISO/IEC 14443-4 (DESFire, smart cards): SAK bit 6, ATS present

# Card flags, as in the TAP record (docs/protocol.md).
FLAG_FP_MISMATCH = const(0x2)
FLAG_MAGIC = const(0x4)
FLAG_RANDOM_UID = const(0x8)

IDENTITY_LEN = const(16)
_SAK_UID_INCOMPLETE = const(0x04)  # ISO/IEC 14443-3: cascade bit, UID not complete
_SAK_CLASSIC = const(0x08)
_SAK_4K = const(0x10)
_SAK_ISO_DEP = const(0x20)
_MF_AUTH_A = const(0x60)  # MIFARE Classic commands (MF1S50 data sheet)
_MF_AUTH_B = const(0x61)
_MF_READ = const(0x30)  # also Ultralight/NTAG READ: 4 pages (16 bytes)
_MF_HALT = const(0x50)
_GEN1A_ANSWER = const(0x0A)  # 4-bit ACK of the Gen1a backdoor
# CIU registers (PN532 data sheet, CIU register map): TxMode 0x6302 and RxMode 0x6303 hold the
# CRC enables (0x80), BitFraming 0x633D the number of bits of the last byte sent. WriteRegister
# payloads of (address high, address low, value) triples, as bytes constants: the probe builds
# nothing, and a frozen build keeps them in flash (a tuple of the 16-bit addresses would freeze
# as long ints, which allocate at every use).
_RAW_7BIT = b"\x63\x02\x00\x63\x03\x00\x63\x3d\x07"  # TX_MODE 0, RX_MODE 0, BIT_FRAMING 7
_RESTORE = b"\x63\x3d\x00\x63\x02\x80\x63\x03\x80"  # BIT_FRAMING 0, TX/RX_MODE: CRC on


class Card:
    def __init__(self, reader):
        self.reader = reader
        self._cmd = bytearray(12)  # auth: cmd, block, key(6), uid(4)

    @property
    def target(self):
        return self.reader.target

    def identity16(self, into):
        """Write ``uid_len | uid padded to 10 | 5 zero bytes`` into ``into[0:16]``."""
        t = self.reader.target
        for i in range(IDENTITY_LEN):
            into[i] = 0
        into[0] = t.uid_len
        t.uid_into(into, 1)
        return IDENTITY_LEN

    def fingerprint_input(self, into):
        """Write ``uid | atqa | sak | ats`` into ``into``; return the length."""
        t = self.reader.target
        n = t.uid_into(into, 0)
        n += t.atqa_into(into, n)
        into[n] = t.sak
        n += 1
        return n + t.ats_into(into, n)

    def family(self):
        """Card family from SAK and ATS (NXP AN10833 SAK table); never from the UID length."""
        sak = self.reader.target.sak
        if sak & _SAK_UID_INCOMPLETE:
            return FAMILY_UNKNOWN
        if sak == 0x00:
            return FAMILY_ULTRALIGHT
        if sak & _SAK_CLASSIC:  # 0x08/0x88 1K, 0x18 4K, 0x09 Mini; 0x28/0x38 also ISO-DEP
            if sak & 0x01:
                return FAMILY_CLASSIC_MINI
            return FAMILY_CLASSIC_4K if sak & _SAK_4K else FAMILY_CLASSIC_1K
        if sak & _SAK_ISO_DEP and self.reader.target.ats_len:
            return FAMILY_ISO_DEP
        return FAMILY_UNKNOWN

    def classic(self):
        """MIFARE Classic family (1K, 4K, Mini) by SAK: the cards a Gen1a copies."""
        f = self.family()
        return f == FAMILY_CLASSIC_1K or f == FAMILY_CLASSIC_4K or f == FAMILY_CLASSIC_MINI

    def random_uid(self):
        """ISO/IEC 14443-3: a single-size UID whose first byte is 0x08 is random per session."""
        t = self.reader.target
        return t.uid_len == 4 and t._uid[0] == 0x08

    # --- MIFARE Classic / Ultralight ------------------------------------------------------

    def authenticate(self, block, key, key_b=False):
        """MIFARE Classic auth through InDataExchange (UM0701-02 §7.3.8).

        The card takes the last four UID bytes: for a 7-byte UID that is UID[3:7] (MF1S70 data
        sheet, and every PN532 driver that works with 7-byte cards). A failed auth leaves the
        card halted, so it is re-selected before the error goes up. Returns nothing, raises
        ``PN532ChipError`` (0x14 = authentication error) or another ``PN532Error``.
        """
        t = self.reader.target
        if t.uid_len < 4:
            raise PN532FrameError("no card selected")
        c = self._cmd
        c[0] = _MF_AUTH_B if key_b else _MF_AUTH_A
        c[1] = block
        for i in range(6):
            c[2 + i] = key[i]
        start = t.uid_len - 4
        for i in range(4):
            c[8 + i] = t._uid[start + i]
        try:
            self.reader.in_data_exchange(c, 12)
        except PN532Error:
            self.reader.read_passive_target()  # re-select: the card went to HALT
            raise

    def read_block(self, block, into):
        """READ (0x30) one 16-byte block into ``into``; Classic needs ``authenticate`` first."""
        c = self._cmd
        c[0] = _MF_READ
        c[1] = block
        n = self.reader.in_data_exchange(c, 2)
        if n < 16:
            raise PN532FrameError("short block")
        rsp = self.reader.response
        for i in range(16):
            into[i] = rsp[i]
        return 16

    def read_pages(self, page, into):
        """Ultralight/NTAG READ: four 4-byte pages from ``page`` (16 bytes) into ``into``."""
        return self.read_block(page, into)

    # --- clone hints ----------------------------------------------------------------------

    def magic_gen1a(self, timeout_ms=200, reselect=True, restore=True):
        """Probe the Gen1a backdoor; True when the card answers it. No allocation (a tap-path
        call; the reader's ``in_communicate_thru_status`` reports silence as a status).

        1. HLTA ``50 00`` through InCommunicateThru (UM0701-02 §7.3.9) with CRC on, so the chip
           appends CRC_A. No card answers HLTA: the chip reports status 0x01 after its
           fRetryTimeout (RFConfiguration item 2, §7.3.1; 51.2 ms unless set shorter).
        2. One WriteRegister: CRC off (CIU TxMode/RxMode) and 7 bits in the last byte
           (CIU BitFraming), then ``40``: a Gen1a clone answers the 4-bit ``0A``; a genuine card
           is halted and silent (another fRetryTimeout).
        3. ``end_probe(reselect)``: one WriteRegister restores CRC and framing. With ``reselect``
           the card is selected again (InListPassiveTarget); without, the caller's next poll
           does it. ``restore=False`` leaves step 3 to the caller (the terminal does it after
           its feedback) unless the probe failed: then it is done here before the error goes up.
           ``timeout_ms`` bounds the host's wait for each answer (``_command``).
        """
        r = self.reader
        c = self._cmd
        found = done = False
        try:
            c[0] = _MF_HALT
            c[1] = 0x00
            r.in_communicate_thru_status(c, 2, timeout_ms)  # status 0x01 expected: no answer
            r.write_register_bytes(_RAW_7BIT)
            c[0] = 0x40
            st = r.in_communicate_thru_status(c, 1, timeout_ms)
            found = st == 0 and r.response_len >= 1 and r.response_byte(0) == _GEN1A_ANSWER
            done = True
        finally:
            if restore or not done:
                self.end_probe(reselect)
        return found

    def end_probe(self, reselect=True):
        """CRC on and whole bytes again after ``magic_gen1a``; re-select the card if asked."""
        self.reader.write_register_bytes(_RESTORE)
        if reselect:
            self.reader.read_passive_target()

    def flags(self, fingerprint, enrolled=None, magic=False):
        """TAP card flags from the clone hints. ``fingerprint``/``enrolled`` are computed by the
        wire module over ``fingerprint_input``; ``enrolled`` None means not enrolled."""
        f = 0
        if enrolled is not None and fingerprint != enrolled:
            f |= FLAG_FP_MISMATCH
        if magic:
            f |= FLAG_MAGIC
        if self.random_uid():
            f |= FLAG_RANDOM_UID
        return f
