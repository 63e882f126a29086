"""Sentences from results: every word the documents print about the data, by named rules.

A reviewer reads the rules here, in one place. Each rule is a small function; the sentence
builders below combine them with the study configuration (group names, time points, labels,
units) and the result tables. No sentence is typed in a document.

Rules
-----
R1 *Direction* (:func:`direction`): "higher" when the confidence interval of a difference lies
   above 0, "lower" when below, "similar" otherwise — and only when the test's p is below
   alpha (the interval and the test could disagree at the margin; the sentence never claims a
   direction the test does not support).
R2 *Difference* (:func:`differs`): "differed" only when p < alpha; otherwise "did not differ"
   with the p-value; a test that was not computed gives its reason and no claim.
R3 *Prediction* (:func:`prediction_claim`): "predicted" only when the AUC's confidence
   interval lies above 0.5; an interval below 0.5 says the association ran opposite to the
   stated direction; an interval holding 0.5 says it did not predict.
R4 *Cutoff* (:func:`cutoff_reportable`): a cutoff is quoted only after a prediction claim,
   when it is finite and inside its own bootstrap interval.
R5 *Change* (:func:`change_word`): "rose"/"fell" by the size of the Hodges–Lehmann change
   (always printed as a positive amount) when its interval excludes 0 and p < alpha;
   otherwise "did not change clearly".
R6 *Conclusion* (:func:`conclusion`): from the primary comparison only — the positive group
   against the others for the first highlighted baseline marker (R1 on its Hodges–Lehmann
   shift).
R7 *Counts and levels*: every count (participants, groups, markers, tests), the confidence
   level and the time-point labels are computed from the results and the configuration; the
   participants are named by the study's noun (``participants``, default "patients").
R8 *p-values* (:func:`p_phrase`): as in the tables (gtsummary style), never printed on the
   other side of alpha from their value.
R9 *Computed markers* (:func:`computed_methods`): each analysed marker the dictionary declares
   as computed is said to be computed, with its inputs and operation; a ratio also says how
   many values a zero denominator left missing, per time point (or that none did).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from itp_stats.report.floats import table_number
from itp_stats.report.format import (
    NNBSP,
    abbreviation,
    format_ci,
    format_n_pct,
    format_number,
    format_p,
    interval_digits,
    md_literal,
)
from itp_stats.report.methods import (
    method_citations,
    method_condition,
    method_name,
    method_variant,
    not_a_method,
    variant_marks,
)
from itp_stats.text import join_words, lower_first

__all__ = [
    "covariates_phrase",
    "test_name",
    "group_phrase",
    "groups_named",
    "change_word",
    "conclusion",
    "cutoff_reportable",
    "differs",
    "direction",
    "p_phrase",
    "prediction_claim",
    "conf_label",
    "quantity",
    "md_literal",
    "join_words",
    "summary_methods",
    "summary_results",
    "participants_text",
    "grouped_when",
    "quality_intro",
    "baseline_text",
    "change_text",
    "prediction_text",
    "limitations_text",
    "cohort_methods",
    "group_methods",
    "markers_methods",
    "computed_methods",
    "family_methods",
    "methods_prose",
]


# ---------------------------------------------------------------------------------------------
# Rules


def _ok(x: Any) -> bool:
    try:
        return x is not None and not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def direction(estimate: float, low: float, high: float, p: float, alpha: float) -> str:
    """R1: ``"higher"``, ``"lower"`` or ``"similar"`` for a difference and its CI.

    Parameters
    ----------
    estimate, low, high : float
        The difference (e.g. Hodges–Lehmann shift, positive group minus the others) and its
        confidence interval.
    p : float
        The test's p-value.
    alpha : float
        Significance level.

    Returns
    -------
    str
        ``higher`` when ``low > 0``, ``lower`` when ``high < 0``, each only when
        ``p < alpha``; else ``similar``.
    """
    if not (_ok(low) and _ok(high) and _ok(p)) or p >= alpha:
        return "similar"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "similar"


def differs(p: float, alpha: float) -> bool:
    """R2: whether a test supports "differed": ``p < alpha`` (False when not computed)."""
    return _ok(p) and float(p) < alpha


def prediction_claim(auc: float, low: float, high: float) -> str:
    """R3: ``"predicts"``, ``"opposite"`` or ``"none"`` from the AUC's confidence interval.

    Returns
    -------
    str
        ``predicts`` when the interval lies above 0.5, ``opposite`` when it lies below 0.5
        (the marker went with the outcome in the other direction than the one stated),
        ``none`` when it holds 0.5 or is missing.
    """
    if not (_ok(auc) and _ok(low) and _ok(high)):
        return "none"
    if low > 0.5:
        return "predicts"
    if high < 0.5:
        return "opposite"
    return "none"


def cutoff_reportable(cutoff: float, low: float, high: float) -> bool:
    """R4: a cutoff is quoted when finite and inside its own bootstrap interval."""
    if not _ok(cutoff):
        return False
    if not (_ok(low) and _ok(high)):
        return False
    return low <= cutoff <= high


def change_word(estimate: float, low: float, high: float, p: float, alpha: float) -> str:
    """R5: ``"rose"``, ``"fell"`` or ``"did not change clearly"`` (R1 applied to a change)."""
    word = direction(estimate, low, high, p, alpha)
    return {"higher": "rose", "lower": "fell"}.get(word, "did not change clearly")


def p_phrase(p: float, alpha: float, *, test: str | None = None) -> str:
    """R8: ``"p = 0.012"``, ``"p < 0.001"`` (with the test's name before it when given)."""
    text = format_p(p, alpha=alpha)
    if text == "—":
        return f"{test} not computed" if test else "p not computed"
    phrase = f"p{NNBSP}{text}" if text[0] in "<>" else f"p{NNBSP}={NNBSP}{text}"
    phrase = phrase.replace(f"{NNBSP}<", f"{NNBSP}<{NNBSP}").replace(
        f"{NNBSP}>", f"{NNBSP}>{NNBSP}"
    )
    return f"{test} {phrase}" if test else phrase


def conf_label(alpha: float) -> str:
    """R7: the confidence level as printed (``95%``, ``99%``, ``97.5%``)."""
    return f"{format_number(100 * (1 - alpha), 1).removesuffix('.0')}%"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# What the sentences read from the study


def _cfg(study):
    return study.config


def _alpha(study) -> float:
    return float(study.params["alpha"])


def group_phrase(study, level: str) -> str:
    """A group as the text names it: "complete response (CR)" (the study's name for the
    level and its label) marked as an :func:`~itp_stats.report.format.abbreviation`, so that
    only its first mention in a document is spelled out; the label alone when the study
    gives the level no other name."""
    cfg = _cfg(study)
    name = md_literal(cfg.group_name(level))
    shown = md_literal(cfg.level_label(level))
    return abbreviation(name, shown) if name != shown else shown


def _positive_phrase(study) -> str:
    return f"the {group_phrase(study, _cfg(study).positive)} group"


def quantity(study, marker: str) -> str:
    """What a marker measures, as a noun phrase: ``count of NK cells``, ``percentage of NK
    cells in total lymphocytes``, ``level of X`` (a marker whose unit is not a cell count)."""
    d = _cfg(study).dictionary
    if marker.startswith("pct_"):
        m = d.markers[marker[4:]]
        parent = d.markers[m.parent].label if m.parent else ""
        part, whole = md_literal(lower_first(m.label)), md_literal(lower_first(parent))
        return f"percentage of {part} in {whole}"
    label = md_literal(lower_first(d.markers[marker].label))
    unit = _unit(study, marker)
    return f"count of {label}" if "cells" in unit else f"level of {label}"


def _column_quantity(study, column: str) -> str:
    """A column as a noun phrase: a marker column by :func:`quantity` and its time point."""
    cfg = _cfg(study)
    d = cfg.dictionary
    for tp, tp_label in d.timepoints.items():
        stem = column.removesuffix(f"_{tp}")
        if stem != column and (stem in d.markers or stem.removeprefix("pct_") in d.markers):
            when = "baseline" if tp == cfg.baseline else lower_first(tp_label)
            return f"{when} {quantity(study, stem)}"
    return lower_first(d.label(column))


def _unit(study, marker: str) -> str:
    from itp_stats.report.tables import marker_unit

    return marker_unit(study, marker)


def _digits(study, marker: str) -> int:
    """The marker's decimals, as the tables print it (:func:`tables.marker_digits`)."""
    from itp_stats.report.tables import marker_digits

    return marker_digits(study, marker)


def _medians_digits(median: pd.Series | None, other: float, digits: int) -> int:
    """Decimals of "median a against b": those of the group's median [IQR] cell of Table 2
    (:func:`interval_digits`), more when two medians that differ would print alike."""
    if median is None:
        return digits
    digits = interval_digits(median["median"], median["q1"], median["q3"], digits)
    return interval_digits(median["median"], other, other, digits)


def _row(frame: pd.DataFrame, **where: Any) -> pd.Series | None:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        if key not in frame:
            return None
        mask &= frame[key] == value
    sub = frame[mask]
    return None if sub.empty else sub.iloc[0]


def _not_computed(row: pd.Series | None) -> str | None:
    """The reason a row was not computed, or None when it was."""
    if row is None:
        return "no result"
    method = str(row.get("method", ""))
    if method.startswith("not computed") or not _ok(row.get("p_unc")):
        return method.removeprefix("not computed: ") or "not computed"
    return None


def _nb(text: str) -> str:
    """An estimate with its interval kept on one line (``−66 (−98 to −34)``): no-break
    spaces inside it, so a sentence never breaks an interval across lines."""
    return text.replace(" ", "\u00a0")


def _nb_ci(*args: Any) -> str:
    return _nb(format_ci(*args))


def test_name(row: pd.Series) -> str:
    """Display name of the test of a result row (``Kruskal–Wallis``, ``Mann–Whitney``)."""
    test = str(row.get("test", ""))
    return {
        "kruskal": "Kruskal–Wallis",
        "kruskal_wallis": "Kruskal–Wallis",
        "mann_whitney": "Mann–Whitney",
        "wilcoxon": "Wilcoxon signed-rank",
    }.get(test, test.replace("_", " ") or "test")


def _with_unit(text: str, unit: str) -> str:
    return f"{text}{NNBSP}{md_literal(unit)}" if unit and unit != "percentage points" else text


# ---------------------------------------------------------------------------------------------
# Methods


def cohort_methods(study) -> str:
    """Who was studied, when, and who was excluded (from the configuration and the flow)."""
    cfg, flow = _cfg(study), study.flow
    who = cfg.participants
    base = lower_first(md_literal(cfg.timepoint_label(cfg.baseline)))
    when = f"at {base} (baseline)"
    if cfg.has_followup:
        when += f" and at {lower_first(md_literal(cfg.timepoint_label(cfg.followup)))} (follow-up)"
    text = (
        f"{md_literal(_cap(cfg.population))}, one row per {who.singular} as described by the data "
        f"dictionary ({table_number(study, 'dictionary')} of the supplement), with "
        f"measurements {when}."
    )
    if cfg.design.followup_column:
        months = format_number(cfg.design.followup_months, 1).removesuffix(".0")
        text += (
            f" {who.plural_cap} followed for less than {months} months, or whose group at "
            f"{grouped_when(study)} could not be determined, are excluded from the comparisons "
            "with the reason (@fig-flow)."
        )
    else:
        text += f" {who.plural_cap} without a group are excluded from the comparisons (@fig-flow)."
    if flow["excluded"]:
        parts = [f"{n} {reason}" for reason, n in flow["excluded"]]
        text += f" Excluded: {join_words(parts)}."
    return text


def groups_named(study) -> str:
    """The groups by name, for a document whose other text only abbreviates them (the
    supplement): "The groups are complete response (CR), partial response (PR) and no
    response (NR)." """
    cfg = _cfg(study)
    return f"The groups are {join_words([group_phrase(study, lv) for lv in cfg.levels])}."


def group_methods(study) -> str:
    """How the groups were defined: the derivation rule, or the recorded column."""
    cfg = _cfg(study)
    d = cfg.dictionary
    groups = join_words([group_phrase(study, lv) for lv in cfg.levels])
    recorded = d.columns[cfg.design.group_column]
    if cfg.design.derivation is not None:
        from itp_stats.cohort.iwg import describe_rule

        derivation = cfg.design.derivation
        # labels and names are the user's text: escaped before they enter the sentence
        labels = {k: md_literal(lower_first(d.label(v))) for k, v in derivation.inputs.items()}
        names = {lv: md_literal(name) for lv, name in cfg.group_names.items()}
        text = describe_rule(derivation.rule, labels, names, cfg.participants.singular)
        return (
            f"The groups — {groups} — were derived from the data: {text} The recorded "
            f"{md_literal(lower_first(recorded.label))} must agree with this derivation (a rule "
            "of the validation gate)."
        )
    text = f"The groups are the recorded {md_literal(lower_first(recorded.label))}: {groups}."
    merged: dict[str, list[str]] = {}
    for value, level in cfg.design.recode:
        merged.setdefault(level, []).append(md_literal(value))
    for level, values in merged.items():
        text += (
            f" {cfg.participants.plural_cap} recorded as {join_words(values, 'or')} are counted "
            f"in the {group_phrase(study, level)} group."
        )
    return text


def markers_methods(study) -> str:
    """Which markers were measured, in which unit, and how percentages were derived."""
    cfg = _cfg(study)
    d = cfg.dictionary
    counts = [m for m in cfg.markers if not m.startswith("pct_")]
    columns = [d.column(d.markers[m].column(cfg.baseline)) for m in counts]
    units = dict.fromkeys(  # in the markers' order; a marker without a unit adds none
        c.unit for c in columns if c is not None and c.unit
    )
    labels = join_words([md_literal(d.markers[m].label) for m in counts])
    text = (
        f"The analysis covers {len(counts)} {'marker' if len(counts) == 1 else 'markers'}, "
        f"measured at baseline{' and at follow-up' if cfg.has_followup else ''}: {labels}"
        + (f" ({join_words([md_literal(u) for u in units])})." if units else ".")
    )
    by_parent: dict[str, list[str]] = {}
    for m in cfg.markers:
        if m.startswith("pct_"):
            parent = d.markers[m[4:]].parent
            by_parent.setdefault(parent, []).append(d.markers[m[4:]].label)
    if by_parent:
        parts = [
            f"{join_words([md_literal(n) for n in names])} as a percentage of "
            f"{md_literal(lower_first(d.markers[parent].label))}"
            for parent, names in by_parent.items()
        ]
        text += f" Percentages are derived from the counts: {join_words(parts, 'and')}."
    return text + computed_methods(study)


def computed_methods(study) -> str:
    """How each analysed computed marker was derived (R9), with the values a zero
    denominator left missing; ``""`` when the study analyses none.

    "The kappa/lambda ratio was computed at each time point from the recorded values, as
    free kappa divided by free lambda; it is missing where one of them is missing or free
    lambda is 0 (2 values at inclusion)." A ratio no zero denominator left missing ends
    "(no value of free lambda was 0)".
    """
    from itp_stats.cohort.computed import OPERATIONS, computed_zero_denominators

    cfg = _cfg(study)
    d = cfg.dictionary
    zeros = computed_zero_denominators(study.cohort, d) if d.computed else {}
    out = []
    for m in cfg.markers:
        computation = None if m.startswith("pct_") else d.markers[m].compute
        if computation is None:
            continue
        names = [md_literal(lower_first(d.markers[x].label)) for x in computation.inputs]
        words = OPERATIONS[computation.operation]["words"]
        formula = f" {words} ".join(names)
        text = (
            f" The {md_literal(lower_first(d.markers[m].label))} was computed at each time "
            f"point from the recorded values, as {formula}; it is missing where one of them is "
            "missing"
        )
        zero = [
            f"{n} {'value' if n == 1 else 'values'} at "
            f"{lower_first(md_literal(cfg.timepoint_label(tp)))}"
            for tp in cfg.timepoints
            for n in [zeros.get(d.markers[m].column(tp), 0)]
            if n
        ]
        if computation.operation == "ratio":
            said = join_words(zero) if zero else f"no value of {names[1]} was 0"
            text += f" or {names[1]} is 0 ({said})"
        out.append(text + ".")
    return "".join(out)


def _family_kinds(cfg) -> str:
    """`` (markers and their percentages)`` when the family holds both kinds; ``""`` else."""
    pcts = [m for m in cfg.family if m.startswith("pct_")]
    return " (markers and their percentages)" if pcts and len(pcts) < len(cfg.family) else ""


def family_methods(study) -> str:
    """The confidence level, bootstrap and the Benjamini–Hochberg family (R7)."""
    cfg = _cfg(study)
    n_family = len(cfg.family)
    n_boot = format_number(study.params["n_boot"], 0)
    return (
        "Continuous variables are summarised as median [interquartile range], categorical "
        f"ones as n (%). Every analysis uses the {cfg.participants.plural} with the values it "
        "needs, and "
        f"reports that number. Confidence intervals are at {conf_label(_alpha(study))} (where "
        "too few values made that level unreachable, an interval gives the level it attains); the "
        f"bootstrap interval of the cutoff uses {n_boot} resamples with seed "
        f"{study.params['seed']}. "
        f"q denotes a p-value adjusted across the family of {n_family} marker "
        f"{'variable' if n_family == 1 else 'variables'}{_family_kinds(cfg)} by the "
        "Benjamini–Hochberg method [@benjamini1995], shown beside the unadjusted p; tests are "
        "two-sided at "
        f"alpha = {format_number(_alpha(study), 3).rstrip('0').rstrip('.')}."
    )


# ---------------------------------------------------------------------------------------------
# Results


def _counts_phrase(study) -> str:
    flow = study.flow
    n = flow["analysed"]
    parts = [
        f"{format_n_pct(k, n)} {group_phrase(study, lv)}"
        for lv, k in flow["groups"].items()
        if k > 0
    ]
    return join_words(parts)


def grouped_when(study) -> str:
    """When the groups were assessed, as a phrase after "at": the follow-up time point
    (``6 months``), or ``the end of follow-up`` when the study's group is a status then."""
    cfg = _cfg(study)
    if cfg.design.group_when == "end_of_followup":
        return "the end of follow-up"
    if cfg.design.group_when == "baseline":
        return lower_first(md_literal(cfg.timepoint_label(cfg.baseline)))
    return lower_first(md_literal(cfg.timepoint_label(cfg.followup)))


def participants_text(study) -> str:
    """Flow: participants in the file, excluded with reasons, analysed per group (R7)."""
    flow, who = study.flow, _cfg(study).participants
    text = f"The file held {who.count(flow['assessed'])}; {flow['analysed']} were analysed"
    if flow["excluded"]:
        parts = [f"{n} {reason}" for reason, n in flow["excluded"]]
        text += f" and {flow['assessed'] - flow['analysed']} excluded ({join_words(parts)})"
    text += f". At {grouped_when(study)}: {_counts_phrase(study)}."
    empty = [lv for lv, k in flow["groups"].items() if k == 0]
    if empty:
        names = join_words([group_phrase(study, lv) for lv in empty])
        text += (
            f" No {who.singular} was in the {names} group"
            f"{'s' if len(empty) > 1 else ''}; "
            f"{'they are' if len(empty) > 1 else 'it is'} left out of every comparison."
        )
    small = study.small_groups
    if small:
        names = join_words(
            [
                f"{md_literal(_cfg(study).group_name(g))} ({g}, n{NNBSP}={NNBSP}{k})"
                for g, k in small
            ]
        )
        text += (
            f" Groups with fewer than 3 {who.plural} — {names} — are left out of the comparisons "
            "between groups; the remaining groups are compared."
        )
    return text


_RULE_KINDS = (
    (("type",), "types"),
    (("range",), "ranges"),
    (("categories",), "categories"),
    (("not_null",), "required values"),
    (("unique", "pattern"), "unique and well-formed identifiers"),
    (("within_parent", "composition"), "subsets within their parent populations"),
    (("consistent",), "agreement of the recorded group with its derivation"),
    (("followup", "present"), "values at follow-up only for {who} followed long enough"),
)
"""Rule kinds of the gate (the last part of a rule id, or its first for compositions) and
how the data-quality paragraph names them (``{who}``: the study's plural for its participants)."""


def quality_intro(study) -> str:
    """What the validation gate checked, from the rules it ran (not a fixed list)."""
    kinds = set()
    for step in getattr(study.gate, "steps", []) or []:
        parts = str(step.get("rule_id", "")).split(".")
        kinds.update({parts[0], parts[-1]})
    who = _cfg(study).participants
    checked = [words.format(who=who.plural) for ids, words in _RULE_KINDS if kinds & set(ids)]
    what = f" ({join_words(checked)})" if checked else ""
    return (
        "Before any statistic was computed, the data passed a validation gate of Great "
        f"Expectations rules built from the data dictionary and the study configuration{what}. "
        "A failed critical rule stops the report; a failed warning rule is reported here with "
        f"its failing {who.singular} ids."
    )


def missing_text(study) -> str:
    """Missing marker values by group, and what they may do to the comparisons (R8).

    Per time point: how many patients of each group miss every marker value; Fisher's exact
    test of that against the group (``missing_markers``). The words: "differed between the
    groups" only when p < alpha, then a sentence on possible bias; else "did not differ
    detectably"; a time point where no one misses every value says so once.
    """
    table = study.results.get("missing_markers")
    if table is None or table.empty:
        return ""
    cfg, alpha = _cfg(study), _alpha(study)
    out = []
    for tp in dict.fromkeys(table["timepoint"]):
        rows = table[table["timepoint"] == tp]
        when = lower_first(md_literal(cfg.timepoint_label(tp)))
        missing = int(rows["n_missing_all"].sum())
        if missing == 0:
            out.append(f"No {cfg.participants.singular} missed every marker value at {when}.")
            continue
        parts = [f"{int(r.n_missing_all)} of {int(r.n)} {r.group}" for r in rows.itertuples()]
        text = (
            f"At {when}, {cfg.participants.count(missing)} had no marker "
            f"value ({join_words(parts)})"
        )
        p, method = rows["p_unc"].iloc[0], str(rows["method"].iloc[0])
        if pd.isna(p):
            out.append(text + ".")
            continue
        test = method_name(method)
        if p < alpha:
            text += (
                f"; this differed between the groups ({test}, {p_phrase(p, alpha)}), so "
                f"the comparisons at {when}, which use the {cfg.participants.plural} with values, "
                "may be biased"
            )
        else:
            text += (
                f"; this did not differ detectably between the groups ({test}, "
                f"{p_phrase(p, alpha)})"
            )
        out.append(text + ".")
    return (
        " ".join(out) + f" {table_number(study, 'missing')} of the supplement gives every "
        "variable's missing values."
    )


def _omnibus_sentence(study, marker: str, when: str) -> str:
    kw = _row(study.results["baseline_kruskal"], marker=marker)
    what = f"{when}{quantity(study, marker)}"
    reason = _not_computed(kw)
    if reason:
        return f"The {what} was not compared between groups ({reason})."
    p = p_phrase(kw["p_unc"], _alpha(study), test=test_name(kw))
    verb = "differed" if differs(kw["p_unc"], _alpha(study)) else "did not differ"
    groups = kw.get("groups_compared")
    between = "between groups"
    if isinstance(groups, str) and groups:
        names = [g.strip() for g in groups.split(",")]
        between = f"between {join_words(names)}"
        left_out = [lv for lv in study.levels if lv not in names]
        if left_out:
            between += f" ({join_words(left_out)} left out: fewer than 3 values)"
    return f"The {what} {verb} {between} ({p})."


def _contrast_sentence(study, marker: str) -> str:
    cfg = _cfg(study)
    who = cfg.participants.plural
    mw = _row(study.results["baseline_positive"], marker=marker)
    reason = _not_computed(mw)
    positive = _positive_phrase(study)
    if reason:
        return f"It was not compared between {positive} and the other {who} ({reason})."
    alpha = _alpha(study)
    word = direction(mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], mw["p_unc"], alpha)
    digits, unit = _digits(study, marker), _unit(study, marker)
    desc = study.results["marker_descriptives"]
    dv = f"{marker}_{cfg.baseline}"
    med_pos = _row(desc, variable=dv, group=cfg.positive)
    other = study.other_median(dv)
    shown = _medians_digits(med_pos, other, digits)
    medians = (
        f"median {format_number(med_pos['median'] if med_pos is not None else None, shown)} "
        f"against {_with_unit(format_number(other, shown), unit)}"
    )
    from itp_stats.report.tables import hl_cell

    shift = _with_unit(_nb(hl_cell(study, mw, digits)), unit)
    r = _nb(format_ci(mw["effect"], mw["ci_low"], mw["ci_high"], 2))
    q = ", " + p_phrase(mw["p_fdr"], alpha).replace("p", "q", 1) if _ok(mw.get("p_fdr")) else ""
    stats = (
        f"{medians}; Hodges–Lehmann shift {shift}; rank-biserial r {r}; "
        f"{p_phrase(mw['p_unc'], alpha, test='Mann–Whitney')}{q}"
    )
    if word == "similar":
        return f"It was similar in {positive} and the other {who} ({stats})."
    return f"It was {word} in {positive} than in the other {who} ({stats})."


def baseline_text(study) -> str:
    """Baseline comparisons of the highlighted markers (R1, R2)."""
    cfg = _cfg(study)
    markers = cfg.highlight_baseline or cfg.markers[:1]
    out = []
    for m in markers:
        contrast = _contrast_sentence(study, m)
        if len(study.levels) == 2:
            # two groups: the contrast is the comparison between them, said once
            subject = f"The baseline {quantity(study, m)}"
            out.append(contrast.replace("It was", f"{subject} was", 1))
            continue
        out.append(_omnibus_sentence(study, m, "baseline "))
        out.append(contrast)
    return " ".join(out)


def _prediction_rows(study, predictor) -> dict[str, pd.Series | None]:
    pred = study.results["prediction"]
    if "predictor" in pred:
        pred = pred[pred["predictor"] == predictor.column]
    return {k: _row(pred, effect_type=k) for k in
            ("auc", "youden_cutoff", "sensitivity", "specificity", "ppv", "npv",
             "odds_ratio")}  # fmt: skip


def prediction_text(study, *, short: bool = False) -> str:
    """Prediction of the positive group by the primary predictor (R3, R4)."""
    cfg = _cfg(study)
    if not cfg.predictors:
        return ""
    out = []
    for i, predictor in enumerate(cfg.predictors):
        if short and i > 0:
            break
        rows = _prediction_rows(study, predictor)
        auc = rows["auc"]
        label = _column_quantity(study, predictor.column)
        positive = _positive_phrase(study)
        reason = _not_computed(auc) if auc is not None else "no result"
        if auc is not None and _ok(auc.get("effect")):
            reason = None
        if reason:
            out.append(f"The prediction of {positive} by the {label} was not computed ({reason}).")
            continue
        claim = prediction_claim(auc["effect"], auc["ci_low"], auc["ci_high"])
        auc_text = _nb(format_ci(auc["effect"], auc["ci_low"], auc["ci_high"], 2))
        chosen = str(auc.get("direction", ""))
        stated = {"lower": "lower", "higher": "higher"}.get(predictor.direction)
        values = stated or {">": "lower", "<": "higher"}.get(chosen, "")
        group = md_literal(_cfg(study).positive)
        how = (
            f"direction set before the analysis: {values} values in {group}"
            if stated
            else f"direction chosen from the data: {values} values in {group}"
        )
        if claim == "predicts":
            sentence = f"The {label} predicted {positive} with an AUC of {auc_text} ({how})."
            cut = rows["youden_cutoff"]
            if cut is not None and cutoff_reportable(cut["effect"], cut["ci_low"], cut["ci_high"]):
                unit = predictor.unit
                sens, spec = rows["sensitivity"], rows["specificity"]
                from itp_stats.report.tables import cutoff_digits

                d = cutoff_digits(study, predictor.column, cut["effect"], cut["ci_low"],
                                  cut["ci_high"])  # fmt: skip
                sentence += (
                    f" The cutoff maximising Youden's index was "
                    f"{_with_unit(format_number(cut['effect'], d), unit)} (bootstrap "
                    f"{conf_label(_alpha(study))} CI "
                    f"{format_number(cut['ci_low'], d)} to {format_number(cut['ci_high'], d)}), "
                    f"with a sensitivity of {_percent_ci(sens)} and a specificity of "
                    f"{_percent_ci(spec)}."
                )
                sentence += _predictive_values(rows["ppv"], rows["npv"])
            elif cut is not None and not short:
                sentence += (
                    " No cutoff is quoted: the Youden cutoff was not finite or lay outside its "
                    "own bootstrap interval."
                )
        elif claim == "opposite":
            sentence = (
                f"The {label} did not predict {positive} in the stated direction ({how}): the "
                f"AUC was {auc_text}, below 0.5, so the association ran the other way."
            )
        else:
            sentence = (
                f"The {label} did not predict {positive}: the AUC was {auc_text}, an interval "
                "that includes 0.5 (no discrimination)."
            )
        odds = rows["odds_ratio"]
        if not short and odds is not None and _ok(odds.get("effect")):
            per = format_number(predictor.per, 0 if float(predictor.per).is_integer() else 2)
            kind = "univariable odds ratio"
            if "firth" in str(odds.get("method", "")).lower():
                kind = (
                    "univariable odds ratio (Firth's penalised estimate: the predictor separates "
                    "the groups, so the ordinary estimate does not exist)"
                )
            sentence += (
                f" The {kind} of {positive} was "
                f"{_nb(format_ci(odds['effect'], odds['ci_low'], odds['ci_high'], 2))} per "
                f"{_with_unit(per, predictor.unit)} ({p_phrase(odds['p_unc'], _alpha(study))})."
            )
        out.append(sentence)
    return " ".join(out)


def _change_sentence(study, marker: str, group: str) -> str:
    cfg = _cfg(study)
    within = study.results["change_within"]
    row = _row(within, marker=marker, group=group)
    label = quantity(study, marker)
    follow = lower_first(md_literal(cfg.timepoint_label(cfg.followup)))
    where = f"In the {group_phrase(study, group)} group"
    reason = _not_computed(row)
    if reason:
        return f"{where}, the change of the {lower_first(label)} was not tested ({reason})."
    alpha = _alpha(study)
    word = change_word(row["hl_estimate"], row["hl_ci_low"], row["hl_ci_high"], row["p_unc"], alpha)
    digits, unit = _digits(study, marker), _unit(study, marker)
    unit_text = "points" if marker.startswith("pct_") else unit
    p = p_phrase(row["p_unc"], alpha, test="Wilcoxon")
    pairs = f"n{NNBSP}={NNBSP}{int(row['n'])} pairs"
    if word == "did not change clearly":
        from itp_stats.report.tables import hl_cell

        est = _nb(hl_cell(study, row, digits))
        return (
            f"{where}, the {lower_first(label)} did not change clearly by {follow} (change "
            f"{_with_unit(est, unit_text)}; {p}; {pairs})."
        )
    sign = 1 if word == "rose" else -1
    digits = interval_digits(row["hl_estimate"], row["hl_ci_low"], row["hl_ci_high"], digits)
    est = _nb_ci(sign * row["hl_estimate"],
                    min(sign * row["hl_ci_low"], sign * row["hl_ci_high"]),
                    max(sign * row["hl_ci_low"], sign * row["hl_ci_high"]), digits)  # fmt: skip
    amount = _with_unit(est, unit_text)
    return f"{where}, the {lower_first(label)} {word} by {amount} by {follow} ({p}; {pairs})."


def _between_change_sentence(study, marker: str) -> str:
    row = _row(study.results["change_between"], marker=marker)
    reason = _not_computed(row)
    if reason:
        return f"The change was not compared between groups ({reason})."
    verb = "differed" if differs(row["p_unc"], _alpha(study)) else "did not differ"
    return (
        f"The change {verb} between groups "
        f"({p_phrase(row['p_unc'], _alpha(study), test=test_name(row))})."
    )


def _summary_change(study, marker: str) -> str:
    """The between-group test of change first (it supports "changed more in one group"), then
    the positive group's own change as detail."""
    cfg = _cfg(study)
    row = _row(study.results["change_between"], marker=marker)
    what = quantity(study, marker)
    follow = lower_first(md_literal(cfg.timepoint_label(cfg.followup)))
    within = _change_sentence(study, marker, cfg.positive)
    reason = _not_computed(row)
    if reason:
        return f"The change of the {what} was not compared between groups ({reason}). {within}"
    verb = "differed" if differs(row["p_unc"], _alpha(study)) else "did not differ"
    p = p_phrase(row["p_unc"], _alpha(study), test=test_name(row))
    return f"The change of the {what} by {follow} {verb} between groups ({p}). {within}"


def change_text(study) -> str:
    """Change from baseline to follow-up of the highlighted markers (R5, R2); none in a
    study of one time point."""
    cfg = _cfg(study)
    if not cfg.has_followup:
        return ""
    out = []
    for m in cfg.highlight_change:
        out.append(_change_sentence(study, m, cfg.positive))
        out.append(_between_change_sentence(study, m))
    return " ".join(out)


def conclusion(study) -> str:
    """R6: the conclusion, from the primary comparison."""
    cfg = _cfg(study)
    marker = (cfg.highlight_baseline or cfg.markers)[0]
    label = quantity(study, marker)
    positive = group_phrase(study, cfg.positive)
    mw = _row(study.results["baseline_positive"], marker=marker)
    reason = _not_computed(mw)
    if reason:
        return (
            f"In this cohort, the association of the baseline {label} with {positive} could "
            f"not be tested ({reason})."
        )
    word = direction(mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], mw["p_unc"],
                     _alpha(study))  # fmt: skip
    if word == "similar":
        return (
            f"In this cohort, the baseline {label} was not clearly associated with {positive} "
            f"({p_phrase(mw['p_unc'], _alpha(study), test='Mann–Whitney')}); absence of "
            "evidence is not evidence of absence."
        )
    return (
        f"In this cohort, a {word} baseline {label} was associated with {positive}; the "
        "association is observational and needs external validation."
    )


def summary_methods(study) -> str:
    """The summary's Methods paragraph (R7)."""
    cfg, flow = _cfg(study), study.flow
    years = study.period()
    period = f" from {years}" if years else ""
    k = sum(1 for n in flow["groups"].values() if n > 0)
    groups = join_words([group_phrase(study, lv) for lv, n in flow["groups"].items() if n > 0])
    n_markers = len([m for m in cfg.markers if not m.startswith("pct_")])
    return (
        f"The cohort held {flow['assessed']} {md_literal(cfg.population)}{period}, grouped at "
        f"{grouped_when(study)} into {groups}; "
        f"{flow['analysed']} were analysed{_excluded_phrase(flow)}. The {n_markers} "
        f"{'marker' if n_markers == 1 else 'markers'} at baseline"
        f"{' and follow-up' if cfg.has_followup else ''} were compared "
        f"between the {k} groups with rank-based tests, and effect sizes are given with "
        f"{conf_label(_alpha(study))} confidence intervals."
    )


def _excluded_phrase(flow) -> str:
    """`` (2 excluded: 2 followed for less than 6 months)`` from the flow's reasons; ``""``
    when no one was excluded."""
    if not flow["excluded"]:
        return ""
    n = flow["assessed"] - flow["analysed"]
    parts = [f"{k} {reason}" for reason, k in flow["excluded"]]
    return f" ({n} excluded: {join_words(parts)})"


def summary_results(study) -> str:
    """The summary's Results paragraph: counts, baseline, prediction, change."""
    cfg = _cfg(study)
    parts = [
        f"At {grouped_when(study)}: {_counts_phrase(study)}.",
        baseline_text(study),
        prediction_text(study, short=True),
        " ".join(_summary_change(study, m) for m in cfg.highlight_change)
        if cfg.has_followup
        else "",
    ]
    return " ".join(p for p in parts if p)


def covariates_phrase(study, predictor) -> str:
    """The covariates a predictor's model is adjusted for, as a sentence names them ("age at
    rituximab start, sex and ITP phase at rituximab start"); "" when there are none."""
    d = _cfg(study).dictionary
    return join_words([md_literal(lower_first(d.label(c))) for c in predictor.adjust_for])


def limitations_text(study) -> str:
    """Limitations, stated for what the report did and found."""
    cfg = _cfg(study)
    marker = (cfg.highlight_baseline or cfg.markers)[0]
    label = quantity(study, marker)
    mw = _row(study.results["baseline_positive"], marker=marker)
    found = (
        mw is not None
        and direction(
            mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], mw["p_unc"], _alpha(study)
        )
        != "similar"
    )
    text = "The analysis is observational and univariable"
    adjusted = study.results.get("adjusted")
    if adjusted is not None and cfg.predictors and not adjusted.empty:
        first = adjusted[adjusted["predictor"] == cfg.predictors[0].column]
        if not first.empty and not str(first["method"].iloc[0]).startswith("not c"):
            text = (
                "The analysis is observational and, but for the odds ratio adjusted for "
                f"{covariates_phrase(study, cfg.predictors[0])}, univariable"
            )
    text += (
        f": the association of the baseline {label} with the groups may be confounded."
        if found
        else (
            f"; with {cfg.participants.count(study.flow['analysed'])}, a difference smaller "
            "than the "
            "confidence intervals allow may have been missed."
        )
    )
    cut_quoted = False
    for predictor in cfg.predictors[:1]:
        rows = _prediction_rows(study, predictor)
        auc, cut = rows["auc"], rows["youden_cutoff"]
        cut_quoted = (
            auc is not None
            and cut is not None
            and prediction_claim(auc["effect"], auc["ci_low"], auc["ci_high"]) == "predicts"
            and cutoff_reportable(cut["effect"], cut["ci_low"], cut["ci_high"])
        )
    if cut_quoted:
        text += (
            " The cutoff was chosen on the same data it is evaluated on (its bootstrap interval "
            "shows how unstable it is)."
        )
    tests = (
        "Percentages and values of the same markers are not independent tests"
        if any(m.startswith("pct_") for m in cfg.family)
        else "The markers' tests are not independent of one another"
    )
    text += (
        f" {tests}; the "
        "Benjamini–Hochberg q-values control the false discovery rate across them, not the "
        "family-wise error. Missing values are handled by complete-case analysis "
        f"({table_number(study, 'missing')} of the supplement gives the missing data by group)."
    )
    return text


# ---------------------------------------------------------------------------------------------
# Statistical methods, as prose from the results' ``method`` columns


def _percent_ci(row) -> str:
    """A proportion as a percentage with its interval when one was computed: ``64% (43 to
    82%)``."""
    text = f"{format_number(100 * row['effect'], 0)}%"
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return text
    return f"{text} ({format_number(100 * low, 0)} to {format_number(100 * high, 0)}%)"


def _predictive_values(ppv, npv) -> str:
    """The positive and negative predictive values at the cutoff with their intervals, or
    why one was not computed (empty when the results have neither row)."""
    said, missing = [], []
    for row, name in ((ppv, "positive"), (npv, "negative")):
        if row is None:
            continue
        if _ok(row.get("effect")):
            said.append((name, _percent_ci(row)))
        else:
            reason = str(row.get("method", "")).removeprefix("not computed: ")
            missing.append(f"the {name} predictive value was not computed ({reason})")
    text = ""
    if len(said) == 2:
        text = (
            f" The positive and negative predictive values at the cutoff were {said[0][1]} "
            f"and {said[1][1]}."
        )
    elif said:
        text = f" The {said[0][0]} predictive value at the cutoff was {said[0][1]}."
    if missing:
        joined = join_words(missing)
        text += f" {joined[:1].upper()}{joined[1:]}."
    return text


def change_tables_text(study) -> str:
    """What the change tables hold, as their contents are chosen (``tables.table3``: the
    percentages when some markers have one, the supplement's change table then the values);
    none in a study of one time point."""
    if not _cfg(study).has_followup:
        return ""
    markers = list(study.results["change_within"]["marker"].unique())
    pcts = [m for m in markers if m.startswith("pct_")]
    if pcts and len(pcts) < len(markers):
        return (
            "@tbl-change gives the change of each percentage within each group "
            f"({table_number(study, 'change_markers')} of the supplement that of the values "
            "themselves)"
        )
    return "@tbl-change gives the change of every marker within each group"


def _cite(methods: Any) -> str:
    """`` [@a; @b]`` for the references of the distinct methods (:mod:`methods`), or ``""``."""
    keys = list(
        dict.fromkeys(k for m in methods if not not_a_method(m) for k in method_citations(str(m)))
    )
    return f" [{'; '.join('@' + k for k in keys)}]" if keys else ""


def _named(methods: Any) -> list[str]:
    """Distinct plain names of the methods, each with its references, in first-seen order;
    a trailing condition of the method string ("(an expected count < 5)") is kept."""
    out: dict[str, list[str]] = {}
    for method in methods:
        if not_a_method(method):
            continue
        method = str(method)
        condition = method_condition(method)
        key = method_name(method) + (f" ({condition})" if condition else "")
        out.setdefault(key, []).append(method)
    return [f"{key}{_cite(ms)}" for key, ms in out.items()]


def _how(methods: Any, where: str) -> str:
    """How the p-values of a column were obtained: one variant in words, or the variants and
    where the table marks each row (:func:`methods.variant_marks`)."""
    marks, note = variant_marks(methods)
    if not note:
        return ""
    if not marks:
        return f" ({note})"
    variants = [v.split(" ", 1)[1] for v in note.split("; ")]
    return f" ({join_words(variants, 'or')}, as the data allowed; {where} marks which)"


def methods_prose(study) -> str:
    """The statistical methods in a reader's words: one paragraph per analysis.

    Each paragraph names the methods the results record in their ``method`` columns, by their
    plain names with numbered references (:mod:`itp_stats.report.methods`), and how their
    p-values and intervals were obtained: one variant in words, or several with the table
    that marks which row used which. An analysis without results has no paragraph. The
    complete method strings are in the supplement's Computational notes.
    """
    r, cfg = study.results, _cfg(study)
    k = len(study.levels)
    positive = group_phrase(study, cfg.positive)
    out = []
    t1 = _named(r["table1_tests"]["method"])
    if t1:
        out.append(
            f"Baseline characteristics were compared between the groups with "
            f"{join_words(t1)}; @tbl-baseline marks the test of each row."
        )
    kw = r["baseline_kruskal"]
    named = _named(kw["method"])
    if named:
        text = f"The markers at baseline were compared between the {k} groups with "
        text += join_words(named)
        effect = _named(kw["effect_method"])
        if effect:
            text += f", with {join_words(effect)} as effect size"
            if any("one-sided" in str(m) for m in kw["effect_method"]):
                text += " and its one-sided confidence interval"
        dunn = r["baseline_dunn"]
        pairs = _named(dunn["method"]) if k > 2 else []  # two groups: the pair is the test
        if pairs:
            adjust = [str(a) for a in dunn["adjust"].dropna().unique()]
            adjusted = _named([a.capitalize() for a in adjust])
            text += f". Pairs of groups were compared with {join_words(pairs)}"
            if adjusted:
                text += f", with p-values adjusted by {join_words(adjusted)} within each marker"
        out.append(text + ".")
    mw = r["baseline_positive"]
    named = _named(mw["method"])
    if named:
        effects = _named([*mw["effect_method"], *mw["hl_method"]])
        compared = (
            f"The {positive} group was compared with the other {cfg.participants.plural} "
            f"with {join_words(named)}"
            if k > 2
            else f"For the {positive} group against the other group, the p-values come from "
            f"{join_words(named)}"
        )
        out.append(
            f"{compared}{_how(mw['method'], '@tbl-markers')}; the effect sizes are "
            f"{join_words(effects)}, with their confidence intervals."
        )
    if cfg.ordered and "baseline_trend" in r:
        trend = r["baseline_trend"]
        named = _named(trend["method"])
        if named:
            out.append(
                f"A trend across the ordered groups ({', '.join(cfg.levels)}) was tested with "
                f"{join_words(named)}{_how(trend['method'], table_number(study, 'trend'))}."
            )
    within = r["change_within"]
    named = _named(within["method"])
    if named:
        base = md_literal(cfg.timepoint_label(cfg.baseline)).lower()
        follow = md_literal(cfg.timepoint_label(cfg.followup)).lower()
        text = (
            f"Within each group, the change from {base} to {follow} was tested with "
            f"{join_words(named)}"
            f"{_how(within['method'], '@tbl-change')}"
        )
        if any("zero difference" in str(m) for m in within["method"]):
            text += (
                f"; {cfg.participants.plural} whose value did not change were left out of that test"
            )
        effects = _named([*within["hl_method"], *within["effect_method"]])
        if effects:
            text += f". The size of the change is given by {join_words(effects)}"
        between = _named(r["change_between"]["method"])
        if between:
            text += f". Changes were compared between the groups with {join_words(between)}"
        out.append(text + ".")
    if cfg.predictors:
        out.append(_prediction_methods(study))
    return "\n\n".join(p for p in out if p)


def _prediction_methods(study) -> str:
    cfg = _cfg(study)
    predictor = cfg.predictors[0]
    pred = study.results["prediction"]
    if "predictor" in pred:
        pred = pred[pred["predictor"] == predictor.column]
    methods = [str(m) for m in pred["method"] if not not_a_method(m)]
    if not methods:
        return ""
    what = _column_quantity(study, predictor.column)
    positive = group_phrase(study, cfg.positive)
    if predictor.direction == "auto":
        how = "the direction of the association was chosen from the data"
    else:
        how = (
            f"the direction was set before the analysis: {predictor.direction} values were "
            f"expected in the {positive} group"
        )
    parts = []
    for method in methods:
        if method.startswith("Youden's J"):
            continue  # the cutoff's own criterion, said with the cutoff
        if method.startswith("univariable logistic"):
            unit = md_literal(predictor.unit) if predictor.unit else "units"
            per = format_number(predictor.per, 0 if float(predictor.per).is_integer() else 2)
            parts.append(
                f"univariable logistic regression (odds ratio per {per} {unit}, with its Wald "
                "interval and test)"
            )
            continue
        variant = method_variant(method)
        text = f"{method_name(method)}{_cite([method])}"
        if variant and variant != "no interval":
            text += f" with its {variant}"
        parts.append(text)
    parts = list(dict.fromkeys(parts))
    text = (
        f"The prediction of {positive} by the {what} ({how}) was assessed with "
        f"{join_words(_rates_together(parts))}."
    )
    if any(m.startswith(("positive predictive", "negative predictive")) for m in methods):
        text += (
            " Unlike sensitivity and specificity, the predictive values depend on the "
            f"proportion of {_cfg(study).participants.plural} in the {positive} group in the "
            "cohort."
        )
    return text


_RATES = {
    "the sensitivity at the cutoff": "sensitivity",
    "the specificity at the cutoff": "specificity",
    "the positive predictive value at the cutoff": "positive",
    "the negative predictive value at the cutoff": "negative",
}
"""The rates at the cutoff (:data:`~itp_stats.report.methods.NAMES`), by their words."""


def _rates_together(parts: list[str]) -> list[str]:
    """The rates at the cutoff computed alike (same citation and interval) said in one
    phrase: "the sensitivity, specificity and positive and negative predictive values at
    the cutoff [@key] with their Clopper–Pearson intervals"."""
    found = {}
    for i, part in enumerate(parts):
        for head, word in _RATES.items():
            if part.startswith(head):
                found[word] = (i, part.removeprefix(head))
    if not found:
        return parts
    rests = {rest for _, rest in found.values()}
    groups = [list(found)] if len(rests) == 1 else [[w] for w in found]
    out = [p for i, p in enumerate(parts) if i not in {i for i, _ in found.values()}]
    first = min(i for i, _ in found.values())
    phrases = []
    for words in groups:
        rest = found[words[0]][1]
        named = [w for w in words if w in ("sensitivity", "specificity")]
        values = [w for w in words if w in ("positive", "negative")]
        if values:
            kind = "predictive values" if len(values) == 2 else "predictive value"
            named.append(f"{join_words(values)} {kind}")
        if len(words) > 1:
            rest = rest.replace(" with its ", " with their ").replace("interval", "intervals")
        phrases.append(f"the {join_words(named)} at the cutoff{rest}")
    return out[:first] + phrases + out[first:]
