"""Shared helpers of the gate tests: the shipped cohort as text cells, and bad variants."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COHORT = ROOT / "data" / "cohort.csv"


def cells() -> pd.DataFrame:
    """The shipped cohort as text cells, exactly as in the file."""
    return pd.read_csv(COHORT, dtype=str, keep_default_na=False, skiprows=1)  # the mark line


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
