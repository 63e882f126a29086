"""Converted documents reused when nothing that makes them changed.

Pandoc and Typst turn the assembled Markdown of a document into HTML, DOCX and PDF. When a
re-render assembles the same Markdown (the study, its figures and tables reused from the run
state), with the same resources, options, styles and tools, the result is the same file: it is
then taken from ``.itp-stats/converted/`` instead of being built again. The key is a SHA-256
over everything the conversion reads — the Markdown (with the build folder's path written as
a placeholder), every file of the build folder it can refer to, the format's options and the
render's parameters, the bibliography, CSL and styles named there, the package's filters and
templates, and the pandoc and Typst versions — and a reused file is verified against the
SHA-256 stored beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from itp_stats.render.pandoc import RESOURCE_DIR
from itp_stats.verified import read_verified, write_verified

__all__ = ["conversion_key", "converted"]

_KEEP = 24
"""Converted files kept in the cache."""


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("pypandoc-binary", "typst"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


def _named_files(meta: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for key in ("bibliography", "csl", "css", "reference-doc", "filters", "include-in-header"):
        value = meta.get(key)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, Mapping):
                item = item.get("path") or item.get("file")
            if isinstance(item, str) and item not in ("quarto", "citeproc"):
                names.append(item)
    return names


def conversion_key(
    markdown: str,
    fmt: str,
    meta: Mapping[str, Any],
    params: Mapping[str, Any],
    build_dir: Path,
    search: list[Path],
) -> str:
    """The digest of everything a document's conversion to ``fmt`` reads.

    Parameters
    ----------
    markdown : str
        The assembled document.
    fmt : str
        ``html``, ``typst`` (PDF) or ``docx``.
    meta : mapping
        The format's options (front matter and project merged).
    params : mapping
        The render's parameters.
    build_dir : Path
        The document's build folder (its images and resources are hashed; its path is not).
    search : list of Path
        Folders relative resource paths are resolved in (the document's folder).

    Returns
    -------
    str
        Hexadecimal SHA-256.
    """
    digest = hashlib.sha256()
    digest.update(markdown.replace(str(build_dir), "\0BUILD\0").encode("utf-8"))
    files = []
    for path in sorted(p for p in build_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(build_dir).as_posix()
        if relative in markdown:  # a resource this document refers to (its figures)
            files.append((relative, _file_digest(path)))
    named = []
    for name in _named_files(meta):
        candidates = [Path(name)] + [folder / name for folder in search]
        found = next((c for c in candidates if c.is_file()), Path(name))
        named.append((name, _file_digest(found)))
    package = [(p.name, _file_digest(p)) for p in sorted(RESOURCE_DIR.iterdir()) if p.is_file()]
    head = {
        "fmt": fmt,
        "meta": meta,
        "params": params,
        "files": files,
        "named": named,
        "package": package,
        "tools": _tool_versions(),
    }
    digest.update(json.dumps(head, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def _prune(folder: Path) -> None:
    entries = sorted(
        (p for p in folder.iterdir() if p.is_file() and not p.name.endswith((".sha256", ".tmp"))),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in entries[_KEEP:]:
        stale.unlink(missing_ok=True)
        stale.with_name(stale.name + ".sha256").unlink(missing_ok=True)


def converted(
    cache: Path | None, key: str, target: Path, build: Callable[[], Path]
) -> tuple[Path, bool]:
    """The converted file for ``key``: reused from ``cache`` when it verifies, else built.

    Parameters
    ----------
    cache : Path or None
        The cache folder (``.itp-stats/converted``); None disables reuse.
    key : str
        :func:`conversion_key` of the conversion.
    target : Path
        Where the built file must be (``build_dir/index.html``…).
    build : callable
        Builds the file and returns its path.

    Returns
    -------
    (Path, bool)
        The file and whether it was reused.
    """
    name = f"{key}{target.suffix}"
    if cache is not None:
        data = read_verified(cache / name)
        if data is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            os.utime(cache / name)
            return target, True
    built = build()
    if cache is not None:
        try:
            if write_verified(cache / name, built.read_bytes()):
                _prune(cache)
        except OSError:
            pass
    if built != target:
        shutil.copyfile(built, target)
    return target, False
