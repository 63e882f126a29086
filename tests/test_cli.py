"""The command line: each command imports only what it needs, and every command is listed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from itp_stats.cli import _COMMANDS, build_parser


def _modules_after(argv: list[str]) -> set[str]:
    """Top-level modules imported by building the parser for ``argv`` (fresh interpreter)."""
    code = (
        "import sys\n"
        "from itp_stats.cli import build_parser\n"
        f"build_parser({argv!r})\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(proc.stdout.split())


@pytest.mark.parametrize("command", ["gate", "tables"])
def test_render_steps_do_not_import_the_heavy_libraries(command):
    # `gate` and `tables` run before and after every render: a reused gate result and a
    # verified export need no data frames, plots, kernels or Great Expectations
    imported = _modules_after([command, "--help-not-parsed"])
    heavy = {"pandas", "numpy", "matplotlib", "nbclient", "great_expectations", "scipy"}
    assert not heavy & imported, sorted(heavy & imported)


def test_a_command_registers_only_its_own_module():
    parser = build_parser(["tables"])
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert set(sub.choices) == {"tables"}


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h", "tables"], ["no-such-command"]])
def test_help_and_unknown_commands_list_every_command(argv):
    parser = build_parser(argv)
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert set(sub.choices) == set(_COMMANDS)


_MAIN = "import sys; from itp_stats.cli import main; sys.exit(main())"


def test_unknown_command_is_a_usage_error_naming_the_choices():
    proc = subprocess.run(
        [sys.executable, "-c", _MAIN, "frobnicate"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "invalid choice: 'frobnicate'" in proc.stderr
    assert all(name in proc.stderr for name in _COMMANDS)
    assert "Traceback" not in proc.stderr
