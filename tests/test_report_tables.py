"""Report tables: every cell comes from the results, formatted by the table layer."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from itp_stats import report as R
from itp_stats.report import sentences as S
from itp_stats.report import tables as T
from itp_stats.report.format import (
    NNBSP,
    format_ci,
    format_median_iqr,
    format_number,
    format_p,
    spelled_out,
)
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
    # every computed interval is printed: those of the rates at the cutoff too
    shown = {}
    for what in ("sensitivity", "specificity", "ppv", "npv"):
        row = pred.loc[what]
        k, n = (int(v) for v in row["note"].split(" of "))
        assert row["effect"] == k / n
        low, high = f"{100 * row['ci_low']:.0f}", f"{100 * row['ci_high']:.0f}"
        shown[what] = f"{100 * row['effect']:.0f}% ({low} to {high}%)"
        assert shown[what] in text, what
    assert (
        f"The positive and negative predictive values at the cutoff were {shown['ppv']} and "
        f"{shown['npv']}."
    ) in text
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
    assert (
        "the sensitivity, specificity and positive and negative predictive values at the "
        "cutoff [@clopper1934] with their Clopper–Pearson intervals and univariable "
    ) in methods.replace("\n", " ")
    assert (
        "Unlike sensitivity and specificity, the predictive values depend on the proportion "
        "of patients in the complete response (CR) group in the cohort."
    ) in spelled_out(methods.replace("\n", " "))
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
    # left out of the documents: the line in an itp-left-out div that report.lua puts in the
    # float's place
    assert R.table(study, "trend") == f"::: {{.itp-left-out}}\n{T.trend_table(study)[1]}\n:::\n"
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
    methods = R.statistical_methods(study)
    assert "Pairs of groups" not in methods and "Holm" not in methods  # one comparison
    assert "compared with the other patients" not in methods  # said once, not twice


# -- decimal markers: every number printed to a precision that shows it ---------------------

_NUMBER = re.compile("[−-]?\\d[\\d\u202f]*(?:\\.\\d+)?")


def _numbers(text: str) -> list[str]:
    return _NUMBER.findall(text)


def _value(text: str) -> float:
    return float(text.replace(NNBSP, "").replace("−", "-"))


def _shows(printed: str, value: float, digits: int) -> bool:
    """``printed`` is ``value`` rounded to ``digits`` decimals or more."""
    decimals = len(printed.partition(".")[2])
    return decimals >= digits and abs(_value(printed) - value) <= 0.5 * 10**-decimals + 1e-9


def _decimal_dictionary(d):
    """NK cells recorded as a level with two decimals (``1.53`` g/dL, like albumin); CD3+ T
    cells, whole counts, printed with the one decimal the dictionary asks for."""
    d["name"] = "decimal-markers-cohort"
    for tp in ("m0", "m6"):
        d["columns"][f"nk_{tp}"].update(type="float", unit="g/dL", range=[0, 100])
    d["markers"]["cd3"]["decimals"] = 1


def _decimal_study(s):
    s["highlight"]["change"] = ["nk"]
    s["predictors"][0]["per"] = 1


@pytest.fixture(scope="module")
def decimal_study(tmp_path_factory):
    from conftest import copy_study
    from gate_cases import cells, write

    from itp_stats.study.prepare import prepare_study

    tmp = tmp_path_factory.mktemp("decimals")
    frame = cells()
    for tp in ("m0", "m6"):  # the shipped counts / 100, written with two decimals
        frame[f"nk_{tp}"] = [f"{int(v) / 100:.2f}" if v else "" for v in frame[f"nk_{tp}"]]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITP_STATS_ROOT", str(tmp))
        study = copy_study(tmp / "own", _decimal_dictionary, _decimal_study)
        data = write(frame, tmp / "cohort.csv")
        yield prepare_study(data, study=str(study), gate_result=tmp / "g.json", n_boot=200)


def test_marker_digits_from_the_data_and_the_dictionary(decimal_study):
    from dataclasses import replace
    from types import SimpleNamespace

    study = decimal_study
    digits = {m: T.marker_digits(study, m) for m in ("nk", "cd4", "cd3", "pct_nk", "pct_cd3")}
    # nk: the two decimals its values carry; cd4: whole counts; cd3: the dictionary's 1 over
    # the data's 0; percentages: 1
    assert digits == {"nk": 2, "cd4": 0, "cd3": 1, "pct_nk": 1, "pct_cd3": 1}
    # the dictionary wins the other way too: 1 decimal for values recorded with 2, and the
    # percentage's own key
    d = study.dictionary
    nk = replace(d.markers["nk"], decimals=1, pct_decimals=2)
    fewer = SimpleNamespace(dictionary=replace(d, markers={**d.markers, "nk": nk}),
                            cohort=study.cohort)  # fmt: skip
    assert (T.marker_digits(fewer, "nk"), T.marker_digits(fewer, "pct_nk")) == (1, 2)
    assert T.marker_digits(fewer, "cd4") == 0
    # a predictor column: its marker's digits
    assert T.column_digits(study, "nk_m0") == 2 and T.column_digits(study, "age_years") == 0


def test_decimal_marker_cells_show_their_values(decimal_study):
    study = decimal_study
    table, _ = T.table2(study)
    label = T.marker_label(study, "nk")
    assert label.endswith(", g/dL")
    row = table[table["Marker at baseline"] == label].iloc[0]
    desc = study.results["marker_descriptives"]
    for level in study.levels:
        cell = row[T._group_header(study, level)].split(f" (n{NNBSP}")[0]
        values = study.analysed.loc[study.analysed[study.group] == level, "nk_m0"].astype(float)
        q = desc[(desc["variable"] == "nk_m0") & (desc["group"] == level)].iloc[0]
        median, q1, q3 = _numbers(cell)
        assert _shows(median, values.median(), 2), cell  # 0.82, not 1
        assert _shows(q1, q["q1"], 2) and _shows(q3, q["q3"], 2), cell
    mw = study.results["baseline_positive"].set_index("marker").loc["nk"]
    shift = row["HL shift (95% CI)"]
    est, low, high = _numbers(shift)  # −0.66 (−0.98 to −0.34), not −1 (−1 to −0)
    assert _shows(est, mw["hl_estimate"], 2), shift
    assert _shows(low, mw["hl_ci_low"], 2) and _shows(high, mw["hl_ci_high"], 2), shift
    assert _value(est) != 0 and est not in (low, high)
    # the dictionary's decimals for whole counts: 922.0 [746.0–1 968.0]
    cd3 = table[table["Marker at baseline"] == T.marker_label(study, "cd3")].iloc[0]
    assert all(len(n.partition(".")[2]) == 1 for n in _numbers(cd3.iloc[1]))
    # the change table: the medians at both times and the change, two decimals or more
    changes, _ = T.change_table_all(study)
    within = study.results["change_within"]
    first = changes.index[changes["Marker"] == label][0]
    for i, level in enumerate(study.levels):
        line = changes.loc[first + i]
        r = within[(within["marker"] == "nk") & (within["group"] == level)].iloc[0]
        assert line["Group"] == level
        assert _shows(_numbers(line.iloc[3])[0], r["before_median"], 2)
        assert _shows(_numbers(line.iloc[4])[0], r["after_median"], 2)
        est, low, high = _numbers(line["HL change (95% CI)"])
        assert _shows(est, r["hl_estimate"], 2) and est not in (low, high)


def test_decimal_marker_sentences_print_what_the_tables_print(decimal_study):
    study = decimal_study
    text = S.baseline_text(study).replace("\u00a0", " ")
    medians = re.search(f"median (\\S+) against (\\S+){NNBSP}g/dL", text)
    assert medians, text
    cr = study.analysed[study.group] == "CR"
    assert _shows(medians[1], study.analysed.loc[cr, "nk_m0"].astype(float).median(), 2)
    assert _shows(medians[2], study.other_median("nk_m0"), 2)  # 0.82 against 1.54
    table, _ = T.table2(study)
    rows = table.set_index("Marker at baseline")
    shift = rows.loc[T.marker_label(study, "nk"), "HL shift (95% CI)"]
    assert f"Hodges–Lehmann shift {shift}{NNBSP}g/dL" in text
    # the change: "rose by 0.55 (0.14 to 1.06) g/dL", not "rose by 1 (0 to 1)"
    change = S.change_text(study).replace("\u00a0", " ")
    amount = re.search(f"(rose|fell) by (\\S+) \\((\\S+) to (\\S+)\\){NNBSP}g/dL", change)
    assert amount, change
    r = study.results["change_within"]
    r = r[(r["marker"] == "nk") & (r["group"] == "CR")].iloc[0]
    sign = 1 if amount[1] == "rose" else -1
    assert _shows(amount[2], sign * r["hl_estimate"], 2)
    bounds = sorted([sign * r["hl_ci_low"], sign * r["hl_ci_high"]])
    assert _shows(amount[3], bounds[0], 2) and _shows(amount[4], bounds[1], 2)


def test_cutoff_has_one_rounding_in_the_text_and_the_figure(decimal_study):
    study = decimal_study
    text = S.prediction_text(study)
    cut = study.results["prediction"].set_index("effect_type").loc["youden_cutoff"]
    found = re.search(f"Youden's index was (\\S+){NNBSP}g/dL \\(bootstrap", text)
    assert found, text
    # a midpoint between values of two decimals: three (0.925, not 0.9)
    assert _shows(found[1], cut["effect"], 3)
    digits = T.cutoff_digits(study, "nk_m0", cut["effect"], cut["ci_low"], cut["ci_high"])
    assert found[1] == format_number(cut["effect"], digits)
    fig = R.roc_figure(study)
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "cutoff_label"]
    assert labels and labels[0].startswith(f"Youden cutoff {found[1]} g/dL")


def test_an_estimate_never_prints_on_its_bound():
    from types import SimpleNamespace

    study = SimpleNamespace(params={"alpha": 0.05})

    def cell(est, low, high, digits):
        row = pd.Series({"hl_estimate": est, "hl_ci_low": low, "hl_ci_high": high,
                         "hl_conf_level": 0.95})  # fmt: skip
        return T.hl_cell(study, row, digits)

    assert cell(1.5, 1.1, 2.1, 0) == "1.5 (1.1 to 2.1)"  # not 2 (1 to 2)
    assert cell(-0.21, -0.30, -0.12, 0) == "−0.2 (−0.3 to −0.1)"  # not −0 (−0 to −0)
    assert cell(-0.21, -0.30, -0.12, 2) == "−0.21 (−0.30 to −0.12)"
    assert cell(5.0, 5.0, 9.0, 0) == "5 (5 to 9)"  # truly on its bound: as it is
    assert cell(-66.0, -98.0, -34.0, 0) == "−66 (−98 to −34)"


def test_group_labels_of_the_dictionary_head_the_tables(tmp_path, monkeypatch):
    """A recorded group coded yes/no-like is shown by its dictionary labels, not its codes."""
    from conftest import recorded_group_cells, recorded_group_dictionary, recorded_group_study

    def dictionary(d):
        recorded_group_dictionary(d)
        d["columns"]["response_m6"]["labels"] = {
            "responder": "Responded",
            "non-responder": "Did not respond",
        }

    study = _prepared(tmp_path, monkeypatch, dictionary, recorded_group_study, recorded_group_cells)
    table, _ = T.table2(study)
    headers = " ".join(table.columns)
    assert "Responded (n" in headers and "Did not respond (n" in headers
    assert "Responded vs Did not respond r" in headers
    assert "responder (n" not in headers and "non-responder" not in headers


def test_category_values_are_shown_by_their_dictionary_labels(study):
    # every table prints a category as Table 1 does (its label); the dictionary and the
    # gate's rules add the code the file holds
    labelled = [c for c in study.dictionary.columns.values() if c.category_labels]
    assert {c.name for c in labelled} >= {"sex", "rtx_regimen"}
    dictionary = T.dictionary_table(study).set_index("Column")
    rules = T.validation_table(study).set_index("Rule")
    for column in labelled:
        allowed = dictionary.loc[f"`{column.name}`", "Allowed"]
        shown = [f"{column.category_labels.get(c, c)} (`{c}`)" for c in column.categories]
        assert allowed == ", ".join(shown)
        rule = next(r for r in rules.index if r.startswith(f"{column.label}: one of"))
        for code in column.categories:
            assert f"{column.category_labels[code]} ({code})" in rule
    assert "4 × 375 mg/m² (`4x375mg/m2`)" in dictionary.loc["`rtx_regimen`", "Allowed"]
