"""The data dictionary."""

from __future__ import annotations

import pytest

from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.errors import DictionaryError


def test_dictionary_columns_and_roles():
    d = load_dictionary()
    assert d.id_column == "patient_id"
    assert d.group_column == "response_m6"
    assert d.columns["response_m6"].categories == ("CR", "PR", "NR")
    assert list(d.markers) == ["lymphocytes", "cd3", "cd4", "cd8", "cd19", "nk", "cd8_act"]
    # every marker is measured at every time point
    for tp in d.timepoints:
        for col in d.marker_columns(tp):
            assert d.columns[col].role == "marker"
            assert d.columns[col].unit == "cells/µL"
    assert d.columns["cd8_act_m6"].parent == "cd8_m6"
    assert d.columns["age_years"].range == (18.0, 100.0)
    assert d.columns["patient_id"].pattern == "^[A-Za-z0-9_-]+$"


def test_dictionary_labels_of_derived_columns():
    d = load_dictionary()
    assert d.label("pct_nk_m0") == "CD3−CD16+CD56+ NK cells, % of total lymphocytes"
    assert d.label("pct_cd8_act_m6") == ("Activated CD8+ T cells (CD8+HLA-DR+), % of CD8+ T cells")
    assert d.label("itp_phase") == "ITP phase at rituximab start"
    assert d.label("unknown_column") == "unknown_column"


def test_dictionary_rejects_malformed_file(tmp_path):
    bad = tmp_path / "dict.yaml"
    bad.write_text("columns:\n  x: {label: X, type: decimal, role: covariate}\n")
    with pytest.raises(DictionaryError, match="unknown type 'decimal'"):
        load_dictionary(bad)
    bad.write_text("columns: [1, 2\n")
    with pytest.raises(DictionaryError, match="not valid YAML"):
        load_dictionary(bad)
