# texts: what the terminal says to residents and technicians, Bahasa Indonesia first, English too.
# SPDX-License-Identifier: MIT
"""``text(language, msg)`` -> the short line for the OLED. ``language`` is ``"id"`` or ``"en"``
(config.json ``language``); message numbers are shared with ``firmware.feedback``."""

from compat import const

OK = const(0)  # tap stored, collector reachable
OFFLINE = const(1)  # tap stored, collector not reached lately
DENIED = const(2)  # card not on the allow-list (stored as DENIED)
FULL = const(3)  # log full: the tap could not be stored
READER = const(4)  # card reader fault
SAFE = const(5)  # safe mode (invalid config or button held)
STARTING = const(6)

_ID = (
    "Terima kasih",
    "Tersimpan offline",
    "Kartu tidak terdaftar",
    "Memori penuh",
    "Pembaca kartu bermasalah",
    "Mode aman",
    "Memulai...",
)
_EN = (
    "Thank you",
    "Saved offline",
    "Card not registered",
    "Memory full",
    "Card reader fault",
    "Safe mode",
    "Starting...",
)
_SECOND_ID = ("", "", "Hubungi pengelola", "Hubungi teknisi", "Hubungi teknisi", "", "")
_SECOND_EN = ("", "", "Contact the office", "Call a technician", "Call a technician", "", "")


def text(language, msg):
    return (_EN if language == "en" else _ID)[msg]


def second(language, msg):
    return (_SECOND_EN if language == "en" else _SECOND_ID)[msg]
