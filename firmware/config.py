# config: config.json and secrets.json of a terminal, validated at boot (docs/terminal.md).
# SPDX-License-Identifier: MIT
"""``load(root)`` -> ``(config, secrets)``, or raises ``ConfigError`` whose message says, in
Bahasa Indonesia and English, which setting is wrong (main.py shows it and enters safe mode).

``validate_config(d)`` fills defaults and checks every field; ``validate_secrets(d)`` checks the
keys (hex). ``save_json(path, obj)`` writes atomically: a temporary file, then a rename.
"""

import json
import os
from binascii import hexlify, unhexlify

from firmware import wire

# The deployment's local time and the settings the collector may set are part of the protocol, so
# they live in firmware/wire.py (the one module the collector imports); see there.
UTC_OFFSET_MIN = wire.UTC_OFFSET_MIN
COLLECTOR_MAY_SET = wire.COLLECTOR_MAY_SET

# Every setting of config.json (docs/terminal.md, "Configuration"; a test holds the two equal).
REQUIRED = ("terminal_id", "rusun", "door", "wifi_ssid", "collector_url")
DEFAULTS = {
    "ca_pin": None,
    "reader": "uart",
    "display": False,
    "rtc": False,
    "config_version": 0,
}
DEFAULTS.update(wire.CONFIG_DEFAULTS)
# The README wiring table; provisioning writes these unless told otherwise ("pins").
PINS = {"uart": 2, "rx": 16, "tx": 17, "reset": 4, "buzzer": 25, "led": [26, 27, 14],
         "sda": 21, "scl": 22, "safe": 0}  # fmt: skip
# Read where it is used (firmware/hardware.py), never filled in by validate_config.
NTP_SERVER = "pool.ntp.org"
OPTIONAL = ("pins", "ntp_server")
# name, minimum, maximum (lists: see wire.CONFIG_INT_LIMITS)
LIMITS = [
    ["terminal_id", 1, wire.TERMINAL_ID_MAX],
    ["door", 0, 255],
    ["config_version", 0, 0x3FFFFFFF],
] + wire.CONFIG_INT_LIMITS
PEM = wire.PEM_BEGIN
# secrets.json: Kc (32 bytes as hex), the card key (16 bytes as hex), the Wi-Fi password.
SECRETS = ("kc", "card_key", "wifi_password")


class ConfigError(ValueError):
    """The message names the file and the setting, in Indonesian then English."""


def _bad(name, why_id, why_en):
    return ConfigError(name + ": " + why_id + " / " + why_en)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validate_config(d):
    if not isinstance(d, dict):
        raise _bad("config.json", "harus objek JSON", "must be a JSON object")
    out = dict(d)
    for name, value in DEFAULTS.items():
        out.setdefault(name, value)
    pins = dict(PINS)
    pins.update(out.get("pins") or {})
    out["pins"] = pins
    for name, lo, hi in LIMITS:
        if name in COLLECTOR_MAY_SET:
            continue  # below: the rule the collector checks too
        v = out.get(name)
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            rng = "%d..%d" % (lo, hi)
            raise _bad(name, "harus bilangan bulat " + rng, "must be an integer " + rng)
    for name in COLLECTOR_MAY_SET:
        why = wire.setting_error(name, out.get(name))
        if why is not None:
            raise _bad(name, why[0], why[1])
    if not isinstance(out.get("rusun"), str) or not out["rusun"]:
        raise _bad("rusun", "harus teks, tidak kosong", "must be a non-empty string")
    both = wire.settings_error(out)  # e.g. https without a CA
    if both is not None:
        raise _bad(both[0], both[1][0], both[1][1])
    for name in ("display", "rtc"):
        if not isinstance(out[name], bool):
            raise _bad(name, "harus true atau false", "must be true or false")
    for name, v in pins.items():
        ok = _is_int(v) and 0 <= v <= 39
        if name == "led":
            ok = isinstance(v, list) and len(v) == 3 and all(_is_int(q) and 0 <= q < 40 for q in v)
        if not ok:
            raise _bad("pins." + name, "nomor pin tidak sah", "not a valid pin number")
    return out


def ca_bytes(ca_pin, root=""):
    """The CA certificate the terminal pins: ``ca_pin`` is the PEM text itself (what the
    collector's provisioning bundle carries) or the path of a file on the terminal (DER or
    PEM); None when there is none."""
    if ca_pin is None:
        return None
    if ca_pin.startswith(PEM):
        return ca_pin.encode()
    with open(root + ca_pin, "rb") as f:
        return f.read()


def _hex(d, name, n):
    v = d.get(name)
    try:
        raw = unhexlify(v) if isinstance(v, str) else None
    except ValueError:
        raw = None
    if raw is None or len(raw) != n:
        hexn = "%d" % (2 * n)
        raise _bad(
            "secrets." + name, "harus " + hexn + " karakter hex", "must be " + hexn + " hex"
        )
    return raw


def validate_secrets(d):
    if not isinstance(d, dict):
        raise _bad("secrets.json", "harus objek JSON", "must be a JSON object")
    out = {
        "kc": _hex(d, "kc", 32),
        "card_key": _hex(d, "card_key", 16),
        "wifi_password": d.get("wifi_password", ""),
    }
    if not isinstance(out["wifi_password"], str):
        raise _bad("secrets.wifi_password", "harus teks", "must be a string")
    return out


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        raise _bad(path, "tidak ada", "missing") from None
    except ValueError:
        raise _bad(path, "bukan JSON yang sah", "is not valid JSON") from None


def load(root=""):
    config = validate_config(read_json(root + "/config.json"))
    return config, validate_secrets(read_json(root + "/secrets.json"))


def save_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def secrets_json(secrets):
    """secrets.json content for ``secrets`` (bytes as hex). There is no K0 in it: provisioning
    puts K0 into the raw log partition only."""
    return {
        "kc": _tohex(secrets["kc"]),
        "card_key": _tohex(secrets["card_key"]),
        "wifi_password": secrets["wifi_password"],
    }


def _tohex(b):
    return hexlify(b).decode()
