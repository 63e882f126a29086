"""Reading a cohort file into a DataFrame typed by the data dictionary.

Typical hospital exports are accepted: CSV separated by ``,`` or ``;`` (a ``;`` file uses the
decimal comma, as French spreadsheets write it), UTF-8 with or without a byte-order mark or
Latin-1, XLSX (first sheet) and Parquet. The file is only ever read.

Reading is done in three steps, each usable on its own:

1. :func:`read_table` reads the cells as they are (text, or numbers for XLSX/Parquet);
2. :func:`type_cohort` types each dictionary column, collecting the cells that do not parse
   (``ND``, ``<5``, ``12,5`` in a count column, …) as problems instead of failing;
3. :func:`derive` computes the derived columns, in one place: percentages of lymphocytes,
   activated CD8 as % of CD8, ITP phase and the IWG 2009 response.

:func:`load_cohort` chains them for the analysis and refuses a file with unparseable cells.
The validation gate uses :func:`read_cohort` and reports the problems as a rule.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.cohort.iwg import RESPONSE_LEVELS, iwg_response
from itp_stats.errors import CohortReadError, ItpStatsError

__all__ = [
    "ITP_PHASES",
    "MISSING_TOKENS",
    "CohortParseError",
    "LoadedCohort",
    "derive",
    "describe_problems",
    "load_cohort",
    "read_cohort",
    "read_table",
    "type_cohort",
]

MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL"})
"""Cell texts read as missing values (anything else must parse in the column's type)."""

ITP_PHASES: tuple[str, ...] = ("newly diagnosed", "persistent", "chronic")
"""ITP phases by duration at rituximab start: < 3, 3–12 and > 12 months."""

_TRUE = {"yes", "y", "true", "1", "oui", "o"}
_FALSE = {"no", "n", "false", "0", "non"}
_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_FLOAT_COMMA_RE = re.compile(r"^[+-]?(\d+,?\d*|,\d+)$")


class CohortParseError(ItpStatsError):
    """Cells of a cohort file do not parse in their column's type."""

    exit_status = 1


@dataclass(frozen=True)
class LoadedCohort:
    """A cohort file read and typed, with the cells that did not parse.

    Attributes
    ----------
    path : Path
        The file read.
    raw : pandas.DataFrame
        Cells as read, before typing (object dtype; missing cells are ``None``).
    data : pandas.DataFrame
        Dictionary columns typed (cells that did not parse are missing), other columns as
        read, plus the derived columns.
    problems : pandas.DataFrame
        One row per cell that did not parse: ``column``, ``row`` (0-based row in the file
        body), ``patient_id``, ``value``, ``expected``.
    decimal_comma : bool
        Whether numbers were read with a decimal comma.
    """

    path: Path
    raw: pd.DataFrame
    data: pd.DataFrame
    problems: pd.DataFrame
    decimal_comma: bool


def _decode(blob: bytes, path: Path) -> str:
    if blob.startswith(b"\xef\xbb\xbf"):
        return blob[3:].decode("utf-8")
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return blob.decode("cp1252")
    except UnicodeDecodeError:
        return blob.decode("latin-1")


def _read_csv(path: Path) -> tuple[pd.DataFrame, bool]:
    blob = path.read_bytes()
    if b"\x00" in blob[:4096]:
        raise CohortReadError(f"{path}: not a text file (binary content); expected CSV")
    text = _decode(blob, path)
    if not text.strip():
        raise CohortReadError(f"{path}: the file is empty")
    header = text.splitlines()[0]
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=lambda s: counts[s])
    if counts[sep] == 0:
        sep = ","
    names = [n.strip() for n in next(csv.reader([header], delimiter=sep))]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CohortReadError(f"{path}: duplicated column names: {', '.join(duplicated)}")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.EmptyDataError:
        raise CohortReadError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise CohortReadError(f"{path}: not a well-formed CSV file ({reason})") from None
    return frame, sep == ";"


def read_table(path: str | Path) -> tuple[pd.DataFrame, bool]:
    """Read the cells of a cohort file, untyped.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, ``.txt``, ``.tsv``), Excel (``.xlsx``) or Parquet (``.parquet``) file.

    Returns
    -------
    frame : pandas.DataFrame
        One column per file column (names stripped); texts stripped and missing tokens
        (:data:`MISSING_TOKENS`) made missing. Columns of texts (all CSV columns) are Arrow
        strings with ``<NA>``; columns of mixed cells (XLSX, Parquet) are objects with
        ``None``.
    decimal_comma : bool
        True for a ``;``-separated CSV, whose numbers use the decimal comma.

    Raises
    ------
    CohortReadError
        The file is missing, empty, in an unknown format or not parseable.
    """
    path = Path(path)
    if not path.exists():
        raise CohortReadError(f"{path}: no such file")
    if path.is_dir():
        raise CohortReadError(f"{path}: is a folder, expected a cohort file")
    suffix = path.suffix.lower()
    decimal_comma = False
    try:
        if suffix in {".xlsx", ".xlsm"}:
            frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
        elif suffix == ".parquet":
            frame = pd.read_parquet(path).astype(object)
        elif suffix in {".csv", ".txt", ".tsv", ""}:
            frame, decimal_comma = _read_csv(path)
        else:
            raise CohortReadError(
                f"{path}: unknown file type {suffix!r}; expected .csv, .xlsx or .parquet"
            )
    except CohortReadError:
        raise
    except PermissionError:
        raise CohortReadError(f"{path}: permission denied") from None
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CohortReadError(f"{path}: cannot read as {suffix or 'CSV'} ({message})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise CohortReadError(f"{path}: duplicated column names: {', '.join(dup)}")
    frame = pd.DataFrame(
        {name: _clean_column(frame[name]) for name in frame.columns}, index=frame.index
    )
    return frame.reset_index(drop=True), decimal_comma


def _clean_column(column: pd.Series) -> pd.Series:
    """Strip texts and turn missing tokens into missing values.

    A column of texts (every CSV column) stays an Arrow string column with ``<NA>`` for
    missing cells; a column of mixed cells (XLSX, Parquet) becomes object dtype with
    ``None``.
    """
    if isinstance(column.dtype, pd.StringDtype) or pd.api.types.infer_dtype(
        column, skipna=True
    ) in ("string", "empty"):
        text = column.astype("string[pyarrow]").str.strip()
        return text.mask(text.isin(list(MISSING_TOKENS)))
    return column.astype(object).map(_clean_cell)


def _clean_cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return None if value in MISSING_TOKENS else value
    if isinstance(value, np.generic):
        return value.item()
    return value


_BOOLEAN_TEXT = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _parse_text_column(
    values: pd.Series, kind: str, decimal_comma: bool
) -> tuple[pd.Series, pd.Series]:
    """:func:`_parse_column` for a column of texts only (CSV), vectorised with Arrow."""
    present = values.notna()
    no_problem = pd.Series(False, index=values.index)
    if kind in {"string", "category"}:
        return values.astype(object).where(present, None), no_problem
    text = values.astype("string[pyarrow]")
    if kind == "boolean":
        parsed = text.str.lower().map(_BOOLEAN_TEXT, na_action="ignore").astype("boolean")
        return parsed, present & parsed.isna()
    if decimal_comma:
        comma = text.str.fullmatch(_FLOAT_COMMA_RE.pattern).fillna(False).astype(bool)
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
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


def _parse_column(values: pd.Series, kind: str, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """Parse one column; return ``(parsed, bad)`` where ``bad`` flags cells that failed."""
    if isinstance(values.dtype, pd.StringDtype) or pd.api.types.infer_dtype(
        values, skipna=True
    ) in ("string", "empty"):
        return _parse_text_column(values, kind, decimal_comma)
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
    # numeric: texts must look like numbers (to_numeric alone accepts 'inf', '1_000', ...)
    is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
    is_bool = values.map(lambda v: isinstance(v, bool)).astype(bool)
    text = pd.Series(np.where(is_text, values, ""), index=values.index, dtype=object)
    if decimal_comma:
        comma = text.str.fullmatch(_FLOAT_COMMA_RE.pattern).astype(bool)
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
    looks_numeric = text.str.fullmatch(_FLOAT_RE.pattern).astype(bool)
    native = values.where(~is_text & ~is_bool, None)
    numbers = pd.to_numeric(native.astype(object), errors="coerce").astype(float)
    from_text = pd.to_numeric(text.where(looks_numeric, None), errors="coerce").astype(float)
    numbers = numbers.where(~is_text, from_text)
    return _finish_numeric(numbers.astype(float), present, kind)


_EXPECTED = {
    "integer": "a whole number",
    "float": "a number",
    "boolean": "yes or no",
    "string": "text",
    "category": "text",
}


def type_cohort(
    raw: pd.DataFrame, dictionary: Dictionary | None = None, *, decimal_comma: bool = False
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
    data = raw.copy()
    problems: list[pd.DataFrame] = []
    for name, column in dictionary.columns.items():
        if name not in raw:
            continue
        parsed, bad = _parse_column(raw[name], column.type, decimal_comma)
        data[name] = parsed
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
                        "value": [str(raw[name].iloc[r]) for r in rows],
                        "expected": _EXPECTED[column.type],
                    }
                )
            )
    columns = ["column", "row", "patient_id", "value", "expected"]
    problem_frame = (
        pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=columns)
    )
    return data, problem_frame


def derive(data: pd.DataFrame, dictionary: Dictionary | None = None) -> pd.DataFrame:
    """Add the derived columns, computed in this one place.

    Parameters
    ----------
    data : pandas.DataFrame
        Typed cohort (see :func:`type_cohort`).
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.

    Returns
    -------
    pandas.DataFrame
        A copy with, where their inputs are present:

        - ``pct_{marker}_{timepoint}``: count as % of the marker's parent count (lymphocyte
          subsets as % of lymphocytes; activated CD8 as % of CD8); missing when either count
          is missing or the parent is 0;
        - ``itp_phase``: ordered categorical, newly diagnosed (< 3 months), persistent
          (3–12 months), chronic (> 12 months);
        - ``response_iwg``: IWG 2009 response derived from platelets, bleeding and rescue
          (see :func:`itp_stats.cohort.iwg.iwg_response`).
    """
    dictionary = dictionary or load_dictionary()
    out = data.copy()
    new: dict[str, pd.Series] = {}
    for marker in dictionary.markers.values():
        if not marker.parent:
            continue
        for tp in dictionary.timepoints:
            num, den = marker.column(tp), dictionary.markers[marker.parent].column(tp)
            if num in out and den in out:
                n = pd.to_numeric(out[num], errors="coerce").astype("Float64")
                d = pd.to_numeric(out[den], errors="coerce").astype("Float64")
                d = d.mask(d == 0)
                new[marker.pct_column(tp)] = (100 * n / d).astype("Float64")
    if "itp_duration_months" in out:
        months = pd.to_numeric(out["itp_duration_months"], errors="coerce").astype(float)
        phase = pd.cut(
            months,
            bins=[-np.inf, 3, 12, np.inf],
            right=False,
            labels=list(ITP_PHASES),
        )
        # persistent is 3–12 months inclusive; chronic is > 12 months
        phase = phase.astype(object).where(~(months == 12), "persistent")
        new["itp_phase"] = pd.Series(
            pd.Categorical(phase, categories=list(ITP_PHASES), ordered=True), index=out.index
        )
    needed = ["platelets_m0", "platelets_m6", "bleeding_m6", "rescue_therapy_m6"]
    if all(c in out for c in needed):
        new["response_iwg"] = iwg_response(*(out[c] for c in needed))
    for name, series in new.items():
        out[name] = series
    return out


def read_cohort(path: str | Path, dictionary: Dictionary | None = None) -> LoadedCohort:
    """Read, type and derive a cohort file, keeping the cells that did not parse.

    Parameters
    ----------
    path : str or Path
        Cohort file (see :func:`read_table`).
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.

    Returns
    -------
    LoadedCohort
        Raw cells, typed and derived data, and the parse problems.

    Raises
    ------
    CohortReadError
        The file cannot be read at all.
    """
    dictionary = dictionary or load_dictionary()
    raw, decimal_comma = read_table(path)
    if raw.empty and len(raw.columns) == 0:
        raise CohortReadError(f"{path}: the file has no columns")
    typed, problems = type_cohort(raw, dictionary, decimal_comma=decimal_comma)
    data = derive(typed, dictionary)
    return LoadedCohort(Path(path), raw, data, problems, decimal_comma)


def load_cohort(path: str | Path, dictionary: Dictionary | None = None) -> pd.DataFrame:
    """Load a cohort file for analysis.

    Parameters
    ----------
    path : str or Path
        CSV (``,`` or ``;`` with decimal comma; UTF-8, UTF-8 with BOM or Latin-1), XLSX or
        Parquet file, one row per patient, columns as in the data dictionary.
    dictionary : Dictionary, optional
        Defaults to the project's ``data/dictionary.yaml``.

    Returns
    -------
    pandas.DataFrame
        Dictionary columns typed (integers ``Int64``, numbers ``Float64``, yes/no
        ``boolean``, categories as ordered ``Categorical`` in dictionary order, strings as
        ``str`` objects), followed by the derived columns of :func:`derive`.

    Raises
    ------
    CohortReadError
        The file cannot be read (exit status 2).
    CohortParseError
        Cells do not parse in their column's type (exit status 1); the message names the
        column, the patient ids and the values.

    Notes
    -----
    Loading does not validate ranges, categories or cross-column rules: that is the
    validation gate's job (:mod:`itp_stats.gate`), which runs before any analysis.
    """
    dictionary = dictionary or load_dictionary()
    cohort = read_cohort(path, dictionary)
    if not cohort.problems.empty:
        raise CohortParseError(f"{path}: {describe_problems(cohort.problems)}")
    data = cohort.data
    for name, column in dictionary.columns.items():
        if column.type == "category" and name in data:
            data[name] = pd.Categorical(
                data[name], categories=list(column.categories), ordered=True
            )
    if dictionary.group_column in data:
        data[dictionary.group_column] = data[dictionary.group_column].cat.set_categories(
            list(RESPONSE_LEVELS), ordered=True
        )
    return data


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
