"""Datasets shared by the statistics tests; identical to those in tests/r/reference.R."""

from __future__ import annotations

import numpy as np
import pandas as pd

A = {
    "CR": [112, 95, 143, 88, 130, 77, 101, 120],
    "PR": [150, 162, 99, 171, 140, 133],
    "NR": [180, 210, 158, 199, 145, 230, 166, 190, 205],
}  # no ties, unequal sizes
B = {
    "CR": [60, 75, 75, 80, 90, 90, 90, 110, 120, 65, 70, 85],
    "PR": [90, 100, 100, 130, 140, 75, 95],
    "NR": [110, 120, 120, 150, 160, 170, 90, 100, 130, 180, 200, 140, 125, 135, 150],
}  # ties, unequal sizes
C_X = (np.arange(1, 56) * 37) % 211 + 0.25
C_Y = (np.arange(1, 61) * 53) % 223 + 0.5
P1_M0 = [210, 180, 250, 199, 305, 150, 275, 220, 188, 240]
P1_M6 = [260, 175, 310, 240, 330, 190, 281, 262, 214, 301]
P2_M0 = [100, 120, 90, 150, 130, 110, 140, 100, 160, 125, 135, 115, 105, 145]
P2_M6 = [110, 120, 100, 170, 130, 100, 160, 110, 150, 145, 135, 135, 125, 140]

# Hodges–Lehmann intervals whose requested level cannot be reached (reference.R, "H1".."H5")
H1_M0 = [100, 150, 200, 120, 90, 300, 210]
H1_M6 = [m + d for m, d in zip(H1_M0, [0, 0, -20, 10, 40, 100, 120], strict=True)]
H2_M0 = [50, 80, 65, 90]
H2_M6 = [m + d for m, d in zip(H2_M0, [-5, 12, 30, 47], strict=True)]
H3_M0 = [50, 80, 65, 90, 70]
H3_M6 = [m + d for m, d in zip(H3_M0, [3, -1, 8, 12, 20], strict=True)]
H4_X, H4_Y = [1.5, 4, 7], [2, 9, 12]
H5_X, H5_Y = [1, 2, 2], [2, 5, 6]

# Jonckheere–Terpstra at n = 100 and 101, no ties (reference.R, "JT100", "JT101")
JT_BASE = (np.arange(1, 102) * 7919) % 10007


def jt_groups(n_nr: int) -> dict[str, list]:
    return {
        "CR": list(JT_BASE[:40]),
        "PR": list(JT_BASE[40:60] + 910.25),
        "NR": list(JT_BASE[60 : 60 + n_nr] + 1820.5),
    }


# ε²: overlapping groups (E) and a weak effect (G) (reference.R, "eps E", "eps G")
E = {
    "CR": [5.1, 7.3, 2.2, 9.8, 4.4, 6.0, 3.5],
    "PR": [6.6, 2.9, 8.1, 4.9, 5.5],
    "NR": [3.1, 7.7, 5.8, 9.1, 4.0, 6.3, 2.5, 8.6],
}
G = {
    "CR": [1.2, 3.4, 2.2, 5.1, 0.7, 2.9, 4.0, 1.8, 3.1, 2.5],
    "PR": [2.8, 4.6, 3.3, 5.9, 1.9, 4.1, 3.7, 6.2, 2.6],
    "NR": [4.4, 3.9, 6.6, 5.2, 2.4, 7.1, 4.8, 5.6, 3.0, 6.9, 4.2],
}

# Logistic: cases and controls overlap, one control far out at 2,500 (reference.R, "LG")
LG_CASES = [*(3 * np.arange(1, 84)).tolist(), 255, 258, 264, 267, 270, 273, 279, 282, 288,
            297, 303, 306, 312, 321, 336, 345, 369]  # fmt: skip
LG_CONTROLS = [*np.setdiff1d(3 * np.arange(1, 140), LG_CASES).tolist(), 2500]
# Separation (reference.R, "F1" complete, "F2" quasi-complete: the classes meet at 95)
F_CONTROLS = [95, 101, 130, 150, 170, 190, 230, 260]
F1_CASES = [12, 30, 45, 51, 60, 77, 80]
F2_CASES = [12, 30, 45, 51, 60, 77, 95]

LEVELS = ["CR", "PR", "NR"]


def calibration_cohort() -> pd.DataFrame:
    """60 patients: a marker, age, sex, phase and a binary outcome (tests/r/calibration.R
    reads the same rows from tests/r/calibration_data.csv)."""
    i = np.arange(1, 61)
    marker = ((i * 37) % 101) * 4.0 + 20
    age = 30 + (i * 13) % 50
    sex = np.where((i * 7) % 4 < 2, "F", "M")
    phase = np.array(["newly diagnosed", "persistent", "chronic"])[(i * 5) % 3]
    # the outcome follows the marker with exceptions spread over its range
    outcome = np.where((marker < 220) ^ ((i * 11) % 7 == 0), "yes", "no")
    return pd.DataFrame(
        {"marker": marker, "age": age, "sex": sex, "phase": phase, "outcome": outcome}
    )


def long(groups: dict[str, list], dv: str = "v", between: str = "g") -> pd.DataFrame:
    """Long frame with an ordered categorical group column CR < PR < NR."""
    labels = [k for k, v in groups.items() for _ in v]
    values = [x for v in groups.values() for x in v]
    cats = [c for c in LEVELS if c in groups] + [c for c in groups if c not in LEVELS]
    return pd.DataFrame(
        {dv: np.asarray(values, dtype=float),
         between: pd.Categorical(labels, categories=cats, ordered=True)}
    )  # fmt: skip


def two(x, y, labels=("g1", "g2")) -> pd.DataFrame:
    return long({labels[0]: list(x), labels[1]: list(y)})


def paired(m0, m6) -> pd.DataFrame:
    return pd.DataFrame({"x_m0": np.asarray(m0, float), "x_m6": np.asarray(m6, float)})


def survival_cohort(n: int = 72) -> pd.DataFrame:
    """Times to event in whole months (ties), heavy censoring in group b and no event in
    group c, a marker, age and sex (tests/r/survival.R reads tests/r/survival_data.csv)."""
    i = np.arange(1, n + 1)
    group = np.array(["a", "b", "c"])[i % 3]
    marker = ((i * 29) % 97) * 3.0 + 10
    months = 1 + (i * 17) % 40 + (marker // 60)
    event = np.where(group == "a", (i * 7) % 5 != 0, (i * 11) % 4 == 0).astype(int)
    event[group == "c"] = 0
    age = 25 + (i * 13) % 55
    sex = np.where((i * 5) % 7 < 3, "F", "M")
    stage = np.array(["I", "II", "III"])[(i // 3) % 3]
    return pd.DataFrame(
        {"time": months, "event": event, "group": group, "marker": marker, "age": age,
         "sex": sex, "stage": stage}
    )  # fmt: skip
