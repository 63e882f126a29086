"""Shared style and helpers of the figure modules (private).

The public names (palette, :func:`use_style`, :func:`p_annotation`) are re-exported by
:mod:`itp_stats.report.figures`.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Hashable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.report.format import format_p

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

RESPONSE_COLORS: dict[str, str] = {
    "CR": OKABE_ITO["blue"],
    "PR": OKABE_ITO["orange"],
    "NR": OKABE_ITO["vermillion"],
    "non-CR": OKABE_ITO["reddish_purple"],
}
"""Fixed colour of each response group, used by every figure."""

RESPONSE_NAMES: dict[str, str] = {
    "CR": "Complete response",
    "PR": "Partial response",
    "NR": "No response",
    "non-CR": "No complete response",
}
"""Long names of the response groups (flow diagram)."""

# Colours for groups that are not response categories, in order of use.
_OTHER_COLORS = [
    OKABE_ITO[k] for k in ("sky_blue", "bluish_green", "reddish_purple", "black", "orange")
]

GREY = "#6E6E6E"
"""Neutral colour of reference lines and notes (not a group colour)."""

TEXT_WIDTH_IN = 6.5
"""Width of a full-width figure, in inches (the text width of a letter/A4 page)."""

DPI = 150
"""Resolution of raster output (the inline backend renders PNGs at the figure's dpi)."""

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
    from the Okabe–Ito palette; CR, PR and NR have fixed colours (:data:`RESPONSE_COLORS`).

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
    fig, axes = plt.subplots(
        nrows, ncols, figsize=figsize, dpi=DPI, layout=layout, squeeze=False, **kwargs
    )
    plt.close(fig)
    return fig, axes


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
    """Format a number with ``digits`` decimals and a true minus sign."""
    return f"{x:.{digits}f}".replace("-", "−")


def fmt_threshold(x: float) -> str:
    """Format a threshold with up to 4 significant digits, without a trailing ``.0``."""
    return f"{x:.4g}".replace("-", "−")


# -- data ------------------------------------------------------------------------------


def values(data: pd.DataFrame, column: str) -> np.ndarray:
    """Column as a float array, missing values and non-numbers as NaN."""
    if column not in data:
        raise KeyError(f"column {column!r} is not in the data")
    return pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


_RESPONSE_ORDER = ("CR", "PR", "NR", "non-CR")


def levels(data: pd.DataFrame, group: str | None) -> list[Hashable]:
    """Groups in display order: categories of a categorical column, else CR/PR/NR then sorted."""
    if group is None:
        return ["All patients"]
    if group not in data:
        raise KeyError(f"group column {group!r} is not in the data")
    col = data[group]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    present = col.dropna().unique().tolist()
    known = [g for g in _RESPONSE_ORDER if g in present]
    return known + sorted((g for g in present if g not in known), key=str)


def group_mask(data: pd.DataFrame, group: str | None, level: Hashable) -> np.ndarray:
    """Boolean array of the rows in ``level`` (all rows when ``group`` is None)."""
    if group is None:
        return np.ones(len(data), dtype=bool)
    return (data[group] == level).fillna(False).to_numpy(dtype=bool)


def group_color(level: Hashable, position: int = 0) -> str:
    """Colour of a group: fixed for response groups, else the palette in order of position."""
    if str(level) in RESPONSE_COLORS:
        return RESPONSE_COLORS[str(level)]
    return _OTHER_COLORS[position % len(_OTHER_COLORS)]


def n_label(level: Hashable, n: int, sep: str = "\n", brackets: bool = True) -> str:
    """Group label with its size, e.g. ``"CR\\n(n = 25)"`` (``"CR\\nn = 25"`` without brackets)."""
    return f"{level}{sep}(n = {n})" if brackets else f"{level}{sep}n = {n}"


# -- labels ----------------------------------------------------------------------------


def dictionary() -> Dictionary | None:
    """The project's data dictionary, or None when it cannot be read (labels fall back)."""
    try:
        return load_dictionary()
    except Exception:  # labels are cosmetic: never fail a figure for them
        return None


def unit(column: str) -> str | None:
    """Unit of a column from the dictionary (``%`` for derived percentages)."""
    d = dictionary()
    if d is not None and column in d.columns:
        return d.columns[column].unit
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
    if u and not column.startswith("pct_"):
        text = f"{text} ({u})"
    return wrap(text, width)


def marker_label(column: str, width: int = 42) -> str:
    """Label of the marker measured in ``column``, without its time point, with unit."""
    d = dictionary()
    if d is None:
        return column
    if column.startswith("pct_"):
        return wrap(d.label(column), width)
    for tp in d.timepoints:
        stem = column.removesuffix(f"_{tp}")
        if stem != column and stem in d.markers:
            u = unit(column)
            text = d.markers[stem].label
            return wrap(f"{text} ({u})" if u else text, width)
    return axis_label(column, width)


def panel_title(column: str, with_timepoint: bool = False) -> str:
    """Short title of a marker column: the marker label (``"CD3−CD16+CD56+ NK cells"``).

    Derived percentages keep "% of parent"; ``with_timepoint`` appends the time point label.
    Columns that are not markers get their dictionary label.
    """
    d = dictionary()
    if d is None:
        return column
    tp_label = ""
    for tp, tpl in d.timepoints.items():
        if column.endswith(f"_{tp}"):
            stem, tp_label = column.removesuffix(f"_{tp}"), tpl.lower()
            break
    else:
        return d.label(column)
    if column.startswith("pct_"):
        text = d.label(column)
    elif stem in d.markers:
        text = d.markers[stem].label
    else:
        return d.label(column)
    return f"{text}, {tp_label}" if with_timepoint else text


def timepoint_label(column: str) -> str:
    """Label of the time point of ``column`` (``"Rituximab start"``), else the column name."""
    d = dictionary()
    if d is not None:
        for tp, tp_label in d.timepoints.items():
            if column.endswith(f"_{tp}"):
                return tp_label
    return column


def group_axis_label(group: str | None) -> str:
    """Axis label of the grouping column (the recorded response label for ``response_iwg``)."""
    if group is None:
        return ""
    d = dictionary()
    if d is None:
        return group
    if group == "response_iwg":
        return d.label(d.group_column)
    return wrap(d.label(group), 50)


def wrap(text: str, width: int) -> str:
    """Wrap ``text`` to lines of at most ``width`` characters (existing newlines kept).

    ``(n = 12)`` and a number with the word after it (``6 months``) are not split.
    """
    nbsp = "\u00a0"
    protected = _KEEP_TOGETHER.sub(lambda m: m.group(0).replace(" ", nbsp), text)
    return "\n".join(
        textwrap.fill(part, width, break_on_hyphens=False) for part in protected.split("\n")
    ).replace(nbsp, " ")


_KEEP_TOGETHER = re.compile(r"\(n = \d+\)|\b\d+(?:\.\d+)? \w+")


def as_list(x: Sequence[str] | str) -> list[str]:
    """A single column name or a sequence of them, as a list."""
    return [x] if isinstance(x, str) else list(x)
