"""Run Pandoc (from pypandoc-binary) on an assembled document, for HTML, Typst or DOCX.

Every run uses the package's Lua filter (``report.lua``) before ``--citeproc``. HTML is
standalone with every resource embedded (``--embed-resources``) and MathML for maths, so
the page works offline; Typst gets ``report.typ`` in its header; DOCX is plain Pandoc
(optionally with a ``reference-doc``).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from itp_stats.render.errors import ToolError
from itp_stats.render.project import yaml_safe

__all__ = [
    "RESOURCE_DIR",
    "LUA_FILTER",
    "HTML_CSS",
    "TYPST_HEADER",
    "pandoc_path",
    "pandoc_metadata",
    "pandoc_arguments",
    "run_pandoc",
]

RESOURCE_DIR = Path(__file__).resolve().parent
LUA_FILTER = RESOURCE_DIR / "report.lua"
HTML_CSS = RESOURCE_DIR / "report.css"
TYPST_HEADER = RESOURCE_DIR / "report.typ"

_PANDOC_TO = {"html": "html5", "typst": "typst", "docx": "docx"}
# Quarto options handled here as Pandoc flags or by the renderer, not passed as metadata
_NOT_METADATA = ("execute", "jupyter", "engine", "format", "project", "toc", "number-sections")


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
        Metadata with dates as ISO strings, ``date: today`` resolved, Quarto-only keys
        removed and, outside Typst, authors given as names.
    """
    data = {k: v for k, v in meta.items() if k not in _NOT_METADATA}
    if data.get("date") in ("today", "now", "last-modified"):
        data["date"] = dt.date.today()
    if fmt != "typst" and "author" in data:
        data["author"] = _author_names(data["author"])
    if fmt == "html" and not data.get("title") and not data.get("pagetitle"):
        data["pagetitle"] = fallback_title
    return yaml_safe(data)


def _as_list(value: Any) -> list[str]:
    if value is None or value is False:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


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
        ``css``, ``reference-doc``, ``bibliography``, ``citeproc`` are read here).
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
        "--from=markdown",
        f"--to={_PANDOC_TO[fmt]}",
        "--standalone",
        f"--metadata-file={metadata_file}",
        f"--resource-path={os.pathsep.join(str(p) for p in resource_path)}",
        f"--lua-filter={LUA_FILTER}",
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
        args += ["--embed-resources", "--mathml", f"--css={HTML_CSS}"]
        args += [f"--css={css}" for css in _as_list(meta.get("css"))]
    elif fmt == "typst":
        # images copied beside the .typ (relative paths): Typst reads nothing outside its root
        args += [f"--include-in-header={TYPST_HEADER}", f"--extract-media={output.stem}_media"]
    elif fmt == "docx" and meta.get("reference-doc"):
        args.append(f"--reference-doc={meta['reference-doc']}")
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

    Returns
    -------
    tuple of (Path, str)
        The file written and pandoc's warnings (stderr), possibly empty.

    Raises
    ------
    ToolError
        When pandoc fails.
    """
    source = build_dir / f"{stem}.{fmt}.md"
    metadata_file = build_dir / f"{stem}.{fmt}.meta.yaml"
    output = build_dir / f"{stem}.{'typ' if fmt == 'typst' else fmt}"
    source.write_text(markdown, encoding="utf-8")
    metadata = pandoc_metadata(meta, fmt, fallback_title)
    metadata_file.write_text(
        yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    args = pandoc_arguments(meta, fmt, source, metadata_file, output, [build_dir, *resource_path])
    proc = subprocess.run(args, cwd=build_dir, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(
            f"pandoc failed writing {fmt} for {stem} (exit status {proc.returncode}):\n"
            + proc.stderr.strip()
        )
    return output, proc.stderr.strip()
