"""``itp-stats validate`` and ``itp-stats gate``.

- ``itp-stats validate FILE [--study STUDY] [--json OUT] [--docs DIR]`` prints the step table
  to stdout and exits 0 when no critical rule fails, 1 when one does, 2 when the file cannot be
  read, the study configuration or its dictionary is invalid, or the stored suite is out of
  date.
- ``itp-stats gate [--study STUDY]`` is the render's pre-render step: it validates
  ``$ITP_STATS_DATA`` (or ``--data``, or the project's ``data/cohort.csv``), writes the JSON
  result to ``.itp-stats/gate.json`` (``passed: false`` on failure, so documents refuse), prints
  a summary (the failing steps to stderr on failure) and exits like ``validate``. When the
  stored result still holds (same file bytes, study configuration and data dictionary, stored
  suite, Great Expectations and itp_stats versions, source and suite name:
  :func:`~itp_stats.gate.result.current_result`), it is reused without importing Great
  Expectations: a passed result exits 0 with its summary, a failed one exits 1 with its
  failures, both marked ``(cached result of <timestamp>)``. ``--force`` re-runs.
  ``itp-stats gate --write-suite [--study STUDY]`` regenerates the study's suite in
  ``validation/`` from its data dictionary.
- Both take a database URL instead of a file (``postgresql://…#table``, see
  :mod:`itp_stats.cohort.sql`): the rules then run in the database; a stored result of a
  table is reused only while the table's in-database digest is unchanged.

The study is ``--study`` (relative to the current folder), else ``$ITP_STATS_STUDY``, else the
shipped ``data/study.yaml``. The rules come from the dictionary it names; when ``validation/``
holds a suite of that name that differs, both commands refuse (exit 2) and name the command
that regenerates it; when it holds none, they say so on stderr and use the generated rules.

Great Expectations is imported only when a command runs, never when the parser is built.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from itp_stats.errors import ItpStatsError

if TYPE_CHECKING:
    from itp_stats.cohort.dictionary import Dictionary
    from itp_stats.cohort.source import Source
    from itp_stats.gate.result import GateResult

__all__ = ["register", "run_gate", "run_validate"]


def _utf8_safe() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def _data_model(args: argparse.Namespace) -> Dictionary:
    """The dictionary of the chosen study, with its design (``--study`` from the current folder).

    Raises
    ------
    StudyConfigError, DictionaryError
        The study configuration or its dictionary is invalid (exit status 2).
    """
    from itp_stats.cohort.design import load_data_model

    study = getattr(args, "study", None)
    return load_data_model(Path(study).expanduser().resolve() if study else None)


def _note_unstored(dictionary: Dictionary) -> None:
    from itp_stats.gate.suite import suite_note

    note = suite_note(dictionary)
    if note:
        print(note, file=sys.stderr)


def run_validate(args: argparse.Namespace) -> int:
    """Run ``itp-stats validate``; return the exit status."""
    from itp_stats.gate.report import format_report
    from itp_stats.gate.run import validate_path

    _utf8_safe()
    dictionary = _data_model(args)
    docs = Path(args.docs).resolve() if args.docs else None
    result = validate_path(args.file, dictionary, docs_dir=docs)
    print(format_report(result, only_failed=args.failures_only))
    if args.json:
        out = _write_result(result, Path(args.json))
        print(f"result written to {out}")
    if docs is not None:
        print(f"Data Docs written to {docs / 'index.html'}")
    _note_unstored(dictionary)
    return 0 if result.passed else 1


def _write_result(result: GateResult, path: Path) -> Path:
    """Write a gate result; a file that cannot be written ends the command in one line.

    Raises
    ------
    WriteError
        ``path`` or its folder cannot be written (the message says why: a file where the
        folder should be, no permission, a full disk).
    """
    from itp_stats.files import write_failure
    from itp_stats.gate.result import write_gate_result

    try:
        return write_gate_result(result, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # no earlier verdict outlives this run
            path.unlink(missing_ok=True)
        raise write_failure(
            exc, path, "the gate result", "the documents cannot be rendered without it"
        ) from None


def _write_failure(path: Path, data: Path, message: str, dictionary: Dictionary | None) -> None:
    """Record a failed gate for the documents, if the result can be written at all.

    The error that caused it is the one the user needs: a result that cannot be written is
    not reported in its place (an earlier result is removed where possible, and the
    documents refuse a missing one).
    """
    from itp_stats import __version__
    from itp_stats.gate.result import GateResult, dictionary_sha256
    from itp_stats.gate.suite import suite_name

    result = GateResult(
        passed=False,
        data_path=str(data),
        data_sha256=None,
        dictionary_sha256=dictionary_sha256(dictionary) if dictionary is not None else None,
        n_rows=0,
        n_columns=0,
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        gx_version="",
        itp_stats_version=__version__,
        suite=suite_name(dictionary) if dictionary is not None else "",
        error=message,
    )
    with contextlib.suppress(ItpStatsError):
        _write_result(result, path)


def run_gate(args: argparse.Namespace) -> int:
    """Run ``itp-stats gate``; return the exit status."""
    from itp_stats.config import gate_result_path

    _utf8_safe()
    if args.write_suite:
        from itp_stats.gate.suite import validation_dir, write_project

        dictionary = _data_model(args)
        target = validation_dir()
        try:
            written = write_project(target, dictionary)
        except OSError as exc:
            from itp_stats.files import write_failure

            raise write_failure(exc, exc.filename or target, "the suite into") from None
        print(f"wrote {len(written)} files to {target}")
        return 0

    from itp_stats.gate.result import current_result, resolve_data_path
    from itp_stats.steps import renders_only_the_plan

    if renders_only_the_plan():  # the plan is written before any data: nothing to validate
        print("itp-stats gate: the analysis plan alone is rendered: no cohort", file=sys.stderr)
        return 0
    data = resolve_data_path(args.data)
    out = Path(args.json) if args.json else gate_result_path()
    dictionary = None
    try:
        dictionary = _data_model(args)
        from itp_stats.cohort.source import Source

        source = Source.open(data)  # read once: its digest, then (if need be) validated
        cached = None if args.force else current_result(source, out, dictionary)
        if cached is not None and source.kind == "table":
            from itp_stats.cohort.sql import source_unchanged

            if not source_unchanged(source.path):
                cached = None  # a table: its rows changed since the stored result (digest)
        if cached is not None:
            _hand_over(source, cached)
            _note_unstored(dictionary)
            return _report(cached, f" (cached result of {cached.timestamp})")

        from itp_stats.gate.run import validate_path

        result = validate_path(source, dictionary)
    except ItpStatsError as exc:
        # no stale verdict survives: the documents see a failed result and refuse
        _write_failure(out, data, str(exc), dictionary)
        _hand_over(None, None)
        raise
    _write_result(result, out)
    _hand_over(source, result)
    _note_unstored(dictionary)
    return _report(result)


def _hand_over(source: Source | None, result: GateResult | None) -> None:
    """Hand the bytes that passed to the render's documents, so that they do not read the
    file again (:mod:`itp_stats.cohort.handoff`); withdraw what an earlier run handed over
    when they did not pass. A state folder that cannot be written only costs the documents
    a read of the file."""
    from itp_stats.cohort.handoff import hand_over, withdraw

    with contextlib.suppress(OSError):
        if source is not None and result is not None and result.passed:
            hand_over(source)
        else:
            withdraw()


def _report(result: GateResult, note: str = "") -> int:
    """Print a gate result for the render log (stderr); return the exit status."""
    from itp_stats.gate.report import format_report

    if result.passed:
        print(result.summary() + note, file=sys.stderr)
        for line in result.warnings:
            print(f"  warning: {line}", file=sys.stderr)
        return 0
    print(format_report(result, only_failed=True), file=sys.stderr)
    if note:
        print(note.strip(), file=sys.stderr)
    return 1


_STUDY_HELP = (
    "study configuration (default $ITP_STATS_STUDY, else the shipped data/study.yaml); its "
    "data dictionary gives the rules"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` and ``gate`` sub-commands."""
    validate = subparsers.add_parser(
        "validate",
        help="check a cohort file against the data dictionary's rules",
        description="Validate a cohort file with the Great Expectations gate and print the "
        "step table. Exit status: 0 no critical rule failed, 1 a critical rule failed, "
        "2 the file cannot be read, the study configuration is invalid or the stored suite is "
        "out of date.",
    )
    validate.add_argument(
        "file", help="cohort file (.csv, .xlsx or .parquet) or postgresql://…#TABLE"
    )
    validate.add_argument("--study", metavar="STUDY.yaml", help=_STUDY_HELP)
    validate.add_argument("--json", metavar="OUT", help="write the full result as JSON")
    validate.add_argument("--docs", metavar="DIR", help="build GX Data Docs HTML into DIR")
    validate.add_argument(
        "--failures-only", action="store_true", help="list only the rules that did not pass"
    )
    validate.set_defaults(func=run_validate)

    gate = subparsers.add_parser(
        "gate",
        help="pre-render step: validate the report's data and record the result",
        description="Validate $ITP_STATS_DATA (or --data, or data/cohort.csv) and write the "
        "result to .itp-stats/gate.json for the report documents. Exit status as validate.",
    )
    gate.add_argument(
        "--data",
        metavar="PATH",
        help="cohort file or postgresql://…#TABLE (default $ITP_STATS_DATA)",
    )
    gate.add_argument("--study", metavar="STUDY.yaml", help=_STUDY_HELP)
    gate.add_argument("--json", metavar="OUT", help="write the result here instead")
    gate.add_argument(
        "--force",
        action="store_true",
        help="validate again even when the stored result still holds for the file",
    )
    gate.add_argument(
        "--write-suite",
        action="store_true",
        help="regenerate the study's suite in validation/ (suite, checkpoint, rules) from its "
        "data dictionary",
    )
    gate.set_defaults(func=run_gate)
