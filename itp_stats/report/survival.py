"""Time to event in the documents: the section of each endpoint, its table, the Cox and
proportional-hazards tables of the supplement, their captions and the Kaplan–Meier figure.

Everything here reads the study's time-to-event results (``tte_*``:
:func:`itp_stats.study.survival.run_survival`) and states them by fixed rules:

- T1 *Counts*: every endpoint's paragraph gives its patients, its events and the median
  follow-up (reverse Kaplan–Meier) with its interval, all computed;
- T2 *Median*: the median time is given with its interval; "not reached" when the curve stays
  above one half (and for a bound of the interval that does not reach it); a group without a
  patient or without an event says so;
- T3 *Groups*: the log-rank test says "differed" only when p < alpha (R2); a group's
  {event} is said to come "later" than another's only between two groups, when p < alpha and
  the Kaplan–Meier curve of one lies on or above the other's at every time both are observed
  (curves that cross get no direction word); a trend over ordered groups is said only when
  its own test has p < alpha;
- T4 *Hazard ratio*: a higher predictor is said to go with an earlier (or later) event only
  when the interval of its hazard ratio lies above (or below) 1; otherwise "no association
  was shown"; the adjusted ratio names its covariates, patients and events;
- T5 *Proportional hazards*: when the global test of a model has p < alpha, the text says its
  hazard ratio may change over follow-up (an average over it); otherwise that no departure was
  detected, with the p-value;
- T6 *Not estimable*: a test or model not computed gives its reason and no claim.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from itp_stats.report import sentences as T
from itp_stats.report.format import NNBSP, format_ci, format_number, format_p, md_literal
from itp_stats.text import join_words, lower_first

__all__ = [
    "captions",
    "cox_table",
    "curves_order",
    "figure_panels",
    "methods_text",
    "ph_table",
    "section_heading",
    "section_text",
    "summary_text",
    "survival_figure",
    "survival_table",
    "table_note",
]

_DIGITS = 1  # decimals of times (medians, follow-up)


def _ok(x: Any) -> bool:
    try:
        return x is not None and not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _rows(study, name: str, endpoint: str) -> pd.DataFrame:
    table = study.results.get(name, pd.DataFrame())
    if table.empty:
        return table
    return table[table["endpoint"] == endpoint]


def _group_name(study, endpoint, group: Any) -> str:
    """How the text and the tables name a compared group: the study's label for a level of
    its group, the dictionary's label for a category of another column; "All patients" (the
    study's noun)."""
    if str(group) == "all":
        return f"All {study.config.participants.plural}"
    cfg = study.config
    if endpoint.compare == "group":
        return md_literal(cfg.level_label(str(group)))
    col = cfg.dictionary.columns.get(endpoint.compare)
    labels = getattr(col, "category_labels", None) or {}
    return md_literal(str(labels.get(str(group), group)))


def _time(x: Any, unit: str = "") -> str:
    """A time as printed: one decimal, "not reached" when missing."""
    if not _ok(x):
        return "not reached"
    return (
        f"{format_number(x, _DIGITS)}{NNBSP}{md_literal(unit)}"
        if unit
        else format_number(x, _DIGITS)
    )


def _median_cell(row: pd.Series) -> str:
    """T2: ``39.2 (12.3 to not reached)``; ``not reached (…)``; ``not estimable``."""
    if str(row["method"]) == "not estimable":
        return "not estimable"
    if int(row["n_events"]) == 0:
        return "not reached (no event)"
    low, high = _time(row["ci_low"]), _time(row["ci_high"])
    return f"{_time(row['estimate'])} ({low} to {high})"


def _percent_cell(row: pd.Series) -> str:
    """Survival at a landmark as a percentage with its interval; ``—`` when not estimable."""
    if str(row["method"]) == "not estimable" or not _ok(row["estimate"]):
        return "—"
    pct = 100 * float(row["estimate"])
    if not (_ok(row["ci_low"]) and _ok(row["ci_high"])):
        return f"{format_number(pct, 0)} (no interval)"
    return format_ci(pct, 100 * float(row["ci_low"]), 100 * float(row["ci_high"]), 0)


def survival_table(study) -> tuple[pd.DataFrame, str]:
    """Medians and survival at the landmarks of every endpoint, by group and overall."""
    cfg = study.config
    ci = T.conf_label(T._alpha(study))
    endpoints = cfg.endpoints
    marks = sorted({lm for ep in endpoints for lm in ep.landmarks})
    units = {ep.unit for ep in endpoints}
    out = []
    for ep in endpoints:
        km = _rows(study, "tte_km", ep.name)
        for k, (group, rows) in enumerate(km.groupby("group", sort=False)):
            med = rows[rows["measure"] == "median"].iloc[0]
            # the endpoint named on its first row only (its rows follow one another)
            name = md_literal(ep.title) if k == 0 else ""
            entry = {"Endpoint": name} if len(endpoints) > 1 else {}
            entry |= {
                "Group": _group_name(study, ep, group),
                study.config.participants.plural_cap: str(int(med["n"])),
                "Events": str(int(med["n_events"])),
                f"Median, {md_literal(ep.unit)} ({ci} CI)"
                if len(units) == 1
                else f"Median ({ci} CI)": _median_cell(med),
            }
            land = rows[rows["measure"] == "survival"].set_index("time")
            for lm in marks:
                header = f"At {format_number(lm, 0 if float(lm).is_integer() else 1)}"
                header += f" {md_literal(ep.unit)}, % ({ci} CI)" if len(units) == 1 else ", %"
                entry[header] = _percent_cell(land.loc[lm]) if lm in land.index else "—"
            out.append(entry)
    table = pd.DataFrame(out)
    if table.empty:
        return table, ""
    return table, table_note(study)


def table_note(study) -> str:
    """The survival table's note: the estimators, the follow-up and the log-rank tests."""
    alpha = T._alpha(study)
    parts = [
        "Kaplan–Meier estimates with log(−log) pointwise intervals; the median and its "
        "interval read from the curve and its bounds (as R's quantile.survfit); — not "
        "estimable (beyond the group's last follow-up)"
    ]
    for ep in study.config.endpoints:
        lr = _rows(study, "tte_logrank", ep.name)
        tests = []
        for _, r in lr.iterrows():
            name = "log-rank trend" if r["test"] == "log_rank_trend" else "log-rank"
            if str(r["method"]).startswith("not computed"):
                tests.append(f"{name} test not computed ({r['note']})")
            else:
                tests.append(T.p_phrase(r["p_unc"], alpha, test=name))
        if tests:
            parts.append(f"{md_literal(ep.title)}: {', '.join(tests)}")
    return "; ".join(parts)


def _term_label(study, term: str, predictor) -> str:
    d = study.config.dictionary
    column, _, level = term.partition(": ")
    label = d.label(column)
    if level:
        col = d.columns.get(column)
        labels = getattr(col, "category_labels", None) or {}
        label = f"{label}: {labels.get(level, level)}"
    if predictor is not None and term == predictor.column and predictor.per != 1:
        per = format_number(predictor.per, 0 if float(predictor.per).is_integer() else 2)
        label += f" (per {per} {predictor.unit})".replace("  ", " ")
    return md_literal(label)


def _model_name(test: str) -> str:
    return "adjusted" if test == "cox_adjusted" else "unadjusted"


def _blank_repeats(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A value of ``columns`` printed on the first of the rows that share it (and every
    column before it) only, as a grouped table reads."""
    out = table.copy()
    present = [c for c in columns if c in out]
    for i, column in enumerate(present):
        key = table[present[: i + 1]].astype(str).agg("\x1f".join, axis=1)
        out.loc[key.eq(key.shift()), column] = ""
    return out


def _model_label(
    ep, predictor, test: str, n: int | None = None, events: int | None = None, who=None
):
    """``unadjusted``, ``adjusted`` (with the participants, ``who``, and events when given),
    naming the predictor when the endpoint has several."""
    label = _model_name(test)
    if len(ep.predictors) > 1:
        label += f", {md_literal(lower_first(predictor.label))}"
    if n is not None:
        label += f" ({who.count(n)}, {events} events)"
    return label


def cox_table(study) -> tuple[pd.DataFrame, str]:
    """Every Cox model of every endpoint: each term's hazard ratio with its interval and p."""
    ci = T.conf_label(T._alpha(study))
    alpha = T._alpha(study)
    endpoints = study.config.endpoints
    out, notes = [], []
    for ep in endpoints:
        cox = _rows(study, "tte_cox", ep.name)
        for p in ep.predictors:
            for test, rows in cox[cox["predictor"] == p.column].groupby("test", sort=False):
                first = rows.iloc[0]
                model = _model_name(str(test))
                head = {"Endpoint": md_literal(ep.title)} if len(endpoints) > 1 else {}
                if str(first["method"]).startswith("not computed"):
                    notes.append(
                        f"{md_literal(ep.title)}, {model} model of "
                        f"{md_literal(lower_first(p.label))}: not fitted ({first['note']})"
                    )
                    continue
                for _, r in rows.iterrows():
                    hr = format_ci(r["effect"], r["ci_low"], r["ci_high"], 2)
                    if str(r["note"]):
                        hr += f" ({r['note']})"
                    out.append(
                        head
                        | {
                            "Model": _model_label(
                                ep,
                                p,
                                str(test),
                                int(r["n"]),
                                int(r["n_events"]),
                                study.config.participants,
                            ),
                            "Term": _term_label(study, str(r["term"]), p),
                            f"Hazard ratio ({ci} CI)": hr,
                            "p": format_p(r["p_unc"], alpha=alpha),
                        }
                    )
    table = _blank_repeats(pd.DataFrame(out), ["Endpoint", "Model"])
    notes.insert(
        0,
        "Cox proportional hazards models (Efron's ties), Wald intervals; categories against "
        f"the first listed in the data dictionary; {study.config.participants.plural} with "
        "every value of the model",
    )
    return table, "; ".join(notes)


def ph_table(study) -> tuple[pd.DataFrame, str]:
    """The test of proportional hazards of every Cox model, per term and globally."""
    alpha = T._alpha(study)
    endpoints = study.config.endpoints
    out = []
    for ep in endpoints:
        ph = _rows(study, "tte_ph", ep.name)
        for p in ep.predictors:
            for model, rows in ph[ph["predictor"] == p.column].groupby("model", sort=False):
                for _, r in rows.iterrows():
                    if str(r["method"]).startswith("not computed"):
                        continue
                    term = str(r["term"])
                    head = {"Endpoint": md_literal(ep.title)} if len(endpoints) > 1 else {}
                    out.append(
                        head
                        | {
                            "Model": _model_label(ep, p, str(model)),
                            "Term": "Global" if term == "GLOBAL" else _term_label(study, term, p),
                            "Chi-square": format_number(r["statistic"], 2),
                            "df": str(int(r["df"])),
                            "p": format_p(r["p_unc"], alpha=alpha),
                        }
                    )
    note = (
        "Score test of each term's product with 1 − KM(t), Efron's ties, as R's cox.zph "
        "(survival 3); a small p says the term's hazard ratio changes over follow-up"
    )
    return _blank_repeats(pd.DataFrame(out), ["Endpoint", "Model"]), note


# ---------------------------------------------------------------------------------------------
# Sentences


def _population_phrase(study, ep, n: int | None = None) -> str:
    """``all analysed patients``; ``the patients with complete response (CR) or partial
    response (PR)``; with a count ``n``: ``70 patients``, ``40 patients with complete response
    (CR) or partial response (PR)``, ``1 patient …``."""
    noun = study.config.participants
    who = noun.plural if n is None else noun.count(n)
    names = [T.group_phrase(study, lv) for lv in ep.population]
    either = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
    if n is not None:
        return f"{who} with {either}" if names else who
    return f"the {who} with {either}" if names else f"all analysed {who}"


def _events(n: int, label: str) -> str:
    """``12 relapses``; ``1 relapse`` (an ``s`` added to the event's name after the first)."""
    if n == 1:
        return f"1 {label}"
    return f"{n} {label}s" if not label.endswith("s") else f"{n} {label}"


def _curves_later(study, ep, a: Any, b: Any) -> bool:
    """T3: whether the curve of ``a`` lies on or above that of ``b`` at every time both are
    observed, and above it somewhere."""
    curve = _rows(study, "tte_curve", ep.name)
    ca, cb = curve[curve["group"] == a], curve[curve["group"] == b]
    if ca.empty or cb.empty:
        return False
    end = min(ca["time"].max(), cb["time"].max())
    times = np.union1d(ca["time"], cb["time"])
    times = times[times <= end]

    def at(c: pd.DataFrame) -> np.ndarray:
        idx = np.searchsorted(c["time"].to_numpy(), times, side="right") - 1
        return c["survival"].to_numpy()[idx]

    sa, sb = at(ca), at(cb)
    return bool(np.all(sa >= sb - 1e-12) and np.any(sa > sb + 1e-12))


def curves_order(study, ep) -> tuple[Any, Any] | None:
    """T3: ``(later, earlier)`` when two groups' log-rank p < alpha and one curve lies on
    or above the other's wherever both are observed; else None."""
    lr = _rows(study, "tte_logrank", ep.name)
    main = lr[lr["test"] == "log_rank"]
    if main.empty or not T.differs(main.iloc[0]["p_unc"], T._alpha(study)):
        return None
    km = _rows(study, "tte_km", ep.name)
    groups = [g for g in km["group"].unique() if g != "all"]
    counted = km[(km["measure"] == "median") & (km["n"] > 0)]
    groups = [g for g in groups if g in set(counted["group"])]
    if len(groups) != 2:
        return None
    a, b = groups
    if _curves_later(study, ep, a, b):
        return a, b
    if _curves_later(study, ep, b, a):
        return b, a
    return None


def _median_phrase(study, ep, row: pd.Series) -> str:
    if str(row["method"]) == "not estimable":
        return f"not estimable ({row['note']})"
    if int(row["n_events"]) == 0:
        return f"not reached (no {ep.event_label})"
    ci = T.conf_label(T._alpha(study))
    low, high = _time(row["ci_low"]), _time(row["ci_high"])
    return f"{_time(row['estimate'], ep.unit)} ({ci} CI {low} to {high})"


def summary_text(study) -> str:
    """The summary's sentence on the time-to-event endpoints (rule T1: the participants and
    events with the overall median, no claim): ``In 40 patients with … (12 relapses), the
    median time to relapse was 38.8 months (95% CI 31.7 to not reached).``; empty text
    without endpoints or with none analysed."""
    out = []
    for ep in study.config.endpoints:
        km = _rows(study, "tte_km", ep.name)
        overall = km[(km["group"] == "all") & (km["measure"] == "median")]
        if overall.empty or int(overall.iloc[0]["n"]) == 0:
            continue
        o = overall.iloc[0]
        out.append(
            f"In {_population_phrase(study, ep, int(o['n']))} "
            f"({_events(int(o['n_events']), ep.event_label)}), the median time to "
            f"{ep.event_label} was {_median_phrase(study, ep, o)}."
        )
    return " ".join(out)


def _groups_sentence(study, ep) -> str:
    alpha = T._alpha(study)
    km = _rows(study, "tte_km", ep.name)
    med = km[(km["measure"] == "median") & (km["group"] != "all")]
    parts = [
        f"{_median_phrase(study, ep, r)} in {_group_name(study, ep, r['group'])}"
        for _, r in med.iterrows()
    ]
    text = f"By group, the median was {join_words(parts)}."
    lr = _rows(study, "tte_logrank", ep.name)
    main = lr[lr["test"] == "log_rank"]
    if main.empty:
        return text
    r = main.iloc[0]
    if str(r["method"]).startswith("not computed"):
        return text + f" The groups were not compared (log-rank test not computed: {r['note']})."
    names = join_words([_group_name(study, ep, g) for g in med["group"]])
    p = T.p_phrase(r["p_unc"], alpha, test="log-rank")
    if not T.differs(r["p_unc"], alpha):
        text += f" The time to {ep.event_label} did not differ between {names} ({p})."
    else:
        order = curves_order(study, ep)
        if order is not None:
            later, earlier = (_group_name(study, ep, g) for g in order)
            text += (
                f" The {ep.event_label} came later in {later} than in {earlier} ({p}; the "
                f"Kaplan–Meier curve of {later} lies on or above that of {earlier} wherever "
                "both are observed)."
            )
        else:
            text += f" The time to {ep.event_label} differed between {names} ({p})."
    trend = lr[lr["test"] == "log_rank_trend"]
    if not trend.empty:
        t = trend.iloc[0]
        pt = T.p_phrase(t["p_unc"], alpha, test="log-rank trend")
        if T.differs(t["p_unc"], alpha):
            text += f" It followed the order of the groups ({pt})."
        else:
            text += f" No trend over the ordered groups was shown ({pt})."
    return text


def _cox_sentences(study, ep) -> list[str]:
    alpha = T._alpha(study)
    ci = T.conf_label(alpha)
    cox = _rows(study, "tte_cox", ep.name)
    ph = _rows(study, "tte_ph", ep.name)
    d = study.config.dictionary
    out = []
    for p in ep.predictors:
        rows = cox[cox["predictor"] == p.column]
        name = md_literal(lower_first(p.label))
        per = format_number(p.per, 0 if float(p.per).is_integer() else 2)
        unit = f" {md_literal(p.unit)}" if p.unit else ""
        for test in ("cox", "cox_adjusted"):
            fit = rows[(rows["test"] == test) & (rows["term"] == p.column)]
            if fit.empty:
                continue
            r = fit.iloc[0]
            adjusted = test == "cox_adjusted"
            covs = join_words([md_literal(lower_first(d.label(c))) for c in ep.adjust_for])
            lead = f"Adjusted for {covs}" if adjusted else f"For the {name}"
            if str(r["method"]).startswith("not computed"):  # T6
                out.append(f"{lead}, the Cox model was not fitted ({r['note']}).")
                continue
            hr = format_number(r["effect"], 2)
            if _ok(r["ci_low"]) and _ok(r["ci_high"]):
                interval = f"{format_number(r['ci_low'], 2)} to {format_number(r['ci_high'], 2)}"
                stats = f"{ci} CI {T._nb(interval)}; {T.p_phrase(r['p_unc'], alpha)}"
            else:
                stats = f"no interval; {T.p_phrase(r['p_unc'], alpha)}"
            if str(r["note"]):
                stats += f"; {r['note']}"
            if adjusted:
                who = study.config.participants.count(int(r["n"]))
                stats += f"; {who}, {_events(int(r['n_events']), ep.event_label)}"
            if _ok(r["ci_low"]) and float(r["ci_low"]) > 1:
                claim = f"a higher value went with an earlier {ep.event_label}"
            elif _ok(r["ci_high"]) and float(r["ci_high"]) < 1:
                claim = f"a higher value went with a later {ep.event_label}"
            else:
                claim = "no association was shown (the interval includes 1)"
            out.append(
                f"{lead}, the hazard ratio of {ep.event_label} per {per}{unit} higher was "
                f"{hr} ({stats}): {claim}."
            )
            zph = ph[(ph["predictor"] == p.column) & (ph["model"] == test)]
            glob = zph[zph["term"] == "GLOBAL"]
            if not glob.empty and not str(glob.iloc[0]["method"]).startswith("not computed"):
                g = glob.iloc[0]
                pp = T.p_phrase(g["p_unc"], alpha)
                if T.differs(g["p_unc"], alpha):  # T5
                    out.append(
                        f"The test of proportional hazards of this model had {pp}: its hazard "
                        "ratio may change over follow-up and is an average over it."
                    )
                else:
                    out.append(
                        f"No departure from proportional hazards was detected ({pp}, global test)."
                    )
    return out


def _endpoint_text(study, ep) -> str:
    ci = T.conf_label(T._alpha(study))
    km = _rows(study, "tte_km", ep.name)
    overall = km[(km["group"] == "all") & (km["measure"] == "median")]
    fu = _rows(study, "tte_followup", ep.name)
    origin = f" from {md_literal(ep.origin)}" if ep.origin else ""
    if overall.empty or int(overall.iloc[0]["n"]) == 0:
        return (
            f"The time{origin} to {ep.event_label} was not analysed: no "
            f"{study.config.participants.singular} of "
            f"{_population_phrase(study, ep)} has a time and an event status."
        )
    o = overall.iloc[0]
    n, events = int(o["n"]), int(o["n_events"])
    text = (
        f"The time{origin} to {ep.event_label} was analysed in "
        f"{_population_phrase(study, ep, n)}, with "
        f"{_events(events, ep.event_label)}"
    )
    if not fu.empty:
        f = fu.iloc[0]
        if _ok(f["estimate"]):
            text += (
                f" over a median follow-up of {_time(f['estimate'], ep.unit)} ({ci} CI "
                f"{_time(f['ci_low'])} to {_time(f['ci_high'])}; reverse Kaplan–Meier)"
            )
        else:
            text += f" (median follow-up not reached: {f['note']})"
    text += f". Overall, the median time to {ep.event_label} was {_median_phrase(study, ep, o)}."
    if ep.compare is not None:
        text += " " + _groups_sentence(study, ep)
    return " ".join([text, *_cox_sentences(study, ep)])


def section_heading(study) -> str:
    """The heading of the time-to-event section (Markdown): the endpoint's title, or "Time
    to event" naming them all; empty text without endpoints."""
    endpoints = study.config.endpoints
    if not endpoints:
        return ""
    if len(endpoints) == 1:
        return md_literal(endpoints[0].title)
    return "Time to event: " + join_words([md_literal(lower_first(ep.title)) for ep in endpoints])


def section_text(study) -> str:
    """The time-to-event section of the report: its heading (:func:`section_heading`) and a
    paragraph per endpoint; empty text without endpoints."""
    endpoints = study.config.endpoints
    if not endpoints:
        return ""
    heading = section_heading(study)
    paragraphs = []
    for ep in endpoints:
        lead = f"**{md_literal(ep.title)}.** " if len(endpoints) > 1 else ""
        paragraphs.append(lead + _endpoint_text(study, ep))
    refs = "@tbl-survival gives the medians and the survival at the landmarks"
    refs += ", and @fig-survival the Kaplan–Meier curves with the numbers at risk."
    return f"\n## {heading}\n\n" + "\n\n".join(paragraphs) + f"\n\n{refs}\n"


def methods_text(study, planned: bool = False) -> str:
    """How the time-to-event endpoints were analysed (the statistical methods' paragraph);
    ``planned``: in the present tense of the analysis plan, which is written before they
    are."""
    endpoints = study.config.endpoints
    if not endpoints:
        return ""
    ci = T.conf_label(T._alpha(study))
    named = []
    for ep in endpoints:
        origin = f" from {md_literal(ep.origin)}" if ep.origin else ""
        who = _population_phrase(study, ep)
        named.append(
            f"{md_literal(lower_first(ep.title))} (time{origin} to {ep.event_label}, in {who}; "
            f"{study.config.participants.plural} without it censored at their last follow-up)"
        )
    was, were = ("is", "are") if planned else ("was", "were")
    return (
        f"Time-to-event endpoints: {join_words(named)}. Survival {was} estimated by "
        f"Kaplan–Meier with log(−log) pointwise {ci} intervals, the median with its interval "
        "read from the curve and its bounds, the median follow-up by reverse Kaplan–Meier; "
        f"groups {were} compared by the log-rank test (and its test for trend over ordered "
        "groups); hazard ratios per stated unit of each predictor, unadjusted and adjusted, "
        "come from Cox proportional hazards models with Efron's ties and Wald intervals, and "
        f"the proportional hazards assumption {was} tested on the scaled Schoenfeld residuals "
        "(score test against 1 − KM(t), as R's cox.zph)."
    )


def captions(study) -> dict[str, str]:
    """Captions of the time-to-event floats (left out without endpoints)."""
    endpoints = study.config.endpoints
    ci = T.conf_label(T._alpha(study))
    titles = join_words([md_literal(lower_first(ep.title)) for ep in endpoints])
    titles = titles or "the time-to-event endpoints (none in this study)"
    return {
        "tbl-survival": (
            f"{T._cap(titles)}: {study.config.participants.plural}, events, median time and "
            "survival at the landmarks "
            "by group and overall (Kaplan–Meier)."
        ),
        "fig-survival": (
            f"Kaplan–Meier curves of {titles} by group, with pointwise {ci} intervals, "
            f"censored {study.config.participants.plural} as ticks and the numbers at risk under "
            "the axis."
        ),
        "supptbl-cox": f"Cox models of {titles}: every term's hazard ratio.",
        "supptbl-ph": f"Test of proportional hazards of every Cox model of {titles}.",
    }


def figure_panels(study) -> list[dict[str, Any]]:
    """What the figure draws, one panel per endpoint: title, axis labels, curves, numbers at
    risk and group names in order."""
    out = []
    for ep in study.config.endpoints:
        curve = _rows(study, "tte_curve", ep.name)
        risk = _rows(study, "tte_at_risk", ep.name)
        km = _rows(study, "tte_km", ep.name)
        groups = [g for g in km["group"].unique() if g != "all"] or ["all"]
        lr = _rows(study, "tte_logrank", ep.name)
        main = lr[lr["test"] == "log_rank"]
        p = ""
        if not main.empty and _ok(main.iloc[0]["p_unc"]):
            p = T.p_phrase(main.iloc[0]["p_unc"], T._alpha(study), test="log-rank")
        out.append(
            {
                "title": ep.title,
                "xlabel": f"Time from {ep.origin} ({ep.unit})" if ep.origin else ep.unit,
                "ylabel": f"Free of {ep.event_label}",
                "curve": curve,
                "risk": risk,
                "groups": groups,
                "names": {g: _plain(_group_name(study, ep, g)) for g in groups},
                "p": p.replace(NNBSP, " "),
            }
        )
    return out


def _plain(text: str) -> str:
    return text.replace("\\", "")


def survival_figure(study, figures) -> Any:
    """The Kaplan–Meier figure (``figures``: the set-up :mod:`itp_stats.report.figures`)."""
    return figures.km_panels(figure_panels(study))
