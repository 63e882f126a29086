"""Typing a cohort's cells by the data dictionary, collecting the cells that do not parse.

Each dictionary column is parsed in its type (whole number, number, yes/no, text, category):
a cell that does not parse (``ND``, ``<5``, ``12,5`` in a count column) is made missing and
listed as a problem (:func:`type_cohort`), which the gate reports as a rule and the analysis
refuses (:class:`CohortParseError`, :func:`describe_problems`). In a ``;``-separated file
numbers use the decimal comma, and a ``.`` between groups of three digits is a thousands
separator only where a decimal comma follows it.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.errors import ItpStatsError

__all__ = [
    "EXPECTED",
    "PROBLEM_COLUMNS",
    "CohortParseError",
    "describe_problems",
    "type_cohort",
]

_TRUE = {"yes", "y", "true", "1", "oui", "o"}
_FALSE = {"no", "n", "false", "0", "non"}
# ASCII digits only ([0-9], not \d): Python's \d also matches full-width and other digits
_FLOAT_RE = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_FLOAT_COMMA_RE = re.compile(r"^[+-]?([0-9]+,?[0-9]*|,[0-9]+)$")
# in a decimal-comma file, '.' between groups of three digits is a thousands separator:
# with a decimal comma after it ('1.200,5') the number is certain; without one ('1.200') it
# could be 1200 or 1.2, and the cell is refused as ambiguous
_THOUSANDS_COMMA_RE = re.compile(r"^[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+,[0-9]*$")
_THOUSANDS_AMBIGUOUS_RE = re.compile(r"^[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+$")


class CohortParseError(ItpStatsError):
    """Cells of a cohort file do not parse in their column's type."""

    exit_status = 1


_BOOLEAN_TEXT = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _parse_text_column(
    values: pd.Series, kind: str, decimal_comma: bool, arrow_text: bool = False
) -> tuple[pd.Series, pd.Series]:
    """:func:`_parse_column` for a column of texts only (CSV), vectorised with Arrow."""
    present = values.notna()
    no_problem = pd.Series(False, index=values.index)
    if kind in {"string", "category"}:
        if arrow_text:
            return values.astype("string[pyarrow]"), no_problem
        return values.astype(object).where(present, None), no_problem
    text = values.astype("string[pyarrow]")
    if kind == "boolean":
        parsed = text.str.lower().map(_BOOLEAN_TEXT, na_action="ignore").astype("boolean")
        return parsed, present & parsed.isna()
    if decimal_comma:
        grouped = text.str.fullmatch(_THOUSANDS_COMMA_RE.pattern).fillna(False).astype(bool)
        text = text.where(~grouped, text.str.replace(".", "", regex=False))
        ambiguous = text.str.fullmatch(_THOUSANDS_AMBIGUOUS_RE.pattern).fillna(False).astype(bool)
        comma = text.str.fullmatch(_FLOAT_COMMA_RE.pattern).fillna(False).astype(bool)
        text = text.where(~comma, text.str.replace(",", ".", regex=False)).where(~ambiguous)
    looks_numeric = text.str.fullmatch(_FLOAT_RE.pattern).fillna(False).astype(bool)
    # only number-shaped texts are left, so Arrow's cast cannot fail
    numbers = (
        text.where(looks_numeric).astype("float64[pyarrow]").to_numpy(dtype=float, na_value=np.nan)
    )
    return _finish_numeric(pd.Series(numbers, index=values.index), present, kind)


def _finish_numeric(
    numbers: pd.Series, present: pd.Series, kind: str
) -> tuple[pd.Series, pd.Series]:
    ok = np.isfinite(numbers.to_numpy())
    if kind == "integer":
        whole = np.where(ok, numbers.to_numpy(), 0.0)
        # a whole number that fits a 64-bit integer ('1e30' cannot be stored as Int64)
        ok &= np.equal(np.mod(whole, 1.0), 0.0) & (np.abs(whole) < 2.0**63)
    ok_series = pd.Series(ok, index=numbers.index)
    bad = present & ~ok_series
    parsed = numbers.where(ok_series)
    return parsed.astype("Int64" if kind == "integer" else "Float64"), bad


def _parse_column(
    values: pd.Series, kind: str, decimal_comma: bool, arrow_text: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Parse one column; return ``(parsed, bad)`` where ``bad`` flags cells that failed."""
    if isinstance(values.dtype, pd.StringDtype) or pd.api.types.infer_dtype(
        values, skipna=True
    ) in ("string", "empty"):
        return _parse_text_column(values, kind, decimal_comma, arrow_text)
    present = values.notna()
    if kind in {"string", "category"}:

        def as_text(v: Any) -> Any:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return None
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            return str(v)

        return values.map(as_text).astype(object), pd.Series(False, index=values.index)
    if kind == "boolean":

        def as_bool(v: Any) -> Any:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return None
            if isinstance(v, bool):
                return v
            if isinstance(v, int | float) and v in (0, 1):
                return bool(v)
            return _BOOLEAN_TEXT.get(str(v).lower())

        parsed = values.map(as_bool)
        return parsed.astype("boolean"), present & parsed.isna()
    # numeric: texts must look like numbers (to_numeric alone accepts 'inf', '1_000', ...);
    # a date or time (a Parquet timestamp, an Excel date) is not a number: to_numeric would
    # turn it into nanoseconds
    values = values.astype(object)
    is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
    is_bool = values.map(lambda v: isinstance(v, bool)).astype(bool)
    is_other = values.map(lambda v: v is not None and not _is_number(v)).astype(bool)
    text = pd.Series(np.where(is_text, values, ""), index=values.index, dtype=object)
    if decimal_comma:
        grouped = text.str.fullmatch(_THOUSANDS_COMMA_RE.pattern).astype(bool)
        text = text.where(~grouped, text.str.replace(".", "", regex=False))
        ambiguous = text.str.fullmatch(_THOUSANDS_AMBIGUOUS_RE.pattern).astype(bool)
        comma = text.str.fullmatch(_FLOAT_COMMA_RE.pattern).astype(bool)
        text = text.where(~comma, text.str.replace(",", ".", regex=False)).where(~ambiguous, "")
    looks_numeric = text.str.fullmatch(_FLOAT_RE.pattern).astype(bool)
    native = values.where(~is_text & ~is_bool & ~is_other, None)
    numbers = pd.to_numeric(native.astype(object), errors="coerce").astype(float)
    from_text = pd.to_numeric(text.where(looks_numeric, None), errors="coerce").astype(float)
    numbers = numbers.where(~is_text, from_text)
    return _finish_numeric(numbers.astype(float), present, kind)


def _is_number(value: Any) -> bool:
    """A cell that is a number, or text (parsed as such): not a date, time or other object."""
    if isinstance(value, str | bool):
        return True
    if isinstance(value, dt.date | dt.time | dt.timedelta | np.datetime64 | np.timedelta64):
        return False
    return isinstance(value, numbers.Number)


PROBLEM_COLUMNS = ("column", "row", "patient_id", "value", "expected")
"""Columns of the cells that did not parse (:func:`type_cohort`'s ``problems``)."""

EXPECTED = {
    "integer": "a whole number",
    "float": "a number",
    "boolean": "yes or no",
    "string": "text",
    "category": "text",
}
"""What a cell of each column type should have been (the ``expected`` of a parse problem)."""


def _expected(value: Any, kind: str, decimal_comma: bool) -> str:
    """What a cell that did not parse should have been, with the reason when it is known."""
    expected = EXPECTED[kind]
    if kind not in {"integer", "float"}:
        return expected
    if isinstance(value, dt.date | dt.time | np.datetime64):
        return f"{expected} (the file stores a date or time here; store the number itself)"
    if isinstance(value, str):
        text = value.strip()
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            return f"{expected} written with the digits 0-9 (full-width or other digits)"
        if decimal_comma and _THOUSANDS_AMBIGUOUS_RE.fullmatch(text):
            return (
                f"{expected} without '.' between thousands (in a file with decimal commas, "
                "'1.200' could be 1200 or 1.2: write 1200, or 1,2)"
            )
    return expected


def type_cohort(
    raw: pd.DataFrame,
    dictionary: Dictionary | None = None,
    *,
    decimal_comma: bool = False,
    consume: bool = False,
    arrow_text: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type the dictionary columns of a frame read by :func:`read_table`.

    Parameters
    ----------
    raw : pandas.DataFrame
        Cells as read.
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.
    decimal_comma : bool
        Read numbers written with a decimal comma (``12,5``).
    consume : bool
        Type ``raw`` itself, column by column, instead of a copy: each column of text is
        released as soon as its typed column replaces it, so a large file is never held
        twice. ``raw`` is then the typed frame returned (the caller keeps no text cells).
    arrow_text : bool
        Keep the string and category columns of a CSV as Arrow strings (``<NA>`` missing)
        instead of ``str`` objects: a million cells then cost their bytes, not a million
        Python strings (the gate's reading, :func:`itp_stats.gate.batch.read_batch`).

    Returns
    -------
    data : pandas.DataFrame
        Same rows and columns; dictionary columns typed (``Int64``, ``Float64``, ``boolean``,
        or ``str`` objects for string and category columns); cells that do not parse are
        missing. Columns not in the dictionary are left as read.
    problems : pandas.DataFrame
        Columns ``column``, ``row``, ``patient_id``, ``value``, ``expected``: one row per
        cell that did not parse.
    """
    dictionary = dictionary or load_dictionary()
    id_col = dictionary.id_column
    ids = raw[id_col] if id_col in raw else pd.Series([None] * len(raw), index=raw.index)
    data = raw if consume else raw.copy()
    problems: list[pd.DataFrame] = []
    for name, column in dictionary.columns.items():
        if name not in raw:
            continue
        cells = raw[name]
        parsed, bad = _parse_column(cells, column.type, decimal_comma, arrow_text)
        data[name] = parsed  # with ``consume``, the column of text is released with ``cells``
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            problems.append(
                pd.DataFrame(
                    {
                        "column": name,
                        "row": rows,
                        "patient_id": [
                            None if pd.isna(ids.iloc[r]) else str(ids.iloc[r]) for r in rows
                        ],
                        "value": [str(cells.iloc[r]) for r in rows],
                        "expected": [
                            _expected(cells.iloc[r], column.type, decimal_comma) for r in rows
                        ],
                    }
                )
            )
    problem_frame = (
        pd.concat(problems, ignore_index=True)
        if problems
        else pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    )
    return data, problem_frame


def describe_problems(problems: pd.DataFrame, limit: int = 10) -> str:
    """One-line summary of unparseable cells, grouped by column.

    Parameters
    ----------
    problems : pandas.DataFrame
        As returned by :func:`type_cohort`.
    limit : int
        Most patient ids listed per column.

    Returns
    -------
    str
        E.g. ``cells that are not a whole number in column nk_m0: P003 ('ND'), P017 ('<5')``.
    """
    parts = []
    for (column, expected), rows in problems.groupby(["column", "expected"], sort=False):
        shown = [
            f"{pid if pid is not None else f'row {r + 2}'} ({v!r})"
            for pid, r, v in zip(rows["patient_id"], rows["row"], rows["value"], strict=True)
        ]
        more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
        parts.append(
            f"cells that are not {expected} in column {column}: {', '.join(shown[:limit])}{more}"
        )
    return "; ".join(parts)
