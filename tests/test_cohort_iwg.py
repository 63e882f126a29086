"""IWG 2009 response at every boundary (Rodeghiero et al., Blood 2009)."""

from __future__ import annotations

import pandas as pd
import pytest

from itp_stats.cohort.iwg import describe_rule, iwg_response

NA = None

# (platelets_m0, platelets_m6, bleeding_m6, rescue_m6, expected)
CASES = [
    # complete response: >= 100 and no bleeding
    (20, 100, False, False, "CR"),
    (20, 99, False, False, "PR"),  # 99 >= 30 and >= 2 x 20
    (60, 99, False, False, "NR"),  # 99 < 2 x 60 and < 100
    (80, 100, False, False, "CR"),  # CR needs no doubling
    # response threshold 30 and the doubling rule
    (15, 30, False, False, "PR"),  # exactly 30 and exactly twice baseline
    (15, 29, False, False, "NR"),  # below 30
    (16, 31, False, False, "NR"),  # >= 30 but less than twice 16
    (16, 32, False, False, "PR"),  # exactly twice baseline
    (10, 30, False, False, "PR"),
    # bleeding at 6 months means no response
    (20, 150, True, False, "NR"),
    (15, 30, True, False, "NR"),
    # rescue therapy counts as no response
    (20, 150, False, True, "NR"),
    (20, NA, NA, True, "NR"),
    # missing values
    (20, NA, False, False, NA),  # no 6-month count
    (20, 150, NA, False, NA),  # bleeding unknown, count would be CR
    (20, 150, False, NA, NA),  # rescue unknown, count would be CR
    (NA, 50, False, False, NA),  # doubling cannot be checked
    (NA, 150, False, False, "CR"),  # baseline not needed for CR
    (NA, 20, NA, NA, "NR"),  # below 30 whatever the rest
    (40, 50, NA, NA, "NR"),  # < 2 x baseline decides on its own
]


@pytest.mark.parametrize(("p0", "p6", "bleed", "rescue", "expected"), CASES)
def test_iwg_response(p0, p6, bleed, rescue, expected):
    got = iwg_response(
        pd.Series([p0], dtype="Int64"),
        pd.Series([p6], dtype="Int64"),
        pd.Series([bleed], dtype="boolean"),
        pd.Series([rescue], dtype="boolean"),
    )
    value = got.iloc[0]
    if expected is None:
        assert pd.isna(value)
    else:
        assert value == expected


def test_iwg_response_is_ordered_categorical_aligned_with_input():
    index = pd.Index([10, 11, 12])
    got = iwg_response(
        pd.Series([20, 20, 20], index=index),
        pd.Series([150, 45, 10], index=index),
        pd.Series(["no", "no", "no"], index=index),
        pd.Series(["no", "no", "no"], index=index),
    )
    assert list(got.cat.categories) == ["CR", "PR", "NR"]
    assert got.cat.ordered
    assert got.index.equals(index)
    assert got.tolist() == ["CR", "PR", "NR"]


def test_rule_in_words_names_the_participants_by_the_study_noun():
    labels = {
        "platelets_baseline": "baseline count",
        "platelets": "count at 6 months",
        "bleeding": "bleeding",
        "rescue": "rescue therapy",
    }
    names = {"CR": "complete response", "PR": "partial response", "NR": "no response"}
    text = describe_rule("iwg2009", labels, names)
    assert "A patient who needed rescue therapy (rescue therapy) has no response." in text
    people = describe_rule("iwg2009", labels, names, participant="participant")
    assert "A participant who needed rescue therapy" in people and "patient" not in people
