# cliframe: how every hadir command line ends: one line on stderr and the documented exit code.
# SPDX-License-Identifier: MIT
"""Shared by ``python -m sync``, ``python -m tools`` and the simulators' programs
(``python -m tools.sim.device|pn532|fleet``), so that they fail alike (docs/tools.md, "Exit
codes"; docs/collector.md, "Command line"):

- ``OK`` 0: done;
- ``FAILED`` 1: the command failed, or the command line was wrong (unknown command or option, a
  value of the wrong type, a missing file); one line ``hadir: <Indonesian> (<English>): …`` on
  stderr, never a traceback;
- ``ATTENTION`` 2: done, but something needs attention (rows refused by an import, a ``doctor``
  row that says PERIKSA / CHECK); the details are on the screen;
- ``CANCELLED`` 130: Ctrl-C.

``main(app, prog)`` runs a typer app under these rules; ``ArgumentParser`` does the same for
argparse programs. ``HADIR_DEBUG=1`` lets an unexpected exception through with its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

OK = 0
FAILED = 1
ATTENTION = 2
CANCELLED = 130


class Failure(Exception):
    """A failure the user can act on: ``hadir: <id> (<en>): <detail>``, exit ``code``."""

    code = FAILED

    def __init__(self, id_text: str, en_text: str, detail: str = "") -> None:
        super().__init__(en_text)
        self.id_text = id_text
        self.en_text = en_text
        self.detail = detail

    def line(self) -> str:
        return line(self.id_text, self.en_text, self.detail)


def line(id_text: str, en_text: str, detail: str = "") -> str:
    tail = f": {detail}" if detail else ""
    return one_line(f"hadir: {id_text} ({en_text}){tail}")


def one_line(text: str) -> str:
    """Newlines and runs of blanks folded: whatever the cause said, it stays one line."""
    return " ".join(str(text).split())


def say(text: str) -> None:
    print(one_line(text), file=sys.stderr, flush=True)


def usage(message: str, prog: str) -> Failure:
    return Failure("perintah tidak sah", "invalid command line",
                   f"{message}; lihat / see: {prog} --help")  # fmt: skip


def file_error(exc: OSError) -> Failure:
    """An ``OSError`` about a file the user named: which file, and why, in both languages."""
    why = {
        2: ("tidak ada", "no such file or directory"),
        13: ("tidak boleh diakses", "permission denied"),
        20: ("bukan folder", "not a directory"),
        21: ("sebuah folder", "is a directory"),
        28: ("disk penuh", "no space left"),
        30: ("hanya-baca", "read-only file system"),
    }.get(exc.errno or 0, ("tidak dapat dipakai", exc.strerror or type(exc).__name__))
    name = exc.filename if exc.filename is not None else ""
    return Failure(f"berkas {why[0]}", why[1], str(name))


def run(body: Callable[[], int | None], prog: str,
        expected: Sequence[type[BaseException]] = ()) -> int:  # fmt: skip
    """Run ``body`` and map what it raises to one stderr line and an exit code."""
    import typer

    try:
        code = body()
        return code if isinstance(code, int) else OK
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        say(line("dibatalkan", "cancelled"))
        return CANCELLED
    except Failure as exc:
        say(exc.line())
        return exc.code
    except typer.TyperException as exc:  # click's usage errors, as typer ships them
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())  # a group given no command: its help, not a failure
            return OK
        where = ctx.command_path if ctx is not None else prog
        say(usage(exc.format_message(), where).line())
        return FAILED
    except tuple(expected) as exc:  # the program's own errors: already one bilingual sentence
        say(f"hadir: {exc}")
        return FAILED
    except OSError as exc:
        say(file_error(exc).line())
        return FAILED
    except Exception as exc:
        if os.environ.get("HADIR_DEBUG"):
            raise
        say(line("kesalahan internal", "internal error",
                 f"{type(exc).__name__}: {exc} (HADIR_DEBUG=1: traceback)"))  # fmt: skip
        return FAILED


def main(app: Any, prog: str, expected: Sequence[type[BaseException]] = (),
         argv: list[str] | None = None) -> NoReturn:  # fmt: skip
    """``python -m …`` of a typer app: run it without click's standalone handling."""

    def body() -> int | None:
        return app(args=argv, prog_name=prog, standalone_mode=False)

    sys.exit(run(body, prog, expected))


class ArgumentParser(argparse.ArgumentParser):
    """argparse, failing as the rest: one line and exit 1 instead of usage + exit 2."""

    def error(self, message: str) -> NoReturn:
        raise usage(message, self.prog)
