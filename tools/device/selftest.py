# selftest: device-side snippet; after provisioning, do the PN532, the clock and the storage work?
# SPDX-License-Identifier: MIT
import json
import os
import time


def reader(kind, pins):
    """PN532 GetFirmwareVersion through hadir's own driver, on the pins of config.json (the
    firmware's default wiring when ``pins`` is None); ``kind`` "i2c", else UART."""
    try:
        import machine

        import pn532
        from firmware.config import PINS
    except ImportError as exc:  # no firmware on the device yet
        return {"ok": False, "error": repr(exc)}
    pins = pins or PINS
    try:
        if kind == "i2c":
            bus = machine.I2C(0, sda=machine.Pin(pins["sda"]), scl=machine.Pin(pins["scl"]))
            chip = pn532.PN532I2C(bus)
        else:
            uart = machine.UART(pins["uart"], baudrate=115200, tx=pins["tx"], rx=pins["rx"])
            chip = pn532.PN532UART(uart)
        chip.init()
        return {"ok": True, "firmware": tuple(chip.firmware_version())}
    except (pn532.PN532Error, OSError) as exc:
        return {"ok": False, "error": repr(exc)}


def clock(set_to=None):
    """Device wall time (seconds since 2000), first set from the laptop if ``set_to`` is given."""
    if set_to is not None:
        import machine

        t = time.gmtime(set_to)
        machine.RTC().datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))
    return {"ok": time.gmtime()[0] >= 2024, "now": time.time()}


def storage():
    import esp32

    st = os.statvfs("/")
    out = {"fs_total": st[0] * st[2], "fs_free": st[0] * st[3], "hlog": 0}
    parts = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")
    if parts:
        out["hlog"] = parts[0].info()[3]
    out["ok"] = out["hlog"] > 0 and out["fs_free"] > 0
    return out


def files():
    """The files the terminal boots from, present; config.json valid as the firmware will judge
    it at boot; and for an https collector, the CA it pins loaded as its TLS client will load
    it. A problem is listed in ``missing`` (the one line provisioning shows)."""
    missing = []
    for path in ("/boot.py", "/main.py", "/config.json", "/secrets.json", "/version.json"):
        try:
            os.stat(path)
        except OSError:
            missing.append(path)
    valid = False
    try:
        with open("/config.json") as f:
            cfg = json.load(f)
        valid = True
        from firmware import config as fconfig

        cfg = fconfig.validate_config(cfg)
        if cfg["collector_url"].startswith("https://"):
            _pinned(fconfig.ca_bytes(cfg["ca_pin"]))
    except ImportError:
        pass  # no firmware on the device yet: the missing files say so
    except (OSError, ValueError) as exc:  # ConfigError is a ValueError
        valid = False
        missing.append("config.json: " + (str(exc) or repr(exc)))
    return {"ok": not missing and valid, "missing": missing, "config_valid": valid}


def _pinned(ca):
    """Load the CA as firmware/httpclient.py does; mbedTLS raises ValueError on a bad one."""
    try:
        import ssl  # noqa: F401
    except ImportError:
        return  # a build without TLS: nothing to check here
    from firmware.httpclient import tls_context

    try:
        tls_context(ca)
    except (OSError, ValueError) as exc:
        raise ValueError("ca_pin: sertifikat CA tidak terbaca / CA unreadable: %r" % exc) from None


def main(set_to=None):
    cfg = {}
    try:
        with open("/config.json") as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        pass
    return {
        "reader": reader(cfg.get("reader"), cfg.get("pins")),
        "clock": clock(set_to),
        "storage": storage(),
        "files": files(),
    }
