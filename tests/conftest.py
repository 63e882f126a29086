"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root."""
    return ROOT


@pytest.fixture(scope="session")
def cohort_path(root: Path) -> Path:
    """The shipped synthetic cohort."""
    return root / "data" / "cohort.csv"
