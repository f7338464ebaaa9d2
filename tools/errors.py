# errors: the technician tools' one error family; each prints as one line, Indonesian first.
# SPDX-License-Identifier: MIT
"""``HadirError(id, en, detail)`` prints as ``hadir: <Bahasa Indonesia> (<English>): <detail>``
on stderr and the command exits non-zero (code 1; 2 for a usage mistake)."""

from __future__ import annotations


class HadirError(Exception):
    code = 1

    def __init__(self, id_text: str, en_text: str, detail: str = "") -> None:
        super().__init__(en_text)
        self.id_text = id_text
        self.en_text = en_text
        self.detail = detail

    def line(self) -> str:
        tail = f": {self.detail}" if self.detail else ""
        return f"hadir: {self.id_text} ({self.en_text}){tail}"


class NoDevice(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("perangkat tidak ditemukan", "no device found", detail)


class DeviceBusy(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("perangkat sibuk", "device busy", detail)


class WrongVersion(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("versi MicroPython salah", "wrong MicroPython version", detail)


class ConnectionLost(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("koneksi ke perangkat terputus", "connection to the device lost", detail)


class CollectorUnreachable(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("collector tidak dapat dihubungi", "collector unreachable", detail)


class DeviceError(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("perangkat melaporkan kesalahan", "the device reported an error", detail)
