"""The data dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from itp_stats.cohort.dictionary import Bin, ColumnWarning, load_dictionary
from itp_stats.errors import DictionaryError

ROOT = Path(__file__).resolve().parents[1]


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
    with pytest.raises(DictionaryError, match="not valid YAML") as info:
        load_dictionary(bad)
    assert "\n" not in str(info.value)
    assert "at line 2, column 1" in str(info.value)


SHIPPED = ROOT / "data" / "dictionary.yaml"


def test_dictionary_name():
    assert load_dictionary(SHIPPED).name == "itp-rituximab-cohort"


def _edited(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "dictionary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_name_defaults_to_the_file_stem(tmp_path):
    assert load_dictionary(_edited(tmp_path, lambda d: d.pop("name"))).name == "dictionary"


def test_soft_bound_of_a_column():
    col = load_dictionary(SHIPPED).columns["platelets_m0"]
    assert col.warn == (ColumnWarning("itp", below=100.0, reason="the ITP threshold"),)
    assert all(
        not c.warn for n, c in load_dictionary(SHIPPED).columns.items() if n != "platelets_m0"
    )


def test_soft_bounds_as_a_list(tmp_path):
    def edit(d):
        d["columns"]["age_years"]["warn"] = [
            {"id": "young", "above": 25},
            {"id": "old", "below": 90, "reason": "rarely treated"},
        ]

    col = load_dictionary(_edited(tmp_path, edit)).columns["age_years"]
    assert [w.id for w in col.warn] == ["young", "old"]
    assert col.warn[0].above == 25.0 and col.warn[1].below == 90.0


@pytest.mark.parametrize(
    ("warn", "message"),
    [
        ({"id": "x"}, "give 'below', 'above' or both"),
        ({"below": "a hundred"}, "warn.below: must be a number"),
        ({"below": 10, "above": 20}, "'above' must be less than 'below'"),
        ({"id": "Not OK", "below": 1}, "warn.id"),
        ({"below": 1, "colour": "red"}, "unknown key(s) colour"),
        ([{"below": 1}, {"above": 0}], "share an id"),
        ("below 100", "expected a mapping"),
    ],
)
def test_soft_bound_refusals_name_the_file_and_the_column(tmp_path, warn, message):
    def edit(d):
        d["columns"]["platelets_m0"]["warn"] = warn

    path = _edited(tmp_path, edit)
    with pytest.raises(DictionaryError) as info:
        load_dictionary(path)
    text = str(info.value)
    assert text.startswith(f"{path}: column 'platelets_m0': warn") and message in text


def test_soft_bound_on_a_text_column_is_refused(tmp_path):
    def edit(d):
        d["columns"]["sex"]["warn"] = {"below": 1}

    with pytest.raises(DictionaryError, match="column 'sex': warn: only numeric columns"):
        load_dictionary(_edited(tmp_path, edit))


def test_binned_derived_column():
    d = load_dictionary(SHIPPED)
    phase = d.binned["itp_phase"]
    assert phase.source == "itp_duration_months"
    assert phase.bins == (
        Bin("newly diagnosed", below=3.0),
        Bin("persistent", at_most=12.0),
        Bin("chronic"),
    )
    assert phase.categories == ("newly diagnosed", "persistent", "chronic")
    assert d.derived["itp_phase"]["categories"] == list(phase.categories)
    assert set(d.binned) == {"itp_phase"}


def _bins(bins, source="itp_duration_months", **extra):
    def edit(d):
        d["derived"]["itp_phase"] = {"label": "Phase", "from": source, "bins": bins, **extra}

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_bins([{"label": "a", "below": 3}, {"label": "b"}], source="nope"), "from: 'nope'"),
        (_bins([{"label": "a", "below": 3}, {"label": "b"}], source="sex"), "not a numeric"),
        (_bins([{"label": "a"}]), "at least two bins"),
        (_bins([{"label": "a"}, {"label": "b"}]), "bins[0]: only the last bin"),
        (_bins([{"label": "a", "below": 9}, {"label": "b", "below": 3}]), "bins[1]: bounds"),
        (_bins([{"label": "a", "below": 3, "at_most": 3}, {"label": "b"}]), "not both"),
        (_bins([{"below": 3}, {"label": "b"}]), "bins[0]: expected a mapping with a 'label'"),
        (_bins([{"label": "a", "below": 3}, {"label": "a"}]), "share a label"),
        (_bins([{"label": "a", "below": 3}, {"label": "b", "over": 1}]), "unknown key(s) over"),
        (
            _bins([{"label": "a", "below": 3}, {"label": "b"}], categories=["b", "a"]),
            "categories: must be the bins' labels",
        ),
    ],
)
def test_binned_refusals_name_the_file_and_the_entry(tmp_path, edit, message):
    path = _edited(tmp_path, edit)
    with pytest.raises(DictionaryError) as info:
        load_dictionary(path)
    text = str(info.value)
    assert text.startswith(f"{path}: derived 'itp_phase'") and message in text, text


def test_an_edited_file_is_read_again(tmp_path):
    path = _edited(tmp_path, lambda d: None)
    assert load_dictionary(path).columns["age_years"].range == (18.0, 100.0)
    raw = yaml.safe_load(path.read_text())
    raw["columns"]["age_years"]["range"] = [16, 100]
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True) + "\n# edited\n")
    assert load_dictionary(path).columns["age_years"].range == (16.0, 100.0)


def test_malformed_entries_name_the_file(tmp_path):
    path = _edited(tmp_path, lambda d: d["columns"]["sex"].pop("label"))
    with pytest.raises(DictionaryError, match=rf"^{path}: column 'sex': missing label"):
        load_dictionary(path)
    with pytest.raises(DictionaryError, match="cannot read the data dictionary"):
        load_dictionary(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(compositions=[{"parts": ["cd4"], "whole": "cd33"}]), "cd33 not among"),
        (lambda d: d.update(compositions=[{"parts": "cd4", "whole": "cd3"}]), "compositions[0]"),
        (lambda d: d.update(composition_tolerance="5 %"), "composition_tolerance"),
        (lambda d: d.update(timepoints=["m0", "m6"]), "timepoints: expected a mapping"),
        (lambda d: d["markers"]["nk"].update(parent="cd56"), "parent 'cd56' is not a marker"),
    ],
)
def test_malformed_sections_name_the_file_and_the_key(tmp_path, edit, message):
    path = _edited(tmp_path, edit)
    with pytest.raises(DictionaryError) as info:
        load_dictionary(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_marker_decimals(tmp_path):
    def edit(d):
        d["markers"]["nk"].update(decimals=2, pct_decimals=0)

    d = load_dictionary(_edited(tmp_path, edit))
    assert (d.markers["nk"].decimals, d.markers["nk"].pct_decimals) == (2, 0)
    # not given: None (the report takes the decimals the recorded values show)
    assert (d.markers["cd3"].decimals, d.markers["cd3"].pct_decimals) == (None, None)


@pytest.mark.parametrize("key", ["decimals", "pct_decimals"])
@pytest.mark.parametrize("value", [-1, 1.5, "two", True, [2]])
def test_bad_marker_decimals_are_refused_with_the_file_and_the_key(tmp_path, key, value):
    path = _edited(tmp_path, lambda d: d["markers"]["nk"].update({key: value}))
    with pytest.raises(DictionaryError) as info:
        load_dictionary(path)
    assert str(info.value) == (
        f"{path}: markers: 'nk': {key}: must be a whole number ≥ 0, not {value!r}"
    )


@pytest.mark.parametrize("key", ["categories", "labels"])
def test_unquoted_yes_no_are_refused_with_a_hint(tmp_path, key):
    """YAML reads unquoted yes/no as booleans, which would fail every row of the gate."""
    import yaml

    from itp_stats.config import DICTIONARY

    raw = yaml.safe_load(DICTIONARY.read_text(encoding="utf-8"))
    column = raw["columns"]["sex"]
    if key == "categories":
        column["categories"] = [True, False]
    else:
        column["labels"] = {True: "Yes", False: "No"}
    path = tmp_path / "dictionary.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DictionaryError, match=rf"sex.*{key}: yes, no, on and off must be quoted"):
        load_dictionary(path)
