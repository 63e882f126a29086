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
R7 *Counts and levels*: every count (patients, groups, markers, tests), the confidence level
   and the time-point labels are computed from the results and the configuration.
R8 *p-values* (:func:`p_phrase`): as in the tables (gtsummary style), never printed on the
   other side of alpha from their value.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from itp_stats.report.format import (
    NNBSP,
    format_ci,
    format_n_pct,
    format_number,
    format_p,
)
from itp_stats.text import join_words, lower_first

__all__ = [
    "test_name",
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
    "baseline_text",
    "change_text",
    "prediction_text",
    "limitations_text",
    "cohort_methods",
    "group_methods",
    "markers_methods",
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


def md_literal(text: str) -> str:
    """A label from the user's dictionary or study, safe inside a Markdown sentence: the
    characters that would start a link, an autolink, raw HTML or a code span are escaped
    (``[x](javascript:…)``, ``<script>`` show as text)."""
    out = str(text)
    for ch in ("\\", "`", "<", ">", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------------------------
# What the sentences read from the study


def _cfg(study):
    return study.config


def _alpha(study) -> float:
    return float(study.params["alpha"])


def _group_phrase(study, level: str) -> str:
    name = md_literal(_cfg(study).group_name(level))
    level = md_literal(level)
    return f"{name} ({level})" if name != level else level


def _positive_phrase(study) -> str:
    return f"the {_group_phrase(study, _cfg(study).positive)} group"


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


def _digits(marker: str) -> int:
    return 1 if marker.startswith("pct_") else 0


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
    return f"{text}{NNBSP}{unit}" if unit and unit != "percentage points" else text


# ---------------------------------------------------------------------------------------------
# Methods


def cohort_methods(study) -> str:
    """Who was studied, when, and who was excluded (from the configuration and the flow)."""
    cfg, flow = _cfg(study), study.flow
    base = lower_first(cfg.timepoint_label(cfg.baseline))
    follow = lower_first(cfg.timepoint_label(cfg.followup))
    text = (
        f"{md_literal(_cap(cfg.population))}, one row per patient as described by the data "
        f"dictionary (Table S8 of the supplement), with measurements at {base} (baseline) and "
        f"at {follow} (follow-up)."
    )
    if cfg.design.followup_column:
        months = format_number(cfg.design.followup_months, 1).removesuffix(".0")
        text += (
            f" Patients followed for less than {months} months, or whose group at follow-up "
            "could not be determined, are excluded from the comparisons with the reason "
            "(@fig-flow)."
        )
    else:
        text += " Patients without a group are excluded from the comparisons (@fig-flow)."
    if flow["excluded"]:
        parts = [f"{n} {reason}" for reason, n in flow["excluded"]]
        text += f" Excluded: {join_words(parts)}."
    return text


def group_methods(study) -> str:
    """How the groups were defined: the derivation rule, or the recorded column."""
    cfg = _cfg(study)
    d = cfg.dictionary
    groups = join_words([_group_phrase(study, lv) for lv in cfg.levels])
    recorded = d.columns[cfg.design.group_column]
    if cfg.design.derivation is not None:
        from itp_stats.cohort.iwg import describe_rule

        derivation = cfg.design.derivation
        labels = {k: lower_first(d.label(v)) for k, v in derivation.inputs.items()}
        text = describe_rule(derivation.rule, labels, cfg.group_names)
        return (
            f"The groups — {groups} — were derived from the data: {text} The recorded "
            f"{lower_first(recorded.label)} must agree with this derivation (a rule of the "
            "validation gate)."
        )
    return f"The groups are the recorded {lower_first(recorded.label)}: {groups}."


def markers_methods(study) -> str:
    """Which markers were measured, in which unit, and how percentages were derived."""
    cfg = _cfg(study)
    d = cfg.dictionary
    counts = [m for m in cfg.markers if not m.startswith("pct_")]
    units = {
        (d.columns[d.markers[m].column(cfg.baseline)].unit or "no unit")
        for m in counts
        if d.markers[m].column(cfg.baseline) in d.columns
    }
    labels = join_words([md_literal(d.markers[m].label) for m in counts])
    text = (
        f"The analysis covers {len(counts)} {'marker' if len(counts) == 1 else 'markers'}, "
        f"measured at baseline and at follow-up: {labels} ({join_words(sorted(units))})."
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
    return text


def family_methods(study) -> str:
    """The confidence level, bootstrap and the Benjamini–Hochberg family (R7)."""
    cfg = _cfg(study)
    n_family = len(cfg.family)
    n_boot = format_number(study.params["n_boot"], 0)
    return (
        "Continuous variables are summarised as median [interquartile range], categorical "
        "ones as n (%). Every analysis uses the patients with the values it needs, and "
        f"reports that number. Confidence intervals are at {conf_label(_alpha(study))} (an "
        "interval whose data cannot reach that level gives the level it attains); the "
        f"bootstrap interval of the cutoff uses {n_boot} resamples with seed "
        f"{study.params['seed']}. "
        f"q denotes a p-value adjusted across the family of {n_family} marker "
        f"{'variable' if n_family == 1 else 'variables'} (counts and percentages) by the "
        "Benjamini–Hochberg method, shown beside the unadjusted p; tests are two-sided at "
        f"alpha = {format_number(_alpha(study), 3).rstrip('0').rstrip('.')}."
    )


# ---------------------------------------------------------------------------------------------
# Results


def _counts_phrase(study) -> str:
    flow = study.flow
    n = flow["analysed"]
    parts = [
        f"{format_n_pct(k, n)} {_group_phrase(study, lv)}"
        for lv, k in flow["groups"].items()
        if k > 0
    ]
    return join_words(parts)


def participants_text(study) -> str:
    """Flow: patients in the file, excluded with reasons, analysed per group (R7)."""
    flow = study.flow
    cfg = _cfg(study)
    text = f"The file held {flow['assessed']} patients; {flow['analysed']} were analysed"
    if flow["excluded"]:
        parts = [f"{n} {reason}" for reason, n in flow["excluded"]]
        text += f" and {flow['assessed'] - flow['analysed']} excluded ({join_words(parts)})"
    text += f". At {lower_first(cfg.timepoint_label(cfg.followup))}: {_counts_phrase(study)}."
    empty = [lv for lv, k in flow["groups"].items() if k == 0]
    if empty:
        names = join_words([_group_phrase(study, lv) for lv in empty])
        text += (
            f" No patient was in the {names} group"
            f"{'s' if len(empty) > 1 else ''}; "
            f"{'they are' if len(empty) > 1 else 'it is'} left out of every comparison."
        )
    small = study.small_groups
    if small:
        names = join_words(
            [f"{_cfg(study).group_name(g)} ({g}, n{NNBSP}={NNBSP}{k})" for g, k in small]
        )
        text += (
            f" Groups with fewer than 3 patients — {names} — are left out of the comparisons "
            "between groups; the remaining groups are compared."
        )
    return text


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
    mw = _row(study.results["baseline_positive"], marker=marker)
    reason = _not_computed(mw)
    positive = _positive_phrase(study)
    if reason:
        return f"It was not compared between {positive} and the other patients ({reason})."
    alpha = _alpha(study)
    word = direction(mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], mw["p_unc"], alpha)
    digits, unit = _digits(marker), _unit(study, marker)
    desc = study.results["marker_descriptives"]
    dv = f"{marker}_{cfg.baseline}"
    med_pos = _row(desc, variable=dv, group=cfg.positive)
    other = study.other_median(dv)
    medians = (
        f"median {format_number(med_pos['median'] if med_pos is not None else None, digits)} "
        f"against {_with_unit(format_number(other, digits), unit)}"
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
        return f"It was similar in {positive} and the other patients ({stats})."
    return f"It was {word} in {positive} than in the other patients ({stats})."


def baseline_text(study) -> str:
    """Baseline comparisons of the highlighted markers (R1, R2)."""
    cfg = _cfg(study)
    markers = cfg.highlight_baseline or cfg.markers[:1]
    out = []
    for m in markers:
        out.append(_omnibus_sentence(study, m, "baseline "))
        out.append(_contrast_sentence(study, m))
    return " ".join(out)


def _prediction_rows(study, predictor) -> dict[str, pd.Series | None]:
    pred = study.results["prediction"]
    if "predictor" in pred:
        pred = pred[pred["predictor"] == predictor.column]
    return {k: _row(pred, effect_type=k) for k in
            ("auc", "youden_cutoff", "sensitivity", "specificity", "odds_ratio")}  # fmt: skip


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
        how = (
            f"pre-specified: {values} values point to it"
            if stated
            else f"direction chosen from the data: {values} values point to it"
        )
        if claim == "predicts":
            sentence = f"The {label} predicted {positive} with an AUC of {auc_text} ({how})."
            cut = rows["youden_cutoff"]
            if cut is not None and cutoff_reportable(cut["effect"], cut["ci_low"], cut["ci_high"]):
                unit = predictor.unit
                sens, spec = rows["sensitivity"], rows["specificity"]
                sentence += (
                    f" The cutoff maximising Youden's index was "
                    f"{_with_unit(format_number(cut['effect'], 1), unit)} (bootstrap "
                    f"{conf_label(_alpha(study))} CI "
                    f"{format_number(cut['ci_low'], 1)} to {format_number(cut['ci_high'], 1)}), "
                    f"with a sensitivity of {format_number(100 * sens['effect'], 0)}% and a "
                    f"specificity of {format_number(100 * spec['effect'], 0)}%."
                )
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
    follow = lower_first(cfg.timepoint_label(cfg.followup))
    where = f"In the {_group_phrase(study, group)} group"
    reason = _not_computed(row)
    if reason:
        return f"{where}, the change of the {lower_first(label)} was not tested ({reason})."
    alpha = _alpha(study)
    word = change_word(row["hl_estimate"], row["hl_ci_low"], row["hl_ci_high"], row["p_unc"], alpha)
    digits, unit = _digits(marker), _unit(study, marker)
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
    follow = lower_first(cfg.timepoint_label(cfg.followup))
    within = _change_sentence(study, marker, cfg.positive)
    reason = _not_computed(row)
    if reason:
        return f"The change of the {what} was not compared between groups ({reason}). {within}"
    verb = "differed" if differs(row["p_unc"], _alpha(study)) else "did not differ"
    p = p_phrase(row["p_unc"], _alpha(study), test=test_name(row))
    return f"The change of the {what} by {follow} {verb} between groups ({p}). {within}"


def change_text(study) -> str:
    """Change from baseline to follow-up of the highlighted markers (R5, R2)."""
    cfg = _cfg(study)
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
    positive = _group_phrase(study, cfg.positive)
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
    groups = join_words([_group_phrase(study, lv) for lv, n in flow["groups"].items() if n > 0])
    n_markers = len([m for m in cfg.markers if not m.startswith("pct_")])
    return (
        f"The cohort held {flow['assessed']} {md_literal(cfg.population)}{period}, grouped at "
        f"{lower_first(cfg.timepoint_label(cfg.followup))} into {groups}; "
        f"{flow['analysed']} could be grouped and were analysed. The {n_markers} "
        f"{'marker' if n_markers == 1 else 'markers'} at baseline and follow-up were compared "
        f"between the {k} groups with rank-based tests, and effect sizes are given with "
        f"{conf_label(_alpha(study))} confidence intervals."
    )


def summary_results(study) -> str:
    """The summary's Results paragraph: counts, baseline, prediction, change."""
    cfg = _cfg(study)
    parts = [
        f"At {lower_first(cfg.timepoint_label(cfg.followup))}: {_counts_phrase(study)}.",
        baseline_text(study),
        prediction_text(study, short=True),
        " ".join(_summary_change(study, m) for m in cfg.highlight_change),
    ]
    return " ".join(p for p in parts if p)


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
    text += (
        f": the association of the baseline {label} with the groups may be confounded."
        if found
        else (
            f"; with {study.flow['analysed']} patients, a difference smaller than the "
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
    text += (
        " Percentages and counts of the same markers are not independent tests; the "
        "Benjamini–Hochberg q-values control the false discovery rate across them, not the "
        "family-wise error. Missing values are handled by complete-case analysis (Table S4 of "
        "the supplement gives the missing data by group)."
    )
    return text


# ---------------------------------------------------------------------------------------------
# Statistical methods, as prose from the results' ``method`` columns


def _merge_methods(methods: Any) -> tuple[str, bool]:
    """Distinct methods in words: variants of one test merged (``exact or normal …``).

    Returns the text and whether a per-row note on dropped zero differences was seen.
    """
    groups: dict[str, list[str]] = {}
    zeros = False
    for method in methods:
        method = str(method)
        if not method or method == "nan" or method.startswith("not computed"):
            continue
        parts = [p for p in method.split("; ") if p]
        kept = []
        for part in parts:
            if "zero difference" in part:
                zeros = True
            else:
                kept.append(part)
        method = "; ".join(kept)
        name, _, detail = method.partition(", ")
        details = groups.setdefault(name, [])
        if detail and detail not in details:
            details.append(detail)
    texts = []
    for name, details in groups.items():
        if not details:
            texts.append(name)
        elif len(details) == 1:
            texts.append(f"{name}, {details[0]}")
        else:
            texts.append(f"{name} ({' or '.join(details)}, as each comparison allowed)")
    return "; ".join(texts), zeros


def _clean_prediction(method: str, study) -> str:
    import re

    cfg = _cfg(study)
    predictor = cfg.predictors[0] if cfg.predictors else None
    method = re.sub(r" \(direction '[<>]'\)", "", method)
    if predictor is not None:
        per = format_number(predictor.per, 0 if float(predictor.per).is_integer() else 2)
        method = re.sub(
            r"OR per [0-9.]+ unit\(s\) of \w+",
            f"odds ratio per {_with_unit(per, predictor.unit)}",
            method,
        )
    return method


def methods_prose(study) -> str:
    """The statistical methods, one sentence per analysis, from the ``method`` columns.

    Variants of one test are merged (exact or normal approximation, as each comparison
    allowed); per-row notes are said once; the predictor's direction is said in words. The
    text therefore stays true when the tests the data allow change.
    """
    r, cfg = study.results, _cfg(study)
    k = len(study.levels)
    out = []
    t1, _ = _merge_methods(r["table1_tests"]["method"])
    if t1:
        out.append(
            f"Baseline characteristics were compared between the groups with: {t1}; the test "
            "of each row is marked in @tbl-baseline."
        )
    kw, _ = _merge_methods(r["baseline_kruskal"]["method"])
    eff, _ = _merge_methods(r["baseline_kruskal"]["effect_method"])
    dunn, _ = _merge_methods(r["baseline_dunn"]["method"])
    adjust = join_words(sorted({str(a) for a in r["baseline_dunn"]["adjust"].dropna()}))
    if kw:
        text = f"Markers were compared between the {k} groups with: {kw}"
        text += f"; effect size {eff}" if eff else ""
        if dunn:
            text += f". Pairs of groups were compared with {dunn}, adjusted by {adjust} within "
            text += "each marker"
        out.append(text + ".")
    mw, _ = _merge_methods(r["baseline_positive"]["method"])
    eff = _merge_methods(
        [*r["baseline_positive"]["effect_method"], *r["baseline_positive"]["hl_method"]]
    )[0]
    if mw:
        out.append(
            f"The {_group_phrase(study, cfg.positive)} group was compared with the other "
            f"patients with: {mw}; effect sizes: {eff}."
        )
    if cfg.ordered:
        jt, _ = _merge_methods(r["baseline_trend"]["method"])
        if jt:
            out.append(f"A trend across the ordered groups ({', '.join(cfg.levels)}): {jt}.")
    wx, zeros = _merge_methods(r["change_within"]["method"])
    eff = _merge_methods([*r["change_within"]["effect_method"], *r["change_within"]["hl_method"]])
    if wx:
        text = f"Changes from baseline to follow-up within each group: {wx}; effect sizes: {eff[0]}"
        if zeros:
            text += "; pairs with no change were left out of the signed-rank test, as usual"
        out.append(text + ".")
    between, _ = _merge_methods(r["change_between"]["method"])
    if between:
        out.append(f"Changes were compared between groups with: {between}.")
    if cfg.predictors:
        predictor = cfg.predictors[0]
        pred = r["prediction"]
        if "predictor" in pred:
            pred = pred[pred["predictor"] == predictor.column]
        methods = [_clean_prediction(str(m), study) for m in pred["method"]]
        merged, _ = _merge_methods(methods)
        what = _column_quantity(study, predictor.column)
        if predictor.direction == "auto":
            how = "its direction was chosen from the data (the report says which)"
        else:
            how = (
                f"its direction was set before the analysis: {predictor.direction} values "
                f"predict {_group_phrase(study, cfg.positive)}"
            )
        out.append(
            f"Prediction of {_group_phrase(study, cfg.positive)} by the {what} ({how}): {merged}."
        )
    fdr, _ = _merge_methods(r["baseline_kruskal"]["p_fdr_method"])
    if fdr:
        out.append(f"Multiplicity: {fdr} across the markers (q).")
    return " ".join(out)
