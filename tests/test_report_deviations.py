"""Deviations from the analysis plan: what ran against what was planned (rules D1–D5)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from example_study import STUDY, write_example_cohort

from itp_stats.report.deviations import DEVIATION_COLUMNS, deviations, plan_paragraph
from itp_stats.report.sap import PLANNED_PARAMETERS, plan_sha256
from itp_stats.study.config import load_study
from itp_stats.study.plan import DROPPED_GROUPS_COLUMNS, NO_ONE_IN_GROUP
from itp_stats.study.prepare import prepare_study

ROOT = Path(__file__).resolve().parents[1]


def _fake(params=None, dropped=(), tests=(), empty_columns=()):
    """A computed study as the rules read it: parameters and a few result tables."""
    config = load_study(ROOT / "data" / "study.yaml")
    omnibus = pd.DataFrame(
        [{"test": t, "method": m} for t, m in tests] or [{"test": "kruskal_wallis", "method": "x"}]
    )
    desc = pd.DataFrame(
        [{"variable": "nk_m0", "group": "CR", "n": 5}]
        + [{"variable": c, "group": g, "n": 0} for c in empty_columns for g in ("CR", "NR")]
    )
    return SimpleNamespace(
        config=config,
        params=dict(PLANNED_PARAMETERS) | dict(params or {}),
        results={
            "dropped_groups": pd.DataFrame(list(dropped), columns=DROPPED_GROUPS_COLUMNS),
            "table1_tests": omnibus.assign(kind="continuous"),
            "baseline_kruskal": omnibus,
            "change_between": omnibus.iloc[0:0],
            "marker_descriptives": desc,
        },
    )


def test_the_planned_run_has_none():
    study = _fake()
    assert deviations(study).empty
    text = plan_paragraph(study)
    assert text.endswith("Deviations from the plan: none.")
    assert plan_sha256(load_study(ROOT / "data" / "study.yaml"))[:12] in text


def test_an_overridden_parameter_is_listed():
    found = deviations(_fake({"alpha": 0.01, "seed": 1}))
    assert list(found.columns) == DEVIATION_COLUMNS
    assert found[["rule", "what", "planned", "run"]].values.tolist() == [
        ["D1", "alpha", "0.05", "0.01"],
        ["D1", "seed", "20230601", "1"],
    ]
    text = plan_paragraph(_fake({"alpha": 0.01}))
    assert "alpha was 0.01 instead of the planned 0.05" in text and "none" not in text
    text = plan_paragraph(_fake({"n_boot": 200}))
    assert "the number of bootstrap resamples was 200 instead of the planned 2000" in text


def test_dropped_and_left_out_groups_and_switched_tests_are_counted():
    dropped = [
        ("NR", 0, NO_ONE_IN_GROUP, None, "all"),
        ("PR", 2, "fewer than 3 non-missing values", "nk_m0", "baseline_kruskal"),
        ("PR", 2, "fewer than 3 non-missing values", "cd3_m0", "baseline_kruskal"),
    ]
    tests = [("mann_whitney", "Mann–Whitney U"), ("mann_whitney", "Mann–Whitney U"),
             ("kruskal_wallis", "not computed: fewer than two groups")]  # fmt: skip
    found = deviations(_fake(dropped=dropped, tests=tests))
    rows = found[["rule", "what", "run", "n"]].values.tolist()
    assert ["D2", "NR", NO_ONE_IN_GROUP, 0] in rows
    assert ["D3", "PR", "fewer than 3 values", 2] in rows
    # table1_tests and baseline_kruskal each ran the same three rows
    assert ["D4", "between-group test", "mann_whitney", 4] in rows
    assert ["D4", "between-group test", "not computed", 2] in rows
    text = plan_paragraph(_fake(dropped=dropped, tests=tests))
    assert "group NR had no patients and was dropped from every analysis" in text
    assert "group PR was left out of the between-group tests of 2 variables" in text
    assert "4 between-group tests used Mann–Whitney instead of Kruskal–Wallis" in text
    assert "2 between-group tests planned as Kruskal–Wallis could not be computed" in text


def test_a_marker_without_data_is_listed():
    found = deviations(_fake(empty_columns=["cd19_m6"]))
    assert found[["rule", "what"]].values.tolist() == [["D5", "cd19_m6"]]
    study = _fake(empty_columns=["cd19_m6"])
    label = study.config.dictionary.label("cd19_m6")
    assert f"{label} had no value: not analysed" in plan_paragraph(study)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    data = write_example_cohort(folder / "small.csv", sizes=(20, 2, 20))
    return prepare_study(data, study=STUDY, gate_result=folder / "gate.json", n_boot=200)


def test_a_cohort_with_a_too_small_group_lists_the_dropped_comparisons(small):
    found = deviations(small)
    rules = found.set_index("rule")
    assert rules.loc["D1", "what"] == "n_boot"  # the test's own 200 resamples
    assert rules.loc["D3", "what"] == "stable" and rules.loc["D3", "n"] > 0
    assert rules.loc["D4", "run"] == "mann_whitney" and rules.loc["D4", "n"] > 0
    text = plan_paragraph(small)
    assert "group stable was left out of the between-group tests of" in text
    assert "used Mann–Whitney instead of Kruskal–Wallis (groups left out)" in text


def test_the_shipped_study_with_two_pr_patients_lists_the_dropped_comparisons(tmp_path):
    frame = pd.read_csv(ROOT / "data" / "cohort.csv", dtype=str, keep_default_na=False)
    pr = frame.index[frame["response_m6"] == "PR"]
    frame.drop(pr[2:]).to_csv(tmp_path / "small_pr.csv", index=False)
    study = prepare_study(
        tmp_path / "small_pr.csv", study=ROOT / "data" / "study.yaml",
        gate_result=tmp_path / "gate.json",
    )  # fmt: skip
    found = deviations(study)
    assert set(found["rule"]) == {"D3", "D4"}  # planned parameters: no D1
    text = plan_paragraph(study)
    assert "group PR was left out of the between-group tests of" in text
    assert "used Mann–Whitney instead of Kruskal–Wallis (groups left out)" in text


def test_a_study_plans_its_own_parameters_and_the_report_holds_the_render_to_them(tmp_path):
    """``plan: {alpha: 0.01, adjust: bh}`` in the study configuration: the plan states them,
    its digest changes, and a render at the documents' defaults deviates from them (while a
    render at the planned values does not)."""
    from conftest import copy_study

    from itp_stats.report.sap import analysis_plan, plan_record

    def planned(raw):
        raw["plan"] = {"alpha": 0.01, "adjust": "BH"}

    config = load_study(copy_study(tmp_path, study_edit=planned))
    assert config.planned == {"alpha": 0.01, "adjust": "bh", "n_boot": 2000, "seed": 20230601}
    record = plan_record(config)
    assert record["parameters"] == config.planned
    assert record["sha256"] != plan_record(load_study(ROOT / "data" / "study.yaml"))["sha256"]
    words = " ".join(analysis_plan(config)["plan"])
    assert "99% confidence interval" in words and "95% confidence interval" not in words
    at_defaults = SimpleNamespace(**vars(_fake()) | {"config": config})
    found = deviations(at_defaults)
    assert found[["rule", "what", "planned", "run"]].values.tolist() == [
        ["D1", "alpha", "0.01", "0.05"],
        ["D1", "adjust", "bh", "holm"],
    ]
    assert "alpha was 0.05 instead of the planned 0.01" in plan_paragraph(at_defaults)
    as_planned = SimpleNamespace(**vars(at_defaults) | {"params": dict(config.planned)})
    assert deviations(as_planned).empty
    assert plan_paragraph(as_planned).endswith("Deviations from the plan: none.")


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"alpha": 1.5}, "plan.alpha: 1.5: expected a number between 0 and 1"),
        ({"adjust": "holmes"}, "plan.adjust: 'holmes': expected one of .*did you mean holm"),
        ({"n_boot": 0}, "plan.n_boot: 0: expected a whole number of at least 1"),
        ({"sead": 1}, r"plan.sead: not a planned parameter \(known: alpha, adjust, n_boot, seed\)"),
        ([0.01], "plan: expected a mapping of alpha, adjust, n_boot, seed"),
    ],
)
def test_a_malformed_plan_is_refused_with_the_file_and_key(tmp_path, plan, message):
    from conftest import copy_study

    from itp_stats.errors import StudyConfigError

    def edit(raw):
        raw["plan"] = plan

    path = copy_study(tmp_path, study_edit=edit)
    with pytest.raises(StudyConfigError, match=f"{path}: {message}"):
        load_study(path)
