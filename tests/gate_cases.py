"""Shared helpers of the gate tests: the shipped cohort as text cells, and bad variants."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COHORT = ROOT / "data" / "cohort.csv"


def cells() -> pd.DataFrame:
    """The shipped cohort as text cells, exactly as in the file."""
    return pd.read_csv(COHORT, dtype=str, keep_default_na=False)


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write text cells as a ``,``-separated CSV."""
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def sha256(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def row_of(frame: pd.DataFrame, patient_id: str) -> int:
    """Row index of a patient."""
    return int(frame.index[frame["patient_id"] == patient_id][0])


def contradicting_response(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A copy where a complete responder (by counts) is recorded as NR; returns its id."""
    out = frame.copy()
    i = out.index[out["response_m6"] == "CR"][0]
    out.loc[i, "response_m6"] = "NR"
    return out, str(out.loc[i, "patient_id"])


def set_cell(frame: pd.DataFrame, pid: str, column: str, value: str) -> pd.DataFrame:
    """A copy with one cell of one patient set."""
    out = frame.copy()
    out.loc[row_of(out, pid), column] = value
    return out


def _larger_subset(frame: pd.DataFrame) -> pd.DataFrame:
    i = row_of(frame, "P012")
    return set_cell(frame, "P012", "cd4_m0", str(int(frame.loc[i, "cd3_m0"]) + 10))


def _beyond_tolerance(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    i = row_of(out, "P013")
    cd3 = int(out.loc[i, "cd3_m0"])
    out.loc[i, ["cd4_m0", "cd8_m0", "cd8_act_m0"]] = [str(int(cd3 * 0.6)), str(int(cd3 * 0.5)), "0"]
    return out


def _warnings(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    i = out.index[out["response_m6"] != ""][0]
    out.loc[i, ["platelets_m0", "response_m6"]] = ["150", ""]
    return out


def _unknown_column(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.insert(1, "patient_name", "Jeanne Martin")
    return out


def _gate_named_column(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["gate__recorded_m6"] = "0"
    return out


def _relapse_outside_population(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    i = out.index[out["response_m6"] == "NR"][0]
    out.loc[i, ["relapse", "relapse_months"]] = ["yes", "10"]
    return out


def _time_beyond_followup(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    i = out.index[out["response_m6"] == "CR"][0]
    out.loc[i, "relapse_months"] = f"{float(out.loc[i, 'followup_months']) + 5:.1f}"
    return out


BAD_INPUT = {
    # every bad-input case of the gate's tests, for the gate paths that must agree (the file
    # whole, the file chunk by chunk, the database)
    # name: (cells, also as a typed table, {rule: text its detail holds})
    "range": (lambda f: set_cell(f, "P005", "cd4_m0", "99999"), True, {"cd4_m0.range": "P005"}),
    "nd": (lambda f: set_cell(f, "P007", "nk_m0", "ND"), False, {"cells.type": "P007: nk_m0='ND'"}),
    "below_detection": (lambda f: set_cell(f, "P007", "nk_m0", "<5"), False, {}),
    "decimal_comma": (lambda f: set_cell(f, "P007", "nk_m0", "12,5"), False, {}),
    "not_yes_no": (lambda f: set_cell(f, "P008", "bleeding_m0", "maybe"), False, {}),
    "negative": (lambda f: set_cell(f, "P010", "cd19_m0", "-3"), False, {}),
    "subset_above_parent": (_larger_subset, False, {"cd4_m0.within_parent": "P012"}),
    "composition": (_beyond_tolerance, True, {"composition.cd4_cd8.m0": "P013"}),
    "activated_cd8": (
        lambda f: set_cell(
            f, "P020", "cd8_act_m0", str(int(f.loc[row_of(f, "P020"), "cd8_m0"]) + 1)
        ),
        False,
        {},
    ),
    "duplicate_ids": (
        lambda f: set_cell(f, "P030", "patient_id", "P031"),
        True,
        {"patient_id.unique": "P031 (row 31); P031 (row 32)"},
    ),
    "id_pattern": (lambda f: set_cell(f, "P003", "patient_id", "P 003"), False, {}),
    "contradicting_response": (
        lambda f: contradicting_response(f)[0],
        True,
        {"response_m6.consistent": "response_iwg=CR"},
    ),
    "single_group": (
        lambda f: f[f["response_m6"].isin(["CR", ""])],
        False,
        {"response_m6.groups": "1 group(s) present: CR"},
    ),
    "followup": (
        lambda f: set_cell(f, "P004", "followup_months", "4.5"),
        True,
        {"m6.followup": "P004: followup_months=4.5, yet values in platelets_m6"},
    ),
    "warnings": (_warnings, True, {}),
    "event_outside_population": (
        _relapse_outside_population,
        True,
        {"duration_of_response.population": "relapse=yes, response_m6=NR"},
    ),
    "time_beyond_followup": (
        _time_beyond_followup,
        True,
        {"duration_of_response.within_followup": "followup_months="},
    ),
    "missing_column": (lambda f: f.drop(columns=["nk_m0"]), False, {}),
    "unknown_column": (
        _unknown_column,
        False,
        {"table.columns": "unknown column(s): patient_name"},
    ),
    "gate_named_column": (_gate_named_column, False, {}),
    "no_rows": (lambda f: f.iloc[:0], False, {}),
    "duplicate_row": (lambda f: pd.concat([f, f.iloc[[9]]], ignore_index=True), False, {}),
}

NASTY = ["", "ND", "<5", "12,5", "-1", "1e9", "inf", "NaN", "yes", "maybe", "CR", "P 1"]
NASTY += ["1.5", "99999", "\u00e9\u00e8", "'; DROP TABLE x;--", '"', "a,b", "9" * 30, " 7 "]
"""Cell values the random-corruption tests put into the shipped cohort."""


def corruptions(seed: int, count: int, cells_per_frame: int) -> Iterator[pd.DataFrame]:
    """Copies of the shipped cells, each with random cells set to one of :data:`NASTY`."""
    rng = random.Random(seed)
    base = cells()
    for _ in range(count):
        frame = base.copy()
        for _ in range(cells_per_frame):
            i, col = rng.randrange(len(frame)), rng.choice(list(frame.columns))
            frame.loc[i, col] = rng.choice(NASTY)
        yield frame
