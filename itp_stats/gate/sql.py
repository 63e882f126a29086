"""The gate in the database: the suite's expectations run by GX on a PostgreSQL source.

A cohort kept in PostgreSQL (see :mod:`itp_stats.cohort.sql`) is validated where it lives,
with the same suite as a file (:func:`itp_stats.gate.suite.build_suite`), through a GX
PostgreSQL datasource (``context.data_sources.add_postgres``, SQLAlchemy + psycopg) and table
assets, and gives the same :class:`~itp_stats.gate.result.GateResult`: the same step table,
the same failing patient ids, the same details.

How a run goes (:func:`validate_source`), on one connection:

1. **Snapshot.** In one ``REPEATABLE READ`` transaction, the source's rows are copied into a
   temporary table (:func:`snapshot_sql`) holding what the pandas gate validates
   (:mod:`itp_stats.gate.batch`): every dictionary column typed as the file loader types the
   cell's text (numbers as ``double precision``, yes/no as ``boolean``, texts stripped, the
   missing tokens made NULL; a cell that does not parse becomes NULL and is counted), a
   column not in the dictionary by its name only (no value is copied), then the gate's
   computed columns, as SQL expressions: ``gate__unparsed_cells``, the derived group
   (:data:`SQL_DERIVATIONS`), the composition ratios and the cells recorded per follow-up
   time point, and ``gate__row``, the row's position in the fixed row order of
   :data:`itp_stats.cohort.sql.ROW_ORDER`. The content digest of the rows
   (:func:`itp_stats.cohort.sql.digest_sql`) is taken in the same transaction, from the
   temporary table: what is validated is exactly what is digested, whatever writes the
   registry receives meanwhile. The source file records it
   (:class:`~itp_stats.cohort.sql.Snapshot`).
2. **Expectations.** GX validates the snapshot through temporary views (table assets, whose
   columns GX reads with ``LIMIT 1``; it would run a query asset's query in full): every rule
   with ``BASIC`` counts (no partial list of values), then the failing ones with ``COMPLETE``
   and ``gate__row`` as the index column, so each failing row is known by its position. The
   column-set rule sees a view without ``gate__row`` (exactly the file's and the gate's
   columns).
3. **Step table.** Only the rows the table shows are read back (ids of the failing rows,
   values of the first ten per rule, the cells that did not parse), and the steps are built by
   the same code as for a file (:mod:`itp_stats.gate.run`). The temporary tables are dropped.

Needs the temporary-table privilege on the database (PostgreSQL grants it to everyone by
default) and a server that accepts writes to temporary tables (not a hot standby).
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from itp_stats.cohort.iwg import CR_THRESHOLD, RESPONSE_THRESHOLD
from itp_stats.cohort.load import EXPECTED, MISSING_TOKENS, PROBLEM_COLUMNS
from itp_stats.cohort.source import Source
from itp_stats.cohort.sql import (
    ROW_ORDER,
    DatabaseSource,
    cell_text,
    digest_aggregate,
    hash_parts,
    quote_ident,
    row_keys,
    source_columns,
    take_snapshot,
    write_source_file,
)
from itp_stats.errors import ItpStatsError
from itp_stats.gate.plan import HEADER_ONLY
from itp_stats.gate.result import (
    MAX_STORED_IDS,
    GateResult,
    sha256_file,
)
from itp_stats.gate.rows import KeptRows
from itp_stats.gate.suite import (
    CHECK_PREFIX,
    GROUP_CHECK,
    UNPARSED_CHECK,
    check_columns,
    composition_check,
    followup_points,
    recorded_check,
    timepoint_columns,
)

if TYPE_CHECKING:
    from itp_stats.cohort.dictionary import Dictionary
    from itp_stats.gate.run import GateRuntime

__all__ = [
    "ROW_CHECK",
    "SNAPSHOT_TABLE",
    "SQL_DERIVATIONS",
    "SnapshotQuery",
    "snapshot_sql",
    "validate_source",
]

SNAPSHOT_TABLE = "itp_gate_snapshot"
"""The temporary table holding the validated rows (dropped after the run)."""

ROW_CHECK = f"{CHECK_PREFIX}row"
"""The row's position in the snapshot (0-based, in the rows' fixed order): GX's index column."""

_HASH_PARTS = ("_itp_row_a", "_itp_row_b")
_DATASOURCE_PREFIX = "cohort_db_"
_ASSET = "cohort_snapshot"
_BATCH = "whole_snapshot"
_LABEL_CHUNK = 2000
_SORT_MEMORY = "256MB"  # for the snapshot's one sort (its transaction only)

_INT_TYPES = frozenset({"smallint", "integer", "bigint"})
_WHITESPACE = r"E' \t\n\r\u000b\f\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2028\u2029\u3000'"
_TRUE = "'yes', 'y', 'true', '1', 'oui', 'o'"
_FALSE = "'no', 'n', 'false', '0', 'non'"
_NUMBER_RE = r"'^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,5})?$'"
_FLOAT_MAX = "1.7976931348623158079e308"  # at or above: +-inf as a float (not finite)
_FLOAT_TINY = "1e-320"  # below: 0 (PostgreSQL refuses to underflow to 0)
_INT_LIMIT = "9223372036854775808"  # 2**63: a whole number storable as a 64-bit integer


def _iwg_sql(p0: str, p6: str, bleeding: str, rescue: str) -> str:
    """:func:`itp_stats.cohort.iwg.iwg_response` as SQL (same thresholds, same order of rules)."""
    cr, pr = CR_THRESHOLD, RESPONSE_THRESHOLD
    clear = f"{bleeding} IS FALSE AND {rescue} IS FALSE"
    return (
        f"(CASE WHEN {p6} >= {cr} AND {clear} THEN 'CR' "
        f"WHEN {p6} >= {pr} AND {p6} >= 2 * {p0} AND {p6} < {cr} AND {clear} THEN 'PR' "
        f"WHEN {rescue} IS TRUE OR {bleeding} IS TRUE OR ({p6} IS NOT NULL AND {p6} < {cr} "
        f"AND ({p6} < {pr} OR ({p0} IS NOT NULL AND {p6} < 2 * {p0}))) THEN 'NR' END)"
    )


SQL_DERIVATIONS: dict[str, Callable[..., str]] = {"iwg2009": _iwg_sql}
"""Per group derivation rule of :data:`itp_stats.cohort.design.DERIVATION_RULES`, a function
taking the SQL of its inputs (in the rule's input order: numbers as ``double precision``,
yes/no as ``boolean``) and giving the derived group as SQL text (NULL when undecided)."""


def _present_text(expr: str, pgtype: str) -> str:
    """The cell's text, stripped, NULL when missing (a missing token), as the loader reads it.

    ``nullif`` evaluates its argument once: the text is stripped once per cell.
    """
    text = f"btrim({cell_text(expr, pgtype)}, {_WHITESPACE})"
    for token in sorted(MISSING_TOKENS):
        quoted = "'" + token.replace("'", "''") + "'"
        text = f"nullif({text}, {quoted})"
    return text


def _number_from_text(number: str, kind: str) -> str:
    """A parsed ``numeric`` as ``double precision`` (NULL when not a number of ``kind``)."""
    value = (
        f"(CASE WHEN abs({number}) >= {_FLOAT_MAX} THEN NULL "
        f"WHEN abs({number}) < {_FLOAT_TINY} THEN 0::float8 ELSE {number}::float8 END)"
    )
    return _whole(value) if kind == "integer" else value


def _whole(value: str) -> str:
    return f"(CASE WHEN {value} = trunc({value}) AND abs({value}) < {_INT_LIMIT} THEN {value} END)"


@dataclass(frozen=True)
class _Stages:
    """How one dictionary column is typed, in the stages of :func:`snapshot_sql`.

    ``first`` (over the source ``src``: its value, or its text stripped and its text as
    exported), ``second`` (over the first stage ``a``: a number-shaped text parsed), then, over
    the second stage ``b``, the typed ``value``, ``present`` (the cell has a value; None when
    every cell reads) and ``text`` (the cell as exported, for a cell that does not parse).
    Each stage is computed once per row, so no text is stripped or parsed twice.
    """

    first: tuple[str, ...]
    second: tuple[str, ...]
    value: str
    present: str | None
    text: str


def _stages(i: int, name: str, pgtype: str, kind: str) -> _Stages:
    """The typing of source column ``i`` (``name`` of database type ``pgtype``) as ``kind``.

    A present cell whose typed value is NULL did not parse (``ND`` in a count column). Native
    columns whose text the loader reads to the same value are used as they are (integers and
    ``double precision`` for numbers, ``boolean`` for yes/no); every other column is read from
    its text, as the CSV export of the row gives it.
    """
    raw = f"src.{quote_ident(name)}"
    numeric = kind in {"integer", "float"}
    native = f"b.s{i}"
    if (numeric and pgtype in _INT_TYPES) or (kind == "boolean" and pgtype == "boolean"):
        value = f"{native}::float8" if numeric else native
        return _Stages((f"{raw} AS s{i}",), (), value, None, "")
    if numeric and pgtype == "double precision":
        finite = f"(CASE WHEN {native} NOT IN ('Infinity', '-Infinity') THEN {native} END)"
        value = _whole(finite) if kind == "integer" else finite
        present = f"({native} IS NOT NULL AND {native} <> 'NaN')"
        return _Stages((f"{raw} AS s{i}",), (), value, present, f"{native}::text")
    first = (f"{_present_text(raw, pgtype)} AS p{i}",)
    text, present = f"b.p{i}", f"b.p{i} IS NOT NULL"
    if kind not in {"integer", "float", "boolean"}:
        return _Stages(first, (), text, None, "")  # a text: every cell reads
    first += (f"{cell_text(raw, pgtype)} AS t{i}",)
    if kind == "boolean":
        value = (
            f"(CASE WHEN lower({text}) IN ({_TRUE}) THEN true "
            f"WHEN lower({text}) IN ({_FALSE}) THEN false END)"
        )
        return _Stages(first, (), value, present, f"b.t{i}")
    shaped = f"a.p{i}"
    second = (
        f"(CASE WHEN length({shaped}) <= 1000 AND {shaped} ~ {_NUMBER_RE} THEN "
        f"{shaped}::numeric END) AS n{i}",
    )
    return _Stages(first, second, _number_from_text(f"b.n{i}", kind), present, f"b.t{i}")


def _as_boolean(expr: str, kind: str) -> str:
    """A typed column as a derivation's yes/no input (1/0 numbers and yes/no texts read too)."""
    if kind == "boolean":
        return expr
    if kind in {"integer", "float"}:
        return f"(CASE WHEN {expr} = 1 THEN true WHEN {expr} = 0 THEN false END)"
    return (
        f"(CASE WHEN lower({expr}) IN ('yes', 'true') THEN true "
        f"WHEN lower({expr}) IN ('no', 'false') THEN false END)"
    )


def _as_number(expr: str, kind: str) -> str:
    return expr if kind in {"integer", "float"} else "NULL::float8"


@dataclass(frozen=True)
class SnapshotQuery:
    """The SQL of a snapshot and what it holds.

    Attributes
    ----------
    create : str
        ``CREATE TEMPORARY TABLE … AS SELECT …`` over the source.
    select : str
        The same rows as a plain ``SELECT`` (the batch without :data:`ROW_CHECK` and the
        digest parts), e.g. to run rules written in SQL over it.
    columns : tuple of str
        Columns of the batch GX validates: the file's (a file column named like a gate column
        renamed ``"<name> (from file)"``), then the gate's (:func:`check_columns`), then
        :data:`ROW_CHECK`.
    cells : dict of str to str
        Per dictionary column of the file, the hidden snapshot column holding the text of its
        cells that did not parse (NULL elsewhere).
    file_columns : tuple of str
        The source's columns, in its order.
    texts : frozenset of str
        The batch columns holding texts (the others hold numbers or yes/no).
    """

    create: str
    select: str
    columns: tuple[str, ...]
    cells: dict[str, str]
    file_columns: tuple[str, ...]
    texts: frozenset[str] = frozenset()


def snapshot_sql(
    source: DatabaseSource,
    columns: list[tuple[str, str]],
    dictionary: Dictionary,
    table: str = SNAPSHOT_TABLE,
) -> SnapshotQuery:
    """The SQL copying a source's rows into the gate's batch (a temporary table).

    Parameters
    ----------
    source : DatabaseSource
    columns : list of (str, str)
        The source's columns and database types
        (:func:`itp_stats.cohort.sql.source_columns`).
    dictionary : Dictionary
        With its study design (the derivation, the follow-up).
    table : str
        Name of the temporary table.

    Returns
    -------
    SnapshotQuery

    Raises
    ------
    ItpStatsError
        The study derives its group by a rule that has no SQL form.
    """
    d = dictionary
    dict_cols = d.columns
    first: list[str] = []  # over the source, alias src
    second: list[str] = []  # over the first stage, alias a
    typing: list[str] = []  # over the second stage, alias b: the typed rows
    outer: list[str] = []  # over the typed rows, alias t
    visible: list[str] = []
    cells: dict[str, str] = {}
    typed: dict[str, str] = {}  # dictionary column -> its typed column in t
    bad: list[str] = []
    texts = {GROUP_CHECK}
    for i, (name, pgtype) in enumerate(columns):
        shown = f"{name} (from file)" if name.startswith(CHECK_PREFIX) else name
        visible.append(shown)
        column = dict_cols.get(name)
        if column is None:  # not in the dictionary: its name only, no value copied
            outer.append(f"NULL::text AS {quote_ident(shown)}")
            texts.add(shown)
            continue
        if column.type in {"string", "category"}:
            texts.add(shown)
        stages = _stages(i, name, pgtype, column.type)
        first += stages.first
        second += stages.second
        typing.append(f"{stages.value} AS c{i}")
        outer.append(f"t.c{i} AS {quote_ident(shown)}")
        typed[name] = f"t.c{i}"
        if stages.present is None:  # every cell reads
            continue
        failed = f"({stages.present} AND ({stages.value}) IS NULL)"
        typing.append(f"(CASE WHEN {failed} THEN {stages.text} END) AS r{i}")
        bad.append(f"(t.r{i} IS NOT NULL)::int")
        cells[name] = f"_itp_cell_{i}"
        outer.append(f"t.r{i} AS {cells[name]}")
    first.append(row_keys(columns, d.id_column))
    typing += ["b._row_hash", "b._row_key"]

    gate: dict[str, str] = {
        UNPARSED_CHECK: f"({' + '.join(bad) or '0'})::float8",
    }
    names = check_columns(d)
    if GROUP_CHECK in names:
        derivation = d.design.derivation
        if derivation.rule not in SQL_DERIVATIONS:
            raise ItpStatsError(
                f"the group derivation rule {derivation.rule!r} has no SQL form: validate an "
                "export of the table instead"
            )
        if all(c in typed for c in derivation.columns):
            from itp_stats.cohort.design import DERIVATION_RULES

            args = []
            for role, col in zip(
                DERIVATION_RULES[derivation.rule]["inputs"], derivation.columns, strict=True
            ):
                kind = dict_cols[col].type
                is_flag = role in {"bleeding", "rescue"}
                args.append(
                    _as_boolean(typed[col], kind) if is_flag else _as_number(typed[col], kind)
                )
            gate[GROUP_CHECK] = SQL_DERIVATIONS[derivation.rule](*args)
        else:
            gate[GROUP_CHECK] = "NULL::text"
    for comp in d.compositions:
        for tp in d.timepoints:
            parts = [d.markers[p].column(tp) for p in comp.parts]
            whole = d.markers[comp.whole].column(tp)
            name = composition_check(comp, tp)
            if all(c in typed for c in [*parts, whole]):
                total = "(" + " + ".join(["0::float8", *(typed[p] for p in parts)]) + ")"
                w = typed[whole]
                missing = " OR ".join(f"{c} IS NULL" for c in [*(typed[p] for p in parts), w])
                gate[name] = (
                    f"(CASE WHEN {missing} THEN NULL WHEN {w} > 0 THEN {total} / {w} "
                    f"WHEN {total} > 0 THEN 'Infinity'::float8 END)"
                )
            else:
                gate[name] = "NULL::float8"
    for tp in followup_points(d):
        present = [typed[c] for c in timepoint_columns(d, tp) if c in typed]
        count = " + ".join(f"({c} IS NOT NULL)::int" for c in present) or "0"
        gate[recorded_check(tp)] = f"({count})::float8"
    for name in names:
        outer.append(f"{gate[name]} AS {quote_ident(name)}")
    # each stage is fenced (OFFSET 0) so that the next one reads its columns instead of
    # repeating its expressions (a stripped text would be stripped again at every use)
    stage_a = f"(SELECT {', '.join(first)} FROM {source.from_sql} AS src OFFSET 0) AS a"
    stage_b = f"(SELECT {', '.join(['a.*', *second])} FROM {stage_a} OFFSET 0) AS b"
    rows = f"(SELECT {', '.join(typing)} FROM {stage_b} OFFSET 0) AS t"
    select = f"SELECT {', '.join(outer)} FROM {rows}"
    outer.append(f"(row_number() OVER (ORDER BY {ROW_ORDER}) - 1)::bigint AS {ROW_CHECK}")
    for part, hidden in zip(hash_parts("t._row_hash"), _HASH_PARTS, strict=True):
        outer.append(f"{part} AS {hidden}")
    create = f"CREATE TEMPORARY TABLE {quote_ident(table)} AS SELECT {', '.join(outer)} FROM {rows}"
    return SnapshotQuery(
        create=create,
        select=select,
        columns=(*visible, *names, ROW_CHECK),
        cells=cells,
        file_columns=tuple(n for n, _ in columns),
        texts=frozenset(texts),
    )


class _Labels:
    """Per row position, the patient id, or ``row N`` (line N of the CSV export) without one.

    Holds the ids of the rows read back (:func:`_fetch_labels`); a row not read back is not
    among the first failing ids of any rule, and is given a placeholder.
    """

    def __init__(self) -> None:
        self.known: dict[int, str | None] = {}

    def __getitem__(self, row: int) -> str:
        label = self.known.get(int(row), "")
        return f"row {int(row) + 2}" if label is None else label


def _datasource(runtime: GateRuntime, source: DatabaseSource) -> Any:
    """The GX PostgreSQL datasource of ``source``'s database in the runtime's context.

    Its engine holds one connection (``StaticPool``): the temporary snapshot and views live in
    that session, where every GX query of the run goes. The datasource's own engine, with which
    GX checks a table asset when it is added, is made that same engine.
    """
    from sqlalchemy.pool import StaticPool

    context = runtime.context
    name = f"{_DATASOURCE_PREFIX}{hashlib.sha256(source.connection_url.encode()).hexdigest()[:16]}"
    if name in context.data_sources.all():
        datasource = context.data_sources.get(name)
    else:
        # GX's PostgreSQL datasource wants a host in the URL; a socket or a service file entry
        # (no host) goes through its generic SQL datasource, the same SQLAlchemy engine
        add = context.data_sources.add_postgres if source.host else context.data_sources.add_sql
        datasource = add(
            name, connection_string=source.connection_url, kwargs={"poolclass": StaticPool}
        )
    engine = datasource.get_execution_engine().engine
    datasource._engine = engine
    datasource._cached_connection_string = datasource.connection_string
    return datasource


def _html_escaped(expr: str) -> str:
    """SQL of a text HTML-escaped as :func:`html.escape` escapes it (``&<>"'``)."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        expr = f"replace({expr}, '{char}', '{entity}')"
    return f"replace({expr}, '''', '&#x27;')"


_VIEWS = {"rows": "itp_gate_rows", "header": "itp_gate_header", "docs": "itp_gate_docs"}
"""Temporary views GX validates (table assets): ``rows``, the batch with its row index;
``header``, the batch's columns alone (the column-set rule); ``docs``, texts and column names
HTML-escaped for Data Docs (see :mod:`itp_stats.gate.run`)."""


def _views_sql(query: SnapshotQuery) -> list[str]:
    """``CREATE TEMPORARY VIEW`` statements of :data:`_VIEWS` over the snapshot.

    Table assets, not query assets: GX reads a query asset's columns by running its query
    in full (every row sent to the client), a table's with ``LIMIT 1``.
    """
    table = quote_ident(SNAPSHOT_TABLE)
    plain = [quote_ident(c) for c in query.columns]
    escaped = [
        f"{_html_escaped(quote_ident(c)) if c in query.texts else quote_ident(c)} AS "
        f"{quote_ident(html.escape(c))}"
        for c in query.columns[:-1]
    ]
    selects = {"rows": plain, "header": plain[:-1], "docs": escaped}
    return [
        f"CREATE TEMPORARY VIEW {quote_ident(_VIEWS[kind])} AS SELECT {', '.join(select)} "
        f"FROM {table}"
        for kind, select in selects.items()
    ]


def _assets(datasource: Any) -> dict[str, Any]:
    """Batch definitions of the views of :data:`_VIEWS` (which must exist: GX checks)."""
    out = {}
    for kind, view in _VIEWS.items():
        name = f"{_ASSET}_{kind}"
        try:
            asset = datasource.get_asset(name)
        except LookupError:
            asset = datasource.add_table_asset(name, table_name=view)
        try:
            out[kind] = asset.get_batch_definition(_BATCH)
        except KeyError:
            out[kind] = asset.add_batch_definition_whole_table(_BATCH)
    return out


def _validate(
    expectations: list[Any],
    indexes: list[int],
    batch: Any,
    result_format: dict[str, Any],
    suite_name: str,
) -> dict[str, Any]:
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    if not indexes:
        return {}
    suite = gx.ExpectationSuite(
        name=suite_name,
        expectations=[expectations[i].copy(update={"id": None}) for i in indexes],
    )
    validator = Validator(batch, result_format=result_format)
    return {
        res.expectation_config.meta["rule_id"]: res
        for res in validator.validate_expectation_suite(suite).results
    }


def _run_expectations(
    runtime: GateRuntime, main: Any, header: Any, present: set[str]
) -> dict[str, Any]:
    """GX results by rule id: ``BASIC`` for every rule, ``COMPLETE`` again for failing ones."""
    validation = runtime.checkpoint.validation_definitions[0]
    expectations = runtime.expectations or validation.suite.expectations
    chosen = [i for i, reads in enumerate(runtime.reads) if reads <= present]
    kinds = [e.configuration.to_json_dict()["type"] for e in expectations]
    on_header = [i for i in chosen if kinds[i] in HEADER_ONLY]
    on_rows = [i for i in chosen if kinds[i] not in HEADER_ONLY]
    # counts only: no partial list of unexpected values (a scan per rule that passes)
    basic = {"result_format": "BASIC", "partial_unexpected_count": 0}
    results = _validate(expectations, on_header, header, basic, runtime.suite_name)
    results |= _validate(expectations, on_rows, main, basic, runtime.suite_name)
    again = [
        i
        for i in on_rows
        if (res := results.get(runtime.rules[i].rule_id)) is not None
        and (res.result or {}).get("unexpected_count")
    ]
    complete = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_CHECK]}
    results |= _validate(expectations, again, main, complete, runtime.suite_name)
    for res in results.values():
        listed = (res.result or {}).get("unexpected_index_list")
        if listed and isinstance(listed[0], dict):
            res.result["unexpected_index_list"] = sorted(int(r[ROW_CHECK]) for r in listed)
    return results


def _fetch_labels(cur: Any, labels: _Labels, results: dict[str, Any], id_column: str | None):
    """Read the ids of the rows the failing rules list, until each has its stored ids."""
    lists = [(res.result or {}).get("unexpected_index_list") or [] for res in results.values()]
    lists = [rows for rows in lists if rows]
    if id_column is None:
        for rows in lists:
            labels.known.update(dict.fromkeys(rows))
        return
    select = (
        f"SELECT {ROW_CHECK}, {quote_ident(id_column)} FROM {quote_ident(SNAPSHOT_TABLE)} "
        f"WHERE {ROW_CHECK} = ANY(%s)"
    )
    offsets = [0] * len(lists)
    pending = list(range(len(lists)))
    while pending:
        wanted: set[int] = set()
        for k in pending:
            wanted.update(r for r in lists[k][offsets[k] : offsets[k] + _LABEL_CHUNK])
        wanted -= labels.known.keys()
        if wanted:
            cur.execute(select, (sorted(wanted),))
            for row, value in cur.fetchall():
                labels.known[int(row)] = None if value is None else str(value)
        still = []
        for k in pending:
            offsets[k] += _LABEL_CHUNK
            seen = {labels[r] for r in lists[k][: offsets[k]]}
            if offsets[k] < len(lists[k]) and len(seen) < MAX_STORED_IDS:
                still.append(k)
        pending = still


def _problems(cur: Any, query: SnapshotQuery, dictionary: Dictionary, limit: int) -> pd.DataFrame:
    """Cells that did not parse: every column with one, and all of the first ``limit`` rows."""
    columns = list(PROBLEM_COLUMNS)
    if not query.cells:
        return pd.DataFrame(columns=columns)
    table = quote_ident(SNAPSHOT_TABLE)
    names = list(query.cells)
    hidden = [query.cells[n] for n in names]
    firsts = ", ".join(f"min({ROW_CHECK}) FILTER (WHERE {h} IS NOT NULL)" for h in hidden)
    cur.execute(f"SELECT {firsts} FROM {table} WHERE {quote_ident(UNPARSED_CHECK)} > 0")
    first = cur.fetchone()
    cur.execute(
        f"SELECT {ROW_CHECK}, {', '.join(hidden)} FROM {table} WHERE "
        f"{quote_ident(UNPARSED_CHECK)} > 0 ORDER BY {ROW_CHECK} LIMIT {int(limit)}"
    )
    rows = cur.fetchall()
    shown = {int(r[0]) for r in rows}
    extra = [int(f) for f in first if f is not None and int(f) not in shown]
    if extra:
        cur.execute(
            f"SELECT {ROW_CHECK}, {', '.join(hidden)} FROM {table} WHERE {ROW_CHECK} = ANY(%s)",
            (extra,),
        )
        rows += cur.fetchall()
    out = []
    for row in sorted(rows, key=lambda r: int(r[0])):
        for name, value in zip(names, row[1:], strict=True):
            if value is not None:
                kind = dictionary.columns[name].type
                out.append((name, int(row[0]), None, str(value), EXPECTED[kind]))
    return pd.DataFrame(out, columns=columns)


def _fetch_rows(cur: Any, rows_frame: KeptRows, results: dict[str, Any], limit: int) -> None:
    """Read the values of the first ``limit`` failing rows of every rule."""
    wanted: set[int] = set()
    for res in results.values():
        wanted.update((res.result or {}).get("unexpected_index_list", [])[:limit])
    if not wanted:
        return
    cols = [c for c in rows_frame.columns if c != ROW_CHECK]
    cur.execute(
        f"SELECT {ROW_CHECK}, {', '.join(quote_ident(c) for c in cols)} FROM "
        f"{quote_ident(SNAPSHOT_TABLE)} WHERE {ROW_CHECK} = ANY(%s)",
        (sorted(wanted),),
    )
    for record in cur.fetchall():
        row = int(record[0])
        for c, value in zip(cols, record[1:], strict=True):
            rows_frame.values[c][row] = value


def validate_source(
    data: str | os.PathLike | Source,
    dictionary: Dictionary | None = None,
    *,
    docs_dir: str | os.PathLike | None = None,
) -> GateResult:
    """Validate a cohort in a PostgreSQL database, in the database.

    Parameters
    ----------
    data : str, path-like or Source
        Database URL (``postgresql://…#table``) or its source file
        (:func:`itp_stats.cohort.sql.resolve_source`), or the
        :class:`~itp_stats.cohort.source.Source` that read it.
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (with its design).
    docs_dir : str or path-like, optional
        Build GX Data Docs HTML into this folder.

    Returns
    -------
    GateResult
        As for a file: ``data_path`` is the source file, ``data_sha256`` its SHA-256 (which
        covers the snapshot's in-database digest), ``n_rows``/``n_columns`` those of the
        source. The source file records the snapshot validated.

    Raises
    ------
    DatabaseSourceError
        The URL is malformed or holds a password, the database cannot be reached, the table
        or query cannot be read (exit status 2).
    itp_stats.gate.suite.SuiteOutOfDateError
        The suite stored in ``validation/`` is out of date (exit status 2).
    """
    from itp_stats.cohort.dictionary import load_dictionary
    from itp_stats.gate.run import (
        MAX_DETAIL,
        gate_result,
        gate_runtime,
        quiet_gx,
        step_row,
    )

    d = dictionary or load_dictionary()
    opened = Source.open(data, root=Path.cwd())
    source, path = opened.database, opened.path
    runtime = gate_runtime(d, docs_dir=docs_dir)
    _probe_columns(source)  # a readable message when the server or the table is not there
    with quiet_gx():
        datasource = _datasource(runtime, source)
        engine = datasource.get_execution_engine().engine
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection  # psycopg: the session GX queries run in
            raw.rollback()
            with raw.cursor() as cur:
                # one snapshot of the source for the copy and its digest
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute(f"SET LOCAL work_mem = '{_SORT_MEMORY}'")  # the rows' order
                cur.execute(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(SNAPSHOT_TABLE)} CASCADE")
                columns = source_columns(raw, source)
                query = snapshot_sql(source, columns, d)
                cur.execute(query.create)
                for view in _views_sql(query):
                    cur.execute(view)
                cur.execute(  # the digest of cohort.sql.digest_sql, of the copied rows
                    f"SELECT {digest_aggregate(*_HASH_PARTS)} FROM {quote_ident(SNAPSHOT_TABLE)}"
                )
                counted = cur.fetchone()
                snapshot = take_snapshot(raw, source, columns, md5=counted)
            raw.commit()
        path = write_source_file(source, snapshot)
        with quiet_gx():
            batches = _assets(datasource)
            results = _run_expectations(
                runtime, batches["rows"], batches["header"], set(query.columns)
            )
            if docs_dir is not None:
                _build_docs(runtime, batches["docs"], batches["docs"])
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                id_column = d.id_column if d.id_column in query.file_columns else None
                labels = _Labels()
                _fetch_labels(cur, labels, results, id_column)
                frame = KeptRows(query.columns, lambda c: _distinct(raw, c))
                _fetch_rows(cur, frame, results, MAX_DETAIL)
                problems = _problems(cur, query, d, MAX_DETAIL)
                kinds = {name: c.type for name, c in d.columns.items()}
                derivation = getattr(d.design, "derivation", None)
                shown = {GROUP_CHECK: derivation.into} if derivation is not None else {}
                steps = [
                    step_row(
                        i,
                        rule,
                        results.get(rule.rule_id),
                        frame,
                        labels,
                        set(query.file_columns),
                        kinds,
                        problems,
                        shown,
                    )
                    for i, rule in enumerate(runtime.rules, 1)
                ]
                cur.execute(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(SNAPSHOT_TABLE)} CASCADE")
            raw.commit()
    finally:
        engine.dispose()
    validated = SimpleNamespace(
        path=path, sha256=sha256_file(path), n_rows=snapshot.rows, file_columns=query.file_columns
    )
    return gate_result(runtime, d, steps, validated)


def _probe_columns(source: DatabaseSource) -> list[tuple[str, str]]:
    """The source's columns, read on a short connection of its own (before GX connects)."""
    from itp_stats.cohort.sql import connect

    with connect(source) as conn:
        return source_columns(conn, source)


def _distinct(conn: Any, column: str, limit: int = 1000) -> list[Any]:
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT DISTINCT {quote_ident(column)} FROM {quote_ident(SNAPSHOT_TABLE)} "
            f"WHERE {quote_ident(column)} IS NOT NULL LIMIT {int(limit)}"
        )
        return [r[0] for r in cur.fetchall()]


def _build_docs(runtime: GateRuntime, main: Any, header: Any) -> None:
    """Data Docs of the run: the checkpoint's suite (HTML-escaped when Data Docs are built) on
    the escaped snapshot, the column-set rule on its header."""
    import great_expectations as gx

    context = runtime.context
    suite = runtime.checkpoint.validation_definitions[0].suite
    kinds = [e.configuration.to_json_dict()["type"] for e in suite.expectations]
    definitions = []
    for label, batch, keep in (
        ("header", header, lambda k: k in HEADER_ONLY),
        ("rows", main, lambda k: k not in HEADER_ONLY),
    ):
        part = context.suites.add(
            gx.ExpectationSuite(
                name=f"{runtime.suite_name}_db_{label}",
                expectations=[
                    e.copy(update={"id": None})
                    for e, k in zip(suite.expectations, kinds, strict=True)
                    if keep(k)
                ],
            )
        )
        definitions.append(
            context.validation_definitions.add(
                gx.ValidationDefinition(name=part.name, data=batch, suite=part)
            )
        )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{runtime.suite_name}_db_gate",
            validation_definitions=definitions,
            result_format={"result_format": "BASIC"},
        )
    )
    checkpoint.run()
    context.build_data_docs()
