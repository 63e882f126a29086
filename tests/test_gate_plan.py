"""Narrow batches (itp_stats.gate.plan): the split is derived from the suite's own columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.gate.plan import expectation_columns, plan_batches
from itp_stats.gate.suite import check_columns, suite_name

ROOT = Path(__file__).resolve().parents[1]


def _stored_suite() -> list[dict]:
    path = ROOT / "validation" / "expectations" / f"{suite_name()}.json"
    return json.loads(path.read_text(encoding="utf-8"))["expectations"]


def _columns() -> list[str]:
    d = load_dictionary()
    return [*d.columns, *check_columns(d)]


def test_columns_of_an_expectation():
    assert expectation_columns({"column": "a", "max_value": 1}) == {"a"}
    assert expectation_columns({"column_A": "a", "column_B": "b"}) == {"a", "b"}
    assert expectation_columns({"column_list": ["a", "b", "c"]}) == {"a", "b", "c"}
    condition = {
        "type": "and",
        "conditions": [
            {"column": {"name": "f"}, "operator": "<", "parameter": 6, "type": "comparison"},
            {"column": {"name": "g"}, "type": "nullity", "is_null": False},
        ],
    }
    assert expectation_columns({"column": "a", "row_condition": condition}) == {"a", "f", "g"}
    assert expectation_columns({"min_value": 1}) == frozenset()
    with pytest.raises(ValueError, match="text row_condition"):
        expectation_columns({"column": "a", "row_condition": "f < 6"})


def test_every_stored_expectation_runs_once_on_the_columns_it_reads():
    suite = _stored_suite()
    columns = _columns()
    batches = plan_batches(suite, columns)
    indexes = sorted(i for b in batches for i in b.indexes)
    assert indexes == list(range(len(suite)))
    for batch in batches:
        for i in batch.indexes:
            exp = suite[i]
            reads = expectation_columns(exp["kwargs"])
            if batch.header_only:
                assert exp["type"] == "expect_table_columns_to_match_set"
            else:
                assert reads <= set(batch.columns), exp["meta"]["rule_id"]
        if batch.columns:
            assert list(batch.columns) == [c for c in columns if c in batch.columns]
    # the point of the split: no batch is anywhere near the width of the cohort
    assert max(len(b.columns or ()) for b in batches) <= len(columns) // 4
    followup = next(i for i, e in enumerate(suite) if e["meta"]["rule_id"] == "m6.followup")
    batch = next(b for b in batches if followup in b.indexes)
    assert {"followup_months", "gate__recorded_m6"} <= set(batch.columns)


def test_same_columns_share_a_batch_and_table_rules_need_no_column():
    suite = [
        {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["a", "b"]}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "b"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "b", "min_value": 0}},
    ]
    batches = plan_batches(suite, ["a", "b"])
    assert batches[0].header_only and batches[0].indexes == (0,)
    assert [(b.columns, b.indexes) for b in batches[1:]] == [(("b",), (1, 2, 3))]


def test_unknown_table_expectation_sees_the_whole_table():
    suite = [{"type": "expect_table_column_count_to_equal", "kwargs": {"value": 2}}]
    assert [b.columns for b in plan_batches(suite, ["a", "b"])] == [("a", "b")]
