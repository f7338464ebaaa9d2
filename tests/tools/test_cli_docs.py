# docs/tools.md's command table is the CLI's: every command and option both ways, and aliases.
# SPDX-License-Identifier: MIT
import re

import typer.main

from tests.kit.paths import DOCS
from tools import cli

DOC = (DOCS / "tools.md").read_text()
GROUP = typer.main.get_command(cli.app)  # the click group typer builds: what a user runs


def _table() -> dict[str, str]:
    """{command: its first cell} of the table under "## Commands"."""
    section = DOC.split("\n## Commands\n", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| `([a-z-]+)([^`]*)` \|", line.replace("\\|", "/"))
        if m:
            rows[m.group(1)] = m.group(1) + m.group(2)
    return rows


def _is_argument(param) -> bool:
    return param.param_type_name == "argument"


def _words(cmd) -> set[str]:
    """What a row must show of a command: its options (long form) and arguments (upper case);
    ``--dry-run`` is documented once for every command that writes."""
    words = set()
    for p in cmd.params:
        if _is_argument(p):
            words.add(p.name.upper())
        elif not getattr(p, "hidden", False):
            words.update(o for o in p.opts if o.startswith("--"))
    return words - {"--dry-run"}


def test_the_table_has_every_command_and_only_real_ones():
    real = {name for name, cmd in GROUP.commands.items() if not cmd.hidden}
    assert set(_table()) == real


def test_each_row_shows_every_option_of_its_command_and_only_real_ones():
    for name, cell in _table().items():
        shown = set(re.findall(r"--[a-z][a-z-]*", cell)) | set(re.findall(r"\b[A-Z]{2,}\b", cell))
        cmd = GROUP.commands[name]
        options = {o for p in cmd.params for o in p.opts if o.startswith("--")}
        arguments = {p.name.upper() for p in cmd.params if _is_argument(p)}
        missing = _words(cmd) - shown
        assert not missing, f"docs/tools.md, {name}: {sorted(missing)} not in its row"
        stale = {w for w in shown if w.startswith("--")} - options
        assert not stale, f"docs/tools.md, {name}: {sorted(stale)} is not an option of it"
        assert arguments <= shown


def test_dry_run_aliases_and_global_options_are_documented():
    assert "Every command that writes takes `--dry-run`" in DOC
    for name, cmd in GROUP.commands.items():
        writes = any("--dry-run" in p.opts for p in cmd.params)
        assert writes or name in ("doctor", "health"), f"{name} writes and has no --dry-run"
    for alias, cmd in GROUP.commands.items():
        if cmd.hidden:
            # an alias is the same command under another name: same help, same options
            target = next(n for n, c in GROUP.commands.items() if not c.hidden and
                          (c.help, _words(c)) == (cmd.help, _words(cmd)))  # fmt: skip
            assert f"`{alias}` = {target}" in " ".join(DOC.split()), alias
    for p in GROUP.params:
        for opt in p.opts:
            if opt.startswith("--"):
                assert f"`{opt}" in DOC or f"[{opt}" in DOC, opt
