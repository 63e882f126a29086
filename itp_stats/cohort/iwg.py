"""IWG 2009 response at 6 months, derived from platelet counts, bleeding and rescue therapy.

References
----------
Rodeghiero F, Stasi R, Gernsheimer T, et al. Standardization of terminology, definitions and
outcome criteria in immune thrombocytopenic purpura of adults and children: report from an
international working group. Blood. 2009;113(11):2386-2393.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "CR_THRESHOLD",
    "RESPONSE_LEVELS",
    "RESPONSE_THRESHOLD",
    "describe_rule",
    "iwg_response",
]

RESPONSE_LEVELS: tuple[str, ...] = ("CR", "PR", "NR")
"""Response categories in display order (complete, partial, no response)."""

CR_THRESHOLD = 100
"""Platelets (×10⁹/L) at or above which, without bleeding, the response is complete."""

RESPONSE_THRESHOLD = 30
"""Platelets (×10⁹/L) at or above which a doubling of the baseline count is a response."""


def iwg_response(
    platelets_m0: pd.Series,
    platelets_m6: pd.Series,
    bleeding_m6: pd.Series,
    rescue_therapy_m6: pd.Series,
) -> pd.Series:
    """Classify the response at 6 months by the IWG 2009 criteria.

    Parameters
    ----------
    platelets_m0, platelets_m6 : pandas.Series
        Platelet counts (×10⁹/L) at rituximab start and at 6 months.
    bleeding_m6 : pandas.Series
        Bleeding at 6 months (boolean; missing allowed).
    rescue_therapy_m6 : pandas.Series
        Rescue therapy given before the 6-month assessment (boolean; missing allowed).

    Returns
    -------
    pandas.Series
        Ordered categorical with levels ``CR``, ``PR``, ``NR`` (missing when the response
        cannot be determined), aligned with the inputs.

    Notes
    -----
    Rules, applied in order:

    1. rescue therapy → ``NR`` (whatever the counts);
    2. bleeding → ``NR``;
    3. platelets at 6 months ≥ 100 → ``CR``;
    4. platelets at 6 months ≥ 30 and ≥ 2 × baseline → ``PR`` (IWG "response");
    5. otherwise → ``NR``.

    The result is missing when a rule needed to decide is missing: no rescue recorded as
    given and either the 6-month count or bleeding unknown, or a count between 30 and 100
    with an unknown baseline. Rescue recorded as missing is read as "not given" only when the
    counts and bleeding decide on their own; an unknown rescue with a count that would be a
    response leaves the response unknown.
    """
    p0 = pd.to_numeric(platelets_m0, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    p6 = pd.to_numeric(platelets_m6, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bleed = _boolean(bleeding_m6)
    rescue = _boolean(rescue_therapy_m6)

    out = np.full(p6.shape, None, dtype=object)
    with np.errstate(invalid="ignore"):
        counts_cr = p6 >= CR_THRESHOLD
        counts_pr = (p6 >= RESPONSE_THRESHOLD) & (p6 >= 2 * p0) & ~counts_cr
        counts_nr = (
            ~np.isnan(p6)
            & ~counts_cr
            & ((p6 < RESPONSE_THRESHOLD) | (~np.isnan(p0) & (p6 < 2 * p0)))
        )
    no_bleed = bleed == 0
    yes_bleed = bleed == 1
    no_rescue = rescue == 0
    yes_rescue = rescue == 1

    out[counts_nr] = "NR"  # counts alone decide NR, whatever bleeding and rescue
    out[yes_bleed] = "NR"
    out[yes_rescue] = "NR"
    out[counts_cr & no_bleed & no_rescue] = "CR"
    out[counts_pr & no_bleed & no_rescue] = "PR"
    return pd.Series(
        pd.Categorical(out, categories=list(RESPONSE_LEVELS), ordered=True),
        index=getattr(platelets_m6, "index", None),
        name="response_iwg",
    )


def _boolean(values: pd.Series) -> np.ndarray:
    """Return 1.0 (true), 0.0 (false) or NaN (missing) for boolean-like values."""
    s = pd.Series(values)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = s.map(
            lambda v: (
                {"yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0}.get(str(v).lower())
                if isinstance(v, str)
                else v
            )
        )
    return pd.to_numeric(s.astype("Float64"), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )


def describe_rule(
    rule: str, labels: dict[str, str], names: dict[str, str], participant: str = "patient"
) -> str:
    """The derivation rule in words, for the report's methods (cited as [@rodeghiero2009]).

    Parameters
    ----------
    rule : str
        ``iwg2009``.
    labels : dict of str to str
        The rule's inputs (``platelets_baseline``, ``platelets``, ``bleeding``, ``rescue``)
        to the labels of the columns that hold them.
    names : dict of str to str
        Long names of the levels (``CR`` → ``complete response``).
    participant : str, default "patient"
        The study's singular noun for its participants.

    Returns
    -------
    str
        One or two sentences, with the thresholds of this module.
    """
    if rule != "iwg2009":
        raise ValueError(f"unknown derivation rule {rule!r}")
    cr, pr, nr = (names.get(lv, lv) for lv in RESPONSE_LEVELS)
    return (
        f"by the IWG 2009 criteria [@rodeghiero2009], **{cr}** (CR) is a "
        f"{labels['platelets']} ≥ {CR_THRESHOLD} ×10⁹/L without bleeding; **{pr}** (PR) a "
        f"count ≥ {RESPONSE_THRESHOLD} ×10⁹/L and at least twice the "
        f"{labels['platelets_baseline']}, without bleeding; **{nr}** (NR) otherwise. A "
        f"{participant} who needed rescue therapy ({labels['rescue']}) has no response."
    )
