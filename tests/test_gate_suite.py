"""The gate's rules and the GX project in validation/ (itp_stats.gate.suite)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.gate.suite import (
    CHECKPOINT_NAME,
    SUITE_NAME,
    build_rules,
    check_columns,
    project_files,
    suite_dict,
)

ROOT = Path(__file__).resolve().parents[1]
VALIDATION = ROOT / "validation"


def test_stored_project_equals_dictionary():
    """validation/ is what `itp-stats gate --write-suite` generates from the dictionary now."""
    for rel, text in project_files().items():
        stored = VALIDATION / rel
        assert stored.is_file(), f"{rel} missing: run `itp-stats gate --write-suite`"
        assert stored.read_text(encoding="utf-8") == text, (
            f"validation/{rel} is out of date with data/dictionary.yaml: "
            "run `itp-stats gate --write-suite`"
        )


def test_build_rules_ids_severity_description():
    rules = build_rules()
    ids = [r.rule_id for r in rules]
    assert len(ids) == len(set(ids))
    assert {r.severity for r in rules} == {"critical", "warning"}
    assert all(r.description and len(r.description) > 10 for r in rules)
    warnings = {r.rule_id for r in rules if r.severity == "warning"}
    assert warnings == {"response_m6.present", "platelets_m0.itp"}


def test_build_rules_follow_the_dictionary():
    d = load_dictionary()
    ids = {r.rule_id for r in build_rules(d)}
    for name, col in d.columns.items():
        assert (f"{name}.not_null" in ids) == (not col.missing)
        assert (f"{name}.range" in ids) == (col.is_numeric and col.range is not None)
        assert (f"{name}.categories" in ids) == (col.type == "category")
        assert (f"{name}.within_parent" in ids) == (col.parent is not None)
    assert {"patient_id.unique", "patient_id.pattern", "table.columns", "table.rows"} <= ids
    assert {"cells.type", "response_m6.consistent", "response_m6.groups", "m6.followup"} <= ids
    for comp in d.compositions:
        for tp in d.timepoints:
            assert f"composition.{'_'.join(comp.parts)}.{tp}" in ids


def test_parent_rules_point_the_right_way():
    rules = {r.rule_id: r for r in build_rules()}
    cd4 = rules["cd4_m0.within_parent"]
    assert cd4.kwargs["column_A"] == "cd3_m0"
    assert cd4.kwargs["column_B"] == "cd4_m0"
    assert cd4.kwargs["or_equal"] is True
    act = rules["cd8_act_m6.within_parent"]
    assert (act.kwargs["column_A"], act.kwargs["column_B"]) == ("cd8_m6", "cd8_act_m6")


def test_composition_uses_the_tolerance():
    tol = load_dictionary().composition_tolerance
    rule = {r.rule_id: r for r in build_rules()}["composition.cd4_cd8.m0"]
    assert rule.kwargs["max_value"] == pytest.approx(1 + tol)
    assert "5 % tolerance" in rule.description


def test_column_set_is_the_dictionary_plus_gate_columns():
    d = load_dictionary()
    rule = build_rules(d)[0]
    assert rule.rule_id == "table.columns"
    assert set(rule.kwargs["column_set"]) == set(d.columns) | set(check_columns(d))
    assert rule.kwargs["exact_match"] is True
    assert not set(d.derived) & set(rule.kwargs["column_set"])


def test_suite_json_is_gx_and_carries_meta():
    suite = suite_dict()
    assert suite["name"] == SUITE_NAME
    for exp in suite["expectations"]:
        assert exp["severity"] in {"critical", "warning"}
        assert exp["description"]
        assert exp["meta"]["rule_id"]
        assert isinstance(exp["meta"]["columns"], list)
        assert exp["type"] != "expect_column_quantile_values_to_be_between"
        assert exp["type"] != "expect_column_values_to_be_of_type"
    stored = json.loads((VALIDATION / "expectations" / f"{SUITE_NAME}.json").read_text())
    assert [e["meta"]["rule_id"] for e in stored["expectations"]] == [
        r.rule_id for r in build_rules()
    ]


def test_config_is_offline_and_quiet():
    text = (VALIDATION / "great_expectations.yml").read_text()
    assert "analytics_enabled: false" in text
    assert "globally: false" in text
    assert "metric_calculations: false" in text


def test_validation_folder_is_a_working_gx_project(tmp_path, cohort_path):
    """A data manager can open validation/ with GX and run the checkpoint."""
    import great_expectations as gx

    from itp_stats.gate.batch import read_batch

    copy = tmp_path / "validation"
    shutil.copytree(VALIDATION, copy)
    context = gx.get_context(mode="file", context_root_dir=str(copy))
    checkpoint = context.checkpoints.get(CHECKPOINT_NAME)
    suite = context.suites.get(SUITE_NAME)
    assert len(suite.expectations) == len(build_rules())
    result = checkpoint.run(batch_parameters={"dataframe": read_batch(cohort_path).frame})
    assert result.success
