# The two device-test runners agree on what they load, and every device module states its heap.
# SPDX-License-Identifier: MIT
import json

from tests.kit import paths
from tests.kit.paths import ROOT
from tests.runner import unix


def test_every_device_module_states_its_heap_on_the_unix_port():
    modules = unix.device_modules()
    assert len(modules) >= 20
    missing = [m.relative_to(ROOT).as_posix() for m in modules if unix.heap_of(m) is None]
    assert not missing, f"no `# device heap: NNk: why` line in {missing}"
    assert all(8 * 1024 <= unix.heap_of(m) <= 1024 * 1024 for m in modules)  # type: ignore[operator]


def test_both_runners_load_the_same_tree():
    tree = json.loads((ROOT / "tests/runner/tree.json").read_text())["tree"]
    assert "firmware" in tree and "tests/kit" in tree
    assert "tests/runner/tree.json" in (ROOT / "tests/runner/mpy.mjs").read_text()
    assert all((ROOT / rel).exists() for rel in tree)


def test_shared_tools_are_found_under_hadir_shared(tmp_path, monkeypatch):
    (tmp_path / "micropython-unix").mkdir()
    monkeypatch.setenv("HADIR_SHARED", str(tmp_path))
    assert paths.shared("micropython-unix") == tmp_path / "micropython-unix"
    assert paths.shared("esp32-qemu") is None


def test_without_the_interpreter_the_unix_run_skips_but_fails_in_ci(monkeypatch, capsys):
    monkeypatch.setattr(unix, "interpreter", lambda: None)
    monkeypatch.setenv("CI", "false")
    assert unix.main([]) == 0 and "skipped" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    assert unix.main([]) == 1 and "FAILED in CI" in capsys.readouterr().out
