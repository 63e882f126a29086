"""ROC curve of a baseline marker for a binary outcome."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from itp_stats.report.figures import _style as s

__all__ = ["roc_curve"]


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


def roc_curve(
    points: pd.DataFrame,
    *,
    auc: float | pd.DataFrame | None = None,
    ci: Sequence[float] | None = None,
    cutoff: Mapping[str, Any] | pd.Series | pd.DataFrame | None = None,
    threshold_unit: str | None = None,
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
            head = f"Youden cutoff {s.fmt_threshold(float(cutoff['threshold']))}"
            if threshold_unit:
                head += f" {threshold_unit}"
            text = (
                f"{head}\nsensitivity {float(cutoff['sensitivity']):.0%}, "
                f"specificity {float(cutoff['specificity']):.0%}"
            )
            # place the label to the right of the point, or to its left near the right edge
            right = cx < 0.45
            ax.annotate(
                text,
                xy=(cx, cy),
                xytext=(12 if right else -12, -22),
                textcoords="offset points",
                ha="left" if right else "right",
                va="top",
                fontsize=8,
                arrowprops={"arrowstyle": "-", "color": s.GREY, "lw": 0.7},
                gid="cutoff_label",
            )
        if _finite(auc):
            text = f"AUC {s.fmt_num(float(auc))}"
            if ci is not None and len(ci) == 2 and all(_finite(c) for c in ci):
                text += f" ({conf_label} CI {s.fmt_interval(float(ci[0]), float(ci[1]))})"
            ax.text(0.98, 0.04, text, transform=ax.transAxes, ha="right", va="bottom", gid="auc")
        ticks = np.linspace(0, 1, 6)
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("1 − specificity")
        ax.set_ylabel("Sensitivity")
    return fig
