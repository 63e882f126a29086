"""The study's own references: its bibliography file, and the citations its background makes.

The project's references (:data:`itp_stats.config.REFERENCES`, ``report/references.bib``, named
by ``_quarto.yml``) hold the methods the documents cite. A study's ``background`` may cite
those, or the entries of its own ``bibliography: FILE`` (BibTeX ``.bib`` or CSL-JSON
``.json``, relative to the study file). Every ``[@key]`` of the background must be in one of
them: a key found in neither is refused when the study is read, with the key and the files.

The study's entries reach both engines the same way: ``itp-stats metadata`` writes them, as
CSL items, under ``references`` in the documents' metadata file (``.itp-stats/metadata.yml``,
named by ``_quarto.yml``'s ``metadata-files``), which pandoc's citeproc uses beside the
project's ``bibliography`` (an entry of the study wins over a project entry with its key).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from itp_stats.errors import StudyConfigError

__all__ = [
    "BIBLIOGRAPHY_SUFFIXES",
    "bibliography_keys",
    "check_citations",
    "citation_keys",
    "csl_items",
    "resolve_bibliography",
]

BIBLIOGRAPHY_SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".json": "csljson"}
"""File suffixes a study bibliography may have, and the format each one is read as."""

# pandoc's citation syntax: @key, where a key starts with a letter, digit or _ and may hold
# internal punctuation (:.#$%&-+?<>~/); not preceded by a word character (an e-mail address)
_CITATION = re.compile(r"(?<![\w@])-?@([A-Za-z0-9_](?:[\w:.#$%&+?<>~/-]*[A-Za-z0-9_])?)")
_CROSSREF = ("fig-", "tbl-", "sec-", "eq-", "lst-", "thm-", "lem-", "suppfig-", "supptbl-")
# a BibTeX entry's key: @type{key, (not @string, @preamble, @comment)
_BIBTEX_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]+)\s*,")
_BIBTEX_NOT_ENTRIES = {"string", "preamble", "comment"}


def citation_keys(markdown: str) -> list[str]:
    """The citation keys of a Markdown text, in order of first use (``[@a; @b]`` → a, b).

    Cross-references (``@fig-…``, ``@tbl-…``) are not citations.
    """
    keys = [k for k in _CITATION.findall(markdown) if not k.startswith(_CROSSREF)]
    return list(dict.fromkeys(keys))


def _fail(path: Path, key: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{path}: {key}: {message}")


def resolve_bibliography(study: Path, raw: Any) -> Path | None:
    """The study's ``bibliography`` key as a checked path (None when not given).

    Raises
    ------
    StudyConfigError
        Not a path, a file that does not exist, or a suffix other than ``.bib``,
        ``.bibtex`` or ``.json``; the message names the study file and the key.
    """
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(study, "bibliography", "expected a file name (BibTeX .bib or CSL-JSON .json)")
    path = Path(raw.strip()).expanduser()
    path = path if path.is_absolute() else (study.parent / path).resolve()
    if path.suffix.lower() not in BIBLIOGRAPHY_SUFFIXES:
        raise _fail(
            study, "bibliography", f"{path.name}: use a BibTeX (.bib) or CSL-JSON (.json) file"
        )
    if not path.is_file():
        raise _fail(study, "bibliography", f"{path} does not exist")
    return path


def _read_text(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise StudyConfigError(f"{path}: cannot read the {where} ({reason})") from None


def _csl_json(path: Path) -> list[dict[str, Any]]:
    try:
        items = json.loads(_read_text(path, "bibliography"))
    except json.JSONDecodeError as exc:
        raise StudyConfigError(
            f"{path}: not CSL-JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("id"), str | int) for i in items
    ):
        raise StudyConfigError(f"{path}: not CSL-JSON (expected a list of items, each with an id)")
    return items


def bibliography_keys(path: Path) -> set[str]:
    """The citation keys a bibliography file defines (BibTeX entries, CSL-JSON ids).

    Raises
    ------
    StudyConfigError
        The file cannot be read, or is not CSL-JSON (a ``.json`` file).
    """
    if BIBLIOGRAPHY_SUFFIXES.get(path.suffix.lower()) == "csljson":
        return {str(item["id"]) for item in _csl_json(path)}
    text = _read_text(path, "bibliography")
    return {
        key for kind, key in _BIBTEX_ENTRY.findall(text) if kind.lower() not in _BIBTEX_NOT_ENTRIES
    }


def check_citations(study: Path, background: str, project: Path, own: Path | None) -> None:
    """Refuse a background citation whose key is in neither bibliography.

    Parameters
    ----------
    study : Path
        The study configuration (named in the message).
    background : str
        The study's background (Markdown).
    project : Path
        The project's references (:data:`itp_stats.config.REFERENCES`).
    own : Path or None
        The study's ``bibliography``, when it gives one.

    Raises
    ------
    StudyConfigError
        ``<study>: background: [@key] is in neither <project> nor <own>`` (or "not in
        <project>, and the study gives no bibliography").
    """
    cited = citation_keys(background)
    if not cited:
        return
    known = bibliography_keys(project) if project.is_file() else set()
    if own is not None:
        known |= bibliography_keys(own)
    missing = [k for k in cited if k not in known]
    if not missing:
        return
    keys = ", ".join(f"[@{k}]" for k in missing)
    verb = "is" if len(missing) == 1 else "are"
    where = (
        f"in neither {project} nor {own}"
        if own is not None
        else f"not in {project}, and the study gives no bibliography (bibliography: FILE)"
    )
    raise _fail(study, "background", f"{keys} {verb} {where}")


def _pandoc() -> str:
    """The pandoc shipped by pypandoc-binary, else the one on PATH."""
    try:
        import pypandoc
    except ImportError:  # pragma: no cover - pypandoc-binary is a dependency
        return "pandoc"
    bundled = Path(pypandoc.__file__).resolve().parent / "files" / "pandoc"
    return str(bundled) if bundled.is_file() and os.access(bundled, os.X_OK) else "pandoc"


def csl_items(path: Path) -> list[dict[str, Any]]:
    """The entries of a bibliography as CSL items (what pandoc's ``references`` takes).

    A CSL-JSON file is read as it is; a BibTeX file is converted by pandoc
    (``pandoc -f bibtex -t csljson``), as pandoc itself reads a ``.bib`` bibliography.

    Raises
    ------
    StudyConfigError
        The file cannot be read or converted.
    """
    if BIBLIOGRAPHY_SUFFIXES.get(path.suffix.lower()) == "csljson":
        return _csl_json(path)
    try:
        done = subprocess.run(
            [_pandoc(), str(path), "--from=bibtex", "--to=csljson"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StudyConfigError(f"{path}: cannot convert the bibliography ({exc})") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"pandoc exited with {done.returncode}"
        raise StudyConfigError(f"{path}: not a BibTeX bibliography pandoc reads ({reason})")
    items = json.loads(done.stdout or "[]")
    return items if isinstance(items, list) else []
