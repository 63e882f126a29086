"""ROC curve of a baseline marker for a binary outcome."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from itp_stats.report.figures import _style as s

__all__ = ["roc_curve"]

_LABEL_OFFSETS: tuple[tuple[int, int], ...] = tuple(
    sorted(
        (
            (dx, dy)
            for dx in (8, -8, 24, -24, 48, -48, 80, -80, 120, -120)
            for dy in (*range(-200, -9, 10), *range(10, 201, 10))
        ),
        key=lambda o: (math.hypot(*o), o),
    )
)
"""Offsets in points of the cutoff label from its point, nearest first (tried in order)."""

_AUC_SPOTS: tuple[tuple[float, float, str, str], ...] = (
    (0.98, 0.04, "right", "bottom"),
    (0.98, 0.16, "right", "bottom"),
    (0.02, 0.98, "left", "top"),
    (0.02, 0.86, "left", "top"),
)
"""Places of the AUC text in axes fractions (x, y, ha, va), the lower right first."""


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _cutoff_from_table(table: pd.DataFrame) -> dict[str, Any]:
    """The cutoff as a mapping, from a one-row table or a long prediction table.

    A table with columns ``threshold``, ``sensitivity``, ``specificity`` (and optionally
    ``ci_low``, ``ci_high``) gives its first row; the long table of ``youden_cutoff`` gives the
    ``effect`` of the rows ``youden_cutoff`` (with the ``ci_low``, ``ci_high`` of that row),
    ``sensitivity`` and ``specificity``.
    """
    if {"threshold", "sensitivity", "specificity"} <= set(table.columns):
        return table.iloc[0].to_dict() if len(table) else {}
    names = {
        "youden_cutoff": "threshold",
        "sensitivity": "sensitivity",
        "specificity": "specificity",
    }
    out: dict[str, Any] = {}
    for row in table.to_dict("records"):
        key = names.get(row.get("effect_type"))
        if key is None:
            continue
        out[key] = row.get("effect")
        if key == "threshold":
            out["ci_low"], out["ci_high"] = row.get("ci_low"), row.get("ci_high")
    return out


def _drawable(cutoff: Mapping[str, Any]) -> bool:
    """Whether the cutoff can be drawn: finite values, inside its own CI when it has one.

    A threshold that is infinite (every patient on one side) or outside its bootstrap
    interval is not a usable cutoff; a bound that is missing (no CI computed) is not checked.
    """
    if not all(_finite(cutoff.get(k)) for k in ("threshold", "sensitivity", "specificity")):
        return False
    thr = float(cutoff["threshold"])
    low, high = cutoff.get("ci_low"), cutoff.get("ci_high")
    if _finite(low) and thr < float(low):
        return False
    return not (_finite(high) and thr > float(high))


def _is_clear(box: Bbox, ax: Axes, avoid: Sequence[Bbox], renderer: Any) -> bool:
    """Whether ``box`` (display units) is inside ``ax``, off its lines and off ``avoid``."""
    frame = ax.get_window_extent(renderer)
    if Bbox.union([frame, box]).bounds != frame.bounds:
        return False
    for line in ax.get_lines():
        path = line.get_transform().transform_path(line.get_path())
        if len(path.vertices) and path.intersects_bbox(box, filled=False):
            return False
    return not any(box.overlaps(other) for other in avoid)


def _leader_is_clear(label: Annotation, box: Bbox, ax: Axes) -> bool:
    """Whether the leader of ``label`` (from its point to the middle of ``box``) crosses no
    line of ``ax`` away from the point (the curve passes through the point itself)."""
    start = ax.transData.transform(label.xy)
    end = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    length = float(np.hypot(*(end - start)))
    if length < 12:
        return True
    leader = Path([start + (end - start) * 6 / length, end])
    for line in ax.get_lines():
        path = line.get_transform().transform_path(line.get_path())
        if len(path.vertices) > 1 and leader.intersects_path(path):
            return False
    return True


def _place(
    fig: Figure,
    ax: Axes,
    text: Text,
    spots: Sequence[Callable[[Text], None]],
    avoid: Sequence[Bbox] = (),
) -> Bbox:
    """Move ``text`` to the first of ``spots`` where it is clear (:func:`_is_clear`).

    Each spot is a function setting the text's position. The layout is drawn first, so the
    boxes are those of the final figure; ``text`` is kept out of the layout (it stays inside
    the axes). An annotation keeps off its own point, and goes first to a spot whose leader
    crosses no line either, then to any clear spot. When no spot is clear, the text stays at
    the first one, on a white ground so that no line runs through its letters. Returns the
    box of the text, in display units.
    """
    text.set_in_layout(False)
    canvas = FigureCanvasAgg(fig)  # measured on a raster canvas (pyplot closed the figure's)
    fig.draw_without_rendering()
    renderer = canvas.get_renderer()
    avoid = list(avoid)
    if isinstance(text, Annotation):
        x, y = ax.transData.transform(text.xy)
        avoid.append(Bbox.from_extents(x - 5, y - 5, x + 5, y + 5))

    def box() -> Bbox:
        if isinstance(text, Annotation):
            text.update_positions(renderer)
        return Text.get_window_extent(text, renderer).padded(2)

    passes = (True, False) if isinstance(text, Annotation) else (False,)
    for leader in passes:
        for spot in spots:
            spot(text)
            where = box()
            if _is_clear(where, ax, avoid, renderer) and (
                not leader or _leader_is_clear(text, where, ax)
            ):
                return where
    spots[0](text)
    text.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 1.0, "alpha": 0.9})
    text.set_zorder(5)
    return box()


def _offset_spot(dx: int, dy: int) -> Callable[[Text], None]:
    """A spot of the cutoff label: ``(dx, dy)`` points from its point, aligned away from it."""

    def move(label: Text) -> None:
        label.xyann = (dx, dy)
        label.set_ha("left" if dx > 0 else "right")
        label.set_va("top" if dy < 0 else "bottom")

    return move


def _axes_spot(x: float, y: float, ha: str, va: str) -> Callable[[Text], None]:
    """A spot of the AUC text in axes fractions."""

    def move(text: Text) -> None:
        text.set_position((x, y))
        text.set_ha(ha)
        text.set_va(va)

    return move


def roc_curve(
    points: pd.DataFrame,
    *,
    auc: float | pd.DataFrame | None = None,
    ci: Sequence[float] | None = None,
    cutoff: Mapping[str, Any] | pd.Series | pd.DataFrame | None = None,
    threshold_unit: str | None = None,
    threshold_text: str | None = None,
    conf_label: str = "95%",
    figsize: tuple[float, float] = (4.2, 4.0),
) -> Figure:
    """Receiver operating characteristic curve, with its AUC and the Youden cutoff.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per threshold with columns ``threshold``, ``sensitivity`` and ``specificity``
        (proportions, 0–1), in any order; rows with a missing sensitivity or specificity are
        left out. Endpoints (0, 0) and (1, 1) are drawn only if they are rows.
    auc : float or pandas.DataFrame, optional
        Area under the curve, written at the lower right as ``"AUC 0.74"``; or the one-row
        table of :func:`itp_stats.stats.prediction.roc_auc`, whose ``effect``, ``ci_low`` and
        ``ci_high`` give the AUC and its CI.
    ci : sequence of two floats, optional
        Confidence interval of the AUC, added as ``"({conf_label} CI 0.62 to 0.86)"``.
    cutoff : mapping, pandas.Series or pandas.DataFrame, optional
        The Youden cutoff with keys ``threshold``, ``sensitivity``, ``specificity`` and,
        optionally, ``ci_low``, ``ci_high`` (the interval of the threshold); or the table of
        :func:`itp_stats.stats.prediction.youden_cutoff` (rows ``effect_type`` =
        ``youden_cutoff`` with its CI, ``sensitivity``, ``specificity``). Marked on the curve
        and labelled with its threshold, sensitivity and specificity, but only when the
        threshold is finite and lies within its own interval (``ci_low ≤ threshold ≤
        ci_high``; a missing bound is not checked): otherwise the curve and AUC are drawn
        without a cutoff.
    threshold_unit : str, optional
        Unit written after the cutoff threshold (e.g. ``"cells/µL"``).
    threshold_text : str, optional
        The threshold as the report's text prints it (``"1.85"``: the digits of
        :func:`itp_stats.report.tables.cutoff_digits`), so that the figure and the text show
        one number; by default up to 4 significant digits.
    conf_label : str, default ``"95%"``
        Confidence level of ``ci`` as written (``"99%"`` for alpha 0.01).
    figsize : tuple of float, default (4.2, 4.0)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Sensitivity against 1 − specificity, points joined in order of increasing
        1 − specificity (then sensitivity), with the chance diagonal. Artist ids: ``roc``,
        ``chance``, ``cutoff``, ``cutoff_label``, ``auc``, ``no_data``.

    Notes
    -----
    The AUC is written at the lower right, else at the upper left, wherever no line runs
    through it; the cutoff label at the nearest place to its point, joined to it by a
    leader, that is inside the axes and clear of the curve, the diagonal and the AUC. (When
    no place is clear, the label gets a white ground.)
    """
    if isinstance(auc, pd.DataFrame):
        row = auc.iloc[0] if len(auc) else pd.Series(dtype=float)
        if ci is None and {"ci_low", "ci_high"} <= set(row.index):
            ci = (row["ci_low"], row["ci_high"])
        auc = row.get("effect")
    if isinstance(cutoff, pd.DataFrame):
        cutoff = _cutoff_from_table(cutoff)
    with s.drawing():
        fig, axes = s.new_figure(figsize)
        ax = axes[0, 0]
        ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color=s.GREY, gid="chance")
        pts = pd.DataFrame(
            {
                "x": 1 - pd.to_numeric(points["specificity"], errors="coerce").astype(float),
                "y": pd.to_numeric(points["sensitivity"], errors="coerce").astype(float),
            }
        ).dropna()
        pts = pts.sort_values(["x", "y"], kind="stable")
        if len(pts):
            ax.plot(
                pts["x"].to_numpy(),
                pts["y"].to_numpy(),
                color=s.OKABE_ITO["blue"],
                lw=1.6,
                gid="roc",
                solid_joinstyle="miter",
            )
        else:
            s.no_data(ax)
        ticks = np.linspace(0, 1, 6)
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("1 − specificity")
        ax.set_ylabel("Sensitivity")
        avoid = []
        if _finite(auc):
            text = f"AUC {s.fmt_num(float(auc))}"
            if ci is not None and len(ci) == 2 and all(_finite(c) for c in ci):
                text += f" ({conf_label} CI {s.fmt_interval(float(ci[0]), float(ci[1]))})"
            auc_text = ax.text(0.98, 0.04, text, transform=ax.transAxes, gid="auc")
            avoid.append(_place(fig, ax, auc_text, [_axes_spot(*spot) for spot in _AUC_SPOTS]))
        if cutoff is not None and _drawable(cutoff):
            cx, cy = 1 - float(cutoff["specificity"]), float(cutoff["sensitivity"])
            ax.plot(
                [cx],
                [cy],
                ls="none",
                marker="o",
                ms=6,
                mfc=s.OKABE_ITO["vermillion"],
                mec="white",
                zorder=4,
                gid="cutoff",
            )
            shown = threshold_text or s.fmt_threshold(float(cutoff["threshold"]))
            head = f"Youden cutoff {shown}"
            if threshold_unit:
                head += f" {threshold_unit}"
            text = (
                f"{head}\nsensitivity {float(cutoff['sensitivity']):.0%}\n"
                f"specificity {float(cutoff['specificity']):.0%}"
            )
            label = ax.annotate(
                text,
                xy=(cx, cy),
                xytext=(12, -22),
                textcoords="offset points",
                fontsize=8,
                arrowprops={"arrowstyle": "-", "color": s.GREY, "lw": 0.7, "shrinkB": 4},
                gid="cutoff_label",
            )
            _place(fig, ax, label, [_offset_spot(*o) for o in _LABEL_OFFSETS], avoid)
    return fig
