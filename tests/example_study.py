"""The second example study of the tests: files and a seeded cohort generator.

Not ITP-shaped on purpose (``tests/fixtures/study_m12``): subjects ``S001``…, groups
remission / stable / progression recorded in ``outcome_m12``, markers white blood cells,
CD4+ T cells and regulatory T cells at enrolment (``w0``) and 12 months (``m12``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
STUDY_DIR = HERE / "fixtures" / "study_m12"
STUDY = STUDY_DIR / "study.yaml"
DICTIONARY = STUDY_DIR / "dictionary.yaml"

LEVELS = ("remission", "stable", "progression")


def example_cohort(
    n: int = 60,
    seed: int = 11,
    *,
    treg_effect: float = 2.0,
    sizes: tuple[int, int, int] | None = None,
    n_short: int = 2,
) -> pd.DataFrame:
    """A cohort of the example study.

    Parameters
    ----------
    n : int
        Subjects (ignored when ``sizes`` is given).
    seed : int
        Random seed.
    treg_effect : float
        Multiplier of the regulatory T-cell share in the remission group at enrolment:
        > 1 higher in remission, < 1 lower, 1 no difference.
    sizes : (int, int, int), optional
        Subjects per group (remission, stable, progression).
    n_short : int
        Subjects followed less than 12 months (no 12-month values, no group).
    """
    rng = np.random.default_rng(seed)
    if sizes is None:
        sizes = (n // 3, n // 3, n - 2 * (n // 3))
    groups = np.repeat(np.array(LEVELS, dtype=object), sizes)
    m = len(groups)
    wbc0 = rng.integers(3000, 9000, m)
    cd4_share0 = rng.uniform(0.2, 0.45, m)
    treg_share0 = rng.uniform(0.04, 0.08, m) * np.where(groups == "remission", treg_effect, 1.0)
    treg_share0 = np.clip(treg_share0, 0.005, 0.5)
    cd40 = np.floor(wbc0 * cd4_share0).astype(int)
    treg0 = np.floor(cd40 * treg_share0).astype(int)
    wbc12 = np.clip(np.rint(wbc0 * rng.lognormal(0, 0.15, m)), 1000, 40000).astype(int)
    cd412 = np.floor(wbc12 * np.clip(cd4_share0 * rng.lognormal(0, 0.1, m), 0.05, 0.9)).astype(int)
    change = np.where(groups == "remission", 1.5, 1.0)
    treg12 = np.floor(cd412 * np.clip(treg_share0 * change * rng.lognormal(0, 0.1, m), 0, 0.6))
    frame = pd.DataFrame(
        {
            "subject_id": [f"S{i + 1:03d}" for i in range(m + n_short)],
            "age": rng.integers(20, 85, m + n_short),
            "sex": rng.choice(["female", "male"], m + n_short),
            "arm": rng.choice(["A", "B"], m + n_short),
            "enrol_year": rng.integers(2012, 2020, m + n_short),
            "followup_m": np.r_[rng.uniform(12, 60, m), rng.uniform(2, 11, n_short)].round(1),
            "outcome_m12": [*groups, *[None] * n_short],
        }
    )
    for name, v0, v12 in (
        ("wbc", wbc0, wbc12),
        ("cd4", cd40, cd412),
        ("treg", treg0, treg12.astype(int)),
    ):
        frame[f"{name}_w0"] = pd.array([*v0, *rng.integers(3000, 9000, n_short) // (
            {"wbc": 1, "cd4": 4, "treg": 80}[name])], dtype="Int64")  # fmt: skip
        frame[f"{name}_m12"] = pd.array([*v12, *[None] * n_short], dtype="Int64")
    return frame


def write_example_cohort(path: Path, **kwargs) -> Path:
    """Write :func:`example_cohort` as CSV."""
    example_cohort(**kwargs).to_csv(path, index=False)
    return path
