"""What a render tells its pre- and post-render steps: which documents it renders.

Quarto runs the project's ``pre-render`` and ``post-render`` commands with variables that
name the render (quarto-cli ``src/command/render/project.ts``); the built-in renderer sets
the same ones (:mod:`itp_stats.render.prerender`):

- ``QUARTO_PROJECT_RENDER_ALL=1`` when the whole project renders (both steps);
- ``QUARTO_PROJECT_INPUT_FILES``: the documents about to render, one path per line relative
  to the project folder (pre-render only; or, with ``QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES``
  set, the name of a file holding that list);
- ``QUARTO_PROJECT_OUTPUT_FILES``: the output files written, relative to the project folder
  (post-render only; likewise ``QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES``), each in
  ``QUARTO_PROJECT_OUTPUT_DIR`` at its document's place.

:func:`rendered_documents` reads them in either step. A render of the analysis plan alone
(:data:`PLAN_DOCUMENT`) reads no cohort: the gate and the result tables have nothing to do
in it (:func:`renders_only_the_plan`).
"""

from __future__ import annotations

import os
from pathlib import Path

from itp_stats.config import project_root

__all__ = ["PLAN_DOCUMENT", "rendered_documents", "renders_only_the_plan"]

PLAN_DOCUMENT = Path("report") / "plan.qmd"
"""The statistical analysis plan, relative to the project folder: it reads no cohort."""

_LISTS = {
    "QUARTO_PROJECT_INPUT_FILES": "QUARTO_USE_FILE_FOR_PROJECT_INPUT_FILES",
    "QUARTO_PROJECT_OUTPUT_FILES": "QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES",
}


def _listed(name: str) -> list[str]:
    """The paths a variable lists (or the file it names lists); empty when unset."""
    file = os.environ.get(_LISTS[name])
    text = os.environ.get(name, "")
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError:
            text = ""
    return [line.strip() for line in text.splitlines() if line.strip()]


def rendered_documents(root: Path | None = None) -> list[Path] | None:
    """The documents the running render renders (absolute paths), in a render step.

    Parameters
    ----------
    root : Path, optional
        The project folder (default :func:`itp_stats.config.project_root`).

    Returns
    -------
    list of Path or None
        From the input files (pre-render) or from the output files, each mapped back to its
        ``.qmd`` through the output folder (post-render); None when the whole project renders
        or the command does not run as a render step.
    """
    if os.environ.get("QUARTO_PROJECT_RENDER_ALL") == "1":
        return None
    root = (root or project_root()).resolve()
    inputs = _listed("QUARTO_PROJECT_INPUT_FILES")
    if inputs:
        return [(root / p).resolve() for p in inputs]
    outputs = _listed("QUARTO_PROJECT_OUTPUT_FILES")
    if not outputs:
        return None
    output_dir = (root / os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", ".")).resolve()
    documents: list[Path] = []
    for output in outputs:
        path = (root / output).resolve()
        try:
            place = path.relative_to(output_dir)
        except ValueError:
            place = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        document = (root / place).with_suffix(".qmd")
        if document not in documents:
            documents.append(document)
    return documents


def renders_only_the_plan(root: Path | None = None) -> bool:
    """Whether the running render renders the analysis plan and nothing else."""
    root = (root or project_root()).resolve()
    documents = rendered_documents(root)
    return bool(documents) and all(d == root / PLAN_DOCUMENT for d in documents)
