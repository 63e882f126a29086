"""The gate's result: its JSON file, and the light reader the report documents call.

This module does not import Great Expectations (whose import alone costs seconds): documents
read the JSON the render's pre-render step (``itp-stats gate``) wrote. When that JSON is
missing, or was made for other data (its SHA-256 differs), another data model (study
configuration or data dictionary) or another stored suite, the gate is run in-process as a
fallback, so a document never analyses unvalidated data.

JSON layout (``schema`` ``itp-stats/gate-result/1``)::

    {
      "schema": "itp-stats/gate-result/1",
      "passed": false,                      # no critical rule failed
      "data_path": "/abs/path/cohort.csv",
      "data_sha256": "…",                   # of the file's bytes
      "dictionary_sha256": "…",             # of the study configuration and its dictionary
      "n_rows": 72, "n_columns": 29,
      "timestamp": "2025-01-01T12:00:00+00:00",
      "gx_version": "1.24.1", "itp_stats_version": "0.1.0",
      "suite": "itp_rituximab_cohort__itp_rituximab",  # <dictionary>__<study> names
      "suite_sha256": "…",                  # of validation/expectations/<suite>.json, or null
      "code_sha256": "…",                   # of the itp_stats package's source files
      "n_rules": 71, "n_failed_critical": 1, "n_failed_warning": 0,
      "critical_failures": ["cd4_m0.within_parent"],
      "warnings": ["response_m6.present (warning): … 2 of 70 rows failed: P010, P040"],
      "error": null,                        # set when the file could not be read
      "steps": [
        {"step": 1, "rule_id": "table.columns", "rule": "The file has exactly …",
         "columns": [], "severity": "critical", "n_tested": 29, "n_failed": 0,
         "pct_failed": 0.0, "failing_ids": [], "passed": true, "evaluated": true,
         "detail": ""},
        …
      ],
      "content_sha256": "…"                 # of all the above (see below)
    }

The file proves itself: :func:`write_gate_result` adds ``content_sha256``, the SHA-256 of the
canonical JSON of every other field (keys sorted, no spaces), and the reader checks it, then
the layout (every field of its type, every step complete) and its internal consistency
(``passed`` agrees with the steps, the counts with the lists). A file that does not verify — a
flipped bit, a renamed key, a hand edit, a truncated write — is not a result: the documents
run the gate again instead of trusting it or failing with a traceback. The documents also
check ``n_rows`` against the rows of the data they load (see
:func:`itp_stats.study.prepare.prepare_study`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itp_stats.config import gate_result_path
from itp_stats.errors import CohortReadError, ItpStatsError
from itp_stats.files import sha256_file
from itp_stats.verified import write_private

if TYPE_CHECKING:
    import pandas as pd

    from itp_stats.cohort.dictionary import Dictionary
    from itp_stats.cohort.source import Source

__all__ = [
    "SCHEMA",
    "STEP_COLUMNS",
    "GateFailedError",
    "GateResult",
    "code_sha256",
    "content_sha256",
    "current_result",
    "dictionary_sha256",
    "MAX_STORED_IDS",
    "gate_warnings",
    "ids_text",
    "installed_gx_version",
    "load_gate_result",
    "read_gate_result",
    "resolve_data_path",
    "sha256_file",
    "step_table",
    "stored_suite_sha256",
    "write_gate_result",
]

SCHEMA = "itp-stats/gate-result/1"
"""Identifier of the JSON layout."""

STEP_COLUMNS = (
    "rule_id",
    "rule",
    "columns",
    "severity",
    "n_tested",
    "n_failed",
    "pct_failed",
    "failing_ids",
    "passed",
    "detail",
)
"""Columns of :func:`step_table`."""


class GateFailedError(ItpStatsError):
    """The cohort failed a critical rule of the validation gate (exit status 1)."""

    exit_status = 1


@dataclass(frozen=True)
class GateResult:
    """Result of one gate run.

    Attributes
    ----------
    passed : bool
        True when no critical rule failed (warnings allowed).
    data_path : str
        Absolute path of the validated file.
    data_sha256 : str or None
        SHA-256 of the file's bytes.
    dictionary_sha256 : str or None
        SHA-256 of the data model validated against: the study configuration's and its data
        dictionary's bytes (:func:`dictionary_sha256`).
    n_rows, n_columns : int
        Size of the file.
    timestamp : str
        ISO 8601 time of the run (UTC).
    gx_version, itp_stats_version : str
        Versions used.
    suite : str
        Name of the expectation suite (:func:`itp_stats.gate.suite.suite_name`).
    steps : list of dict
        One per rule, in suite order (see the module docstring for the keys).
    warnings : list of str
        One line per warning rule that failed.
    error : str or None
        Why the file could not be validated at all (unreadable file), else None.
    code_sha256 : str or None
        SHA-256 of the itp_stats source that made the result (see :func:`code_sha256`).
    suite_sha256 : str or None
        SHA-256 of the stored, reviewed suite file the rules were checked against
        (``validation/expectations/<suite>.json``); None when no suite was stored.
    """

    passed: bool
    data_path: str
    data_sha256: str | None
    dictionary_sha256: str | None
    n_rows: int
    n_columns: int
    timestamp: str
    gx_version: str
    itp_stats_version: str
    suite: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    code_sha256: str | None = None
    suite_sha256: str | None = None

    @property
    def critical_failures(self) -> list[dict[str, Any]]:
        """Steps of critical rules that did not pass."""
        return [s for s in self.steps if s["severity"] == "critical" and not s["passed"]]

    def step_table(self, max_ids: int = 10) -> pd.DataFrame:
        """The step table as a tidy DataFrame (see :func:`step_table`)."""
        return step_table(self, max_ids=max_ids)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the file layout)."""
        body = asdict(self)
        failed = [s for s in self.steps if not s["passed"]]
        return {
            "schema": SCHEMA,
            "passed": self.passed,
            "data_path": self.data_path,
            "data_sha256": self.data_sha256,
            "dictionary_sha256": self.dictionary_sha256,
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "timestamp": self.timestamp,
            "gx_version": self.gx_version,
            "itp_stats_version": self.itp_stats_version,
            "suite": self.suite,
            "suite_sha256": self.suite_sha256,
            "code_sha256": self.code_sha256,
            "n_rules": len(self.steps),
            "n_failed_critical": sum(s["severity"] == "critical" for s in failed),
            "n_failed_warning": sum(s["severity"] == "warning" for s in failed),
            "critical_failures": [s["rule_id"] for s in self.critical_failures],
            "warnings": body["warnings"],
            "error": self.error,
            "steps": body["steps"],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        """Rebuild a result from its JSON dictionary, checking its layout.

        Every field must be present and of its type, every step complete, and the result
        consistent with itself: ``passed`` true only with no critical step failed and no
        error, false only with one of them; ``n_rules``, ``critical_failures`` and the
        failure counts, when given, agree with the steps.

        Raises
        ------
        ValueError
            When ``data`` is not a gate result of this layout (the message says why).
        """
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError("not an itp-stats gate result")
        _check_layout(data)
        names = cls.__dataclass_fields__
        result = cls(**{k: v for k, v in data.items() if k in names})
        _check_consistency(result, data)
        return result

    def summary(self) -> str:
        """One line: passed or failed, rules, rows, warnings."""
        n_crit = len(self.critical_failures)
        status = "passed" if self.passed else f"FAILED ({n_crit} critical rule(s))"
        return (
            f"validation gate {status}: {Path(self.data_path).name}, {self.n_rows} rows, "
            f"{len(self.steps)} rules, {len(self.warnings)} warning(s)"
        )


_HEX64 = frozenset("0123456789abcdef")
_TEXT_FIELDS = ("data_path", "timestamp", "gx_version", "itp_stats_version", "suite")
_DIGEST_FIELDS = ("data_sha256", "dictionary_sha256", "code_sha256", "suite_sha256")
_STEP_FIELDS: dict[str, tuple[type, ...]] = {
    "rule_id": (str,),
    "rule": (str,),
    "columns": (list,),
    "severity": (str,),
    "n_tested": (int,),
    "n_failed": (int,),
    "pct_failed": (int, float),
    "failing_ids": (list,),
    "passed": (bool,),
}
_SEVERITIES = ("critical", "warning")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _digest_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64)


def _check_layout(data: dict[str, Any]) -> None:
    """Raise ValueError unless every field of ``data`` has its type (see :func:`from_dict`)."""
    if not isinstance(data.get("passed"), bool):
        raise ValueError("'passed' is not true or false")
    for name in _TEXT_FIELDS:
        if not isinstance(data.get(name), str):
            raise ValueError(f"{name!r} is missing or not text")
    for name in _DIGEST_FIELDS:
        if not _digest_or_none(data.get(name)):
            raise ValueError(f"{name!r} is not a SHA-256")
    for name in ("n_rows", "n_columns"):
        if not _count(data.get(name)):
            raise ValueError(f"{name!r} is not a count")
    if not (data.get("error") is None or isinstance(data.get("error"), str)):
        raise ValueError("'error' is not text")
    warnings = data.get("warnings")
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ValueError("'warnings' is not a list of texts")
    steps = data.get("steps")
    if not isinstance(steps, list):
        raise ValueError("'steps' is not a list")
    for i, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise ValueError(f"step {i} is not a mapping")
        for name, types in _STEP_FIELDS.items():
            value = step.get(name)
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise ValueError(f"step {i}: {name!r} is missing or of the wrong type")
        if step["severity"] not in _SEVERITIES:
            raise ValueError(f"step {i}: unknown severity {step['severity']!r}")
        if not (_count(step["n_tested"]) and _count(step["n_failed"])):
            raise ValueError(f"step {i}: a count is negative")
        if not all(isinstance(c, str) for c in [*step["columns"], *step["failing_ids"]]):
            raise ValueError(f"step {i}: columns or failing ids are not texts")
        if not isinstance(step.get("detail", ""), str):
            raise ValueError(f"step {i}: 'detail' is not text")
        if not isinstance(step.get("evaluated", True), bool):
            raise ValueError(f"step {i}: 'evaluated' is not true or false")


def _check_consistency(result: GateResult, data: dict[str, Any]) -> None:
    """Raise ValueError when ``result`` contradicts itself (see :func:`from_dict`)."""
    critical = [s["rule_id"] for s in result.critical_failures]
    if result.passed and (critical or result.error is not None):
        raise ValueError("'passed' is true but a critical rule failed or the file was unreadable")
    if not result.passed and not critical and result.error is None:
        raise ValueError("'passed' is false but no critical rule failed")
    failed = [s for s in result.steps if not s["passed"]]
    derived = {
        "n_rules": len(result.steps),
        "n_failed_critical": sum(s["severity"] == "critical" for s in failed),
        "n_failed_warning": sum(s["severity"] == "warning" for s in failed),
        "critical_failures": critical,
    }
    for name, value in derived.items():
        if name in data and data[name] != value:
            raise ValueError(f"{name!r} disagrees with the steps")


def content_sha256(data: dict[str, Any]) -> str:
    """SHA-256 of a gate result's JSON fields (``content_sha256`` itself left out).

    The fields are serialised as canonical JSON (keys sorted, no spaces, non-ASCII kept), so
    the digest is the same before writing and after reading the file back.
    """
    body = {k: v for k, v in data.items() if k != "content_sha256"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dictionary_sha256(dictionary: Dictionary | None = None) -> str | None:
    """SHA-256 of the data model in use: the study configuration's and the dictionary's bytes.

    Parameters
    ----------
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (``$ITP_STATS_STUDY``, else the shipped
        ``data/study.yaml``). With a design attached, the hash covers the study configuration
        file and the dictionary it names; without one, the dictionary file alone (its plain
        SHA-256).

    Returns
    -------
    str or None
        None when a file cannot be read or the study configuration is invalid.
    """
    if dictionary is None:
        from itp_stats.cohort.dictionary import load_dictionary

        try:
            dictionary = load_dictionary()
        except ItpStatsError:
            return None
    if dictionary.path is None:
        return None
    study = getattr(dictionary.design, "path", None)
    try:
        dict_sha = sha256_file(dictionary.path)
        if study is None:
            return dict_sha
        study_sha = sha256_file(study)
    except OSError:
        return None
    text = f"study:{study_sha}\ndictionary:{dict_sha}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def stored_suite_sha256(dictionary: Dictionary | None = None) -> str | None:
    """SHA-256 of the stored suite of ``dictionary`` in ``validation/``; None when not stored.

    Does not import Great Expectations (see :func:`itp_stats.gate.suite.stored_suite_path`).
    """
    from itp_stats.gate.suite import stored_suite_path

    try:
        return sha256_file(stored_suite_path(dictionary))
    except OSError:
        return None


def code_sha256() -> str:
    """SHA-256 of the itp_stats package's Python source (file names and bytes).

    Any change to the package (the rules, how the file is read and typed, the gate itself)
    changes it, so a stored result is only reused by the code that made it.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def installed_gx_version() -> str | None:
    """Version of the installed Great Expectations, without importing it (None if absent)."""
    try:
        return importlib.metadata.version("great_expectations")
    except importlib.metadata.PackageNotFoundError:
        return None


def current_result(
    data_path: str | Path | Source,
    result_path: str | Path,
    dictionary: Dictionary | None = None,
) -> GateResult | None:
    """A stored result that still holds for ``data_path``, else None (no GX import).

    A result holds when it validated this file (same path and SHA-256 of its bytes) against
    the same data model (study configuration and dictionary bytes, :func:`dictionary_sha256`)
    and the same stored suite (:func:`stored_suite_sha256`, or none stored then and now), with
    the same Great Expectations version, the same itp_stats version and source
    (:func:`code_sha256`) and the same suite name, and the file could be read. Passed and
    failed results both hold: the same inputs give the same verdict.

    Parameters
    ----------
    data_path : str, Path or Source
        The cohort file (absolute, see :func:`resolve_data_path`), or the
        :class:`~itp_stats.cohort.source.Source` that read it (its digest is used: the file
        is not hashed again).
    result_path : str or Path
        The stored JSON result.
    dictionary : Dictionary, optional
        The data model in use; defaults to the dictionary of the study in use.

    Returns
    -------
    GateResult or None
    """
    from itp_stats import __version__
    from itp_stats.cohort.dictionary import load_dictionary
    from itp_stats.gate.suite import suite_name

    result = _load(Path(result_path))
    if result is None or result.error is not None or result.data_sha256 is None:
        return None
    if hasattr(data_path, "sha256"):  # a Source: its digest, taken as it was read
        path, sha = data_path.path, data_path.sha256
    else:
        path = Path(data_path)
        try:
            sha = sha256_file(path)
        except OSError:
            return None
    d = dictionary or load_dictionary()
    model = dictionary_sha256(d)
    if model is None:
        return None
    now = (
        str(path),
        sha,
        model,
        installed_gx_version(),
        __version__,
        suite_name(d),
        stored_suite_sha256(d),
        code_sha256(),
    )
    stored = (
        result.data_path,
        result.data_sha256,
        result.dictionary_sha256,
        result.gx_version,
        result.itp_stats_version,
        result.suite,
        result.suite_sha256,
        result.code_sha256,
    )
    return result if now == stored else None


def resolve_data_path(data: str | Path | None = None) -> Path:
    """The cohort file the gate and the documents use.

    Parameters
    ----------
    data : str or Path, optional
        Explicit path; else ``$ITP_STATS_DATA``; else the project's ``data/cohort.csv``.
        Relative paths are resolved against the project root. A database URL
        (``postgresql://…#table``) gives its source file in the state folder
        (:func:`itp_stats.cohort.sql.resolve_source`).

    Returns
    -------
    Path
        Absolute path (not checked for existence): :func:`itp_stats.cohort.source.resolve_data`.
    """
    from itp_stats.cohort.source import resolve_data

    return resolve_data(data)


def write_gate_result(result: GateResult, path: str | Path | None = None) -> Path:
    """Write a result as JSON, atomically (temporary file, then rename).

    Parameters
    ----------
    result : GateResult
    path : str or Path, optional
        Defaults to :func:`itp_stats.config.gate_result_path`.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path) if path is not None else gate_result_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # through JSON once, so the digest is of the values as they will be read back
    body = json.loads(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
    body["content_sha256"] = content_sha256(body)
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    write_private(path, text.encode("utf-8"), sync=True)
    return path


def load_gate_result(path: str | Path) -> GateResult | None:
    """The result stored at ``path`` when it verifies, else None (never raises).

    The file must be UTF-8 JSON of this layout whose ``content_sha256`` matches its content,
    and the result consistent with itself (see :meth:`GateResult.from_dict`). Anything else
    — missing, unreadable, truncated, a flipped bit or key, a hand edit — gives None, and the
    callers run the gate again.
    """
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
        if not isinstance(data, dict) or data.get("content_sha256") != content_sha256(data):
            return None
        return GateResult.from_dict(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _load(path: Path) -> GateResult | None:
    return load_gate_result(path)


def _failure_message(result: GateResult, limit: int = 5) -> str:
    if result.error:
        return f"{result.data_path}: {result.error}"
    parts = []
    for step in result.critical_failures[:limit]:
        ids = ", ".join(step["failing_ids"][:5])
        where = f" [{', '.join(step['columns'])}]" if step["columns"] else ""
        parts.append(f"{step['rule_id']}{where}" + (f" ({ids})" if ids else ""))
    more = len(result.critical_failures) - limit
    extra = f" and {more} more" if more > 0 else ""
    return (
        f"{result.data_path} failed the validation gate: {'; '.join(parts)}{extra}. "
        f"Run `itp-stats validate {result.data_path}` for the full step table."
    )


def read_gate_result(
    data_path: str | Path | Source | None = None,
    *,
    result_path: str | Path | None = None,
    rerun: bool = True,
    require_pass: bool = True,
    study: str | os.PathLike | None = None,
    data_sha256: str | None = None,
    force: bool = False,
) -> GateResult:
    """The gate's result for a cohort file, for the report documents.

    Parameters
    ----------
    data_path : str, Path or Source, optional
        The cohort file (see :func:`resolve_data_path`), or the
        :class:`~itp_stats.cohort.source.Source` that read it: its digest is compared with
        the stored result's and, when the gate has to run, its bytes are validated (the file
        is not read again). A path is opened as a Source (read once).
    result_path : str or Path, optional
        The JSON written by ``itp-stats gate``; defaults to
        :func:`itp_stats.config.gate_result_path`.
    rerun : bool
        When the JSON is missing or was made for other bytes, another data model (study
        configuration or dictionary) or another stored suite, run the gate in-process
        (importing Great Expectations) and write the JSON; when False, raise.
    require_pass : bool
        Raise :class:`GateFailedError` when a critical rule failed.
    study : str or path-like, optional
        The study configuration; defaults to ``$ITP_STATS_STUDY``, else the shipped one.
    data_sha256 : str, optional
        SHA-256 of the bytes the caller read (and will analyse); default: the source's. The
        result must be for these bytes; when the gate has to run and the file has changed
        since they were read, :class:`CohortReadError` is raised.
    force : bool
        Run the gate even when the stored result holds (the caller found it contradicts the
        data, e.g. another number of rows).

    Returns
    -------
    GateResult
        A result whose ``data_sha256`` is that of the bytes read (``data_sha256``, else the
        file now).

    Raises
    ------
    CohortReadError
        The data file does not exist or cannot be read, or changed while it was read.
    GateFailedError
        A critical rule failed (names the rules, columns and patient ids), or there is no
        current result and ``rerun`` is False.
    StudyConfigError, DictionaryError
        The study configuration or its dictionary is invalid.
    itp_stats.gate.suite.SuiteOutOfDateError
        The gate had to run and the suite stored in ``validation/`` is out of date.
    """
    from itp_stats.cohort.design import load_data_model
    from itp_stats.cohort.source import Source

    dictionary = load_data_model(study)
    source = Source.open(data_path)
    path = source.path
    sha = data_sha256 or source.sha256
    json_path = Path(result_path) if result_path is not None else gate_result_path()
    result = None if force else _load(json_path)
    current = (
        result is not None
        and result.error is None
        and result.data_sha256 == sha
        and result.dictionary_sha256 == dictionary_sha256(dictionary)
        and result.suite_sha256 == stored_suite_sha256(dictionary)
    )
    if not current:
        if not rerun:
            raise GateFailedError(
                f"{path}: no validation gate result for this file; run `itp-stats gate`"
            )
        from itp_stats.gate.run import validate_path

        result = validate_path(source, dictionary)
        if result.data_sha256 != sha:
            raise CohortReadError(
                f"{path}: the file changed while it was being read (its bytes differ from "
                "those validated); render again once nothing is writing to it"
            )
        try:
            write_gate_result(result, json_path)
        except OSError:
            pass
    assert result is not None
    if require_pass and not result.passed:
        raise GateFailedError(_failure_message(result))
    return result


MAX_STORED_IDS = 1000
"""Most failing patient ids kept per rule in the result (distinct, in file order)."""


def ids_text(ids: list[str], n_failed: int, max_ids: int = 10) -> str:
    """Up to ``max_ids`` failing ids, then ``(+N more)``.

    ``ids`` are distinct; when the list was cut at :data:`MAX_STORED_IDS`, the rest is
    counted from ``n_failed`` (failing rows).
    """
    shown = ids[:max_ids]
    total = len(ids) if len(ids) < MAX_STORED_IDS else max(n_failed, len(ids))
    more = total - len(shown)
    text = ", ".join(shown)
    return f"{text} (+{more} more)" if more > 0 and text else text


def step_table(result: GateResult, max_ids: int = 10) -> pd.DataFrame:
    """The step table for the report's data-quality section.

    Parameters
    ----------
    result : GateResult
    max_ids : int
        Most failing patient ids listed per rule.

    Returns
    -------
    pandas.DataFrame
        One row per rule, in suite order:

        - ``rule_id`` (str): stable identifier, e.g. ``cd4_m0.within_parent``;
        - ``rule`` (str): plain-language description;
        - ``columns`` (str): columns read, comma-separated (empty for table rules);
        - ``severity`` (str): ``critical`` or ``warning``;
        - ``n_tested`` (int): rows (or columns, for the column-set rule) tested;
        - ``n_failed`` (int): how many failed;
        - ``pct_failed`` (float): ``100 * n_failed / n_tested`` (0 when nothing was tested);
        - ``failing_ids`` (str): up to ``max_ids`` failing patient ids, ``(+N more)``;
        - ``passed`` (bool): the rule held (False when it could not be evaluated);
        - ``detail`` (str): failing values or why the rule was not evaluated.
    """
    rows = [
        {
            "rule_id": s["rule_id"],
            "rule": s["rule"],
            "columns": ", ".join(s["columns"]),
            "severity": s["severity"],
            "n_tested": int(s["n_tested"]),
            "n_failed": int(s["n_failed"]),
            "pct_failed": float(s["pct_failed"]),
            "failing_ids": ids_text(list(s["failing_ids"]), int(s["n_failed"]), max_ids),
            "passed": bool(s["passed"]),
            "detail": s.get("detail", ""),
        }
        for s in result.steps
    ]
    import pandas as pd

    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))


def gate_warnings(result: GateResult) -> list[str]:
    """Warnings of the run, one plain-language line each (for the report's callout)."""
    return list(result.warnings)
