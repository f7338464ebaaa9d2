# termkit: a whole simulated terminal for device tests: PN532 simulator, NOR flash, board, network.
# SPDX-License-Identifier: MIT
"""``rig(...)`` -> ``Rig`` with ``.hw``, ``.terminal``, ``.chip`` (the simulated PN532), ``.net``
(a ``PaperCollector`` unless another ``http`` is given) and helpers to place and remove cards."""

import os
import sys

import pn532
from firmware import wire
from tests.kit.paperco import PaperCollector
from tools.sim import board
from tools.sim.flash import NorFlash
from tools.sim.pn532 import scenario
from tools.sim.pn532.cards import from_spec
from tools.sim.pn532.transport import UART, Pin

K0 = bytes(range(32))
CARD_KEY = bytes(range(100, 116))
TID = 7
_n = [0]


def tmpdir():
    if sys.implementation.name == "micropython":
        base = "/tmp"
        try:
            os.mkdir(base)
        except OSError:
            pass
        _n[0] += 1
        path = base + "/hadir%d" % _n[0]
        os.mkdir(path)
        return path
    import tempfile

    return tempfile.mkdtemp(prefix="hadir-")


def config(**changes):
    from firmware import config as cfg

    d = {"terminal_id": TID, "rusun": "Marunda", "door": 1, "wifi_ssid": "rusun-net",
         "collector_url": "http://collector.test:8000", "debounce_s": 30}  # fmt: skip
    d.update(changes)
    return cfg.validate_config(d)


def secrets(k0=K0, card_key=CARD_KEY):
    """What secrets.json holds (decoded): no K0, which provisioning puts into the log only."""
    return {"kc": wire.config_key(k0), "card_key": card_key, "wifi_password": "pw"}


def install_key(flash, state_dir, k0=K0, tid=TID):
    """What ``tools provision`` does (tools/device/logkey.py): K0 into the raw log, once."""
    from firmware.log import Log

    log = Log(flash, state_dir, tid)
    if not log.has_key():
        log.install_key(k0)


class Rig:
    def __init__(self, spec=None, real_clock=False, wall=None, http=None, flash=None,
                 root=None, cfg=None, wifi_up=True, reader=None, k0=K0,
                 card_key=CARD_KEY, wifi=None, clock=None, watchdog=None):  # fmt: skip
        from firmware.app import Terminal

        self.chip = scenario.build(spec or {})
        self.root = root or tmpdir()
        self.net = http or PaperCollector(TID, K0)
        hw = board.Hw(
            reader=reader or pn532.PN532UART(UART(self.chip), reset=Pin(self.chip)),
            flash=flash or NorFlash(blocks=32, path=self.root + "/hlog.bin"),  # off the heap
            state_dir=self.root + "/data",
            http=self.net,
            root=self.root,
            display=board.Display(),
            wifi=wifi or board.Wifi(up=wifi_up),
            clock=clock or board.Clock(real=real_clock, wall=wall),
            watchdog=watchdog,
        )
        try:
            os.mkdir(hw.state_dir)
        except OSError:
            pass
        self.hw = hw
        self.cfg = cfg or config()
        self.secrets = secrets(k0, card_key)
        install_key(hw.flash, hw.state_dir, k0, self.cfg["terminal_id"])
        self.terminal = Terminal(hw, self.cfg, dict(self.secrets))

    def restart(self):
        """Power cycle: a new Terminal on the same flash, VFS and network (the chip restarts)."""
        from firmware.app import Terminal

        self.chip.power_on()
        self.hw.reader = type(self.hw.reader)(UART(self.chip), reset=Pin(self.chip))
        self.terminal = Terminal(self.hw, self.cfg, dict(self.secrets))
        return self.terminal

    def place(self, spec):
        return self.chip.field.place(from_spec(spec))

    def remove(self, card):
        self.chip.field.remove(card)

    def tap(self, spec, steps=3):
        """Place a card, run reader steps until it is handled, take it away; the results."""
        card = self.place(spec)
        out = []
        for _ in range(steps):
            r = self.terminal.reader_step()
            out.append(r)
            if r not in (1, 7, 0):  # BUSY, HELD, IDLE
                break
        self.remove(card)
        self.terminal.reader_step()  # sees the empty field
        return out[-1]

    def token(self, uid_hex):
        return token(uid_hex, self.secrets["card_key"])


def token(uid_hex, card_key=CARD_KEY):
    """The card token the terminal computes for a UID (hex)."""
    from binascii import unhexlify

    from compat import aes

    out = bytearray(16)
    aes(card_key, 1).encrypt(wire.identity16(unhexlify(uid_hex)), out)
    return wire.token_int(out)
