# errors: the technician tools' one error family; each prints as one line, Indonesian first.
# SPDX-License-Identifier: MIT
"""``HadirError(id, en, detail)`` prints as ``hadir: <Bahasa Indonesia> (<English>): <detail>``
on stderr and the command exits 1: the one frame of every hadir command line (``cliframe``)."""

from __future__ import annotations

from cliframe import Failure


class HadirError(Failure):
    """A technician-tool failure (``cliframe.Failure``: one line, exit 1)."""


class NoDevice(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("perangkat tidak ditemukan", "no device found", detail)


class DeviceBusy(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("perangkat sibuk", "device busy", detail)


class NotSerialPort(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("bukan port serial", "not a serial port", detail)


class PortDenied(HadirError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("port tidak boleh dibuka", "permission denied on the port", detail)


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
