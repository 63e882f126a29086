"""Report tables built from the analysis results: Tables 1–3 and the supplement's tables.

Each function takes a :class:`itp_stats.study.prepare.Study` and returns a formatted DataFrame (text
cells, display column names) plus, where the table has tests, a footnote naming how every
p-value was computed (from the results' ``method`` column).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from itp_stats.cohort.computed import OPERATIONS
from itp_stats.report.floats import left_out, table_number
from itp_stats.report.format import (
    NNBSP,
    format_ci,
    format_median_iqr,
    format_n_pct,
    format_number,
    format_p,
    interval_digits,
    recorded_decimals,
)
from itp_stats.report.methods import method_variant, not_a_method, short_name, variant_marks
from itp_stats.study.prepare import Study
from itp_stats.text import join_words

__all__ = [
    "column_digits",
    "conf_header",
    "cutoff_digits",
    "marker_digits",
    "marker_label",
    "marker_unit",
    "methods_note",
    "table1",
    "table2",
    "table3",
    "subsets_by_group",
    "pairwise_table",
    "trend_table",
    "missing_table",
    "sensitivity_table",
    "change_table_all",
    "dictionary_table",
    "validation_table",
]


def marker_unit(study: Study, marker: str) -> str:
    """Unit of a marker of the analysis family: ``%`` for percentages, else the dictionary's."""
    if marker.startswith("pct_"):
        return "%"
    d = study.dictionary
    column = d.column(d.markers[marker].column(study.config.baseline))
    return (column.unit if column is not None else None) or ""


def marker_label(study: Study, marker: str, *, unit: bool = True) -> str:
    """Display label of a marker of the analysis family (``nk``, ``pct_nk``).

    Counts get their unit after a comma (``NK cells, cells/µL``) unless ``unit`` is False;
    percentages read ``NK cells, % of total lymphocytes``.
    """
    d = study.dictionary
    if marker.startswith("pct_"):
        name = marker[4:]
        m = d.markers[name]
        parent = d.markers[m.parent].label if m.parent else ""
        parent = parent[0].lower() + parent[1:] if parent[1:2].islower() else parent
        return f"{m.label}, % of {parent}"
    m = d.markers[marker]
    u = marker_unit(study, marker)
    return f"{m.label}, {u}" if (unit and u) else m.label


def conf_header(study: Study) -> str:
    """The confidence level as table headers print it: ``95% CI``."""
    conf = 100 * (1 - float(study.params["alpha"]))
    return f"{conf:.1f}".removesuffix(".0") + "% CI"


def marker_digits(study: Study, marker: str) -> int:
    """Decimals a marker of the analysis family (``alb``, ``pct_nk``) prints with, in the
    tables, the sentences and the figures alike.

    Parameters
    ----------
    study : Study
    marker : str
        The marker; ``pct_<name>`` for its percentage.

    Returns
    -------
    int
        The dictionary's ``decimals`` of the marker (``pct_decimals`` for its percentage)
        when given; else 1 for a percentage; else the decimals the marker's recorded values
        show in the loaded cohort, at every time point (:func:`recorded_decimals`, at most
        3): 0 for counts, 2 for values recorded as ``3.44``. An estimate with its interval
        may print with more (:func:`itp_stats.report.format.interval_digits`).
    """
    d = study.dictionary
    pct = marker.startswith("pct_")
    m = d.markers.get(marker[4:] if pct else marker)
    given = None if m is None else (m.pct_decimals if pct else m.decimals)
    if given is not None:
        return int(given)
    if pct or m is None:
        return 1 if pct else 0
    columns = [c for c in (m.column(tp) for tp in d.timepoints) if c in study.cohort]
    if not columns:
        return 0
    return recorded_decimals(pd.concat([study.cohort[c] for c in columns], ignore_index=True))


def column_digits(study: Study, column: str) -> int:
    """Decimals of a column's values: a marker column's are its marker's
    (:func:`marker_digits`), another column's those its recorded values show."""
    d = study.dictionary
    for tp in d.timepoints:
        stem = column.removesuffix(f"_{tp}")
        if stem != column and (stem in d.markers or stem.removeprefix("pct_") in d.markers):
            return marker_digits(study, stem)
    return recorded_decimals(study.cohort[column]) if column in study.cohort else 0


def cutoff_digits(study: Study, column: str, cutoff: float, low: float, high: float) -> int:
    """Decimals of a cutoff of ``column`` and its bootstrap interval: the one rounding the
    text and the ROC figure print it with.

    A Youden cutoff lies midway between two recorded values, so it needs one decimal more
    than its column's (:func:`column_digits`); more when it would print on a bound it differs
    from (:func:`itp_stats.report.format.interval_digits`). ``12.5`` for a count, ``1.85``
    for values recorded to one decimal.
    """
    return interval_digits(cutoff, low, high, column_digits(study, column) + 1)


def _n(n: int) -> str:
    return f"n{NNBSP}={NNBSP}{n}"


def _group_header(study: Study, level: str) -> str:
    n = int((study.analysed[study.group] == level).sum())
    return f"{study.config.level_label(level)} ({_n(n)})"


def _sizes(study: Study) -> dict[str, int]:
    sizes = {g: int((study.analysed[study.group] == g).sum()) for g in study.levels}
    sizes["Overall"] = len(study.analysed)
    return sizes


def _desc_cells(
    desc: pd.DataFrame,
    variable: str,
    groups: list[str],
    digits: int,
    sizes: dict[str, int] | None = None,
) -> list[str]:
    """median [IQR] per group; ``(n = k)`` appended when fewer than the group have a value."""
    rows = desc[desc["variable"] == variable].set_index("group")
    cells = []
    for g in groups:
        if g in rows.index:
            r = rows.loc[g]
            text = format_median_iqr(r["median"], r["q1"], r["q3"], digits)
            if sizes is not None and g in sizes and int(r["n"]) < sizes[g] and text != "—":
                text += f" ({_n(int(r['n']))})"
            cells.append(text)
        else:
            cells.append("—")
    return cells


def _p_with_q(p: float, q: float) -> str:
    if pd.isna(p):
        return "not computed"
    return f"{format_p(p)} ({format_p(q)})" if pd.notna(q) else format_p(p)


def _marked(text: str, method: object, marks: dict[str, str]) -> str:
    """A p cell with the mark of its variant (:func:`methods.variant_marks`), if any."""
    return text + marks.get(str(method), "") if text != "not computed" else text


def methods_note(columns: list[tuple[str, Any]], marked: tuple[str, ...] = ()) -> str:
    """A table's note: each column's method in words and how it was obtained.

    Parameters
    ----------
    columns : list of (str, iterable)
        A column's header and the ``method`` values of its rows.
    marked : tuple of str
        The headers of the columns whose cells carry the marks of their variants
        (:func:`_marked`); another column with several variants says they follow the row.

    Returns
    -------
    str
        ``"Between groups p: Kruskal–Wallis test (chi-square approximation); Mann–Whitney p:
        Mann–Whitney test (¹ exact p; ² normal approximation with tie and continuity
        corrections)"``; columns without a method are left out. The complete method strings
        are in the supplement's Computational notes.
    """
    parts = []
    for label, methods in columns:
        kept = [str(m) for m in methods if not not_a_method(m)]
        if not kept:
            continue
        names = list(dict.fromkeys(short_name(m) for m in kept))
        marks, variants = variant_marks(kept)
        if marks and label not in marked:
            words = [v.split(" ", 1)[1] for v in variants.split("; ")]
            variants = f"{' or '.join(words)}, as the row's p"
        parts.append(f"{label}: {join_words(names)}" + (f" ({variants})" if variants else ""))
    return "; ".join(parts)


_MARKS = "¹²³⁴⁵⁶⁷⁸⁹"


def _test_marks(methods: pd.Series) -> tuple[dict[str, str], str]:
    """A superscript mark per distinct test (gtsummary's footnoted test per row), and the note."""
    marks: dict[str, str] = {}
    for method in methods:
        method = str(method)
        if method.startswith("not computed") or method in marks:
            continue
        marks[method] = _MARKS[len(marks) % len(_MARKS)]
    note = "; ".join(
        f"{mark} {short_name(method)}" + (f" ({v})" if (v := method_variant(method)) else "")
        for method, mark in marks.items()
    )
    return marks, note


def _level_label(study: Study, variable: str, level: str) -> str:
    column = study.dictionary.columns.get(variable)
    if column is not None and level in column.category_labels:
        return column.category_labels[level]
    return {"True": "yes", "False": "no"}.get(level, level)


def table1(study: Study) -> tuple[pd.DataFrame, str]:
    """Table 1: baseline characteristics by group and overall.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``Characteristic``, one per group with its n, ``Overall``, ``Missing``,
        ``p``. Continuous variables as median [IQR]; yes/no variables on one row (n (%) of
        yes); other categorical variables as n (%) per level, levels labelled from the
        dictionary. Each p carries a superscript mark naming its test.
    footnote : str
        The tests, one per mark (from the ``method`` column).
    """
    res = study.results
    groups = study.levels
    cols = ["Characteristic", *(_group_header(study, g) for g in groups)]
    cols += [f"Overall ({_n(len(study.analysed))})", "Missing", "p"]
    tests = res["table1_tests"].set_index("variable")
    marks, note = _test_marks(tests["method"])
    missing = res["table1_missing"]
    rows = []
    cont = res["table1_continuous"]
    cat = res["table1_categorical"]
    d = study.dictionary
    for variable in tests.index:
        known = d.column(variable)
        label = known.label_with_unit if known is not None else d.label(variable)
        miss = missing[(missing["variable"] == variable) & (missing["group"] == "Overall")]
        n_miss = int(miss["n_missing"].iloc[0]) if len(miss) else 0
        p = tests.loc[variable, "p_unc"]
        method = str(tests.loc[variable, "method"])
        p_text = f"{format_p(p)}{marks.get(method, '')}" if pd.notna(p) else "not computed"
        if tests.loc[variable, "kind"] == "continuous":
            digits = 0 if d.columns.get(variable) and d.columns[variable].type == "integer" else 1
            cells = _desc_cells(cont, variable, [*groups, "Overall"], digits)
            rows.append([f"{label}, median [IQR]", *cells, str(n_miss), p_text])
            continue
        sub = cat[cat["variable"] == variable]
        levels = list(dict.fromkeys(sub["level"].astype(str)))
        column = d.columns.get(variable)
        if column is not None and column.type == "boolean" and set(levels) <= {"True", "False"}:
            lv = sub[sub["level"].astype(str) == "True"].set_index("group")
            cells = [
                format_n_pct(lv.loc[g, "n"], lv.loc[g, "n_total"]) if g in lv.index else "—"
                for g in [*groups, "Overall"]
            ]
            rows.append([f"{label}, yes, n (%)", *cells, str(n_miss), p_text])
            continue
        rows.append([f"{label}, n (%)", *[""] * (len(groups) + 1), str(n_miss), p_text])
        for level in levels:
            lv = sub[sub["level"].astype(str) == level].set_index("group")
            cells = [
                format_n_pct(lv.loc[g, "n"], lv.loc[g, "n_total"]) if g in lv.index else "—"
                for g in [*groups, "Overall"]
            ]
            rows.append([f"\u2003{_level_label(study, variable, level)}", *cells, "", ""])
    table = pd.DataFrame(rows, columns=cols)
    return table, note


def _one_sided(row: pd.Series) -> bool:
    return "one-sided" in str(row.get("effect_method", "")) and row.get("ci_high") == 1.0


def effect_cell(row: pd.Series, digits: int = 3) -> str:
    """An effect and its interval; a one-sided interval [lower, 1] as ``0.22 (lower bound
    0.07)``."""
    if _one_sided(row) and pd.notna(row.get("effect")):
        low = format_number(row["ci_low"], digits)
        return f"{format_number(row['effect'], digits)} (lower bound {low})"
    return format_ci(row["effect"], row["ci_low"], row["ci_high"], digits)


def hl_cell(study: Study, row: pd.Series, digits: int) -> str:
    """A Hodges–Lehmann estimate with its interval; the attained level when it is not the
    report's (few pairs or tiny groups cannot reach it), an unbounded side as ±∞.

    Printed with the marker's ``digits`` (:func:`marker_digits`), or more where a non-zero
    estimate would print as 0 or on a bound it differs from
    (:func:`itp_stats.report.format.interval_digits`): ``−0.21 (−0.30 to −0.12)``, not
    ``−0 (−0 to −0)``.
    """
    est, low, high = row["hl_estimate"], row["hl_ci_low"], row["hl_ci_high"]
    text = format_ci(est, low, high, interval_digits(est, low, high, digits))
    level = row.get("hl_conf_level")
    wanted = 1 - float(study.params["alpha"])
    if pd.notna(level) and abs(float(level) - wanted) > 1e-9 and text != "not computed":
        attained = f"{100 * float(level):.1f}".removesuffix(".0")
        text += f" [{attained}% CI, the level attained]"
    return text


def _effect_name(table: pd.DataFrame) -> str:
    kinds = {str(k) for k in table["effect_type"].dropna()}
    names = {"epsilon_squared": "ε²", "rank_biserial": "r"}
    return names[kinds.pop()] if len(kinds) == 1 and next(iter(kinds)) in names else "Effect"


def table2(study: Study) -> tuple[pd.DataFrame, str]:
    """Table 2: baseline markers (counts and %) by group.

    Returns
    -------
    table : pandas.DataFrame
        ``Marker at baseline``, median [IQR] per group (``(n = k)`` when fewer patients
        than the group's have a value), ``Between groups p (q)`` (Kruskal–Wallis, or
        Mann–Whitney when two groups are compared), its effect (``ε²``) with the CI at the
        report's level, ``<positive> vs non-<positive> r`` (rank-biserial), ``HL shift``
        (Hodges–Lehmann, positive group minus the others) and ``Mann–Whitney p (q)``; ``q``
        is the Benjamini–Hochberg adjusted p across the marker family.
    footnote : str
        The tests and estimators used.
    """
    res = study.results
    cfg, ci = study.config, conf_header(study)
    kw = res["baseline_kruskal"].set_index("marker")
    mw = res["baseline_positive"].set_index("marker")
    desc = res["marker_descriptives"]
    groups = study.levels
    marks, _ = variant_marks(mw["method"])
    rows = []
    for marker in kw.index:
        dv = kw.loc[marker, "dv"]
        digits = marker_digits(study, marker)
        k, m = kw.loc[marker], mw.loc[marker]
        rows.append(
            [
                marker_label(study, marker),
                *_desc_cells(desc, dv, groups, digits, sizes=_sizes(study)),
                _p_with_q(k["p_unc"], k["p_fdr"]),
                effect_cell(k, 3),
                format_ci(m["effect"], m["ci_low"], m["ci_high"], 2),
                hl_cell(study, m, digits),
                _marked(_p_with_q(m["p_unc"], m["p_fdr"]), m["method"], marks),
            ]
        )
    sided = "one-sided " if all(_one_sided(r) for _, r in kw.iterrows()) else ""
    cols = [
        "Marker at baseline",
        *(_group_header(study, g) for g in groups),
        "Between groups p (q)",
        f"{_effect_name(kw)} ({sided}{ci})",
        f"{cfg.level_label(cfg.positive)} vs {cfg.other} r ({ci})",
        f"HL shift ({ci})",
        "Mann–Whitney p (q)",
    ]
    note = methods_note(
        [
            ("Between groups p", kw["method"]),
            (_effect_name(kw), kw["effect_method"]),
            ("r", mw["effect_method"]),
            ("HL shift", mw["hl_method"]),
            ("Mann–Whitney p", mw["method"]),
            ("q", kw["p_fdr_method"]),
        ],
        marked=("Mann–Whitney p",),
    )
    table = pd.DataFrame(rows, columns=cols)
    if len(groups) == 2:
        # two groups: the between-groups test is the positive group's contrast; shown once
        table = table.drop(columns=cols[len(groups) + 1 : len(groups) + 3])
        note = methods_note(
            [
                ("r", mw["effect_method"]),
                ("HL shift", mw["hl_method"]),
                ("Mann–Whitney p", mw["method"]),
                ("q", mw["p_fdr_method"]),
            ],
            marked=("Mann–Whitney p",),
        )
    return table, note


def _change_rows(study: Study, markers: list[str]) -> tuple[list[list[str]], str]:
    res = study.results
    within = res["change_within"]
    within = within[within["marker"].isin(markers)]
    between = res["change_between"].set_index("marker")
    marks, _ = variant_marks(within["method"])
    rows = []
    for marker in markers:
        sub = within[within["marker"] == marker]
        digits = marker_digits(study, marker)
        for i, (_, r) in enumerate(sub.iterrows()):
            before = format_median_iqr(r["before_median"], r["before_q1"], r["before_q3"], digits)
            after = format_median_iqr(r["after_median"], r["after_q1"], r["after_q3"], digits)
            b = between.loc[marker] if marker in between.index else None
            rows.append(
                [
                    marker_label(study, marker) if i == 0 else "",
                    str(r["group"]),
                    str(int(r["n"])),
                    before,
                    after,
                    hl_cell(study, r, digits),
                    format_ci(r["effect"], r["ci_low"], r["ci_high"], 2),
                    _marked(_p_with_q(r["p_unc"], r["p_fdr"]), r["method"], marks),
                    _p_between(b) if i == 0 else "",
                ]
            )
    compared = between[between.index.isin(markers)]
    note = methods_note(
        [
            ("HL change", within["hl_method"]),
            ("r", within["effect_method"]),
            ("Wilcoxon p", within["method"]),
            ("between groups p", compared["method"] if "method" in compared else []),
        ],
        marked=("Wilcoxon p",),
    )
    dropped = int(within["method"].astype(str).str.contains("zero difference").sum())
    if dropped:
        note += (
            f"; in {dropped} {'row' if dropped == 1 else 'rows'}, "
            f"{study.config.participants.plural} whose value did not change were left out of "
            "the Wilcoxon test (Pairs counts them)"
        )
    return rows, note


def _p_between(row: pd.Series | None) -> str:
    if row is None or pd.isna(row["p_unc"]):
        return "not computed"
    return format_p(row["p_unc"])


def _change_cols(study: Study) -> list[str]:
    cfg, ci = study.config, conf_header(study)
    return [
        "Marker",
        "Group",
        "Pairs",
        cfg.timepoint_label(cfg.baseline),
        cfg.timepoint_label(cfg.followup),
        f"HL change ({ci})",
        f"r ({ci})",
        "Wilcoxon p (q)",
        "Between groups p",
    ]


def table3(study: Study) -> tuple[pd.DataFrame, str]:
    """Table 3: change from baseline to follow-up within each group (percentages; the counts
    when no marker has a percentage).

    Returns
    -------
    table : pandas.DataFrame
        Per marker and group: complete pairs, median [IQR] at both times *of those pairs*,
        Hodges–Lehmann pseudo-median of the change with its CI, matched-pairs rank-biserial
        r with its CI, Wilcoxon signed-rank p (BH q across markers within the group), and
        the p comparing the changes between groups.
    footnote : str
        The tests and estimators used.
    """
    every = list(study.results["change_within"]["marker"].unique())
    markers = [m for m in every if m.startswith("pct_")] or every
    rows, note = _change_rows(study, markers)
    return pd.DataFrame(rows, columns=_change_cols(study)), note


def change_table_all(study: Study) -> tuple[pd.DataFrame, str]:
    """Within-group change for the absolute counts (supplement)."""
    markers = [
        m for m in study.results["change_within"]["marker"].unique() if not m.startswith("pct_")
    ]
    rows, note = _change_rows(study, markers)
    return pd.DataFrame(rows, columns=_change_cols(study)), note


def subsets_by_group(study: Study, timepoint: str) -> tuple[pd.DataFrame, str]:
    """Every subset (counts and %) at one time point by group, and overall.

    Returns
    -------
    table : pandas.DataFrame
        ``Subset``, one column per group and ``Overall`` (each headed with its n): median
        [IQR], followed by ``(n = k)`` when fewer patients than the group have a value.
    footnote : str
        What the summaries are.
    """
    desc = study.results["marker_descriptives"]
    groups = [*study.levels, "Overall"]
    sizes = _sizes(study)
    rows = []
    for marker in study.results["baseline_kruskal"]["marker"]:
        sub = desc[desc["variable"] == f"{marker}_{timepoint}"].set_index("group")
        cells = []
        for g in groups:
            if g not in sub.index:
                cells.append("—")
                continue
            r = sub.loc[g]
            text = format_median_iqr(r["median"], r["q1"], r["q3"], marker_digits(study, marker))
            if int(r["n"]) < sizes[g]:
                text += f" ({_n(int(r['n']))})"
            cells.append(text)
        rows.append([marker_label(study, marker), *cells])
    cols = ["Marker", *(f"{g} ({_n(sizes[g])})" for g in groups)]
    who = study.config.participants.plural
    note = (
        f"Median [interquartile range] of the {who} with a value; (n = k) when fewer "
        f"{who} than the group's have one (missing values: {table_number(study, 'missing')})"
    )
    return pd.DataFrame(rows, columns=cols), note


def pairwise_table(study: Study) -> tuple[pd.DataFrame, str]:
    """Pairwise post-hoc comparisons at baseline (Dunn, adjusted within each subset)."""
    dunn = study.results["baseline_dunn"]
    rows = []
    last = None
    for _, r in dunn.iterrows():
        rows.append(
            [
                marker_label(study, r["marker"]) if r["marker"] != last else "",
                f"{r['group1']} vs {r['group2']}",
                f"{int(r['n1'])} / {int(r['n2'])}",
                format_number(r["statistic"], 2),
                format_p(r["p_unc"]),
                format_p(r["p_adj"]),
                format_ci(r["effect"], r["ci_low"], r["ci_high"], 2),
            ]
        )
        last = r["marker"]
    statistic = _statistic_name(dunn["method"])
    cols = ["Marker", "Comparison", "n", statistic, "p", "p adjusted", f"r ({conf_header(study)})"]
    effects = dunn["effect_method"] if "effect_method" in dunn else []
    table = pd.DataFrame(rows, columns=cols)
    one_pair = dunn.groupby("marker").size().max() <= 1 if len(dunn) else True
    columns = [(f"{statistic} and p", dunn["method"]), ("r", effects)]
    if one_pair:  # one comparison per marker: nothing to adjust within it
        table = table.drop(columns=["p adjusted"])
    else:
        columns.insert(1, ("p adjusted", [str(a).capitalize() for a in dunn["adjust"].dropna()]))
    return table, methods_note(columns)


def _statistic_name(methods: pd.Series) -> str:
    """The header of a test statistic column: ``z`` (Dunn), ``U`` (Mann–Whitney), else
    ``Statistic`` (the tests differ)."""
    names = {short_name(str(m)) for m in methods if not not_a_method(m)}
    symbols = {"Dunn's test": "z", "Mann–Whitney test": "U"}
    found = {symbols.get(n, "Statistic") for n in names}
    return found.pop() if len(found) == 1 else "Statistic"


def trend_table(study: Study) -> tuple[pd.DataFrame, str]:
    """Jonckheere–Terpstra trend test across the ordered groups at baseline."""
    if not study.config.ordered:
        return pd.DataFrame(), left_out(study)["supptbl-trend"]
    jt = study.results["baseline_trend"]
    marks, _ = variant_marks(jt["method"])
    rows = [
        [
            marker_label(study, r["marker"]),
            str(r["order"]),
            str(int(r["n"])) if pd.notna(r["n"]) else "—",
            format_number(r["statistic"], 1),
            _marked(_p_with_q(r["p_unc"], r["p_fdr"]), r["method"], marks),
        ]
        for _, r in jt.iterrows()
    ]
    cols = ["Marker", "Alternative", "n", "JT statistic", "p (q)"]
    note = methods_note([("p", jt["method"]), ("q", jt["p_fdr_method"])], marked=("p",))
    return pd.DataFrame(rows, columns=cols), note


def _variable_label(study: Study, variable: str) -> str:
    """Label of a covariate, or of a marker column with its time point (``…, 6 months``)."""
    d = study.dictionary
    for tp, tp_label in d.timepoints.items():
        stem = variable.removesuffix(f"_{tp}")
        if stem != variable and (stem in d.markers or stem.removeprefix("pct_") in d.markers):
            return f"{marker_label(study, stem, unit=False)}, {tp_label[:1].lower() + tp_label[1:]}"
    return d.label(variable)


def missing_table(study: Study) -> tuple[pd.DataFrame, str]:
    """Missing data per variable by group (STROBE 14b): covariates and every subset."""
    res = study.results
    groups = [*study.levels, "Overall"]
    frames = [res["table1_missing"]]
    desc = res["marker_descriptives"]
    marker_missing = desc.assign(
        n_rows=desc["n"] + desc["n_missing"],
        percent_missing=100 * desc["n_missing"] / (desc["n"] + desc["n_missing"]),
    )[["variable", "group", "n_rows", "n_missing", "percent_missing"]]
    frames.append(marker_missing)
    allm = pd.concat(frames, ignore_index=True)
    rows = []
    for variable in dict.fromkeys(allm["variable"]):
        sub = allm[allm["variable"] == variable].set_index("group")
        cells = [
            format_n_pct(sub.loc[g, "n_missing"], sub.loc[g, "n_rows"]) if g in sub.index else "—"
            for g in groups
        ]
        rows.append([_variable_label(study, str(variable)), *cells])
    cols = ["Variable", *(_group_header(study, g) for g in study.levels)]
    cols.append(f"Overall ({_n(len(study.analysed))})")
    return pd.DataFrame(rows, columns=cols), "Missing values, n (% of the group)"


def sensitivity_table(study: Study) -> tuple[pd.DataFrame, str]:
    """Sensitivity analysis: the groups of ``group.responders`` against the others at baseline
    (nothing to show when they are the positive group alone: it would repeat the primary
    comparison)."""
    cfg = study.config
    if set(cfg.responders) == {cfg.positive}:
        return pd.DataFrame(), left_out(study)["supptbl-sensitivity"]
    sens = study.results["sensitivity"]
    marks, _ = variant_marks(sens["method"])
    rows = [
        [
            marker_label(study, r["marker"]),
            f"{int(r['n1'])} / {int(r['n2'])}",
            format_ci(r["effect"], r["ci_low"], r["ci_high"], 2),
            hl_cell(study, r, marker_digits(study, r["marker"])),
            _marked(_p_with_q(r["p_unc"], r["p_fdr"]), r["method"], marks),
        ]
        for _, r in sens.iterrows()
    ]
    ci = conf_header(study)
    resp = "+".join(cfg.responders)
    rest = "+".join(lv for lv in study.levels if lv not in cfg.responders) or "others"
    cols = ["Marker at baseline", f"n ({resp} / {rest})", f"r ({ci})", f"HL shift ({ci})", "p (q)"]
    note = methods_note(
        [
            ("r", sens["effect_method"]),
            ("HL shift", sens["hl_method"]),
            ("p", sens["method"]),
            ("q", sens["p_fdr_method"]),
        ],
        marked=("p",),
    )
    return pd.DataFrame(rows, columns=cols), note


def _labelled_code(column: Any, code: str) -> str:
    """A category as the tables print it (its dictionary label), with the code the file
    holds as a code span when they differ: ``4 × 375 mg/m² (`4x375mg/m2`)``."""
    label = column.category_labels.get(code, code)
    if label == code:
        return code
    span = f"`` {code} ``" if "`" in code else f"`{code}`"
    return f"{label} ({span})"


def dictionary_table(study: Study) -> pd.DataFrame:
    """The data dictionary as a table: column, label, unit, type, allowed values, missing.

    The computed markers' columns follow the file's, their allowed values the computation
    (``computed: kappa_m0 / lambda_m0``).
    """
    rows = []
    d = study.dictionary
    for c in d.columns.values():
        if c.range is not None:
            allowed = f"{c.range[0]:g} to {c.range[1]:g}"
        elif c.categories:
            # the label every other table prints, then the code the file holds
            allowed = ", ".join(_labelled_code(c, code) for code in c.categories)
        elif c.type == "boolean":
            allowed = "yes, no"
        elif c.pattern:
            allowed = f"`{c.pattern}`"
        else:
            allowed = ""
        rows.append(
            [f"`{c.name}`", c.label, c.unit or "", c.type, allowed,
             "yes" if c.missing else "no", c.role]
        )  # fmt: skip
    for c in d.computed.values():
        computation = d.markers[str(c.marker)].compute
        symbol = f" {OPERATIONS[computation.operation]['symbol']} "
        formula = symbol.join(f"`{x}`" for x in computation.columns(str(c.timepoint)))
        rows.append(
            [f"`{c.name}`", c.label, c.unit or "", c.type, f"computed: {formula}", "yes",
             "marker (computed)"]
        )  # fmt: skip
    cols = ["Column", "Label", "Unit", "Type", "Allowed", "May be missing", "Role"]
    return pd.DataFrame(rows, columns=cols)


def validation_table(study: Study, *, only_failed: bool = False) -> pd.DataFrame:
    """The validation gate's step table (like pointblank's agent report).

    Parameters
    ----------
    study : Study
    only_failed : bool
        Keep only the rules that did not pass.

    Returns
    -------
    pandas.DataFrame
        ``Step``, ``Rule``, ``Columns``, ``Severity``, ``Tested``, ``Failed``, ``% failed``,
        ``Failing patient ids`` (the study's singular noun for its participants in place of
        ``patient``), ``Status``.
    """
    from itp_stats.gate.result import step_table

    steps = step_table(study.gate)
    if only_failed:
        steps = steps[~steps["passed"]]
    return pd.DataFrame(
        {
            "Step": [str(i) for i in steps.index + 1],
            "Rule": steps["rule"],
            "Columns": steps["columns"],
            "Severity": steps["severity"],
            "Tested": steps["n_tested"].astype(str),
            "Failed": steps["n_failed"].astype(str),
            "% failed": [format_number(v, 1) for v in steps["pct_failed"]],
            f"Failing {study.config.participants.singular} ids": steps["failing_ids"],
            "Status": ["pass" if p else "FAIL" for p in steps["passed"]],
        }
    ).reset_index(drop=True)
