"""Helpers shared by the renderer tests: a working copy of the fixture project."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "render"


def copy_fixture_project(target: Path) -> Path:
    """Copy the fixture project to ``target`` with the report's bibliography and CSL.

    Returns
    -------
    Path
        The project folder (``target``).
    """
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("_output", ".itp-stats"))
    shutil.copy(ROOT / "report" / "references.bib", target / "references.bib")
    shutil.copy(ROOT / "report" / "vancouver.csl", target / "vancouver.csl")
    return target


def normalise_spaces(text: str) -> str:
    """Collapse runs of whitespace (non-breaking spaces included) to single spaces."""
    return " ".join(text.replace("\u00a0", " ").split())
