"""Render the report's ``.qmd`` documents: with Quarto, or with the built-in engine.

The built-in engine renders the same documents from PyPI parts: markdown-it-py and PyYAML
split them (``qmd``), nbclient runs the cells in a Jupyter kernel (``kernel``,
``execute``), the outputs become one Pandoc-markdown document per format (``assemble``),
pandoc writes HTML, Typst and DOCX with the Lua filters ``_quarto.yml`` names, at the points
Quarto runs them: ``report.lua`` first (numbers, cross-references, callouts) and ``tables.lua``
last (floats, table typography, landscape pages), with the styles Quarto takes too
(``typography.typ``, the Typst template partials, ``report.css``, ``reference.docx``:
``formats``, ``reference_docx``), and Typst makes the PDF (``pdf``). ``project`` reads
``_quarto.yml``, ``prerender`` runs the validation gate, ``outputs`` installs files
atomically, ``builtin`` ties the steps together and ``cli`` is ``itp-stats render``.
"""

from itp_stats.render.builtin import RenderJob, render_project
from itp_stats.render.errors import (
    CellExecutionError,
    PreRenderError,
    ProjectError,
    RenderError,
    ToolError,
)
from itp_stats.render.project import Project, load_project

__all__ = [
    "RenderJob",
    "render_project",
    "Project",
    "load_project",
    "RenderError",
    "ProjectError",
    "PreRenderError",
    "CellExecutionError",
    "ToolError",
]
