"""Result tables written as CSV and XLSX for the journal (``itp-stats tables``).

Cells are protected against spreadsheet formula injection: a text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so that a
spreadsheet shows it as text instead of executing it (OWASP "CSV injection"). Numbers stay
numbers.

Every file is written atomically (a temporary ``.<name>.<random>.tmp`` file in the same
folder, flushed to disk, then renamed). :func:`write_tables` writes a manifest last
(``manifest.json``: the name, size and SHA-256 of every file it wrote, and where the tables
come from); :func:`publish_tables` publishes exactly the files the manifest lists, after
checking their hashes, so a temporary or half-written file (a render killed mid-export) is
never published. Temporary files left by an interrupted run are removed by the next export
and publish.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from itp_stats.config import gate_result_path, output_dir, state_dir
from itp_stats.errors import ItpStatsError

__all__ = [
    "FORMULA_PREFIXES",
    "MANIFEST_FILE",
    "neutralize_formulas",
    "read_manifest",
    "write_tables",
    "publish_tables",
    "register",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

MANIFEST_FILE = "manifest.json"
"""Written last beside the tables: the files of the export (name, bytes, SHA-256) and their
source (data file and parameters). Only the files it lists are ever published."""

_PUBLISHED_SUFFIXES = (".csv", ".xlsx")
_SHEET_BAD = re.compile(r"[\[\]\*\?/\\:]")
# temporary files of _atomic (".results.xlsx.k3j2h1g0.tmp") and of earlier versions, which
# kept the real suffix (".results.cm7qt2t2.xlsx")
_TEMPORARY = re.compile(r"^\..+\.tmp$|^\..+\.[a-z0-9_]{8}\.(csv|xlsx|json)$")
_LEGACY_FILES = ("source.json",)


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


def _sha256(path: str | Path, *, sync: bool = False) -> tuple[str, int]:
    """SHA-256 and size of a file; ``sync`` also flushes it to disk."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
        if sync:
            os.fsync(handle.fileno())
    return digest.hexdigest(), size


def _atomic(path: Path, write: Callable[[str], object]) -> tuple[str, int]:
    """Write ``path`` through a temporary file renamed into place; return its SHA-256 and size.

    The temporary file (``.<name>.<random>.tmp``) never has a published suffix; it is
    removed when ``write`` fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        digest = _sha256(tmp, sync=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself, where available).

    An export and a publish of the same folder never overlap, so removing stale temporary
    files cannot remove those of a run in progress. Without ``flock`` (Windows, or a file
    system that refuses it) no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder that cannot be opened: no lock
        yield
        return
    try:
        with contextlib.suppress(OSError):  # a file system without locks: go on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_temporary(folder: Path) -> list[str]:
    """Remove the temporary files an interrupted write left in ``folder``; return their names."""
    removed = []
    if folder.is_dir():
        for path in folder.iterdir():
            if _TEMPORARY.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return sorted(removed)


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", name)[:31] or "table"
    sheet, i = base, 2
    while sheet.lower() in used:
        suffix = f"_{i}"
        sheet, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(sheet.lower())
    return sheet


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
        Where the tables come from (``data_sha256``, parameters); recorded in the manifest so
        that :func:`publish_tables` never publishes tables of other data.

    Returns
    -------
    list of Path
        The files written: the CSVs in the mapping's order, then the workbook. The manifest
        (:data:`MANIFEST_FILE`) is written after them and is not in the list.

    Notes
    -----
    The previous manifest is removed first and the new one written last, atomically: until
    every file is in place there is no manifest, and :func:`publish_tables` refuses to
    publish. Temporary files left by an interrupted export are removed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    safe = {name: neutralize_formulas(table) for name, table in tables.items()}
    with _locked(folder):
        (folder / MANIFEST_FILE).unlink(missing_ok=True)
        _remove_temporary(folder)
        for legacy in _LEGACY_FILES:
            (folder / legacy).unlink(missing_ok=True)
        written: list[Path] = []
        files: list[dict[str, object]] = []

        def record(path: Path, digest: tuple[str, int]) -> None:
            written.append(path)
            files.append({"name": path.name, "bytes": digest[1], "sha256": digest[0]})

        for name, table in safe.items():
            path = folder / f"{name}.csv"
            record(
                path,
                _atomic(path, lambda tmp, t=table: t.to_csv(tmp, index=False, lineterminator="\n")),
            )

        def write_book(tmp: str) -> None:
            # built in memory: pandas picks the Excel format from the name, and the
            # temporary file's name ends in .tmp
            used: set[str] = set()
            buffer = io.BytesIO()
            with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
                for name, table in safe.items():
                    table.to_excel(writer, sheet_name=_sheet_name(name, used), index=False)
            Path(tmp).write_bytes(buffer.getvalue())

        book = folder / workbook
        record(book, _atomic(book, write_book))
        manifest = {
            "files": files,
            "source": dict(source) if source is not None else None,
        }
        text = json.dumps(manifest, indent=2, default=str)
        _atomic(folder / MANIFEST_FILE, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return written


def read_manifest(folder: str | Path) -> dict[str, object]:
    """Read and check the manifest of the last export in ``folder``.

    Parameters
    ----------
    folder : str or Path
        Folder :func:`write_tables` wrote into.

    Returns
    -------
    dict
        ``files`` (list of ``{"name", "bytes", "sha256"}``) and ``source`` (mapping or
        ``None``).

    Raises
    ------
    ItpStatsError
        No manifest (no export, or one that did not finish), a malformed one, or a file
        that is missing or differs from what the export wrote.
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ItpStatsError(
            f"{folder}: no result tables to publish (no {MANIFEST_FILE}: the report did not "
            "run, or its export did not finish); render report/index.qmd again"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        entries = [(str(f["name"]), str(f["sha256"]), int(f["bytes"])) for f in files]
    except (OSError, ValueError, KeyError, TypeError):
        raise ItpStatsError(
            f"{path}: not a valid manifest of result tables; render report/index.qmd again"
        ) from None
    if not entries:
        raise ItpStatsError(f"{folder}: no result tables to publish (the manifest lists none)")
    for name, sha256, size in entries:
        if (
            Path(name).name != name
            or name.startswith(".")
            or not name.endswith(_PUBLISHED_SUFFIXES)
        ):
            raise ItpStatsError(f"{path}: {name!r} is not a result table name")
        try:
            actual = _sha256(folder / name)
        except OSError:
            raise ItpStatsError(
                f"{folder / name}: listed in {MANIFEST_FILE} but missing; render "
                "report/index.qmd again"
            ) from None
        if actual != (sha256, size):
            raise ItpStatsError(
                f"{folder / name}: differs from what the last export wrote (changed or "
                "half-written); render report/index.qmd again"
            )
    return {"files": files, "source": manifest.get("source")}


def publish_tables(
    source: str | Path, destination: str | Path, *, data_sha256: str | None = None
) -> list[Path]:
    """Copy the result tables of the last export into the output folder, atomically.

    Only the files listed in the export's manifest are copied, each after its SHA-256 is
    checked (so temporary files, files of an interrupted export and files changed since are
    never published). Temporary files in either folder are removed.

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
        Files copied, in the manifest's order.

    Raises
    ------
    ItpStatsError
        No complete export (see :func:`read_manifest`), or tables computed from another
        data file.
    """
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise ItpStatsError(f"{source}: no result tables to publish (did the report run?)")
    with _locked(source):
        _remove_temporary(source)
        manifest = read_manifest(source)
        if data_sha256 is not None:
            origin = manifest["source"] if isinstance(manifest["source"], dict) else {}
            if origin.get("data_sha256") != data_sha256:
                raise ItpStatsError(
                    f"{source}: the result tables were not computed from the data of this "
                    "render; render report/index.qmd to compute them"
                )
        _remove_temporary(destination)
        copied = []
        for entry in manifest["files"]:
            src, dest = source / entry["name"], destination / entry["name"]
            digest = _atomic(dest, lambda tmp, s=src: shutil.copyfile(s, tmp))
            if digest[0] != entry["sha256"]:  # pragma: no cover - changed while copying
                raise ItpStatsError(f"{src}: changed while it was published; render again")
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
        description="Copy the result tables written by the last report run, as listed and "
        "hashed in its manifest, into <output-dir>/tables (run by the render's post-render "
        "step).",
    )
    parser.add_argument(
        "--output-dir",
        help="output folder (default: $QUARTO_PROJECT_OUTPUT_DIR, else _output)",
    )
    parser.set_defaults(func=_run)
