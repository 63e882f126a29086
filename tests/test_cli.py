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


# -- commands that write state end in one line when they cannot ------------------------------


def _project(tmp_path):
    from render_support import copy_report_project

    return copy_report_project(tmp_path / "project")


def _one_line(status: int, text: str) -> str:
    assert status != 0, text
    assert "Traceback" not in text, text
    errors = [line for line in text.splitlines() if ": error: " in line]
    assert len(errors) == 1, text
    return errors[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["gate"],
        ["metadata"],
        ["render", "report/index.qmd"],
        ["synth", "--out", ".itp-stats/c.csv"],
    ],
)
def test_state_folder_that_is_a_file_is_named(tmp_path, monkeypatch, argv):
    from render_support import run_cli

    root = _project(tmp_path)
    (root / ".itp-stats").write_text("not a folder")
    monkeypatch.chdir(root)
    line = _one_line(*run_cli(*argv, root=root))
    assert f"{root / '.itp-stats'} is a file, not a folder" in line or (
        argv[0] == "synth" and ".itp-stats is a file, not a folder" in line
    ), line
    assert "(File exists)" not in line
    assert (root / ".itp-stats").read_text() == "not a folder"  # left as it was


def test_gate_result_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    import errno

    from render_support import run_cli

    import itp_stats.gate.result as result

    root = _project(tmp_path)
    stale = root / ".itp-stats" / "gate.json"
    stale.parent.mkdir()
    stale.write_text("{}")

    def refuse(_result, path=None):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(result, "write_gate_result", refuse)
    line = _one_line(*run_cli("gate", "--force", root=root))
    assert "cannot write the gate result" in line and str(stale) in line
    assert f"{stale.parent} is not writable (Permission denied)" in line
    assert not stale.exists()  # no earlier verdict outlives the run


def test_metadata_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    import errno

    from render_support import run_cli

    import itp_stats.study.metadata as metadata

    root = _project(tmp_path)

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(metadata, "replaced_atomically", full)
    line = _one_line(*run_cli("metadata", root=root))
    assert "cannot write the documents' metadata" in line
    assert "No space left on device (the disk or the quota is full)" in line


def test_tables_into_an_unwritable_output_is_one_line(tmp_path, monkeypatch):
    import errno

    from render_support import run_cli

    import itp_stats.report.publish as publish

    root = _project(tmp_path)

    def refuse(_source, destination, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(destination))

    monkeypatch.setattr(publish, "publish_tables", refuse)
    line = _one_line(*run_cli("tables", root=root))
    assert "cannot write the result tables and figures" in line
    assert "is not writable (Permission denied)" in line


def test_other_os_errors_end_in_one_line(tmp_path, monkeypatch):
    import errno

    from render_support import run_cli

    import itp_stats.cohort.synth as synth

    def busy(*_args, **_kwargs):
        raise OSError(errno.EIO, "Input/output error", str(tmp_path / "c.csv"))

    monkeypatch.setattr(synth, "synthesize", busy)  # outside any write the command wraps
    line = _one_line(*run_cli("synth", "--out", str(tmp_path / "c.csv")))
    assert f"{tmp_path / 'c.csv'}: Input/output error" in line
