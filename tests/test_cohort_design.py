"""The data side of a study configuration (itp_stats.cohort.design)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    copy_study,
    recorded_group_dictionary,
    recorded_group_study,
    twelve_month_dictionary,
    twelve_month_study,
)

from itp_stats.cohort.design import (
    DERIVATION_RULES,
    Derivation,
    load_data_model,
    read_study_file,
    resolve_study_path,
)
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.config import DEFAULT_STUDY
from itp_stats.errors import StudyConfigError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DICTIONARY = ROOT / "data" / "dictionary.yaml"


def test_shipped_design():
    d = load_data_model()
    design = d.design
    assert design.path == DEFAULT_STUDY
    assert d.path == SHIPPED_DICTIONARY
    assert design.group_column == "response_m6"
    assert design.levels == ("CR", "PR", "NR")
    assert (design.baseline, design.followup) == ("m0", "m6")
    assert (design.followup_column, design.followup_months) == ("followup_months", 6.0)
    assert design.derivation == Derivation(
        "iwg2009",
        "response_iwg",
        {
            "platelets_baseline": "platelets_m0",
            "platelets": "platelets_m6",
            "bleeding": "bleeding_m6",
            "rescue": "rescue_therapy_m6",
        },
    )
    assert design.derivation.columns == (
        "platelets_m0",
        "platelets_m6",
        "bleeding_m6",
        "rescue_therapy_m6",
    )
    assert design.analysed_group == "response_iwg"
    assert load_dictionary().design == design  # no path: the study in use


def test_bare_dictionary_has_no_design():
    assert load_dictionary(SHIPPED_DICTIONARY).design is None


def test_rules_name_their_function_and_check():
    for rule in DERIVATION_RULES.values():
        assert ":" in rule["function"]
        assert set(rule) >= {"inputs", "levels", "description", "function"}


def test_study_in_use(tmp_path, monkeypatch):
    monkeypatch.delenv("ITP_STATS_STUDY", raising=False)
    assert resolve_study_path() == DEFAULT_STUDY
    study = copy_study(tmp_path / "s", twelve_month_dictionary, twelve_month_study)
    monkeypatch.setenv("ITP_STATS_STUDY", str(study))
    assert resolve_study_path() == study
    assert load_dictionary().design.followup == "m12"
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.setenv("ITP_STATS_STUDY", "s/study.yaml")  # relative: to the project root
    assert resolve_study_path() == study
    assert resolve_study_path(DEFAULT_STUDY) == DEFAULT_STUDY


def test_twelve_month_design(tmp_path):
    d = load_data_model(copy_study(tmp_path, twelve_month_dictionary, twelve_month_study))
    assert d.design.followup == "m12"
    assert d.design.followup_column == "fu_months"
    assert d.design.followup_months == 12.0
    assert d.design.derivation.into == "response_12m_derived"
    assert d.design.derivation.columns[1:] == (
        "platelets_m12",
        "bleeding_m12",
        "rescue_therapy_m12",
    )
    assert d.group_column == "response_m12"


def test_recorded_group_design(tmp_path):
    d = load_data_model(copy_study(tmp_path, recorded_group_dictionary, recorded_group_study))
    assert d.design.derivation is None
    assert d.design.levels == ("responder", "non-responder")
    assert d.design.analysed_group == "response_m6"


def _study(tmp_path: Path, edit: Any) -> Path:
    """The shipped study, edited, next to a copy of the shipped dictionary."""
    return copy_study(tmp_path / "bad", None, edit)


def _set(*keys: str, value: Any):
    def edit(s: dict[str, Any]) -> None:
        target = s
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        if value is _DROP:
            target.pop(keys[-1], None)
        else:
            target[keys[-1]] = value

    return edit


_DROP = object()


def _recoded(recode: Any):
    """The shipped study with its group recorded (no derivation), levels CR and NR, and
    ``recode``."""

    def edit(s: dict[str, Any]) -> None:
        s["group"].pop("derive")
        s["group"]["levels"] = ["CR", "NR"]
        s["group"]["responders"] = ["CR"]
        s["group"]["ordered"] = False
        s["group"]["recode"] = recode
        s.pop("time_to_event", None)  # its population names PR

    return edit


def test_recode_counts_recorded_values_as_a_level(tmp_path):
    d = load_data_model(_study(tmp_path, _recoded({"PR": "CR"})))
    assert d.design.recode == (("PR", "CR"),) and d.design.levels == ("CR", "NR")


def _one_time_point(*keep: str, when: str | None = None, derive: bool = False):
    """The shipped study without ``timepoints.followup`` nor the follow-up keys not in
    ``keep``; its group recorded (derived with ``derive``), assessed ``when`` (default unset)."""

    def edit(s: dict[str, Any]) -> None:
        if not derive:
            s["group"].pop("derive")
        for key in ("followup", "followup_months", "followup_column", "followup_window"):
            if key not in keep:
                s["timepoints"].pop(key, None)
        s["group"].pop("when", None)
        if when:
            s["group"]["when"] = when

    return edit


REFUSALS = [
    (_set("dictionary", value=_DROP), "dictionary", "missing"),
    (_set("dictionary", value="nowhere.yaml"), "dictionary", "does not exist"),
    (_set("group", value=_DROP), "group", "missing"),
    (_set("group", "column", value=_DROP), "group.column", "missing"),
    (_set("group", "column", value="response"), "group.column", "is not a column"),
    (_set("group", "column", value=["response_m6"]), "group.column", "is not a column"),
    (_set("group", "derive", "rule", value="who2020"), "group.derive.rule", "unknown rule"),
    (_set("group", "derive", "rule", value=["iwg2009"]), "group.derive.rule", "unknown rule"),
    (_set("group", "derive", "platelets", value=_DROP), "group.derive.platelets", "missing"),
    (
        _set("group", "derive", "bleeding", value="bleeding_m12"),
        "group.derive.bleeding",
        "is not a column",
    ),
    (_set("group", "derive", "into", value="response_m6"), "group.derive.into", "column"),
    (_set("group", "levels", value=["CR"]), "group.levels", "at least two"),
    (_set("group", "levels", value="CR, PR"), "group.levels", "expected a list"),
    (_set("group", "levels", value=["CR", "CR", "NR"]), "group.levels", "twice"),
    (_set("group", "levels", value=["CR", "PR", "SD"]), "group.levels", "not among"),
    (_set("timepoints", value=_DROP), "timepoints", "missing"),
    (_set("timepoints", "baseline", value=_DROP), "timepoints.baseline", "missing"),
    (_set("timepoints", "followup", value="m12"), "timepoints.followup", "not a time point"),
    (_set("timepoints", "followup", value="m0"), "timepoints", "must differ"),
    (_set("timepoints", "followup_column", value=_DROP), "timepoints", "together"),
    (
        _set("timepoints", "followup_column", value="fu"),
        "timepoints.followup_column",
        "is not a column",
    ),
    (
        _set("timepoints", "followup_column", value="sex"),
        "timepoints.followup_column",
        "not a numeric column",
    ),
    (_set("timepoints", "followup_months", value="six"), "timepoints.followup_months", "number"),
    (_set("timepoints", "followup_months", value=0), "timepoints.followup_months", "positive"),
    (_set("timepoints", "followup_window", value=6), "timepoints.followup_window", "less than"),
    (_set("timepoints", "followup_window", value="a"), "timepoints.followup_window", "number"),
    (_set("group", "when", value="at death"), "group.when", "not one of"),
    (_set("group", "levels", value=[True, False]), "group.levels", "must be quoted"),
    # the IWG derivation reads the platelets at the follow-up time point
    (_set("group", "when", value="end_of_followup"), "group.when", "derived group"),
    # one time point: no follow-up exclusion, no group at follow-up (and no derivation)
    (
        _one_time_point("followup_months", "followup_column", "followup_window"),
        "timepoints.followup_months",
        "needs timepoints.followup",
    ),
    (_one_time_point("followup_window"), "timepoints.followup_window", "one time point"),
    (_one_time_point(when="followup"), "group.when", "needs timepoints.followup"),
    (_one_time_point(derive=True), "group.when", "derived group"),
    # recode: recorded values counted as a level, without a new column
    (_set("group", "recode", value={"PR": "CR"}), "group.recode", "not with derive"),
    (_recoded("PR"), "group.recode", "expected a mapping"),
    (_recoded({"SD": "CR"}), "group.recode", "SD not among the categories of 'response_m6'"),
    (_recoded({"PR": "SD"}), "group.recode", "SD not among the levels"),
    (_recoded({"NR": "CR"}), "group.recode", "NR is a level itself"),
    (_recoded({"PR": True}), "group.recode", "must be quoted"),
]


@pytest.mark.parametrize(("edit", "key", "message"), REFUSALS, ids=[r[1] for r in REFUSALS])
def test_refusals_name_the_file_and_the_key(tmp_path, edit, key, message):
    study = _study(tmp_path, edit)
    with pytest.raises(StudyConfigError) as info:
        load_data_model(study)
    text = str(info.value)
    assert text.startswith(f"{study}: {key}: "), text
    assert message in text
    assert "\n" not in text
    assert info.value.exit_status == 2


def test_a_study_of_one_time_point(tmp_path):
    """No ``timepoints.followup`` (or ``followup: null``): the group at baseline by default."""
    d = load_data_model(_study(tmp_path, _one_time_point()))
    assert d.design.followup is None and d.design.followup_months is None
    assert d.design.group_when == "baseline" and d.design.baseline == "m0"

    def null(s: dict[str, Any]) -> None:
        _one_time_point(when="end_of_followup")(s)
        s["timepoints"]["followup"] = None

    d = load_data_model(copy_study(tmp_path / "null", None, null))
    assert d.design.followup is None and d.design.group_when == "end_of_followup"


def test_group_at_end_of_followup_and_a_visit_window(tmp_path):
    """A recorded status at the end of follow-up; a follow-up visit that may fall up to a
    month before the follow-up month: the gate's rule accepts values from 5 months on."""
    from itp_stats.gate.suite import followup_points

    def study(s: dict[str, Any]) -> None:
        recorded_group_study(s)
        s["group"]["when"] = "end_of_followup"
        s["timepoints"]["followup_window"] = 1

    d = load_data_model(copy_study(tmp_path, recorded_group_dictionary, study))
    assert d.design.group_when == "end_of_followup" and d.design.followup_window == 1
    assert followup_points(d)["m6"] == 5
    shipped = load_data_model(DEFAULT_STUDY)
    assert shipped.design.group_when == "followup" and followup_points(shipped)["m6"] == 6


def test_derivation_levels_must_be_the_rules(tmp_path):
    def edit(d: dict[str, Any]) -> None:
        d["columns"]["response_m6"]["categories"] = ["CR", "PR", "NR", "SD"]

    study = copy_study(tmp_path, edit, _set("group", "levels", value=["CR", "PR", "NR", "SD"]))
    with pytest.raises(StudyConfigError, match=rf"^{study}: group\.levels: the iwg2009 rule"):
        load_data_model(study)


@pytest.mark.parametrize(
    ("content", "message"),
    [("a: [1, 2\n", "not valid YAML"), ("- just\n- a list\n", "expected a mapping")],
)
def test_unreadable_study_files(tmp_path, content, message):
    path = tmp_path / "study.yaml"
    path.write_text(content)
    with pytest.raises(StudyConfigError) as info:
        read_study_file(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_study_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(StudyConfigError, match=f"^{path}: cannot read the study configuration"):
        load_data_model(path)


def test_dictionary_path_is_relative_to_the_study(tmp_path):
    study = copy_study(tmp_path / "a")
    raw = yaml.safe_load(study.read_text())
    raw["dictionary"] = str(SHIPPED_DICTIONARY)  # absolute works too
    other = tmp_path / "b" / "study.yaml"
    other.parent.mkdir()
    other.write_text(yaml.safe_dump(raw))
    assert load_data_model(study).path == tmp_path / "a" / "dictionary.yaml"
    assert load_data_model(other).path == SHIPPED_DICTIONARY
