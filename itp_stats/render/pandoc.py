"""Run Pandoc (from pypandoc-binary) on an assembled document, for HTML, Typst or DOCX.

Every run uses the package's Lua filters in the order Quarto runs them from ``_quarto.yml``
(``report.lua`` first: numbers, cross-references, callouts; ``tables.lua`` last: floats,
table typography, Word's landscape sections), with the document's own ``filters`` at their
entry points (:func:`~itp_stats.render.formats.lua_filters`), before ``--citeproc``. HTML is
standalone with every resource embedded (``--embed-resources``) and MathML for maths, so the
page works offline, styled by ``report.css`` (Quarto: ``minimal`` and the same ``css``);
Typst gets the package's template (the outline of Quarto's, with the ``template-partials``
both engines share: :func:`typst_template`) and ``report.typ`` and ``typography.typ`` in its
header (then the document's ``include-in-header``); DOCX gets the package's
``reference.docx`` (A4, page numbers, en-GB, table styles) unless the document names a
``reference-doc``, and its manuscript variant for ``-P manuscript=true``
(:mod:`itp_stats.render.formats`). Nothing shapes a page after Pandoc: what Quarto does not
do itself lives in those filters, styles and templates, which Quarto applies too. A
``date-format`` formats the date as Quarto does.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from itp_stats.render.cancel import stopping, tracked
from itp_stats.render.errors import ToolError
from itp_stats.render.formats import (
    RESOURCE_DIR,
    TABLE_FILTER,
    TYPST_PARTIALS,
    TYPST_TEMPLATE,
    TYPST_TYPOGRAPHY,
    format_date,
    format_options,
    header_includes,
    lua_filters,
    package_asset,
    unique_files,
)
from itp_stats.render.project import yaml_safe

__all__ = [
    "READER",
    "RESOURCE_DIR",
    "LUA_FILTER",
    "TABLE_FILTER",
    "HTML_CSS",
    "TYPST_HEADER",
    "TYPST_TYPOGRAPHY",
    "pandoc_path",
    "pandoc_metadata",
    "pandoc_arguments",
    "run_pandoc",
]

LUA_FILTER = RESOURCE_DIR / "report.lua"
HTML_CSS = RESOURCE_DIR / "report.css"
TYPST_HEADER = RESOURCE_DIR / "report.typ"

_PANDOC_TO = {"html": "html5", "typst": "typst", "docx": "docx"}
READER = "markdown-raw_html-raw_tex-native_divs-native_spans"
"""Pandoc's reader: Markdown without raw HTML (``<div>`` and ``<span>`` tags included, whose
attributes would otherwise reach the page) or raw TeX, so that text from the data (a label
``<script>…``, ``<b>``, ``<div onclick=…>``, ``\\newpage``) prints as the literal text it is in
every format (Typst text is always escaped by the writer). ``raw_attribute`` stays: the
kernel's own HTML outputs are fenced as ``{=html}`` blocks, and data text reaches the
document escaped by :func:`itp_stats.report.format.escape_markdown` (which escapes the braces
of ``{=…}`` and the brackets of links)."""
# Quarto options handled here as Pandoc flags or by the renderer, not passed as metadata
_NOT_METADATA = (
    "execute",
    "jupyter",
    "engine",
    "format",
    "project",
    "toc",
    "number-sections",
    "citeproc",
    "filters",
    "include-in-header",
    "reference-doc",
    "date-format",
    "template",
    "template-partials",
    "metadata-files",
)


@functools.cache
def pandoc_path() -> str:
    """Path of the pandoc executable shipped by pypandoc-binary (else the one on PATH).

    The bundled binary is taken directly: pypandoc's own search compares every pandoc it
    finds (an older system pandoc included) in a way that is not thread-safe, and the
    documents are converted in parallel threads.
    """
    try:
        import pypandoc
    except ImportError:  # pragma: no cover - pypandoc-binary is a dependency
        return "pandoc"
    bundled = Path(pypandoc.__file__).resolve().parent / "files" / "pandoc"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    try:  # pragma: no cover - pypandoc without its binary
        return str(pypandoc.get_pandoc_path())
    except OSError:  # pragma: no cover
        return "pandoc"


def _author_names(value: Any) -> Any:
    if isinstance(value, list):
        return [_author_names(v) for v in value]
    if isinstance(value, dict) and "name" in value:
        name = value["name"]
        if isinstance(name, dict):  # Quarto's {given, family} form
            return " ".join(str(name[k]) for k in ("given", "family") if k in name)
        return str(name)
    return value


def _typst_authors(value: Any) -> Any:
    """Authors for Pandoc's Typst template: ``name`` and one ``affiliation`` text (Quarto's
    ``affiliations`` list joined), as Quarto's template prints them."""
    if isinstance(value, list):
        return [_typst_authors(v) for v in value]
    if isinstance(value, dict) and "name" in value:
        author = dict(value)
        author["name"] = _author_names(value)
        places = author.pop("affiliations", None)
        if places and not author.get("affiliation"):
            places = places if isinstance(places, list) else [places]
            author["affiliation"] = "; ".join(
                str(p.get("name", "")) if isinstance(p, dict) else str(p) for p in places
            )
        return author
    return value


def pandoc_metadata(meta: Mapping[str, Any], fmt: str, fallback_title: str) -> dict[str, Any]:
    """Return the metadata Pandoc gets for one format.

    Parameters
    ----------
    meta : mapping
        The merged project/document/format options.
    fmt : str
        ``html``, ``typst`` or ``docx``.
    fallback_title : str
        Page title when the document has none (HTML requires one).

    Returns
    -------
    dict
        Metadata with dates as ISO strings (or as ``date-format`` asks), ``date: today``
        resolved, Quarto-only keys removed and, outside Typst, authors given as names.
    """
    data = {k: v for k, v in meta.items() if k not in _NOT_METADATA}
    if data.get("date") in ("today", "now", "last-modified"):
        data["date"] = dt.date.today()
    if data.get("date") is not None and meta.get("date-format"):
        data["date"] = format_date(data["date"], meta["date-format"], meta.get("lang"))
    if "author" in data:
        data["author"] = (_typst_authors if fmt == "typst" else _author_names)(data["author"])
    if fmt == "html" and not data.get("title") and not data.get("pagetitle"):
        data["pagetitle"] = fallback_title
    return yaml_safe(data)


def _as_list(value: Any) -> list[str]:
    if value is None or value is False:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def typst_template(meta: Mapping[str, Any], build_dir: Path) -> Path:
    """The Typst template of a render, with its partials beside it, as Quarto assembles it.

    The package's :data:`TYPST_TEMPLATE` (the outline of Quarto's ``template.typ``) is copied
    into ``build_dir/typst-template/`` with the files of ``template-partials`` (by name, so
    ``typst-template.typ`` and ``typst-show.typ`` replace the package's own, as in Quarto),
    unless the document names a ``template`` of its own.
    """
    if meta.get("template"):
        return package_asset(Path(str(meta["template"])))
    folder = build_dir / "typst-template"
    folder.mkdir(parents=True, exist_ok=True)
    for path in [
        TYPST_TEMPLATE,
        *TYPST_PARTIALS,
        *unique_files(_as_list(meta.get("template-partials"))),
    ]:
        shutil.copyfile(path, folder / path.name)
    return folder / TYPST_TEMPLATE.name


def pandoc_arguments(
    meta: Mapping[str, Any],
    fmt: str,
    source: Path,
    metadata_file: Path,
    output: Path,
    resource_path: list[Path],
) -> list[str]:
    """Return the pandoc command line for one format.

    Parameters
    ----------
    meta : mapping
        The merged options of the format (``toc``, ``toc-depth``, ``number-sections``,
        ``css``, ``reference-doc``, ``bibliography``, ``citeproc``, ``filters``,
        ``include-in-header`` are read here).
    fmt : str
        ``html``, ``typst`` or ``docx``.
    source, metadata_file, output : Path
        Assembled markdown, its metadata (YAML) and the file to write.
    resource_path : list of Path
        Folders where images are looked up.

    Returns
    -------
    list of str
        The command, starting with the pandoc executable.
    """
    args = [
        pandoc_path(),
        str(source),
        f"--from={READER}",
        f"--to={_PANDOC_TO[fmt]}",
        "--standalone",
        f"--metadata-file={metadata_file}",
        f"--resource-path={os.pathsep.join(str(p) for p in resource_path)}",
        *lua_filters(meta),
    ]
    citeproc = meta.get("citeproc")
    has_references = bool(meta.get("bibliography") or meta.get("references"))
    if citeproc is True or (citeproc is None and has_references):
        args.append("--citeproc")
    if meta.get("toc") or meta.get("table-of-contents"):
        args.append("--toc")
        if meta.get("toc-depth"):
            args.append(f"--toc-depth={int(meta['toc-depth'])}")
    if meta.get("number-sections"):
        args.append("--number-sections")
    if fmt == "html":
        args += ["--embed-resources", "--mathml"]
        args += [f"--css={css}" for css in unique_files([HTML_CSS, *_as_list(meta.get("css"))])]
        args += header_includes(meta, [])
    elif fmt == "typst":
        args.append(f"--template={typst_template(meta, output.parent)}")
        args += header_includes(meta, [TYPST_HEADER, TYPST_TYPOGRAPHY])
        # images copied beside the .typ (relative paths): Typst reads nothing outside its root
        args.append(f"--extract-media={output.stem}_media")
    elif fmt == "docx":
        args.append(f"--reference-doc={format_options(meta, fmt)['reference-doc']}")
    args.append(f"--output={output}")
    return args


def run_pandoc(
    meta: Mapping[str, Any],
    fmt: str,
    markdown: str,
    build_dir: Path,
    stem: str,
    resource_path: list[Path],
    fallback_title: str,
    params: Mapping[str, Any] | None = None,
) -> tuple[Path, str]:
    """Write ``markdown`` and its metadata to ``build_dir`` and convert it with pandoc.

    Parameters
    ----------
    meta : mapping
        Merged options of the format.
    fmt : str
        ``html``, ``typst`` (writes ``.typ``) or ``docx``.
    markdown : str
        The assembled body.
    build_dir : Path
        Working folder (pandoc runs there).
    stem : str
        Base name of the files written.
    resource_path : list of Path
        Folders where images are looked up (after ``build_dir``).
    fallback_title : str
        Page title when the document has none.
    params : mapping, optional
        Report parameters of the render; ``manuscript`` picks the manuscript reference
        document for DOCX (:func:`~itp_stats.render.formats.format_options`).

    Returns
    -------
    tuple of (Path, str)
        The file written and pandoc's warnings (stderr), possibly empty.

    Raises
    ------
    ToolError
        When pandoc fails.
    ProjectError
        A manuscript is asked for and the reference document has no manuscript variant.
    """
    meta = format_options(meta, fmt, params)
    source = build_dir / f"{stem}.{fmt}.md"
    metadata_file = build_dir / f"{stem}.{fmt}.meta.yaml"
    output = build_dir / f"{stem}.{'typ' if fmt == 'typst' else fmt}"
    source.write_text(markdown, encoding="utf-8")
    metadata = pandoc_metadata(meta, fmt, fallback_title)
    metadata_file.write_text(
        yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    args = pandoc_arguments(meta, fmt, source, metadata_file, output, [build_dir, *resource_path])
    proc = subprocess.Popen(
        args, cwd=build_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with proc, tracked(proc):  # Ctrl-C kills it (itp_stats.render.cancel)
        _, stderr = proc.communicate()
    if stopping():
        raise KeyboardInterrupt
    if proc.returncode != 0:
        raise ToolError(
            f"pandoc failed writing {fmt} for {stem} (exit status {proc.returncode}):\n"
            + stderr.strip()
        )
    return output, stderr.strip()
