"""Participant flow diagram (STROBE item 13) drawn with matplotlib boxes and arrows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from itp_stats.report.figures import _style as s

__all__ = ["participant_flow"]

DEFAULT_LABELS: dict[str, str] = {
    "assessed": "{Participants} in the data file",
    "excluded": "Excluded",
    "analysed": "Analysed",
}
"""Default texts of the three main boxes (override with ``labels`` or ``counts["labels"]``);
``{Participants}`` is the context's noun for the participants, capitalised (``Patients``)."""

_LINE = 9 / 72 * 1.3  # line height of 9 pt text, inches
_PAD = 0.09  # inner padding of a box, inches
_CHAR = 0.066  # mean width of a 9 pt DejaVu Sans character, inches
_STAGES = ("assessed", "excluded", "analysed", "group")


def _from_frame(frame: pd.DataFrame) -> dict[str, Any]:
    missing = {"stage", "label", "n"} - set(frame.columns)
    if missing:
        raise ValueError(f"flow table lacks column(s) {', '.join(sorted(missing))}")
    bad = set(frame["stage"]) - set(_STAGES)
    if bad:
        raise ValueError(f"unknown flow stage(s) {sorted(bad)}; expected {_STAGES}")
    out: dict[str, Any] = {"excluded": [], "groups": {}, "labels": {}}
    for stage, lab, n in frame[["stage", "label", "n"]].itertuples(index=False):
        if stage == "excluded":
            out["excluded"].append((str(lab), int(n)))
        elif stage == "group":
            out["groups"][str(lab)] = int(n)
        else:
            out[stage] = int(n)
            if isinstance(lab, str) and lab:
                out["labels"][stage] = lab
    return out


def _normalise(
    counts: Mapping[str, Any] | pd.DataFrame,
    labels: Mapping[str, str] | None,
    group_labels: Mapping[str, str] | None,
) -> dict[str, Any]:
    c = _from_frame(counts) if isinstance(counts, pd.DataFrame) else dict(counts)
    if "assessed" not in c:
        raise ValueError("flow counts need 'assessed'")
    assessed = int(c["assessed"])
    excluded = c.get("excluded") or []
    if isinstance(excluded, Mapping):
        excluded = list(excluded.items())
    excluded = [(str(reason), int(n)) for reason, n in excluded]
    n_excluded = sum(n for _, n in excluded)
    analysed = int(c.get("analysed", assessed - n_excluded))
    if analysed != assessed - n_excluded:
        raise ValueError(
            f"flow counts disagree: assessed {assessed} − excluded {n_excluded} ≠ analysed "
            f"{analysed}"
        )
    groups = {str(k): int(v) for k, v in dict(c.get("groups") or {}).items()}
    if groups and sum(groups.values()) != analysed:
        raise ValueError(
            f"flow counts disagree: groups add up to {sum(groups.values())}, analysed {analysed}"
        )
    if min([assessed, analysed, *(n for _, n in excluded), *groups.values()]) < 0:
        raise ValueError("flow counts must not be negative")
    who = s.get_context().participants
    default = {
        k: v.replace("{Participants}", who[:1].upper() + who[1:]) for k, v in DEFAULT_LABELS.items()
    }
    box_labels = {**default, **dict(c.get("labels") or {}), **dict(labels or {})}
    names = {
        str(k): str(v) for k, v in {**(c.get("group_labels") or {}), **(group_labels or {})}.items()
    }
    return {
        "assessed": assessed,
        "excluded": excluded,
        "n_excluded": n_excluded,
        "analysed": analysed,
        "groups": groups,
        "labels": box_labels,
        "names": names,
    }


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    text: str,
    *,
    align: str = "center",
    edge: str = "black",
    face: Any = "white",
    lw: float = 0.8,
    h: float | None = None,
) -> float:
    """Draw a box of width ``w`` with its top-left at (x, y) (y downwards); return its height."""
    if h is None:
        h = (text.count("\n") + 1) * _LINE + 2 * _PAD
    ax.add_patch(
        FancyBboxPatch((x, y), w, h, boxstyle="square,pad=0", facecolor=face, edgecolor=edge, lw=lw)
    )
    tx = x + w / 2 if align == "center" else x + _PAD
    ax.text(tx, y + h / 2, text, ha=align, va="center", linespacing=1.3, multialignment=align)
    return h


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>,head_length=0.5,head_width=0.25",
            "lw": 0.8,
            "color": "black",
            "shrinkA": 0,
            "shrinkB": 0,
        },
    )


def participant_flow(
    counts: Mapping[str, Any] | pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    group_labels: Mapping[str, str] | None = None,
    width: float = s.TEXT_WIDTH_IN,
) -> Figure:
    """STROBE-style participant flow diagram.

    Parameters
    ----------
    counts : mapping or pandas.DataFrame
        Either a mapping::

            {
                "assessed": 72,                     # required
                "excluded": [("follow-up shorter than 6 months", 2)],  # list of
                                                    # (reason, n) or {reason: n}; may be empty
                "analysed": 70,                     # optional: assessed − excluded
                "groups": {"CR": 25, "PR": 15, "NR": 30},  # in display order; may be empty
                "labels": {"assessed": "...", "excluded": "...", "analysed": "..."},  # optional
                "group_labels": {"CR": "complete response"},  # optional long names
            }

        or a tidy DataFrame with columns ``stage``, ``label``, ``n``, where ``stage`` is one
        of ``assessed``, ``excluded`` (one row per reason, ``label`` the reason), ``analysed``
        and ``group`` (one row per group, ``label`` its code, in display order); the
        ``label`` of an ``assessed`` or ``analysed`` row, when not empty, replaces the box
        text.
    labels : mapping of str to str, optional
        Texts of the ``assessed``, ``excluded`` and ``analysed`` boxes (before the n), e.g.
        ``{"analysed": "Analysed: group known at 6 months"}``; they take precedence over
        ``counts["labels"]``. Default: "Patients in the data file" (the context's noun for
        the participants, :func:`set_context`), "Excluded", "Analysed".
    group_labels : mapping of str to str, optional
        Long name of each group (``{"CR": "complete response"}``), taking precedence over
        ``counts["group_labels"]`` and the context's ``group_names`` (:func:`set_context`).
    width : float, default 6.5
        Figure width in inches; the height follows from the content.

    Returns
    -------
    matplotlib.figure.Figure
        Boxes "assessed" → "analysed" → one box per group, with a side box listing the
        exclusions with their reasons (``"Excluded (n = 0)"`` when there are none). Every
        box states its n.

    Raises
    ------
    ValueError
        When the counts do not add up (assessed − excluded ≠ analysed, or groups ≠ analysed),
        are negative, or the table has unknown stages.

    Notes
    -----
    Any number of groups is laid out in one row (2 or 3 fit the default width; long names
    are wrapped). A group with a long name is written "Long name (code)" with the first
    letter capitalised; its box has the group's colour (position in the context's level
    order, see :func:`set_context`), as in every other figure.
    """
    c = _normalise(counts, labels, group_labels)
    k = len(c["groups"])
    margin, gap = 0.08, 0.22
    main_w = min(2.9, 0.45 * width)
    main_x = max(margin, 0.36 * width - main_w / 2)
    side_x = main_x + main_w + 0.3
    side_w = width - margin - side_x
    mid = main_x + main_w / 2

    def chars(w: float) -> int:
        return max(12, int((w - 2 * _PAD) / _CHAR))

    top_text = f"{s.wrap(c['labels']['assessed'], chars(main_w))}\n(n = {c['assessed']})"
    ana_text = f"{s.wrap(c['labels']['analysed'], chars(main_w))}\n(n = {c['analysed']})"
    side_lines = [f"{c['labels']['excluded']} (n = {c['n_excluded']})"]
    for reason, n in c["excluded"]:
        side_lines.append(s.wrap(f"• {reason} (n = {n})", chars(side_w) - 2).replace("\n", "\n   "))
    side_text = "\n".join(side_lines)
    h_top = (top_text.count("\n") + 1) * _LINE + 2 * _PAD
    h_side = (side_text.count("\n") + 1) * _LINE + 2 * _PAD
    h_ana = (ana_text.count("\n") + 1) * _LINE + 2 * _PAD
    y_top = margin
    y_side = y_top + h_top + 0.25
    y_ana = y_side + h_side + 0.25
    if k:
        group_w = min(1.9, (width - 2 * margin - (k - 1) * gap) / k)
        names = [
            s.wrap(s.display_name(g, c["names"]), chars(group_w)) + f"\n(n = {n})"
            for g, n in c["groups"].items()
        ]
        h_group = max((t.count("\n") + 1) for t in names) * _LINE + 2 * _PAD
        y_bus = y_ana + h_ana + 0.22
        y_group = y_bus + 0.22
        height = y_group + h_group + margin
    else:
        height = y_ana + h_ana + margin

    with s.drawing():
        fig, axes = s.new_figure((width, height), layout="none")
        ax = axes[0, 0]
        ax.set_position(s.content_box(fig))  # above the synthetic mark, if any
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        _box(ax, main_x, y_top, main_w, top_text)
        _box(ax, side_x, y_side, side_w, side_text, align="left")
        _box(ax, main_x, y_ana, main_w, ana_text)
        _arrow(ax, (mid, y_top + h_top), (mid, y_ana))
        _arrow(ax, (mid, y_side + h_side / 2), (side_x, y_side + h_side / 2))
        if k:
            total = k * group_w + (k - 1) * gap
            x0 = (width - total) / 2
            centres = [x0 + i * (group_w + gap) + group_w / 2 for i in range(k)]
            ax.plot([mid, mid], [y_ana + h_ana, y_bus], color="black", lw=0.8)
            ax.plot([min(*centres, mid), max(*centres, mid)], [y_bus, y_bus], color="black", lw=0.8)
            for i, (g, text) in enumerate(zip(c["groups"], names, strict=True)):
                colour = s.group_color(g, i)
                _arrow(ax, (centres[i], y_bus), (centres[i], y_group))
                _box(
                    ax,
                    centres[i] - group_w / 2,
                    y_group,
                    group_w,
                    text,
                    edge=colour,
                    face=to_rgba(colour, 0.12),
                    lw=1.4,
                    h=h_group,
                )
    return fig
