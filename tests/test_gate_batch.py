"""Preparing a cohort file for the gate (itp_stats.gate.batch)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import (
    recorded_group_cells,
    recorded_group_dictionary,
    recorded_group_study,
    twelve_month_cells,
    twelve_month_dictionary,
    twelve_month_study,
)
from gate_cases import cells, sha256, write

from itp_stats.cohort.design import load_data_model
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.cohort.load import load_cohort
from itp_stats.config import DEFAULT_STUDY
from itp_stats.errors import CohortReadError
from itp_stats.gate.batch import gate_frame, read_batch, row_labels
from itp_stats.gate.suite import GROUP_CHECK, UNPARSED_CHECK, check_columns


def test_read_batch_shipped_cohort(cohort_path):
    before = sha256(cohort_path)
    batch = read_batch(cohort_path)
    assert sha256(cohort_path) == before
    assert batch.sha256 == before
    assert batch.n_rows == 72
    assert batch.file_columns == tuple(load_dictionary().columns)
    assert list(batch.frame.columns) == [*batch.file_columns, *check_columns()]
    assert batch.labels[0] == "P001"
    assert batch.problems.empty


def _batch(raw: pd.DataFrame, tmp_path):
    return read_batch(write(raw, tmp_path / "c.csv"))


def test_dtypes_are_plain(cohort_path):
    batch_frame = read_batch(cohort_path).frame
    assert batch_frame["age_years"].dtype == np.float64
    assert batch_frame["bleeding_m0"].dtype == np.float64  # yes = 1.0
    assert set(batch_frame["bleeding_m0"].dropna()) <= {0.0, 1.0}
    assert isinstance(batch_frame["sex"].dtype, pd.CategoricalDtype)
    resp, derived = batch_frame["response_m6"], batch_frame[GROUP_CHECK]
    assert list(resp.cat.categories) == list(derived.cat.categories)


def test_ratio_column(tmp_path):
    raw = cells().iloc[:3].copy()
    raw.loc[0, ["cd4_m0", "cd8_m0", "cd3_m0"]] = ["600", "500", "1000"]
    raw.loc[1, ["cd4_m0", "cd8_m0", "cd3_m0"]] = ["5", "0", "0"]
    raw.loc[2, ["cd4_m0", "cd8_m0", "cd3_m0"]] = ["", "0", "10"]
    frame = _batch(raw, tmp_path).frame
    ratio = frame["gate__ratio_cd4_cd8_to_cd3_m0"]
    assert ratio[0] == pytest.approx(1.1)
    assert math.isinf(ratio[1])
    assert math.isnan(ratio[2])


def test_unparsed_and_recorded_counts(tmp_path):
    raw = cells().iloc[:4].copy()
    raw.loc[1, "nk_m0"] = "ND"
    raw.loc[1, "cd3_m0"] = "<5"
    frame = _batch(raw, tmp_path).frame
    assert frame[UNPARSED_CHECK].tolist() == [0.0, 2.0, 0.0, 0.0]
    # P001 was lost to follow-up: nothing recorded at 6 months
    assert frame["gate__recorded_m6"][0] == 0
    assert frame["gate__recorded_m6"][1] > 0


def test_file_column_named_like_a_gate_column_is_kept_apart(tmp_path):
    raw = cells().iloc[:2].copy()
    raw[GROUP_CHECK] = ["CR", "CR"]
    frame = _batch(raw, tmp_path).frame
    assert f"{GROUP_CHECK} (from file)" in frame
    # P001 was lost to follow-up, P002 is a partial responder: not the file's 'CR'
    assert frame[GROUP_CHECK].isna()[0]
    assert frame[GROUP_CHECK][1] == "PR"
    assert frame.columns.is_unique


def test_gate_frame_from_synthetic_typed_frame():
    from itp_stats.cohort.synth import synthesize

    frame = gate_frame(synthesize(50, 3))
    assert len(frame) == 50
    assert set(check_columns()) <= set(frame.columns)
    assert (frame[UNPARSED_CHECK] == 0).all()


def test_row_labels_fall_back_to_line_numbers():
    frame = pd.DataFrame({"patient_id": ["P1", None, "P3"]})
    assert row_labels(frame, "patient_id") == ["P1", "row 3", "P3"]
    assert row_labels(pd.DataFrame({"x": [1]}), "patient_id") == ["row 2"]


def test_read_batch_errors(tmp_path):
    with pytest.raises(CohortReadError):
        read_batch(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CohortReadError):
        read_batch(empty)


def test_missing_columns_still_give_every_gate_column(tmp_path):
    path = write(cells().drop(columns=["nk_m6", "platelets_m6"]), tmp_path / "c.csv")
    batch = read_batch(path)
    assert set(check_columns()) <= set(batch.frame.columns)
    assert batch.frame["gate__ratio_cd3_cd19_nk_to_lymphocytes_m6"].isna().all()


def test_group_check_is_the_loaders_derivation(cohort_path):
    """The gate compares the recorded group with the group the analysis will use."""
    frame = read_batch(cohort_path).frame
    loaded = load_cohort(cohort_path)
    into = load_dictionary().design.derivation.into
    expected = loaded[into].astype(object).where(loaded[into].notna(), None).tolist()
    got = frame[GROUP_CHECK].astype(object).where(frame[GROUP_CHECK].notna(), None).tolist()
    assert got == expected


def test_twelve_month_study_batch(tmp_path, own_study):
    own_study(twelve_month_dictionary, twelve_month_study)
    batch = _batch(twelve_month_cells(cells()), tmp_path)
    assert list(batch.frame.columns) == [*batch.file_columns, *check_columns()]
    assert "gate__recorded_m12" in batch.frame and "gate__recorded_m6" not in batch.frame
    shipped = read_batch(write(cells(), tmp_path / "shipped.csv"), load_data_model(DEFAULT_STUDY))
    assert batch.frame[GROUP_CHECK].astype(object).tolist() == (
        shipped.frame[GROUP_CHECK].astype(object).tolist()
    )


def test_recorded_group_study_has_no_group_check(tmp_path, own_study):
    own_study(recorded_group_dictionary, recorded_group_study)
    frame = _batch(recorded_group_cells(cells()), tmp_path).frame
    assert GROUP_CHECK not in frame
    assert GROUP_CHECK not in check_columns()
    assert "gate__recorded_m6" in frame


def test_read_batch_equals_the_frame_built_from_a_copy(tmp_path):
    # read_batch types and converts in place (Arrow texts, one form of a column at a time);
    # the frame must be the one the copying path gives
    from itp_stats.cohort.load import read_table, type_cohort

    raw = cells()
    raw.loc[3, "nk_m0"] = "ND"  # an unparsed cell
    raw.loc[5, "sex"] = ""  # a missing text
    path = write(raw, tmp_path / "c.csv")
    batch = read_batch(path)
    d = load_data_model(None)
    typed, problems = type_cohort(read_table(path)[0], d)
    expected = gate_frame(typed, problems, d)
    assert list(batch.frame.columns) == list(expected.columns)
    for name in expected.columns:
        got, want = batch.frame[name], expected[name]
        if isinstance(want.dtype, pd.CategoricalDtype):
            assert list(got.cat.categories) == list(want.cat.categories), name
            assert got.astype(object).tolist() == want.astype(object).tolist(), name
        else:
            pd.testing.assert_series_equal(got, want, check_names=False)
    pd.testing.assert_frame_equal(batch.problems, problems)


def test_row_labels_are_made_for_the_rows_asked_for():
    labels = row_labels(pd.DataFrame({"patient_id": pd.array(["P1", None, "P3"])}), "patient_id")
    assert len(labels) == 3 and labels[-1] == "P3" and labels[1] == "row 3"
    assert labels[0:2] == ["P1", "row 3"] and list(labels) == ["P1", "row 3", "P3"]
    assert labels != ["P1", "row 3"]
    with pytest.raises(IndexError):
        labels[3]
