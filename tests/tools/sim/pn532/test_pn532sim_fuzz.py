# Property tests of the simulated PN532: whatever the host sends, only well-formed frames return.
# SPDX-License-Identifier: MIT
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.sim.pn532 import frame, scenario
from tools.sim.pn532.transport import UART

WAKE = b"\x55"


def frames_in(stream):
    """Split a chip-to-host byte stream into frames; fail on anything that is not one."""
    out = []
    i = 0
    while i < len(stream):
        assert stream[i : i + 3] == b"\x00\x00\xff", stream[i:].hex()
        n, lcs = stream[i + 3], stream[i + 4]
        if (n, lcs) in ((0x00, 0xFF), (0xFF, 0x00)):
            out.append(stream[i : i + 6])
            i += 6
            continue
        assert (n + lcs) & 0xFF == 0
        body = stream[i + 5 : i + 5 + n]
        assert len(body) == n and body[0] == 0xD5 or body == b"\x7f"
        assert (sum(body) + stream[i + 5 + n]) & 0xFF == 0
        assert stream[i + 6 + n] == 0x00
        out.append(stream[i : i + 7 + n])
        i += 7 + n
    return out


commands = st.sampled_from(
    ["02", "4A 01 00", "4A 02 00", "40 01 30 04", "40 01 60 04 FFFFFFFFFFFF 04A1B2C3",
     "42 40", "08 63 3D 07", "06 63 3D", "52 00", "44 01", "32 05 FF 01 01", "14 01", "FE"]
)  # fmt: skip
chunks = st.one_of(
    st.binary(max_size=40),
    commands.map(lambda c: frame.encode(b"\xd4" + bytes.fromhex(c))),
    st.sampled_from([frame.ACK, frame.NACK]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(chunks, max_size=12))
def test_any_host_bytes_get_only_well_formed_frames(parts):
    chip = scenario.build({"cards": ["classic1k:04A1B2C3", "ntag213:04112233445566"]})
    uart = UART(chip)
    uart.write(WAKE)
    got = b""
    for part in parts:
        uart.write(part)
        got += uart.read() or b""
    frames_in(got)
    # And the chip still works: after any of that, a command gets its answer.
    uart.write(bytes(300) + frame.encode(b"\xd4\x02"))  # zeros finish any half-read frame
    tail = uart.read() or b""
    assert tail.endswith(frame.ACK + frame.encode(b"\xd5\x03\x32\x01\x06\x07")), tail.hex()
