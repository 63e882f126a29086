"""Report tables: every cell comes from the results, formatted by the table layer."""

from __future__ import annotations

import pandas as pd
import pytest

from itp_stats import report as R
from itp_stats.report import tables as T
from itp_stats.report.format import format_ci, format_median_iqr, format_number, format_p


@pytest.fixture(scope="module")
def study(tmp_path_factory, cohort_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITP_STATS_ROOT", str(tmp_path_factory.mktemp("state")))
        yield R.setup(str(cohort_path), n_boot=200, export=False)


def test_table1_rows_and_headers(study):
    table, note = T.table1(study)
    sizes = study.analysed[study.group].value_counts()
    assert list(table.columns) == [
        "Characteristic",
        f"CR (n = {sizes['CR']})",
        f"PR (n = {sizes['PR']})",
        f"NR (n = {sizes['NR']})",
        f"Overall (n = {len(study.analysed)})",
        "Missing",
        "p",
    ]
    age = table[table["Characteristic"].str.startswith("Age")].iloc[0]
    desc = study.results["table1_continuous"]
    cr = desc[(desc["variable"] == "age_years") & (desc["group"] == "CR")].iloc[0]
    assert age.iloc[1] == format_median_iqr(cr["median"], cr["q1"], cr["q3"], 0)
    tests = study.results["table1_tests"].set_index("variable")
    assert age["p"] == format_p(tests.loc["age_years", "p_unc"])
    sex_levels = table[table["Characteristic"].isin(["\u2003F", "\u2003M"])]
    assert len(sex_levels) == 2
    assert "Kruskal–Wallis" in note


def test_table2_nk_row_matches_results(study):
    table, note = T.table2(study)
    assert len(table) == 13  # 7 counts + 6 percentages
    row = table[table["Subset at baseline"].str.startswith("CD3−CD16+CD56+ NK cells, cells")]
    row = row.iloc[0]
    kw = study.results["baseline_kruskal"].set_index("marker").loc["nk"]
    mw = study.results["baseline_cr_vs_noncr"].set_index("marker").loc["nk"]
    assert row["Kruskal–Wallis p (q)"] == f"{format_p(kw['p_unc'])} ({format_p(kw['p_fdr'])})"
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
    nk_rows = table.index[table["Subset"].str.startswith("CD3−CD16+CD56+ NK")]
    assert table.loc[nk_rows[0], "Pairs"] == str(int(cr["n"]))


def test_supplement_tables(study):
    wide, _ = T.subsets_by_group(study, "m0")
    assert len(wide) == 13 and wide.columns[-1] == f"Overall (n = {len(study.analysed)})"
    pairwise, note = T.pairwise_table(study)
    assert len(pairwise) == 13 * 3 and "Holm" in note
    missing, _ = T.missing_table(study)
    assert "Total lymphocytes at rituximab start" in missing["Variable"].tolist()
    validation = T.validation_table(study)
    assert len(validation) == len(study.gate.steps)
    assert set(validation["Status"]) == {"pass"}
    assert len(T.dictionary_table(study)) == len(study.dictionary.columns)


def test_result_tables_for_export(study):
    tables = R.result_tables(study)
    assert {"table1", "table2", "results_prediction", "results_baseline_dunn"} <= set(tables)
    pd.testing.assert_frame_equal(tables["results_prediction"], study.results["prediction"])


def test_numbers_and_text(study):
    n = R.numbers(study)
    assert n.n_file == 72 and n.n_analysed + n.n_excluded == 72
    pred = study.results["prediction"].set_index("effect_type")
    auc, odds = pred.loc["auc"], pred.loc["odds_ratio"]
    assert n.auc == format_ci(auc["effect"], auc["ci_low"], auc["ci_high"])
    assert n.or_ == format_ci(odds["effect"], odds["ci_low"], odds["ci_high"])
    assert n.cutoff == format_number(pred.loc["youden_cutoff", "effect"], 1)
    assert n.sens == f"{100 * pred.loc['sensitivity', 'effect']:.0f}%"
    assert n.spec == f"{100 * pred.loc['specificity', 'effect']:.0f}%"
    kw = study.results["baseline_kruskal"].set_index("marker").loc["nk"]
    mw = study.results["baseline_cr_vs_noncr"].set_index("marker").loc["nk"]
    assert n.nk_kw_p == format_p(kw["p_unc"])
    assert (n.nk_mw_p, n.nk_mw_q) == (format_p(mw["p_unc"]), format_p(mw["p_fdr"]))
    within = study.results["change_within"].set_index(["marker", "group"])
    act = within.loc[("pct_cd8_act", "CR")]
    assert n.act_change_cr == format_ci(act["hl_estimate"], act["hl_ci_low"], act["hl_ci_high"], 1)
    assert n.act_p_cr == format_p(act["p_unc"])
    cr = study.analysed[study.group] == "CR"
    assert n.nk_cr == format_number(study.analysed.loc[cr, "nk_m0"].astype(float).median(), 0)
    assert n.nk_noncr == format_number(study.analysed.loc[~cr, "nk_m0"].astype(float).median(), 0)
    methods = R.statistical_methods(study)
    assert "Dunn" in methods and "DeLong" in methods and "not computed" not in methods
    assert R.synthetic_notice(study).startswith("::: {.callout-warning")
    assert R.quality_warnings(study) == ""
    markdown = R.table(study, "table2")
    assert markdown.startswith("| Subset at baseline |") and "*Methods:*" in markdown
