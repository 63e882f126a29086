"""Calibration plot of a prediction model: observed against predicted risk."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from itp_stats.report.figures import _style as s

__all__ = ["calibration_plot"]


def calibration_plot(curve: pd.DataFrame, *, outcome_label: str, summary: str = "") -> Figure:
    """Observed proportion against mean predicted risk by risk group, with the smoother.

    Parameters
    ----------
    curve : DataFrame
        Rows of :func:`itp_stats.stats.calibration.calibration_curve`: ``kind`` "group"
        (``predicted``, ``observed``, ``ci_low``, ``ci_high``, ``n``) and "smooth".
    outcome_label : str
        What the risk is of (the y axis reads "Observed proportion of <outcome>").
    summary : str
        A line printed above the panel (the corrected calibration slope and Brier score).

    Returns
    -------
    Figure
        One square panel: the diagonal of perfect calibration (dashed), the groups with
        their exact intervals, the lowess curve; a "No data" note when ``curve`` is empty.
    """
    with s.drawing():
        fig, axes = s.new_figure((4.2, 4.0))  # the size of the ROC curve beside it
        ax = axes[0, 0]
        ax.plot([0, 1], [0, 1], linestyle="--", color=s.GREY, linewidth=0.8, zorder=1)
        groups = curve[curve["kind"] == "group"] if not curve.empty else curve
        smooth = curve[curve["kind"] == "smooth"] if not curve.empty else curve
        if groups.empty:
            s.no_data(ax)
        else:
            ax.errorbar(
                groups["predicted"],
                groups["observed"],
                yerr=[
                    groups["observed"] - groups["ci_low"],
                    groups["ci_high"] - groups["observed"],
                ],
                fmt="o",
                color=s.OKABE_ITO["blue"],
                markersize=4,
                capsize=2,
                linewidth=0.8,
                label="Risk groups (exact CI)",
                zorder=3,
            )
            if not smooth.empty:
                ax.plot(
                    smooth["predicted"],
                    smooth["observed"],
                    color=s.OKABE_ITO["vermillion"],
                    linewidth=1.2,
                    label="Smoothed (lowess)",
                    zorder=2,
                )
            ax.legend(loc="upper left", frameon=False)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("Predicted risk")
        ax.set_ylabel(f"Observed proportion of {outcome_label}")
        if summary:  # above the panel, where no point or curve can be
            head, _, rest = summary.partition(": ")
            ax.set_title(f"{head}:\n{rest}" if rest else summary, fontsize=8)
    return fig
