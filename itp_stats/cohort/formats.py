"""Reading the cells of a cohort file, untyped: CSV, XLSX and Parquet.

CSV cells are parsed by pyarrow into Arrow buffers (no Python string per cell), where its
parse is the pandas parser's; otherwise by the pandas parser, which reads the file or says
why (a row with more fields than the header is named with its line). XLSX cells holding a
formula whose result was never saved are refused, named. Texts are stripped and the missing
tokens (:data:`MISSING_TOKENS`) made missing (:func:`read_table`).

Arrow memory (the cells of a CSV as read) comes from pyarrow's jemalloc pool, which gives
freed memory back to the system at once (:func:`use_returning_memory_pool`, applied when
this module is imported unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses a pool): with the
default mimalloc pool a process keeps the pages of the file's text after it is typed, and
validating a 100 MB file peaks about 150 MB higher.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from itp_stats.cohort.dialect import CsvLayout, csv_layout, encoding_of, skip_preamble
from itp_stats.errors import CohortReadError

__all__ = [
    "MISSING_TOKENS",
    "arrow_frame",
    "arrow_options",
    "clean_frame",
    "read_csv_pandas",
    "read_table",
    "use_returning_memory_pool",
]


def use_returning_memory_pool() -> bool:
    """Make pyarrow's jemalloc pool, returning freed memory at once, the default pool.

    Returns
    -------
    bool
        Whether it was set: not when ``ARROW_DEFAULT_MEMORY_POOL`` names a pool (the user's
        choice is kept) or this pyarrow has no jemalloc (then the default stays).
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, AttributeError, pa.ArrowException):  # pragma: no cover
        return False
    pa.set_memory_pool(pool)
    return True


use_returning_memory_pool()

MISSING_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL"})
"""Cell texts read as missing values (anything else must parse in the column's type)."""


def _read_arrow(
    blob: bytes, start: int, codec: str, sep: str, names: list[str]
) -> pd.DataFrame | None:
    """Read the CSV body with pyarrow: every column as text, nothing made missing.

    pyarrow keeps the cells in Arrow buffers (no Python string per cell): reading 1 million
    rows peaks at about half the memory of the pandas C parser, in half the time. Returns
    ``None`` where its parse could differ from the pandas parser's (rows shorter or longer
    than the header, a quote after a space, an open quote, a header it splits otherwise), so
    that the caller reads the file with pandas and reports what pandas reports.
    """
    if re.compile(re.escape(sep.encode("latin-1")) + rb' +"').search(blob, start):
        return None  # pandas' skipinitialspace reads ', "a,b"' as one quoted cell
    width = len(names)
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(blob).slice(start)), **arrow_options(codec, sep, width)
        )
    except (pa.ArrowException, UnicodeError):  # the pandas parser reads it, or says why
        return None
    if table.num_columns != width or table.num_rows == 0:
        return None
    header = [table.column(i)[0].as_py() for i in range(width)]
    if [h.strip() for h in header] != [n.strip() for n in names]:
        return None
    columns = table.slice(1).columns
    del table
    return arrow_frame(columns, header)


def _long_rows(text: str, sep: str, width: int, first_line: int) -> list[tuple[int, list[str]]]:
    """Rows of ``text`` (header first) with more fields than the header's ``width``.

    Returns ``(line, fields)`` pairs, ``line`` counted in the file (``first_line`` is the
    header's). Only read when pyarrow refused the file (rows of another width).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    long: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if len(row) > width and any(cell.strip() for cell in row):
                long.append((first_line + reader.line_num - 1, row))
    except csv.Error:  # an open quote: pandas reports it
        pass
    return long


def _too_long_message(
    path: Path, long: list[tuple[int, list[str]]], names: list[str], sep: str
) -> str:
    """Name the rows with more fields than the header, and the likely fix."""
    width = len(names)
    shown = ", ".join(
        f"line {line} ({row[0].strip()!r})" if row and row[0].strip() else f"line {line}"
        for line, row in long[:5]
    )
    more = f" and {len(long) - 5} more" if len(long) > 5 else ""
    extra = [cell for _, row in long for cell in row[width:]]
    where = f"after the last column ({names[-1]})" if names else "after the header's columns"
    if all(not cell.strip() for cell in extra):
        cause = f"the extra field {where} is empty: remove the {sep!r} at the end of these rows"
    else:
        cause = (
            f"their values no longer line up with the columns (a {sep!r} too many in the "
            f"row, or a column without a name in the header): fix these rows or name the column"
        )
    counts = sorted({len(row) for _, row in long})
    fields = "/".join(str(n) for n in counts)
    return (
        f"{path}: {len(long)} row(s) have {fields} fields but the header has {width} "
        f"columns: {shown}{more}; {cause}"
    )


def _read_csv(path: Path, blob: bytes) -> tuple[pd.DataFrame, bool]:
    """Read a CSV file's cells as text; return the frame and whether ``;`` separates them.

    ``blob`` holds the file's bytes. The encoding is recognised (:func:`encoding_of`); blank
    lines and Excel's ``sep=X`` line before the header are skipped; the separator is the one
    ``sep=`` names, else the one sniffed from the first non-blank rows (:func:`_sniff`). A
    row with more fields than the header is refused, naming its line (pandas would otherwise
    take the first column as the index and shift every value by one column).
    """
    layout = csv_layout(path, blob)
    if layout is not None:
        frame = _read_arrow(blob, layout.start, layout.codec, layout.sep, layout.header)
        if frame is not None:
            pa.default_memory_pool().release_unused()
            return frame, layout.sep == ";"
    return read_csv_pandas(path, blob, layout)


def read_csv_pandas(path: Path, blob: bytes, layout: CsvLayout | None) -> tuple[pd.DataFrame, bool]:
    """:func:`_read_csv` by the pandas parser, which reads or names what pyarrow refuses."""
    if layout is None:
        codec, start = encoding_of(blob, path)
        start, named = skip_preamble(blob, start)
        layout = CsvLayout(codec, start, named or ",", [], [])
    sep = layout.sep
    first_line = blob[: layout.start].count(b"\n") + 1
    text = blob[layout.start :].decode(layout.codec)
    del blob
    long = _long_rows(text, sep, len(layout.header), first_line) if layout.header else []
    if long:
        raise CohortReadError(_too_long_message(path, long, layout.names, sep))
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=True,
            quoting=csv.QUOTE_MINIMAL,
            index_col=False,
        )
    except pd.errors.EmptyDataError:
        raise CohortReadError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as exc:
        reason = str(exc).strip().splitlines()[-1]
        raise CohortReadError(f"{path}: not a well-formed CSV file ({reason})") from None
    return frame, sep == ";"


def arrow_options(codec: str, sep: str, width: int, block_size: int | None = None) -> dict:
    read = {"autogenerate_column_names": True, "encoding": "utf8" if codec == "utf-8" else codec}
    if block_size is not None:
        read["block_size"] = block_size
    return {
        "read_options": pa_csv.ReadOptions(**read),
        "parse_options": pa_csv.ParseOptions(
            delimiter=sep, quote_char='"', double_quote=True, newlines_in_values=True
        ),
        "convert_options": pa_csv.ConvertOptions(
            column_types={f"f{i}": pa.large_string() for i in range(width)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def arrow_frame(columns: list[Any], header: list[str]) -> pd.DataFrame:
    """A frame of Arrow string columns, each released from ``columns`` once it is wrapped."""
    frame: dict[str, pd.Series] = {}
    for i, name in enumerate(header):
        chunked, columns[i] = columns[i], None
        frame[name or f"Unnamed: {i}"] = pd.Series(pd.arrays.ArrowStringArray(chunked))
    return pd.DataFrame(frame)


def read_table(path: str | Path, data: bytes | None = None) -> tuple[pd.DataFrame, bool]:
    """Read the cells of a cohort file, untyped.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, ``.txt``, ``.tsv``), Excel (``.xlsx``) or Parquet (``.parquet``) file.
        A CSV file is UTF-8 (with or without byte-order mark), Windows-1252 or Latin-1; its
        separator is the one an Excel ``sep=X`` first line names, else ``;``, ``,`` or tab,
        sniffed from the first non-blank rows; blank lines before the header are skipped.
    data : bytes, optional
        The file's bytes, already read (the caller hashed them): they are parsed instead of
        reading ``path`` again, so what is analysed is what was hashed. ``path`` then only
        names the file (its suffix gives the format).

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
        The file is missing, empty, in an unknown format or encoding (UTF-16 is named, with
        how to save it as UTF-8) or not parseable; a CSV row has more fields than the header
        (the lines are named); an XLSX cell holds a formula whose result was never saved
        (the cells are named, with how to save the results).

    Notes
    -----
    CSV cells are parsed by pyarrow into Arrow buffers, and each column is cleaned and the
    uncleaned one released before the next, so that reading a 100 MB file does not hold a
    Python string per cell or two copies of the table.
    """
    path = Path(path)
    if data is None:
        if not path.exists():
            raise CohortReadError(f"{path}: no such file")
        if path.is_dir():
            raise CohortReadError(f"{path}: is a folder, expected a cohort file")
    suffix = path.suffix.lower()
    decimal_comma = False
    try:
        if suffix in {".xlsx", ".xlsm"}:
            blob = path.read_bytes() if data is None else data
            frame = pd.read_excel(io.BytesIO(blob), sheet_name=0, dtype=object, engine="openpyxl")
            if frame.isna().to_numpy().any():
                _check_formula_results(path, blob)
        elif suffix == ".parquet":
            source = path if data is None else io.BytesIO(data)
            frame = pd.read_parquet(source).astype(object)
        elif suffix in {".csv", ".txt", ".tsv", ""}:
            frame, decimal_comma = _read_csv(path, path.read_bytes() if data is None else data)
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
    return clean_frame(frame, path), decimal_comma


def clean_frame(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Names stripped (a repeated one refused), cells cleaned (:func:`_clean_column`)."""
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.columns.duplicated().any():
        dup = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise CohortReadError(f"{path}: duplicated column names: {', '.join(dup)}")
    index = frame.index
    # one column at a time: the column as read is released once its cleaned copy exists
    cleaned = {name: _clean_column(frame.pop(name)) for name in list(frame.columns)}
    del frame
    return pd.DataFrame(cleaned, index=index).reset_index(drop=True)


def _check_formula_results(path: Path, blob: bytes) -> None:
    """Refuse an XLSX whose first sheet has formula cells without a saved result.

    Excel saves each formula's last result beside it, and that is what is read; a workbook
    written by a program (openpyxl, some exports) may hold the formulas only, which would
    read as empty cells: the data would be silently lost.

    Raises
    ------
    CohortReadError
        Naming the columns and cells, and how to save the results.
    """
    from openpyxl import load_workbook

    formulas = load_workbook(io.BytesIO(blob), read_only=True, data_only=False)
    values = load_workbook(io.BytesIO(blob), read_only=True, data_only=True)
    try:
        header: list[str] = []
        lost: dict[str, list[str]] = {}
        rows = zip(
            formulas.worksheets[0].iter_rows(), values.worksheets[0].iter_rows(), strict=False
        )
        for formula_row, value_row in rows:
            if not header:
                header = [str(c.value).strip() if c.value is not None else "" for c in value_row]
                continue
            for cell, value in zip(formula_row, value_row, strict=False):
                if getattr(cell, "data_type", None) == "f" and value.value is None:
                    column = cell.column - 1 if isinstance(cell.column, int) else -1
                    name = header[column] if 0 <= column < len(header) else ""
                    lost.setdefault(name or cell.coordinate, []).append(cell.coordinate)
    finally:
        formulas.close()
        values.close()
    if not lost:
        return
    parts = []
    for name, cells in list(lost.items())[:5]:
        span = f"{cells[0]}" if len(cells) == 1 else f"{cells[0]} to {cells[-1]}"
        parts.append(f"{name} ({len(cells)} cell{'s' if len(cells) > 1 else ''}, {span})")
    more = f" and {len(lost) - 5} more columns" if len(lost) > 5 else ""
    total = sum(len(c) for c in lost.values())
    raise CohortReadError(
        f"{path}: {total} cell(s) hold a formula whose result was never saved, so they would "
        f"read as empty: {', '.join(parts)}{more}; open the file in Excel or LibreOffice, "
        "let it calculate and save it (or save the results as values), then try again"
    )


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
    # object dtype kept: map() would make a column of dates datetime64 again
    return column.astype(object).map(_clean_cell).astype(object)


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
