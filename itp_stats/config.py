"""Paths of the project, from one place.

Every path the package uses is derived here from the project root (the folder holding
``_quarto.yml``). The root is found from the ``ITP_STATS_ROOT`` environment variable, then by
walking up from the current directory, then from the package location (an editable install in
a clone of the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DEFAULT_COHORT",
    "DEFAULT_STUDY",
    "DICTIONARY",
    "REFERENCES",
    "gate_result_path",
    "output_dir",
    "project_root",
    "state_dir",
]

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root(start: Path | None = None) -> Path:
    """Return the project root: the nearest folder holding ``_quarto.yml``.

    Parameters
    ----------
    start : Path, optional
        Folder to search upwards from; defaults to the current directory.

    Returns
    -------
    Path
        ``$ITP_STATS_ROOT`` if set, else the first folder from ``start`` upwards holding
        ``_quarto.yml``, else the parent of the installed package.
    """
    env = os.environ.get("ITP_STATS_ROOT")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_quarto.yml").is_file():
            return folder
    return _PACKAGE_DIR.parent


def _root() -> Path:
    return project_root()


DICTIONARY: Path = _PACKAGE_DIR.parent / "data" / "dictionary.yaml"
"""The data dictionary shipped with the project."""

DEFAULT_COHORT: Path = _PACKAGE_DIR.parent / "data" / "cohort.csv"
"""The shipped synthetic cohort."""

DEFAULT_STUDY: Path = _PACKAGE_DIR.parent / "data" / "study.yaml"
"""The shipped study configuration (the default of ``-P study=`` and ``--study``)."""

REFERENCES: Path = _PACKAGE_DIR.parent / "report" / "references.bib"
"""The project's references (``_quarto.yml``: ``bibliography``): the methods the documents
cite, and what a study's background may cite besides its own ``bibliography``."""


def state_dir(root: Path | None = None) -> Path:
    """Folder for run state shared between the gate and the documents (``.itp-stats``)."""
    return (root or _root()) / ".itp-stats"


def gate_result_path(root: Path | None = None) -> Path:
    """JSON result of the last validation gate run, read by the documents."""
    return state_dir(root) / "gate.json"


def output_dir(root: Path | None = None) -> Path:
    """Folder the rendered reports and result tables are written to (``_output``)."""
    return (root or _root()) / "_output"
