"""The study's time_to_event section (itp_stats.cohort.endpoints)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import copy_study

from itp_stats.cohort.design import load_data_model
from itp_stats.errors import StudyConfigError
from itp_stats.study.config import load_study


def _endpoints(tmp_path, edit=None, dictionary_edit=None):
    return load_data_model(copy_study(tmp_path, dictionary_edit, edit)).design.endpoints


def test_the_shipped_study_has_two_endpoints():
    first, second = load_study().endpoints
    assert (first.name, first.title, first.event_label) == (
        "duration_of_response",
        "Duration of response",
        "relapse",
    )
    assert (first.time, first.event, first.unit) == ("relapse_months", "relapse", "months")
    assert first.event_value is True and first.codes == (True, False)
    assert first.population == ("CR", "PR") and first.compare == "group"
    assert [(p.column, p.per, p.unit) for p in first.predictors] == [("nk_m0", 100.0, "cells/µL")]
    assert first.adjust_for == ("age_years", "sex")
    assert first.landmarks == (12.0, 24.0, 60.0)
    assert second.population == () and second.time == "next_treatment_months"


def test_no_section_no_endpoints(tmp_path):
    assert _endpoints(tmp_path, lambda s: s.pop("time_to_event")) == ()


def test_one_mapping_is_one_endpoint(tmp_path):
    def edit(s):
        s["time_to_event"] = s["time_to_event"][0]

    (only,) = _endpoints(tmp_path, edit)
    assert only.name == "duration_of_response"


def test_defaults(tmp_path):
    def edit(s):
        s["time_to_event"] = [{"name": "ttnt", "time": "next_treatment_months",
                               "event": "next_treatment"}]  # fmt: skip

    (ep,) = _endpoints(tmp_path, edit)
    assert ep.title == "Ttnt" and ep.event_label == "event" and ep.unit == "months"
    assert ep.population == () and ep.compare == "group"
    assert ep.predictors == () and ep.landmarks == () and ep.origin == ""


def test_population_in_the_order_of_the_levels(tmp_path):
    def edit(s):
        s["time_to_event"][0]["population"] = ["PR", "CR"]

    assert _endpoints(tmp_path, edit)[0].population == ("CR", "PR")


def test_integer_and_category_event_columns(tmp_path):
    def as_integer(d):
        d["columns"]["relapse"] = {"label": "Relapse", "type": "integer", "range": [0, 2],
                                   "missing": True, "role": "outcome"}  # fmt: skip
        d["columns"]["next_treatment"] = {
            "label": "Next treatment", "type": "category", "categories": ["none", "started"],
            "missing": True, "role": "outcome",
        }  # fmt: skip

    def edit(s):
        s["time_to_event"][1]["event_value"] = "started"

    first, second = _endpoints(tmp_path, edit, as_integer)
    assert first.event_value == 1 and first.codes == (0, 1)
    assert second.event_value == "started" and second.codes == ("none", "started")


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"time": "nope"}, "time_to_event[0].time", "'nope' is not a column"),
        ({"time": "sex"}, "time_to_event[0].time", "'sex' is not a numeric column"),
        ({"event": None}, "time_to_event[0].event", "missing"),
        ({"event": "relapse_months"}, "time_to_event[0].event", "is the time column"),
        ({"event_value": False}, "time_to_event[0].event_value", "codes the event yes"),
        ({"name": "Duration"}, "time_to_event[0].name", "identifier"),
        ({"population": ["CR", "XX"]}, "time_to_event[0].population", "XX not among"),
        ({"population": ["CR"]}, "time_to_event[0].compare", "one group"),
        ({"compare": "age_years"}, "time_to_event[0].compare", "not a categorical column"),
        ({"landmarks": [24, 12]}, "time_to_event[0].landmarks", "increasing order"),
        ({"landmarks": [0, 12]}, "time_to_event[0].landmarks", "positive"),
        ({"predictors": [{"column": "sex"}]}, "time_to_event[0].predictors[0].column",
         "not a numeric column"),
        ({"predictors": [{"column": "nk_m0", "per": 0}]},
         "time_to_event[0].predictors[0].per", "positive"),
        ({"adjust_for": ["nk_m0"]}, "time_to_event[0].adjust_for", "is a predictor itself"),
        ({"adjust_for": ["nope"]}, "time_to_event[0].adjust_for", "'nope' is not a column"),
        ({"predictors": None}, "time_to_event[0].adjust_for", "no predictor to adjust"),
    ],
)  # fmt: skip
def test_bad_endpoints_name_the_key(tmp_path, change, key, message):
    def edit(s):
        s["time_to_event"][0].update(change)

    with pytest.raises(StudyConfigError) as err:
        _endpoints(tmp_path, edit)
    assert f": {key}: " in str(err.value) and message in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_two_endpoints_of_one_name(tmp_path):
    def edit(s):
        s["time_to_event"][1]["name"] = s["time_to_event"][0]["name"]

    with pytest.raises(StudyConfigError, match="time_to_event: two endpoints share a name"):
        _endpoints(tmp_path, edit)


def test_a_category_event_needs_its_value(tmp_path):
    def as_category(d):
        d["columns"]["relapse"] = {"label": "Relapse", "type": "category",
                                   "categories": ["no", "yes"], "role": "outcome"}  # fmt: skip

    with pytest.raises(StudyConfigError, match=r"time_to_event\[0\]\.event_value: name the"):
        _endpoints(tmp_path, dictionary_edit=as_category)


@pytest.mark.parametrize(("per", "message"), [(0, "must be positive"), ("x", "must be a number")])
def test_a_predictor_per_is_read_by_one_rule_in_both_sections(tmp_path, per, message):
    """positive_per serves the Cox predictors and the study's logistic predictors alike."""
    from itp_stats.cohort.endpoints import positive_per

    root = Path(__file__).resolve().parents[1]

    with pytest.raises(StudyConfigError, match=rf": predictors\[0\]\.per: {message}"):
        positive_per(tmp_path / "s.yaml", "predictors[0]", {"per": per})
    assert positive_per(tmp_path / "s.yaml", "k", {}) == 1.0
    study = tmp_path / "study.yaml"
    text = (root / "data" / "study.yaml").read_text(encoding="utf-8")
    study.write_text(text.replace("    per: 100", f"    per: {per}", 1), encoding="utf-8")
    shutil.copy(root / "data" / "dictionary.yaml", tmp_path)
    with pytest.raises(StudyConfigError, match=rf"study\.yaml: predictors\[0\]\.per: {message}"):
        load_study(study)
