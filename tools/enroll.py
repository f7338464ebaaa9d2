# enroll: the enrollment desk — tap a card on a USB PN532, bind it to a resident at the collector.
# SPDX-License-Identifier: MIT
"""``python -m tools enroll --reader /dev/ttyUSB0 --collector URL --user U --password-file F
--resident R-0042 [--unit A-101] [--replaces 17]``

The reader is a PN532 on a USB-serial adapter, driven by adafruit-circuitpython-pn532 over
pyserial (not hadir's device driver: this runs on the office PC). One InListPassiveTarget
(UM0701-02 §7.3.5) gives UID, ATQA, SAK and ATS; the card is refused on the spot when its UID is
random (ISO/IEC 14443-3: 4 bytes starting 0x08, a phone or a privacy card — a new UID each tap).
The resident is looked up in the collector's tenant register (``GET /api/residents/{id}``: a
registered resident without a card yet, or one whose card was lost) and must still live there;
the binding is ``POST /api/residents/{id}/cards`` (with ``replaces``: the lost card it replaces),
so the collector's own rules apply: it refuses a card bound to another unit or resident and a
token collision in the rusun, and answers 409 for a card already this resident's. The UID is
never printed whole.
"""

from __future__ import annotations

import pathlib
import time
from typing import Any
from urllib.parse import quote

from firmware import wire
from tools import collector_client, ui
from tools.errors import HadirError

_IN_LIST_PASSIVE_TARGET = 0x4A
_TYPE_A_106 = 0x00
_RF_CONFIGURATION = 0x32


class Tap:
    def __init__(self, uid: bytes, atqa: bytes, sak: int, ats: bytes) -> None:
        self.uid, self.atqa, self.sak, self.ats = uid, atqa, sak, ats

    def masked(self) -> str:
        """Enough to tell two cards apart on screen, not enough to clone one."""
        return "*" * (2 * len(self.uid) - 4) + self.uid.hex().upper()[-4:]


def parse_target(data: bytes) -> Tap:
    """InListPassiveTarget answer (§7.3.5): NbTg, Tg, SENS_RES(2), SEL_RES, NFCIDLength, NFCID,
    then ATS (length byte first) when the card speaks ISO 14443-4. Lengths checked first."""
    if len(data) < 6 or data[0] != 1:
        raise HadirError("kartu tidak terbaca", "card not read", "one card at a time, please")
    n = data[5]
    if n not in (4, 7, 10) or len(data) < 6 + n:
        raise HadirError("kartu tidak terbaca", "card not read", "bad UID length")
    ats = b""
    rest = data[6 + n :]
    if rest and rest[0] and len(rest) >= rest[0]:
        ats = bytes(rest[1 : rest[0]])
    return Tap(bytes(data[6 : 6 + n]), bytes(data[2:4]), data[4], ats)


def open_reader(port: str) -> Any:
    import serial
    from adafruit_pn532.uart import PN532_UART

    try:
        line = serial.Serial(port, 115200, timeout=0.1)
    except (serial.SerialException, OSError) as exc:
        raise HadirError(
            "pembaca kartu tidak ditemukan", "card reader not found", f"{port}: {exc}"
        ) from None
    try:
        pn532 = PN532_UART(line)
        pn532.SAM_configuration()
        # RFConfiguration item 5 (§7.3.1): MxRtyATR 0xFF, MxRtyPSL 0x01, MxRtyPassive 0x10.
        pn532.call_function(_RF_CONFIGURATION, params=[0x05, 0xFF, 0x01, 0x10])
    except (RuntimeError, OSError) as exc:
        line.close()
        raise HadirError(
            "pembaca kartu tidak menjawab", "card reader not answering", str(exc)
        ) from None
    return pn532


def wait_for_card(pn532: Any, timeout_s: float) -> Tap:
    """Ask for one type A target until one answers; the chip gives up after MxRtyPassive tries
    (set in ``open_reader``) and answers NbTg 0, so no command is ever left waiting."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        data = pn532.call_function(
            _IN_LIST_PASSIVE_TARGET, response_length=64, params=[1, _TYPE_A_106], timeout=1
        )
        if data and data[0] != 0:
            return parse_target(bytes(data))
        time.sleep(0.05)
    raise HadirError("tidak ada kartu", "no card tapped", f"{timeout_s:.0f} s")


def card_body(tap: Tap, replaces: int | None = None) -> dict[str, Any]:
    """What ``POST /api/residents/{id}/cards`` takes: the UID and what the allow-list's
    fingerprint is computed from (ATQA, SAK, ATS)."""
    return {
        "uid": tap.uid.hex().upper(),
        "atqa": tap.atqa.hex(),
        "sak": "%02x" % tap.sak,
        "ats": tap.ats.hex(),
        "replaces": replaces,
    }


def do_enroll(state: Any, args: Any) -> int:
    password = pathlib.Path(args.password_file).read_text().strip()
    auth = (args.user, password)
    replaces = args.replaces
    with collector_client.client(args.collector, auth) as http:
        found = http.get(f"/api/residents/{quote(args.resident, safe='')}")
        if found.status_code == 404:
            raise HadirError("penghuni tidak dikenal", "unknown resident", args.resident)
        resident = collector_client.check(found, "resident").json()
        if resident["status"] != "active":
            raise HadirError(
                "penghuni tidak aktif",
                "resident no longer lives there",
                f"{args.resident}: {resident['status']}",
            )
        if args.unit and args.unit != resident["unit"]:
            raise HadirError(
                "unit tidak cocok",
                "unit does not match",
                f"{args.resident} lives in {resident['unit']}, not {args.unit}",
            )
        pn532 = open_reader(args.reader_port)
        ui.console.print(
            f"tempelkan kartu / tap the card for {resident['name']} "
            f"({resident['unit']}, {resident['rusun']})"
        )
        tap = wait_for_card(pn532, args.tap_timeout)
        if wire.is_random_uid(len(tap.uid), tap.uid[0]):
            raise HadirError(
                "UID acak ditolak",
                "random UID refused",
                "kartu ini/ponsel memberi UID baru tiap tap / a new UID every tap",
            )
        if args.dry_run:
            ui.console.print(
                f"dry-run: kartu / card {tap.masked()} -> {args.resident}; "
                "tidak ada yang dikirim / nothing sent"
            )
            return 0
        answer = http.post(
            f"/api/residents/{quote(args.resident, safe='')}/cards", json=card_body(tap, replaces)
        )
    if answer.status_code == 409:
        ui.console.print(
            f"[yellow]kartu / card {tap.masked()} sudah terdaftar untuk / already "
            f"enrolled to {args.resident}"
        )
        return 0
    if answer.status_code == 400:
        raise HadirError("kartu ditolak", "card refused", collector_client.detail(answer))
    card = collector_client.check(answer, "enrol").json()["card_id"]
    ui.console.print(
        f"[green]terdaftar / enrolled[/]: kartu / card {tap.masked()} (K-{card}) -> "
        f"{resident['name']} ({args.resident}), {resident['unit']}, {resident['rusun']}"
    )
    return 0
