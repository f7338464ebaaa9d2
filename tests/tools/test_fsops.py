# fsops.swap on the device double: a power cut after any rename is finished by resume().
# SPDX-License-Identifier: MIT
from tools.link import snippet_source
from tools.sim.device import Config, DeviceDouble

OLD = {
    "boot.py": "old boot",
    "main.py": "old main",
    "lib/a.py": "old a",
    "lib/gone.py": "old",
    "version.json": "1",
}
NEW = {"boot.py": "new boot", "main.py": "new main", "lib/a.py": "new a", "lib/b.py": "new b",
       "version.json": "2"}  # fmt: skip
NAMES = sorted(NEW)
REMOVED = ["lib/gone.py"]
RENAMES = 2 * 4 + 1 + 1  # replaced files twice, the new one once, the removed one once


def tree(root, top=""):
    base = root / top if top else root
    return {p.relative_to(base).as_posix(): p.read_text() for p in base.rglob("*") if p.is_file()}


def lay(root, files, under=""):
    for rel, text in files.items():
        path = root / under / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


class PowerCut(Exception):
    pass


def run(rt, code):
    err = rt.execute(snippet_source("fsops") + "\n" + code)
    return err


def test_swap_cut_after_every_rename_is_finished_by_resume(tmp_path):
    renames = RENAMES
    for cut in range(renames + 1):
        root = tmp_path / f"cut{cut}"
        lay(root, OLD)
        lay(root, NEW, ".stage")
        (root / "config.json").write_text("{}")
        double = DeviceDouble(root, None, Config(run_boot=False))
        rt = double.runtime
        os_mod = rt.modules["os"]
        real = os_mod.rename
        count = [0]

        def rename(a, b, real=real, count=count, cut=cut):
            if count[0] == cut:
                raise PowerCut()
            count[0] += 1
            return real(a, b)

        os_mod.rename = rename
        err = run(rt, f"swap('/.stage', '/.prev', {NAMES!r}, {REMOVED!r})")
        assert (err == "") == (cut >= renames), (cut, err)
        # Power comes back: a new boot, the journal is found and the swap finished.
        double.stop()
        double = DeviceDouble(root, None, Config(run_boot=False))
        assert run(double.runtime, "resume()") == ""
        live = {k: v for k, v in tree(root).items() if not k.startswith(".")}
        assert live == {**NEW, "config.json": "{}"}, cut
        assert tree(root, ".prev") == {**OLD, ".added": '["lib/b.py"]'}, cut
        assert not (root / ".stage").exists() and not (root / ".swap").exists()
        double.stop()
