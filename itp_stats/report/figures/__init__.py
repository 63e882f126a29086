"""Figures of the report and the supplement, in one colour-blind-safe style.

Every function takes tidy data first and options after, draws in the project style
(:func:`use_style`: Okabe–Ito palette, 8–9 pt text at the final size) and returns a
:class:`matplotlib.figure.Figure` sized in code (Quarto's ``fig-width`` is knitr-only).
Figures are created through pyplot and closed at once, so a figure returned as the last
expression of a Jupyter cell is displayed exactly once (no second copy at the end of the
cell) and nothing accumulates in pyplot; use ``fig.savefig(...)`` to write files.

The figures hold no knowledge of a study: the report calls :func:`set_context` once per
study with its data dictionary, group names, level order and group label, and every figure
takes labels, units, time points and colours from it (a level keeps its colour, by position
in the level order, in every figure). Without a context, labels are column names and codes.
When the context holds a synthetic-data notice, every figure carries it: the mark
:data:`SYNTHETIC_MARK` in grey at its lower right corner, in a strip of its own, and the notice
as its attribute :data:`SYNTHETIC_ATTRIBUTE`, written into the metadata of the files for
submission (:meth:`itp_stats.report.figcache.CachedFigure.submission_files`).

Labels are laid out from the room they get (measured in the project font), never on one
another: group names and titles wrapped to their panel, names too wide for their place under
the axis moved to a legend, p-values of small multiples under the panel's title, the cutoff
label of a ROC curve where no line runs through it.

Missing values are dropped per panel; a group with 0 or 1 values keeps its tick (no box);
empty input gives a figure with a "No data" note rather than an exception.

Modules: :mod:`~itp_stats.report.figures.groups` (markers by group, paired change),
:mod:`~itp_stats.report.figures.roc`, :mod:`~itp_stats.report.figures.calibration`,
:mod:`~itp_stats.report.figures.forest`,
:mod:`~itp_stats.report.figures.flow`, :mod:`~itp_stats.report.figures.survival`
(Kaplan–Meier curves with the numbers at risk).
"""

from itp_stats.report.figures._style import (
    GROUP_COLORS,
    OKABE_ITO,
    OTHERS_COLOR,
    STYLE,
    SYNTHETIC_ATTRIBUTE,
    SYNTHETIC_MARK,
    FigureContext,
    StyleContext,
    get_context,
    log_scale,
    p_annotation,
    set_context,
    use_style,
)
from itp_stats.report.figures.calibration import calibration_plot
from itp_stats.report.figures.flow import participant_flow
from itp_stats.report.figures.forest import forest
from itp_stats.report.figures.groups import (
    marker_by_group,
    markers_grid,
    paired_change,
    paired_changes,
)
from itp_stats.report.figures.roc import roc_curve
from itp_stats.report.figures.survival import km_panels

__all__ = [
    "GROUP_COLORS",
    "OKABE_ITO",
    "OTHERS_COLOR",
    "STYLE",
    "SYNTHETIC_ATTRIBUTE",
    "SYNTHETIC_MARK",
    "FigureContext",
    "StyleContext",
    "calibration_plot",
    "forest",
    "get_context",
    "km_panels",
    "log_scale",
    "marker_by_group",
    "markers_grid",
    "p_annotation",
    "paired_change",
    "paired_changes",
    "participant_flow",
    "roc_curve",
    "set_context",
    "use_style",
]
