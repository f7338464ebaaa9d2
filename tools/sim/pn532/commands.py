# commands: the simulated PN532 firmware commands (UM0701-02 §7), run by tools.sim.pn532.chip.
# SPDX-License-Identifier: MIT
"""``execute(chip, code, params)`` returns the reply after the TFI (``code + 1`` first), ``b""``
for the syntax error frame, or None while the command waits (only InListPassiveTarget waits;
``resume`` makes one more activation attempt).

Modelled: GetFirmwareVersion §7.2.2, ReadRegister §7.2.4, WriteRegister §7.2.5,
SAMConfiguration §7.2.10, PowerDown §7.2.11, RFConfiguration §7.3.1, InListPassiveTarget §7.3.5
(106 kbps type A), InDataExchange §7.3.8, InCommunicateThru §7.3.9, InDeselect §7.3.10,
InRelease §7.3.11.
"""

from compat import const
from tools.sim.pn532.card import BAD_CONTEXT, OK, TIMEOUT

_GET_FIRMWARE_VERSION = const(0x02)
_READ_REGISTER = const(0x06)
_WRITE_REGISTER = const(0x08)
_SAM_CONFIGURATION = const(0x14)
_POWER_DOWN = const(0x16)
_RF_CONFIGURATION = const(0x32)
_IN_DATA_EXCHANGE = const(0x40)
_IN_COMMUNICATE_THRU = const(0x42)
_IN_DESELECT = const(0x44)
_IN_LIST_PASSIVE_TARGET = const(0x4A)
_IN_RELEASE = const(0x52)

FIRMWARE = b"\x32\x01\x06\x07"  # IC PN532, version 1.6, supports ISO 14443 A, B and 18092 (§7.2.2)
CIU_BIT_FRAMING = const(0x633D)  # TxLastBits in bits 2..0 (PN532 data sheet, BitFramingReg)
_CIU_DEFAULTS = {0x6302: 0x80, 0x6303: 0x80, CIU_BIT_FRAMING: 0x00}  # TxMode, RxMode, BitFraming

# RFConfiguration items and the length of their data (§7.3.1).
_CFG_FIELD = const(0x01)
_CFG_MAX_RETRIES = const(0x05)
_CFG_LENGTHS = {0x01: 1, 0x02: 3, 0x04: 1, 0x05: 3, 0x0A: 11, 0x0B: 3, 0x0C: 1, 0x0D: 9}
_RETRY_FOREVER = const(0xFF)


def power_on(chip):
    """Firmware state after reset: MxRtyPassiveActivation = 0xFF (§7.3.1), no targets."""
    chip.max_retries = _RETRY_FOREVER
    chip.rf_on = False
    chip.targets = []  # [tg, card, selected]
    chip.regs = dict(_CIU_DEFAULTS)
    chip.attempts = 0


def execute(chip, code, params):
    handler = _HANDLERS.get(code)
    if handler is None:
        return b""
    return handler(chip, params)


def _get_firmware_version(chip, p):
    return bytes((_GET_FIRMWARE_VERSION + 1,)) + FIRMWARE


def _sam_configuration(chip, p):
    if not 1 <= len(p) <= 3 or not 1 <= p[0] <= 4:
        return b""
    return bytes((_SAM_CONFIGURATION + 1,))


def _power_down(chip, p):
    if not 1 <= len(p) <= 2:
        return b""
    chip.sleep(p[0])  # takes effect once the ACK and this answer have gone (§7.2.11)
    for t in chip.targets:
        t[1].halt()
    chip.targets = []
    return bytes((_POWER_DOWN + 1, OK))


def _rf_configuration(chip, p):
    if not p or _CFG_LENGTHS.get(p[0]) != len(p) - 1:
        return b""
    if p[0] == _CFG_FIELD:
        chip.rf_on = bool(p[1] & 1)
        if not chip.rf_on:
            chip.field.power_cycle()  # cards lose power and all state
            chip.targets = []
    elif p[0] == _CFG_MAX_RETRIES:
        chip.max_retries = p[3]  # MxRtyPassiveActivation
    return bytes((_RF_CONFIGURATION + 1,))


def _read_register(chip, p):
    if not p or len(p) & 1:
        return b""
    out = bytearray((_READ_REGISTER + 1,))
    for i in range(0, len(p), 2):
        out.append(chip.regs.get(p[i] << 8 | p[i + 1], 0))
    return bytes(out)


def _write_register(chip, p):
    if not p or len(p) % 3:
        return b""
    for i in range(0, len(p), 3):
        chip.regs[p[i] << 8 | p[i + 1]] = p[i + 2]
    return bytes((_WRITE_REGISTER + 1,))


def _in_list_passive_target(chip, p):
    if len(p) < 2 or not 1 <= p[0] <= 2:
        return b""
    chip.targets = []
    chip.rf_on = True
    chip.attempts = 0
    chip.pending = (p[0], p[1], bytes(p[2:]))
    return resume(chip)


def resume(chip):
    """One activation attempt of the waiting InListPassiveTarget; None while it keeps waiting."""
    max_tg, brty, want = chip.pending
    found = []
    if brty == 0:  # only 106 kbps type A is modelled; other modulations find nothing
        for card in chip.field.cards:
            if len(found) < max_tg and (not want or card.uid == want):
                card.activate()
                if not want or card.uid == want:  # a random-UID card changed at activation
                    found.append(card)
    chip.attempts += 1
    if not found and (chip.max_retries == _RETRY_FOREVER or chip.attempts <= chip.max_retries):
        return None
    chip.pending = None
    out = bytearray((_IN_LIST_PASSIVE_TARGET + 1, len(found)))
    for i, card in enumerate(found):
        chip.targets.append([i + 1, card, True])
        out.append(i + 1)
        out += card.atqa
        out.append(card.sak)
        out.append(len(card.uid))
        out += card.uid
        if card.ats is not None:
            out += card.ats
    return bytes(out)


def _target(chip, tg):
    for t in chip.targets:
        if t[0] == tg:
            return t
    return None


def _in_data_exchange(chip, p):
    if not p:
        return b""
    t = _target(chip, p[0] & 0x3F)  # bit 6 is MI (more information), not part of the number
    if t is None or not t[2]:
        return bytes((_IN_DATA_EXCHANGE + 1, BAD_CONTEXT))
    card = t[1]
    if card not in chip.field.cards:
        return bytes((_IN_DATA_EXCHANGE + 1, TIMEOUT))
    st, data = card.exchange(p[1:])
    return bytes((_IN_DATA_EXCHANGE + 1, st)) + data


def _in_communicate_thru(chip, p):
    if not p:
        return b""
    card = None
    if chip.targets and chip.targets[0][1] in chip.field.cards:
        card = chip.targets[0][1]
    elif chip.field.cards:
        card = chip.field.cards[0]
    if card is None:
        return bytes((_IN_COMMUNICATE_THRU + 1, TIMEOUT))
    st, data = card.thru(p, chip.regs.get(CIU_BIT_FRAMING, 0) & 7)
    return bytes((_IN_COMMUNICATE_THRU + 1, st)) + data


def _release(chip, p, code, keep):
    if len(p) != 1:
        return b""
    hit = [t for t in chip.targets if p[0] in (0, t[0])]
    if not hit:
        return bytes((code + 1, BAD_CONTEXT))
    for t in hit:
        t[1].halt()
        t[2] = False
        if not keep:
            chip.targets.remove(t)
    return bytes((code + 1, OK))


def _in_deselect(chip, p):
    return _release(chip, p, _IN_DESELECT, True)


def _in_release(chip, p):
    return _release(chip, p, _IN_RELEASE, False)


_HANDLERS = {
    _GET_FIRMWARE_VERSION: _get_firmware_version,
    _READ_REGISTER: _read_register,
    _WRITE_REGISTER: _write_register,
    _SAM_CONFIGURATION: _sam_configuration,
    _POWER_DOWN: _power_down,
    _RF_CONFIGURATION: _rf_configuration,
    _IN_DATA_EXCHANGE: _in_data_exchange,
    _IN_COMMUNICATE_THRU: _in_communicate_thru,
    _IN_DESELECT: _in_deselect,
    _IN_LIST_PASSIVE_TARGET: _in_list_passive_target,
    _IN_RELEASE: _in_release,
}
