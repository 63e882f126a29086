"""The documents' front matter from the study configuration: title, authors, keywords.

``itp-stats metadata`` is the render's second ``pre-render`` step (after the gate), in both
engines: it writes :data:`METADATA_FILE` (``.itp-stats/metadata.yml``), which ``_quarto.yml``
names in ``metadata-files``. Quarto reads the project's metadata files again after its
pre-render steps, and the built-in renderer does the same, so the title page, the HTML
``<title>``, the PDF's and the DOCX's document properties carry the study's own title and
authors (a document's front matter still wins over them, as in Quarto).

What is written, from the study configuration (:class:`~itp_stats.study.config.StudyConfig`):

* ``title``: the study's ``title``;
* ``author``: its ``authors``, each ``{name, affiliations}`` (Quarto's author schema);
* ``keywords``: its ``keywords``;
* ``itp-running-title``: its ``running_title``, printed at the head of the PDF's pages by
  ``report.lua``;
* ``references``: the entries of its own ``bibliography`` as CSL items
  (:func:`itp_stats.study.bibliography.csl_items`), which pandoc's citeproc uses beside the
  project's ``bibliography`` under both engines, so that its ``background`` cites them.

A key the study does not give is left out (no author: no by-line).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from itp_stats.config import state_dir
from itp_stats.files import replaced_atomically, write_failure
from itp_stats.study.bibliography import csl_items
from itp_stats.study.config import StudyConfig, load_study
from itp_stats.text import md_literal

__all__ = ["METADATA_NAME", "document_metadata", "metadata_path", "write_metadata", "register"]

METADATA_NAME = "metadata.yml"
"""File name of the documents' metadata in the run state (``_quarto.yml``: metadata-files)."""


def metadata_path(root: Path | None = None) -> Path:
    """Where the documents' metadata is written: ``.itp-stats/metadata.yml``."""
    return state_dir(root) / METADATA_NAME


def document_metadata(config: StudyConfig) -> dict[str, Any]:
    """The documents' front matter taken from a study configuration.

    Parameters
    ----------
    config : StudyConfig
        The study.

    Returns
    -------
    dict
        ``title``, and when the study gives them ``author`` (a list of ``{name,
        affiliations}``), ``keywords``, ``itp-running-title`` and ``references`` (its
        bibliography's entries as CSL items).
    """
    # the values are Markdown to Pandoc: the study's text is escaped to print as written
    meta: dict[str, Any] = {"title": md_literal(config.title)}
    if config.authors:
        meta["author"] = [
            {
                "name": md_literal(a.name),
                **(
                    {"affiliations": [md_literal(p) for p in a.affiliations]}
                    if a.affiliations
                    else {}
                ),
            }
            for a in config.authors
        ]
    if config.keywords:
        meta["keywords"] = [md_literal(k) for k in config.keywords]
    if config.running_title:
        meta["itp-running-title"] = md_literal(config.running_title)
    if config.bibliography is not None:
        meta["references"] = csl_items(config.bibliography)
    return meta


def write_metadata(config: StudyConfig, path: Path | None = None) -> Path:
    """Write :func:`document_metadata` as YAML (atomically: a render never reads half a file).

    Parameters
    ----------
    config : StudyConfig
        The study.
    path : Path, optional
        The file (default :func:`metadata_path`).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path) if path is not None else metadata_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(document_metadata(config), allow_unicode=True, sort_keys=False)
    with replaced_atomically(path) as temporary:
        temporary.write_text(
            "# written by `itp-stats metadata` from the study configuration; do not edit\n" + text,
            encoding="utf-8",
        )
    return path


def _run(args: argparse.Namespace) -> int:
    study = Path(args.study).expanduser().resolve() if args.study else None
    out = Path(args.out) if args.out else metadata_path()
    try:
        written = write_metadata(load_study(study), out)
    except OSError as exc:
        raise write_failure(
            exc, out, "the documents' metadata", "the documents cannot be rendered without it"
        ) from None
    print(f"itp-stats metadata: wrote {written}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``metadata`` sub-command (the render's second pre-render step)."""
    parser = subparsers.add_parser(
        "metadata",
        help="write the documents' title, authors and keywords from the study configuration",
        description="Write the documents' front matter (title, authors, keywords, running "
        "title) from the study configuration to .itp-stats/metadata.yml, which _quarto.yml "
        "names in metadata-files (run by the render's pre-render step).",
    )
    parser.add_argument(
        "--study",
        metavar="STUDY.yaml",
        help="study configuration (default $ITP_STATS_STUDY, else the shipped data/study.yaml)",
    )
    parser.add_argument("--out", metavar="FILE", help="file to write (default: %(default)s)")
    parser.set_defaults(func=_run)
