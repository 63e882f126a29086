"""The gate's JSON result and the light reader the documents call (itp_stats.gate.result)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import copy_study, twelve_month_cells, twelve_month_dictionary, twelve_month_study
from gate_cases import cells, contradicting_response, sha256, write

from itp_stats.cohort.design import load_data_model
from itp_stats.cohort.dictionary import load_dictionary
from itp_stats.errors import CohortReadError, StudyConfigError
from itp_stats.gate.result import (
    SCHEMA,
    STEP_COLUMNS,
    GateFailedError,
    GateResult,
    current_result,
    dictionary_sha256,
    gate_warnings,
    ids_text,
    read_gate_result,
    resolve_data_path,
    step_table,
    stored_suite_sha256,
    write_gate_result,
)
from itp_stats.gate.suite import SuiteOutOfDateError, write_project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped_result(tmp_path_factory) -> GateResult:
    from itp_stats.gate.run import validate_path

    return validate_path(ROOT / "data" / "cohort.csv")


def test_json_round_trip(tmp_path, shipped_result):
    path = write_gate_result(shipped_result, tmp_path / "gate.json")
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA
    for key in (
        "passed",
        "data_path",
        "data_sha256",
        "n_rows",
        "timestamp",
        "gx_version",
        "steps",
        "warnings",
    ):
        assert key in data
    assert data["data_sha256"] == sha256(ROOT / "data" / "cohort.csv")
    step = data["steps"][0]
    assert set(step) >= {
        "rule_id",
        "rule",
        "columns",
        "severity",
        "n_tested",
        "n_failed",
        "pct_failed",
        "failing_ids",
        "passed",
    }
    assert GateResult.from_dict(data) == shipped_result


def test_step_table_is_tidy(shipped_result):
    table = step_table(shipped_result)
    assert tuple(table.columns) == STEP_COLUMNS
    assert len(table) == len(shipped_result.steps)
    assert table["passed"].dtype == bool
    assert table["n_tested"].dtype.kind == "i"
    assert table["pct_failed"].dtype.kind == "f"
    assert table.loc[0, "rule_id"] == "table.columns"
    assert shipped_result.step_table().equals(table)


def test_ids_text():
    assert ids_text([], 0) == ""
    assert ids_text(["P1", "P2"], 2) == "P1, P2"
    assert ids_text([f"P{i}" for i in range(12)], 12) == (
        "P0, P1, P2, P3, P4, P5, P6, P7, P8, P9 (+2 more)"
    )
    assert ids_text(["P1"], 2) == "P1"  # a duplicated id fails twice, is listed once


def _project(tmp_path: Path, monkeypatch, frame: pd.DataFrame | None = None) -> Path:
    """A project root in tmp_path with data/cohort.csv and the stored suite; returns the data."""
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_DATA", raising=False)
    monkeypatch.delenv("ITP_STATS_STUDY", raising=False)
    if not (tmp_path / "validation").exists():
        shutil.copytree(
            ROOT / "validation", tmp_path / "validation", ignore=shutil.ignore_patterns("unc*")
        )
    (tmp_path / "data").mkdir(exist_ok=True)
    path = tmp_path / "data" / "cohort.csv"
    if frame is None:
        shutil.copyfile(ROOT / "data" / "cohort.csv", path)
    else:
        write(frame, path)
    return path


def test_resolve_data_path(tmp_path, monkeypatch):
    data = _project(tmp_path, monkeypatch)
    assert resolve_data_path() == data
    monkeypatch.setenv("ITP_STATS_DATA", "other/c.csv")
    assert resolve_data_path() == tmp_path / "other" / "c.csv"
    assert resolve_data_path("/x/y.csv") == Path("/x/y.csv")


def test_reader_uses_a_current_json_without_importing_gx(tmp_path, monkeypatch, shipped_result):
    data = _project(tmp_path, monkeypatch)
    result = GateResult.from_dict(shipped_result.to_dict() | {"data_path": str(data)})
    write_gate_result(result, tmp_path / ".itp-stats" / "gate.json")
    code = (
        "import sys\n"
        "from itp_stats.gate.result import read_gate_result, step_table\n"
        "r = read_gate_result()\n"
        "assert r.passed and len(step_table(r)) > 50\n"
        "assert 'great_expectations' not in sys.modules, 'GX imported'\n"
        "import itp_stats.gate\n"
        "assert 'great_expectations' not in sys.modules, 'GX imported by the package'\n"
        "print('ok')\n"
    )
    env = os.environ | {"ITP_STATS_ROOT": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_reader_reruns_the_gate_when_the_data_changed(tmp_path, monkeypatch, shipped_result):
    data = _project(tmp_path, monkeypatch)
    json_path = tmp_path / ".itp-stats" / "gate.json"
    write_gate_result(shipped_result, json_path)  # made for the shipped file's bytes
    raw, pid = contradicting_response(cells())
    write(raw, data)
    with pytest.raises(GateFailedError) as info:
        read_gate_result()
    assert "response_m6.consistent" in str(info.value)
    assert pid in str(info.value)
    stored = json.loads(json_path.read_text())
    assert stored["passed"] is False
    assert stored["data_sha256"] == sha256(data)


def test_reader_refuses_a_failed_result(tmp_path, monkeypatch):
    data = _project(tmp_path, monkeypatch, cells().drop(columns=["nk_m0"]))
    from itp_stats.gate.run import validate_path

    write_gate_result(validate_path(data), tmp_path / ".itp-stats" / "gate.json")
    with pytest.raises(GateFailedError, match=r"table\.columns"):
        read_gate_result()
    result = read_gate_result(require_pass=False)
    assert not result.passed
    assert result.critical_failures[0]["rule_id"] == "table.columns"


def test_reader_without_rerun(tmp_path, monkeypatch):
    _project(tmp_path, monkeypatch)
    with pytest.raises(GateFailedError, match="no validation gate result"):
        read_gate_result(rerun=False)


def test_reader_missing_data(tmp_path, monkeypatch):
    _project(tmp_path, monkeypatch)
    with pytest.raises(CohortReadError):
        read_gate_result(tmp_path / "nope.csv")


def test_warnings_for_the_callout(tmp_path, monkeypatch):
    raw = cells()
    i = raw.index[raw["response_m6"] != ""][0]
    raw.loc[i, "response_m6"] = ""
    _project(tmp_path, monkeypatch, raw)
    result = read_gate_result()
    assert result.passed
    lines = gate_warnings(result)
    assert len(lines) == 1
    assert lines[0].startswith("response_m6.present: ")
    assert str(raw.loc[i, "patient_id"]) in lines[0]


def test_result_names_the_suite_and_its_stored_file(shipped_result):
    assert shipped_result.suite == "itp_rituximab_cohort__itp_rituximab"
    stored = ROOT / "validation" / "expectations" / "itp_rituximab_cohort__itp_rituximab.json"
    assert shipped_result.suite_sha256 == sha256(stored)
    assert shipped_result.to_dict()["suite_sha256"] == shipped_result.suite_sha256
    assert shipped_result.dictionary_sha256 == dictionary_sha256()


def test_data_model_hash_covers_the_study_and_its_dictionary(tmp_path):
    study = copy_study(tmp_path / "s")
    base = dictionary_sha256(load_data_model(study))
    assert base is not None
    # the shipped files, copied byte for byte into another folder: the same data model
    other = tmp_path / "copy"
    other.mkdir()
    for name in ("study.yaml", "dictionary.yaml"):
        (other / name).write_bytes((study.parent / name).read_bytes())
    assert dictionary_sha256(load_data_model(other / "study.yaml")) == base
    # a byte of the study, or of the dictionary it names, changes the hash
    study.write_text(study.read_text() + "# a comment\n")
    changed_study = dictionary_sha256(load_data_model(study))
    assert changed_study != base
    dictionary = study.with_name("dictionary.yaml")
    dictionary.write_text(dictionary.read_text() + "# a comment\n")
    assert dictionary_sha256(load_data_model(study)) not in {base, changed_study}
    # a bare dictionary: the plain hash of its file
    bare = load_dictionary(dictionary)
    assert dictionary_sha256(bare) == sha256(dictionary)


def test_data_model_hash_of_an_invalid_study_is_none(tmp_path, monkeypatch):
    bad = tmp_path / "study.yaml"
    bad.write_text("name: x\n")
    monkeypatch.setenv("ITP_STATS_STUDY", str(bad))
    assert dictionary_sha256() is None


def test_current_result_follows_the_study_in_use(tmp_path, monkeypatch):
    data = _project(tmp_path, monkeypatch)
    study = copy_study(tmp_path / "study")
    d = load_data_model(study)
    from itp_stats.gate.run import validate_path

    out = write_gate_result(validate_path(data, d), tmp_path / "gate.json")
    assert current_result(data, out, d) is not None
    study.write_text(study.read_text() + "# reviewed\n")
    assert current_result(data, out, load_data_model(study)) is None
    # the stored suite is part of the key
    d2 = load_data_model(study)
    write_gate_result(validate_path(data, d2), out)
    assert current_result(data, out, d2) is not None
    assert stored_suite_sha256(d2) is not None
    stored = tmp_path / "validation" / "expectations" / "itp_rituximab_cohort__itp_rituximab.json"
    stored.unlink()
    assert stored_suite_sha256(d2) is None
    assert current_result(data, out, d2) is None


def test_reader_reruns_for_another_study(tmp_path, monkeypatch):
    _project(tmp_path, monkeypatch)
    read_gate_result()  # the shipped study: passes, JSON written
    study = copy_study(tmp_path / "own", twelve_month_dictionary, twelve_month_study)
    data = write(twelve_month_cells(cells()), tmp_path / "data" / "cohort.csv")
    with pytest.raises(GateFailedError):  # the shipped study on 12-month columns
        read_gate_result(data, study=None)
    result = read_gate_result(data, study=study)
    assert result.passed and result.suite == "twelve_month_cohort__itp_rituximab"
    assert result.suite_sha256 is None  # not stored in tmp_path/validation
    monkeypatch.setenv("ITP_STATS_STUDY", str(study))
    assert read_gate_result(data, rerun=False).timestamp == result.timestamp


def test_reader_refuses_a_stale_stored_suite(tmp_path, monkeypatch):
    data = _project(tmp_path, monkeypatch)
    study = copy_study(tmp_path / "own", twelve_month_dictionary, twelve_month_study)
    write(twelve_month_cells(cells()), data)
    write_project(tmp_path / "validation", load_data_model(study))
    assert read_gate_result(study=study).passed
    dictionary = study.with_name("dictionary.yaml")
    raw = yaml.safe_load(dictionary.read_text())
    raw["columns"]["age_years"]["range"] = [16, 100]
    dictionary.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    with pytest.raises(SuiteOutOfDateError, match=r"twelve_month_cohort__itp_rituximab\.json"):
        read_gate_result(study=study)


def test_reader_refuses_an_invalid_study(tmp_path, monkeypatch):
    _project(tmp_path, monkeypatch)
    with pytest.raises(StudyConfigError):
        read_gate_result(study=tmp_path / "nope.yaml")


# -- a stored result proves itself: digest, layout, consistency --------------------------


def _stored(tmp_path, monkeypatch, shipped_result) -> tuple[Path, Path]:
    data = _project(tmp_path, monkeypatch)
    result = GateResult.from_dict(shipped_result.to_dict() | {"data_path": str(data)})
    return data, write_gate_result(result, tmp_path / ".itp-stats" / "gate.json")


def test_the_stored_result_carries_a_digest_of_its_content(tmp_path, shipped_result):
    from itp_stats.gate.result import content_sha256, load_gate_result

    path = write_gate_result(shipped_result, tmp_path / "gate.json")
    data = json.loads(path.read_text())
    assert data["content_sha256"] == content_sha256(data)
    assert load_gate_result(path) == shipped_result


def test_every_flipped_bit_of_the_stored_result_is_refused_never_raised(tmp_path, shipped_result):
    import random

    from itp_stats.gate.result import load_gate_result

    path = write_gate_result(shipped_result, tmp_path / "gate.json")
    pristine = path.read_bytes()
    flipped = tmp_path / "flipped.json"
    for position in random.Random(12).sample(range(len(pristine)), 300):
        blob = bytearray(pristine)
        blob[position] ^= 1 << random.Random(position).randrange(8)
        flipped.write_bytes(bytes(blob))
        assert load_gate_result(flipped) is None, position


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda d: d.pop("passed"), "'passed' is not true or false"),
        (lambda d: d["steps"][3].pop("severity"), "step 4: 'severity' is missing"),
        (lambda d: d["steps"][0].update(passed="yes"), "step 1: 'passed' is missing or of"),
        (lambda d: d.update(n_rows=True), "'n_rows' is not a count"),
        (lambda d: d.update(n_rows=-1), "'n_rows' is not a count"),
        (lambda d: d.update(data_sha256="xyz"), "'data_sha256' is not a SHA-256"),
        (lambda d: d.update(steps={}), "'steps' is not a list"),
        (lambda d: d["steps"][2].update(severity="fatal"), "step 3: unknown severity"),
        (lambda d: d.update(n_rules=3), "'n_rules' disagrees with the steps"),
        (lambda d: d.update(passed=False), "'passed' is false but no critical rule failed"),
    ],
)
def test_a_result_of_another_layout_or_inconsistent_is_refused(shipped_result, edit, why):
    data = json.loads(json.dumps(shipped_result.to_dict()))
    edit(data)
    with pytest.raises(ValueError, match=why.replace("(", r"\(")):
        GateResult.from_dict(data)


def test_a_passed_result_with_a_failed_critical_rule_is_refused(shipped_result):
    data = json.loads(json.dumps(shipped_result.to_dict()))
    step = next(s for s in data["steps"] if s["severity"] == "critical")
    step["passed"] = False
    data.pop("critical_failures"), data.pop("n_failed_critical")
    with pytest.raises(ValueError, match="'passed' is true but a critical rule failed"):
        GateResult.from_dict(data)


def test_a_flipped_key_or_count_makes_the_documents_run_the_gate_again(
    tmp_path, monkeypatch, shipped_result
):
    data, path = _stored(tmp_path, monkeypatch, shipped_result)
    text = path.read_text()
    for damaged in (
        text.replace('"severity"', '"sevarity"', 1),  # a flipped key
        text.replace('"n_rows": 72', '"n_rows": 73', 1),  # a flipped count, digest kept
        text[: len(text) // 2],  # a truncated write
    ):
        path.write_text(damaged)
        assert current_result(data, path) is None  # the gate command does not reuse it
        with pytest.raises(GateFailedError, match="no validation gate result"):
            read_gate_result(rerun=False)
        result = read_gate_result()  # the documents: validated again, no traceback
        assert result.passed and result.n_rows == 72
        assert json.loads(path.read_text())["n_rows"] == 72  # and stored again
