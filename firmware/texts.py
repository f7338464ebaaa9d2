# texts: what the terminal says to residents and technicians, Bahasa Indonesia first, English too.
# SPDX-License-Identifier: MIT
"""``text(language, msg)`` and ``second(language, msg)`` -> the two OLED lines. ``language`` is
``"id"`` or ``"en"`` (config.json ``language``); message numbers are shared with
``firmware.feedback`` (its light and sound patterns) and the door sign (``tools/sign.py``).

The words say what happened to the tap, in words a resident uses, and whom to tell: "Tercatat"
(recorded) or "Tidak tercatat" (not recorded), never how the terminal works inside ("memori",
"offline"). Residents tell the housing office (pengelola); only safe mode, which a technician
causes, names the technician."""

from compat import const

OK = const(0)  # tap recorded, collector reachable
OFFLINE = const(1)  # tap recorded, sent to the office later (collector not reached lately)
DENIED = const(2)  # card not registered (or blocked): a DENIED record, no attendance
FULL = const(3)  # log full: the tap could NOT be recorded
READER = const(4)  # the card reader is broken: taps cannot be read at all
SAFE = const(5)  # safe mode (invalid config or button held)
STARTING = const(6)

_ID = (
    "Tercatat",
    "Tercatat",
    "Kartu tidak terdaftar",
    "Tidak tercatat",
    "Kartu tidak terbaca",
    "Mode aman",
    "Memulai...",
)
_EN = (
    "Recorded",
    "Recorded",
    "Card not registered",
    "Not recorded",
    "Card cannot be read",
    "Safe mode",
    "Starting...",
)
_SECOND_ID = (
    "Terima kasih",
    "Dikirim nanti",
    "Hubungi pengelola",
    "Hubungi pengelola",
    "Hubungi pengelola",
    "Hubungi teknisi",
    "",
)
_SECOND_EN = (
    "Thank you",
    "Sent later",
    "Tell the office",
    "Tell the office",
    "Tell the office",
    "Call a technician",
    "",
)


def text(language, msg):
    return (_EN if language == "en" else _ID)[msg]


def second(language, msg):
    return (_SECOND_EN if language == "en" else _SECOND_ID)[msg]
