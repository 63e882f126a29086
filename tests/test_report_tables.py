"""Report tables: every cell comes from the results, formatted by the table layer."""

from __future__ import annotations

import pandas as pd
import pytest

from itp_stats import report as R
from itp_stats.report import sentences as S
from itp_stats.report import tables as T
from itp_stats.report.format import NNBSP, format_ci, format_median_iqr, format_number, format_p
from itp_stats.report.methods import short_name


@pytest.fixture(scope="module")
def study(tmp_path_factory, cohort_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITP_STATS_ROOT", str(tmp_path_factory.mktemp("state")))
        yield R.setup(str(cohort_path), n_boot=200, export=False)


def test_table1_rows_and_headers(study):
    table, note = T.table1(study)
    sizes = study.analysed[study.group].value_counts()
    n = f"n{NNBSP}={NNBSP}"
    assert list(table.columns) == [
        "Characteristic",
        f"CR ({n}{sizes['CR']})",
        f"PR ({n}{sizes['PR']})",
        f"NR ({n}{sizes['NR']})",
        f"Overall ({n}{len(study.analysed)})",
        "Missing",
        "p",
    ]
    age = table[table["Characteristic"].str.startswith("Age")].iloc[0]
    desc = study.results["table1_continuous"]
    cr = desc[(desc["variable"] == "age_years") & (desc["group"] == "CR")].iloc[0]
    assert age.iloc[1] == format_median_iqr(cr["median"], cr["q1"], cr["q3"], 0)
    tests = study.results["table1_tests"].set_index("variable")
    assert age["p"] == format_p(tests.loc["age_years", "p_unc"]) + "¹"  # its test's mark
    # category labels from the dictionary; a yes/no variable on one row
    sex_levels = table[table["Characteristic"].isin(["\u2003Female", "\u2003Male"])]
    assert len(sex_levels) == 2
    spl = table[table["Characteristic"].str.startswith("Prior splenectomy")]
    assert len(spl) == 1 and spl["Characteristic"].iloc[0] == "Prior splenectomy, yes, n (%)"
    assert "\u20034 × 375 mg/m²" in table["Characteristic"].tolist()
    assert note.startswith("¹ Kruskal–Wallis")
    # every row's mark is in the note, with the test that row used
    for variable, row in tests.iterrows():
        # the note names each test in plain words (itp_stats.report.methods)
        plain = short_name(row["method"])
        mark = next(m for m in "¹²³⁴⁵⁶⁷⁸⁹" if f"{m} {plain}" in note)
        label = study.dictionary.label(variable)
        cell = table[table["Characteristic"].str.startswith(label)]["p"].iloc[0]
        assert cell.endswith(mark), variable


def test_table2_nk_row_matches_results(study):
    table, note = T.table2(study)
    assert len(table) == 13  # 7 counts + 6 percentages
    row = table[table["Marker at baseline"].str.startswith("CD3−CD16+CD56+ NK cells, cells")]
    row = row.iloc[0]
    kw = study.results["baseline_kruskal"].set_index("marker").loc["nk"]
    mw = study.results["baseline_positive"].set_index("marker").loc["nk"]
    assert row["Between groups p (q)"] == f"{format_p(kw['p_unc'])} ({format_p(kw['p_fdr'])})"
    # ε² has a one-sided interval [lower, 1]: printed as its lower bound
    assert kw["ci_high"] == 1.0 and "one-sided" in kw["effect_method"]
    assert row["ε² (one-sided 95% CI)"] == (
        f"{format_number(kw['effect'], 3)} (lower bound {format_number(kw['ci_low'], 3)})"
    )
    assert row["CR vs non-CR r (95% CI)"] == format_ci(mw["effect"], mw["ci_low"], mw["ci_high"])
    assert row["HL shift (95% CI)"] == format_ci(
        mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], 0
    )
    assert "Benjamini–Hochberg" in note and "Hodges–Lehmann" in note


def test_table3_has_each_percentage_for_each_group(study):
    table, _ = T.table3(study)
    assert len(table) == 6 * 3
    assert table["Group"].tolist()[:3] == ["CR", "PR", "NR"]
    within = study.results["change_within"]
    cr = within[(within["marker"] == "pct_nk") & (within["group"] == "CR")].iloc[0]
    nk_rows = table.index[table["Marker"].str.startswith("CD3−CD16+CD56+ NK")]
    assert table.loc[nk_rows[0], "Pairs"] == str(int(cr["n"]))
    # the medians beside the change are those of the paired patients, not of the whole group
    a = study.analysed
    paired = a[(a[study.group] == "CR") & a["pct_nk_m0"].notna() & a["pct_nk_m6"].notna()]
    before = paired["pct_nk_m0"].astype(float).quantile([0.5, 0.25, 0.75]).to_numpy()
    after = paired["pct_nk_m6"].astype(float).quantile([0.5, 0.25, 0.75]).to_numpy()
    assert table.loc[nk_rows[0], "Rituximab start"] == format_median_iqr(*before, 1)
    assert table.loc[nk_rows[0], "6 months"] == format_median_iqr(*after, 1)
    assert len(paired) == int(cr["n"]) < int((a[study.group] == "CR").sum())


def test_supplement_tables(study):
    wide, note = T.subsets_by_group(study, "m0")
    overall = f"Overall (n{NNBSP}={NNBSP}{len(study.analysed)})"
    assert len(wide) == 13 and wide.columns[-1] == overall
    assert not note.endswith(".")  # the table note adds the full stop once
    pairwise, note = T.pairwise_table(study)
    assert len(pairwise) == 13 * 3 and "Holm" in note
    missing, _ = T.missing_table(study)
    labels = missing["Variable"].tolist()
    assert "Total lymphocytes, rituximab start" in labels
    assert len(labels) == len(set(labels))  # m0 and m6 percentage rows are told apart
    assert "CD3−CD16+CD56+ NK cells, % of total lymphocytes, 6 months" in labels
    validation = T.validation_table(study)
    assert len(validation) == len(study.gate.steps)
    assert set(validation["Status"]) == {"pass"}
    assert len(T.dictionary_table(study)) == len(study.dictionary.columns)


def test_result_tables_for_export(study):
    tables = R.result_tables(study)
    assert {"table1", "table2", "results_prediction", "results_baseline_dunn"} <= set(tables)
    pd.testing.assert_frame_equal(tables["results_prediction"], study.results["prediction"])


def test_summary_numbers_come_from_the_results(study):
    text = S.summary_results(study).replace("\u00a0", " ")  # intervals kept on one line
    pred = study.results["prediction"].set_index("effect_type")
    auc = pred.loc["auc"]
    assert format_ci(auc["effect"], auc["ci_low"], auc["ci_high"]) in text
    assert format_number(pred.loc["youden_cutoff", "effect"], 1) in text
    assert f"{100 * pred.loc['sensitivity', 'effect']:.0f}%" in text
    assert f"{100 * pred.loc['specificity', 'effect']:.0f}%" in text
    # every computed interval is printed: those of the sensitivity and specificity too
    for what in ("sensitivity", "specificity"):
        row = pred.loc[what]
        low, high = f"{100 * row['ci_low']:.0f}", f"{100 * row['ci_high']:.0f}"
        assert f"{100 * row['effect']:.0f}% ({low} to {high}%)" in text, what
    mw = study.results["baseline_positive"].set_index("marker").loc["nk"]
    assert format_ci(mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], 0) in text
    within = study.results["change_within"].set_index(["marker", "group"])
    act = within.loc[("pct_cd8_act", "CR")]
    assert act["hl_ci_high"] < 0  # it fell: the sentence prints the size of the fall
    fall = format_ci(-act["hl_estimate"], -act["hl_ci_high"], -act["hl_ci_low"], 1)
    assert f"fell by {fall}{NNBSP}points" in text
    cr = study.analysed[study.group] == "CR"
    median_cr = study.analysed.loc[cr, "nk_m0"].astype(float).median()
    assert f"median {format_number(median_cr, 0)}" in text
    methods = R.statistical_methods(study)
    assert "Dunn" in methods and "DeLong" in methods and "not computed" not in methods
    assert R.synthetic_notice(study).lstrip().startswith("::: {.callout-warning")
    assert R.quality_warnings(study) == ""
    markdown = R.table(study, "table2")
    assert markdown.startswith("| Marker at baseline |") and "*Methods:*" in markdown
    assert "..\n" not in markdown and "::: {.table-note}" in markdown


def test_hl_interval_prints_the_level_it_attains():
    from types import SimpleNamespace

    study = SimpleNamespace(params={"alpha": 0.05})
    row = pd.Series({"hl_estimate": 40.0, "hl_ci_low": 10.0, "hl_ci_high": 100.0})
    attained = pd.concat([row, pd.Series({"hl_conf_level": 0.8})])
    assert T.hl_cell(study, attained, 0) == "40 (10 to 100) [80% CI, the level attained]"
    full = pd.concat([row, pd.Series({"hl_conf_level": 0.95})])
    assert T.hl_cell(study, full, 0) == "40 (10 to 100)"
    unbounded = pd.Series(
        {"hl_estimate": 5.0, "hl_ci_low": float("-inf"), "hl_ci_high": float("inf"),
         "hl_conf_level": 0.95}
    )  # fmt: skip
    assert T.hl_cell(study, unbounded, 0) == "5 (−∞ to ∞)"


def _prepared(tmp_path, monkeypatch, dictionary_edit, study_edit, cells_edit=None):
    from conftest import copy_study
    from gate_cases import cells, write

    from itp_stats.study.prepare import prepare_study

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    study = copy_study(tmp_path / "own", dictionary_edit, study_edit)
    frame = cells() if cells_edit is None else cells_edit(cells())
    data = write(frame, tmp_path / "cohort.csv")
    return prepare_study(data, study=str(study), gate_result=tmp_path / "g.json", n_boot=100)


def test_designs_get_the_tables_they_have(tmp_path, monkeypatch):
    """Unordered groups: no trend table; responders = the positive group: no sensitivity
    table; each said in one line instead of a table of "not computed" rows."""

    def study_edit(s):
        s["group"]["ordered"] = False
        s["group"]["responders"] = ["CR"]

    study = _prepared(tmp_path, monkeypatch, None, study_edit)
    trend, why = T.trend_table(study)
    assert trend.empty and "not ordered" in why
    sens, why = T.sensitivity_table(study)
    assert sens.empty and "repeat the primary comparison" in why
    assert R.table(study, "trend") == T.trend_table(study)[1] + "\n"
    assert "trend" not in R.result_tables(study) and "sensitivity" not in R.result_tables(study)


def test_two_groups_name_the_mann_whitney_u_and_adjust_nothing(tmp_path, monkeypatch):
    from conftest import recorded_group_cells, recorded_group_dictionary, recorded_group_study

    study = _prepared(
        tmp_path, monkeypatch, recorded_group_dictionary, recorded_group_study, recorded_group_cells
    )
    pairs, note = T.pairwise_table(study)
    assert "U" in pairs.columns and "z" not in pairs.columns
    assert "p adjusted" not in pairs.columns and "Holm" not in note
    assert note.startswith("U and p: Mann–Whitney test")
