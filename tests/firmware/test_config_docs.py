# docs/terminal.md documents every config.json and secrets.json key the firmware knows, no other.
# SPDX-License-Identifier: MIT
import json
import pathlib
import re

from firmware import config

DOC = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "terminal.md").read_text()


def _rows(table_head):
    """{key: [cells]} of the Markdown table that starts with the line ``table_head``."""
    lines = DOC[DOC.index(table_head) :].splitlines()[2:]  # past the head and the |---| line
    rows = {}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        m = re.fullmatch(r"`(\w+)`", cells[0])
        assert m, line
        assert m.group(1) not in rows, "documented twice: " + m.group(1)
        rows[m.group(1)] = cells[1:]
    return rows


CONFIG = _rows("| key | default | values | set by |")
SECRETS = _rows("| key | values |")


def test_every_config_key_is_documented_and_every_documented_key_is_known():
    known = set(config.REQUIRED) | set(config.DEFAULTS) | set(config.OPTIONAL)
    assert len(known) == len(config.REQUIRED) + len(config.DEFAULTS) + len(config.OPTIONAL)
    assert set(CONFIG) - known == set(), "documented but unknown to firmware/config.py"
    assert known - set(CONFIG) == set(), "known to firmware/config.py but not documented"


def test_defaults_ranges_and_collector_settings_match_the_module():
    for name in config.REQUIRED:
        assert CONFIG[name][0] == "required", name
    for name, value in config.DEFAULTS.items():
        assert CONFIG[name][0] == "`%s`" % json.dumps(value), name
    for name, lo, hi in config.LIMITS:
        assert "integer %d..%d" % (lo, hi) in CONFIG[name][1], name
    for name in CONFIG:
        assert ("collector" in CONFIG[name][2]) == (name in config.COLLECTOR_MAY_SET), name
    pins = CONFIG["pins"][0]
    for name, value in config.PINS.items():
        assert "`%s` %s" % (name, json.dumps(value)) in pins, name
    assert CONFIG["ntp_server"][0] == "`%s`" % json.dumps(config.NTP_SERVER)


def test_every_secret_is_documented_and_every_documented_secret_is_known():
    assert set(SECRETS) == set(config.SECRETS)
    good = {"kc": "11" * 32, "card_key": "22" * 16, "wifi_password": "x"}
    assert set(config.validate_secrets(good)) == set(config.SECRETS)


def test_the_key_lists_are_the_ones_validate_config_works_by():
    minimal = {"terminal_id": 7, "rusun": "Marunda", "door": 1, "wifi_ssid": "RUSUN",
               "collector_url": "http://collector.lan:8000"}  # fmt: skip
    assert set(minimal) == set(config.REQUIRED)
    assert set(config.validate_config(minimal)) == set(minimal) | set(config.DEFAULTS) | {"pins"}
    for name in config.REQUIRED:
        without = dict(minimal)
        del without[name]
        try:
            config.validate_config(without)
        except config.ConfigError as e:
            assert str(e).startswith(name), e
        else:
            raise AssertionError(name + " is not required")
    for name, lo, hi in config.LIMITS:
        for bad in (lo - 1, hi + 1):
            try:
                config.validate_config(dict(minimal, **{name: bad}))
            except config.ConfigError:
                continue
            raise AssertionError("%s=%d accepted" % (name, bad))
