# The device double speaks MicroPython's REPL protocols byte for byte (pyexec.c), and its
# interpreter keeps device code inside the device folder.
# SPDX-License-Identifier: MIT
import os
import select
import time

import pytest

from tools.sim.device import Config, DeviceDouble

BANNER = b"raw REPL; CTRL-B to exit\r\n>"


class Line:
    """The host end of the pty, raw bytes."""

    def __init__(self, path):
        import tty

        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)

    def send(self, data):
        os.write(self.fd, data)

    def until(self, ending, timeout=60.0):  # a bound for a hang, never a speed test
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(ending):
            left = deadline - time.monotonic()
            assert left > 0, f"timeout waiting for {ending!r}; got {data!r}"
            if select.select([self.fd], [], [], left)[0]:
                data += os.read(self.fd, 4096)
        return data

    def close(self):
        os.close(self.fd)


@pytest.fixture
def line(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "main.py").write_text("# the application\n")
    double = DeviceDouble(tmp_path / "dev", tmp_path / "hlog", Config(run_boot=False))
    host = Line(double.start())
    yield host, double
    host.close()
    double.stop()


def test_ctrl_c_stops_main_then_raw_repl_exec_and_soft_reset(line):
    host, _ = line
    host.send(b"\r\x03")
    assert host.until(b">>> ").count(b"KeyboardInterrupt") == 1
    host.send(b"\r\x01")
    host.until(BANNER)
    host.send(b"print(6 * 7)\x04")
    assert host.until(b"\x04>") == b"OK42\r\n\x04\x04>"
    host.send(b"1/0\x04")
    out = host.until(b"\x04>")
    assert out.startswith(b"OK\x04Traceback (most recent call last):\r\n")
    assert out.endswith(b"ZeroDivisionError: division by zero\r\n\x04>")
    host.send(b"x = 5\x04")
    host.until(b"\x04>")
    host.send(b"\x04")  # empty line: soft reset, globals gone
    assert host.until(BANNER) == b"OK\r\nMPY: soft reboot\r\n" + BANNER
    host.send(b"print(x)\x04")
    assert b"NameError" in host.until(b"\x04>")
    host.send(b"\x02")
    assert host.until(b">>> ").startswith(b"\r\nMicroPython v1.27.0")


def test_raw_paste_flow_control_and_ctrl_c_interrupts_running_code(line):
    host, double = line
    host.send(b"\x03\x01")
    host.until(BANNER)
    host.send(b"\x05A\x01")
    head = host.until(b"\x80\x00")
    assert head == b"R\x01\x80\x00"  # raw paste accepted, window 128 bytes
    code = b"s = 0\n" + b"for i in range(10):\n    s += i\n" + b"#" * 300 + b"\nprint(s)\n"
    host.send(code[:128])
    assert host.until(b"\x01") == b"\x01"  # a window consumed: room for another
    host.send(code[128:] + b"\x04")
    assert host.until(b"\x04>") == b"\x01\x0445\r\n\x04\x04>"  # 2nd window, end ack, run
    host.send(b"while True:\n    pass\n\x04")
    host.until(b"OK")
    time.sleep(0.05)
    host.send(b"\x03")
    out = host.until(b"\x04>")
    assert out.endswith(b"KeyboardInterrupt: \r\n\x04>")


def test_the_file_system_is_the_device_folder_and_errors_look_like_micropython(tmp_path):
    root = tmp_path / "dev"
    double = DeviceDouble(root, None, Config(run_boot=False))
    rt = double.runtime
    assert rt.execute("f = open('/a.txt', 'w'); f.write('hi'); f.close()") == ""
    assert (root / "a.txt").read_text() == "hi"
    assert rt.execute("import os; os.mkdir('/d'); os.chdir('/d'); open('b', 'w').close()") == ""
    assert (root / "d" / "b").exists()
    err = rt.execute("open('/../../etc/passwd')")  # normalised inside the root: no escape
    assert err.endswith("OSError: [Errno 2] ENOENT\n")
    assert rt.execute("import sys; assert sys.implementation.name == 'micropython'") == ""
    assert rt.execute("import time; assert time.gmtime(0)[0] == 2000") == ""
    err = rt.execute("import hmac")  # not in ESP32 MicroPython
    assert "ImportError" in err
    assert "hmac" not in double.runtime.modules
    double.stop()


def test_the_file_system_holds_its_blocks_and_no_more_as_littlefs_does(tmp_path):
    """10 blocks: 2 superblocks, 8 for files and folders (tools/sim/device/runtime.Budget)."""
    root = tmp_path / "dev"
    double = DeviceDouble(root, None, Config(run_boot=False, fs_blocks=10))
    rt = double.runtime
    assert rt.execute("import os; st = os.statvfs('/')") == ""
    assert rt.globals["st"][:5] == (4096, 4096, 10, 8, 8)
    assert rt.execute("f = open('/old', 'wb'); f.write(b'o' * 8192); f.close()") == ""
    assert rt.execute("st = os.statvfs('/')") == "" and rt.globals["st"][3] == 6
    # A new file that outgrows what is free: ENOSPC partway, and it is left empty.
    err = rt.execute("f = open('/new', 'wb')\nfor _ in range(7): f.write(b'n' * 4096)")
    assert err.endswith("OSError: [Errno 28] ENOSPC\n"), err
    assert rt.execute("f.close()") == ""
    assert (root / "new").read_bytes() == b""
    # Rewriting a file holds its old blocks until the close: 2 + 7 do not fit in 8.
    err = rt.execute("f = open('/old', 'wb')\nfor _ in range(7): f.write(b'x' * 4096)")
    assert err.endswith("OSError: [Errno 28] ENOSPC\n"), err
    assert "ENOSPC" in rt.execute("f.write(b'y')")  # erred: nothing more goes through it
    assert rt.execute("f.close()") == ""
    assert (root / "old").read_bytes() == b"o" * 8192  # as last committed
    assert rt.execute("g = open('/small', 'w'); g.write('x' * 100); g.close()") == ""  # inlined
    assert rt.execute("f = open('/a', 'wb'); f.write(b'a' * 4096 * 4); f.close()") == ""
    assert rt.execute("os.mkdir('/d')") == ""  # the last metadata pair
    # Nothing is free, and statvfs says less than that, as a board does: /d's pair counted twice.
    assert rt.execute("st = os.statvfs('/')") == "" and rt.globals["st"][3:5] == (-2, -2)
    assert rt.execute("os.mkdir('/e')").endswith("OSError: [Errno 28] ENOSPC\n")
    double.stop()
