"""Preparing the study behind a report."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from itp_stats.cohort.load import load_cohort
from itp_stats.cohort.source import Source
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


def test_follow_up_rule_excludes_patients_who_have_a_group(tmp_path):
    """A group recorded at the end of follow-up: a patient followed for less than the rule's
    months has a group, and is excluded all the same, in the flow and in the analysis."""
    from conftest import copy_study, recorded_group_dictionary, recorded_group_study

    from itp_stats.study.prepare import analysed_mask

    config = load_study(copy_study(tmp_path, recorded_group_dictionary, recorded_group_study))
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "followup_months": [3.0, 5.9, 6.0, 24.0],
            "response_m6": pd.Categorical(
                ["responder", "non-responder", "responder", None],
                categories=["responder", "non-responder"],
            ),
        }
    )
    got = exclusions(frame, config)
    assert got["patient_id"].tolist() == ["a", "b", "d"]
    assert got["reason"].tolist()[:2] == ["followed for less than 6 months"] * 2
    assert analysed_mask(frame, config).tolist() == [False, False, True, False]
    flow = participant_flow(frame, config)
    assert flow["analysed"] == 1 and flow["groups"] == {"responder": 1, "non-responder": 0}
    assert flow["analysed"] + sum(n for _, n in flow["excluded"]) == flow["assessed"] == 4


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
    assert study.synthetic  # itp-stats synth wrote the file and its sidecar
    assert study.synthetic_source.startswith("synthetic cohort made by itp-stats synth (n = 60")
    unmarked = tmp_path / "unmarked.csv"
    unmarked.write_bytes(other.read_bytes())  # the same rows, without the sidecar
    monkeypatch.setenv("ITP_STATS_DATA", str(unmarked))
    plain = prepare_study("data/cohort.csv", n_boot=50)
    assert not plain.synthetic and plain.synthetic_source == ""
    assert len(plain.cohort) == 60
    assert is_shipped_cohort(cohort_path)
    # an explicit other path is used as given
    explicit = prepare_study(str(cohort_path), n_boot=50)
    assert explicit.data_path == cohort_path.resolve() and explicit.synthetic


def test_a_synth_cohort_is_synthetic_by_its_sidecar_until_its_bytes_change(tmp_path, monkeypatch):
    from itp_stats.cohort.synth import sidecar_path

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    path = write_cohort(synthesize(50, 4), tmp_path / "made.csv", seed=4)
    mark = "synthetic cohort made by itp-stats synth (n = 50, seed 4): no row is a real patient"
    made = prepare_study(str(path), n_boot=50)
    assert made.synthetic and made.synthetic_source == mark
    # edited after synth (one age): the sidecar no longer describes it, nor does anything else
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "age_years"] = "41" if frame.loc[0, "age_years"] == "40" else "40"
    frame.to_csv(path, index=False, lineterminator="\n")
    assert sidecar_path(path).is_file()
    edited = prepare_study(str(path), n_boot=50)
    assert not edited.synthetic and edited.synthetic_source == ""
    declared = prepare_study(str(path), n_boot=50, synthetic=True)
    assert declared.synthetic_source == "declared synthetic (parameter synthetic=true)"


def test_the_shipped_rows_under_a_stale_sidecar_are_still_synthetic(
    tmp_path, monkeypatch, cohort_path
):
    from gate_cases import cells, write

    from itp_stats.cohort.synth import sidecar_path

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    path = write(cells().iloc[::-1], tmp_path / "reordered.csv")  # not the bytes synth wrote
    sidecar_path(path).write_bytes(sidecar_path(cohort_path).read_bytes())
    study = prepare_study(str(path), n_boot=50)
    assert study.synthetic
    assert study.synthetic_source == "the rows of the shipped synthetic cohort (data/cohort.csv)"


def test_a_cohort_with_the_older_first_line_mark_is_synthetic(tmp_path, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    plain = write_cohort(synthesize(50, 6), tmp_path / "plain.csv", seed=6)
    mark = "synthetic cohort made by itp-stats synth (n = 50, seed 6): no row is a real patient"
    old = tmp_path / "old.csv"  # as itp-stats synth wrote it before the sidecar
    old.write_bytes(f"# {mark}\n".encode() + plain.read_bytes())
    study = prepare_study(str(old), n_boot=50)
    assert study.synthetic and study.synthetic_source == mark
    assert len(study.cohort) == 50


def test_bad_data_is_never_analysed(tmp_path, monkeypatch, cohort_path):
    from itp_stats.gate.result import GateFailedError

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    frame = pd.read_csv(cohort_path, dtype=str)
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


# -- run state that proves itself: the cached study and the bytes read -------------------


def _spy_compute(monkeypatch):
    import itp_stats.study.prepare as study_module

    calls = []
    compute = study_module._compute
    monkeypatch.setattr(study_module, "_compute", lambda *a: calls.append(a) or compute(*a))
    return calls


def _cached(root):
    (path,) = (root / ".itp-stats").glob("study-*.pkl")
    return path


def test_a_flipped_bit_in_the_cached_study_is_recomputed_never_served(
    tmp_path, monkeypatch, cohort_path
):
    from itp_stats.study.prepare import _CACHE_MAGIC

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    calls = _spy_compute(monkeypatch)
    first = prepare_study(str(cohort_path), n_boot=50)
    path = _cached(tmp_path)
    pristine = path.read_bytes()
    positions = [2, len(_CACHE_MAGIC) + 10, len(pristine) // 2, len(pristine) - 1]
    for n, position in enumerate(positions, 2):
        flipped = bytearray(pristine)
        flipped[position] ^= 0x04
        path.write_bytes(bytes(flipped))
        again = prepare_study(str(cohort_path), n_boot=50)
        assert len(calls) == n  # computed again, not unpickled
        for name in ("baseline_kruskal", "prediction"):
            pd.testing.assert_frame_equal(first.results[name], again.results[name])
    assert _cached(tmp_path).read_bytes() != bytes(flipped)  # the bad file was replaced
    prepare_study(str(cohort_path), n_boot=50)
    assert len(calls) == len(positions) + 1  # and the good one is reused


def test_a_cache_file_of_another_key_or_an_unknown_secret_is_not_served(
    tmp_path, monkeypatch, cohort_path
):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    calls = _spy_compute(monkeypatch)
    fifty = prepare_study(str(cohort_path), n_boot=50)
    path = _cached(tmp_path)
    prepare_study(str(cohort_path), n_boot=60)
    other = next(p for p in (tmp_path / ".itp-stats").glob("study-*.pkl") if p != path)
    other.replace(path)  # n_boot=60's study under n_boot=50's name
    again = prepare_study(str(cohort_path), n_boot=50)
    assert len(calls) == 3 and again.params["n_boot"] == 50
    pd.testing.assert_frame_equal(fifty.results["prediction"], again.results["prediction"])
    # a state folder whose secret changed (or was lost): nothing it signed is trusted
    (tmp_path / ".itp-stats" / "cache.key").write_bytes(b"short")
    prepare_study(str(cohort_path), n_boot=50)
    assert len(calls) == 4
    assert len((tmp_path / ".itp-stats" / "cache.key").read_bytes()) == 32
    assert (tmp_path / ".itp-stats" / "cache.key").stat().st_mode & 0o077 == 0


class _Planted:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.mkdir, (self.marker,))


def test_a_forged_cache_file_is_never_unpickled(tmp_path, monkeypatch, cohort_path):
    import json
    import pickle

    from itp_stats.study.prepare import _CACHE_MAGIC

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    calls = _spy_compute(monkeypatch)
    prepare_study(str(cohort_path), n_boot=50)
    path = _cached(tmp_path)
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(_Planted(str(marker)))
    key = path.stem.removeprefix("study-")
    header = {"key": key, "bytes": len(payload), "hmac": "0" * 64}
    path.write_bytes(_CACHE_MAGIC + json.dumps(header).encode() + b"\n" + payload)
    study = prepare_study(str(cohort_path), n_boot=50)
    assert not marker.exists() and len(calls) == 2 and len(study.cohort) == 72


def _fewer_rows(cohort_path, target, drop: int):
    lines = cohort_path.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[: len(lines) - drop]), encoding="utf-8")
    return target


def _open_then_changed(monkeypatch, cohort_path):
    """The export tool rewrites the file (3 rows fewer) just after the document opened it."""
    import itp_stats.study.prepare as study_module

    opened = study_module._open_source

    def open_then_changed(data):
        source = opened(data)
        _fewer_rows(cohort_path, source.path, 3)
        return source

    monkeypatch.setattr(study_module, "_open_source", open_then_changed)


def test_the_bytes_analysed_are_the_bytes_validated(tmp_path, monkeypatch, cohort_path):
    from itp_stats.gate.result import read_gate_result, sha256_file

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = tmp_path / "cohort.csv"
    data.write_bytes(cohort_path.read_bytes())
    validated = sha256_file(data)
    read_gate_result(data)  # the render's pre-render gate validated these bytes
    _open_then_changed(monkeypatch, cohort_path)
    study = prepare_study(str(data), n_boot=50)
    assert len(study.cohort) == 72 and study.sha256 == validated == study.gate.data_sha256
    assert sha256_file(data) != validated  # the file did change: its first bytes were used


def test_the_bytes_read_are_the_bytes_validated_when_the_gate_runs_meanwhile(
    tmp_path, monkeypatch, cohort_path
):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = tmp_path / "cohort.csv"
    data.write_bytes(cohort_path.read_bytes())
    _open_then_changed(monkeypatch, cohort_path)  # no stored result: the gate runs in-process
    study = prepare_study(str(data), n_boot=50)
    assert len(study.cohort) == 72 == study.gate.n_rows
    first = hashlib.sha256(cohort_path.read_bytes()).hexdigest()  # the bytes opened
    assert study.sha256 == study.gate.data_sha256 == first


def test_a_large_file_changed_after_it_was_read_is_refused(tmp_path, monkeypatch, cohort_path):
    import itp_stats.cohort.source as source_module
    from itp_stats.errors import CohortReadError

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.setattr(source_module, "KEEP_BYTES", 0)  # too large to hold: read again
    data = tmp_path / "cohort.csv"
    data.write_bytes(cohort_path.read_bytes())
    _open_then_changed(monkeypatch, cohort_path)
    with pytest.raises(CohortReadError) as err:
        prepare_study(str(data), n_boot=50)
    assert str(err.value) == (
        f"{data}: the file changed while it was read; nothing was validated, try again once "
        "it is written"
    )
    assert not list((tmp_path / ".itp-stats").glob("study-*.pkl"))


def test_a_cached_study_of_other_bytes_is_never_served(tmp_path, monkeypatch, cohort_path):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    calls = _spy_compute(monkeypatch)
    data = tmp_path / "cohort.csv"
    data.write_bytes(cohort_path.read_bytes())
    assert len(prepare_study(str(data), n_boot=50).cohort) == 72
    _fewer_rows(cohort_path, data, 3)
    fewer = prepare_study(str(data), n_boot=50)
    assert len(fewer.cohort) == 69 and fewer.flow["assessed"] == 69 == fewer.gate.n_rows
    data.write_bytes(cohort_path.read_bytes())  # restored: its own study again
    restored = prepare_study(str(data), n_boot=50)
    assert len(restored.cohort) == 72 == restored.gate.n_rows and len(calls) == 2


def test_a_gate_result_with_another_row_count_is_not_trusted(tmp_path, monkeypatch, cohort_path):
    import dataclasses
    import json

    from itp_stats.gate.result import read_gate_result, write_gate_result

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    prepare_study(str(cohort_path), n_boot=50)  # cached too
    gate_json = tmp_path / ".itp-stats" / "gate.json"
    gate = read_gate_result(cohort_path)
    write_gate_result(dataclasses.replace(gate, n_rows=73), gate_json)  # a well-signed lie
    study = prepare_study(str(cohort_path), n_boot=50)
    assert study.gate.n_rows == 72 == len(study.cohort)
    assert json.loads(gate_json.read_text())["n_rows"] == 72  # the gate ran again


def test_the_shipped_rows_without_their_mark_are_still_synthetic(tmp_path, monkeypatch):
    from gate_cases import cells, set_cell, write

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    shuffled = cells().sample(frac=1.0, random_state=3)  # re-saved, in another order
    same = prepare_study(str(write(shuffled, tmp_path / "export.csv")), n_boot=50)
    assert same.synthetic
    assert same.synthetic_source == "the rows of the shipped synthetic cohort (data/cohort.csv)"
    age = cells()["age_years"].iloc[9]
    changed = set_cell(cells(), "P010", "age_years", "61" if age != "61" else "62")
    other = prepare_study(str(write(changed, tmp_path / "changed.csv")), n_boot=50)
    assert not other.synthetic and other.synthetic_source == ""


@pytest.mark.parametrize("when", ["after the bytes are read", "while they are analysed"])
@pytest.mark.parametrize("other", ["sidecar", "first line"])
def test_the_synthetic_notice_is_of_the_bytes_analysed(tmp_path, monkeypatch, when, other):
    # the report of A never carries the notice of C, written over A during the render
    import itp_stats.study.prepare as study_module
    from itp_stats.cohort.synth import SYNTHETIC_MARK, sidecar_path
    from itp_stats.gate.result import read_gate_result, sha256_file

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = tmp_path / "cohort.csv"
    synthesize(40, 3).to_csv(data, index=False, lineterminator="\n")  # A: no provenance
    validated = sha256_file(data)
    read_gate_result(data)  # the render's pre-render gate validated A's bytes
    made = write_cohort(synthesize(45, 8), tmp_path / "made.csv", seed=8)

    def overwrite_with_c():
        if other == "sidecar":  # C as itp-stats synth writes it, with its sidecar
            data.write_bytes(made.read_bytes())
            sidecar_path(data).write_bytes(sidecar_path(made).read_bytes())
        else:  # C as older versions wrote it, the mark on its first line
            mark = f"{SYNTHETIC_MARK} (n = 45, seed 8): no row is a real patient"
            data.write_bytes(f"# {mark}\n".encode() + made.read_bytes())

    opened, load = study_module._open_source, Source.load

    def open_then_changed(data):
        source = opened(data)
        overwrite_with_c()
        return source

    def load_then_changed(*args, **kwargs):
        cohort = load(*args, **kwargs)
        overwrite_with_c()
        return cohort

    if when == "after the bytes are read":
        monkeypatch.setattr(study_module, "_open_source", open_then_changed)
    else:
        monkeypatch.setattr(Source, "load", load_then_changed)
    study = prepare_study(str(data), n_boot=50)
    assert len(study.cohort) == 40 and study.sha256 == validated  # A's numbers
    assert not study.synthetic and study.synthetic_source == ""  # and A's provenance


def test_a_sidecar_is_read_once_with_the_bytes_it_describes(tmp_path, monkeypatch):
    # the sidecar read with A's bytes marks A, even when it is removed before the analysis
    from itp_stats.cohort.synth import sidecar_path

    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = write_cohort(synthesize(40, 5), tmp_path / "cohort.csv", seed=5)
    load = Source.load

    def load_then_unmarked(*args, **kwargs):
        cohort = load(*args, **kwargs)
        sidecar_path(data).unlink()
        return cohort

    monkeypatch.setattr(Source, "load", load_then_unmarked)
    study = prepare_study(str(data), n_boot=50)
    assert study.synthetic_source.startswith("synthetic cohort made by itp-stats synth (n = 40")


def test_a_computed_marker_is_analysed_and_its_derivation_said(tmp_path, monkeypatch):
    """The liver example with a computed marker, ALT/ALP: computed after the gate from the
    recorded columns, by hand equal to alt / alp, analysed, and said in the Methods."""
    import yaml

    from itp_stats.report import sentences as T

    fixture = Path(__file__).resolve().parent / "fixtures" / "study_liver"
    dictionary = yaml.safe_load((fixture / "dictionary.yaml").read_text(encoding="utf-8"))
    dictionary["markers"]["alt_alp"] = {
        "label": "ALT to ALP ratio", "compute": {"ratio": ["alt", "alp"]}, "decimals": 2,
    }  # fmt: skip
    (tmp_path / "dictionary.yaml").write_text(yaml.safe_dump(dictionary), encoding="utf-8")
    study_raw = yaml.safe_load((fixture / "study_two.yaml").read_text(encoding="utf-8"))
    study_raw["markers"] = ["albumin", "alt_alp"]
    study_raw["highlight"] = {"baseline": ["alt_alp"], "change": ["alt_alp"]}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study_raw), encoding="utf-8")
    shutil.copy(fixture / "references.bib", tmp_path)  # the study's own bibliography
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    study = prepare_study(str(fixture / "cohort.csv"), study=tmp_path / "study.yaml", n_boot=50)

    raw = pd.read_csv(fixture / "cohort.csv")
    for tp in ("m0", "m12"):
        by_hand = raw[f"alt_{tp}"] / raw[f"alp_{tp}"].where(raw[f"alp_{tp}"] != 0)
        got = study.cohort.set_index("patient_id")[f"alt_alp_{tp}"].astype(float)
        expected = pd.Series(by_hand.to_numpy(), index=raw["patient_id"]).astype(float)
        pd.testing.assert_series_equal(got.reindex(expected.index), expected, check_names=False)
    assert raw["alt_m0"].isna().any()  # a missing input leaves the ratio missing
    assert "alt_alp" in set(study.results["baseline_positive"]["marker"])
    assert "alt_alp" in set(study.results["change_within"]["marker"])
    text = T.markers_methods(study)
    assert (
        "The ALT to ALP ratio was computed at each time point from the recorded values, as "
        "alanine aminotransferase (ALT) divided by alkaline phosphatase; it is missing where one "
        "of them is missing or alkaline phosphatase is 0 (no value of alkaline phosphatase was 0)."
    ) in text
