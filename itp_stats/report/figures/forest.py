"""Forest plot of effect sizes with confidence intervals across markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory

from itp_stats.report.figures import _style as s

__all__ = ["forest"]


def _interval(effect: float, low: float, high: float, digits: int) -> str:
    """``"0.40 (0.13 to 0.61)"``; the effect alone when the interval is missing."""
    text = s.fmt_num(effect, digits)
    if np.isfinite(low) and np.isfinite(high):
        text += f" ({s.fmt_interval(low, high, digits)})"
    return text


def forest(
    results: pd.DataFrame,
    *,
    label_col: str = "label",
    effect_col: str = "effect",
    low_col: str = "ci_low",
    high_col: str = "ci_high",
    null: float = 0.0,
    xlabel: str | None = None,
    conf_label: str = "95%",
    log: bool = False,
    annotate: bool = True,
    digits: int = 2,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot: one row per result, effect with its confidence interval.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per marker (drawn top to bottom in row order), e.g. a statistics table with
        columns ``label``, ``effect``, ``ci_low``, ``ci_high``. Rows with a missing effect
        (not computed, e.g. a group with fewer than 3 values) are drawn as the text
        "not computed"; a missing interval draws the point alone.
    label_col, effect_col, low_col, high_col : str
        Column names of the row label, the effect and the interval bounds.
    null : float, default 0.0
        Value of no effect, drawn as a vertical dashed line (use 1 for ratios).
    xlabel : str, optional
        X axis label, e.g. ``"Rank-biserial r, CR vs non-CR (99% CI)"``; default
        ``"Effect size ({conf_label} CI)"``.
    conf_label : str, default ``"95%"``
        Confidence level of the intervals as written (``"99%"`` for alpha 0.01), in the
        default x label and the header of the written estimates.
    log : bool, default False
        Logarithmic x axis (for odds ratios).
    annotate : bool, default True
        Write each effect and interval as text to the right of the plot.
    digits : int, default 2
        Decimals of the written effects, e.g. ``"0.40 (0.13 to 0.61)"``,
        ``"−0.45 (−0.70 to −0.20)"`` (intervals "a to b", true minus signs).
    figsize : tuple of float, optional
        Figure size in inches; by default 6.5 in wide and 0.3 in per row.

    Returns
    -------
    matplotlib.figure.Figure
        The figure. Artist ids: ``effects`` (one point per computed row, in row order),
        ``ci`` (one segment per row with an interval), ``null``, ``not_computed``,
        ``no_data``, ``estimates_header`` and ``estimate`` (the written estimates).

    Notes
    -----
    A linear x axis has at most five ticks, labelled in their shortest form (``−0.5``,
    ``0``, ``0.25``) so that labels never run together at the final size.
    """
    if xlabel is None:
        xlabel = f"Effect size ({conf_label} CI)"
    n = len(results)
    if figsize is None:
        figsize = (s.TEXT_WIDTH_IN, max(1.8, 0.3 * n + 1.0))
    with s.drawing():
        fig, axes = s.new_figure(figsize)
        ax = axes[0, 0]
        if n == 0:
            ax.set_axis_off()
            s.no_data(ax)
            return fig
        labels = [s.wrap(str(x), 40) for x in results[label_col].tolist()]
        eff = s.values(results, effect_col)
        low = s.values(results, low_col) if low_col in results else np.full(n, np.nan)
        high = s.values(results, high_col) if high_col in results else np.full(n, np.nan)
        y = np.arange(n)[::-1].astype(float)
        ax.axvline(null, color=s.GREY, ls="--", lw=0.8, zorder=1, gid="null")
        computed = np.isfinite(eff)
        with_ci = computed & np.isfinite(low) & np.isfinite(high)
        if with_ci.any():
            segments = [[(lo, yy), (hi, yy)] for lo, hi, yy in zip(low, high, y, strict=True)]
            ax.add_collection(
                LineCollection(
                    [seg for seg, keep in zip(segments, with_ci, strict=True) if keep],
                    colors="black",
                    linewidths=1.1,
                    gid="ci",
                )
            )
        if computed.any():
            ax.scatter(
                eff[computed], y[computed], marker="s", s=22, color="black", zorder=3, gid="effects"
            )
        # x range from the data and the null value, before placing the notes
        xs = np.concatenate([eff[computed], low[with_ci], high[with_ci], [null]])
        lo, hi = float(np.min(xs)), float(np.max(xs))
        if log:
            s.log_axis(ax, "x")
            lo, hi = max(lo, 1e-6), max(hi, 1e-6)
            pad = (hi / lo) ** 0.08 if hi > lo else 2.0
            ax.set_xlim(lo / pad, hi * pad)
        else:
            pad = 0.08 * (hi - lo) if hi > lo else 1.0
            ax.set_xlim(lo - pad, hi + pad)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(s.fmt_tick))
        for yy in y[~computed]:
            ax.text(
                null,
                yy,
                "not computed",
                ha="center",
                va="center",
                fontsize=8,
                fontstyle="italic",
                color=s.GREY,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
                zorder=4,
                gid="not_computed",
            )
        if annotate:
            trans = blended_transform_factory(ax.transAxes, ax.transData)
            ax.text(
                1.03,
                1.0,
                f"Estimate ({conf_label} CI)",
                transform=ax.transAxes,
                va="bottom",
                gid="estimates_header",
            )
            for yy, e, lo_, hi_ in zip(y, eff, low, high, strict=True):
                if np.isfinite(e):
                    ax.text(
                        1.03,
                        yy,
                        _interval(e, lo_, hi_, digits),
                        transform=trans,
                        va="center",
                        gid="estimate",
                    )
        ax.set_yticks(y, labels)
        ax.set_ylim(-0.7, n - 0.3)
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        written = [f"Estimate ({conf_label} CI)"] if annotate else []
        written += [_interval(*v, digits) for v in zip(eff, low, high, strict=True) if annotate]
        ax.set_xlabel(_fit_xlabel(xlabel, figsize[0], labels, written))
    return fig


def _fit_xlabel(xlabel: str, width: float, labels: list[str], written: list[str]) -> str:
    """``xlabel`` wrapped to the width left to the axes of a ``width``-inch figure by the row
    ``labels`` (8 pt) and the ``written`` estimates (9 pt)."""
    rows = max((s.text_width(x, 8) for x in labels), default=0.0) + 0.2
    estimates = max((s.text_width(x, 9) for x in written), default=0.0) + 0.3
    return s.fit_text(xlabel, max(1.5, width - rows - estimates), 9)[0]
