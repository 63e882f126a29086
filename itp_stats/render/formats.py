"""Per-format options the built-in engine adds to or reads from a document's metadata.

The package's own styles, which Quarto takes from ``_quarto.yml`` (``reference-doc``,
``filters``, ``include-in-header``) and the built-in renderer applies whether or not the
project names them: ``reference.docx`` for DOCX, ``tables.lua`` for tables in every
format, ``typography.typ`` for Typst. Also the ``manuscript`` report parameter (its
``-manuscript`` reference document: line numbers, double spacing) and Quarto's
``date-format`` (``iso``, ``long``, a ``D MMMM YYYY`` pattern...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from itp_stats.render.errors import ProjectError

__all__ = [
    "MANUSCRIPT_PARAMETER",
    "TABLE_FILTER",
    "RESOURCE_DIR",
    "TYPST_TYPOGRAPHY",
    "TYPST_TEMPLATE",
    "TYPST_PARTIALS",
    "REFERENCE_DOCX",
    "MANUSCRIPT_REFERENCE_DOCX",
    "is_manuscript",
    "format_options",
    "package_asset",
    "FILTER_STAGES",
    "PACKAGE_FILTERS",
    "lua_filters",
    "header_includes",
    "unique_files",
    "format_date",
]

RESOURCE_DIR = Path(__file__).resolve().parent
"""The folder of the render's resources (filters, styles, reference documents)."""
TABLE_FILTER = RESOURCE_DIR / "tables.lua"
"""Page shaping (floats, table typography, Word sections), run last (``post-render``)."""
TYPST_TYPOGRAPHY = RESOURCE_DIR / "typography.typ"
"""Typst typography shared with Quarto (tables, notes, "Table S1" numbers)."""
TYPST_TEMPLATE = RESOURCE_DIR / "typst" / "template.typ"
"""The built-in renderer's Typst template: the outline of Quarto's, including the partials."""
TYPST_PARTIALS = (
    RESOURCE_DIR / "typst" / "typst-template.typ",
    RESOURCE_DIR / "typst" / "typst-show.typ",
)
"""The title block and contents of the PDF: Quarto's ``template-partials`` in _quarto.yml."""
REFERENCE_DOCX = RESOURCE_DIR / "reference.docx"
"""The reference document of DOCX outputs (A4, page numbers, en-GB, table styles), built by
:mod:`itp_stats.render.reference_docx`."""
MANUSCRIPT_REFERENCE_DOCX = RESOURCE_DIR / "reference-manuscript.docx"
"""The same with line numbers and double spacing (the ``manuscript`` parameter)."""

MANUSCRIPT_PARAMETER = "manuscript"
"""Report parameter (``-P manuscript=true``) asking for a manuscript DOCX."""

_TRUE = {"true", "yes", "on", "1"}


def is_manuscript(params: Mapping[str, Any] | None) -> bool:
    """Whether the parameters ask for a manuscript (``manuscript`` true, yes, on or 1)."""
    value = (params or {}).get(MANUSCRIPT_PARAMETER)
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def format_options(
    meta: Mapping[str, Any], fmt: str, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the options of one format with the package's defaults filled in.

    Parameters
    ----------
    meta : mapping
        Merged options of the format.
    fmt : str
        ``html``, ``typst`` or ``docx``.
    params : mapping, optional
        Report parameters of the render (``-P``); ``manuscript`` is read here.

    Returns
    -------
    dict
        ``meta`` where DOCX has a ``reference-doc`` (the package's :data:`REFERENCE_DOCX`
        unless the project names one) and, for a manuscript, that document's
        ``<name>-manuscript.docx`` variant.

    Raises
    ------
    ProjectError
        A manuscript is asked for and the project's reference document has no variant.
    """
    options = dict(meta)
    if fmt != "docx":
        return options
    reference = package_asset(Path(str(options.get("reference-doc") or REFERENCE_DOCX)))
    if is_manuscript(params):
        variant = reference.with_name(f"{reference.stem}-manuscript{reference.suffix}")
        if reference.resolve() == REFERENCE_DOCX:
            variant = MANUSCRIPT_REFERENCE_DOCX
        if not variant.is_file():
            raise ProjectError(
                f"-P {MANUSCRIPT_PARAMETER}=true: the reference document {reference} has no "
                f"manuscript variant ({variant.name} beside it)"
            )
        reference = variant
    options["reference-doc"] = str(reference)
    return options


def package_asset(path: Path) -> Path:
    """``path``, or the package's own file of that name when the project does not hold it.

    ``_quarto.yml`` names the package's styles by their place in the repository
    (``itp_stats/render/…``, where Quarto finds them); a project copied without the package
    source, or rendered against an installed package, still gets them.
    """
    if path.is_file():
        return path
    parts = path.parts
    for i in range(len(parts) - 1):
        if parts[i : i + 2] == ("itp_stats", "render"):
            own = RESOURCE_DIR.joinpath(*parts[i + 2 :])
            return own if own.is_file() else path
    return path


def _entries(value: Any) -> list[Any]:
    if value is None or value is False:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


FILTER_STAGES = (
    "pre-ast",
    "post-ast",
    "pre-quarto",
    "post-quarto",
    "pre-render",
    "post-render",
    "pre-finalize",
    "post-finalize",
)
"""Quarto's entry points for filters (``at:``), in the order they run. A filter without one
runs at ``pre-quarto``, or at ``post-render`` when listed after ``quarto``."""

PACKAGE_FILTERS = (
    (RESOURCE_DIR / "report.lua", "pre-ast"),
    (RESOURCE_DIR / "tables.lua", "post-render"),
)
"""The package's filters and where they run, as ``_quarto.yml`` places them for Quarto."""


def lua_filters(meta: Mapping[str, Any], first: list[tuple[Path, str]] | None = None) -> list[str]:
    """Pandoc filter arguments in the order Quarto runs them.

    Parameters
    ----------
    meta : mapping
        The document's options; its ``filters`` are paths (``.lua`` files run as Lua
        filters, others as JSON filters) or ``{path: …, at: …}`` mappings.
    first : list of (Path, str), optional
        Filters with their entry point that always run (default :data:`PACKAGE_FILTERS`),
        before the document's filters of the same entry point.

    Returns
    -------
    list of str
        ``--lua-filter=…``/``--filter=…`` arguments, sorted by entry point
        (:data:`FILTER_STAGES`), in list order within one; ``quarto`` (Quarto's own filters)
        and ``citeproc`` entries are skipped, the built-in renderer placing citation
        processing after every filter; a filter listed twice (the same file, or a copy of
        it) runs once, at its first place.
    """
    seen: set[Any] = set()
    entries: list[tuple[int, int, str]] = []
    after_quarto = False
    candidates: list[Any] = [
        *({"path": str(path), "at": at} for path, at in (first or PACKAGE_FILTERS)),
        *_entries(meta.get("filters")),
    ]
    for entry in candidates:
        at = "post-render" if after_quarto else "pre-quarto"
        if isinstance(entry, Mapping):
            if entry.get("type") == "citeproc" or "path" not in entry:
                continue
            at = str(entry.get("at") or at)
            entry = entry["path"]
        text = str(entry)
        if text == "quarto":
            after_quarto = True
            continue
        if text == "citeproc":
            continue
        if at not in FILTER_STAGES:
            raise ProjectError(
                f"filters: {text}: at: {at!r} is not one of {', '.join(FILTER_STAGES)}"
            )
        path = package_asset(Path(text))
        if _once(path, seen):
            flag = "--lua-filter" if path.suffix == ".lua" else "--filter"
            entries.append((FILTER_STAGES.index(at), len(entries), f"{flag}={path}"))
    return [argument for _, _, argument in sorted(entries)]


def _once(path: Path, seen: set[Any]) -> bool:
    """Whether ``path`` is new: neither it nor a file of the same content was seen."""
    try:
        key: Any = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:  # missing: Pandoc reports it
        key = path.resolve()
    if key in seen:
        return False
    seen.add(key)
    return True


def unique_files(entries: list[Any]) -> list[Path]:
    """The files of ``entries`` (paths), in order, each once: the same file, or a copy of it,
    named twice is kept at its first place; a package style named by its place in the
    repository resolves to the package's own file."""
    seen: set[Any] = set()
    return [p for p in (package_asset(Path(str(e))) for e in entries) if _once(p, seen)]


def header_includes(meta: Mapping[str, Any], first: list[Path]) -> list[str]:
    """``--include-in-header`` arguments: ``first``, then the document's ``include-in-header``.

    Entries are paths or ``{file: …}`` mappings (Quarto's ``{text: …}`` form is not
    supported); a file listed twice (or a copy of it) is included once.
    """
    seen: set[Any] = set()
    args: list[str] = []
    for entry in [*first, *_entries(meta.get("include-in-header"))]:
        if isinstance(entry, Mapping):
            if "file" not in entry:
                raise ProjectError(
                    "include-in-header: the built-in renderer takes files "
                    "(a path or {file: path}), not inline text"
                )
            entry = entry["file"]
        path = package_asset(Path(str(entry)))
        if _once(path, seen):
            args.append(f"--include-in-header={path}")
    return args


_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_TOKEN = re.compile(r"\[([^\]]*)\]|YYYY|YY|MMMM|MMM|MM|M|DD|D|dddd|ddd")
# Quarto's keywords (Intl.DateTimeFormat styles) in British and American English
_STYLES = {
    "en-GB": {
        "full": "dddd D MMMM YYYY",
        "long": "D MMMM YYYY",
        "medium": "D MMM YYYY",
        "short": "DD/MM/YYYY",
    },
    "en-US": {
        "full": "dddd, MMMM D, YYYY",
        "long": "MMMM D, YYYY",
        "medium": "MMM D, YYYY",
        "short": "M/D/YY",
    },
}


def _token(date: dt.date, match: re.Match[str]) -> str:
    literal, token = match.group(1), match.group(0)
    if literal is not None:
        return literal
    values = {
        "YYYY": f"{date.year:04d}",
        "YY": f"{date.year % 100:02d}",
        "MMMM": _MONTHS[date.month - 1],
        "MMM": _MONTHS[date.month - 1][:3],
        "MM": f"{date.month:02d}",
        "M": str(date.month),
        "DD": f"{date.day:02d}",
        "D": str(date.day),
        "dddd": _DAYS[date.weekday()],
        "ddd": _DAYS[date.weekday()][:3],
    }
    return values[token]


def format_date(value: Any, pattern: Any, lang: Any = None) -> Any:
    """Format a document date as Quarto's ``date-format`` asks.

    Parameters
    ----------
    value : date, datetime or str
        The ``date`` (an ISO string is parsed; other text is returned as it is).
    pattern : str
        ``iso`` (``2026-12-01``), ``full``, ``long``, ``medium``, ``short`` (in the
        document's English, British unless ``lang`` is ``en-US``) or a pattern of
        ``YYYY YY MMMM MMM MM M DD D dddd ddd`` with ``[literal]`` text.
    lang : str, optional
        The document's ``lang``.

    Returns
    -------
    str or the value
        The formatted date; ``value`` itself when it is not a date.
    """
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    else:
        try:
            date = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return value
    pattern = str(pattern or "iso")
    if pattern == "iso":
        return date.isoformat()
    styles = _STYLES["en-US" if str(lang or "") == "en-US" else "en-GB"]
    pattern = styles.get(pattern, pattern)
    return _TOKEN.sub(lambda m: _token(date, m), pattern)
