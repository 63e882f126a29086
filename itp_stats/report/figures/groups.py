"""Markers by group: box plots with points, small multiples, paired change.

Labels are laid out from the room they get, measured in the project font: group names are
wrapped to the width of their group's slot under the axis (or, when a word is wider than
the slot, the ticks give the n alone and a legend names the coloured groups), panel titles
and p-values to the width of their panel, y labels to the height of their row; time point
labels wider than their half of a panel turn upright.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from itp_stats.report.figures import _style as s

__all__ = ["marker_by_group", "markers_grid", "paired_change", "paired_changes"]

_JITTER = 0.13
_BOX_WIDTH = 0.5
_MIN_BOX = 3  # fewer values: points only (quartiles of 1 or 2 values mean nothing)

_Y_AXIS_IN = 0.6
"""Width in inches taken left of a panel's axes by its y tick labels, y label and padding."""
_X_AXIS_IN = 0.9
"""Height in inches taken from a row of panels by its title, x tick labels and padding."""
_TICK_GAP_IN = 0.1
"""Room in inches kept between neighbouring x tick labels."""
_TICK_PT = 8.0
"""Size of tick labels (``xtick.labelsize`` of the style)."""
_TITLE_PT = 8.5
"""Size of a small-multiple panel's title."""
_LABEL_PT = 9.0
"""Size of axis labels and titles (``axes.labelsize``, ``axes.titlesize``)."""


class _Drawn(NamedTuple):
    """What :func:`_draw_by_group` drew: n per group, whether the ticks name the groups."""

    counts: dict[Hashable, int]
    named: bool


def _group_ticks(
    lv: Sequence[Hashable], counts: Mapping[Hashable, int], slot: float, *, brackets: bool
) -> tuple[list[str], bool]:
    """Tick labels of the groups, each at most ``slot`` inches wide.

    Returns
    -------
    tuple of (list of str, bool)
        Each group's name wrapped to the slot over its n (``"CR\\n(n = 25)"``) and True; or,
        when a word of a name is wider than the slot, the n alone (``"n = 25"``) and False
        (the caller then names the groups in a legend).
    """
    room = slot - _TICK_GAP_IN
    fitted = [s.fit_text(str(level), room, _TICK_PT) for level in lv]
    if all(fits for _, fits in fitted):
        labels = [
            s.n_label(name, counts[level], brackets=brackets)
            for (name, _), level in zip(fitted, lv, strict=True)
        ]
        return labels, True
    return [f"n = {counts[level]}" for level in lv], False


def _legend_handles(lv: Sequence[Hashable]) -> list[Patch]:
    """One patch per group, in the group's colour, labelled with its name."""
    handles = []
    for i, level in enumerate(lv):
        colour = s.group_color(level, i)
        handles.append(
            Patch(facecolor=to_rgba(colour, 0.18), edgecolor=colour, lw=1.0, label=str(level))
        )
    return handles


def _legend_columns(lv: Sequence[Hashable], width: float) -> int:
    """How many legend entries fit side by side in ``width`` inches."""
    widest = max((s.text_width(str(level), _TICK_PT) for level in lv), default=0.0) + 0.55
    return max(1, min(len(lv), int(width // widest)))


def _note_below_axis(ax: Axes, text: str, width: float) -> None:
    """Write ``text`` in grey under the x axis label of ``ax``, right-aligned with the axes,
    wrapped to ``width`` inches."""
    ax.annotate(
        s.fit_text(text, width, _TICK_PT)[0],
        xy=(1.0, 0.0),
        xycoords=("axes fraction", ax.xaxis.label),
        xytext=(0, -2),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
        color=s.GREY,
        gid="hidden_note",
    )


def _draw_by_group(
    ax: Axes,
    data: pd.DataFrame,
    column: str,
    group: str | None,
    *,
    log: bool,
    seed: int,
    point_size: float,
    slot: float,
    brackets: bool = True,
) -> _Drawn:
    """Box (no fliers) + jittered points per group on ``ax``; ticks fitted to ``slot`` inches.

    Returns the n per group and whether the ticks name the groups (else a legend must).
    """
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
    labels, named = _group_ticks(lv, counts, slot, brackets=brackets)
    ax.set_xticks(range(len(lv)), labels)
    ax.set_xlim(-0.6, len(lv) - 0.4)
    ax.tick_params(axis="x", length=0)
    if log:
        s.log_axis(ax, "y")
    if not any(counts.values()):
        ax.set_yticks([])
        s.no_data(ax)
    elif hidden:
        note = f"{hidden} value{'s' if hidden > 1 else ''} ≤ 0 not shown (log scale)"
        _note_below_axis(ax, note, slot * (len(lv) + 0.2))
    return _Drawn(counts, named)


def _annotate_p(ax: Axes, text: str, width: float) -> None:
    """Write ``text`` at the top left of ``ax``, wrapped to ``width`` inches, above the data."""
    text, _ = s.fit_text(text, width, _LABEL_PT)
    lines = text.count("\n") + 1
    lo, hi = ax.get_ylim()
    room = 0.12 * lines
    if ax.get_yscale() == "log":
        ax.set_ylim(lo, hi * (hi / lo) ** room)
    else:
        ax.set_ylim(lo, hi + room * (hi - lo))
    ax.text(0.02, 0.98, text, transform=ax.transAxes, ha="left", va="top", gid="p_value")


def _p_under_title(ax: Axes, text: str, width: float) -> float:
    """Write ``text`` centred on top of ``ax``, wrapped to ``width`` inches.

    Returns the title pad in points that keeps the panel's title above it.
    """
    text, _ = s.fit_text(text, width, _TICK_PT)
    lines = text.count("\n") + 1
    ax.annotate(
        text,
        xy=(0.5, 1.0),
        xycoords="axes fraction",
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=_TICK_PT,
        gid="p_value",
    )
    return 6 + 1.25 * _TICK_PT * lines


def _axes_width(ax: Axes) -> float:
    """Width of ``ax`` in inches as placed now (before a layout engine shrinks it)."""
    return float(ax.get_position().width * ax.get_figure().get_size_inches()[0])


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
        labels give the number of non-missing values per group (``"CR\\n(n = 25)"``), the
        name wrapped to its place under the axis; when a word of a name is wider than that
        place, the ticks give the n alone (``"n = 25"``) and a legend above the axes names
        the coloured groups.

    Notes
    -----
    Rows with a missing value or a missing group are left out. Each group has the colour of
    its position in the context's level order (the same in every figure). Artists carry ids
    for tests and SVG: ``box:{group}``, ``points:{group}``, ``p_value``, ``hidden_note``
    (values ≤ 0 on a log axis, under the x label), ``no_data``.
    """
    with s.drawing():
        if ax is None:
            fig, axes = s.new_figure(figsize)
            ax = axes[0, 0]
            width = figsize[0] - _Y_AXIS_IN - 0.2
        else:
            fig = ax.get_figure()
            width = 0.85 * _axes_width(ax)
        lv = s.levels(data, group)
        drawn = _draw_by_group(
            ax,
            data,
            column,
            group,
            log=log,
            seed=seed,
            point_size=16,
            slot=_slot(width, len(lv)),
        )
        ax.set_ylabel(ylabel if ylabel is not None else s.axis_label(column))
        xlabel = xlabel if xlabel is not None else s.group_axis_label(group)
        ax.set_xlabel(s.fit_text(xlabel, width, _LABEL_PT)[0])
        if p_value is not None or p_label is not None:
            _annotate_p(ax, s.p_annotation(p_value, p_label), width - 0.1)
        if not drawn.named:
            ax.legend(
                handles=_legend_handles(lv),
                loc="lower center",
                bbox_to_anchor=(0.5, 1.01),
                ncols=_legend_columns(lv, width),
            )
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
        the columns are not all at the same one), its p-value under the title, its y axis
        gives the unit and its tick labels the n per group (``"CR\\nn = 25"``, without
        brackets to fit). Group names wider than their slot under the axis are left out of
        the ticks (``"n = 25"``) and named in a legend above the panels. An empty
        ``columns`` gives a "No data" figure.

    Notes
    -----
    The layout follows from the number of panels and groups and the length of the labels:
    fewer than ``ncols`` panels per row when the groups' counts would not fit side by side,
    titles and p-values wrapped to the panel's width.
    """
    columns = s.as_list(columns)
    lv = s.levels(data, group)
    ncols = _grid_columns(ncols, len(columns), len(lv), len(data))
    nrows = max(1, math.ceil(len(columns) / ncols))
    timepoints = {s.timepoint_label(c) for c in columns}
    width = s.TEXT_WIDTH_IN / ncols - _Y_AXIS_IN  # of a panel's axes, in inches
    slot = _slot(width, len(lv))
    legend = 0.0 if _group_ticks(lv, dict.fromkeys(lv, 0), slot, brackets=False)[1] else 0.35
    with s.drawing():
        fig, axes = s.new_figure(
            (s.TEXT_WIDTH_IN, panel_height * nrows + 0.2 + legend), nrows, ncols
        )
        if not columns:
            axes[0, 0].set_axis_off()
            s.no_data(axes[0, 0])
            return fig
        named = True
        for k, ax in enumerate(axes.flat):
            if k >= len(columns):
                ax.set_axis_off()
                continue
            col = columns[k]
            col_log = log if isinstance(log, bool) else col in log
            drawn = _draw_by_group(
                ax,
                data,
                col,
                group,
                log=col_log,
                seed=seed,
                point_size=9,
                slot=slot,
                brackets=False,
            )
            named &= drawn.named
            title = s.panel_title(col, with_timepoint=len(timepoints) > 1)
            pad = None
            if p_values is not None and col in p_values:
                pad = _p_under_title(ax, s.p_annotation(p_values[col], p_label), width)
            # constrained layout makes room for a title but not for its width: wrap it
            ax.set_title(s.fit_text(title, width, _TITLE_PT)[0], fontsize=_TITLE_PT, pad=pad)
            ax.set_ylabel(s.unit(col) or "")
        if not named:
            fig.legend(
                handles=_legend_handles(lv),
                loc="outside upper center",
                ncols=_legend_columns(lv, s.TEXT_WIDTH_IN - 0.2),
            )
    return fig


def _grid_columns(ncols: int, n_panels: int, n_groups: int, n_rows: int) -> int:
    """Panels per row: at most ``ncols``, fewer when the groups' counts would not fit."""
    ncols = max(1, min(ncols, n_panels or 1))
    need = s.text_width(f"n = {n_rows}", _TICK_PT) + _TICK_GAP_IN
    while ncols > 1 and _slot(s.TEXT_WIDTH_IN / ncols - _Y_AXIS_IN, n_groups) < need:
        ncols -= 1
    return ncols


def _slot(width: float, n_groups: int) -> float:
    """Width in inches of a group's place on axes ``width`` inches wide (x from −0.6 to
    ``n_groups − 0.4``)."""
    return width / (max(1, n_groups) + 0.2)


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
        the panel's n, and a note under the panel, as its x label, says how many).
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
    Titles are wrapped to the width of a panel and the y label to the height of the axes;
    time point labels wider than half a panel are set upright.
    Artist ids: ``pairs:{group}`` (a line collection, one segment per patient),
    ``median:{group}``, ``no_data``.
    """
    lv = s.levels(data, group)
    size = _PairedSize(figsize[0], figsize[1] - 0.4, len(lv))
    with s.drawing():
        fig, axes = s.new_figure(figsize, 1, max(1, len(lv)), sharey=True)
        any_pairs = _paired_row(
            axes[0], data, before, after, group, lv, ylabel=ylabel, log=log, size=size
        )
        if any_pairs:
            _paired_legend(fig)
    return fig


class _PairedSize(NamedTuple):
    """Room of a row of paired panels: figure width, row height (inches), panels."""

    width: float
    height: float
    panels: int

    @property
    def axes_width(self) -> float:
        """Width of one panel's axes, in inches (the y axis takes room once per row)."""
        return (self.width - _Y_AXIS_IN - 0.1) / max(1, self.panels)

    @property
    def axes_height(self) -> float:
        """Height of the axes, in inches, without title and x tick labels."""
        return self.height - _X_AXIS_IN


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
    size: _PairedSize,
    titles: bool = True,
) -> bool:
    """Draw one marker's paired values, one axis of ``row`` per group; True when any pair."""
    # ticks at 0 and 1 of an x range −0.3 to 1.3: each label has 1/1.6 of the axes' width
    room = size.axes_width / 1.6 - _TICK_GAP_IN
    fitted = [s.fit_text(s.timepoint_label(c), room, _TICK_PT) for c in (before, after)]
    x_labels = [text for text, _ in fitted]
    upright = not all(fits for _, fits in fitted)
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
        title = s.n_label(level, n_pairs, sep=" ") if titles else f"n = {n_pairs}"
        ax.set_title(s.fit_text(title, size.axes_width, _LABEL_PT)[0], color="black")
        if n_pairs > len(b):
            hidden = n_pairs - len(b)
            ax.set_xlabel(
                f"{hidden} pair{'s' if hidden > 1 else ''} with a value ≤ 0\nnot shown",
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
        ax.set_xticks([0, 1], x_labels, rotation=90 if upright else 0)
        ax.set_xlim(-0.3, 1.3)
        if i > 0:
            ax.tick_params(axis="y", which="both", left=False)
            ax.spines["left"].set_visible(False)
    if log:
        s.log_axis(row[0], "y")
    elif any_pairs:
        row[0].autoscale(axis="y")
    label = ylabel if ylabel is not None else s.marker_label(before)
    row[0].set_ylabel(s.fit_text(label.replace("\n", " "), size.axes_height, _LABEL_PT)[0])
    return any_pairs


def _paired_legend(fig: Figure) -> None:
    handles = [
        Line2D(
            [],
            [],
            color=s.GREY,
            lw=0.9,
            alpha=0.7,
            label=f"Individual {s.get_context().participants}",
        ),
        Line2D([], [], color="black", lw=2.2, marker="o", ms=5, label="Median"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2)


def paired_changes(
    data: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    group: str | None = None,
    *,
    ylabels: Sequence[str] | None = None,
    log: bool | Collection[str] = False,
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
        Y label of each row (wrapped to the height of the row).
    log : bool or collection of str, default False
        Logarithmic y axes for every row, or for the rows whose ``before`` or ``after``
        column is listed (counts on a log scale, percentages not, as elsewhere).
    row_height : float
        Height of a row in inches.

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`paired_change`, a row per marker (each row with its own y axis); the
        panel titles name the groups with the pair counts.
    """
    lv = s.levels(data, group)
    pairs = list(pairs)
    labels = list(ylabels) if ylabels is not None else [None] * len(pairs)
    size = _PairedSize(s.TEXT_WIDTH_IN, row_height, len(lv))
    with s.drawing():
        fig, axes = s.new_figure(
            (s.TEXT_WIDTH_IN, 0.6 + row_height * max(1, len(pairs))),
            max(1, len(pairs)),
            max(1, len(lv)),
            sharey="row",
        )
        any_pairs = False
        for k, ((before, after), ylabel) in enumerate(zip(pairs, labels, strict=True)):
            row_log = log if isinstance(log, bool) else bool({before, after} & set(log))
            any_pairs |= _paired_row(
                axes[k], data, before, after, group, lv, ylabel=ylabel, log=row_log, size=size
            )
        if not pairs:
            s.no_data(axes[0, 0], "No marker to show")
        if any_pairs:
            _paired_legend(fig)
    return fig
