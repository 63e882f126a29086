"""`itp-stats validate` and `itp-stats gate` (itp_stats.gate.cli).

Most cases run the CLI in-process (``itp_stats.cli.main``); two run it as a real process to
prove the exit status and the absence of tracebacks, progress bars and stray files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import (
    copy_study,
    recorded_group_cells,
    recorded_group_dictionary,
    recorded_group_study,
    twelve_month_cells,
    twelve_month_dictionary,
    twelve_month_study,
)
from gate_cases import cells, contradicting_response, row_of, sha256, write

from itp_stats.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _validate(path: Path, capsys, *extra: str) -> tuple[int, str]:
    before = sha256(path) if path.is_file() else None
    status = main(["validate", str(path), *extra])
    out = capsys.readouterr()
    if before is not None:
        assert sha256(path) == before, "the input file was modified"
    assert "Traceback" not in out.out + out.err
    return status, out.out + out.err


def _case(tmp_path: Path, frame: pd.DataFrame, name: str = "cohort.csv") -> Path:
    return write(frame, tmp_path / name)


def test_validate_shipped_cohort(cohort_path, capsys):
    status, text = _validate(cohort_path, capsys)
    assert status == 0
    assert "PASSED" in text
    assert "table.columns" in text and "response_m6.consistent" in text


def test_missing_column(tmp_path, capsys):
    status, text = _validate(_case(tmp_path, cells().drop(columns=["nk_m0"])), capsys)
    assert status == 1
    assert "table.columns" in text
    assert "missing column(s): nk_m0" in text


def test_unknown_extra_column(tmp_path, capsys):
    raw = cells()
    raw.insert(1, "patient_name", "Jeanne Martin")
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "table.columns" in text
    assert "unknown column(s): patient_name" in text


@pytest.mark.parametrize("value", ["ND", "<5", "12,5"])
def test_text_in_a_count_column(tmp_path, capsys, value):
    raw = cells()
    raw.loc[row_of(raw, "P007"), "nk_m0"] = value
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "cells.type" in text
    assert f"P007: nk_m0={value!r}" in text


def test_decimal_comma_file_reads_fine(tmp_path, capsys):
    """A ';' file from a French spreadsheet: '12,5' is a number there, not a type error."""
    path = tmp_path / "cohort_fr.csv"
    cells().to_csv(path, sep=";", index=False)
    status, text = _validate(path, capsys)
    assert status == 0, text


def test_negative_count(tmp_path, capsys):
    raw = cells()
    raw.loc[row_of(raw, "P010"), "cd19_m0"] = "-3"
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "cd19_m0.range" in text
    assert "P010: cd19_m0=-3" in text


def test_subset_larger_than_parent(tmp_path, capsys):
    raw = cells()
    i = row_of(raw, "P012")
    raw.loc[i, "cd4_m0"] = str(int(raw.loc[i, "cd3_m0"]) + 10)
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "cd4_m0.within_parent" in text
    assert "composition.cd4_cd8.m0" in text
    assert "P012" in text


def test_composition_beyond_tolerance(tmp_path, capsys):
    """CD4 ≤ CD3 and CD8 ≤ CD3 each hold, but CD4 + CD8 exceeds CD3 by more than 5 %."""
    raw = cells()
    i = row_of(raw, "P013")
    cd3 = int(raw.loc[i, "cd3_m0"])
    raw.loc[i, "cd4_m0"] = str(int(cd3 * 0.6))
    raw.loc[i, "cd8_m0"] = str(int(cd3 * 0.5))
    raw.loc[i, "cd8_act_m0"] = "0"
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "composition.cd4_cd8.m0" in text
    assert "cd4_m0.within_parent" not in text.split("FAILED")[0].split("\n\n")[-1]


def test_activated_cd8_above_cd8(tmp_path, capsys):
    raw = cells()
    i = row_of(raw, "P020")
    raw.loc[i, "cd8_act_m0"] = str(int(raw.loc[i, "cd8_m0"]) + 1)
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "cd8_act_m0.within_parent" in text
    assert "P020" in text


def test_duplicate_ids(tmp_path, capsys):
    raw = cells()
    raw.loc[row_of(raw, "P030"), "patient_id"] = "P031"
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "patient_id.unique" in text
    assert "P031 (row 31)" in text and "P031 (row 32)" in text


def test_bad_id_pattern(tmp_path, capsys):
    raw = cells()
    raw.loc[row_of(raw, "P003"), "patient_id"] = "P 003"
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "patient_id.pattern" in text
    assert "P 003" in text


def test_empty_file(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    path.write_text("")
    status, text = _validate(path, capsys)
    assert status == 2
    assert "empty" in text


def test_missing_file(tmp_path, capsys):
    status, text = _validate(tmp_path / "nope.csv", capsys)
    assert status == 2
    assert "no such file" in text


def test_header_only(tmp_path, capsys):
    status, text = _validate(_case(tmp_path, cells().iloc[:0]), capsys)
    assert status == 1
    assert "table.rows" in text
    assert "response_m6.groups" in text


def test_response_contradicts_platelets(tmp_path, capsys):
    raw, pid = contradicting_response(cells())
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "response_m6.consistent" in text
    assert f"{pid}: response_m6=NR" in text
    assert "response_iwg=CR" in text


def test_single_response_group(tmp_path, capsys):
    raw = cells()
    keep = raw["response_m6"].isin(["CR", ""])
    status, text = _validate(_case(tmp_path, raw[keep]), capsys)
    assert status == 1
    assert "response_m6.groups" in text
    assert "1 group(s) present: CR" in text


def test_m6_values_without_six_months_follow_up(tmp_path, capsys):
    raw = cells()
    i = row_of(raw, "P004")
    raw.loc[i, "followup_months"] = "4.5"
    status, text = _validate(_case(tmp_path, raw), capsys)
    assert status == 1
    assert "m6.followup" in text
    assert "P004: followup_months=4.5, yet values in platelets_m6" in text


def test_json_output_is_complete(tmp_path, capsys):
    raw, pid = contradicting_response(cells())
    out = tmp_path / "out" / "result.json"
    status, _ = _validate(_case(tmp_path, raw), capsys, "--json", str(out))
    assert status == 1
    data = json.loads(out.read_text())
    assert data["passed"] is False
    assert data["n_rows"] == 72
    assert data["critical_failures"] == ["response_m6.consistent"]
    step = next(s for s in data["steps"] if s["rule_id"] == "response_m6.consistent")
    assert step["failing_ids"] == [pid]
    assert not list(out.parent.glob("*.tmp"))


def test_gate_writes_result_and_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    bad = _case(tmp_path, cells().drop(columns=["sex"]), "bad.csv")
    monkeypatch.setenv("ITP_STATS_DATA", "bad.csv")  # relative: against the project root
    assert main(["gate"]) == 1
    err = capsys.readouterr().err
    assert "table.columns" in err and "sex" in err
    data = json.loads((tmp_path / ".itp-stats" / "gate.json").read_text())
    assert data["passed"] is False
    assert data["data_path"] == str(bad)
    assert data["data_sha256"] == sha256(bad)


def test_gate_on_unreadable_file_leaves_a_failed_result(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    result = tmp_path / ".itp-stats" / "gate.json"
    result.parent.mkdir()
    result.write_text(json.dumps({"schema": "itp-stats/gate-result/1", "passed": True}))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    monkeypatch.setenv("ITP_STATS_DATA", str(empty))
    assert main(["gate"]) == 2
    data = json.loads(result.read_text())
    assert data["passed"] is False
    assert "empty" in data["error"]


def test_gate_default_data_passes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_DATA", raising=False)
    assert main(["gate"]) == 0
    assert "validation gate passed" in capsys.readouterr().err
    data = json.loads((tmp_path / ".itp-stats" / "gate.json").read_text())
    assert data["passed"] is True
    assert data["data_path"] == str(ROOT / "data" / "cohort.csv")
    assert data["gx_version"]


def _run(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITP_STATS", "GX_"))}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "PYTHONUTF8": "1"}
    return subprocess.run(
        [sys.executable, "-m", "itp_stats", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()}


def test_process_bad_file_exit_1_quiet_and_writes_nothing_else(tmp_path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    raw = cells()
    raw.loc[row_of(raw, "P005"), "nk_m0"] = "ND"
    data = _case(work, raw)
    before = sha256(data)
    proc = _run(["validate", "cohort.csv", "--json", "result.json"], work, home)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "cells.type" in proc.stdout and "P005" in proc.stdout
    assert proc.stderr == ""  # no progress bars, no warnings
    assert sha256(data) == before
    assert _files(work) == {Path("cohort.csv"), Path("result.json")}
    assert _files(home) == set()  # no GX config, no usage-statistics id, no cache


def test_process_unreadable_file_exit_2(tmp_path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    (work / "empty.csv").write_text("")
    proc = _run(["validate", "empty.csv"], work, home)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("itp-stats validate: error:")
    assert "Traceback" not in proc.stderr
    assert _files(work) == {Path("empty.csv")}


# --- `itp-stats gate` reuses a result that still holds -----------------------------------------

_NO_GX = (
    "import sys; from itp_stats.cli import main; status = main(sys.argv[1:]); "
    "print('gx imported' if 'great_expectations' in sys.modules else 'gx not imported'); "
    "sys.exit(status)"
)


def _gate_process(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITP_STATS", "GX_"))}
    env |= {"ITP_STATS_ROOT": str(root), "PYTHONUTF8": "1"}
    return subprocess.run(
        [sys.executable, "-c", _NO_GX, "gate", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _gate_case(tmp_path: Path, frame: pd.DataFrame, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = _case(tmp_path, frame)
    monkeypatch.setenv("ITP_STATS_DATA", str(data))
    return data, tmp_path / ".itp-stats" / "gate.json"


def test_gate_reuses_a_passed_result_without_importing_gx(tmp_path, capsys, monkeypatch):
    data, out = _gate_case(tmp_path, cells(), monkeypatch)
    assert main(["gate"]) == 0
    first = json.loads(out.read_text())
    assert first["code_sha256"]
    capsys.readouterr()

    proc = _gate_process(tmp_path, "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "gx not imported"
    assert "validation gate passed" in proc.stderr
    assert f"(cached result of {first['timestamp']})" in proc.stderr
    assert json.loads(out.read_text()) == first  # reused, not rewritten

    forced = _gate_process(tmp_path, "--data", str(data), "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.strip() == "gx imported"
    assert "cached" not in forced.stderr


def test_gate_reuses_a_failed_result_and_still_fails(tmp_path, capsys, monkeypatch):
    raw, pid = contradicting_response(cells())
    data, _ = _gate_case(tmp_path, raw, monkeypatch)
    assert main(["gate"]) == 1
    capsys.readouterr()
    proc = _gate_process(tmp_path, "--data", str(data))
    assert proc.returncode == 1
    assert proc.stdout.strip() == "gx not imported"
    assert "response_m6.consistent" in proc.stderr and pid in proc.stderr
    assert "FAILED" in proc.stderr and "cached result of" in proc.stderr
    assert "Traceback" not in proc.stderr


def _rerun(capsys) -> str:
    status = main(["gate"])
    err = capsys.readouterr().err
    assert status == 0, err
    return err


def test_gate_reruns_when_the_data_changes(tmp_path, capsys, monkeypatch):
    data, out = _gate_case(tmp_path, cells(), monkeypatch)
    _rerun(capsys)
    assert "cached" in _rerun(capsys)
    raw = cells()
    raw.loc[0, "age_years"] = str(int(raw.loc[0, "age_years"]) + 1)  # one byte differs
    write(raw, data)
    assert "cached" not in _rerun(capsys)
    assert json.loads(out.read_text())["data_sha256"] == sha256(data)
    assert "cached" in _rerun(capsys)


@pytest.mark.parametrize(
    "key",
    [
        "dictionary_sha256",
        "gx_version",
        "itp_stats_version",
        "suite",
        "suite_sha256",
        "code_sha256",
        "data_path",
    ],
)
def test_gate_reruns_when_dictionary_versions_or_code_differ(tmp_path, capsys, monkeypatch, key):
    _, out = _gate_case(tmp_path, cells(), monkeypatch)
    _rerun(capsys)
    stored = json.loads(out.read_text())
    out.write_text(json.dumps(stored | {key: "something else"}))
    assert "cached" not in _rerun(capsys)
    assert json.loads(out.read_text())[key] == stored[key]


# --- a study of one's own: --study, the stored suite, bad configurations -------------------


def _main(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return status, out.out, out.err


def test_validate_with_a_twelve_month_study(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_STUDY", raising=False)
    study = copy_study(tmp_path / "own", twelve_month_dictionary, twelve_month_study)
    raw = twelve_month_cells(cells())
    good = _case(tmp_path, raw, "good.csv")
    status, out, err = _validate_study(capsys, good, study)
    assert status == 0, out
    assert "m12.followup" in out and "response_m12.consistent" in out
    assert "not stored for review" in err
    assert f"itp-stats gate --write-suite --study {study}" in err

    raw.loc[row_of(raw, "P004"), "fu_months"] = "8"
    status, out, _ = _validate_study(capsys, _case(tmp_path, raw, "bad.csv"), study)
    assert status == 1
    assert "P004: fu_months=8, yet values in platelets_m12" in out
    # the shipped study refuses the 12-month file: its columns are not the dictionary's
    status, out, _ = _main(capsys, "validate", str(good))
    assert status == 1 and "table.columns" in out


def _validate_study(capsys, data: Path, study: Path) -> tuple[int, str, str]:
    return _main(capsys, "validate", str(data), "--study", str(study))


def test_validate_study_relative_to_the_current_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    copy_study(tmp_path / "own", recorded_group_dictionary, recorded_group_study)
    data = _case(tmp_path, recorded_group_cells(cells()))
    monkeypatch.chdir(tmp_path / "own")
    status, out, err = _main(capsys, "validate", str(data), "--study", "study.yaml")
    assert status == 0, out + err
    assert "response_m6.consistent" not in out
    assert "`itp-stats gate --write-suite --study study.yaml`" in err


def test_write_suite_for_a_study_then_refuse_when_stale(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_STUDY", raising=False)
    study = copy_study(tmp_path / "own", twelve_month_dictionary, twelve_month_study)
    data = _case(tmp_path, twelve_month_cells(cells()))
    monkeypatch.setenv("ITP_STATS_DATA", str(data))

    status, out, _ = _main(capsys, "gate", "--write-suite", "--study", str(study))
    assert status == 0
    suite = tmp_path / "validation" / "expectations" / "twelve_month_cohort__itp_rituximab.json"
    assert suite.is_file() and str(tmp_path / "validation") in out
    assert (tmp_path / "validation" / "rules" / "twelve_month_cohort__itp_rituximab.md").is_file()
    status, _, err = _main(capsys, "gate", "--study", str(study))
    assert status == 0, err
    assert "not stored" not in err
    status, _, err = _validate_study(capsys, data, study)
    assert status == 0 and err == ""

    # the dictionary changes, the stored suite does not: both commands refuse, exit 2
    dictionary = study.with_name("dictionary.yaml")
    raw = yaml.safe_load(dictionary.read_text())
    raw["columns"]["age_years"]["range"] = [16, 100]
    dictionary.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    command = f"`itp-stats gate --write-suite --study {study}`"
    for args in (["validate", str(data)], ["gate"], ["gate", "--force"]):
        status, _, err = _main(capsys, *args, "--study", str(study))
        assert status == 2, args
        line = err.strip()
        assert "\n" not in line
        assert line.startswith(f"itp-stats {args[0]}: error: {suite}: ")
        assert command in line
    failed = json.loads((tmp_path / ".itp-stats" / "gate.json").read_text())
    assert failed["passed"] is False and "differs" in failed["error"]

    # the command in the message regenerates it, and the gate runs again
    assert _main(capsys, "gate", "--write-suite", "--study", str(study))[0] == 0
    assert _main(capsys, "gate", "--study", str(study))[0] == 0


def test_gate_says_when_the_suite_is_not_stored(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    monkeypatch.delenv("ITP_STATS_DATA", raising=False)
    monkeypatch.delenv("ITP_STATS_STUDY", raising=False)
    status, _, err = _main(capsys, "gate")
    assert status == 0
    assert "not stored for review" in err and "itp-stats gate --write-suite --study" in err
    status, _, err = _main(capsys, "gate")  # cached: still said
    assert "cached" in err and "not stored for review" in err


def test_gate_reruns_when_the_study_changes(tmp_path, capsys, monkeypatch):
    _gate_case(tmp_path, cells(), monkeypatch)
    study = copy_study(tmp_path / "own")
    monkeypatch.setenv("ITP_STATS_STUDY", str(study))
    _rerun(capsys)
    assert "cached" in _rerun(capsys)
    study.write_text(study.read_text() + "# reviewed\n")
    assert "cached" not in _rerun(capsys)
    dictionary = study.with_name("dictionary.yaml")
    dictionary.write_text(dictionary.read_text() + "# reviewed\n")
    assert "cached" not in _rerun(capsys)
    assert "cached" in _rerun(capsys)
    # the same file through --study is the same study
    assert "cached" in _main(capsys, "gate", "--study", str(study))[2]
    assert "cached" not in _main(capsys, "gate", "--study", str(ROOT / "data" / "study.yaml"))[2]


@pytest.mark.parametrize("command", ["validate", "gate"])
def test_bad_study_is_one_line_exit_2(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = _case(tmp_path, cells())
    monkeypatch.setenv("ITP_STATS_DATA", str(data))

    def edit(s):
        s["group"]["derive"]["platelets"] = "platelets_m9"

    study = copy_study(tmp_path / "own", None, edit)
    args = [command, str(data)] if command == "validate" else [command]
    status, _, err = _main(capsys, *args, "--study", str(study))
    assert status == 2
    assert err.strip() == (
        f"itp-stats {command}: error: {study}: group.derive.platelets: 'platelets_m9' is not a "
        f"column of {study.with_name('dictionary.yaml')}"
    )
    status, _, err = _main(capsys, *args, "--study", str(tmp_path / "nope.yaml"))
    assert status == 2 and "cannot read the study configuration" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["validate", "gate"])
def test_bad_dictionary_is_one_line_exit_2(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
    data = _case(tmp_path, cells())
    monkeypatch.setenv("ITP_STATS_DATA", str(data))

    def edit(d):
        d["columns"]["age_years"]["type"] = "decimal"

    study = copy_study(tmp_path / "own", edit)
    args = [command, str(data)] if command == "validate" else [command]
    status, _, err = _main(capsys, *args, "--study", str(study))
    assert status == 2
    assert err.strip() == (
        f"itp-stats {command}: error: {study.with_name('dictionary.yaml')}: column "
        "'age_years': unknown type 'decimal'"
    )
    if command == "gate":
        data = json.loads((tmp_path / ".itp-stats" / "gate.json").read_text())
        assert data["passed"] is False and "unknown type" in data["error"]


def test_process_bad_study_exit_2_without_traceback(tmp_path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    _case(work, cells())
    (work / "study.yaml").write_text("dictionary: nowhere.yaml\n")
    proc = _run(["validate", "cohort.csv", "--study", "study.yaml"], work, home)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"itp-stats validate: error: {work / 'study.yaml'}: dictionary: "
        f"{work / 'nowhere.yaml'} does not exist"
    )
