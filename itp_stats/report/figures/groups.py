"""Markers by group: box plots with points, small multiples, paired change."""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from itp_stats.report.figures import _style as s

__all__ = ["marker_by_group", "markers_grid", "paired_change", "paired_changes"]

_JITTER = 0.13
_BOX_WIDTH = 0.5
_MIN_BOX = 3  # fewer values: points only (quartiles of 1 or 2 values mean nothing)


def _draw_by_group(
    ax: Axes,
    data: pd.DataFrame,
    column: str,
    group: str | None,
    *,
    log: bool,
    seed: int,
    point_size: float,
    brackets: bool = True,
) -> dict[Hashable, int]:
    """Box (no fliers) + jittered points per group on ``ax``; return n per group."""
    lv = s.levels(data, group)
    y_all = s.values(data, column) if len(data) else np.array([], dtype=float)
    rng = np.random.default_rng(seed)
    counts: dict[Hashable, int] = {}
    hidden = 0
    for i, level in enumerate(lv):
        y = y_all[s.group_mask(data, group, level)] if len(data) else y_all
        y = y[~np.isnan(y)]
        counts[level] = len(y)
        if log:
            hidden += int(np.sum(y <= 0))
            y = y[y > 0]
        colour = s.group_color(level, i)
        if len(y) >= _MIN_BOX:
            parts = ax.boxplot(
                [y],
                positions=[i],
                widths=_BOX_WIDTH,
                showfliers=False,
                patch_artist=True,
                manage_ticks=False,
                boxprops={"facecolor": to_rgba(colour, 0.18), "edgecolor": colour, "lw": 1.0},
                whiskerprops={"color": colour, "lw": 1.0},
                capprops={"color": colour, "lw": 1.0},
                medianprops={"color": "black", "lw": 1.6},
                zorder=2,
            )
            for box in parts["boxes"]:
                box.set_gid(f"box:{level}")
        if len(y):
            x = i + rng.uniform(-_JITTER, _JITTER, len(y))
            ax.scatter(
                x,
                y,
                s=point_size,
                color=colour,
                alpha=0.75,
                edgecolors="white",
                linewidths=0.4,
                zorder=3,
                gid=f"points:{level}",
            )
    ax.set_xticks(
        range(len(lv)), [s.n_label(level, counts[level], brackets=brackets) for level in lv]
    )
    ax.set_xlim(-0.6, len(lv) - 0.4)
    ax.tick_params(axis="x", length=0)
    if log:
        s.log_axis(ax, "y")
    if not any(counts.values()):
        ax.set_yticks([])
        s.no_data(ax)
    elif hidden:
        ax.text(
            1.0,
            -0.02,
            f"{hidden} value{'s' if hidden > 1 else ''} ≤ 0 not shown (log scale)",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color=s.GREY,
        )
    return counts


def _annotate_p(ax: Axes, text: str) -> None:
    """Write ``text`` at the top left of ``ax``, with headroom above the data."""
    lo, hi = ax.get_ylim()
    if ax.get_yscale() == "log":
        ax.set_ylim(lo, hi * (hi / lo) ** 0.12)
    else:
        ax.set_ylim(lo, hi + 0.12 * (hi - lo))
    ax.text(0.02, 0.98, text, transform=ax.transAxes, ha="left", va="top", gid="p_value")


def marker_by_group(
    data: pd.DataFrame,
    column: str,
    group: str | None = None,
    *,
    p_value: float | str | None = None,
    p_label: str | None = None,
    log: bool = False,
    ax: Axes | None = None,
    ylabel: str | None = None,
    xlabel: str | None = None,
    seed: int = 0,
    figsize: tuple[float, float] = (4.5, 3.6),
) -> Figure:
    """Box plot with the individual values of one marker, by group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    column : str
        Numeric column to plot, e.g. ``"nk_m0"``.
    group : str or None, optional
        Grouping column; its categories (if categorical) give the order and every category
        gets a tick, even an empty one; otherwise the levels present, in the context's level
        order (:func:`set_context`). None plots all patients as one group.
    p_value : float or str, optional
        p-value written at the top left, formatted by :func:`p_annotation` (a string is taken as
        already formatted).
    p_label : str, optional
        Name of the test put before the p-value, e.g. ``"Kruskal–Wallis"``.
    log : bool, default False
        Logarithmic y axis; values ≤ 0 are then not drawn (a note says how many).
    ax : matplotlib.axes.Axes, optional
        Draw on this axes (its figure is returned); a new figure otherwise.
    ylabel, xlabel : str, optional
        Axis labels; by default the y label is the column's dictionary label with its unit
        and the x label the context's group label (else the group column's dictionary
        label); the column names without a dictionary (:func:`set_context`).
    seed : int, default 0
        Seed of the horizontal jitter of the points (the figure is deterministic).
    figsize : tuple of float, default (4.5, 3.6)
        Size in inches of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. Boxes (median, quartiles, whiskers to 1.5 IQR, no outlier markers) are
        drawn for groups with at least 3 values; every non-missing value is a point. Tick
        labels give the number of non-missing values per group (``"CR\\n(n = 25)"``).

    Notes
    -----
    Rows with a missing value or a missing group are left out. Each group has the colour of
    its position in the context's level order (the same in every figure). Artists carry ids
    for tests and SVG: ``box:{group}``, ``points:{group}``, ``p_value``, ``no_data``.
    """
    with s.drawing():
        if ax is None:
            fig, axes = s.new_figure(figsize)
            ax = axes[0, 0]
        else:
            fig = ax.get_figure()
        _draw_by_group(ax, data, column, group, log=log, seed=seed, point_size=16)
        ax.set_ylabel(ylabel if ylabel is not None else s.axis_label(column))
        ax.set_xlabel(xlabel if xlabel is not None else s.group_axis_label(group))
        if p_value is not None or p_label is not None:
            _annotate_p(ax, s.p_annotation(p_value, p_label))
    return fig


def markers_grid(
    data: pd.DataFrame,
    columns: Sequence[str],
    group: str | None = None,
    *,
    ncols: int = 3,
    log: bool | Collection[str] = False,
    p_values: Mapping[str, float | str] | None = None,
    p_label: str | None = None,
    seed: int = 0,
    panel_height: float = 2.5,
) -> Figure:
    """Small multiples: one box plot with points per marker, by group (for the supplement).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    columns : sequence of str
        Columns to plot, one panel each, in order (e.g. every marker count at baseline).
    group : str or None, optional
        Grouping column (see :func:`marker_by_group`); None: all patients as one group.
    ncols : int, default 3
        Panels per row.
    log : bool or collection of str, default False
        Logarithmic y axis for every panel, or for the listed columns.
    p_values : mapping of str to float or str, optional
        p-value per column, written in its panel (columns without one get none).
    p_label : str, optional
        Name of the test put before each p-value.
    seed : int, default 0
        Seed of the jitter.
    panel_height : float, default 2.5
        Height of a row of panels, in inches; the width is the text width (6.5 in).

    Returns
    -------
    matplotlib.figure.Figure
        The figure; each panel is titled with the marker's label (and the time point when
        the columns are not all at the same one), its y axis gives the unit
        and its tick labels the n per group (``"CR\\nn = 25"``, without brackets to
        fit). An empty ``columns`` gives a "No data" figure.
    """
    columns = s.as_list(columns)
    ncols = max(1, min(ncols, len(columns) or 1))
    nrows = max(1, math.ceil(len(columns) / ncols))
    timepoints = {s.timepoint_label(c) for c in columns}
    with s.drawing():
        fig, axes = s.new_figure((s.TEXT_WIDTH_IN, panel_height * nrows + 0.2), nrows, ncols)
        if not columns:
            axes[0, 0].set_axis_off()
            s.no_data(axes[0, 0])
            return fig
        for k, ax in enumerate(axes.flat):
            if k >= len(columns):
                ax.set_axis_off()
                continue
            col = columns[k]
            col_log = log if isinstance(log, bool) else col in log
            _draw_by_group(
                ax, data, col, group, log=col_log, seed=seed, point_size=9, brackets=False
            )
            title = s.panel_title(col, with_timepoint=len(timepoints) > 1)
            # constrained layout ignores a title's width: wrap it to the panel
            ax.set_title(s.wrap(title, int(12 * s.TEXT_WIDTH_IN / ncols) - 3), fontsize=8.5)
            ax.set_ylabel(s.unit(col) or "")
            if p_values is not None and col in p_values:
                _annotate_p(ax, s.p_annotation(p_values[col], p_label))
    return fig


def paired_change(
    data: pd.DataFrame,
    before: str,
    after: str,
    group: str | None = None,
    *,
    ylabel: str | None = None,
    log: bool = False,
    figsize: tuple[float, float] = (s.TEXT_WIDTH_IN, 3.4),
) -> Figure:
    """Individual change between two time points, one panel per group (shared y axis).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    before, after : str
        Columns of the same measure at the two time points, e.g. ``"pct_nk_m0"`` and
        ``"pct_nk_m6"``.
    group : str or None, optional
        Grouping column, one panel per group (every category of a categorical column gets a
        panel). None draws one panel of all patients.
    ylabel : str, optional
        Y label; defaults to the marker's dictionary label (without time point) and unit,
        the column name without a dictionary.
    log : bool, default False
        Logarithmic y axis; pairs with a value ≤ 0 are then not drawn (they still count in
        the panel's n, and a note under the panel says how many).
    figsize : tuple of float, default (6.5, 3.4)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One line per patient with both values (complete pairs only), the medians of the
        complete pairs at each time point joined by a thick black line (on a log axis, only
        when both are > 0), and the number of complete pairs in each
        panel title (``"CR (n = 23)"``). X ticks are the time point labels of the
        dictionary (the column names without one).

    Notes
    -----
    Artist ids: ``pairs:{group}`` (a line collection, one segment per patient),
    ``median:{group}``, ``no_data``.
    """
    lv = s.levels(data, group)
    with s.drawing():
        fig, axes = s.new_figure(figsize, 1, max(1, len(lv)), sharey=True)
        any_pairs = _paired_row(axes[0], data, before, after, group, lv, ylabel=ylabel, log=log)
        if any_pairs:
            _paired_legend(fig)
    return fig


def _paired_row(
    row: Any,
    data: pd.DataFrame,
    before: str,
    after: str,
    group: str | None,
    lv: list,
    *,
    ylabel: str | None,
    log: bool,
    titles: bool = True,
) -> bool:
    """Draw one marker's paired values, one axis of ``row`` per group; True when any pair."""
    x_labels = [s.timepoint_label(before), s.timepoint_label(after)]
    b_all = s.values(data, before) if len(data) else np.array([], dtype=float)
    a_all = s.values(data, after) if len(data) else np.array([], dtype=float)
    any_pairs = False
    for i, level in enumerate(lv):
        ax = row[i]
        sel = s.group_mask(data, group, level) if len(data) else np.zeros(0, dtype=bool)
        b, a = b_all[sel], a_all[sel]
        ok = ~np.isnan(b) & ~np.isnan(a)
        n_pairs = int(ok.sum())
        med = (np.median(b[ok]), np.median(a[ok])) if n_pairs else (np.nan, np.nan)
        if log:
            ok &= (b > 0) & (a > 0)
        b, a = b[ok], a[ok]
        colour = s.group_color(level, i)
        ax.set_title(
            s.n_label(level, n_pairs, sep=" ") if titles else f"n = {n_pairs}", color="black"
        )
        if n_pairs > len(b):
            hidden = n_pairs - len(b)
            ax.text(
                0.5,
                -0.13,
                f"{hidden} pair{'s' if hidden > 1 else ''} with a value ≤ 0\nnot shown",
                transform=ax.transAxes,
                ha="center",
                va="top",
                fontsize=8,
                color=s.GREY,
            )
        if len(b):
            any_pairs = True
            segments = np.stack(
                [np.column_stack([np.zeros(len(b)), b]), np.column_stack([np.ones(len(a)), a])],
                axis=1,
            )
            ax.add_collection(
                LineCollection(
                    segments,
                    colors=[to_rgba(colour, 0.45)],
                    linewidths=0.9,
                    gid=f"pairs:{level}",
                )
            )
            ax.scatter(
                np.r_[np.zeros(len(b)), np.ones(len(a))],
                np.r_[b, a],
                s=7,
                color=colour,
                alpha=0.6,
                linewidths=0,
                zorder=2,
            )
        if n_pairs and (not log or min(med) > 0):
            ax.plot(
                [0, 1],
                list(med),
                color="black",
                lw=2.2,
                marker="o",
                ms=5,
                zorder=4,
                gid=f"median:{level}",
            )
        elif n_pairs == 0:
            s.no_data(ax, "No complete pairs")
        ax.set_xticks([0, 1], x_labels)
        ax.set_xlim(-0.3, 1.3)
        if i > 0:
            ax.tick_params(axis="y", which="both", left=False)
            ax.spines["left"].set_visible(False)
    if log:
        s.log_axis(row[0], "y")
    elif any_pairs:
        row[0].autoscale(axis="y")
    row[0].set_ylabel(ylabel if ylabel is not None else s.marker_label(before))
    return any_pairs


def _paired_legend(fig: Figure) -> None:
    handles = [
        Line2D([], [], color=s.GREY, lw=0.9, alpha=0.7, label="Individual patients"),
        Line2D([], [], color="black", lw=2.2, marker="o", ms=5, label="Median"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2)


def paired_changes(
    data: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    group: str | None = None,
    *,
    ylabels: Sequence[str] | None = None,
    log: bool = False,
    row_height: float = 2.9,
) -> Figure:
    """Paired values of several markers: one row per marker, one panel per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    pairs : sequence of (str, str)
        ``(before, after)`` columns of each marker, one row each.
    group : str or None, optional
        Grouping column (one panel per group).
    ylabels : sequence of str, optional
        Y label of each row.
    log : bool, default False
        Logarithmic y axes.
    row_height : float
        Height of a row in inches.

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`paired_change`, a row per marker (each row with its own y axis); the
        panel titles of the first row name the groups, later rows give the pair counts.
    """
    lv = s.levels(data, group)
    pairs = list(pairs)
    labels = list(ylabels) if ylabels is not None else [None] * len(pairs)
    with s.drawing():
        fig, axes = s.new_figure(
            (s.TEXT_WIDTH_IN, 0.6 + row_height * max(1, len(pairs))),
            max(1, len(pairs)),
            max(1, len(lv)),
            sharey="row",
        )
        any_pairs = False
        for k, ((before, after), ylabel) in enumerate(zip(pairs, labels, strict=True)):
            any_pairs |= _paired_row(
                axes[k], data, before, after, group, lv, ylabel=ylabel, log=log
            )
        if not pairs:
            s.no_data(axes[0, 0], "No marker to show")
        if any_pairs:
            _paired_legend(fig)
    return fig
