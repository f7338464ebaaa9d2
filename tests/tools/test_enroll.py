# enroll against the PN532 simulator's pty (adafruit driver, pyserial) and the real collector.
# SPDX-License-Identifier: MIT
import pytest

from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from tests.kit.simpty import pn532sim_pty
from tests.kit.technician import cli

CLASSIC = "04A1B2C3"
RESIDENTS = """resident_id,name,unit,rusun,card_uid
R-1,Siti Aminah,A-101,Marunda,04DEAD01
R-2,Budi Santoso,A-102,Marunda,04A1B2C3
"""


def reader(*cards):
    return pn532sim_pty(*[a for c in cards for a in ("--card", c)])


@pytest.fixture
def desk(collector_server, tmp_path):
    c = collector_server.collector
    accounts.add_user(c, "desk", "kata-sandi", "admin", [])
    report = admin.import_residents(c, RESIDENTS.splitlines(), scope=OPERATOR)
    assert report.cards == 2 and not report.refused
    pw = tmp_path / "pw"
    pw.write_text("kata-sandi\n")
    return collector_server, pw


def enroll(server, pw, port, resident, *extra):
    return cli(
        None,
        "enroll",
        "--reader",
        port,
        "--collector",
        server.url,
        "--user",
        "desk",
        "--password-file",
        str(pw),
        "--resident",
        resident,
        "--tap-timeout",
        "3",
        *extra,
    )


def cards_of(server, resident):
    return [
        c
        for c in admin.list_cards(server.collector, scope=OPERATOR)
        if c["resident_id"] == resident
    ]


def test_enroll_binds_a_tapped_card_to_the_resident(desk):
    server, pw = desk
    before = len(cards_of(server, "R-1"))
    with reader("ntag215:04112233445566") as port:
        r = enroll(server, pw, port, "R-1", "--unit", "A-101")
    assert r.exit_code == 0, r.output + r.stderr
    assert "enrolled" in r.output and "5566" in r.output
    assert "04112233445566" not in r.output  # the UID is personal data: never shown whole
    after = cards_of(server, "R-1")
    assert len(after) == before + 1
    assert any(c["fingerprint"] for c in after)  # ATQA/SAK went along: the allow-list can check


def test_enroll_refuses_a_card_bound_to_another_resident(desk):
    server, pw = desk
    with reader(f"classic1k:{CLASSIC}") as port:
        r = enroll(server, pw, port, "R-1")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: kartu ditolak (card refused)")
    assert "card already bound to another unit" in r.stderr
    assert len(cards_of(server, "R-1")) == 1


def test_enroll_refuses_a_random_uid_before_asking_the_collector(desk):
    server, pw = desk
    with reader("random:7") as port:
        r = enroll(server, pw, port, "R-1")
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: UID acak ditolak (random UID refused)")
    assert len(cards_of(server, "R-1")) == 1


def test_enroll_unit_mismatch_and_unreachable_collector(desk, tmp_path):
    server, pw = desk
    with reader(f"classic1k:{CLASSIC}") as port:
        r = enroll(server, pw, port, "R-1", "--unit", "B-202")
        assert r.exit_code == 1 and "unit does not match" in r.stderr
        r = cli(
            None,
            "enroll",
            "--reader",
            port,
            "--collector",
            "http://127.0.0.1:9",
            "--user",
            "desk",
            "--password-file",
            str(pw),
            "--resident",
            "R-1",
        )
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: collector tidak dapat dihubungi (collector unreachable)")
