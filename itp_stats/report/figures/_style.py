"""Shared style and helpers of the figure modules (private).

The public names (palette, :func:`use_style`, :func:`set_context`, :func:`p_annotation`) are
re-exported by :mod:`itp_stats.report.figures`.

Figures know nothing of a particular study: labels, units, time points, group names, the
level order and the group axis label come from the :class:`FigureContext` that the report sets
once per study (:func:`set_context`); without one they fall back to column names and codes.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from itp_stats.cohort.dictionary import Dictionary
from itp_stats.report.format import format_p
from itp_stats.report.scales import on_log_scale
from itp_stats.text import lower_first

__all__ = [
    "GROUP_COLORS",
    "OKABE_ITO",
    "OTHERS_COLOR",
    "STYLE",
    "SYNTHETIC_ATTRIBUTE",
    "SYNTHETIC_MARK",
    "FigureContext",
    "StyleContext",
    "get_context",
    "log_scale",
    "p_annotation",
    "set_context",
    "use_style",
]

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), by name."""

GROUP_COLORS: tuple[str, ...] = tuple(
    OKABE_ITO[k] for k in ("blue", "orange", "vermillion", "sky_blue", "bluish_green", "yellow")
)
"""Colour of a group by its position in the level order (first level blue, then orange, …).

Black (medians, intervals) and reddish purple (:data:`OTHERS_COLOR`) are kept out; from the
seventh level on the colours repeat."""

OTHERS_COLOR: str = OKABE_ITO["reddish_purple"]
"""Colour of the "others" group of a two-way contrast (a level starting with ``non-``)."""

GREY = "#6E6E6E"
"""Neutral colour of reference lines and notes (not a group colour)."""

TEXT_WIDTH_IN = 6.5
"""Width of a full-width figure, in inches (the text width of a letter/A4 page)."""

DPI = 150
"""Resolution of raster output (the inline backend renders PNGs at the figure's dpi)."""

SYNTHETIC_MARK = "Synthetic data"
"""The mark of a figure drawn from synthetic data, in grey at its lower right corner."""

SYNTHETIC_ATTRIBUTE = "itp_stats_synthetic"
"""Attribute of a figure drawn from synthetic data: the notice (:attr:`FigureContext.synthetic`).

Read by :meth:`itp_stats.report.figcache.CachedFigure.submission_files`, which writes it into
the metadata of the PDF and PNG files; a figure of real data has no such attribute."""

_MARK_STRIP = 0.2
"""Height in inches of the strip added under a marked figure for its mark (nothing else in it)."""

STYLE: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 9,
    "axes.prop_cycle": cycler(
        color=[
            OKABE_ITO[k]
            for k in ("blue", "orange", "vermillion", "bluish_green", "sky_blue", "reddish_purple")
        ]
    ),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "black",
    "axes.grid": False,
    "axes.titlepad": 4.0,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "xtick.labelcolor": "black",
    "ytick.labelcolor": "black",
    "lines.linewidth": 1.2,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": DPI,
    "savefig.dpi": 300,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
}
"""Matplotlib settings of every figure (applied by :func:`use_style`)."""


class StyleContext(AbstractContextManager):
    """The project style, applied on creation; restores the previous settings on exit."""

    def __init__(self) -> None:
        self._saved = {key: mpl.rcParams[key] for key in STYLE}
        mpl.rcParams.update(STYLE)

    def __exit__(self, *exc: object) -> None:
        mpl.rcParams.update(self._saved)

    def restore(self) -> None:
        """Restore the settings in force before :func:`use_style` was called."""
        mpl.rcParams.update(self._saved)


def use_style() -> StyleContext:
    """Apply the project's figure style to matplotlib.

    Called plainly (``use_style()``, e.g. in a report's setup cell) the style stays in force;
    used as a context manager (``with use_style(): ...``) it is undone on leaving the block.
    Every figure function of :mod:`itp_stats.report.figures` already draws in this style; calling it
    globally matters for settings read when a figure is *saved*: text kept as text in SVG
    (``svg.fonttype: 'none'``) and TrueType fonts embedded in PDF (``pdf.fonttype: 42``).

    Returns
    -------
    StyleContext
        Context manager restoring the previous settings on exit (or on ``.restore()``).

    Notes
    -----
    Sizes: 9 pt text, 8 pt tick labels and legends; figures are sized in code (Quarto's
    ``fig-width`` applies to knitr only), so these are the sizes at print scale. Colours come
    from the Okabe–Ito palette; a group's colour is fixed by its position in the level order
    of the :class:`FigureContext` (:data:`GROUP_COLORS`, :data:`OTHERS_COLOR`).

    References
    ----------
    Okabe M, Ito K. Color universal design (CUD): how to make figures and presentations
    that are friendly to colorblind people. 2008. https://jfly.uni-koeln.de/color/
    """
    return StyleContext()


@contextmanager
def drawing() -> Iterator[None]:
    """Context in which figure functions create their figures (style, no interactive mode)."""
    with mpl.rc_context(STYLE):
        yield


def new_figure(
    figsize: tuple[float, float],
    nrows: int = 1,
    ncols: int = 1,
    *,
    layout: str = "constrained",
    **kwargs: Any,
) -> tuple[Figure, Any]:
    """Create a figure in the project style, not left open in pyplot.

    The figure is created through pyplot (so the Jupyter inline backend registers its display
    hooks) and closed at once: the inline backend then does not show it again at the end of
    the cell, and it is displayed exactly once when it is the cell's value.
    """
    notice = get_context().synthetic
    width, height = figsize
    strip = _MARK_STRIP if notice else 0.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(width, height + strip),
        dpi=DPI,
        layout=layout,
        squeeze=False,
        **kwargs,
    )
    plt.close(fig)
    if notice:
        _mark_synthetic(fig, notice)
    return fig, axes


def _mark_synthetic(fig: Figure, notice: str) -> None:
    """Keep the layout above a strip at the bottom, write the mark in it, keep the notice."""
    width, height = fig.get_size_inches()
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=content_box(fig, marked=True))
    fig.text(
        1 - 0.05 / width,
        0.04 / height,
        SYNTHETIC_MARK,
        ha="right",
        va="bottom",
        fontsize=7,
        color=GREY,
        gid="synthetic_mark",
    )
    setattr(fig, SYNTHETIC_ATTRIBUTE, notice)


def content_box(fig: Figure, *, marked: bool | None = None) -> tuple[float, float, float, float]:
    """The part of ``fig`` its content may use, ``(left, bottom, width, height)`` in fractions.

    The whole figure, or all of it above the strip of the synthetic mark when the figure
    carries one (``marked`` None: when it has :data:`SYNTHETIC_ATTRIBUTE`). A figure without
    a layout engine places its axes in this box.
    """
    if marked is None:
        marked = hasattr(fig, SYNTHETIC_ATTRIBUTE)
    bottom = _MARK_STRIP / fig.get_size_inches()[1] if marked else 0.0
    return (0.0, bottom, 1.0, 1.0 - bottom)


def log_axis(ax: Axes, axis: str = "y") -> None:
    """Logarithmic ``axis`` with plain-number tick labels at 1, 2 and 5 × 10^k."""
    scale = ax.set_yscale if axis == "y" else ax.set_xscale
    scale("log")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def no_data(ax: Axes, text: str = "No data") -> None:
    """Write a centred note in ``ax``, used when there is nothing to draw."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=GREY,
        fontstyle="italic",
        gid="no_data",
    )


# -- study context ---------------------------------------------------------------------


@dataclass(frozen=True)
class FigureContext:
    """What the figures know of the study: labels, units, group names and level order.

    Set once per study by :func:`set_context`; every figure reads it when it is drawn.

    Attributes
    ----------
    dictionary : Dictionary or None
        The study's data dictionary: column and marker labels, units, time point labels.
        None: labels are the column names, units only ``%`` for derived ``pct_`` columns.
    group_names : dict of str to str
        Level → long name (``{"CR": "complete response"}``), used by the flow diagram.
    group_label : str or None
        Axis label of the group column (e.g. ``"Response at 6 months (IWG 2009)"``).
    levels : tuple of str
        Group levels in display order; a level's colour is the colour of its position in it.
    group : str or None
        The study's group column, to which ``group_label`` applies (to every group column
        when None).
    synthetic : str
        The synthetic-data notice of the study's figures (empty for real data): every figure
        drawn then carries a visible mark (:data:`SYNTHETIC_MARK`) and the notice as its
        :data:`SYNTHETIC_ATTRIBUTE`, which the files for submission write into their
        metadata.
    participants : str
        The study's plural noun for its participants (``patients``): the flow diagram's first
        box, the legend of individual lines, the one group of all participants.
    """

    dictionary: Dictionary | None = None
    group_names: Mapping[str, str] = field(default_factory=dict)
    group_label: str | None = None
    levels: tuple[str, ...] = ()
    group: str | None = None
    synthetic: str = ""
    participants: str = "patients"


_CONTEXT = FigureContext()


def set_context(
    *,
    dictionary: Dictionary | None = None,
    group_names: Mapping[Hashable, str] | None = None,
    group_label: str | None = None,
    levels: Sequence[Hashable] | None = None,
    group: str | None = None,
    synthetic: str = "",
    participants: str = "patients",
) -> FigureContext:
    """Set the study the figures are drawn for (replacing the previous context entirely).

    Called once per study by the report (``set_context()`` without arguments clears it).
    Figures never read a dictionary from disk: what is not set here falls back to column
    names and level codes.

    Parameters
    ----------
    dictionary : Dictionary, optional
        The study's data dictionary (:class:`itp_stats.cohort.dictionary.Dictionary`): labels
        and units of columns and markers, labels of time points.
    group_names : mapping of str to str, optional
        Level → long name, e.g. ``{"CR": "complete response"}`` (flow diagram boxes).
    group_label : str, optional
        Axis label of the group column in :func:`marker_by_group`.
    levels : sequence of str, optional
        Group levels in display order; default: the keys of ``group_names`` in their order.
        The first level is drawn blue, the second orange, the third vermillion, then sky
        blue, bluish green and yellow (:data:`GROUP_COLORS`), in every figure; a level
        starting with ``non-`` (the others of a two-way contrast) is reddish purple
        (:data:`OTHERS_COLOR`).
    group : str, optional
        The group column ``group_label`` belongs to; other group columns keep their
        dictionary label. None: ``group_label`` labels every group axis.
    synthetic : str, optional
        The notice of a study whose data are synthetic (e.g. "These results were computed
        from a SYNTHETIC cohort …"); empty for real data. Each figure then shows
        :data:`SYNTHETIC_MARK` in its lower right corner, in a strip of its own, and keeps the
        notice as its attribute :data:`SYNTHETIC_ATTRIBUTE` (written into the metadata of
        its files for submission).
    participants : str, default "patients"
        The study's plural noun for its participants (:attr:`FigureContext.participants`).

    Returns
    -------
    FigureContext
        The context now in force.
    """
    global _CONTEXT
    names = {str(k): str(v) for k, v in dict(group_names or {}).items()}
    order = tuple(str(v) for v in (levels if levels is not None else names))
    _CONTEXT = FigureContext(
        dictionary=dictionary,
        group_names=names,
        group_label=group_label,
        levels=order,
        group=group,
        synthetic=str(synthetic or ""),
        participants=str(participants or "patients"),
    )
    return _CONTEXT


def get_context() -> FigureContext:
    """The :class:`FigureContext` in force (an empty one until :func:`set_context`)."""
    return _CONTEXT


# -- numbers ---------------------------------------------------------------------------


def p_annotation(p: float | str | None, label: str | None = None) -> str:
    """Format a p-value for a figure as the tables print it (:func:`report.format.format_p`).

    Parameters
    ----------
    p : float or str or None
        The p-value. A string is taken as already formatted (``"0.012"``, ``"<0.001"``).
    label : str, optional
        Test name put in front, e.g. ``"Kruskal–Wallis"``.

    Returns
    -------
    str
        ``"p < 0.001"`` below 0.001; three decimals below 0.1 (``"p = 0.012"``); two decimals
        otherwise (``"p = 0.46"``); ``"p > 0.99"`` above 0.99; ``"p not computed"`` for a
        missing value. Prefixed by ``label`` when given.
    """
    if isinstance(p, str):
        text = p.strip()
    elif p is None or not math.isfinite(float(p)):
        return f"{label} p not computed" if label else "p not computed"
    else:
        text = format_p(float(p))
    if not text.startswith("p"):
        text = f"p {text[0]} {text[1:].strip()}" if text[:1] in "<>=" else f"p = {text}"
    return f"{label} {text}" if label else text


def fmt_num(x: float, digits: int = 2) -> str:
    """Format a number with ``digits`` decimals and a true minus sign (never ``−0.00``)."""
    text = f"{x:.{digits}f}"
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]
    return text.replace("-", "−")


def fmt_interval(low: float, high: float, digits: int = 2) -> str:
    """An interval as the tables write it: ``"0.13 to 0.61"``, true minus signs."""
    return f"{fmt_num(low, digits)} to {fmt_num(high, digits)}"


def fmt_tick(x: float, _pos: int | None = None) -> str:
    """A tick label: shortest form (``0.5``, ``−0.25``, ``0``), true minus sign."""
    text = f"{round(x, 10):.6g}"  # a tick at 0 may come as ±1e−17
    if text in {"-0", "+0"}:
        text = "0"
    return text.replace("-", "−")


def fmt_threshold(x: float) -> str:
    """Format a threshold with up to 4 significant digits, without a trailing ``.0``."""
    return f"{x:.4g}".replace("-", "−")


# -- data ------------------------------------------------------------------------------


def values(data: pd.DataFrame, column: str) -> np.ndarray:
    """Column as a float array, missing values and non-numbers as NaN."""
    if column not in data:
        raise KeyError(f"column {column!r} is not in the data")
    return pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def levels(data: pd.DataFrame, group: str | None) -> list[Hashable]:
    """Groups in display order.

    The categories of a categorical column (every one, even when empty); otherwise the levels
    present, those of the context's level order first (in that order), then the rest sorted.
    ``["All patients"]`` when ``group`` is None (the context's noun for the participants).
    """
    if group is None:
        return [f"All {get_context().participants}"]
    if group not in data:
        raise KeyError(f"group column {group!r} is not in the data")
    col = data[group]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    present = col.dropna().unique().tolist()
    order = get_context().levels
    known = [g for g in order if g in present]
    return known + sorted((g for g in present if g not in known), key=str)


def group_mask(data: pd.DataFrame, group: str | None, level: Hashable) -> np.ndarray:
    """Boolean array of the rows in ``level`` (all rows when ``group`` is None)."""
    if group is None:
        return np.ones(len(data), dtype=bool)
    return (data[group] == level).fillna(False).to_numpy(dtype=bool)


def is_others(level: Hashable) -> bool:
    """Whether ``level`` is the "others" group of a two-way contrast (``non-…``)."""
    return str(level).startswith("non-")


def group_color(level: Hashable, position: int = 0) -> str:
    """Colour of a group, the same in every figure of a report.

    Parameters
    ----------
    level : hashable
        The group.
    position : int, default 0
        Its position among the groups of the figure, used when the context's level order
        does not list it.

    Returns
    -------
    str
        :data:`OTHERS_COLOR` for a level starting with ``non-``; else the colour of the
        level's position in the context's level order, or of ``position`` when the order
        does not list it (:data:`GROUP_COLORS`, repeating after six).
    """
    if is_others(level):
        return OTHERS_COLOR
    order = get_context().levels
    key = str(level)
    if key in order:
        position = order.index(key)
    return GROUP_COLORS[position % len(GROUP_COLORS)]


def group_name(level: Hashable) -> str | None:
    """Long name of a group from the context (``"complete response"``), or None."""
    return get_context().group_names.get(str(level))


def n_label(level: Hashable, n: int, sep: str = "\n", brackets: bool = True) -> str:
    """Group label with its size, e.g. ``"CR\\n(n = 25)"`` (``"CR\\nn = 25"`` without brackets)."""
    return f"{level}{sep}(n = {n})" if brackets else f"{level}{sep}n = {n}"


# -- labels ----------------------------------------------------------------------------


def dictionary() -> Dictionary | None:
    """The dictionary of the context (None when unset: labels fall back to column names)."""
    return get_context().dictionary


def unit(column: str) -> str | None:
    """Unit of a column from the dictionary (``%`` for derived percentages)."""
    d = dictionary()
    if d is not None and d.column(column) is not None:
        return d.column(column).unit
    if column.startswith("pct_"):
        return "%"
    return None


def label(column: str) -> str:
    """Dictionary label of a column (the column name when it has none)."""
    d = dictionary()
    return d.label(column) if d is not None else column


def axis_label(column: str, width: int = 42) -> str:
    """Label with its unit in parentheses, wrapped; derived percentages say "% of" already."""
    text = label(column)
    u = unit(column)
    if u and not (column.startswith("pct_") and text != column):
        text = f"{text} ({u})"
    return wrap(text, width)


def _split_timepoint(column: str) -> tuple[str, str] | None:
    """``(stem, time point code)`` of a column named ``{stem}_{code}``, or None."""
    d = dictionary()
    if d is not None:
        for tp in d.timepoints:
            stem = column.removesuffix(f"_{tp}")
            if stem != column:
                return stem, tp
    return None


def marker_label(column: str, width: int = 42) -> str:
    """Label of the marker measured in ``column``, without its time point, with unit."""
    d = dictionary()
    if d is None:
        return column
    if column.startswith("pct_"):
        return wrap(d.label(column), width)
    split = _split_timepoint(column)
    if split is not None and split[0] in d.markers:
        u = unit(column)
        text = d.markers[split[0]].label
        return wrap(f"{text} ({u})" if u else text, width)
    return axis_label(column, width)


def panel_title(column: str, with_timepoint: bool = False) -> str:
    """Short title of a marker column: the marker label (e.g. ``"CD3+ T cells"``).

    Derived percentages keep "% of parent"; ``with_timepoint`` appends the time point label.
    Columns that are not markers get their dictionary label (the column name without one).
    """
    d = dictionary()
    split = _split_timepoint(column)
    if d is None or split is None:
        return label(column)
    stem, tp = split
    if column.startswith("pct_"):
        text = d.label(column)
    elif stem in d.markers:
        text = d.markers[stem].label
    else:
        return d.label(column)
    return f"{text}, {lower_first(d.timepoints[tp])}" if with_timepoint else text


def timepoint_label(column: str) -> str:
    """Label of the time point of ``column`` (``"Baseline"``), else the column name."""
    d = dictionary()
    split = _split_timepoint(column)
    if d is not None and split is not None:
        return d.timepoints[split[1]]
    return column


def log_scale(data: pd.DataFrame, marker: str) -> bool:
    """Whether ``marker`` is drawn on a log axis: the one scale rule of every figure.

    Parameters
    ----------
    data : pandas.DataFrame
        The patients the figures draw.
    marker : str
        A marker of the dictionary (``"nk"``, ``"pct_nk"``); its columns are ``{marker}_{tp}``
        for the dictionary's time points (without a dictionary, the column ``marker``).

    Returns
    -------
    bool
        True for a count (not a percentage: neither ``pct_`` nor a ``%`` unit) whose every
        value, at every time point, is above 0.

    Notes
    -----
    Cell counts are right-skewed, so they read best on a log scale; percentages are bounded
    and stay linear. A log axis cannot show a zero, and a count with zeros (B cells after
    rituximab) would lose them, and its boxes be drawn from the rest: such a marker is
    linear, and the answer is the same at every time point, so a marker keeps one scale in
    every figure of a study.
    """
    d = dictionary()
    stems = [f"{marker}_{tp}" for tp in d.timepoints] if d is not None else [marker]
    columns = [c for c in stems if c in data]
    percentage = marker.startswith("pct_") or any(unit(c) == "%" for c in columns)
    return on_log_scale([pd.Series(values(data, c)) for c in columns], percentage)


def group_axis_label(group: str | None) -> str:
    """Axis label of the grouping column.

    The context's ``group_label`` for the context's group column (for every column when the
    context names none); else the dictionary label; else the column name. Empty for None.
    """
    if group is None:
        return ""
    ctx = get_context()
    if ctx.group_label is not None and ctx.group in (None, group):
        return wrap(ctx.group_label, 50)
    return wrap(label(group), 50)


def display_name(level: Hashable, names: Mapping[str, str] | None = None) -> str:
    """A group as a box names it: ``"Complete response (CR)"``, else the level itself.

    The long name is taken from ``names``, else from the context's ``group_names``.
    """
    code = str(level)
    name = (names or {}).get(code) or group_name(code)
    if not name or name == code:
        return code
    return f"{upper_first(name)} ({code})"


def upper_first(text: str) -> str:
    """Capitalise a sentence's first word unless it is an abbreviation (``CD4``, ``pH``)."""
    return text[0].upper() + text[1:] if text[:2].islower() else text


def wrap(text: str, width: int) -> str:
    """Wrap ``text`` to lines of at most ``width`` characters (existing newlines kept).

    ``(n = 12)`` and a number with the word after it (``6 months``) are not split.
    """
    nbsp = "\u00a0"
    protected = _KEEP_TOGETHER.sub(lambda m: m.group(0).replace(" ", nbsp), text)
    return "\n".join(
        textwrap.fill(part, width, break_on_hyphens=False) for part in protected.split("\n")
    ).replace(nbsp, " ")


_KEEP_TOGETHER = re.compile(r"\(n = \d+\)|\bn = \d+|\bp [<>=] [\d.]+|\b\d+(?:\.\d+)? \w+")


@lru_cache(maxsize=1)
def _measurer() -> RendererAgg:
    return RendererAgg(1, 1, 72)  # 72 dpi: widths in points


@lru_cache(maxsize=8192)
def text_width(text: str, size: float) -> float:
    """Width in inches of ``text`` (its longest line) at ``size`` points, in the project font."""
    measure = _measurer().get_text_width_height_descent
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": STYLE["font.sans-serif"]}):
        prop = FontProperties(size=size)
        widths = [measure(line, prop, ismath=False)[0] for line in text.split("\n")]
    return max(widths, default=0.0) / 72


def fit_text(text: str, width: float, size: float) -> tuple[str, bool]:
    """Wrap ``text`` into lines no wider than ``width`` inches at ``size`` points.

    Lines break between words and after a hyphen between lower-case words (``non-`` /
    ``responder``, not ``HLA-`` / ``DR``);
    ``(n = 12)``, ``p = 0.03`` and a number with its unit stay on one line (as :func:`wrap`).

    Returns
    -------
    tuple of (str, bool)
        The wrapped text, and whether every line fits (False when a single word is wider).
    """
    nbsp = "\u00a0"
    protected = _KEEP_TOGETHER.sub(lambda m: m.group(0).replace(" ", nbsp), text)
    lines: list[str] = []
    for part in protected.split("\n"):
        line = ""
        for token in re.findall(r"[^ ]*?\b[a-z]{2,}-(?=[a-z]{2})|[^ ]+| +", part):
            if token.startswith(" "):
                line += " " if line else ""
                continue
            candidate = line + token
            if line.strip() and text_width(candidate.replace(nbsp, " "), size) > width:
                lines.append(line.rstrip())
                line = token
            else:
                line = candidate
        lines.append(line.rstrip())
    wrapped = "\n".join(lines).replace(nbsp, " ")
    return wrapped, text_width(wrapped, size) <= width


def as_list(x: Sequence[str] | str) -> list[str]:
    """A single column name or a sequence of them, as a list."""
    return [x] if isinstance(x, str) else list(x)
