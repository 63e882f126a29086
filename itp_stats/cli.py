"""The ``itp-stats`` command line.

Each sub-command lives in the module that owns its concern and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable taking the parsed
arguments and returning the exit status). This module only dispatches, and turns the
project's own errors, and any ``OSError`` of a file or folder a command writes or reads (said
in words by :func:`itp_stats.files.explain_os_error`), into one-line messages with a non-zero
exit status (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from itp_stats import __version__
from itp_stats.errors import ItpStatsError

__all__ = ["build_parser", "main"]

# sub-command -> module exposing register(subparsers)
_COMMANDS = {
    "synth": "itp_stats.cohort.synth",
    "validate": "itp_stats.gate.cli",
    "gate": "itp_stats.gate.cli",
    "metadata": "itp_stats.study.metadata",
    "render": "itp_stats.render.cli",
    "stage": "itp_stats.render.staging",
    "tables": "itp_stats.report.publish",
    "publish": "itp_stats.render.staging",
    "plan": "itp_stats.render.plan",
    "bundle": "itp_stats.bundle.cli",
    "verify": "itp_stats.bundle.cli",
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names (its first word that is not an option), if known.

    ``None`` when the top-level help is asked for before any command (it lists them all).
    """
    for word in argv:
        if word in {"-h", "--help"}:
            return None
        if not word.startswith("-"):
            return word if word in _COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the top-level parser with the sub-commands registered.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments about to be parsed. When they name a known sub-command, only the module
        owning it is imported (a command does not pay for the imports of the others: the
        render's ``gate`` and ``tables`` steps start in a fraction of a second); otherwise
        every sub-command is registered, for the help and the usage errors.
    """
    parser = argparse.ArgumentParser(
        prog="itp-stats",
        description="Validate an ITP rituximab cohort, compute the analysis plan and render "
        "the study report.",
    )
    parser.add_argument("--version", action="version", version=f"itp-stats {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen(argv) if argv is not None else None
    modules = [_COMMANDS[chosen]] if chosen else list(dict.fromkeys(_COMMANDS.values()))
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a concern not built yet
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def _study_argument(args: argparse.Namespace) -> str | None:
    """The study configuration a command names: ``--study``, else ``-P study=…``."""
    study = getattr(args, "study", None)
    for item in getattr(args, "params", None) or []:
        key, sep, value = str(item).partition("=")
        if sep and key.strip() == "study":
            study = study or value.strip()
    return study


def _check_study(args: argparse.Namespace) -> None:
    """Refuse a missing or inconsistent study configuration before any work.

    The commands that use a study (``validate``, ``gate``, ``render``) read it whole here —
    data model and analysis plan — so a wrong key ends at once with the file and the key
    named (exit 2), before the gate or a kernel starts.
    """
    if args.command not in {"validate", "gate", "render"}:
        return
    if args.command == "gate" and getattr(args, "write_suite", False):
        return
    from pathlib import Path

    from itp_stats.errors import DictionaryError, StudyConfigError
    from itp_stats.study.config import load_study

    study = _study_argument(args)
    # as the commands themselves do: a path on the command line is relative to the current
    # folder ($ITP_STATS_STUDY and the default are resolved by the study module)
    study = str(Path(study).expanduser().resolve()) if study else None
    if args.command != "gate":
        load_study(study)
        return
    # the pre-render gate: a data-model error is the gate's own to report (it records a failed
    # result for the documents); an analysis key it does not read is recorded here the same way
    from itp_stats.cohort.design import load_data_model

    try:
        dictionary = load_data_model(study)
    except (StudyConfigError, DictionaryError):
        return
    try:
        load_study(study)
    except StudyConfigError as exc:
        from itp_stats.config import gate_result_path
        from itp_stats.gate.cli import _write_failure
        from itp_stats.gate.result import resolve_data_path

        out = Path(args.json) if getattr(args, "json", None) else gate_result_path()
        _write_failure(out, resolve_data_path(getattr(args, "data", None)), str(exc), dictionary)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        _check_study(args)
        return int(args.func(args) or 0)
    except ItpStatsError as exc:
        print(f"itp-stats {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        after = (
            "; the render was stopped and nothing of it was published: the previous outputs "
            "are unchanged"
            if args.command == "render"
            else ""
        )
        print(f"itp-stats {args.command}: interrupted{after}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file or folder the command could not write or read
        from itp_stats.files import explain_os_error

        print(f"itp-stats {args.command}: error: {explain_os_error(exc)}", file=sys.stderr)
        return 1
