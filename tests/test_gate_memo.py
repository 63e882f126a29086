"""Expectation configurations memoised during a run: same results, GX restored after."""

from __future__ import annotations

import contextlib
import threading

from gate_cases import cells, write
from great_expectations.expectations.expectation import Expectation

from itp_stats.gate import memo, run
from itp_stats.gate.run import validate_path


def _failing_cohort(tmp_path):
    raw = cells()
    raw.loc[4, "cd4_m0"] = "99999"  # a range rule fails (critical)
    raw.loc[7, "patient_id"] = raw.loc[8, "patient_id"]  # a duplicate id
    raw.loc[10, "platelets_m0"] = "150"  # a warning rule fails
    raw.loc[12, "sex"] = "X"  # a value outside the set
    return write(raw, tmp_path / "c.csv")


def test_results_equal_those_of_a_run_without_the_memo(tmp_path, monkeypatch):
    path = _failing_cohort(tmp_path)
    memoised = validate_path(path)
    monkeypatch.setattr(run, "configurations_memoised", contextlib.nullcontext)
    plain = validate_path(path)
    assert memoised.steps == plain.steps
    failed = {s["rule_id"] for s in plain.steps if not s["passed"]}
    assert {"cd4_m0.range", "platelets_m0.itp"} <= failed and len(failed) >= 4


def test_the_property_of_great_expectations_is_restored():
    original = Expectation.__dict__["configuration"]
    with memo.configurations_memoised():
        assert Expectation.__dict__["configuration"] is not original
        with memo.configurations_memoised():  # re-entrant
            pass
        assert Expectation.__dict__["configuration"] is not original
    assert Expectation.__dict__["configuration"] is original
    assert memo._STATE["cache"] == {}


def test_a_configuration_is_built_once_per_expectation_within_a_run():
    from great_expectations.expectations import ExpectColumnValuesToNotBeNull

    expectation = ExpectColumnValuesToNotBeNull(column="a")
    assert expectation.configuration is not expectation.configuration  # GX: built each time
    with memo.configurations_memoised():
        first = expectation.configuration
        assert expectation.configuration is first
        assert first.kwargs["column"] == "a"


def test_threads_leave_the_property_restored():
    original = Expectation.__dict__["configuration"]
    barrier = threading.Barrier(4)

    def work():
        with memo.configurations_memoised():
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Expectation.__dict__["configuration"] is original
