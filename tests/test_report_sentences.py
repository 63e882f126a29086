"""Sentences from results: the rules one by one, then the words on cohorts made to test them.

The cohorts are the shipped shape with the finding reversed (complete responders have the
*higher* baseline NK count), absent (NK a fixed share of lymphocytes in everyone), or with
tiny groups (2 partial responders; none). Each sentence is checked against the computed
result it speaks of, by the rule stated in ``itp_stats.report.sentences``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from itp_stats.cohort.synth import synthesize, write_cohort
from itp_stats.report import sentences as T
from itp_stats.report.format import NNBSP, abbreviation, spelled_out
from itp_stats.study.prepare import prepare_study

# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("est", "low", "high", "p", "word"),
    [
        (-5, -9, -1, 0.01, "lower"),
        (5, 1, 9, 0.01, "higher"),
        (5, -1, 9, 0.01, "similar"),  # interval holds 0
        (5, 1, 9, 0.2, "similar"),  # p above alpha: no direction claimed
        (5, float("nan"), 9, 0.01, "similar"),  # no interval, no claim
    ],
)
def test_direction(est, low, high, p, word):
    assert T.direction(est, low, high, p, 0.05) == word


def test_differs_only_below_alpha():
    assert T.differs(0.049, 0.05)
    assert not T.differs(0.05, 0.05)
    assert not T.differs(float("nan"), 0.05)
    assert not T.differs(0.02, 0.01)


@pytest.mark.parametrize(
    ("auc", "low", "high", "claim"),
    [(0.8, 0.7, 0.9, "predicts"), (0.3, 0.2, 0.4, "opposite"), (0.55, 0.4, 0.7, "none")],
)
def test_prediction_claim(auc, low, high, claim):
    assert T.prediction_claim(auc, low, high) == claim


def test_cutoff_reportable():
    assert T.cutoff_reportable(92.5, 80, 111)
    assert not T.cutoff_reportable(float("inf"), 80, 111)
    assert not T.cutoff_reportable(150, 80, 111)  # outside its own interval
    assert not T.cutoff_reportable(100, float("nan"), 111)


def test_change_word():
    assert T.change_word(3.8, 1.7, 5.8, 0.001, 0.05) == "rose"
    assert T.change_word(-3.8, -5.8, -1.7, 0.001, 0.05) == "fell"
    assert T.change_word(-3.8, -5.8, 1.7, 0.2, 0.05) == "did not change clearly"


def test_p_phrase_and_levels():
    assert T.p_phrase(0.0004, 0.05) == f"p{NNBSP}<{NNBSP}0.001"
    assert T.p_phrase(0.012, 0.05, test="Wilcoxon") == f"Wilcoxon p{NNBSP}={NNBSP}0.012"
    # never printed on the other side of alpha: 0.0496 is not "0.050"
    assert T.p_phrase(0.0496, 0.05) == f"p{NNBSP}={NNBSP}0.0496"
    assert T.p_phrase(float("nan"), 0.05, test="Kruskal–Wallis") == "Kruskal–Wallis not computed"
    assert T.conf_label(0.05) == "95%"
    assert T.conf_label(0.01) == "99%"
    assert T.conf_label(0.025) == "97.5%"


def test_join_words():
    assert T.join_words(["a"]) == "a"
    assert T.join_words(["a", "b"]) == "a and b"
    assert T.join_words(["a", "b", "c"], "or") == "a, b or c"


# -- cohorts made to test the words --------------------------------------------------------


def _study(tmp_path, frame: pd.DataFrame, name: str, **params):
    path = write_cohort(frame, tmp_path / f"{name}.csv")
    return prepare_study(path, gate_result=tmp_path / f"{name}.gate.json", n_boot=300, **params)


def _reversed(frame: pd.DataFrame) -> pd.DataFrame:
    """Baseline NK cut to a quarter outside complete responders: CR now has the higher count."""
    out = frame.copy()
    rest = out["response_m6"].astype(object) != "CR"
    out.loc[rest, "nk_m0"] = (out.loc[rest, "nk_m0"] // 4).astype("Int64")
    return out


def _null(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Baseline NK a random 5–9 % of lymphocytes whatever the group: no association."""
    out = frame.copy()
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.05, 0.09, len(out))
    lymph = out["lymphocytes_m0"].astype("Float64")
    room = lymph * 1.0 - out["cd3_m0"].astype("Float64") - out["cd19_m0"].astype("Float64")
    nk = np.floor(np.minimum(lymph.to_numpy(float, na_value=np.nan) * share,
                             room.to_numpy(float, na_value=np.nan).clip(0)))  # fmt: skip
    out["nk_m0"] = pd.array([None if np.isnan(v) else int(v) for v in nk], dtype="Int64")
    return out


def _mw(study, marker="nk"):
    return study.results["baseline_positive"].set_index("marker").loc[marker]


@pytest.fixture(scope="module")
def base_frame():
    return synthesize(72, seed=20230601)


def test_reversed_finding_reads_higher(tmp_path, base_frame):
    study = _study(tmp_path, _reversed(base_frame), "reversed")
    mw = _mw(study)
    assert mw["hl_ci_low"] > 0 and mw["p_unc"] < 0.05  # the data are reversed
    text = spelled_out(T.baseline_text(study))
    assert "It was higher in the complete response (CR) group" in text
    assert "lower" not in text
    assert T.conclusion(study).startswith("In this cohort, a higher baseline count of")
    # the NK count is pre-specified as 'lower': its AUC now lies below 0.5
    auc = study.results["prediction"].set_index("effect_type").loc["auc"]
    assert auc["ci_high"] < 0.5
    pred = T.prediction_text(study)
    assert "did not predict" in pred and "below 0.5" in pred
    assert "cutoff maximising" not in pred  # no cutoff after a failed prediction claim
    assert "predicted" not in pred


def test_null_finding_claims_nothing(tmp_path, base_frame):
    study = _study(tmp_path, _null(base_frame), "null")
    mw = _mw(study)
    kw = study.results["baseline_kruskal"].set_index("marker").loc["nk"]
    text = spelled_out(T.baseline_text(study))
    if kw["p_unc"] >= 0.05:
        assert "did not differ between" in text
        assert "differed between" not in text.replace("did not differ", "")
    word = T.direction(mw["hl_estimate"], mw["hl_ci_low"], mw["hl_ci_high"], mw["p_unc"], 0.05)
    assert word == "similar", "the null cohort should not show a difference"
    assert "It was similar in the complete response (CR) group" in text
    assert "not clearly associated" in T.conclusion(study)
    auc = study.results["prediction"].set_index("effect_type").loc["auc"]
    pred = T.prediction_text(study)
    if auc["ci_low"] <= 0.5 <= auc["ci_high"]:
        assert "did not predict" in pred and "includes 0.5" in pred
    assert "may be confounded" not in T.limitations_text(study)


def test_two_partial_responders_are_left_out_and_the_rest_compared(tmp_path, base_frame):
    frame = base_frame.copy()
    pr = frame.index[frame["response_m6"].astype(object) == "PR"]
    frame = frame.drop(pr[2:]).reset_index(drop=True)
    study = _study(tmp_path, frame, "two_pr")
    assert study.flow["groups"]["PR"] == 2
    kw = study.results["baseline_kruskal"].set_index("marker").loc["nk"]
    assert kw["test"] == "mann_whitney" and np.isfinite(kw["p_unc"])
    text = T.baseline_text(study)
    assert "between CR and NR (PR left out: fewer than 3 values)" in text
    assert "not computed" not in text
    assert "partial response (PR, n\u202f=\u202f2) — are left out" in T.participants_text(study)


def test_no_partial_responders(tmp_path, base_frame):
    frame = base_frame[base_frame["response_m6"].astype(object) != "PR"].reset_index(drop=True)
    study = _study(tmp_path, frame, "no_pr")
    assert study.levels == ["CR", "NR"]
    text = spelled_out(T.participants_text(study))
    assert "No patient was in the partial response (PR) group" in text
    baseline = T.baseline_text(study)  # two groups left: one comparison, said once
    assert baseline.startswith("The baseline count of") and baseline.count("Mann–Whitney") == 1
    assert "3 groups" not in T.summary_methods(study)
    assert "2 groups" in T.summary_methods(study)


def test_alpha_sets_every_level(tmp_path, base_frame):
    study = _study(tmp_path, base_frame, "alpha", alpha=0.01)
    assert "99% confidence intervals" in T.summary_methods(study)
    assert "Confidence intervals are at 99%" in T.family_methods(study)
    assert "95%" not in T.prediction_text(study)
    from itp_stats.report import tables

    t2, _ = tables.table2(study)
    assert any("99% CI" in c for c in t2.columns)
    assert not any("95%" in c for c in t2.columns)


def test_labels_from_the_user_cannot_become_links_or_html():
    assert T.md_literal("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert T.md_literal("<script>alert(1)</script>") == "\\<script\\>alert(1)\\</script\\>"
    assert T.md_literal("CD3+ T cells") == "CD3+ T cells"  # ordinary labels unchanged


def test_group_definition_escapes_the_users_labels(tmp_path):
    """The derivation sentence takes the dictionary's labels and the study's group names:
    text such as a link, raw HTML or a code span reaches the page as the literal text."""
    from types import SimpleNamespace

    from conftest import copy_study

    from itp_stats.study.config import load_study

    hostile = "[x](javascript:alert(2)) <b>RAW</b> `#text(fill: red)[X]`{=typst}"

    def dictionary(d):
        d["columns"]["platelets_m6"]["label"] = hostile
        d["columns"]["response_m6"]["label"] = hostile

    def study(s):
        s["group"]["names"]["CR"] = hostile

    config = load_study(copy_study(tmp_path, dictionary, study))
    text = T.group_methods(SimpleNamespace(config=config))
    assert "](javascript" not in text.replace("\\]", "")  # the link's brackets are escaped
    assert "<b>" not in text.replace("\\<", "") and "`" not in text.replace("\\`", "")
    assert text.count("\\[x\\](javascript:alert(2))") >= 3  # names and labels alike


def test_a_status_at_end_of_follow_up_is_said_so(tmp_path, monkeypatch):
    """group.when: end_of_followup: the text never says the groups were assessed at the
    follow-up time point."""
    from conftest import copy_study, recorded_group_cells, recorded_group_dictionary
    from gate_cases import cells, write

    def study_edit(s):
        s["group"] = {
            "column": "response_m6",
            "levels": ["responder", "non-responder"],
            "when": "end_of_followup",
        }
        s.pop("time_to_event", None)  # its population names the shipped levels

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    study = copy_study(tmp_path / "own", recorded_group_dictionary, study_edit)
    data = write(recorded_group_cells(cells()), tmp_path / "cohort.csv")
    prepared = prepare_study(data, study=str(study), gate_result=tmp_path / "g.json", n_boot=100)
    texts = " ".join(
        f(prepared) for f in (T.summary_methods, T.summary_results, T.participants_text)
    )
    assert "grouped at the end of follow-up into" in texts
    assert "At the end of follow-up:" in texts
    assert "at 6 months into" not in texts and "At 6 months:" not in texts


def test_data_quality_paragraph_names_only_the_rules_that_ran():
    from types import SimpleNamespace

    from itp_stats.cohort.participants import DEFAULT_PARTICIPANTS, Participants

    def said(*rule_ids, who=DEFAULT_PARTICIPANTS):
        steps = [{"rule_id": r} for r in rule_ids]
        config = SimpleNamespace(participants=who)
        return T.quality_intro(SimpleNamespace(gate=SimpleNamespace(steps=steps), config=config))

    plain = said("table.columns", "albumin_m0.type", "albumin_m0.range", "patient_id.unique")
    assert "(types, ranges and unique and well-formed identifiers)" in plain
    assert "derivation" not in plain and "parent populations" not in plain
    full = said("response_m6.consistent", "composition.cd4_cd8.m0", "m6.followup")
    assert "agreement of the recorded group with its derivation" in full
    assert "subsets within their parent populations" in full
    assert "values at follow-up only for patients followed long enough" in full
    assert "its failing patient ids." in full
    people = said("m6.followup", who=Participants("person", "people"))
    assert "only for people followed long enough" in people
    assert "its failing person ids." in people and "patient" not in people


def test_group_phrase_marks_the_abbreviation(tmp_path, base_frame):
    study = _study(tmp_path, base_frame, "groups")
    # the study names CR "complete response": marked for the filter, read back spelled out
    assert T.group_phrase(study, "CR") == abbreviation("complete response", "CR")
    assert spelled_out(T.group_phrase(study, "CR")) == "complete response (CR)"
    assert spelled_out(T.groups_named(study)) == (
        "The groups are complete response (CR), partial response (PR) and no response (NR)."
    )
