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

LEVELS = ["CR", "PR", "NR"]


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
