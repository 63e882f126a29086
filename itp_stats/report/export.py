"""Result tables written as CSV and XLSX for the journal (``itp-stats tables``).

Cells are protected against spreadsheet formula injection: a text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so that a
spreadsheet shows it as text instead of executing it (OWASP "CSV injection"). Numbers stay
numbers. Every file is written atomically (temporary file in the same folder, then rename).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from itp_stats.config import gate_result_path, output_dir, state_dir
from itp_stats.errors import ItpStatsError

__all__ = [
    "FORMULA_PREFIXES",
    "neutralize_formulas",
    "write_tables",
    "publish_tables",
    "register",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

_SHEET_BAD = re.compile(r"[\[\]\*\?/\\:]")


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


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", name)[:31] or "table"
    sheet, i = base, 2
    while sheet.lower() in used:
        suffix = f"_{i}"
        sheet, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(sheet.lower())
    return sheet


SOURCE_FILE = "source.json"
"""Written beside the tables: the data file and parameters they were computed from."""


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    folder: str | Path,
    *,
    workbook: str = "results.xlsx",
    source: Mapping[str, object] | None = None,
) -> list[Path]:
    """Write result tables as one CSV each and one XLSX workbook with a sheet each.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name (file stem and sheet name) to table.
    folder : str or Path
        Destination folder (created if needed).
    workbook : str
        File name of the workbook.
    source : mapping, optional
        Where the tables come from (``data_sha256``, parameters); written as
        ``source.json`` so that :func:`publish_tables` never publishes tables of other data.

    Returns
    -------
    list of Path
        The files written: the CSVs in the mapping's order, then the workbook.
    """
    folder = Path(folder)
    written: list[Path] = []
    safe = {name: neutralize_formulas(table) for name, table in tables.items()}
    for name, table in safe.items():
        path = folder / f"{name}.csv"
        _atomic(path, lambda tmp, t=table: t.to_csv(tmp, index=False, lineterminator="\n"))
        written.append(path)

    def write_book(tmp: str) -> None:
        used: set[str] = set()
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in safe.items():
                table.to_excel(writer, sheet_name=_sheet_name(name, used), index=False)

    book = folder / workbook
    _atomic(book, write_book)
    written.append(book)
    if source is not None:
        text = json.dumps(dict(source), indent=2, default=str)
        _atomic(folder / SOURCE_FILE, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return written


def publish_tables(
    source: str | Path, destination: str | Path, *, data_sha256: str | None = None
) -> list[Path]:
    """Copy the result tables of the last render into the output folder, atomically.

    Parameters
    ----------
    source : str or Path
        Folder the report wrote its tables into.
    destination : str or Path
        Folder in the output directory (``<output-dir>/tables``).
    data_sha256 : str, optional
        SHA-256 of the data file of this render; tables computed from other bytes are
        refused.

    Returns
    -------
    list of Path
        Files copied.

    Raises
    ------
    ItpStatsError
        No tables, or tables computed from another data file.
    """
    source, destination = Path(source), Path(destination)
    files = sorted(p for p in source.glob("*") if p.suffix in {".csv", ".xlsx"})
    if not files:
        raise ItpStatsError(f"{source}: no result tables to publish (did the report run?)")
    if data_sha256 is not None:
        try:
            origin = json.loads((source / SOURCE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            origin = {}
        if origin.get("data_sha256") != data_sha256:
            raise ItpStatsError(
                f"{source}: the result tables were not computed from the data of this render; "
                "render report/index.qmd to compute them"
            )
    copied = []
    for src in files:
        dest = destination / src.name
        _atomic(dest, lambda tmp, s=src: shutil.copyfile(s, tmp))
        copied.append(dest)
    return copied


def _run(args: argparse.Namespace) -> int:
    out = Path(args.output_dir or os.environ.get("QUARTO_PROJECT_OUTPUT_DIR") or output_dir())
    try:
        gate = json.loads(gate_result_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        gate = {}
    copied = publish_tables(
        state_dir() / "tables", out / "tables", data_sha256=gate.get("data_sha256")
    )
    names = ", ".join(p.name for p in copied)
    print(f"itp-stats tables: wrote {len(copied)} files to {out / 'tables'}: {names}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tables`` sub-command (the render's post-render step)."""
    parser = subparsers.add_parser(
        "tables",
        help="publish the result tables (CSV/XLSX) next to the rendered reports",
        description="Copy the result tables written by the last report run into "
        "<output-dir>/tables (run by the render's post-render step).",
    )
    parser.add_argument(
        "--output-dir",
        help="output folder (default: $QUARTO_PROJECT_OUTPUT_DIR, else _output)",
    )
    parser.set_defaults(func=_run)
