"""Kaplan–Meier curves by group with the numbers at risk under the axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from itp_stats.report.figures import _style as s

__all__ = ["km_panels"]

_CURVE_HEIGHT = 2.6  # inches of one panel's curves
_RISK_ROW = 0.17  # inches per group of the numbers-at-risk table


def _draw_curves(ax, panel: dict[str, Any]) -> None:
    curve = panel["curve"]
    for i, group in enumerate(panel["groups"]):
        rows = curve[curve["group"] == group].sort_values("time")
        if rows.empty:
            continue
        color = s.group_color(group, i) if group != "all" else s.OKABE_ITO["blue"]
        name = panel["names"].get(group, str(group))
        ax.step(rows["time"], rows["survival"], where="post", color=color, linewidth=1.3,
                label=name)  # fmt: skip
        ax.fill_between(rows["time"], rows["ci_low"], rows["ci_high"], step="post",
                        color=color, alpha=0.12, linewidth=0)  # fmt: skip
        cens = rows[rows["censored"] > 0]
        ax.plot(cens["time"], cens["survival"], linestyle="none", marker="|", markersize=5,
                color=color, markeredgewidth=0.9)  # fmt: skip
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(panel["ylabel"])
    title = panel["title"] + (f" ({panel['p']})" if panel.get("p") else "")
    ax.set_title(title, fontsize=9, loc="left")
    if len(panel["groups"]) > 1:  # above the panel, right: never over a curve
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(panel["groups"]),
                  frameon=False, borderaxespad=0.2, handlelength=1.4,
                  columnspacing=1.0)  # fmt: skip


def _draw_risk(ax, main, panel: dict[str, Any]) -> None:
    risk = panel["risk"]
    groups = panel["groups"]
    ax.set_xlim(main.get_xlim())
    ax.set_ylim(-0.5, len(groups) - 0.5)
    ax.invert_yaxis()
    for j, group in enumerate(groups):
        rows = risk[risk["group"] == group]
        color = s.group_color(group, j) if group != "all" else s.OKABE_ITO["blue"]
        for _, r in rows.iterrows():
            ax.text(r["time"], j, str(int(r["at_risk"])), ha="center", va="center",
                    fontsize=7, color=color)  # fmt: skip
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([panel["names"].get(g, str(g)) for g in groups], fontsize=7)
    ax.tick_params(axis="both", length=0)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("Number at risk", fontsize=7, loc="left")


def km_panels(panels: Sequence[dict[str, Any]]) -> Figure:
    """Kaplan–Meier curves, one panel per endpoint, each with its numbers at risk.

    Parameters
    ----------
    panels : sequence of dict
        Per panel: ``title``, ``xlabel``, ``ylabel``; ``curve`` (``group``, ``time``,
        ``survival``, ``ci_low``, ``ci_high``, ``censored``: :func:`itp_stats.stats.survival
        .km_curve`), ``risk`` (``group``, ``time``, ``at_risk``), ``groups`` (in order),
        ``names`` (group → name shown) and ``p`` (the log-rank p as printed, or "").

    Returns
    -------
    Figure
        Per panel, the step curves with shaded pointwise intervals and censoring ticks, and
        under the axis a table of the numbers at risk at the axis' ticks; "No data" when a
        panel has no curve.
    """
    heights = []
    for panel in panels:
        heights += [_CURVE_HEIGHT, 0.3 + _RISK_ROW * max(len(panel["groups"]), 1)]
    with s.drawing():
        fig, axes = s.new_figure(
            (5.6, max(sum(heights), 1.0)),
            nrows=max(len(heights), 1),
            gridspec_kw={"height_ratios": heights or [1]},
        )
        if not panels:
            s.no_data(axes[0, 0])
            return fig
        for k, panel in enumerate(panels):
            main, table = axes[2 * k, 0], axes[2 * k + 1, 0]
            if panel["curve"].empty:
                s.no_data(main)
                table.set_axis_off()
                continue
            _draw_curves(main, panel)
            ticks = sorted(set(panel["risk"]["time"])) or [0.0]
            main.set_xticks(ticks)
            main.xaxis.set_major_formatter(s.fmt_tick)
            end = max(float(panel["curve"]["time"].max()), ticks[-1], 1e-9)
            main.set_xlim(-0.02 * end, end * 1.02)
            main.set_xlabel(panel["xlabel"])
            _draw_risk(table, main, panel)
    return fig
