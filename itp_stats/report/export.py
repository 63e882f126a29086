"""Result tables written as CSV and XLSX for the journal (``itp-stats tables``).

The workbook opens on a ``README`` sheet (the study, the data file and its SHA-256, whether
the data are synthetic and why, the parameters, the date, the package version, and what every
other sheet holds), then has one sheet per table, named as the report numbers it (``Table
1``, ``Table S1``…; :data:`SHEET_NAMES`), and the tidy results under short names (``Results
baseline kruskal``). Every table sheet reads as the table does in the report: its caption on
the first row (``Table 1. Baseline characteristics by group.``), the synthetic-data notice
under it when the data are synthetic, then the table, then its notes and the legend of its
marks (``¹ Kruskal–Wallis…``). The table has a bold, frozen header row with a filter, column
widths from its content, numbers stored as numbers and text as text. A number of the tidy
results gets a display format chosen by its column (``0.0000`` for p-values, ``0.0`` for
percentages, ``0`` for counts, ``0.00`` otherwise); a cell of a formatted table that is a
number as the report prints it (``22``, ``0.046``, ``1 353``, ``−0.56``) is stored as that
number with a format showing the same digits (:func:`number_text`), not flagged by a
spreadsheet as a number stored as text; the other cells (``62 [50–68]``, ``<0.001``,
``0.30¹``) stay text, as the report prints them.

The CSVs are plain tables, UTF-8 with a byte-order mark (so that a spreadsheet shows ``µ``
and ``×`` right), one per table, named as the tables, with no comment line. What they cannot
hold (the synthetic-data notice, each table's caption and notes) is in one
:data:`README_FILE` beside them, the companion of every CSV, as a data repository's README
describes each file of a deposit.

Cells are protected against spreadsheet formula injection (OWASP "CSV injection"): a text
cell starting with one of :data:`FORMULA_PREFIXES` is prefixed with a single quote in the
CSVs, and is a text cell marked "quote prefix" in the workbook (its text unchanged, shown
and edited as text); the workbook holds no formula cell at all. Infinities are written as
the text ``inf``/``-inf`` and missing values as empty cells, never as errors. The formatted
report tables carry Markdown (code spans such as `` `patient_id` ``, backslash escapes);
it is removed from their cells, captions and notes (:func:`plain_text`).

Every file is written atomically (a temporary ``.<name>.<random>.tmp`` file in the same
folder, created with the permissions of a normal file write, so ``0644`` under the usual
umask ``022``; flushed to disk, then renamed). :func:`write_tables` writes a manifest last
(``manifest.json``: the name, size and SHA-256 of every file it wrote, and where the tables
come from); :func:`publish_tables` publishes exactly the files the manifest lists, after
checking their hashes, so a temporary or half-written file (a render killed mid-export) is
never published. Temporary files left by an interrupted run are removed by the next export
and publish.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import numbers
import os
import re
import textwrap
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from itp_stats.report.publish import (
    MANIFEST_FILE,
    atomic_write,
    folder_lock,
    publish_tables,
    read_manifest,
    register,
    remove_temporary,
)

__all__ = [
    "FORMULA_PREFIXES",
    "MANIFEST_FILE",
    "README_FILE",
    "README_SHEET",
    "SHEET_NAMES",
    "TABLE_DESCRIPTIONS",
    "neutralize_formulas",
    "number_text",
    "plain_text",
    "read_manifest",
    "write_tables",
    "publish_tables",
    "register",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

README_SHEET = "README"
"""Name of the workbook's first sheet: what the file holds and where it comes from."""

README_FILE = "README.txt"
"""Written beside the CSVs, the companion of every one of them: the synthetic-data notice,
where the tables come from, and each CSV's caption and notes (which a plain CSV cannot
hold)."""

NOTICE_TABLE = "notice"
"""A table of this name (the synthetic-data notice) heads the README sheet, every table
sheet and :data:`README_FILE` instead of having a sheet of its own; its CSV is written as
for any table."""

SHEET_NAMES: Mapping[str, str] = {
    "table1": "Table 1",
    "table2": "Table 2",
    "table3": "Table 3",
    "markers_baseline": "Table S1",
    "markers_followup": "Table S2",
    "pairwise": "Table S3",
    "missing": "Table S4",
    "sensitivity": "Table S5",
    "trend": "Table S6",
    "change_markers": "Table S7",
    "dictionary": "Table S8",
    "validation": "Table S9",
    "model_validation": "Table S10",
    "adjusted": "Table S11",
    "survival": "Table 4",
    "cox": "Table S12",
    "ph": "Table S13",
}
"""Default sheet name of each report table: the number the report and supplement give it.
Tidy results (``results_<name>``) become ``Results <name>``; other tables keep their name."""

TABLE_DESCRIPTIONS: Mapping[str, str] = {
    "table1": "Baseline characteristics by group, as in the report.",
    "table2": "Markers at baseline by group: median [IQR], tests and effect sizes.",
    "table3": "Change of the markers from baseline to follow-up within each group.",
    "markers_baseline": "Every marker at baseline by group: median [IQR] and n.",
    "markers_followup": "Every marker at follow-up by group: median [IQR] and n.",
    "pairwise": "Pairwise post-hoc comparisons of the baseline markers between groups.",
    "missing": "Missing data by variable and group.",
    "sensitivity": "Sensitivity analysis: the sensitivity groups against the others at baseline.",
    "trend": "Trend across the ordered groups at baseline (Jonckheere–Terpstra).",
    "change_markers": "Change of every marker, in its own unit, from baseline to follow-up.",
    "dictionary": "Data dictionary: every column of the cohort file, its type and role.",
    "validation": "Validation gate: every rule, rows tested, failures, failing patient ids.",
    "model_validation": "Prediction model: apparent and optimism-corrected performance.",
    "adjusted": "Prediction model adjusted for the configured covariates: odds ratios.",
    "survival": "Time to event: medians and survival at the landmarks by group (Kaplan–Meier).",
    "cox": "Time to event: every Cox model, each term's hazard ratio.",
    "ph": "Time to event: test of proportional hazards of every Cox model.",
}
"""Default "what it holds" of each report table, listed on the README sheet and written as
its caption."""

_MARK_SOURCES: Mapping[str, tuple[str, str]] = {"table1": ("results_table1_tests", "p")}
"""Formatted tables whose superscript marks the tidy results explain, when no note is
given: table name to (tidy table with one row per marked cell, in order and with its
``method``; the column holding the marks)."""

_SHEET_BAD = re.compile(r"[\[\]\*\?/\\:]")
_SHEET_MAX = 31
_LEGACY_FILES = ("source.json",)
_RESULTS_PREFIX = "results_"
_NUMBERED_SHEET = re.compile(r"^Table (S?)(\d+)$")
# CommonMark: a backslash escapes any ASCII punctuation character
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# characters XML 1.0 cannot hold (openpyxl refuses them)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CELL_MAX = 32_767  # characters a spreadsheet cell holds
_WIDTH_MAX = 60  # characters: wider columns wrap their text
_WIDTH_MIN = 6
_LINE_HEIGHT = 15  # points: one line of the default 11-point font
_TEXT_MIN = 100  # characters: the least width of a caption, notice or note line
_DEFAULT_COLUMN = 8.43  # characters: a spreadsheet's default column width
_TEXT_WIDTH = 88  # characters per line of README.txt
# number formats by column kind (see _formats)
_P_COLUMN = re.compile(r"^(p|q)([_ ]|$)|[_ ]p$|p[_ ]?value", re.IGNORECASE)
_PERCENT_COLUMN = re.compile(r"percent|pct|%", re.IGNORECASE)
_FORMAT_P, _FORMAT_PERCENT, _FORMAT_COUNT, _FORMAT_ESTIMATE = "0.0000", "0.0", "0", "0.00"
_DECIMALS = {_FORMAT_P: 4, _FORMAT_PERCENT: 1, _FORMAT_COUNT: 0, _FORMAT_ESTIMATE: 2}
# a number as the report prints it: a minus (U+2212 or ASCII), digits in groups of three
# separated by a thin, narrow no-break or no-break space (or not grouped), decimals after a
# point; no leading zero (``007`` is a code), at most 15 digits (what a spreadsheet keeps)
_GROUP_SEPARATORS = "\u2009\u202f\u00a0"
_NUMBER_TEXT = re.compile(
    rf"(?P<sign>[-\u2212]?)"
    rf"(?P<whole>0|[1-9]\d{{0,2}}(?:[{_GROUP_SEPARATORS}]\d{{3}})+|[1-9]\d*)"
    rf"(?:\.(?P<decimals>\d+))?"
)
_SIGNIFICANT_MAX = 15
_MARKS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
_MARKED_ITEM = re.compile(rf";\s+(?=[{_MARKS}])")  # "¹ test A; ² test B": one line each


def _safe_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralize_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells and column names cannot run as spreadsheet formulas.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table.

    Returns
    -------
    pandas.DataFrame
        Same shape; text cells (and column names) starting with one of
        :data:`FORMULA_PREFIXES` are prefixed with ``'``. Numeric columns are unchanged.
    """
    out = table.copy()
    out.columns = [_safe_text(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_safe_text).astype(object)
    return out


def _backticks(text: str, i: int) -> int:
    """Length of the run of backticks starting at ``text[i]``."""
    j = i
    while j < len(text) and text[j] == "`":
        j += 1
    return j - i


def plain_text(text: str) -> str:
    """Remove the Markdown of a report cell: code spans and backslash escapes.

    Parameters
    ----------
    text : str
        Cell text as the report's Markdown holds it.

    Returns
    -------
    str
        The text a reader of the report sees: `` `patient_id` `` becomes ``patient_id``
        (a code span's content is kept as written, backslashes included), ``\\*`` becomes
        ``*``. A backtick that opens no code span, and a backslash before anything but ASCII
        punctuation, are kept (CommonMark).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
        elif char == "`":
            run = _backticks(text, i)
            close = i + run
            while close < n:  # the next run of exactly as many backticks closes the span
                if text[close] != "`":
                    close += 1
                elif _backticks(text, close) == run:
                    break
                else:
                    close += _backticks(text, close)
            if close >= n:  # none: the backticks are literal
                out.append(text[i : i + run])
                i += run
                continue
            code = text[i + run : close]
            if len(code) > 1 and code[0] == code[-1] == " " and code.strip(" "):
                code = code[1:-1]
            out.append(code)
            i = close + run
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _plain_table(table: pd.DataFrame) -> pd.DataFrame:
    """Copy of a formatted report table with the Markdown of its text cells removed."""
    out = table.copy()
    out.columns = [plain_text(str(c)) for c in out.columns]
    for col in range(out.shape[1]):
        column = out.iloc[:, col]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out.isetitem(col, column.map(lambda v: plain_text(v) if isinstance(v, str) else v))
    return out


# --- workbook ---------------------------------------------------------------------------


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid sheet name (≤ 31 characters, none of ``[]*?/\\:``, no edge quote), unique
    (case-insensitively) among ``used``, which it joins."""
    base = _SHEET_BAD.sub("_", _XML_ILLEGAL.sub("", name)).strip().strip("'").strip()
    base = base[:_SHEET_MAX].rstrip() or "table"
    if base.lower() == "history":  # reserved by Excel
        base = "History (table)"
    sheet, i = base, 2
    while sheet.lower() in used:
        suffix = f" ({i})"
        sheet, i = base[: _SHEET_MAX - len(suffix)].rstrip() + suffix, i + 1
    used.add(sheet.lower())
    return sheet


def _default_sheet_name(name: str) -> str:
    if name in SHEET_NAMES:
        return SHEET_NAMES[name]
    if name.startswith(_RESULTS_PREFIX) and len(name) > len(_RESULTS_PREFIX):
        return "Results " + name[len(_RESULTS_PREFIX) :].replace("_", " ")
    return name


def _default_description(name: str) -> str:
    if name in TABLE_DESCRIPTIONS:
        return TABLE_DESCRIPTIONS[name]
    if name.startswith(_RESULTS_PREFIX):
        return "Unrounded tidy results behind the report (" + name[len(_RESULTS_PREFIX) :] + ")."
    return ""


def _sheet_order(sheets: Sequence[str]) -> list[int]:
    """Indices of ``sheets`` in the report's order: Table 1…, Table S1…, then the others."""

    def key(i: int) -> tuple[int, int, int]:
        match = _NUMBERED_SHEET.match(sheets[i])
        if match:
            return (0, int(bool(match.group(1))), int(match.group(2)))
        return (1, 0, i)

    return sorted(range(len(sheets)), key=key)


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # an array-like cell
        return False


def _text(value: object) -> str:
    text = _XML_ILLEGAL.sub("", value if isinstance(value, str) else str(value))
    return text if len(text) <= _CELL_MAX else text[: _CELL_MAX - 1] + "…"


def _formats(name: str, column: pd.Series) -> tuple[str, str]:
    """Display formats of a column's integers and of its other numbers, by the column's kind.

    p-values (``p``, ``p_unc``, ``p_adj``, ``p_fdr``, ``q``…) ``0.0000``; percentages
    (``percent``, ``pct``, ``%``) ``0.0``; integers, and columns of floats that are all
    whole (counts with a missing value, a U statistic) ``0``; other numbers ``0.00``.
    """
    if _P_COLUMN.search(name):
        return _FORMAT_P, _FORMAT_P
    if _PERCENT_COLUMN.search(name):
        return _FORMAT_PERCENT, _FORMAT_PERCENT
    values = [
        float(v)
        for v in column
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    ]
    whole = bool(values) and all(v.is_integer() for v in values)
    return _FORMAT_COUNT, (_FORMAT_COUNT if whole else _FORMAT_ESTIMATE)


def number_text(text: str) -> tuple[int | float, str] | None:
    """The number a text cell prints, and a spreadsheet format that prints the same digits.

    Parameters
    ----------
    text : str
        A cell of a formatted table (``22``, ``0.046``, ``1 353``, ``−0.56``).

    Returns
    -------
    tuple of (int or float, str) or None
        The number (an int when the text has no decimals) and its number format: ``0`` with
        as many ``0`` decimals as the text (``0.000`` for ``0.046``), ``#,##0…`` when the
        text groups its thousands (a spreadsheet shows its own locale's separator). None
        when the text is not a plain number: any other character (``0.30¹``, ``<0.001``,
        ``62 [50–68]``, ``inf``), a leading ``+``, a leading zero (``007``, a code), or more
        than 15 digits (an identifier a spreadsheet would round).

    Notes
    -----
    A minus is U+2212 (as the report prints it) or ASCII ``-``; the thousands separator a
    thin (U+2009), narrow no-break (U+202F) or no-break (U+00A0) space between groups of
    exactly three digits. A negative zero (``−0.00``) is stored as 0.
    """
    match = _NUMBER_TEXT.fullmatch(text)
    if match is None:
        return None
    whole = re.sub(f"[{_GROUP_SEPARATORS}]", "", match["whole"])
    decimals = match["decimals"] or ""
    if len(whole.lstrip("0")) + len(decimals) > _SIGNIFICANT_MAX:
        return None
    sign = "-" if match["sign"] else ""
    number: int | float = int(sign + whole) if not decimals else float(f"{sign}{whole}.{decimals}")
    if number == 0:
        number = 0 if isinstance(number, int) else 0.0
    fmt = "#,##0" if whole != match["whole"] else "0"
    return number, fmt + ("." + "0" * len(decimals) if decimals else "")


def _cell_value(value: object, formats: tuple[str, str]) -> tuple[object, str | None, int]:
    """What a table cell holds in the workbook: ``(value, number format, display width)``.

    The value is ``None`` (empty), a bool, an int, a finite float or a str; an infinity
    becomes the text ``inf``/``-inf``, a date its ISO text, an empty text an empty cell, a
    text that is a plain number that number (:func:`number_text`).
    """
    if isinstance(value, (list, tuple, set)):
        value = ", ".join(map(str, value))
    elif _missing(value):
        return None, None, 0
    if isinstance(value, (bool, np.bool_)):
        return bool(value), None, 5
    if isinstance(value, numbers.Real):
        fmt = formats[0] if isinstance(value, numbers.Integral) else formats[1]
        number: int | float = int(value) if isinstance(value, numbers.Integral) else float(value)
        if math.isinf(number):
            return ("inf" if number > 0 else "-inf"), None, 4
        width = len(f"{number:.{_DECIMALS[fmt]}f}") if fmt in _DECIMALS else len(str(number))
        return number, fmt, width
    if isinstance(value, (dt.date, dt.time)):
        text = value.isoformat()
        return text, None, len(text)
    text = _text(value)
    if not text:
        return None, None, 0
    parsed = number_text(text)
    if parsed is not None:
        return parsed[0], parsed[1], len(text)
    return text, None, max((len(line) for line in text.splitlines()), default=0)


def _text_lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a cell ``width`` characters wide (an estimate)."""
    per_line = max(10, int(width) - 2)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


class _Sheet:
    """Cell writer for one worksheet: text always as text, no formula ever."""

    def __init__(self, sheet: Any, styles: Mapping[str, Any]) -> None:
        self.sheet = sheet
        self.styles = styles

    def put(
        self,
        row: int,
        column: int,
        value: object,
        number_format: str | None = None,
        *,
        bold: bool = False,
        wrap: bool = False,
    ) -> None:
        if value is None:
            return
        cell = self.sheet.cell(row=row, column=column)
        cell.value = value
        if isinstance(value, str):
            # openpyxl reads "=…" as a formula and "#N/A" as an error: force text, and mark
            # a formula-like text with Excel's quote prefix (shown and edited as text)
            cell.data_type = "s"
            if value.startswith(FORMULA_PREFIXES):
                cell.quotePrefix = True
        elif number_format is not None:
            cell.number_format = number_format
        if bold:
            cell.font = self.styles["bold"]
        if wrap:
            cell.alignment = self.styles["wrap"]
        elif bold:
            cell.alignment = self.styles["top"]

    def widths(self, widths: Sequence[int], caps: Sequence[int] = ()) -> list[bool]:
        """Set the column widths (characters, each capped at ``caps[i]``, default
        ``_WIDTH_MAX``); return which columns were capped."""
        from openpyxl.utils import get_column_letter

        capped = []
        for i, width in enumerate(widths):
            cap = caps[i] if i < len(caps) else _WIDTH_MAX
            letter = get_column_letter(i + 1)
            self.sheet.column_dimensions[letter].width = min(cap, max(_WIDTH_MIN, width)) + 2
            capped.append(width > cap)
        return capped

    def line(self, row: int, text: str, columns: int, style: str | None = None) -> None:
        """A line of text above or below a table (caption, notice, note): merged across the
        table's ``columns`` (and empty columns after them, up to ``_TEXT_MIN`` characters),
        wrapped, and as high as its lines (a spreadsheet does not fit the height of a merged
        cell)."""
        from openpyxl.utils import get_column_letter

        self.put(row, 1, text, wrap=True)
        if style is not None:
            self.sheet.cell(row=row, column=1).font = self.styles[style]
        dimensions = self.sheet.column_dimensions
        width = sum(dimensions[get_column_letter(i)].width or 0 for i in range(1, columns + 1))
        span = max(1, columns)
        if width < _TEXT_MIN:  # a narrow table: the line runs on over empty columns
            extra = math.ceil((_TEXT_MIN - width) / _DEFAULT_COLUMN)
            span, width = span + extra, width + extra * _DEFAULT_COLUMN
        if span > 1:
            self.sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        self.sheet.row_dimensions[row].height = _LINE_HEIGHT * _text_lines(text, width)


class _Entry(NamedTuple):
    """One table as the workbook and the README file present it."""

    name: str  # table name, stem of its CSV
    sheet: str  # sheet name (``Table 1``)
    description: str  # what it holds (README sheet)
    caption: str  # ``Table 1. Baseline characteristics by group.``
    notes: tuple[str, ...]  # lines below the table: notes, then the legend of its marks
    table: pd.DataFrame  # the table, its Markdown removed


def _write_table_sheet(sheet: _Sheet, entry: _Entry, notice: str | None) -> None:
    """One table: caption and notice above, notes below; between them a bold frozen header
    with a filter, typed cells, widths from content."""
    from openpyxl.utils import get_column_letter

    table = entry.table
    names = [_text(c) for c in table.columns]
    formats = [_formats(names[i], table.iloc[:, i]) for i in range(table.shape[1])]
    widths = [max((len(w) for w in n.split()), default=0) for n in names]
    cells: list[list[tuple[object, str | None]]] = []
    for row in table.itertuples(index=False, name=None):
        out = []
        for i, value in enumerate(row):
            content, fmt, width = _cell_value(value, formats[i])
            widths[i] = max(widths[i], width)
            out.append((content, fmt))
        cells.append(out)
    capped = sheet.widths(widths)
    sheet.line(1, entry.caption, len(names), "bold")
    if notice is not None:
        sheet.line(2, notice, len(names), "notice")
    header = 3 if notice is None else 4  # a blank row between the lines and the table
    for i, name in enumerate(names, start=1):
        sheet.put(header, i, name, bold=True, wrap=True)
    for r, row_cells in enumerate(cells, start=header + 1):
        for i, (content, fmt) in enumerate(row_cells):
            sheet.put(r, i + 1, content, fmt, wrap=capped[i] and isinstance(content, str))
    last = header + len(cells)
    for r, note in enumerate(entry.notes, start=last + 2):
        sheet.line(r, note, len(names))
    if names:
        sheet.sheet.freeze_panes = f"A{header + 1}"
        sheet.sheet.auto_filter.ref = f"A{header}:{get_column_letter(len(names))}{last}"


def _readme_rows(readme: Mapping[str, object]) -> list[tuple[str, object]]:
    """Item/value rows of the README: a mapping value gives one row per key."""
    rows: list[tuple[str, object]] = []
    for label, value in readme.items():
        if isinstance(value, Mapping):
            rows += [(f"{label}: {key}", item) for key, item in value.items()]
        else:
            rows.append((str(label), value))
    return rows


def _readme_value(value: object) -> object:
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _default_readme(source: Mapping[str, object] | None, notice: str | None) -> dict[str, object]:
    """README items from the manifest's ``source`` (data file, SHA-256, parameters)."""
    source = dict(source or {})
    items: dict[str, object] = {}
    if "data" in source:
        items["data file"] = Path(str(source.pop("data"))).name
    if "data_sha256" in source:
        items["data SHA-256"] = source.pop("data_sha256")
    synthetic = source.pop("synthetic", None)
    if notice is not None:
        items["synthetic data"] = "yes (see the notice above)"
    elif synthetic is not None:
        items["synthetic data"] = "yes" if synthetic else "no"
    if "study" in source:
        items["study configuration"] = Path(str(source.pop("study"))).name
    if source:
        items["parameters"] = source
    return items


def _export_date() -> str:
    """Today (local), or the day of ``$SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def _write_readme(
    sheet: _Sheet,
    items: Sequence[tuple[str, object]],
    listing: Sequence[tuple[str, str, str, int]],
    notice: str | None,
    heading: str,
) -> None:
    """The README sheet: heading, notice, the items, then every sheet and what it holds."""
    sheet.put(1, 1, heading, bold=True)
    sheet.sheet.cell(row=1, column=1).font = sheet.styles["heading"]
    row = 2
    widths = [len("Sheet"), len("What it holds"), len("CSV file"), len("Rows")]
    if notice is not None:
        sheet.put(row, 1, "NOTICE", bold=True)
        sheet.put(row, 2, notice, bold=True, wrap=True)
        sheet.sheet.cell(row=row, column=2).font = sheet.styles["notice"]
        row += 1
    row += 1
    sheet.put(row, 1, "Item", bold=True)
    sheet.put(row, 2, "Value", bold=True)
    for label, value in items:
        row += 1
        content, fmt, width = _cell_value(_readme_value(value), (_FORMAT_COUNT, "General"))
        sheet.put(row, 1, _text(label))
        sheet.put(row, 2, content, fmt, wrap=True)
        widths[0] = max(widths[0], len(label))
        widths[1] = max(widths[1], width)
    row += 2
    for i, title in enumerate(("Sheet", "What it holds", "CSV file", "Rows"), start=1):
        sheet.put(row, i, title, bold=True)
    for name, description, csv, rows in listing:
        row += 1
        sheet.put(row, 1, name)
        sheet.put(row, 2, _text(description), wrap=True)
        sheet.put(row, 3, csv)
        sheet.put(row, 4, rows, "0")
        widths = [
            max(widths[0], len(name)),
            max(widths[1], len(description)),
            max(widths[2], len(csv)),
            max(widths[3], len(str(rows))),
        ]
    sheet.widths(widths, caps=(40, 90, _WIDTH_MAX, _WIDTH_MAX))


# --- what every sheet and the README file say ---------------------------------------------


def _notice(tables: Mapping[str, pd.DataFrame]) -> str | None:
    """The synthetic-data notice (the ``notice`` table's cells, joined), or None."""
    table = tables.get(NOTICE_TABLE)
    if table is None or not table.size:
        return None
    text = " ".join(_text(v) for v in table.to_numpy().ravel() if not _missing(v))
    return text or None


def _items(
    readme: Mapping[str, object] | None,
    source: Mapping[str, object] | None,
    notice: str | None,
) -> dict[str, object]:
    """The README items (given, or from ``source``), with the date and the version."""
    from itp_stats import __version__

    items = dict(readme) if readme is not None else _default_readme(source, notice)
    keys = {str(k).lower() for k in items}
    if "date" not in keys:
        items["date"] = _export_date()
    if "itp-stats version" not in keys:
        items["itp-stats version"] = __version__
    return items


def _mark_legend(table: pd.DataFrame, tests: pd.DataFrame | None, column: str) -> list[str]:
    """The legend of the superscript marks of ``table[column]``, from ``tests``' methods.

    The column holds one non-empty cell per row of ``tests``, in order (Table 1: the p of
    each characteristic, its mark naming the test of ``results_table1_tests``). Cells that
    do not pair with the rows, or a mark given to two methods, give no legend.
    """
    if tests is None or "method" not in tests.columns or column not in table.columns:
        return []
    marked = table[column]
    if not isinstance(marked, pd.Series):  # two columns of that name
        return []
    cells = [str(v).strip() for v in marked if not _missing(v) and str(v).strip()]
    if len(cells) != len(tests):
        return []
    legend: dict[str, str] = {}
    for cell, method in zip(cells, tests["method"], strict=True):
        mark = cell[len(cell.rstrip(_MARKS)) :]
        if mark and legend.setdefault(mark, str(method)) != str(method):
            return []
    return [f"{mark} {method}" for mark, method in legend.items()]


def _note_lines(note: str) -> list[str]:
    """A note as lines: its own lines, a legend (``¹ A; ² B``) one line per mark.

    A line that starts with a mark is split before each further mark that follows ``; ``
    outside brackets; marks within an item (``Mann–Whitney test (¹ exact; ² normal
    approximation)``) stay on its line.
    """
    lines: list[str] = []
    for line in note.splitlines():
        start = 0
        if line.startswith(tuple(_MARKS)):
            for match in _MARKED_ITEM.finditer(line):
                item = line[start : match.start()]
                if _balanced(item):
                    lines.append(item)
                    start = match.end()
        lines.append(line[start:])
    return [_text(line.strip()) for line in lines if line.strip()]


def _balanced(text: str) -> bool:
    """Whether every bracket opened in ``text`` is closed."""
    return text.count("(") == text.count(")") and text.count("[") == text.count("]")


def _entries(
    tables: Mapping[str, pd.DataFrame],
    *,
    sheet_names: Mapping[str, str],
    descriptions: Mapping[str, str],
    notes: Mapping[str, str] | None,
    markdown: Collection[str],
) -> list[_Entry]:
    """Every table but the notice, in the report's order, with its sheet name, caption and
    notes (given, or the legend of its marks read from the tidy results)."""
    used = {README_SHEET.lower()}
    names = [name for name in tables if name != NOTICE_TABLE]
    sheets = [_sheet_name(sheet_names.get(n) or _default_sheet_name(n), used) for n in names]
    entries = []
    for i in _sheet_order(sheets):
        name, sheet = names[i], sheets[i]
        plain = plain_text if name in markdown else str
        description = _text(plain(descriptions.get(name) or _default_description(name)))
        if notes is not None and notes.get(name):
            lines = _note_lines(plain(notes[name]))
        elif name in _MARK_SOURCES:
            tidy, column = _MARK_SOURCES[name]
            lines = _mark_legend(tables[name], tables.get(tidy), column)
        else:
            lines = []
        caption = f"{sheet}. {description}" if description else sheet
        entries.append(_Entry(name, sheet, description, caption, tuple(lines), tables[name]))
    return entries


def _wrapped(text: str, indent: str = "") -> str:
    """A paragraph of README.txt, wrapped (long words such as hashes kept whole)."""
    return textwrap.fill(
        text,
        _TEXT_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _readme_text(
    entries: Sequence[_Entry],
    items: Mapping[str, object],
    notice: str | None,
    *,
    workbook: str,
    notice_csv: bool,
) -> str:
    """README.txt: the notice, what the files are, where they come from, then each CSV with
    its caption and notes (the order of the workbook's sheets)."""
    title = items.get("title")
    heading = "Result tables" + (f": {_text(title)}" if isinstance(title, str) else "")
    parts = [heading + "\n" + "=" * min(len(heading), _TEXT_WIDTH)]
    if notice is not None:
        parts.append(_wrapped(f"NOTICE: {notice}"))
    parts.append(
        _wrapped(
            f"One CSV file per table, and the workbook {workbook} with the same tables (a "
            f"{README_SHEET} sheet, then one sheet per table, its caption above it and its "
            "notes below it). The CSV files are plain tables: UTF-8 with a byte-order mark, "
            "comma-separated, one header row, no comment line; an empty cell is a missing "
            "or not applicable value; a text cell that could start a spreadsheet formula "
            "begins with a single quote ('). Their captions and notes are below, file by file."
        )
    )
    source = [
        _wrapped(f"{label}: {_readme_value(value)}", "    ").strip()
        for label, value in _readme_rows(items)
    ]
    parts.append("Source\n------\n" + "\n".join(source))
    files = []
    if notice_csv:
        files.append(f"{NOTICE_TABLE}.csv\n" + _wrapped("The notice above, as a table.", "    "))
    for entry in entries:
        rows, columns = entry.table.shape
        lines = [
            entry.name + ".csv",
            _wrapped(entry.caption, "    "),
            _wrapped(
                f"{rows} rows, {columns} columns; sheet '{entry.sheet}' of {workbook}.", "    "
            ),
        ]
        if entry.notes:
            lines.append("    Notes:")
            lines += [_wrapped(note, "    ") for note in entry.notes]
        files.append("\n".join(lines))
    parts.append("Files\n-----\n" + "\n\n".join(files))
    return "\n\n".join(parts) + "\n"


def _workbook(entries: Sequence[_Entry], items: Mapping[str, object], notice: str | None) -> bytes:
    """The XLSX bytes: the README sheet, then one sheet per table in the report's order."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from itp_stats import __version__

    book = Workbook()
    book.properties.creator = f"itp-stats {__version__}"
    title = items.get("title")
    if isinstance(title, str):
        book.properties.title = _text(title)[:255]
    if notice is not None:
        book.properties.description = notice
    styles = {
        "bold": Font(bold=True),
        "heading": Font(bold=True, size=14),
        "notice": Font(bold=True, color="C00000"),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "top": Alignment(vertical="top"),
    }
    first = book.active
    first.title = README_SHEET
    listing = []
    for entry in entries:
        _write_table_sheet(_Sheet(book.create_sheet(entry.sheet), styles), entry, notice)
        listing.append((entry.sheet, entry.description, f"{entry.name}.csv", len(entry.table)))
    heading = "Result tables" + (f": {_text(title)}" if isinstance(title, str) else "")
    _write_readme(_Sheet(first, styles), _readme_rows(items), listing, notice, heading)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: str | Path,
    *,
    workbook: str = "results.xlsx",
    source: Mapping[str, object] | None = None,
    readme: Mapping[str, object] | None = None,
    sheet_names: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
    markdown: Collection[str] | None = None,
) -> list[Path]:
    """Write result tables as one CSV each, their README file, and one XLSX workbook with a
    README sheet and a sheet each.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name (CSV file stem) to table. A table named ``notice`` (the synthetic-data
        notice) heads the README sheet, every table sheet and :data:`README_FILE` rather
        than having a sheet of its own.
    folder : str or Path
        Destination folder (created if needed).
    workbook : str
        File name of the workbook.
    source : mapping, optional
        Where the tables come from (``data``, ``data_sha256``, parameters); recorded in the
        manifest so that :func:`publish_tables` never publishes tables of other data, and
        shown on the README sheet and in the README file when ``readme`` is not given.
    readme : mapping of str to object, optional
        Items of the README sheet and file, in order, as label to value (``{"study": …,
        "title": …, "data file": …, "data SHA-256": …, "synthetic data": "yes (…)",
        "parameters": {"alpha": 0.05, …}}``): a mapping value gives one row per key
        (``parameters: alpha``), a list is joined with commas, a bool reads yes/no. A
        ``title`` item also heads the sheet and titles the workbook. ``date`` (today, or
        the day of ``$SOURCE_DATE_EPOCH``) and ``itp-stats version`` are added unless
        present. Default: items taken from ``source`` (data file name, SHA-256, synthetic,
        study configuration, parameters).
    sheet_names : mapping of str to str, optional
        Table name to sheet name, overriding :data:`SHEET_NAMES` (``results_<name>`` tables
        default to ``Results <name>``, others to their name). Names are made valid and
        unique (≤ 31 characters, none of ``[]*?/\\:``; a clash gets `` (2)``). Sheets
        named ``Table <n>`` and ``Table S<n>`` come first, in that order, then the others
        in the mapping's order.
    descriptions : mapping of str to str, optional
        Table name to what it holds, overriding :data:`TABLE_DESCRIPTIONS`: listed on the
        README sheet, and the table's caption after its sheet name (``Table 1. Baseline
        characteristics by group.``) above its sheet and in the README file.
    notes : mapping of str to str, optional
        Table name to its note (the report's table note: the methods, the legend of its
        marks), written below its sheet and in the README file; one line per line of the
        note and per marked item (``¹ Kruskal–Wallis test; ² Fisher's exact test``).
        Default, and for a table without a note: none, except for the tables whose marks
        the tidy results passed explain (``table1``: the legend of its ``p`` column's marks,
        from the ``method`` of ``results_table1_tests``).
    markdown : collection of str, optional
        Names of the tables whose text is Markdown (the formatted report tables), removed
        from their cells, headers, descriptions and notes in the CSVs, the workbook and the
        README file (:func:`plain_text`). Default: every table but the tidy results (names
        starting with ``results_``).

    Returns
    -------
    list of Path
        The files written: the CSVs in the mapping's order, the README file
        (:data:`README_FILE`), then the workbook. The manifest (:data:`MANIFEST_FILE`) is
        written after them and is not in the list.

    Notes
    -----
    CSVs are plain tables: UTF-8 with a byte-order mark, ``\\n`` line ends, numbers
    unrounded, text cells that could start a formula prefixed with ``'``
    (:func:`neutralize_formulas`), no comment line. Their companion is the README file:
    the synthetic-data notice first when the data are synthetic, what the files are, the
    README items, then every CSV with its sheet, size, caption and notes.

    In the workbook, every table sheet has the table's caption on its first row, the
    synthetic-data notice on the second when there is one, then a blank row, the table,
    a blank row and the table's notes (each line merged across the table's width and
    wrapped). The table has a bold frozen header row with a filter and widths from its
    content (capped, longer text wrapped); numbers are numbers with a display format by
    column (``0.0000`` p-values, ``0.0`` percentages, ``0`` counts and whole numbers,
    ``0.00`` otherwise; the value itself is never rounded), text is text (formula-like text
    marked with Excel's quote prefix, never a formula), infinities are the text ``inf`` /
    ``-inf`` and missing values empty cells. The cells of the formatted report tables that
    are plain numbers (``22``, ``0.046``, ``1 353``, ``−0.56``) are numbers with a format
    showing the same digits (:func:`number_text`); their other cells stay text
    (``median [IQR]``, ``n (%)``, ``<0.001``, ``0.30¹``), as the report prints them.

    Files get the permissions of a normal file write (``0644`` under umask ``022``). The
    previous manifest is removed first and the new one written last, atomically: until
    every file is in place there is no manifest, and :func:`publish_tables` refuses to
    publish. Temporary files left by an interrupted export are removed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if markdown is None:
        markdown = [name for name in tables if not name.startswith(_RESULTS_PREFIX)]
    markdown = set(markdown)
    plain = {
        name: _plain_table(table) if name in markdown else table for name, table in tables.items()
    }
    safe = {name: neutralize_formulas(table) for name, table in plain.items()}
    notice = _notice(plain)
    items = _items(readme, source, notice)
    entries = _entries(
        plain,
        sheet_names=sheet_names or {},
        descriptions=descriptions or {},
        notes=notes,
        markdown=markdown,
    )
    with folder_lock(folder):
        (folder / MANIFEST_FILE).unlink(missing_ok=True)
        remove_temporary(folder)
        for legacy in _LEGACY_FILES:
            (folder / legacy).unlink(missing_ok=True)
        written: list[Path] = []
        files: list[dict[str, object]] = []

        def record(path: Path, digest: tuple[str, int]) -> None:
            written.append(path)
            files.append({"name": path.name, "bytes": digest[1], "sha256": digest[0]})

        for name, table in safe.items():
            path = folder / f"{name}.csv"

            def write_csv(tmp: str, t: pd.DataFrame = table) -> None:
                t.to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8-sig")

            record(path, atomic_write(path, write_csv))

        text = _readme_text(
            entries, items, notice, workbook=workbook, notice_csv=NOTICE_TABLE in tables
        )
        readme_path = folder / README_FILE
        record(readme_path, atomic_write(readme_path, lambda tmp: _write_text(tmp, text)))

        def write_book(tmp: str) -> None:
            # built in memory, then written into the temporary file (which keeps its mode)
            Path(tmp).write_bytes(_workbook(entries, items, notice))

        book = folder / workbook
        record(book, atomic_write(book, write_book))
        manifest = {
            "files": files,
            "source": dict(source) if source is not None else None,
        }
        manifest_text = json.dumps(manifest, indent=2, default=str)
        manifest_path = folder / MANIFEST_FILE
        atomic_write(manifest_path, lambda tmp: _write_text(tmp, manifest_text))
    return written


def _write_text(path: str, text: str) -> None:
    """Write UTF-8 text with ``\\n`` line ends on every system."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
