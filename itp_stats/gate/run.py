"""Running the gate: a Great Expectations context, the checkpoint, and the step table.

The context is ephemeral (in-memory stores: nothing is written unless Data Docs are asked
for, and then only into the chosen folder), with analytics and progress bars off. It is built
once per process and suite. Each run validates the suite's expectations batch by narrow batch:
every expectation sees a DataFrame of the cohort's columns it reads (:mod:`itp_stats.gate.plan`),
because GX's pandas engine copies its whole batch for most expectations.

GX returns results in its own order; they are put back in suite order by ``meta.rule_id``,
and each becomes one step (rule, columns, severity, rows tested, failures, % failed, failing
patient ids), like an R pointblank agent report.

Data Docs pages show cell values, column names and the rules' descriptions as GX's templates
write them, unescaped: a patient id ``<script>…`` would run in the page. The Data Docs run
therefore sees a copy of the frame and of the suite whose texts are HTML-escaped (values,
categories, column names, value sets, descriptions; :func:`html.escape` is one-to-one, so
every rule decides as on the real texts) and the page shows them as the literal texts. The
gate's own result always comes from the unescaped frame and suite.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import html
import io
import json
import logging
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import union_categoricals

from itp_stats import __version__
from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.cohort.source import Source
from itp_stats.gate.batch import (
    BatchChunk,
    BatchStream,
    GateBatch,
    read_batch,
    row_labels,
    stream_batch,
)
from itp_stats.gate.memo import configurations_memoised
from itp_stats.gate.plan import (
    HEADER_ONLY,
    TABLE_LEVEL,
    UNIQUE,
    NarrowBatch,
    expectation_columns,
    plan_batches,
)
from itp_stats.gate.result import (
    MAX_STORED_IDS,
    GateResult,
    code_sha256,
    dictionary_sha256,
    sha256_file,
)
from itp_stats.gate.rows import KeptRows
from itp_stats.gate.suite import (
    ASSET_NAME,
    BATCH_DEFINITION_NAME,
    CHECK_PREFIX,
    DATASOURCE_NAME,
    GROUP_CHECK,
    RESULT_FORMAT,
    UNPARSED_CHECK,
    Rule,
    build_rules,
    check_columns,
    check_stored_suite,
    checkpoint_name,
    suite_dict,
    suite_name,
)

__all__ = [
    "MAX_DETAIL",
    "GateRuntime",
    "docs_frame",
    "docs_suite",
    "gate_result",
    "gate_runtime",
    "gx_version",
    "quiet_gx",
    "step_row",
    "validate_batch",
    "validate_frame",
    "validate_path",
    "validate_stream",
]

MAX_DETAIL = 10
"""Most failing patient ids a step of the gate's table lists (the file and database gates)."""


def _import_gx() -> Any:
    """Import Great Expectations with analytics off and its loggers quiet."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def gx_version() -> str:
    """Version of Great Expectations (imports it)."""
    return str(_import_gx().__version__)


@contextlib.contextmanager
def quiet_gx():
    """Silence GX's prints and warnings while it runs."""
    sink = io.StringIO()
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        warnings.simplefilter("ignore")
        yield


@dataclass
class GateRuntime:
    """A GX context with the gate's datasource, suite, validation definition and checkpoint.

    Attributes
    ----------
    context : great_expectations.data_context.EphemeralDataContext
    checkpoint : great_expectations.Checkpoint
    rules : list of Rule
        The rules in suite order.
    docs_dir : Path or None
        Where Data Docs are built, when asked for.
    plan : list of NarrowBatch
        The suite split into narrow batches (see :mod:`itp_stats.gate.plan`).
    reads : list of frozenset of str
        Per expectation, in suite order, the batch columns it reads.
    suite_name : str
        Name of the suite (:func:`itp_stats.gate.suite.suite_name`).
    stored_suite : Path or None
        The stored suite file in ``validation/`` the rules were checked against (equal to
        them); None when none is stored.
    expectations : list
        The suite's expectations as generated, validated by :meth:`run`; empty when they are
        the checkpoint's own (no Data Docs: the checkpoint's suite is then not escaped).
    """

    context: Any
    checkpoint: Any
    rules: list[Rule]
    docs_dir: Path | None = None
    plan: list[NarrowBatch] = field(default_factory=list)
    reads: list[frozenset[str]] = field(default_factory=list)
    suite_name: str = ""
    stored_suite: Path | None = None
    expectations: list[Any] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def _validate(
        self, frame: pd.DataFrame, indexes: list[int], result_format: str
    ) -> dict[str, Any]:
        """Validate the suite's expectations at ``indexes``, batch by narrow batch."""
        import great_expectations as gx
        from great_expectations.validator.v1_validator import Validator

        validation = self.checkpoint.validation_definitions[0]
        expectations = self.expectations or validation.suite.expectations
        wanted = set(indexes)
        present = set(frame.columns)
        results: dict[str, Any] = {}
        for batch in self.plan:
            # a rule reading a column the file lacks is reported as not evaluated (see _step)
            chosen = [i for i in batch.indexes if i in wanted and self.reads[i] <= present]
            if not chosen:
                continue
            if batch.header_only:
                # the column names alone: no rows, and no categories (GX fingerprints a batch,
                # categories included, even when it has no rows)
                data = pd.DataFrame(columns=frame.columns)
            else:
                columns = set().union(*(self.reads[i] for i in chosen))
                data = frame[[c for c in frame.columns if c in columns]]
            suite = gx.ExpectationSuite(
                name=self.suite_name,
                expectations=[expectations[i].copy(update={"id": None}) for i in chosen],
            )
            validator = Validator(
                validation.data,
                result_format={"result_format": result_format},
                batch_parameters={"dataframe": data},
            )
            for res in validator.validate_expectation_suite(suite).results:
                results[res.expectation_config.meta["rule_id"]] = res
        return results

    def build_docs(self, frame: pd.DataFrame) -> None:
        """Run the checkpoint on the whole frame (escaped) and build the Data Docs from it."""
        if self.docs_dir is None:
            return
        with quiet_gx():
            self.checkpoint.run(batch_parameters={"dataframe": docs_frame(frame)})
            self.context.build_data_docs()

    def run_chunks(self, chunks: Iterable[BatchChunk]) -> ChunkedRun:
        """Validate a cohort given as chunks of rows; return the merged results.

        Each expectation that decides rows one by one runs on every chunk (``BASIC``, then
        ``COMPLETE`` where rows failed), and its counts and failing rows (numbered in the
        cohort) are added up; the column-set rule runs on the first chunk's header; the
        :data:`TABLE_LEVEL` expectations run once, after the last chunk, on the cohort's
        columns they read, gathered from every chunk. Of each rule's first failing rows, the
        cells are kept for the step table. A cohort in one chunk (``last`` on the first) is
        validated in one pass of every rule, as a whole frame is.
        """
        n_rules = len(self.rules)
        header = [i for i in range(n_rules) if self.types[i] in HEADER_ONLY and not self.reads[i]]
        table = [i for i in range(n_rules) if self.types[i] in TABLE_LEVEL]
        rows = [i for i in range(n_rules) if i not in set(header) | set(table)]
        gathered = sorted(set().union(*(self.reads[i] for i in table))) if table else []
        merged: dict[str, _Merged] = {}
        kept: KeptRows | None = None
        parts: dict[str, list[Any]] = {c: [] for c in gathered}
        # columns read by the uniqueness rule alone: only which values are equal matters
        equality = {
            c for c in gathered if all(self.types[i] == UNIQUE for i in table if c in self.reads[i])
        }
        whole: pd.DataFrame | None = None
        n = 0
        with quiet_gx(), configurations_memoised():
            for chunk in chunks:
                frame = chunk.frame
                if kept is None:
                    kept = KeptRows(frame.columns)
                    if chunk.last:  # the whole cohort: every rule at once
                        self._validate_rows(frame, list(range(n_rules)), 0, merged, kept)
                        whole = frame[[c for c in gathered if c in frame]]
                        n = len(frame)
                        continue
                    _merge(merged, self._validate(frame, header, RESULT_FORMAT["result_format"]))
                self._validate_rows(frame, rows, chunk.start, merged, kept)
                for c in gathered:
                    if c in frame:
                        parts[c].append(_compact(frame[c], c in equality))
                n = chunk.start + len(frame)
            if whole is None:
                whole = pd.DataFrame(
                    {c: _concat(p) for c, p in parts.items() if p}, index=pd.RangeIndex(n)
                )
                if kept is None:
                    kept = KeptRows(whole.columns)
                self._validate_rows(whole, table, 0, merged, kept)
        kept.distinct = _distinct_of(whole)
        return ChunkedRun(merged, kept, whole, n)

    def _validate_rows(
        self,
        frame: pd.DataFrame,
        indexes: list[int],
        start: int,
        merged: dict[str, _Merged],
        kept: KeptRows,
    ) -> None:
        """Validate ``indexes`` on ``frame`` (rows ``start``… of the cohort), merge, keep rows."""
        if not indexes:
            return
        first = self._validate(frame, indexes, RESULT_FORMAT["result_format"])
        _merge(merged, first)
        again = [
            i
            for i in indexes
            if (res := first.get(self.rules[i].rule_id)) is not None
            and (res.result or {}).get("unexpected_count")
        ]
        if not again:
            return
        wanted: set[int] = set()
        for rule_id, res in self._validate(frame, again, "COMPLETE").items():
            local = [int(r) for r in (res.result or {}).get("unexpected_index_list") or []]
            rows = merged[rule_id].result.setdefault("unexpected_index_list", [])
            room = max(MAX_DETAIL - len(rows), 0)
            wanted.update(local[:room])
            rows.extend(start + r for r in local)
        if not wanted:
            return
        for c in frame.columns:
            column, values = frame[c], kept.values.setdefault(c, {})
            for r in wanted:
                values[start + r] = column.iloc[r]


def _distinct_of(whole: pd.DataFrame) -> Callable[[str], list[Any]]:
    """A column's distinct values over the cohort, from the table-level rules' columns."""
    return lambda c: list(whole[c].dropna().unique()) if c in whole else []


@dataclass
class _Merged:
    """A rule's result over every chunk, read by the step builder as a GX result."""

    success: bool = True
    result: dict[str, Any] = field(default_factory=dict)
    exception_info: dict[str, Any] | None = None


def _merge(merged: dict[str, _Merged], results: dict[str, Any]) -> None:
    """Add one chunk's ``BASIC`` results to the merged ones (counts add, a failure stays)."""
    for rule_id, res in results.items():
        into = merged.setdefault(rule_id, _Merged())
        info = res.exception_info or {}
        if info.get("raised_exception") and into.exception_info is None:
            into.exception_info = dict(info)
        into.success = into.success and bool(res.success)
        result = res.result or {}
        for key in ("element_count", "missing_count", "unexpected_count"):
            if key in result:
                into.result[key] = into.result.get(key, 0) + int(result[key] or 0)
        for key in ("observed_value", "details"):
            if key in result:
                into.result[key] = result[key]


def _compact(column: pd.Series, equality: bool) -> Any:
    """A chunk's column, kept until the last chunk.

    A column only the uniqueness rule reads (``equality``), of ids as categories of texts,
    is kept as its values in Arrow strings (nulls for missing): as categories of Python
    strings it would cost about 60 bytes a row, and only which values are equal matters
    (:func:`_concat`). Other columns (a group, a count) are kept as they are.
    """
    if equality and isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if categories.dtype == object and all(isinstance(c, str) for c in categories):
            import pyarrow as pa

            codes = column.cat.codes.to_numpy()
            texts = pa.array(list(categories), pa.large_string())
            return texts.take(pa.array(codes, mask=codes < 0))
    return column


def _concat(parts: list[Any]) -> pd.Series:
    """One column from its chunks (:func:`_compact`), over every row of the cohort.

    Values kept as Arrow strings become each row's number among the distinct values of the
    whole cohort (missing stays missing): the uniqueness rule finds the same duplicated rows,
    and no Python string is made for a million ids. Other columns are concatenated in the
    form :func:`~itp_stats.gate.batch.gate_frame` gives.
    """
    import pyarrow as pa

    if all(isinstance(p, pa.Array) for p in parts):
        values = pa.chunked_array(parts, pa.large_string()).combine_chunks()
        numbers = values.dictionary_encode().indices.to_numpy(zero_copy_only=False)
        return pd.Series(numbers.astype(float))
    series = [
        pd.Series(pd.Categorical(p.to_pylist())) if isinstance(p, pa.Array) else p for p in parts
    ]
    if len(series) == 1:
        return series[0].reset_index(drop=True)
    if all(isinstance(p.dtype, pd.CategoricalDtype) for p in series):
        try:
            return pd.Series(union_categoricals(series, sort_categories=True))
        except TypeError:  # categories of different kinds: as one column of objects
            values = pd.concat([p.astype(object) for p in series], ignore_index=True)
            return pd.Series(pd.Categorical(values.where(values.notna(), None).to_numpy()))
    return pd.concat(series, ignore_index=True)


@dataclass(frozen=True)
class ChunkedRun:
    """What :meth:`GateRuntime.run_chunks` returns.

    Attributes
    ----------
    results : dict of str to object
        Per rule id, the merged result (``success``, ``result``, ``exception_info``).
    rows : KeptRows
        The cells of each rule's first failing rows, by their position in the cohort.
    whole : pandas.DataFrame
        The columns the table-level rules read, over every row.
    n_rows : int
        Rows validated.
    """

    results: dict[str, Any]
    rows: KeptRows
    whole: pd.DataFrame
    n_rows: int


_RUNTIMES: dict[str, GateRuntime] = {}

_ESCAPED_KWARGS = ("value_set", "column", "column_A", "column_B", "column_list", "column_set")


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list | tuple):
        return [_escape(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


def docs_suite(suite: dict[str, Any]) -> dict[str, Any]:
    """A copy of a suite for Data Docs: its texts HTML-escaped (see the module docstring).

    Value sets, column names and descriptions are escaped, as :func:`docs_frame` escapes the
    frame, so the escaped rules decide on the escaped frame as the rules on the frame.
    """
    out = copy.deepcopy(suite)
    for expectation in out.get("expectations", []):
        kwargs = expectation.get("kwargs", {})
        for name in _ESCAPED_KWARGS:
            if name in kwargs:
                kwargs[name] = _escape(kwargs[name])
        for name in ("description", "notes", "meta"):
            if name in expectation:
                expectation[name] = _escape(expectation[name])
    for name in ("meta", "notes"):
        if name in out:
            out[name] = _escape(out[name])
    return out


def docs_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a batch frame for Data Docs: texts, categories and column names escaped."""
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = list(column.cat.categories)
            escaped = [html.escape(c) if isinstance(c, str) else c for c in categories]
            if escaped != categories:
                column = column.cat.rename_categories(escaped)
        elif column.dtype == object:
            column = column.map(lambda v: html.escape(v) if isinstance(v, str) else v)
        columns[html.escape(str(name))] = column
    return pd.DataFrame(columns, index=frame.index)


def gate_runtime(
    dictionary: Dictionary | None = None, *, docs_dir: str | Path | None = None
) -> GateRuntime:
    """Build (or reuse) the GX context of the gate.

    The suite is generated from the dictionary and checked against the suite of the same
    name stored in ``validation/`` (:func:`itp_stats.gate.suite.check_stored_suite`) on every
    call: the rules that run are the reviewed ones, or there is none stored.

    Parameters
    ----------
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (with its design).
    docs_dir : str or Path, optional
        Build Data Docs HTML into this folder after each run (a fresh context, not cached).

    Returns
    -------
    GateRuntime

    Raises
    ------
    itp_stats.gate.suite.SuiteOutOfDateError
        The stored suite of that name differs from the generated one (exit status 2).
    """
    d = dictionary or load_dictionary()
    suite = suite_dict(d)
    stored = check_stored_suite(d, suite=suite)
    key = hashlib.sha256(json.dumps(suite, sort_keys=True).encode()).hexdigest()
    if docs_dir is None and key in _RUNTIMES:
        runtime = _RUNTIMES[key]
        runtime.stored_suite = stored
        return runtime
    name, checkpoint_id = suite_name(d), checkpoint_name(d)
    gx = _import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if docs_dir is not None:
        docs_dir = Path(docs_dir).resolve()
        sites = {
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites=sites,
    )
    with quiet_gx():
        context = gx.get_context(mode="ephemeral", project_config=config)
        asset = context.data_sources.add_pandas(DATASOURCE_NAME).add_dataframe_asset(ASSET_NAME)
        batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION_NAME)
        # with Data Docs, the checkpoint's suite (what the pages show) is escaped, and the
        # gate validates the generated expectations (kept apart)
        shown = docs_suite(suite) if docs_dir is not None else suite
        gx_suite = context.suites.add(gx.ExpectationSuite(**shown))
        generated = gx.ExpectationSuite(**suite).expectations if docs_dir is not None else []
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=checkpoint_id,
                validation_definitions=[validation],
                result_format=dict(RESULT_FORMAT),
            )
        )
    configs = [e.configuration.to_json_dict() for e in (generated or gx_suite.expectations)]
    plan = plan_batches(configs, [*d.columns, *check_columns(d)])
    reads = [expectation_columns(c["kwargs"]) for c in configs]
    types = [c["type"] for c in configs]
    runtime = GateRuntime(
        context, checkpoint, build_rules(d), docs_dir, plan, reads, name, stored, generated, types
    )
    if docs_dir is None:
        _RUNTIMES[key] = runtime
    return runtime


def _fmt(value: Any, kind: str | None = None) -> str:
    if value is None or value is pd.NA:
        return "empty"
    if isinstance(value, float):
        if value != value:
            return "empty"
        if kind == "boolean" and value in (0.0, 1.0):
            return "yes" if value else "no"
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "item"):
        return _fmt(value.item())
    return str(value)


def _row_detail(
    frame: pd.DataFrame,
    rule: Rule,
    rows: list[int],
    labels: list[str],
    kinds: dict[str, str],
    shown: dict[str, str],
) -> str:
    columns = [c for c in rule.columns if c in frame]
    if rule.kwargs.get("column_B") == GROUP_CHECK and GROUP_CHECK in frame:
        columns = [*columns, GROUP_CHECK]
    if not columns:
        columns = [rule_column(rule)] if rule_column(rule) in frame else []
    only_present = rule.needs is not None  # e.g. follow-up: show the cells that have a value
    parts = []
    for r in rows[:MAX_DETAIL]:
        if rule.expectation == "ExpectColumnValuesToBeUnique":
            parts.append(f"{labels[r]} (row {r + 2})")
            continue
        if only_present:
            filled = [
                c for c in columns if c not in rule.required and not pd.isna(frame[c].iloc[r])
            ]
            given = ", ".join(f"{c}={_fmt(frame[c].iloc[r], kinds.get(c))}" for c in rule.required)
            parts.append(f"{labels[r]}: {given}, yet values in {', '.join(filled)}")
            continue
        values = ", ".join(
            f"{shown.get(c, c.removeprefix(CHECK_PREFIX))}={_fmt(frame[c].iloc[r], kinds.get(c))}"
            for c in columns
        )
        parts.append(f"{labels[r]}: {values}")
    return "; ".join(parts)


def rule_column(rule: Rule) -> str | None:
    """The batch column an expectation reads (its ``column`` argument), if it has one."""
    return rule.kwargs.get("column")


def _unique(items: list[str], limit: int) -> list[str]:
    return list(dict.fromkeys(items))[:limit]


def step_row(
    index: int,
    rule: Rule,
    res: Any,
    frame: pd.DataFrame,
    labels: list[str],
    file_cols: set,
    kinds: dict[str, str],
    problems: pd.DataFrame | None,
    shown: dict[str, str] | None = None,
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "step": index,
        "rule_id": rule.rule_id,
        "rule": rule.description,
        "columns": list(rule.columns),
        "severity": rule.severity,
        "n_tested": 0,
        "n_failed": 0,
        "pct_failed": 0.0,
        "failing_ids": [],
        "passed": False,
        "evaluated": False,
        "detail": "",
    }
    missing = [c for c in rule.required if c not in file_cols]
    if missing:
        step["detail"] = f"not evaluated: column {', '.join(missing)} missing from the file"
        return step
    if res is None:
        step["detail"] = "not evaluated: no result from Great Expectations"
        return step
    info = res.exception_info or {}
    if info.get("raised_exception"):
        message = str(info.get("exception_message", "")).strip().splitlines()
        step["detail"] = "not evaluated: " + (message[0] if message else "error")
        return step
    step["evaluated"] = True
    result = res.result or {}
    success = bool(res.success)
    kind = rule.expectation

    if kind == "ExpectTableColumnsToMatchSet":
        mismatched = (result.get("details") or {}).get("mismatched") or {}
        unexpected = sorted(mismatched.get("unexpected") or [])
        absent = sorted(mismatched.get("missing") or [])
        expected = {c for c in rule.kwargs["column_set"] if not c.startswith(CHECK_PREFIX)}
        step["n_tested"] = len(expected | file_cols)
        step["n_failed"] = len(unexpected) + len(absent)
        if not success:
            step["columns"] = unexpected + absent
            notes = []
            if unexpected:
                notes.append(f"unknown column(s): {', '.join(unexpected)}")
            if absent:
                notes.append(f"missing column(s): {', '.join(absent)}")
            step["detail"] = "; ".join(notes)
    elif kind == "ExpectTableRowCountToBeBetween":
        step["n_tested"] = 1
        step["n_failed"] = 0 if success else 1
        if not success:
            step["detail"] = f"the file has {result.get('observed_value', 0)} rows"
    elif kind == "ExpectColumnUniqueValueCountToBeBetween":
        column = rule_column(rule)
        present = sorted(str(v) for v in frame[column].dropna().unique())
        step["n_tested"] = 1
        step["n_failed"] = 0 if success else 1
        if not success:
            shown = ", ".join(present) if present else "none"
            step["detail"] = f"{len(present)} group(s) present: {shown}"
    else:
        element_count = int(result.get("element_count") or 0)
        missing_count = int(result.get("missing_count") or 0)
        unexpected = int(result.get("unexpected_count") or 0)
        rows = [int(i) for i in result.get("unexpected_index_list") or []]
        if kind in {"ExpectColumnValuesToBeNull", "ExpectColumnValuesToNotBeNull"}:
            step["n_tested"] = element_count
        else:
            step["n_tested"] = element_count - missing_count
        step["n_failed"] = unexpected
        step["failing_ids"] = _unique([labels[r] for r in rows], MAX_STORED_IDS)
        if rule.kwargs.get("column") == UNPARSED_CHECK:
            if problems is not None and not problems.empty:
                step["columns"] = [c for c in kinds if c in set(problems["column"])]
                by_row = problems.groupby("row", sort=True)
                step["detail"] = "; ".join(
                    f"{labels[int(r)]}: "
                    + ", ".join(f"{c}={v!r}" for c, v in zip(g["column"], g["value"], strict=True))
                    for r, g in list(by_row)[:MAX_DETAIL]
                )
        elif rows:
            step["detail"] = _row_detail(frame, rule, rows, labels, kinds, shown or {})
        if len(rows) > MAX_DETAIL:
            step["detail"] += f"; … ({len(rows) - MAX_DETAIL} more)"
    if step["n_tested"]:
        step["pct_failed"] = 100.0 * step["n_failed"] / step["n_tested"]
    step["passed"] = success and step["n_failed"] == 0
    return step


def _warning_line(step: dict[str, Any]) -> str:
    if not step["evaluated"]:
        return f"{step['rule_id']}: {step['rule']} — {step['detail']}"
    ids = ", ".join(step["failing_ids"][:MAX_DETAIL])
    more = step["n_failed"] - min(len(step["failing_ids"]), MAX_DETAIL)
    ids += f" (+{more} more)" if more > 0 and ids else ""
    return f"{step['rule_id']}: {step['rule']} — {step['n_failed']} of {step['n_tested']} rows" + (
        f": {ids}" if ids else ""
    )


def _steps(
    runtime: GateRuntime,
    outcome: ChunkedRun,
    dictionary: Dictionary,
    labels: Any,
    file_columns: tuple[str, ...],
    problems: pd.DataFrame | None,
) -> list[dict[str, Any]]:
    """The step table of a run, in suite order."""
    cols = set(file_columns)
    kinds = {name: c.type for name, c in dictionary.columns.items()}
    # the derived group is shown under the name the study gives it (``derivation.into``)
    derivation = getattr(dictionary.design, "derivation", None)
    shown = {GROUP_CHECK: derivation.into} if derivation is not None else {}
    return [
        step_row(
            i,
            rule,
            outcome.results.get(rule.rule_id),
            outcome.rows,
            labels,
            cols,
            kinds,
            problems,
            shown,
        )
        for i, rule in enumerate(runtime.rules, 1)
    ]


def validate_frame(
    frame: pd.DataFrame,
    dictionary: Dictionary | None = None,
    *,
    labels: list[str] | None = None,
    file_columns: tuple[str, ...] | None = None,
    docs_dir: str | Path | None = None,
    problems: pd.DataFrame | None = None,
    runtime: GateRuntime | None = None,
) -> list[dict[str, Any]]:
    """Validate a prepared batch frame (see :func:`itp_stats.gate.batch.gate_frame`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Typed cohort plus the gate's columns, indexed 0..n-1.
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use.
    labels : list of str, optional
        Per row, the label to report (default: the patient id or ``row N``).
    file_columns : tuple of str, optional
        Columns of the file (default: the frame's columns that are not the gate's).
    docs_dir : str or Path, optional
        Build Data Docs into this folder.
    problems : pandas.DataFrame, optional
        Cells that did not parse (named in the type rule's detail).
    runtime : GateRuntime, optional
        The GX context to run (default: :func:`gate_runtime` of ``dictionary``).

    Returns
    -------
    list of dict
        The steps, in suite order (see :mod:`itp_stats.gate.result` for the keys).
    """
    d = dictionary or load_dictionary()
    runtime = runtime or gate_runtime(d, docs_dir=docs_dir)
    if labels is None:
        labels = row_labels(frame, d.id_column)
    if file_columns is None:
        file_columns = tuple(c for c in frame.columns if not str(c).startswith(CHECK_PREFIX))
    outcome = runtime.run_chunks([BatchChunk(0, frame)])
    runtime.build_docs(frame)
    return _steps(runtime, outcome, d, labels, file_columns, problems)


def gate_result(
    runtime: GateRuntime,
    dictionary: Dictionary,
    steps: list[dict[str, Any]],
    source: Any,
) -> GateResult:
    """The gate's result of a run: verdict, warnings and provenance around the steps.

    Parameters
    ----------
    runtime : GateRuntime
        The context that ran (its suite's name and stored file).
    dictionary : Dictionary
        The data model validated against.
    steps : list of dict
        The step table, in suite order.
    source : GateBatch, BatchStream or object
        What was validated: its ``path``, ``sha256`` (of the bytes read), ``n_rows`` and
        ``file_columns``.

    Returns
    -------
    GateResult
        Passed unless a critical step failed; the other failed steps are its warnings.
    """
    passed = not any(s["severity"] == "critical" and not s["passed"] for s in steps)
    warnings_ = [_warning_line(s) for s in steps if s["severity"] != "critical" and not s["passed"]]
    return GateResult(
        passed=passed,
        data_path=str(source.path),
        data_sha256=source.sha256,
        dictionary_sha256=dictionary_sha256(dictionary),
        n_rows=source.n_rows,
        n_columns=len(source.file_columns),
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        gx_version=gx_version(),
        itp_stats_version=__version__,
        suite=runtime.suite_name,
        steps=steps,
        warnings=warnings_,
        code_sha256=code_sha256(),
        suite_sha256=sha256_file(runtime.stored_suite) if runtime.stored_suite else None,
    )


def validate_batch(
    batch: GateBatch, dictionary: Dictionary | None = None, *, docs_dir: str | Path | None = None
) -> GateResult:
    """Validate a prepared cohort file.

    Parameters
    ----------
    batch : GateBatch
        The file as read by :func:`itp_stats.gate.batch.read_batch`.
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (with its design).
    docs_dir : str or Path, optional
        Build GX Data Docs HTML into this folder.

    Returns
    -------
    GateResult
        Its ``suite`` names the suite, ``suite_sha256`` the stored suite file it equals (None
        when none is stored) and ``dictionary_sha256`` the data model.

    Raises
    ------
    itp_stats.gate.suite.SuiteOutOfDateError
        The suite stored in ``validation/`` for this dictionary is out of date (exit status 2).
    """
    d = dictionary or load_dictionary()
    runtime = gate_runtime(d, docs_dir=docs_dir)
    steps = validate_frame(
        batch.frame,
        d,
        labels=batch.labels,
        file_columns=batch.file_columns,
        docs_dir=docs_dir,
        problems=batch.problems,
        runtime=runtime,
    )
    return gate_result(runtime, d, steps, batch)


def validate_stream(stream: BatchStream, dictionary: Dictionary | None = None) -> GateResult:
    """Validate a cohort file chunk by chunk (:func:`itp_stats.gate.batch.stream_batch`).

    The result equals :func:`validate_batch`'s on the whole file (the tests check it on
    every bad-input case with chunks of a few rows), while the memory held is that of one
    chunk plus the file's bytes, ids and the table-level rules' columns.

    Parameters
    ----------
    stream : BatchStream
        The file, not yet iterated.
    dictionary : Dictionary, optional
        Defaults to the stream's dictionary.

    Returns
    -------
    GateResult

    Raises
    ------
    CohortReadError
        The file's content cannot be read (exit status 2), found while it is read.
    itp_stats.gate.suite.SuiteOutOfDateError
        The suite stored in ``validation/`` for this dictionary is out of date (exit status 2).
    """
    d = dictionary or stream.dictionary
    runtime = gate_runtime(d)
    outcome = runtime.run_chunks(stream)
    steps = _steps(runtime, outcome, d, stream.labels, stream.file_columns, stream.problems)
    return gate_result(runtime, d, steps, stream)


def validate_path(
    path: str | Path | Source,
    dictionary: Dictionary | None = None,
    *,
    docs_dir: str | Path | None = None,
) -> GateResult:
    """Read a cohort file (read-only) and validate it.

    A file is validated chunk by chunk (:func:`validate_stream`); with Data Docs asked for,
    whole (:func:`validate_batch`), as the docs show one run of the suite on the whole table.

    Parameters
    ----------
    path : str, Path or Source
        CSV, XLSX or Parquet cohort file (a relative path from the current folder); or a
        database URL (``postgresql://…#table``) or its source file, validated in the database
        (:func:`itp_stats.gate.sql.validate_source`); or the
        :class:`~itp_stats.cohort.source.Source` that read either (its bytes are validated,
        the file is not read again).
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use.
    docs_dir : str or Path, optional
        Build GX Data Docs HTML into this folder.

    Returns
    -------
    GateResult

    Raises
    ------
    CohortReadError
        The file is missing, empty or unreadable, or the database cannot be read (exit
        status 2).
    itp_stats.gate.suite.SuiteOutOfDateError
        The suite stored in ``validation/`` for this dictionary is out of date (exit status 2).
    """
    d = dictionary or load_dictionary()
    source = Source.open(path, root=Path.cwd())
    if source.kind == "table":  # validated where it lives
        from itp_stats.gate.sql import validate_source

        return validate_source(source, d, docs_dir=docs_dir)
    if docs_dir is not None:
        return validate_batch(read_batch(source, d), d, docs_dir=docs_dir)
    return validate_stream(stream_batch(source, d), d)
