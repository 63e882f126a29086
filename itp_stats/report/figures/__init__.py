"""Figures of the report and the supplement, in one colour-blind-safe style.

Every function takes tidy data first and options after, draws in the project style
(:func:`use_style`: Okabe–Ito palette, fixed CR/PR/NR colours, 8–9 pt text at the final size)
and returns a :class:`matplotlib.figure.Figure` sized in code (Quarto's ``fig-width`` is
knitr-only). Figures are created through pyplot and closed at once, so a figure returned as
the last expression of a Jupyter cell is displayed exactly once (no second copy at the end of
the cell) and nothing accumulates in pyplot; use ``fig.savefig(...)`` to write files.

Missing values are dropped per panel; a group with 0 or 1 values keeps its tick (no box);
empty input gives a figure with a "No data" note rather than an exception.

Modules: :mod:`~itp_stats.report.figures.groups` (markers by group, paired change),
:mod:`~itp_stats.report.figures.roc`, :mod:`~itp_stats.report.figures.forest`,
:mod:`~itp_stats.report.figures.flow`.
"""

from itp_stats.report.figures._style import (
    OKABE_ITO,
    RESPONSE_COLORS,
    RESPONSE_NAMES,
    STYLE,
    StyleContext,
    p_annotation,
    use_style,
)
from itp_stats.report.figures.flow import participant_flow
from itp_stats.report.figures.forest import forest
from itp_stats.report.figures.groups import marker_by_group, markers_grid, paired_change
from itp_stats.report.figures.roc import roc_curve

__all__ = [
    "OKABE_ITO",
    "RESPONSE_COLORS",
    "RESPONSE_NAMES",
    "STYLE",
    "StyleContext",
    "forest",
    "marker_by_group",
    "markers_grid",
    "p_annotation",
    "paired_change",
    "participant_flow",
    "roc_curve",
    "use_style",
]
