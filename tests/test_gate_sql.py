"""The gate in the database (itp_stats.gate.sql), against the gate on a file.

Every bad-input case of the file gate's tests is loaded into a table of the session's server
(as texts, the way a staging table holds an export, and typed where the cells allow it) and
validated in the database; the result must be the file gate's on the CSV export of the same
rows: same rules, same counts, same failing ids, same details.
"""

from __future__ import annotations

import json

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
from conftest_pg import load_cells, load_typed, pg_server  # noqa: F401  (the fixture)
from gate_cases import BAD_INPUT as CASES
from gate_cases import cells, corruptions, row_of, write
from gate_cases import set_cell as _set

from itp_stats.cli import main
from itp_stats.cohort.sql import (
    SourceChangedError,
    export_csv,
    parse_source,
    read_source_file,
)
from itp_stats.gate.result import GateFailedError
from itp_stats.gate.run import validate_path
from itp_stats.gate.sql import validate_source

_STEP_KEYS = (
    "step",
    "rule_id",
    "rule",
    "columns",
    "severity",
    "n_tested",
    "n_failed",
    "pct_failed",
    "failing_ids",
    "passed",
    "evaluated",
    "detail",
)


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A project root of its own (gate result, source files, cached studies under tmp_path)."""
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_DATA", raising=False)
    return tmp_path


def _same_result(db, file) -> None:
    """The database result is the file result: every step, the verdict and the warnings."""
    assert db.passed == file.passed
    assert (db.n_rows, db.n_columns, db.suite) == (file.n_rows, file.n_columns, file.suite)
    assert len(db.steps) == len(file.steps)
    for a, b in zip(db.steps, file.steps, strict=True):
        assert {k: a[k] for k in _STEP_KEYS} == {k: b[k] for k in _STEP_KEYS}, a["rule_id"]
    assert db.warnings == file.warnings


def _essentials(result) -> list[tuple]:
    return [
        (s["rule_id"], s["passed"], s["n_tested"], s["n_failed"], sorted(s["failing_ids"]))
        for s in result.steps
    ]


def _check(pg_server, tmp_path, frame: pd.DataFrame, table: str, typed: bool = False):  # noqa: F811
    """Validate ``frame`` from a table and as the CSV export of it; return the table's result."""
    with pg_server.connect() as conn:
        (load_typed if typed else load_cells)(conn, table, frame)
    url = pg_server.url(table)
    db = validate_source(url)
    export = tmp_path / f"{table}_export.csv"
    export_csv(parse_source(url), export, all_columns=True)
    _same_result(db, validate_path(export))
    return db


def _steps(result) -> dict[str, dict]:
    return {s["rule_id"]: s for s in result.steps}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_the_file_gate_result(state, pg_server, case):  # noqa: F811
    make, typed, details = CASES[case]
    frame = make(cells())
    db = _check(pg_server, state, frame, f"case_{case}")
    # the gate tests' own file of these cells: the same rules fail, on the same ids
    assert _essentials(db) == _essentials(validate_path(write(frame, state / "cells.csv")))
    for rule, text in details.items():
        assert text in _steps(db)[rule]["detail"], rule
    assert db.passed == (case == "warnings")
    if typed:  # the same cells in a typed table: the same result again
        with pg_server.connect() as conn:
            load_typed(conn, f"typed_{case}", frame)
        _same_result(validate_source(pg_server.url(f"typed_{case}")), db)


def test_random_corruption_gives_the_file_gate_result(state, pg_server):  # noqa: F811
    for k, frame in enumerate(corruptions(20240601, 4, 3)):
        _check(pg_server, state, frame, f"random_{k}")


def test_studies_of_ones_own_in_the_database(state, pg_server, own_study):  # noqa: F811
    own_study(twelve_month_dictionary, twelve_month_study)
    raw = twelve_month_cells(cells())
    raw.loc[row_of(raw, "P004"), "fu_months"] = "8"
    db = _check(pg_server, state, raw, "twelve_month")
    assert _steps(db)["m12.followup"]["failing_ids"] == ["P004"]
    own_study(recorded_group_dictionary, recorded_group_study)
    raw = recorded_group_cells(cells())
    raw.loc[3, "response_m6"] = "CR"
    db = _check(pg_server, state, raw, "recorded_group")
    assert _steps(db)["response_m6.categories"]["failing_ids"] == [raw.loc[3, "patient_id"]]


# --- the analysis from the database --------------------------------------------------------


def test_report_from_the_database_equals_the_report_from_its_export(state, pg_server):  # noqa: F811
    from itp_stats.study.prepare import prepare_study

    with pg_server.connect() as conn:
        load_typed(conn, "report", cells())
    url = pg_server.url("report")
    export = state / "export.csv"
    export_csv(parse_source(url), export)
    from_db = prepare_study(url, n_boot=200, gate_result=state / "db.json")
    from_file = prepare_study(str(export), n_boot=200, gate_result=state / "file.json")
    assert set(from_db.results) == set(from_file.results)
    for name, table in from_file.results.items():
        pd.testing.assert_frame_equal(from_db.results[name], table, obj=name)
    pd.testing.assert_frame_equal(from_db.cohort, from_file.cohort)
    pd.testing.assert_frame_equal(from_db.gate.step_table(), from_file.gate.step_table())
    assert from_db.flow == from_file.flow
    assert from_db.gate.n_rows == from_file.gate.n_rows == 72
    source, snapshot = read_source_file(from_db.data_path)
    assert source.table == ("report",) and snapshot.rows == 72
    # the export carries no mark, and the table no comment: both hold the shipped synthetic
    # rows, and both say so
    shipped_rows = "the rows of the shipped synthetic cohort (data/cohort.csv)"
    assert from_db.synthetic and from_db.synthetic_source == shipped_rows
    assert from_file.synthetic and from_file.synthetic_source == shipped_rows
    # the Reproducibility table names the server's table and the snapshot validated
    from itp_stats.report.facade import reproducibility

    shown = reproducibility(from_db)
    assert f"`{source.url}`" in shown and "| table | `report` |" in shown
    assert f"`72 rows at {snapshot.time}, server {snapshot.server}, database " in shown
    assert f"| snapshot digest | `{snapshot.digest}` |" in shown
    assert "database source" not in reproducibility(from_file)
    assert f"| synthetic data | yes ({shipped_rows}) |" in shown


def test_a_synthetic_table_gives_a_report_that_says_so(state, pg_server):  # noqa: F811
    from itp_stats.cohort.synth import SYNTHETIC_MARK
    from itp_stats.report.facade import synthetic_notice
    from itp_stats.study.prepare import prepare_study

    mark = f"{SYNTHETIC_MARK} (n = 72, seed 20230601): no row is a real patient"
    with pg_server.connect() as conn:
        load_typed(conn, "synthetic_report", cells())
        conn.execute(f"COMMENT ON TABLE synthetic_report IS '{mark}'")
    study = prepare_study(
        pg_server.url("synthetic_report"), n_boot=200, gate_result=state / "db.json"
    )
    assert study.synthetic and study.synthetic_source == mark
    assert mark in synthetic_notice(study)


def test_table_changed_after_the_gate_is_refused(state, pg_server, capsys):  # noqa: F811
    from itp_stats.study.prepare import prepare_study

    with pg_server.connect() as conn:
        load_typed(conn, "changing", cells())
        url = pg_server.url("changing")
        assert main(["gate", "--data", url]) == 0
        conn.execute("UPDATE changing SET age_years = age_years + 1 WHERE patient_id = 'P002'")
        with pytest.raises(SourceChangedError, match="changed after the validation gate"):
            prepare_study(url, n_boot=50)
        # the gate sees the change (its stored result is not reused) and validates again
        assert main(["gate", "--data", url]) == 0
        assert "cached" not in capsys.readouterr().err
        assert prepare_study(url, n_boot=50).gate.n_rows == 72
        assert main(["gate", "--data", url]) == 0
        assert "cached result" in capsys.readouterr().err


def test_a_bad_row_stops_the_report_with_the_file_message(state, pg_server):  # noqa: F811
    from itp_stats.gate.result import resolve_data_path
    from itp_stats.study.prepare import prepare_study

    frame = _set(cells(), "P005", "cd4_m0", "99999")
    with pg_server.connect() as conn:
        load_typed(conn, "bad_row", frame)
    url = pg_server.url("bad_row")
    export = state / "bad_export.csv"
    export_csv(parse_source(url), export)
    messages = {}
    for data, shown in ((url, resolve_data_path(url)), (str(export), export)):
        with pytest.raises(GateFailedError) as info:
            prepare_study(data, n_boot=50)
        messages[data] = str(info.value).replace(str(shown), "DATA")
    assert messages[url] == messages[str(export)]
    assert "cd4_m0.range [cd4_m0] (P005)" in messages[url]


def test_cli_validate_and_gate_on_a_table(state, pg_server, capsys):  # noqa: F811
    with pg_server.connect() as conn:
        load_typed(conn, "cli_good", cells())
        load_typed(conn, "cli_bad", _set(cells(), "P010", "cd19_m0", "-3"))
    assert main(["validate", pg_server.url("cli_good")]) == 0
    assert "PASSED" in capsys.readouterr().out
    out = state / "bad.json"
    assert main(["validate", pg_server.url("cli_bad"), "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "cd19_m0.range" in text and "P010: cd19_m0=-3" in text
    body = json.loads(out.read_text())
    assert body["critical_failures"] == ["cd19_m0.range"]
    assert main(["gate", "--data", pg_server.url("cli_good")]) == 0
    written = [out, state / ".itp-stats" / "gate.json", *state.glob(".itp-stats/sources/*")]
    for path in written:
        assert pg_server.password not in path.read_text(), path


def test_data_docs_of_a_table(state, pg_server):  # noqa: F811
    frame = _set(cells(), "P006", "patient_id", "<b>P006</b>")
    with pg_server.connect() as conn:
        load_typed(conn, "docs", frame)
    docs = state / "docs"
    result = validate_source(pg_server.url("docs"), docs_dir=docs)
    assert _steps(result)["patient_id.pattern"]["failing_ids"] == ["<b>P006</b>"]
    assert (docs / "index.html").is_file()
    pages = "".join(p.read_text() for p in docs.glob("validations/**/*.html"))
    assert pages and "<b>P006</b>" not in pages


# --- a registry-sized table (once) -------------------------------------------------------


def test_million_row_registry(state, pg_server):  # noqa: F811
    from itp_stats.cohort.synth import synthesize

    frame = synthesize(1_000_000, seed=1)
    frame.loc[123_456, "age_years"] = 150  # one bad row among a million
    with pg_server.connect() as conn:
        load_typed(conn, "registry_1m", frame)
        (bad_id,) = conn.execute(
            "SELECT patient_id FROM registry_1m WHERE age_years = 150"
        ).fetchone()
        (tested,) = conn.execute(
            "SELECT count(*) FROM registry_1m WHERE nk_m0 IS NOT NULL"
        ).fetchone()
    result = validate_source(pg_server.url("registry_1m"))
    assert result.n_rows == 1_000_000
    steps = _steps(result)
    assert not result.passed
    assert [s["rule_id"] for s in result.critical_failures] == ["age_years.range"]
    assert steps["age_years.range"]["failing_ids"] == [bad_id]
    assert steps["nk_m0.range"]["n_tested"] == tested
    assert steps["table.rows"]["passed"] and steps["patient_id.unique"]["passed"]


def test_query_source_is_validated_like_a_table(state, pg_server):  # noqa: F811
    with pg_server.connect() as conn:
        load_typed(conn, "query_base", cells())
    base = pg_server.url("query_base").split("#")[0]
    url = f"{base}?query=SELECT%20*%20FROM%20query_base%20WHERE%20age_years%20%3E%3D%2018"
    _same_result(validate_source(url), validate_source(pg_server.url("query_base")))


def test_service_file_source(state, pg_server, monkeypatch):  # noqa: F811
    """``postgresql:///?service=NAME#table``: the connection comes from a libpq service file."""
    with pg_server.connect() as conn:
        load_typed(conn, "by_service", cells())
    services = state / "pg_service.conf"
    services.write_text(
        f"[registry]\nhost=127.0.0.1\nport={pg_server.port}\nuser=itp\ndbname=registry\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    db = validate_source("postgresql:///?service=registry#by_service")
    _same_result(db, validate_source(pg_server.url("by_service")))
    assert db.passed and db.n_rows == 72
