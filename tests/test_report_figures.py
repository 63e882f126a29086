"""Tests of itp_stats.report.figures: what is drawn, not only that a figure exists."""

from __future__ import annotations

import io
import itertools
import os
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.cohort.load import derive
from itp_stats.cohort.synth import synthesize
from itp_stats.report.facade import FIGURES
from itp_stats.report.figures import (
    GROUP_COLORS,
    OKABE_ITO,
    OTHERS_COLOR,
    SYNTHETIC_ATTRIBUTE,
    SYNTHETIC_MARK,
    forest,
    get_context,
    log_scale,
    marker_by_group,
    markers_grid,
    p_annotation,
    paired_change,
    paired_changes,
    participant_flow,
    roc_curve,
    set_context,
    use_style,
)

LEVELS = ["CR", "PR", "NR"]
COLOURS = {g: GROUP_COLORS[i].lower() for i, g in enumerate(LEVELS)}  # by level position
GROUP = "response_iwg"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return derive(synthesize(60, seed=7))


@pytest.fixture(autouse=True)
def itp_context():
    """The shipped study's context, as the report sets it; cleared after each test."""
    set_context(
        dictionary=load_dictionary(),
        group_names={"CR": "complete response", "PR": "partial response", "NR": "no response"},
        group_label="Response at 6 months (IWG 2009)",
        levels=LEVELS,
        group=GROUP,
    )
    yield
    set_context()


def _by_gid(fig: Figure, prefix: str) -> dict[str, object]:
    """Artists whose gid starts with ``prefix:``, keyed by the rest of the gid."""
    return {
        a.get_gid().split(":", 1)[1]: a
        for a in fig.findobj(lambda a: str(a.get_gid() or "").startswith(f"{prefix}:"))
    }


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _expected_n(data: pd.DataFrame, column: str, group: str = GROUP) -> dict:
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


def test_group_colours_are_okabe_ito():
    palette = {c.lower() for c in OKABE_ITO.values()}
    assert {c.lower() for c in (*GROUP_COLORS, OTHERS_COLOR)} <= palette
    assert len({*GROUP_COLORS, OTHERS_COLOR}) == len(GROUP_COLORS) + 1
    assert GROUP_COLORS[:3] == (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["vermillion"])
    assert OKABE_ITO["black"] not in GROUP_COLORS  # black is for medians and intervals


def test_p_annotation():
    assert p_annotation(0.0123, "Kruskal–Wallis") == "Kruskal–Wallis p = 0.012"
    assert p_annotation(0.0004) == "p < 0.001"
    assert p_annotation(0.4567) == "p = 0.46"
    assert p_annotation(0.999) == "p > 0.99"
    assert p_annotation(float("nan")) == "p not computed"
    assert p_annotation("<0.001") == "p < 0.001"


def test_figures_not_left_open_in_pyplot(cohort):
    plt.close("all")
    marker_by_group(cohort, "nk_m0", GROUP)
    paired_change(cohort, "pct_nk_m0", "pct_nk_m6", GROUP)
    assert plt.get_fignums() == []


# -- marker_by_group --------------------------------------------------------------------


def test_marker_by_group_points_boxes_and_n(cohort):
    fig = marker_by_group(cohort, "nk_m0", GROUP, p_value=0.0123, p_label="Kruskal–Wallis")
    assert isinstance(fig, Figure)
    expected = _expected_n(cohort, "nk_m0")
    points = _by_gid(fig, "points")
    boxes = _by_gid(fig, "box")
    for g in LEVELS:
        assert len(points[g].get_offsets()) == expected[g]
        assert g in boxes
        # colours follow the position of the level
        assert to_hex(points[g].get_facecolor()[0]) == COLOURS[g]
        assert to_hex(boxes[g].get_edgecolor()) == COLOURS[g]
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [f"{g}\n(n = {expected[g]})" for g in LEVELS]
    assert "Kruskal–Wallis p = 0.012" in _texts(fig)
    assert "cells/µL" in ax.get_ylabel()
    assert "NK" in ax.get_ylabel()
    assert ax.get_xlabel() == "Response at 6 months (IWG 2009)"


def test_marker_by_group_points_match_values(cohort):
    fig = marker_by_group(cohort, "nk_m0", GROUP)
    cr = cohort.loc[cohort["response_iwg"] == "CR", "nk_m0"].dropna().astype(float)
    offsets = _by_gid(fig, "points")["CR"].get_offsets()
    np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(cr.to_numpy()))
    assert np.all(np.abs(offsets[:, 0] - 0) < 0.2)  # jitter stays around the tick


def test_marker_by_group_is_deterministic(cohort):
    a = _by_gid(marker_by_group(cohort, "nk_m0", GROUP), "points")["NR"].get_offsets()
    b = _by_gid(marker_by_group(cohort, "nk_m0", GROUP), "points")["NR"].get_offsets()
    np.testing.assert_array_equal(a, b)


def test_marker_by_group_small_and_empty_groups():
    fig = marker_by_group(_small(), "nk_m0", GROUP, p_value=0.0004)
    points, boxes = _by_gid(fig, "points"), _by_gid(fig, "box")
    assert len(points["CR"].get_offsets()) == 4
    assert len(points["PR"].get_offsets()) == 1
    assert "NR" not in points
    assert set(boxes) == {"CR"}  # no box for 1 or 0 values
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["CR\n(n = 4)", "PR\n(n = 1)", "NR\n(n = 0)"]
    assert "p < 0.001" in _texts(fig)


def test_marker_by_group_empty_data(cohort):
    fig = marker_by_group(cohort.iloc[:0], "nk_m0", GROUP)
    assert "No data" in _texts(fig)
    assert not _by_gid(fig, "points")


def test_marker_by_group_log_hides_non_positive():
    data = _small().assign(nk_m0=[0.0, 20.0, 30.0, 40.0, np.nan, 55.0, 70.0])
    fig = marker_by_group(data, "nk_m0", GROUP, log=True)
    assert fig.axes[0].get_yscale() == "log"
    assert len(_by_gid(fig, "points")["CR"].get_offsets()) == 3
    assert any("1 value ≤ 0 not shown" in t for t in _texts(fig))
    # n still counts every non-missing value
    assert fig.axes[0].get_xticklabels()[0].get_text() == "CR\n(n = 4)"


def test_marker_by_group_on_given_axes(cohort):
    fig, ax = plt.subplots()
    try:
        assert marker_by_group(cohort, "nk_m0", GROUP, ax=ax) is fig
        assert ax.get_xticklabels()[0].get_text().startswith("CR")
    finally:
        plt.close(fig)


def test_marker_by_group_svg_keeps_text(cohort):
    fig = marker_by_group(cohort, "nk_m0", GROUP, p_value=0.0123, p_label="Kruskal–Wallis")
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
    fig = markers_grid(cohort, columns, GROUP, p_values={"nk_m0": 0.03}, log=["nk_m0"])
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
    assert "No data" in _texts(markers_grid(cohort, [], GROUP))


# -- paired_change ----------------------------------------------------------------------


def test_paired_change_lines_are_complete_pairs(cohort):
    fig = paired_change(cohort, "pct_nk_m0", "pct_nk_m6", GROUP)
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
        assert to_hex(pairs[g].get_colors()[0], keep_alpha=False) == COLOURS[g]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Rituximab start", "6 months"]


def test_paired_change_small_and_empty():
    fig = paired_change(_small(), "nk_m0", "nk_m6", GROUP)
    pairs = _by_gid(fig, "pairs")
    assert len(pairs["CR"].get_segments()) == 3  # (20, NaN) and (NaN, 1) are not pairs
    assert len(pairs["PR"].get_segments()) == 1
    assert "NR" not in pairs
    assert [ax.get_title() for ax in fig.axes] == ["CR (n = 3)", "PR (n = 1)", "NR (n = 0)"]
    assert "No complete pairs" in _texts(fig)
    empty = paired_change(_small().iloc[:0], "nk_m0", "nk_m6", GROUP)
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
    assert "AUC 0.74 (95% CI 0.62 to 0.86)" in texts
    assert any("50 cells/µL" in t and "sensitivity 70%" in t for t in texts)
    assert ax.get_xlabel() == "1 − specificity"


def test_roc_accepts_prediction_tables():
    auc = pd.DataFrame({"effect": [0.77], "ci_low": [0.64], "ci_high": [0.9]})
    youden = pd.DataFrame(
        {
            "effect_type": ["youden_cutoff", "youden_index", "sensitivity", "specificity"],
            "effect": [92.5, 0.54, 0.64, 0.9],
            "ci_low": [70.0, np.nan, 0.4, 0.7],
            "ci_high": [120.0, np.nan, 0.8, 0.97],
        }
    )
    fig = roc_curve(_roc_points(), auc=auc, cutoff=youden)
    texts = _texts(fig)
    assert "AUC 0.77 (95% CI 0.64 to 0.90)" in texts
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
    assert "0.30 (0.10 to 0.50)" in texts
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
            "excluded": [("follow-up shorter than 6 months", 2)],
            "analysed": 70,
            "groups": {"CR": 25, "PR": 15, "NR": 30},
        }
    )
    text = "\n".join(_texts(fig))
    for needle in ["(n = 72)", "Excluded (n = 2)", "(n = 70)", "(n = 25)", "(n = 15)", "(n = 30)"]:
        assert needle in text
    assert "follow-up shorter" in text
    assert "Complete response (CR)" in text
    edges = {to_hex(p.get_edgecolor()) for p in fig.axes[0].patches}
    assert set(COLOURS.values()) <= edges


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
        'from itp_stats.report.figures import marker_by_group; marker_by_group(df, "nk_m0", "sex")',
        "from itp_stats.report.figures import paired_change\n"
        'paired_change(df, "pct_nk_m0", "pct_nk_m6", "sex")',
        'fig = marker_by_group(df, "nk_m0", "sex")',
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
    fig = paired_change(data, "nk_m0", "nk_m6", GROUP, log=True)
    pairs = _by_gid(fig, "pairs")
    assert len(pairs["CR"].get_segments()) == 3
    assert fig.axes[0].get_title() == "CR (n = 4)"  # n counts every complete pair
    assert "1 pair with a value ≤ 0\nnot shown" in _texts(fig)
    assert fig.axes[0].get_yscale() == "log"


# -- any study: names, labels and colours from the context ------------------------------

_STUDY_YAML = """\
name: made-up-study
timepoints:
  bl: Baseline
  m12: 12 months
markers:
  wbc: {label: White blood cells, parent: null}
  mono: {label: Classical monocytes, parent: wbc}
columns:
  subject:
    label: Subject
    type: string
    unique: true
    missing: false
    role: id
  outcome_m12:
    label: Outcome at 12 months
    type: category
    categories: [responder, non-responder]
    role: group
    timepoint: m12
  arm:
    label: Treatment arm
    type: category
    categories: [A, B, C]
    role: covariate
  wbc_bl: {label: White blood cells at baseline, unit: ×10⁹/L, type: float, role: marker,
           marker: wbc, timepoint: bl}
  wbc_m12: {label: White blood cells at 12 months, unit: ×10⁹/L, type: float, role: marker,
            marker: wbc, timepoint: m12}
  mono_bl: {label: Classical monocytes at baseline, unit: ×10⁹/L, type: float, role: marker,
            marker: mono, timepoint: bl, parent: wbc_bl}
  mono_m12: {label: Classical monocytes at 12 months, unit: ×10⁹/L, type: float,
             role: marker, marker: mono, timepoint: m12, parent: wbc_m12}
"""
STUDY_LEVELS = ["responder", "non-responder"]
ARMS = ["A", "B", "C"]


@pytest.fixture
def study_dictionary(tmp_path) -> Dictionary:
    path = tmp_path / "dictionary.yaml"
    path.write_text(_STUDY_YAML, encoding="utf-8")
    return load_dictionary(path)


@pytest.fixture
def study_data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 30
    wbc = rng.uniform(4, 10, n)
    mono = wbc * rng.uniform(0.03, 0.1, n)
    return pd.DataFrame(
        {
            "subject": [f"s{i}" for i in range(n)],
            # not categorical: the order comes from the context; non-responders listed first
            "outcome_m12": ["non-responder"] * 12 + ["responder"] * 18,
            "arm": (["C", "B", "A"] * 10)[:n],
            "wbc_bl": wbc,
            "wbc_m12": wbc * rng.uniform(0.8, 1.2, n),
            "mono_bl": mono,
            "mono_m12": mono * rng.uniform(0.8, 1.2, n),
            "pct_mono_bl": 100 * mono / wbc,
            "pct_mono_m12": 100 * mono / wbc,
        }
    )


@pytest.fixture
def study_context(study_dictionary):
    return set_context(
        dictionary=study_dictionary,
        group_names={"responder": "responded by 12 months", "non-responder": "did not respond"},
        group_label="Outcome at 12 months",
        levels=STUDY_LEVELS,
        group="outcome_m12",
    )


def _study_figures(data: pd.DataFrame, conf_label: str = "99%") -> list[Figure]:
    """Every kind of figure for the made-up study."""
    res = pd.DataFrame(
        {
            "label": ["White blood cells", "Classical monocytes"],
            "effect": [0.4, -0.45],
            "ci_low": [0.13, -0.7],
            "ci_high": [0.61, -0.2],
        }
    )
    return [
        marker_by_group(data, "mono_bl", "outcome_m12", p_value=0.02, p_label="Mann–Whitney"),
        markers_grid(data, ["wbc_bl", "mono_bl", "pct_mono_m12"], "outcome_m12"),
        paired_change(data, "mono_bl", "mono_m12", "outcome_m12"),
        forest(res, conf_label=conf_label),
        roc_curve(_roc_points(), auc=0.74, ci=(0.62, 0.86), conf_label=conf_label),
        participant_flow(
            {
                "assessed": 32,
                "excluded": [("no 12-month visit", 2)],
                "groups": {"responder": 18, "non-responder": 12},
            }
        ),
    ]


def _all_text(fig: Figure) -> str:
    ticks = [
        t.get_text() for ax in fig.axes for t in (*ax.get_xticklabels(), *ax.get_yticklabels())
    ]
    labels = [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]
    titles = [ax.get_title() for ax in fig.axes]
    return "\n".join([*_texts(fig), *ticks, *labels, *titles])


def test_set_context_defaults_and_reset(study_dictionary):
    ctx = set_context(dictionary=study_dictionary, group_names={"B": "arm B", "A": "arm A"})
    assert get_context() is ctx
    assert ctx.levels == ("B", "A")  # order of group_names when no levels are given
    assert ctx.group_label is None and ctx.group is None
    set_context()
    assert get_context().dictionary is None and get_context().levels == ()


def test_study_names_and_labels(study_data, study_context):
    n = {g: int((study_data["outcome_m12"] == g).sum()) for g in STUDY_LEVELS}
    fig = marker_by_group(study_data, "mono_bl", "outcome_m12")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        f"{g}\n(n = {n[g]})" for g in STUDY_LEVELS
    ]
    assert ax.get_xlabel() == "Outcome at 12 months"
    assert ax.get_ylabel() == "Classical monocytes at baseline (×10⁹/L)"

    grid = markers_grid(study_data, ["wbc_bl", "mono_m12", "pct_mono_m12"], "outcome_m12")
    titles = [a.get_title().replace("\n", " ") for a in grid.axes if a.axison]
    assert titles == [
        "White blood cells, baseline",
        "Classical monocytes, 12 months",
        "Classical monocytes, % of white blood cells, 12 months",
    ]
    assert [a.get_ylabel() for a in grid.axes if a.axison] == ["×10⁹/L", "×10⁹/L", "%"]

    paired = paired_change(study_data, "mono_bl", "mono_m12", "outcome_m12")
    assert [t.get_text() for t in paired.axes[0].get_xticklabels()] == ["Baseline", "12 months"]
    assert paired.axes[0].get_ylabel() == "Classical monocytes (×10⁹/L)"
    assert [a.get_title() for a in paired.axes] == [f"{g} (n = {n[g]})" for g in STUDY_LEVELS]


def test_group_label_only_for_the_study_group(study_data, study_context):
    fig = marker_by_group(study_data, "mono_bl", "arm")
    assert fig.axes[0].get_xlabel() == "Treatment arm"  # the dictionary's, not the study's


def test_colours_follow_level_position(study_data, study_dictionary):
    set_context(dictionary=study_dictionary, levels=["B", "A", "C"])
    expected = {"B": GROUP_COLORS[0], "A": GROUP_COLORS[1], "C": GROUP_COLORS[2]}
    expected = {k: v.lower() for k, v in expected.items()}
    fig = marker_by_group(study_data, "mono_bl", "arm")
    assert [t.get_text().split("\n")[0] for t in fig.axes[0].get_xticklabels()] == ["B", "A", "C"]
    points = _by_gid(fig, "points")
    assert {g: to_hex(points[g].get_facecolor()[0]) for g in ARMS} == expected
    pairs = _by_gid(paired_change(study_data, "mono_bl", "mono_m12", "arm"), "pairs")
    assert {g: to_hex(pairs[g].get_colors()[0], keep_alpha=False) for g in ARMS} == expected
    # a figure with fewer groups keeps each level's colour
    only_c = study_data[study_data["arm"] == "C"]
    (c_points,) = _by_gid(marker_by_group(only_c, "mono_bl", "arm"), "points").values()
    assert to_hex(c_points.get_facecolor()[0]) == expected["C"]
    flow = participant_flow({"assessed": 30, "groups": {"A": 10, "B": 10, "C": 10}})
    edges = [to_hex(p.get_edgecolor()) for p in flow.axes[0].patches][-3:]
    assert edges == [expected["A"], expected["B"], expected["C"]]


def test_others_of_a_contrast_have_their_own_colour(study_data, study_context):
    points = _by_gid(marker_by_group(study_data, "mono_bl", "outcome_m12"), "points")
    assert to_hex(points["responder"].get_facecolor()[0]) == GROUP_COLORS[0].lower()
    assert to_hex(points["non-responder"].get_facecolor()[0]) == OTHERS_COLOR.lower()
    data = pd.DataFrame({"x": [1.0, 2, 3, 4], "g": ["CR", "CR", "non-CR", "non-CR"]})
    set_context(levels=LEVELS)
    points = _by_gid(marker_by_group(data, "x", "g"), "points")
    assert to_hex(points["CR"].get_facecolor()[0]) == GROUP_COLORS[0].lower()
    assert to_hex(points["non-CR"].get_facecolor()[0]) == OTHERS_COLOR.lower()


def test_flow_group_names_from_context_or_argument(study_context):
    counts = {"assessed": 30, "groups": {"responder": 18, "non-responder": 12}}
    text = " ".join(" ".join(_texts(participant_flow(counts))).split())
    assert "Responded by 12 months (responder)" in text
    assert "Did not respond (non-responder)" in text
    assert "Patients in the data file (n = 30)" in text
    fig = participant_flow(
        counts,
        labels={"analysed": "Analysed: outcome known at 12 months"},
        group_labels={"responder": "responder"},
    )
    text = " ".join(" ".join(_texts(fig)).split())
    assert "Analysed: outcome known at 12 months (n = 30)" in text
    assert "responder (n = 18)" in text and "(responder)" not in text
    set_context()
    text = " ".join(" ".join(_texts(participant_flow(counts))).split())
    assert "responder (n = 18)" in text and "non-responder (n = 12)" in text


def test_no_context_falls_back_to_column_names(study_data, monkeypatch):
    set_context()

    def no_disk(*_args, **_kwargs):
        raise AssertionError("figures must not read a dictionary")

    monkeypatch.setattr("itp_stats.cohort.dictionary.load_dictionary", no_disk)
    monkeypatch.setattr("itp_stats.cohort.design.load_data_model", no_disk)
    fig = marker_by_group(study_data, "mono_bl", "outcome_m12")
    assert fig.axes[0].get_ylabel() == "mono_bl"
    assert fig.axes[0].get_xlabel() == "outcome_m12"
    assert [t.get_text().split("\n")[0] for t in fig.axes[0].get_xticklabels()] == [
        "non-responder",
        "responder",
    ]  # sorted without a level order
    paired = paired_change(study_data, "mono_bl", "mono_m12", "outcome_m12")
    assert [t.get_text() for t in paired.axes[0].get_xticklabels()] == ["mono_bl", "mono_m12"]


def test_no_itp_words_unless_the_data_have_them(study_data, study_context):
    for fig in _study_figures(study_data):
        text = _all_text(fig)
        for word in ("CR", "NK", "ITP", "95%"):
            assert word not in text, (word, text)
        assert "rituximab" not in text.lower()
        assert "response" not in text.lower()


def test_conf_label_in_forest_and_roc():
    res = pd.DataFrame(
        {
            "label": ["a", "b", "c"],
            "effect": [0.4, -0.45, -0.001],
            "ci_low": [0.13, -0.7, -0.3],
            "ci_high": [0.61, -0.2, 0.2],
        }
    )
    fig = forest(res, conf_label="99%")
    texts = _texts(fig)
    assert "0.00 (−0.30 to 0.20)" in texts  # never "−0.00"
    assert "Estimate (99% CI)" in texts
    assert fig.axes[0].get_xlabel() == "Effect size (99% CI)"
    assert "0.40 (0.13 to 0.61)" in texts
    assert "−0.45 (−0.70 to −0.20)" in texts
    roc = roc_curve(_roc_points(), auc=0.7412, ci=(0.62, 0.861), conf_label="99%")
    assert "AUC 0.74 (99% CI 0.62 to 0.86)" in _texts(roc)
    assert not any("95%" in t for t in [*texts, *_texts(roc), fig.axes[0].get_xlabel()])


def test_forest_tick_labels_do_not_run_together():
    res = pd.DataFrame(
        {
            "label": [f"marker {i}" for i in range(6)],
            "effect": [-0.62, -0.4, -0.1, 0.05, 0.3, 0.71],
            "ci_low": [-0.93, -0.8, -0.5, -0.3, -0.1, 0.35],
            "ci_high": [-0.2, 0.05, 0.3, 0.4, 0.6, 0.95],
        }
    )
    fig = forest(res, conf_label="99%")
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticklabels() if t.get_text() and lo <= t.get_position()[0] <= hi]
    assert 3 <= len(ticks) <= 6
    assert all(t.get_text().count("−") <= 1 for t in ticks)
    boxes = sorted((t.get_window_extent() for t in ticks), key=lambda b: b.x0)
    gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(boxes)]
    assert min(gaps) > 2  # pixels between neighbouring labels
    assert any(t.get_text().startswith("−") for t in ticks)  # true minus sign


def _cutoff(threshold: float, low: float, high: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "effect_type": ["youden_cutoff", "youden_index", "sensitivity", "specificity"],
            "effect": [threshold, 0.3, 0.7, 0.6],
            "ci_low": [low, np.nan, 0.5, 0.4],
            "ci_high": [high, np.nan, 0.85, 0.75],
        }
    )


@pytest.mark.parametrize(
    ("threshold", "low", "high"),
    [(np.inf, 40.0, 90.0), (-np.inf, -np.inf, 90.0), (50.0, 60.0, 90.0), (95.0, 40.0, 90.0)],
    ids=["infinite", "minus-infinite", "below-ci", "above-ci"],
)
def test_roc_cutoff_not_drawn_when_unusable(threshold, low, high):
    fig = roc_curve(_roc_points(), auc=0.74, ci=(0.62, 0.86), cutoff=_cutoff(threshold, low, high))
    gids = {a.get_gid() for a in fig.findobj() if a.get_gid()}
    assert "cutoff" not in gids and "cutoff_label" not in gids
    assert not any("Youden" in t for t in _texts(fig))
    assert {"roc", "auc"} <= gids  # the curve and its AUC are still drawn


def test_roc_cutoff_drawn_within_its_ci():
    fig = roc_curve(_roc_points(), cutoff=_cutoff(50.0, 50.0, 90.0), threshold_unit="×10⁹/L")
    (mark,) = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "cutoff"]
    np.testing.assert_allclose([mark.get_xdata()[0], mark.get_ydata()[0]], [0.4, 0.7])
    assert any(t.startswith("Youden cutoff 50 ×10⁹/L") for t in _texts(fig))


# -- every figure of a study: no text on another, none cut off, no line through a label ------
#
# The figures of the documents (the facade's FIGURES), drawn for the shipped study, for studies
# whose groups are words ("remission", "stable disease", …: the shipped cells, and the second
# example study with longer names) and for a two-group study. Each study is computed once per
# module from files in a temporary folder (its state folder too).

LONG_LEVELS = {"CR": "remission", "PR": "stable disease", "NR": "progression"}
"""Long level names for the shipped cells (the issue's example of a study whose levels are
words, not CR/PR/NR)."""
M12_LONG = {
    "remission": "complete remission",
    "stable": "stable disease",
    "progression": "progressive disease",
}
"""Longer level names for the second example study."""


def _shipped_cells(root) -> pd.DataFrame:
    """The shipped cohort's cells as text (a leading ``#`` provenance line skipped)."""
    path = root / "data" / "cohort.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    skip = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return pd.read_csv(path, dtype=str, keep_default_na=False, skiprows=skip)


def _long_level_dictionary(d: dict) -> None:
    d["name"] = "long-level-cohort"
    group = d["columns"]["response_m6"]
    group["label"] = "Disease course at 6 months"
    group["categories"] = list(LONG_LEVELS.values())


def _long_level_study(s: dict) -> None:
    levels = list(LONG_LEVELS.values())
    s["group"] = {
        "column": "response_m6",
        "levels": levels,
        "names": {"stable disease": "stable disease with a platelet count that did not rise"},
        "ordered": True,
        "positive": levels[0],
        "responders": levels[:2],
    }
    s.pop("time_to_event", None)  # its population names the shipped levels


def _m12_long(folder) -> tuple:
    """The second example study with long level names: its files and a cohort, in ``folder``."""
    import yaml
    from example_study import STUDY_DIR, example_cohort

    folder.mkdir(parents=True, exist_ok=True)
    dictionary = yaml.safe_load((STUDY_DIR / "dictionary.yaml").read_text(encoding="utf-8"))
    dictionary["columns"]["outcome_m12"]["categories"] = list(M12_LONG.values())
    study = yaml.safe_load((STUDY_DIR / "study.yaml").read_text(encoding="utf-8"))
    group = study["group"]
    group["levels"] = [M12_LONG[v] for v in group["levels"]]
    group["names"] = {M12_LONG[k]: v for k, v in group["names"].items()}
    group["positive"] = M12_LONG[group["positive"]]
    group["responders"] = [M12_LONG[v] for v in group["responders"]]
    for name, raw in (("dictionary.yaml", dictionary), ("study.yaml", study)):
        (folder / name).write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cohort = example_cohort()
    cohort["outcome_m12"] = cohort["outcome_m12"].map(M12_LONG)
    cohort.to_csv(folder / "cohort.csv", index=False)
    return folder / "cohort.csv", folder / "study.yaml"


def _own_cells(folder, root, dictionary_edit, study_edit, cells_edit) -> tuple:
    """The shipped study and cells, edited, in ``folder``."""
    from conftest import copy_study

    study = copy_study(folder, dictionary_edit, study_edit)
    data = folder / "cohort.csv"
    cells_edit(_shipped_cells(root)).to_csv(data, index=False, lineterminator="\n")
    return data, study


def _study_files(name: str, folder, root) -> tuple:
    """``(data, study)`` files of a study of the overlap tests, written in ``folder``."""
    from conftest import recorded_group_cells, recorded_group_dictionary, recorded_group_study

    if name == "shipped":
        return root / "data" / "cohort.csv", root / "data" / "study.yaml"
    if name == "long-names":
        return _own_cells(
            folder,
            root,
            _long_level_dictionary,
            _long_level_study,
            lambda f: f.assign(response_m6=f["response_m6"].map({**LONG_LEVELS, "": ""})),
        )
    if name == "two-groups":
        return _own_cells(
            folder, root, recorded_group_dictionary, recorded_group_study, recorded_group_cells
        )
    if name == "m12-long-names":
        return _m12_long(folder)
    raise KeyError(name)


STUDIES = ("shipped", "long-names", "two-groups", "m12-long-names")


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """A function giving each study of :data:`STUDIES`, computed once per module."""
    from conftest import ROOT

    from itp_stats.study.prepare import prepare_study

    made: dict[tuple[str, bool], object] = {}
    base = tmp_path_factory.mktemp("studies")

    def get(name: str, synthetic: bool = False):
        key = (name, synthetic)
        if key not in made:
            folder = base / f"{name}-{int(synthetic)}"
            data, study = _study_files(name, folder / "study", ROOT)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("ITP_STATS_ROOT", str(folder))
                for var in ("ITP_STATS_STUDY", "ITP_STATS_DATA"):
                    mp.delenv(var, raising=False)
                made[key] = prepare_study(
                    data,
                    study=study,
                    gate_result=folder / "gate.json",
                    n_boot=200,
                    synthetic=synthetic,
                )
        return made[key]

    return get


def _drawn_texts(fig: Figure) -> list[tuple[Text, object]]:
    """Every text the figure draws (visible, not empty) with its box in pixels.

    Recorded while the figure draws, so tick labels outside the axis range (made but not
    drawn) are left out and nothing drawn is missed (titles, labels, legends, annotations).
    An annotation's box is its text's, without its leader line.
    """
    drawn: list[Text] = []
    original = Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)

    canvas = FigureCanvasAgg(fig)  # pyplot closed the figure: its own canvas draws nothing
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Text, "draw", record)
        canvas.draw()
    renderer = canvas.get_renderer()
    assert drawn, "the figure drew no text"
    return [(t, Text.get_window_extent(t, renderer)) for t in dict.fromkeys(drawn)]


def _layout_faults(fig: Figure, tolerance: float = 0.5) -> list[str]:
    """What is wrong with the layout of ``fig``: overlapping texts, texts cut off by the
    figure's edge, lines running through a text inside its axes (texts on a ground excepted).
    Empty when nothing is.
    """
    texts = _drawn_texts(fig)
    faults = []
    edge = fig.bbox
    for text, box in texts:
        if (
            box.x0 < edge.x0 - tolerance
            or box.y0 < edge.y0 - tolerance
            or box.x1 > edge.x1 + tolerance
            or box.y1 > edge.y1 + tolerance
        ):
            faults.append(f"cut off: {text.get_text()!r} {box.bounds} in {edge.bounds}")
    for (a, box_a), (b, box_b) in itertools.combinations(texts, 2):
        inner = box_a.padded(-tolerance)
        if inner.width > 0 and inner.height > 0 and inner.overlaps(box_b.padded(-tolerance)):
            faults.append(f"overlap: {a.get_text()!r} and {b.get_text()!r}")
    for ax in fig.axes:
        for text, box in texts:
            if text.axes is not ax or text.get_bbox_patch() is not None or text not in ax.texts:
                continue
            for line in ax.get_lines():
                path = line.get_transform().transform_path(line.get_path())
                if len(path.vertices) > 1 and path.intersects_bbox(box, filled=False):
                    faults.append(f"line {line.get_gid()!r} through {text.get_text()!r}")
    return faults


@pytest.mark.parametrize("name", STUDIES)
@pytest.mark.parametrize("label", list(FIGURES))
def test_every_figure_is_laid_out_without_overlap(studies, name, label):
    study = studies(name)
    fig = FIGURES[label](study)
    faults = _layout_faults(fig)
    assert not faults, "\n".join(faults)


def test_layout_check_finds_overlap_cut_text_and_crossed_label():
    fig = plt.figure(figsize=(3, 2))
    plt.close(fig)
    ax = fig.add_subplot()
    assert _layout_faults(fig) == []  # tick labels alone
    ax.text(0.1, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.15, 0.5, "second label", transform=ax.transAxes)
    ax.plot([0, 1], [0.52, 0.52], gid="across")
    fig.text(0.95, 0.5, "runs off the edge")
    faults = "\n".join(_layout_faults(fig))
    assert "overlap: 'first label' and 'second label'" in faults
    assert "cut off: 'runs off the edge'" in faults
    assert "line 'across' through 'first label'" in faults


def test_log_scale_for_counts_without_zeros(cohort):
    assert log_scale(cohort, "nk")  # counts, all above 0
    assert not log_scale(cohort, "pct_nk")  # a percentage
    assert not log_scale(cohort.assign(nk_m6=cohort["nk_m6"].where(cohort.index > 0, 0)), "nk")
    assert not log_scale(cohort.assign(nk_m0=np.nan, nk_m6=np.nan), "nk")  # nothing to show
    assert not log_scale(cohort, "no_such_marker")


def test_a_marker_has_one_scale_in_every_figure(studies):
    study = studies("shipped")
    data, cfg = study.analysed, study.config
    figures = {label: FIGURES[label](study) for label in FIGURES if label.startswith("suppfig-")}
    seen: dict[str, set[str]] = {}
    for label, fig in figures.items():
        kind = [m for m in cfg.markers if m.startswith("pct_") == ("pct" in label)]
        panels = [ax for ax in fig.axes if ax.axison]
        assert len(panels) == len(kind), label
        for marker, ax in zip(kind, panels, strict=True):
            seen.setdefault(marker, set()).add(ax.get_yscale())
    for marker, scales in seen.items():
        values = pd.concat([data[f"{marker}_{cfg.baseline}"], data[f"{marker}_{cfg.followup}"]])
        positive = bool((values.dropna().astype(float) > 0).all())
        expected = "log" if positive and not marker.startswith("pct_") else "linear"
        assert scales == {expected}, marker  # the same at both time points
    baseline = (cfg.highlight_baseline or cfg.markers)[0]
    assert FIGURES["fig-baseline"](study).axes[0].get_yscale() == seen[baseline].pop()
    assert "log" in {s for scales in seen.values() for s in scales}  # skewed counts on log
    paired = FIGURES["fig-paired"](study)
    rows = paired.axes[:: len(cfg.levels)]
    assert [ax.get_yscale() for ax in rows] == [
        "log" if log_scale(data, m) else "linear" for m in cfg.highlight_change
    ]


def test_paired_rows_take_their_own_scale(cohort):
    fig = paired_changes(
        cohort, [("nk_m0", "nk_m6"), ("pct_nk_m0", "pct_nk_m6")], GROUP, log=["nk_m0"]
    )
    rows = [ax.get_yscale() for ax in fig.axes[:: len(LEVELS)]]
    assert rows == ["log", "linear"]


def test_p_value_under_the_panel_title(cohort):
    fig = markers_grid(cohort, ["nk_m0", "cd3_m0"], GROUP, p_values={"nk_m0": 0.03},
                       p_label="between groups")  # fmt: skip
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    (p,) = [t for t in ax.texts if t.get_gid() == "p_value"]
    assert p.get_text() == "between groups p = 0.030"
    p_box, title_box = p.get_window_extent(), ax.title.get_window_extent()
    axes_box = ax.get_window_extent()
    assert axes_box.y1 <= p_box.y0 and p_box.y1 <= title_box.y0  # axes, p, title
    assert p_box.width <= axes_box.width + 1  # no wider than its panel
    assert not [t for t in fig.axes[1].texts if t.get_gid() == "p_value"]


MANY = ["complete remission", "partial remission", "stable disease", "progressive disease",
        "death from any cause", "lost to follow-up"]  # fmt: skip


@pytest.fixture
def many_groups(cohort) -> pd.DataFrame:
    """The cohort in six groups with long names (more than the slots under an axis hold)."""
    rng = np.random.default_rng(2)
    set_context(dictionary=load_dictionary(), levels=MANY, group="course")
    return cohort.assign(course=rng.choice(MANY, len(cohort)))


def test_names_too_wide_for_their_slot_go_to_a_legend(many_groups):
    three = list(LONG_LEVELS.values())  # "progression" is wider than a third of a panel's slot
    data = many_groups.assign(course=many_groups["response_iwg"].map(LONG_LEVELS))
    set_context(dictionary=load_dictionary(), levels=three, group="course")
    columns = ["nk_m0", "cd3_m0", "pct_nk_m0", "pct_cd8_act_m0"]
    grid = markers_grid(data, columns, "course", p_values=dict.fromkeys(columns, 0.2))
    set_context(dictionary=load_dictionary(), levels=MANY, group="course")
    box = marker_by_group(many_groups, "nk_m0", "course", p_value=0.2, p_label="Kruskal–Wallis")
    for fig, names in ((grid, three), (box, MANY)):
        assert _layout_faults(fig) == []
        (legend,) = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
        assert [t.get_text() for t in legend.get_texts()] == names
        ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert all(t.startswith("n = ") for t in ticks), ticks
    assert len([ax for ax in grid.axes if ax.axison]) == 4
    assert grid.axes[0].get_subplotspec().get_gridspec().ncols == 3  # as asked: counts fit


def test_many_groups_keep_apart_in_paired_panels_and_flow(many_groups):
    paired = paired_change(many_groups, "pct_nk_m0", "pct_nk_m6", "course")
    flow = participant_flow({"assessed": 60, "groups": {g: 10 for g in MANY}})
    for fig in (paired, flow):
        assert _layout_faults(fig) == []
    assert paired.axes[0].get_xticklabels()[0].get_rotation() == 90  # upright, not overlapping


# -- synthetic data: a corner mark on the figure and the notice for the files' metadata -------

NOTICE = "These results were computed from a SYNTHETIC cohort."
CUT = {"threshold": 50.0, "sensitivity": 0.7, "specificity": 0.6}


def test_figures_of_synthetic_data_carry_the_mark(cohort):
    plain = marker_by_group(cohort, "nk_m0", GROUP)
    assert SYNTHETIC_MARK not in _texts(plain) and not hasattr(plain, SYNTHETIC_ATTRIBUTE)
    ctx = get_context()
    set_context(
        dictionary=ctx.dictionary,
        group_names=ctx.group_names,
        group_label=ctx.group_label,
        levels=ctx.levels,
        group=ctx.group,
        synthetic=NOTICE,
    )
    figures = [
        marker_by_group(cohort, "nk_m0", GROUP, p_value=0.01),
        markers_grid(cohort, ["nk_m0", "cd3_m0"], GROUP),
        paired_change(cohort, "pct_nk_m0", "pct_nk_m6", GROUP),
        roc_curve(_roc_points(), auc=0.74, cutoff=CUT),
        forest(pd.DataFrame({"label": ["a"], "effect": [0.2], "ci_low": [0.1], "ci_high": [0.3]})),
        participant_flow({"assessed": 3, "groups": {"CR": 1, "PR": 1, "NR": 1}}),
    ]
    for fig in figures:
        assert getattr(fig, SYNTHETIC_ATTRIBUTE) == NOTICE
        (mark,) = [t for t in fig.texts if t.get_gid() == "synthetic_mark"]
        assert mark.get_text() == SYNTHETIC_MARK
        assert _layout_faults(fig) == []  # the mark overlaps nothing and is not cut off
        box = Text.get_window_extent(mark, FigureCanvasAgg(fig).get_renderer())
        assert box.x1 > 0.8 * fig.bbox.width and box.y1 < 0.1 * fig.bbox.height  # lower right
        content = [ax.get_tightbbox() for ax in fig.axes if ax.axison or ax.texts]
        assert all(b.y0 >= box.y1 - 0.5 for b in content)  # in a strip of its own


def test_study_figures_are_marked_when_the_data_are_synthetic(studies):
    shipped, other = studies("shipped"), studies("m12-long-names")
    assert shipped.synthetic and not other.synthetic
    for study in (shipped, other):
        fig = FIGURES["fig-flow"](study)
        assert (SYNTHETIC_MARK in _texts(fig)) == study.synthetic
        assert hasattr(fig, SYNTHETIC_ATTRIBUTE) == study.synthetic
    notice = getattr(FIGURES["fig-roc"](shipped), SYNTHETIC_ATTRIBUTE)
    assert "SYNTHETIC" in notice and "real patient" in notice


def test_notes_of_values_off_a_log_axis_stay_under_their_panel(cohort):
    data = cohort.copy()
    data.loc[data.index[:5], ["nk_m0", "cd3_m0", "nk_m6"]] = 0
    grid = markers_grid(data, ["nk_m0", "cd3_m0", "cd4_m0"], GROUP, log=True)
    box = marker_by_group(data, "nk_m0", GROUP, log=True, p_value=0.3)
    paired = paired_change(data, "nk_m0", "nk_m6", GROUP, log=True)
    for fig in (grid, box, paired):
        assert _layout_faults(fig) == []
    notes = [t for ax in grid.axes for t in ax.texts if t.get_gid() == "hidden_note"]
    assert len(notes) == 2 and all("≤ 0 not shown" in t.get_text() for t in notes)


@pytest.mark.parametrize(
    ("fpr", "tpr"), [(0.05, 0.95), (0.6, 0.98), (0.5, 0.5), (0.3, 0.2), (0.9, 0.9)]
)
def test_roc_cutoff_label_clear_wherever_the_point_is(fpr, tpr):
    points = pd.DataFrame(
        {
            "threshold": [np.inf, 2.0, 1.0, -np.inf],
            "sensitivity": [0.0, tpr, min(1.0, tpr + 0.05), 1.0],
            "specificity": [1.0, 1 - fpr, 1 - min(1.0, fpr + 0.1), 0.0],
        }
    )
    cut = {"threshold": 2.0, "sensitivity": tpr, "specificity": 1 - fpr}
    for auc in (0.7, None):
        fig = roc_curve(points, auc=auc, ci=(0.6, 0.8), cutoff=cut, threshold_unit="cells/µL")
        assert _layout_faults(fig) == []
        (label,) = [t for t in fig.axes[0].texts if t.get_gid() == "cutoff_label"]
        assert label.get_bbox_patch() is None  # a clear place was found: no white ground


def _km_panel(curve: pd.DataFrame, risk: pd.DataFrame, groups: list[str]) -> dict:
    return {
        "title": "Time to event", "xlabel": "Time (months)", "ylabel": "Free of event",
        "curve": curve, "risk": risk, "groups": groups, "names": {g: g for g in groups},
        "p": "log-rank p = 0.40",
    }  # fmt: skip


def test_km_panels_draw_steps_censoring_and_numbers_at_risk():
    from itp_stats.report.figures import km_panels
    from itp_stats.stats.survival import km_curve

    data = pd.DataFrame(
        {"time": [2, 4, 4, 7, 9, 12, 3, 5, 8, 8], "event": [1, 0, 1, 1, 0, 0, 1, 1, 0, 1],
         "group": ["CR"] * 6 + ["PR"] * 4}
    )  # fmt: skip
    curve, risk = km_curve(data, "time", "event", "group", levels=["CR", "PR"], at=[0, 6, 12])
    fig = km_panels([_km_panel(curve, risk, ["CR", "PR"])])
    main, table = fig.axes
    assert main.get_title(loc="left") == "Time to event (log-rank p = 0.40)"
    steps = [line for line in main.lines if line.get_drawstyle() == "steps-post"]
    assert [to_hex(line.get_color()) for line in steps] == [COLOURS["CR"], COLOURS["PR"]]
    ticks = [line for line in main.lines if line.get_marker() == "|"]
    assert sum(len(line.get_xdata()) for line in ticks) == 4  # times with a censored patient
    assert [t.get_text() for t in table.texts] == ["6", "3", "1", "4", "2", "0"]
    assert [t.get_text() for t in table.get_yticklabels()] == ["CR", "PR"]


def test_km_panels_empty():
    from itp_stats.report.figures import km_panels

    empty = pd.DataFrame(columns=["group", "time", "survival", "ci_low", "ci_high", "censored"])
    fig = km_panels([_km_panel(empty, pd.DataFrame(columns=["group", "time", "at_risk"]), [])])
    assert any("No data" in t.get_text() for t in fig.axes[0].texts)
    assert any("No data" in t.get_text() for t in km_panels([]).axes[0].texts)
