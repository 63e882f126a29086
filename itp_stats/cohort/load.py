"""Reading a cohort file into a DataFrame typed by the data dictionary.

Typical hospital exports are accepted: CSV separated by ``,`` or ``;`` (a ``;`` file uses the
decimal comma, as French spreadsheets write it), UTF-8 with or without a byte-order mark or
Latin-1, XLSX (first sheet) and Parquet. The file is only ever read.

Reading is done in three steps, each usable on its own:

1. :func:`read_table` reads the cells as they are (text, or numbers for XLSX/Parquet);
2. :func:`type_cohort` types each dictionary column, collecting the cells that do not parse
   (``ND``, ``<5``, ``12,5`` in a count column, …) as problems instead of failing;
3. :func:`derive` computes the derived columns, in one place: each marker as % of its parent,
   the dictionary's binned columns and the study's derived group (see :func:`derive`).

:func:`load_cohort` chains them for the analysis and refuses a file with unparseable cells.
The validation gate uses :func:`read_cohort` and reports the problems as a rule.

Arrow memory (the cells of a CSV as read) comes from pyarrow's jemalloc pool, which gives
freed memory back to the system at once (:func:`use_returning_memory_pool`, applied when
this module is imported unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses a pool): with the
default mimalloc pool a process keeps the pages of the file's text after it is typed, and
validating a 100 MB file peaks about 150 MB higher.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import importlib
import io
import math
import numbers
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from itp_stats.cohort.dictionary import Binned, Dictionary, load_dictionary
from itp_stats.errors import CohortReadError, ItpStatsError

__all__ = [
    "EXPECTED",
    "MISSING_TOKENS",
    "PROBLEM_COLUMNS",
    "CohortParseError",
    "FileScan",
    "LoadedCohort",
    "derive",
    "derive_group",
    "describe_problems",
    "load_cohort",
    "read_cohort",
    "CHUNK_ROWS",
    "read_table",
    "read_table_chunks",
    "scan_file",
    "type_cohort",
    "use_returning_memory_pool",
    "verified_bytes",
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


_UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
)
_SEPARATORS = (";", ",", "\t")
"""Separators guessed from the first rows (``sep=X`` on the first line names any other)."""
_SNIFF_BYTES = 64 * 1024
_SNIFF_ROWS = 50
_CHUNK = 1 << 20
_BLANK_LINE = re.compile(rb"[ \t,;]*(?:\r\n|\n|\r)")
_SEP_LINE = re.compile(rb'[ \t]*"?sep=([^\r\n"])"?[ \t,;]*(?:\r\n|\n|\r|\Z)', re.IGNORECASE)


def _wide_encoding(blob: bytes) -> str | None:
    """UTF-16 or UTF-32, recognised by the byte-order mark or by the NUL bytes of ASCII text."""
    for bom, name in _WIDE_BOMS:
        if blob.startswith(bom):
            return name
    head = blob[:4096]
    half = len(head) // 2
    if half < 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    # ASCII text in UTF-16 has a NUL high byte in every other byte: second in LE, first in BE
    if odd >= 0.3 * half and even <= 0.02 * half:
        return "UTF-16 LE"
    if even >= 0.3 * half and odd <= 0.02 * half:
        return "UTF-16 BE"
    return None


def _decodes(blob: bytes, codec: str, start: int = 0) -> bool:
    """Whether ``blob[start:]`` decodes in ``codec`` (checked by chunks: no copy of the file)."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(blob)
    try:
        for offset in range(start, len(blob), _CHUNK):
            decoder.decode(view[offset : offset + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(blob: bytes, path: Path) -> tuple[str, int]:
    """Codec of a cohort CSV and the length of its byte-order mark.

    Parameters
    ----------
    blob : bytes
        The file's bytes.
    path : Path
        The file, for messages.

    Returns
    -------
    codec : str
        ``utf-8`` (with or without byte-order mark) when the bytes are UTF-8, else ``cp1252``
        (Windows Latin-1, what Excel writes in France), else ``latin-1``.
    start : int
        Bytes of the byte-order mark (3 or 0).

    Raises
    ------
    CohortReadError
        UTF-16 or UTF-32 text (named, with how to save it as UTF-8), binary content, or a
        UTF-8 byte-order mark followed by other bytes.
    """
    if blob.startswith(_UTF8_BOM):
        return _codec(blob, path, _decodes(blob, "utf-8", len(_UTF8_BOM)), True)
    ascii_ = blob.isascii()
    utf8 = ascii_ or _decodes(blob, "utf-8")
    return _codec(blob, path, utf8, utf8 or _decodes(blob, "cp1252"))


def _check_head(head: bytes, path: Path) -> None:
    """Refuse UTF-16/UTF-32 and binary content, recognised from the file's first bytes."""
    wide = _wide_encoding(head)
    if wide is not None:
        raise CohortReadError(
            f"{path}: the file is {wide} text, which is not read; save it as UTF-8 "
            "(in Excel: Save As, file type 'CSV UTF-8 (Comma delimited)') and try again"
        )
    if b"\x00" in head[:4096]:
        raise CohortReadError(f"{path}: not a text file (binary content); expected CSV")


def _codec(head: bytes, path: Path, utf8: bool, cp1252: bool) -> tuple[str, int]:
    """:func:`_encoding`'s answer, from the file's first bytes and whether all of it decodes."""
    _check_head(head, path)
    if head.startswith(_UTF8_BOM):
        if not utf8:
            raise CohortReadError(
                f"{path}: starts with a UTF-8 byte-order mark but is not valid UTF-8; "
                "save it as 'CSV UTF-8' again"
            )
        return "utf-8", len(_UTF8_BOM)
    if utf8:
        return "utf-8", 0
    if cp1252:
        return "cp1252", 0
    return "latin-1", 0


_COMMENT_LINE = re.compile(rb"#[^\r\n]*(?:\r\n|\n|\r|\Z)")
"""A ``#`` comment line before the header: the provenance mark older versions of
``itp-stats synth`` wrote there (it now writes a sidecar file), or any other comment."""


def _skip_preamble(blob: bytes, start: int) -> tuple[int, str | None]:
    """Offset of the header line, after blank and ``#`` comment lines and Excel's ``sep=X`` line.

    Returns
    -------
    offset : int
        Byte offset of the first line that is not blank, a leading ``#`` comment or a
        ``sep=`` line.
    separator : str or None
        The separator a ``sep=X`` line names (Excel writes it as the first line).
    """

    def skip_blank(pos: int) -> int:
        while (match := _BLANK_LINE.match(blob, pos) or _COMMENT_LINE.match(blob, pos)) is not None:
            pos = match.end()
        return pos

    pos = skip_blank(start)
    separator = None
    if (match := _SEP_LINE.match(blob, pos)) is not None:
        separator = match.group(1).decode("latin-1")
        pos = skip_blank(match.end())
    return pos, separator


def _head_rows(head: str, sep: str, truncated: bool) -> list[list[str]]:
    """The first non-blank rows of ``head`` split by ``sep`` (a cut last row is dropped)."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=sep, skipinitialspace=True)
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) > _SNIFF_ROWS:
                break
    except csv.Error:  # an open quote in the sample: keep the rows read so far
        truncated = True
    if truncated and len(rows) > 1:
        rows.pop()
    return rows[:_SNIFF_ROWS]


def _sniff(head: str, truncated: bool) -> str:
    """The separator that splits the header into most columns, consistently over the rows.

    Each of :data:`_SEPARATORS` is scored by the share of the first rows that have as many
    fields as the header, then by the header's number of fields; a separator that leaves the
    header in one piece is not a candidate. ``,`` when none is.
    """
    best, best_score = ",", (0.0, 0)
    for sep in _SEPARATORS:
        widths = [len(row) for row in _head_rows(head, sep, truncated)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = sep, score
    return best


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
            pa.BufferReader(pa.py_buffer(blob).slice(start)), **_arrow_options(codec, sep, width)
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
    return _frame_of(columns, header)


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


@dataclass(frozen=True)
class _CsvLayout:
    """Where a CSV file's table starts and how it is split (see :func:`_csv_layout`)."""

    codec: str
    start: int
    sep: str
    names: list[str]
    header: list[str]


def _csv_layout(
    path: Path, blob: bytes, size: int | None = None, encoding: tuple[str, int] | None = None
) -> _CsvLayout | None:
    """The encoding, header offset, separator and header cells of a CSV file's bytes.

    ``blob`` is the file's bytes, or its first bytes when ``size`` (the file's length) and
    ``encoding`` (:func:`_encoding` of the whole file) are given. Returns None when the first
    rows hold no header (the pandas parser then says why).

    Raises
    ------
    CohortReadError
        The file is empty, in an unread encoding, or its header repeats a column name.
    """
    codec, start = encoding or _encoding(blob, path)
    size = len(blob) if size is None else size
    start, named = _skip_preamble(blob, start)
    head_bytes = blob[start : start + _SNIFF_BYTES]
    truncated = size - start > _SNIFF_BYTES
    if not head_bytes.strip() or (not truncated and not head_bytes.strip(b" \t\r\n,;")):
        raise CohortReadError(f"{path}: the file is empty")
    head = head_bytes.decode(codec, errors="replace")
    sep = named or _sniff(head, truncated)
    rows = _head_rows(head, sep, truncated)
    names = [n.strip() for n in (rows[0] if rows else [])]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise CohortReadError(f"{path}: duplicated column names: {', '.join(duplicated)}")
    if not rows:
        return None
    return _CsvLayout(codec, start, sep, names, rows[0])


def _read_csv(path: Path, blob: bytes) -> tuple[pd.DataFrame, bool]:
    """Read a CSV file's cells as text; return the frame and whether ``;`` separates them.

    ``blob`` holds the file's bytes. The encoding is recognised (:func:`_encoding`); blank
    lines and Excel's ``sep=X`` line before the header are skipped; the separator is the one
    ``sep=`` names, else the one sniffed from the first non-blank rows (:func:`_sniff`). A
    row with more fields than the header is refused, naming its line (pandas would otherwise
    take the first column as the index and shift every value by one column).
    """
    layout = _csv_layout(path, blob)
    if layout is not None:
        frame = _read_arrow(blob, layout.start, layout.codec, layout.sep, layout.header)
        if frame is not None:
            pa.default_memory_pool().release_unused()
            return frame, layout.sep == ";"
    return _read_csv_pandas(path, blob, layout)


def _read_csv_pandas(
    path: Path, blob: bytes, layout: _CsvLayout | None
) -> tuple[pd.DataFrame, bool]:
    """:func:`_read_csv` by the pandas parser, which reads or names what pyarrow refuses."""
    if layout is None:
        codec, start = _encoding(blob, path)
        start, named = _skip_preamble(blob, start)
        layout = _CsvLayout(codec, start, named or ",", [], [])
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


def _arrow_options(codec: str, sep: str, width: int, block_size: int | None = None) -> dict:
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


def _frame_of(columns: list[Any], header: list[str]) -> pd.DataFrame:
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
    return _cleaned(frame, path), decimal_comma


def _cleaned(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
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


CHUNK_ROWS = 50_000
"""Rows per chunk of :func:`read_table_chunks` (the gate's unit of work on a large file)."""

_BLOCK_BYTES = 4 << 20  # pyarrow's streaming reader parses the CSV text in blocks this large


_HEAD_BYTES = 1 << 20  # the first bytes a scan keeps: encoding marks, preamble, header, sniff
_SPACE_QUOTE = re.compile(rb'[;,\t] +"')  # where pandas' skipinitialspace and pyarrow differ


@dataclass(frozen=True)
class FileScan:
    """A cohort file read once, end to end, without being kept (:func:`scan_file`).

    Attributes
    ----------
    path : Path
        The file.
    sha256 : str
        SHA-256 of its bytes.
    size : int
        Its length in bytes.
    layout : _CsvLayout or None
        Encoding, header offset, separator and header of a CSV file that pyarrow's streaming
        reader parses as :func:`read_table` does; None when the file is read whole instead
        (Excel, Parquet, a CSV with a space before a quote, or no header in its first bytes).
    encoding : str or None
        Codec of a CSV file (``utf-8``, ``cp1252`` or ``latin-1``; None for Excel, Parquet
        or an empty file).
    separator : str or None
        Separator of a CSV file, as :func:`read_table` finds it in the first rows (None when
        they hold no header, or for Excel and Parquet).
    head : bytes
        The file's first bytes (up to 1 MiB of a CSV; empty for other formats unless
        ``data`` holds them): its provenance mark, when it has one, is there.
    data : bytes or None
        The bytes hashed, when the scan was asked to keep them (:func:`scan_file`'s
        ``keep``): read from these, the file is not read again.
    """

    path: Path
    sha256: str
    size: int
    layout: _CsvLayout | None
    encoding: str | None = None
    separator: str | None = None
    head: bytes = field(default=b"", repr=False, compare=False)
    data: bytes | None = field(default=None, repr=False, compare=False)


def scan_file(path: str | Path, *, keep: int = 0) -> FileScan:
    """Hash a cohort file and, for a CSV, find how to stream it, reading it by pieces.

    The encoding is decided as :func:`read_table` decides it (every byte is decoded, one
    piece at a time), and the places where pyarrow's parse could differ from the pandas
    parser's are looked for, so that :func:`read_table_chunks` can parse the file from the
    disk in chunks without holding it.

    Parameters
    ----------
    path : str or Path
        The cohort file.
    keep : int
        Keep the bytes read (:attr:`FileScan.data`) when the file has at most this many:
        they are then parsed from memory, and the file is read once. A larger file is not
        held; reading it again checks its bytes against the digest.

    Raises
    ------
    CohortReadError
        The file is missing, a folder, unreadable, empty, in an unread encoding, or its
        header repeats a column name.
    """
    path = Path(path)
    if not path.exists():
        raise CohortReadError(f"{path}: no such file")
    if path.is_dir():
        raise CohortReadError(f"{path}: is a folder, expected a cohort file")
    csv_file = path.suffix.lower() in {".csv", ".txt", ".tsv", ""}
    digest = hashlib.sha256()
    head = b""
    size = 0
    all_ascii = True
    decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8", "cp1252")}
    decodes = dict.fromkeys(decoders, True)
    spaced: list[tuple[int, int]] = []  # (offset, separator byte) of a separator, spaces, quote
    carry = b""
    kept: list[bytes] | None = [] if keep > 0 else None
    try:
        with path.open("rb") as handle:
            while piece := handle.read(_CHUNK):
                digest.update(piece)
                if kept is not None:
                    kept.append(piece)
                    if size + len(piece) > keep:
                        kept = None  # too large to hold: read again, checked, when parsed
                if csv_file:
                    if len(head) < _HEAD_BYTES:
                        head += piece[: _HEAD_BYTES - len(head)]
                    text = piece
                    if size == 0 and piece.startswith(_UTF8_BOM):
                        text = piece[len(_UTF8_BOM) :]
                    all_ascii = all_ascii and text.isascii()
                    for name, decoder in decoders.items():
                        if not all_ascii and decodes[name]:
                            try:
                                decoder.decode(text)
                            except UnicodeDecodeError:
                                decodes[name] = False
                    window = carry + piece
                    base = size - len(carry)
                    spaced += [
                        (base + m.start(), window[m.start()]) for m in _SPACE_QUOTE.finditer(window)
                    ]
                    carry = window[max(len(window.rstrip(b" ")) - 1, 0) :]  # a separator, spaces
                size += len(piece)
    except PermissionError:
        raise CohortReadError(f"{path}: permission denied") from None
    except OSError as exc:
        raise CohortReadError(f"{path}: cannot read ({exc.strerror})") from None
    for name, decoder in decoders.items():
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            decodes[name] = False
    layout = None
    encoding = separator = None
    if csv_file and size:
        utf8 = all_ascii or decodes["utf-8"]
        codec = _codec(head, path, utf8, utf8 or decodes["cp1252"])
        encoding = codec[0]
        layout = _csv_layout(path, head, size, codec)
        if layout is not None:
            separator = layout.sep
            sep = layout.sep.encode("latin-1")[0]
            if any(at >= layout.start and byte == sep for at, byte in spaced) or (
                len(head) < size and layout.start + _SNIFF_BYTES > len(head)
            ):
                layout = None  # read whole, as read_table reads it
    data = b"".join(kept) if kept is not None else None
    if not head and data is not None:
        head = data[:_HEAD_BYTES]
    return FileScan(path, digest.hexdigest(), size, layout, encoding, separator, head, data)


class _HashingReader(io.RawIOBase):
    """A file read from its start, hashing every byte read (to check against a scan)."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._handle.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self._position += n
        return n or 0

    def tell(self) -> int:
        return self._position

    def finish(self) -> str:
        """Read what is left and return the SHA-256 of every byte."""
        while piece := self._handle.read(_CHUNK):
            self.digest.update(piece)
        return self.digest.hexdigest()


def _changed(path: Path) -> CohortReadError:
    return CohortReadError(
        f"{path}: the file changed while it was read; nothing was validated, try again once "
        "it is written"
    )


def verified_bytes(scan: FileScan) -> bytes:
    """The file's bytes, read whole, refused unless they are the bytes the scan hashed.

    Parameters
    ----------
    scan : FileScan
        The file's :func:`scan_file`; when it kept the bytes, they are returned (nothing is
        read).

    Raises
    ------
    CohortReadError
        The file cannot be read any more, or its bytes changed since the scan.
    """
    if scan.data is not None:
        return scan.data
    try:
        data = scan.path.read_bytes()
    except OSError as exc:
        raise CohortReadError(f"{scan.path}: cannot read ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != scan.sha256:
        raise _changed(scan.path)
    return data


def read_table_chunks(
    path: str | Path, *, rows: int = CHUNK_ROWS, scan: FileScan | None = None
) -> tuple[Iterator[pd.DataFrame], bool]:
    """Read the cells of a cohort file, untyped, a slice of rows at a time.

    The chunks, concatenated, equal :func:`read_table`'s frame. A CSV file is parsed from
    the disk by pyarrow's streaming reader, so that only one chunk's cells are held as
    columns at a time and nothing of the file is held whole; its bytes are hashed as they are
    read and checked against the file's :func:`scan_file` before the last chunk. Where
    pyarrow stops on a row it cannot read, the rest is read as :func:`read_table` reads such
    a file (the pandas parser, or its message). Excel and Parquet files, and CSV files that
    pyarrow would parse otherwise, are read whole (their bytes checked against the scan) and
    sliced. A scan that kept the file's bytes (``scan_file(path, keep=…)``) is read from
    them: the file is not read again.

    Parameters
    ----------
    path : str or Path
        The file (its suffix gives the format).
    rows : int
        Rows per chunk (at least); the last chunk may be shorter.
    scan : FileScan, optional
        The file's :func:`scan_file` (made when missing).

    Returns
    -------
    chunks : iterator of pandas.DataFrame
        Cleaned cells as :func:`read_table` returns them, each chunk indexed from 0; at
        least one chunk, which holds the columns even when the file has no rows.
    decimal_comma : bool
        As for :func:`read_table`.

    Raises
    ------
    CohortReadError
        As :func:`read_table`, or the file changed after its scan; a row that cannot be read
        may be named only when the iteration reaches it.
    """
    path = Path(path)
    scan = scan or scan_file(path)
    if scan.layout is not None:
        return _stream_csv(scan, rows), scan.layout.sep == ";"
    frame, decimal_comma = read_table(path, verified_bytes(scan))
    return _slices(frame, rows, 0), decimal_comma


def _slices(frame: pd.DataFrame, rows: int, done: int) -> Iterator[pd.DataFrame]:
    """``frame`` from row ``done`` on, in slices of ``rows`` (one, maybe empty, at least)."""
    n = len(frame)
    starts = range(done, n, max(rows, 1)) if n > done else [done]
    for start in starts:
        yield frame.iloc[start : start + rows].reset_index(drop=True)


def _stream_csv(scan: FileScan, rows: int) -> Iterator[pd.DataFrame]:
    """The chunks of a CSV file, from pyarrow's streaming reader (see :func:`read_table_chunks`).

    Read from the disk, every byte hashed and checked against ``scan`` before the last chunk
    is given; or from the bytes the scan kept, which are the bytes it hashed.
    """
    path, layout = scan.path, scan.layout
    assert layout is not None  # a scan that found how to stream the file
    width = len(layout.header)
    done = 0  # data rows yielded
    header: list[str] | None = None
    pending: list[Any] = []

    def flush(schema: Any) -> pd.DataFrame:
        table = pa.Table.from_batches(pending, schema=schema)
        pending.clear()
        columns = table.columns
        del table
        return _cleaned(_frame_of(columns, header or []), path)

    held = scan.data is not None  # the scan's bytes: parsed from memory, not hashed again
    with io.BytesIO(scan.data) if held else path.open("rb") as handle:
        hashing = handle if held else _HashingReader(handle)
        hashing.read(layout.start)  # the byte-order mark and the preamble: hashed too
        try:
            reader = pa_csv.open_csv(
                hashing, **_arrow_options(layout.codec, layout.sep, width, _BLOCK_BYTES)
            )
            for batch in reader:
                if batch.num_columns != width:
                    break  # as read_table: the pandas parser reads it
                if header is None:
                    if batch.num_rows == 0:
                        continue
                    header = [batch.column(i)[0].as_py() for i in range(width)]
                    if [h.strip() for h in header] != [n.strip() for n in layout.names]:
                        break
                    batch = batch.slice(1)
                pending.append(batch)
                if sum(b.num_rows for b in pending) >= rows:
                    chunk = flush(reader.schema)
                    done += len(chunk)
                    yield chunk
                    pa.default_memory_pool().release_unused()
            else:
                if header is not None:
                    if not held and hashing.finish() != scan.sha256:
                        raise _changed(path)
                    if sum(b.num_rows for b in pending) or not done:
                        yield flush(reader.schema)
                    return
        except (pa.ArrowException, UnicodeError):
            pass  # the pandas parser reads the rest, or says why
    frame, _ = _read_csv_pandas(path, verified_bytes(scan), layout)
    yield from _slices(_cleaned(frame, path), rows, done)


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


def _derivation_function(rule: str) -> Callable[..., pd.Series]:
    """The function computing a group derivation rule (``DERIVATION_RULES[rule]["function"]``)."""
    from itp_stats.cohort.design import DERIVATION_RULES

    module, _, name = DERIVATION_RULES[rule]["function"].partition(":")
    return getattr(importlib.import_module(module), name)


def derive_group(data: pd.DataFrame, dictionary: Dictionary) -> pd.Series | None:
    """The study's derived group, computed from its named input columns.

    Parameters
    ----------
    data : pandas.DataFrame
        Typed cohort.
    dictionary : Dictionary
        With its study ``design`` attached.

    Returns
    -------
    pandas.Series or None
        The group by the study's derivation rule, named ``derivation.into`` (ordered
        categorical of the rule's levels; missing where it cannot be decided); None when the
        dictionary has no design, the design no derivation, or an input column is absent.
    """
    design = dictionary.design
    derivation = getattr(design, "derivation", None)
    if derivation is None or not all(c in data for c in derivation.columns):
        return None
    function = _derivation_function(derivation.rule)
    group = function(*(data[c] for c in derivation.columns))
    return pd.Series(group, index=data.index).rename(derivation.into)


def _cut(values: pd.Series, binned: Binned) -> pd.Series:
    """Bin a numeric column: first bin whose upper bound a value satisfies; missing stays."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    labels = np.full(x.shape, None, dtype=object)
    left = ~np.isnan(x)
    for b in binned.bins:
        if b.below is not None:
            fits = left & (x < b.below)
        elif b.at_most is not None:
            fits = left & (x <= b.at_most)
        else:
            fits = left
        labels[fits] = b.label
        left &= ~fits
    return pd.Series(
        pd.Categorical(labels, categories=list(binned.categories), ordered=True),
        index=values.index,
    )


def derive(data: pd.DataFrame, dictionary: Dictionary | None = None) -> pd.DataFrame:
    """Add the derived columns, computed in this one place.

    Parameters
    ----------
    data : pandas.DataFrame
        Typed cohort (see :func:`type_cohort`).
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use (with its design).

    Returns
    -------
    pandas.DataFrame
        A copy with, where their inputs are present:

        - ``pct_{marker}_{timepoint}``: count as % of the marker's parent count (e.g. a
          lymphocyte subset as % of lymphocytes); missing when either count is missing or the
          parent is 0;
        - every binned derived column of the dictionary (``from:`` and ``bins:`` in its
          ``derived`` section, e.g. a disease phase cut from a duration): ordered categorical
          of the bins' labels;
        - the study's derived group (``design.derivation``: its rule applied to the named
          input columns, see :func:`derive_group`), named ``derivation.into``; none without a
          design or a derivation.
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
    for name, binned in dictionary.binned.items():
        if binned.source in out:
            new[name] = _cut(out[binned.source], binned)
    group = derive_group(out, dictionary)
    if group is not None:
        new[str(group.name)] = group
    for name, series in new.items():
        out[name] = series
    return out


def read_cohort(
    path: str | Path, dictionary: Dictionary | None = None, *, data: bytes | None = None
) -> LoadedCohort:
    """Read, type and derive a cohort file, keeping the cells that did not parse.

    Parameters
    ----------
    path : str or Path
        Cohort file (see :func:`read_table`).
    dictionary : Dictionary, optional
        Defaults to the project's dictionary.
    data : bytes, optional
        The file's bytes, already read (see :func:`read_table`).

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
    raw, decimal_comma = read_table(path, data)
    if raw.empty and len(raw.columns) == 0:
        raise CohortReadError(f"{path}: the file has no columns")
    typed, problems = type_cohort(raw, dictionary, decimal_comma=decimal_comma)
    data = derive(typed, dictionary)
    return LoadedCohort(Path(path), raw, data, problems, decimal_comma)


def load_cohort(
    path: str | Path, dictionary: Dictionary | None = None, *, data: bytes | None = None
) -> pd.DataFrame:
    """Load a cohort file for analysis.

    Parameters
    ----------
    path : str or Path
        CSV (``,`` or ``;`` with decimal comma; UTF-8, UTF-8 with BOM or Latin-1), XLSX or
        Parquet file, one row per patient, columns as in the data dictionary.
    dictionary : Dictionary, optional
        Defaults to the project's ``data/dictionary.yaml``.
    data : bytes, optional
        The file's bytes, already read and hashed by the caller: parsed instead of reading
        ``path`` again (see :func:`read_table`).

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
    cohort = read_cohort(path, dictionary, data=data)
    if not cohort.problems.empty:
        raise CohortParseError(f"{path}: {describe_problems(cohort.problems)}")
    data = cohort.data
    for name, column in dictionary.columns.items():
        if column.type == "category" and name in data:
            data[name] = pd.Categorical(
                data[name], categories=list(column.categories), ordered=True
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
