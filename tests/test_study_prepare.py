"""Preparing the study behind a report."""

from __future__ import annotations

import pandas as pd
import pytest

from itp_stats.cohort.load import load_cohort
from itp_stats.cohort.synth import synthesize, write_cohort
from itp_stats.study.config import load_study
from itp_stats.study.prepare import (
    exclusions,
    flow_table,
    is_shipped_cohort,
    participant_flow,
    prepare_study,
)


def test_participant_flow_counts_add_up(cohort_path):
    cohort = load_cohort(cohort_path)
    flow = participant_flow(cohort, load_study())
    assert flow["assessed"] == len(cohort) == 72
    assert flow["analysed"] == int(cohort["response_iwg"].notna().sum())
    assert flow["analysed"] + sum(n for _, n in flow["excluded"]) == flow["assessed"]
    assert sum(flow["groups"].values()) == flow["analysed"]
    assert list(flow["groups"]) == ["CR", "PR", "NR"]


def test_exclusion_reasons():
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "followup_months": [3.0, 12.0, 24.0, 24.0],
            "response_iwg": pd.Categorical([None, None, "CR", "PR"], categories=["CR", "PR", "NR"]),
        }
    )
    got = exclusions(frame, load_study())
    assert got["patient_id"].tolist() == ["a", "b"]
    assert got["reason"].iloc[0] == "followed for less than 6 months"
    assert got["reason"].iloc[1] == (
        "group at 6 months not determinable (missing platelet count at rituximab start, "
        "platelet count at 6 months, bleeding at 6 months or rescue therapy before 6 months)"
    )


def test_flow_export_counts_exclusions(cohort_path):
    cohort = load_cohort(cohort_path)
    table = flow_table(participant_flow(cohort, load_study()))
    by_stage = table.groupby("stage")["n"].sum()
    assert by_stage["in file"] == 72
    assert by_stage["excluded"] == 72 - by_stage["analysed"] > 0  # not "0 excluded"
    assert by_stage["group"] == by_stage["analysed"]


def test_environment_data_wins_over_default_parameter(tmp_path, monkeypatch, cohort_path):
    other = write_cohort(synthesize(60, 3), tmp_path / "other.csv")
    monkeypatch.setenv("ITP_STATS_DATA", str(other))
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))  # gate result written under tmp
    study = prepare_study("data/cohort.csv", n_boot=50)
    assert study.data_path == other.resolve()
    assert len(study.cohort) == 60
    assert study.synthetic  # itp-stats synth marked the file it wrote
    assert study.synthetic_source.startswith("synthetic cohort made by itp-stats synth (n = 60")
    unmarked = tmp_path / "unmarked.csv"
    unmarked.write_text(other.read_text().split("\n", 1)[1])  # the same rows, mark removed
    monkeypatch.setenv("ITP_STATS_DATA", str(unmarked))
    plain = prepare_study("data/cohort.csv", n_boot=50)
    assert not plain.synthetic and plain.synthetic_source == ""
    assert len(plain.cohort) == 60
    assert is_shipped_cohort(cohort_path)
    # an explicit other path is used as given
    explicit = prepare_study(str(cohort_path), n_boot=50)
    assert explicit.data_path == cohort_path.resolve() and explicit.synthetic


def test_bad_data_is_never_analysed(tmp_path, monkeypatch, cohort_path):
    from itp_stats.gate.result import GateFailedError

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    frame = pd.read_csv(cohort_path, dtype=str, skiprows=1)  # after the synthetic mark
    frame.loc[0, "patient_id"] = frame.loc[1, "patient_id"]
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(GateFailedError, match=frame.loc[1, "patient_id"]):
        prepare_study(str(bad))


def test_study_is_computed_once_and_reused(tmp_path, monkeypatch, cohort_path):
    import itp_stats.study.prepare as study_module

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    calls = []
    compute = study_module._compute
    monkeypatch.setattr(study_module, "_compute", lambda *a: calls.append(a) or compute(*a))
    first = prepare_study(str(cohort_path), n_boot=50)
    second = prepare_study(str(cohort_path), n_boot=50)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(
        first.results["baseline_kruskal"], second.results["baseline_kruskal"]
    )
    assert len(list((tmp_path / ".itp-stats").glob("study-*.pkl"))) == 1
    # other parameters are another study
    prepare_study(str(cohort_path), n_boot=60)
    assert len(calls) == 2
    # a damaged cache file is recomputed, not trusted
    for cached in (tmp_path / ".itp-stats").glob("study-*.pkl"):
        cached.write_bytes(b"not a pickle")
    again = prepare_study(str(cohort_path), n_boot=50)
    assert len(calls) == 3
    pd.testing.assert_frame_equal(first.results["prediction"], again.results["prediction"])
