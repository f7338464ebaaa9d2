# The NOR flash model: program clears bits only, erase sets 0xFF, counters, power cuts, files.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
from tests.kit.mpytest import raises
from tools.sim.flash import NorFlash, PowerCut


def test_geometry_through_ioctl():
    f = NorFlash(blocks=8, block_size=4096)
    assert f.ioctl(4, 0) == 8
    assert f.ioctl(5, 0) == 4096
    buf = bytearray(16)
    f.readblocks(7, buf, 4080)
    assert buf == b"\xff" * 16


def test_program_only_clears_bits():
    f = NorFlash(blocks=2)
    f.writeblocks(1, b"\x0f\xf0", 10)
    f.writeblocks(1, b"\xf3\x3f", 10)
    buf = bytearray(2)
    f.readblocks(1, buf, 10)
    assert buf == b"\x03\x30"
    assert f.prog_ops == 2 and f.programmed_bytes == 4 and f.erases == 0


def test_erase_sets_one_block_to_ff():
    f = NorFlash(blocks=3)
    f.writeblocks(0, b"\x00" * 8, 4092)  # straddles blocks 0 and 1
    f.ioctl(6, 1)
    buf = bytearray(8)
    f.readblocks(0, buf, 4092)
    assert buf == b"\x00\x00\x00\x00\xff\xff\xff\xff"
    assert f.erases == 1
    with raises(OSError):
        f.ioctl(6, 3)


def test_simple_protocol_erases_first_like_esp32_partition():
    f = NorFlash(blocks=2)
    f.writeblocks(0, b"\x00" * 4, 0)
    f.writeblocks(0, b"\xaa" * 4096)
    buf = bytearray(4)
    f.readblocks(0, buf)
    assert buf == b"\xaa" * 4
    assert f.erases == 1


def test_out_of_range_is_einval():
    f = NorFlash(blocks=1)
    with raises(OSError):
        f.writeblocks(0, b"\x00\x00", 4095)
    with raises(OSError):
        f.readblocks(1, bytearray(1))


def test_pages_counted_per_256_byte_page_touched():
    f = NorFlash(blocks=1)
    f.writeblocks(0, b"\x00" * 9, 250)  # crosses a page boundary: two page programs
    f.writeblocks(0, b"\x00" * 9, 0)
    assert f.pages == 3


def test_cut_program_leaves_torn_prefix_then_no_power():
    f = NorFlash(blocks=1)
    f.ioctl(6, 0)
    f.cut_at = 3
    f.tear = 0.5
    f.writeblocks(0, b"\x11" * 4, 0)
    with raises(PowerCut):
        f.writeblocks(0, b"\x00" * 8, 8)
    buf = bytearray(8)
    with raises(PowerCut):
        f.readblocks(0, buf, 8)
    f.power_on()
    f.readblocks(0, buf, 8)
    assert buf == b"\x00\x00\x00\x00\x0f\xff\xff\xff"  # 4 bytes, then the high nibble of one
    assert f.prog_ops == 1  # the torn program is not counted as done


def test_cut_erase_resets_only_part_of_the_block():
    f = NorFlash(blocks=1)
    f.writeblocks(0, b"\x00" * 4096, 0)
    f.cut_at = 2
    f.tear = 0.25
    with raises(PowerCut):
        f.ioctl(6, 0)
    f.power_on()
    buf = bytearray(2)
    f.readblocks(0, buf, 1023)
    assert buf == b"\xff\x00"
    assert f.erases == 0


def test_journal_replays_any_prefix():
    f = NorFlash(blocks=2)
    f.journal = []
    f.writeblocks(0, b"\x01\x02", 0)
    f.ioctl(6, 0)
    f.writeblocks(1, b"\x03", 5)
    assert len(f.journal) == 3
    g = NorFlash(blocks=2)
    for op in f.journal:
        g.apply(op)
    assert g.mem == f.mem
    h = NorFlash(blocks=2)
    h.apply(f.journal[0], tear=0.5)
    assert h.mem[0] == 0x01 and h.mem[1] == 0x0F  # 0x02 torn: its low nibble still erased


def test_bit_flip():
    f = NorFlash(blocks=1)
    f.flip(10, 3)
    assert f.mem[10] == 0xF7


def test_save_and_load_survive_a_restart():
    f = NorFlash(blocks=2)
    f.writeblocks(1, b"hadir", 100)
    path = "/tmp/norflash_test.bin"
    f.save(path)
    g = NorFlash(blocks=2)
    g.load(path)
    buf = bytearray(5)
    g.readblocks(1, buf, 100)
    assert buf == b"hadir"
    import os

    os.remove(path)


def test_scattered_tear_hits_random_bits_of_the_whole_range():
    f = NorFlash(blocks=1)
    f.scatter = True
    f.cut_at = 1
    with raises(PowerCut):
        f.writeblocks(0, b"\x00" * 64, 0)
    f.power_on()
    torn = f.mem[:64]
    assert any(b != 0xFF for b in torn[32:])  # bits cleared past the middle too
    assert any(b != 0x00 for b in torn[:32])  # and bits left set before it
    g = NorFlash(blocks=1, image=bytes(4096))  # all programmed
    g.apply((0, None), tear=0.5, scatter=True)  # a cut erase: some bits back to 1, not all
    assert any(b != 0 for b in g.mem) and any(b != 0xFF for b in g.mem)
