"""Tests of itp_stats.report.figures: what is drawn, not only that a figure exists."""

from __future__ import annotations

import io
import os
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from itp_stats.cohort.load import derive
from itp_stats.cohort.synth import synthesize
from itp_stats.report.figures import (
    OKABE_ITO,
    RESPONSE_COLORS,
    forest,
    marker_by_group,
    markers_grid,
    p_annotation,
    paired_change,
    participant_flow,
    roc_curve,
    use_style,
)

LEVELS = ["CR", "PR", "NR"]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return derive(synthesize(60, seed=7))


def _by_gid(fig: Figure, prefix: str) -> dict[str, object]:
    """Artists whose gid starts with ``prefix:``, keyed by the rest of the gid."""
    return {
        a.get_gid().split(":", 1)[1]: a
        for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(f"{prefix}:"))
    }


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _expected_n(data: pd.DataFrame, column: str, group: str = "response_iwg") -> dict:
    return {g: int(data.loc[data[group] == g, column].notna().sum()) for g in LEVELS}


def _small() -> pd.DataFrame:
    """CR with 4 values (one missing), PR with 1, NR with none; one row without a group."""
    return pd.DataFrame(
        {
            "nk_m0": [10.0, 20.0, 30.0, 40.0, np.nan, 55.0, 70.0],
            "nk_m6": [15.0, np.nan, 35.0, 38.0, 1.0, 60.0, 80.0],
            "response_iwg": pd.Categorical(
                ["CR", "CR", "CR", "CR", "CR", "PR", None], categories=LEVELS
            ),
        }
    )


# -- style ------------------------------------------------------------------------------


def test_use_style_applies_and_restores():
    before = matplotlib.rcParams["svg.fonttype"]
    with use_style():
        assert matplotlib.rcParams["svg.fonttype"] == "none"
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["font.size"] >= 8
    assert matplotlib.rcParams["svg.fonttype"] == before
    style = use_style()  # plain call: stays in force
    try:
        assert matplotlib.rcParams["svg.fonttype"] == "none"
    finally:
        style.restore()
    assert matplotlib.rcParams["svg.fonttype"] == before


def test_response_colours_are_okabe_ito():
    palette = {c.lower() for c in OKABE_ITO.values()}
    assert {c.lower() for c in RESPONSE_COLORS.values()} <= palette
    assert len({RESPONSE_COLORS[g] for g in LEVELS}) == 3


def test_p_annotation():
    assert p_annotation(0.0123, "Kruskal–Wallis") == "Kruskal–Wallis p = 0.012"
    assert p_annotation(0.0004) == "p < 0.001"
    assert p_annotation(0.4567) == "p = 0.46"
    assert p_annotation(0.999) == "p > 0.99"
    assert p_annotation(float("nan")) == "p not computed"
    assert p_annotation("<0.001") == "p < 0.001"


def test_figures_not_left_open_in_pyplot(cohort):
    plt.close("all")
    marker_by_group(cohort, "nk_m0")
    paired_change(cohort, "pct_nk_m0", "pct_nk_m6")
    assert plt.get_fignums() == []


# -- marker_by_group --------------------------------------------------------------------


def test_marker_by_group_points_boxes_and_n(cohort):
    fig = marker_by_group(cohort, "nk_m0", p_value=0.0123, p_label="Kruskal–Wallis")
    assert isinstance(fig, Figure)
    expected = _expected_n(cohort, "nk_m0")
    points = _by_gid(fig, "points")
    boxes = _by_gid(fig, "box")
    for g in LEVELS:
        assert len(points[g].get_offsets()) == expected[g]
        assert g in boxes
        # colours are the fixed response colours
        assert to_hex(points[g].get_facecolor()[0]) == RESPONSE_COLORS[g].lower()
        assert to_hex(boxes[g].get_edgecolor()) == RESPONSE_COLORS[g].lower()
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [f"{g}\n(n = {expected[g]})" for g in LEVELS]
    assert "Kruskal–Wallis p = 0.012" in _texts(fig)
    assert "cells/µL" in ax.get_ylabel()
    assert "NK" in ax.get_ylabel()


def test_marker_by_group_points_match_values(cohort):
    fig = marker_by_group(cohort, "nk_m0")
    cr = cohort.loc[cohort["response_iwg"] == "CR", "nk_m0"].dropna().astype(float)
    offsets = _by_gid(fig, "points")["CR"].get_offsets()
    np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(cr.to_numpy()))
    assert np.all(np.abs(offsets[:, 0] - 0) < 0.2)  # jitter stays around the tick


def test_marker_by_group_is_deterministic(cohort):
    a = _by_gid(marker_by_group(cohort, "nk_m0"), "points")["NR"].get_offsets()
    b = _by_gid(marker_by_group(cohort, "nk_m0"), "points")["NR"].get_offsets()
    np.testing.assert_array_equal(a, b)


def test_marker_by_group_small_and_empty_groups():
    fig = marker_by_group(_small(), "nk_m0", p_value=0.0004)
    points, boxes = _by_gid(fig, "points"), _by_gid(fig, "box")
    assert len(points["CR"].get_offsets()) == 4
    assert len(points["PR"].get_offsets()) == 1
    assert "NR" not in points
    assert set(boxes) == {"CR"}  # no box for 1 or 0 values
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["CR\n(n = 4)", "PR\n(n = 1)", "NR\n(n = 0)"]
    assert "p < 0.001" in _texts(fig)


def test_marker_by_group_empty_data(cohort):
    fig = marker_by_group(cohort.iloc[:0], "nk_m0")
    assert "No data" in _texts(fig)
    assert not _by_gid(fig, "points")


def test_marker_by_group_log_hides_non_positive():
    data = _small().assign(nk_m0=[0.0, 20.0, 30.0, 40.0, np.nan, 55.0, 70.0])
    fig = marker_by_group(data, "nk_m0", log=True)
    assert fig.axes[0].get_yscale() == "log"
    assert len(_by_gid(fig, "points")["CR"].get_offsets()) == 3
    assert any("1 value ≤ 0 not shown" in t for t in _texts(fig))
    # n still counts every non-missing value
    assert fig.axes[0].get_xticklabels()[0].get_text() == "CR\n(n = 4)"


def test_marker_by_group_on_given_axes(cohort):
    fig, ax = plt.subplots()
    try:
        assert marker_by_group(cohort, "nk_m0", ax=ax) is fig
        assert ax.get_xticklabels()[0].get_text().startswith("CR")
    finally:
        plt.close(fig)


def test_marker_by_group_svg_keeps_text(cohort):
    fig = marker_by_group(cohort, "nk_m0", p_value=0.0123, p_label="Kruskal–Wallis")
    buf = io.StringIO()
    with use_style():
        fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    assert "<svg" in svg
    assert "Kruskal–Wallis p = 0.012" in svg
    assert "(n = " in svg


# -- markers_grid -----------------------------------------------------------------------


def test_markers_grid_one_panel_per_column(cohort):
    columns = ["nk_m0", "cd3_m0", "pct_cd8_act_m6", "cd19_m6"]
    fig = markers_grid(cohort, columns, p_values={"nk_m0": 0.03}, log=["nk_m0"])
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == len(columns)
    for ax, col in zip(panels, columns, strict=True):
        expected = _expected_n(cohort, col)
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == [f"{g}\nn = {expected[g]}" for g in LEVELS]
        n_points = sum(len(c.get_offsets()) for c in ax.collections if c.get_gid())
        assert n_points == sum(expected.values())
    assert panels[0].get_yscale() == "log"
    assert panels[2].get_ylabel() == "%"
    assert "p = 0.030" in _texts(fig)
    # mixed time points: titles say which
    assert "rituximab start" in panels[0].get_title()


def test_markers_grid_no_columns(cohort):
    assert "No data" in _texts(markers_grid(cohort, []))


# -- paired_change ----------------------------------------------------------------------


def test_paired_change_lines_are_complete_pairs(cohort):
    fig = paired_change(cohort, "pct_nk_m0", "pct_nk_m6")
    pairs = _by_gid(fig, "pairs")
    medians = _by_gid(fig, "median")
    titles = [ax.get_title() for ax in fig.axes]
    for g in LEVELS:
        sub = cohort.loc[cohort["response_iwg"] == g, ["pct_nk_m0", "pct_nk_m6"]].dropna()
        assert isinstance(pairs[g], LineCollection)
        segments = pairs[g].get_segments()
        assert len(segments) == len(sub)
        np.testing.assert_allclose(
            np.sort([s[0, 1] for s in segments]), np.sort(sub["pct_nk_m0"].to_numpy(float))
        )
        assert f"{g} (n = {len(sub)})" in titles
        np.testing.assert_allclose(
            medians[g].get_ydata(), [sub["pct_nk_m0"].median(), sub["pct_nk_m6"].median()]
        )
        assert to_hex(pairs[g].get_colors()[0], keep_alpha=False) == RESPONSE_COLORS[g].lower()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Rituximab start", "6 months"]


def test_paired_change_small_and_empty():
    fig = paired_change(_small(), "nk_m0", "nk_m6")
    pairs = _by_gid(fig, "pairs")
    assert len(pairs["CR"].get_segments()) == 3  # (20, NaN) and (NaN, 1) are not pairs
    assert len(pairs["PR"].get_segments()) == 1
    assert "NR" not in pairs
    assert [ax.get_title() for ax in fig.axes] == ["CR (n = 3)", "PR (n = 1)", "NR (n = 0)"]
    assert "No complete pairs" in _texts(fig)
    empty = paired_change(_small().iloc[:0], "nk_m0", "nk_m6")
    assert not _by_gid(empty, "pairs")


# -- roc_curve --------------------------------------------------------------------------


def _roc_points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "threshold": [np.inf, 80.0, 50.0, 30.0, -np.inf],
            "sensitivity": [0.0, 0.4, 0.7, 0.9, 1.0],
            "specificity": [1.0, 0.9, 0.6, 0.3, 0.0],
        }
    ).sample(frac=1, random_state=1)  # any order


def test_roc_line_is_the_input_points():
    pts = _roc_points()
    cut = {"threshold": 50.0, "sensitivity": 0.7, "specificity": 0.6}
    fig = roc_curve(pts, auc=0.7412, ci=(0.62, 0.861), cutoff=cut, threshold_unit="cells/µL")
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "roc"]
    expected = pts.assign(x=1 - pts["specificity"]).sort_values(["x", "sensitivity"])
    np.testing.assert_allclose(line.get_xdata(), expected["x"])
    np.testing.assert_allclose(line.get_ydata(), expected["sensitivity"])
    (diag,) = [ln for ln in ax.get_lines() if ln.get_gid() == "chance"]
    np.testing.assert_allclose(diag.get_xdata(), [0, 1])
    (mark,) = [ln for ln in ax.get_lines() if ln.get_gid() == "cutoff"]
    np.testing.assert_allclose([mark.get_xdata()[0], mark.get_ydata()[0]], [0.4, 0.7])
    texts = _texts(fig)
    assert "AUC 0.74 (95% CI 0.62–0.86)" in texts
    assert any("50 cells/µL" in t and "sensitivity 70%" in t for t in texts)
    assert ax.get_xlabel() == "1 − specificity"


def test_roc_accepts_prediction_tables():
    auc = pd.DataFrame({"effect": [0.77], "ci_low": [0.64], "ci_high": [0.9]})
    youden = pd.DataFrame(
        {
            "effect_type": ["youden_cutoff", "youden_index", "sensitivity", "specificity"],
            "effect": [92.5, 0.54, 0.64, 0.9],
        }
    )
    fig = roc_curve(_roc_points(), auc=auc, cutoff=youden)
    texts = _texts(fig)
    assert "AUC 0.77 (95% CI 0.64–0.90)" in texts
    assert any("Youden cutoff 92.5" in t for t in texts)


def test_roc_empty_points():
    fig = roc_curve(pd.DataFrame(columns=["threshold", "sensitivity", "specificity"]))
    assert "No data" in _texts(fig)


# -- forest -----------------------------------------------------------------------------


def test_forest_points_and_not_computed():
    res = pd.DataFrame(
        {
            "label": ["CD3+ T cells", "CD8+ T cells", "NK cells", "CD19+ B cells"],
            "effect": [0.3, np.nan, -0.45, 0.1],
            "ci_low": [0.1, np.nan, -0.7, np.nan],
            "ci_high": [0.5, np.nan, -0.2, np.nan],
        }
    )
    fig = forest(res, xlabel="Rank-biserial correlation (95% CI)")
    ax = fig.axes[0]
    (points,) = [c for c in ax.collections if c.get_gid() == "effects"]
    offsets = points.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], [0.3, -0.45, 0.1])
    # rows drawn top to bottom in input order
    assert list(offsets[:, 1]) == sorted(offsets[:, 1], reverse=True)
    (ci,) = [c for c in ax.collections if c.get_gid() == "ci"]
    np.testing.assert_allclose([s[:, 0] for s in ci.get_segments()], [[0.1, 0.5], [-0.7, -0.2]])
    not_computed = [t for t in ax.texts if t.get_gid() == "not_computed"]
    assert len(not_computed) == 1
    assert not_computed[0].get_text() == "not computed"
    assert not_computed[0].get_position()[1] == 2  # second row from the top of 4
    assert [t.get_text() for t in ax.get_yticklabels()] == list(res["label"])
    (null,) = [ln for ln in ax.get_lines() if ln.get_gid() == "null"]
    assert null.get_xdata()[0] == 0
    texts = _texts(fig)
    assert "0.30 (0.10–0.50)" in texts
    assert "−0.45 (−0.70 to −0.20)" in texts


def test_forest_ratio_scale_and_empty():
    res = pd.DataFrame({"label": ["NK"], "effect": [0.5], "ci_low": [0.3], "ci_high": [0.9]})
    fig = forest(res, null=1.0, log=True, xlabel="Odds ratio (95% CI)")
    assert fig.axes[0].get_xscale() == "log"
    assert "No data" in _texts(forest(res.iloc[:0]))


# -- participant_flow -------------------------------------------------------------------


def test_flow_texts_contain_the_numbers():
    fig = participant_flow(
        {
            "assessed": 72,
            "excluded": [("lost to follow-up before 6 months", 2)],
            "analysed": 70,
            "groups": {"CR": 25, "PR": 15, "NR": 30},
        }
    )
    text = "\n".join(_texts(fig))
    for needle in ["(n = 72)", "Excluded (n = 2)", "(n = 70)", "(n = 25)", "(n = 15)", "(n = 30)"]:
        assert needle in text
    assert "lost to follow-up" in text
    assert "Complete response (CR)" in text
    edges = {to_hex(p.get_edgecolor()) for p in fig.axes[0].patches}
    assert {RESPONSE_COLORS[g].lower() for g in LEVELS} <= edges


def test_flow_no_exclusion_two_groups_and_table_input():
    fig = participant_flow({"assessed": 40, "excluded": [], "groups": {"CR": 15, "non-CR": 25}})
    text = "\n".join(_texts(fig))
    assert "Excluded (n = 0)" in text
    assert "(n = 40)" in text and "(n = 15)" in text and "(n = 25)" in text
    table = pd.DataFrame(
        {
            "stage": ["assessed", "excluded", "excluded", "analysed", "group", "group", "group"],
            "label": ["", "lost to follow-up", "no baseline phenotyping", "", "CR", "PR", "NR"],
            "n": [80, 2, 8, 70, 25, 15, 30],
        }
    )
    text = " ".join(" ".join(_texts(participant_flow(table))).split())  # boxes wrap lines
    assert "Excluded (n = 10)" in text
    assert "no baseline phenotyping (n = 8)" in text


def test_flow_rejects_inconsistent_counts():
    with pytest.raises(ValueError, match="analysed"):
        participant_flow({"assessed": 72, "excluded": [("x", 2)], "analysed": 71})
    with pytest.raises(ValueError, match="groups"):
        participant_flow({"assessed": 10, "groups": {"CR": 3, "NR": 3}})


# -- display in Jupyter -----------------------------------------------------------------


def test_one_image_per_cell_in_jupyter():
    pytest.importorskip("ipykernel")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.manager import KernelManager

    cells = [
        "import pandas as pd\n"
        "from itp_stats.cohort.load import derive\n"
        "from itp_stats.cohort.synth import synthesize\n"
        "df = derive(synthesize(40, seed=3))",
        'from itp_stats.report.figures import marker_by_group; marker_by_group(df, "nk_m0")',
        "from itp_stats.report.figures import paired_change\n"
        'paired_change(df, "pct_nk_m0", "pct_nk_m6")',
        'fig = marker_by_group(df, "nk_m0")',
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    km = KernelManager(kernel_name="python3")
    start = time.monotonic()
    try:
        km.start_kernel(env=env)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.stop_channels()
    except Exception as exc:  # pragma: no cover - environment dependent
        km.shutdown_kernel(now=True)
        pytest.skip(f"Jupyter kernel did not start within 60 s: {exc}")
    if time.monotonic() - start > 60:  # pragma: no cover
        km.shutdown_kernel(now=True)
        pytest.skip("Jupyter kernel took more than 60 s to start")
    try:
        nbclient.NotebookClient(nb, km=km, timeout=120).execute()
    finally:
        if km.is_alive():
            km.shutdown_kernel(now=True)

    def images(cell):
        return sum("image/png" in out.get("data", {}) for out in cell.outputs)

    assert [images(c) for c in nb.cells] == [0, 1, 1, 0]


def test_paired_change_log_notes_hidden_pairs():
    data = _small().assign(nk_m6=[0.0, 25.0, 35.0, 38.0, 1.0, 60.0, 80.0])
    fig = paired_change(data, "nk_m0", "nk_m6", log=True)
    pairs = _by_gid(fig, "pairs")
    assert len(pairs["CR"].get_segments()) == 3
    assert fig.axes[0].get_title() == "CR (n = 4)"  # n counts every complete pair
    assert "1 pair with a value ≤ 0\nnot shown" in _texts(fig)
    assert fig.axes[0].get_yscale() == "log"
