# The NOR flash model: program clears bits only, erase sets 0xFF, counters, power cuts, files.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 144k: NOR images up to 32 blocks in RAM, copied
import os

from tests.kit.mpytest import allocated_bytes, raises
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


def test_a_file_backed_flash_survives_a_restart():
    path = _path("restart")
    f = NorFlash(blocks=2, path=path)
    f.writeblocks(1, b"hadir", 100)
    f.close()
    g = NorFlash(blocks=2, path=path)
    buf = bytearray(5)
    g.readblocks(1, buf, 100)
    assert buf == b"hadir"
    g.close()
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


def _path(name):
    try:
        os.mkdir("/tmp")
    except OSError:
        pass
    path = "/tmp/norflash-%s.bin" % name
    try:
        os.remove(path)
    except OSError:
        pass
    return path


def _workout(f):
    """The same operations on any backing: programs over old data, erases, the simple block
    protocol, a torn program, a scattered torn erase and program, a journal replay, a bit flip."""
    f.journal = []
    f.writeblocks(0, b"\x0f\xf0" * 40, 30)  # crosses a 64-byte step of the model
    f.writeblocks(0, b"\xf3\x3f" * 40, 30)
    f.writeblocks(1, b"\xaa" * 300)  # erase first, then program
    f.ioctl(6, 2)
    f.writeblocks(2, b"\x00" * 20, 250)
    f.cut_at = f.ops + 1
    with raises(PowerCut):
        f.writeblocks(3, b"\x00" * 10, 5)
    f.power_on()
    f.scatter = True
    f.cut_at = f.ops + 1
    with raises(PowerCut):
        f.ioctl(6, 2)
    f.power_on()
    f.cut_at = f.ops + 1
    with raises(PowerCut):
        f.writeblocks(2, b"\x00" * 100, 1000)
    f.power_on()
    f.scatter = False
    f.apply(f.journal[0], tear=0.5)
    f.flip(3 * 4096 + 100, 6)
    return (f.erases, f.prog_ops, f.programmed_bytes, f.pages, f.ops, len(f.journal))


def _image(f):
    out = bytearray(f.blocks * f.block_size)
    buf = bytearray(256)
    for a in range(0, len(out), 256):
        f.readblocks(a // f.block_size, buf, a % f.block_size)
        out[a : a + 256] = buf
    return out


def test_ram_and_file_backings_store_the_same_bytes_and_count_the_same():
    ram = NorFlash(blocks=4)
    path = _path("same")
    disk = NorFlash(blocks=4, path=path)
    assert _workout(ram) == _workout(disk)
    assert _image(ram) == _image(disk) == ram.mem
    assert ram.mem[30] == 0x03 and ram.mem[4096] == 0xAA and ram.mem[2 * 4096 + 250] != 0xFF
    disk.close()
    again = NorFlash(blocks=4, path=path)
    assert _image(again) == ram.mem  # and the file keeps them
    again.close()
    os.remove(path)


def test_the_file_backing_allocates_nothing_per_call():
    """What keeps the heap test's figures the terminal's: under MicroPython the image is in the
    VFS, off the heap, and reading, programming and erasing allocate nothing."""
    path = _path("alloc")
    f = NorFlash(blocks=2, path=path)
    buf = bytearray(9)
    slot = b"\x01\x02\x03\x04\x05\x06\x07\x08\x09"
    block = bytes(100)
    calls = (lambda: f.readblocks(1, buf, 77), lambda: f.writeblocks(1, slot, 200),
             lambda: f.ioctl(6, 0), lambda: f.writeblocks(0, block, 0))  # fmt: skip
    for call in calls:
        call()  # warm: first calls may intern or grow something once
        assert allocated_bytes(call) in (0, None)
    f.close()
    os.remove(path)
