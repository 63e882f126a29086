"""Time to event in the documents (itp_stats.report.survival): every sentence checked against
the results it states (rules T1–T6), on the shipped cohort, with the effect reversed, with one
endpoint and with none."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from itp_stats.report import survival as tte
from itp_stats.report.format import format_number
from itp_stats.study.survival import run_survival

NB = "\u00a0"


@pytest.fixture(scope="module")
def shipped():
    from itp_stats.study.prepare import prepare_study

    return prepare_study(None)


def _with(study, endpoints=None, analysed=None):
    """The study with other endpoints or other analysed patients, its results recomputed."""
    cfg = study.config
    if endpoints is not None:
        design = dataclasses.replace(cfg.design, endpoints=tuple(endpoints))
        cfg = dataclasses.replace(
            cfg, dictionary=dataclasses.replace(cfg.dictionary, design=design)
        )
    data = study.analysed if analysed is None else analysed
    results = {k: v for k, v in study.results.items() if not k.startswith("tte_")}
    results.update(run_survival(data, cfg.endpoints, group=cfg.group, ordered=cfg.ordered))
    return dataclasses.replace(study, config=cfg, analysed=data, results=results)


def _plain(text: str) -> str:
    """The text as read: abbreviation spans and no-break spaces flattened."""
    text = re.sub(r"\[([^\[\]]*) \(\[([^\[\]]*)\]\{\.itp-abbr-short\}\)\]\{\.itp-abbr\}",
                  r"\1 (\2)", text)  # fmt: skip
    return text.replace(NB, " ").replace("\u202f", " ")


def _paragraph(study, title: str) -> str:
    text = _plain(tte.section_text(study))
    for part in text.split("\n\n"):
        if part.startswith(f"**{title}.**") or (
            len(study.config.endpoints) == 1 and "time" in part
        ):
            return part
    raise AssertionError(f"no paragraph for {title}")


def _claims_follow_the_intervals(study) -> None:
    """T4 on every endpoint: earlier/later only with the interval on that side of 1."""
    cox = study.results["tte_cox"]
    for ep in study.config.endpoints:
        para = _paragraph(study, ep.title)
        rows = cox[(cox.endpoint == ep.name) & (cox.term == ep.predictors[0].column)]
        claims = re.findall(r"\): (a higher value went with an? \w+ |no association was shown)",
                            para)  # fmt: skip
        assert len(claims) == len(rows), para
        for claim, (_, r) in zip(claims, rows.iterrows(), strict=True):
            hr = f"{format_number(r.effect, 2)} (95% CI {format_number(r.ci_low, 2)} to "
            assert hr in para
            if r.ci_low > 1:
                assert "earlier" in claim
            elif r.ci_high < 1:
                assert "later" in claim
            else:
                assert claim == "no association was shown"


def test_section_states_counts_and_follow_up(shipped):
    """T1, T2: patients, events, follow-up and medians as the results hold them."""
    text = tte.section_text(shipped)
    assert text.startswith("\n## Time to event: duration of response and time to next treatment\n")
    km, fu = shipped.results["tte_km"], shipped.results["tte_followup"]
    for ep in shipped.config.endpoints:
        para = _paragraph(shipped, ep.title)
        overall = km[(km.endpoint == ep.name) & (km.group == "all") & (km.measure == "median")]
        o = overall.iloc[0]
        assert f"analysed in {int(o.n)} patients" in para
        assert "analysed patients" not in para  # "analysed in 70 patients", said once
        assert f"{int(o.n_events)} {ep.event_label}s" in para
        f = fu[fu.endpoint == ep.name].iloc[0]
        assert f"median follow-up of {format_number(f.estimate, 1)} months (95% CI " in para
        assert f"{format_number(f.ci_low, 1)} to {format_number(f.ci_high, 1)}" in para
        groups = km[(km.endpoint == ep.name) & (km.measure == "median") & (km.group != "all")]
        for _, g in groups.iterrows():
            median = "not reached" if np.isnan(g.estimate) else format_number(g.estimate, 1)
            assert f"{median}" in para and f" in {g.group}" in para
    assert "responders" not in text.lower() or "complete response (CR) or partial" in text


def test_log_rank_words_follow_the_rules(shipped):
    """T3: "differed" only below alpha; no "later" for three groups or when p is large."""
    lr = shipped.results["tte_logrank"].set_index(["endpoint", "test"])
    dor = _paragraph(shipped, "Duration of response")
    assert lr.loc[("duration_of_response", "log_rank"), "p_unc"] >= 0.05
    assert "did not differ between CR and PR (log-rank p = 0.40)" in dor
    assert "came later" not in dor and "longer" not in dor
    ttnt = _paragraph(shipped, "Time to next treatment")
    assert "differed between CR, PR and NR (log-rank p < 0.001)" in ttnt
    assert "followed the order of the groups (log-rank trend p < 0.001)" in ttnt
    assert "came later" not in ttnt  # three groups: no direction word
    _claims_follow_the_intervals(shipped)


def test_proportional_hazards_sentence(shipped):
    """T5: one sentence per model, its word by the global test."""
    ph = shipped.results["tte_ph"]
    glob = ph[ph.term == "GLOBAL"]
    text = _plain(tte.section_text(shipped))
    detected = text.count("No departure from proportional hazards was detected")
    changing = text.count("may change over follow-up")
    assert detected == int((glob.p_unc >= 0.05).sum())
    assert changing == int((glob.p_unc < 0.05).sum())


def test_reversed_effect(shipped):
    """Relapse times given back in the reverse order of the NK count (whole follow-up records
    swapped among the responders): the hazard ratio falls below 1 and no sentence says a
    higher count goes with an earlier relapse."""
    data = shipped.analysed.copy()
    responders = data.index[data[shipped.group].astype(object).isin(["CR", "PR"])]
    nk = data.loc[responders, "nk_m0"].astype(float).fillna(data["nk_m0"].astype(float).median())
    order = nk.sort_values(kind="stable").index
    columns = ["followup_months", "relapse_months", "relapse"]
    data.loc[order, columns] = data.loc[order[::-1], columns].to_numpy()
    study = _with(shipped, analysed=data)
    cox = study.results["tte_cox"]
    dor = cox[(cox.endpoint == "duration_of_response") & (cox.test == "cox")].iloc[0]
    assert dor.effect < 1
    para = _paragraph(study, "Duration of response")
    assert "went with an earlier relapse" not in para
    _claims_follow_the_intervals(study)


def test_later_only_when_the_curves_do_not_cross(shipped):
    """T3 with two groups and p < alpha: the group whose curve lies on or above."""
    ep = dataclasses.replace(shipped.config.endpoints[1], population=("CR", "NR"))
    study = _with(shipped, endpoints=[ep])
    order = tte.curves_order(study, ep)
    assert order == ("CR", "NR")
    text = _plain(tte.section_text(study))
    assert text.startswith("\n## Time to next treatment\n")
    assert "The next treatment came later in CR than in NR (log-rank p < 0.001;" in text


def test_one_endpoint_is_its_own_section(shipped):
    study = _with(shipped, endpoints=shipped.config.endpoints[:1])
    text = tte.section_text(study)
    assert text.startswith("\n## Duration of response\n\nThe time from rituximab start")
    table, _ = tte.survival_table(study)
    assert "Endpoint" not in table.columns
    assert tte.captions(study)["tbl-survival"].startswith("Duration of response:")


def test_summary_states_each_endpoint_without_a_claim(shipped):
    """T1 in the summary: participants, events and the overall median of every endpoint."""
    from itp_stats.report import facade

    text = tte.summary_text(shipped)
    km = shipped.results["tte_km"]
    for ep in shipped.config.endpoints:
        o = km[(km.endpoint == ep.name) & (km.group == "all") & (km.measure == "median")].iloc[0]
        assert (
            f"({int(o.n_events)} {ep.event_label}s), the median time to {ep.event_label} " in text
        )
        assert f"was {format_number(o.estimate, 1)}\u202fmonths (95% CI " in text
    assert "In 70 patients (38 next treatments)" in text
    for claim in ("longer", "shorter", "earlier", "later", "predict", "differ"):
        assert claim not in text
    assert facade.TEXTS["summary_results"](shipped).endswith(text)


def test_no_endpoint_no_section(shipped):
    from itp_stats.report import facade
    from itp_stats.report.floats import SURVIVAL_FLOATS, left_out, table_numbers

    study = _with(shipped, endpoints=[])
    assert tte.section_text(study) == "" and facade.time_to_event(study) == ""
    assert not any(k.startswith("tte_") for k in study.results)
    gone = left_out(study)
    assert all(gone[label] == "" for label in SURVIVAL_FLOATS)
    numbers = table_numbers(study)
    assert numbers["adjusted"] == "Table S11" and numbers["validation"] == "Table S9"
    assert "Time-to-event" not in facade.statistical_methods(study)
    assert tte.summary_text(study) == ""
    assert facade.TEXTS["summary_results"](study) == facade.T.summary_results(study)
    assert not any(name in facade.result_tables(study) for name in ("survival", "cox", "ph"))
    assert "Cox" not in facade.supplement_intro(study)
    for label in SURVIVAL_FLOATS:
        shown = facade.table(study, "survival") if label == "tbl-survival" else ""
        assert shown in ("", "::: {.itp-left-out}\n\n:::\n")


def test_endpoints_without_predictors_leave_the_cox_tables_out(shipped):
    from itp_stats.report.floats import left_out

    eps = [dataclasses.replace(ep, predictors=(), adjust_for=()) for ep in shipped.config.endpoints]
    study = _with(shipped, endpoints=eps)
    gone = left_out(study)
    assert gone["supptbl-cox"].startswith("No Cox model")
    assert "tbl-survival" not in gone and "fig-survival" not in gone
    assert "hazard ratio" not in tte.section_text(study)


def test_tables(shipped):
    table, note = tte.survival_table(shipped)
    assert list(table.columns[:4]) == ["Endpoint", "Group", "Patients", "Events"]
    assert "At 12 months, % (95% CI)" in table.columns
    assert list(table.Endpoint[table.Endpoint != ""]) == [
        "Duration of response",
        "Time to next treatment",
    ]
    assert "log-rank p = 0.40" in note.replace("\u202f", " ")
    cox, note = tte.cox_table(shipped)
    assert cox["Term"].str.contains("per 100 cells/µL").sum() == 4
    assert "Efron" in note
    ph, _ = tte.ph_table(shipped)
    assert list(ph.Term).count("Global") == 4


def test_figure_draws_the_curves_and_the_numbers_at_risk(shipped):
    from itp_stats.report import facade

    fig = tte.survival_figure(shipped, facade._figures(shipped))
    panels = tte.figure_panels(shipped)
    assert len(fig.axes) == 2 * len(panels)
    risk = shipped.results["tte_at_risk"]
    first = risk[(risk.endpoint == "duration_of_response") & (risk.group == "CR")]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert texts[: len(first)] == [str(int(n)) for n in first.at_risk]
    assert fig.axes[0].get_title(loc="left").startswith("Duration of response (log-rank p = 0.40)")


def test_population_phrase_and_plural(shipped):
    ep = shipped.config.endpoints[0]
    assert _plain(tte._population_phrase(shipped, ep)) == (
        "the patients with complete response (CR) or partial response (PR)"
    )
    assert tte._events(1, "relapse") == "1 relapse" and tte._events(2, "relapse") == "2 relapses"


def test_unrelated_columns_unchanged(shipped):
    """The section's results come from the analysed patients and nothing else changes."""
    assert pd.api.types.is_float_dtype(shipped.analysed["relapse_months"])
