"""The study behind a report: data, validation result, analysed patients and results.

The report documents call :func:`prepare_study` once in their setup cell and read everything
else from the returned :class:`Study` (through :mod:`itp_stats.report`), so the ``.qmd``
cells stay one-liners and no analysis logic lives in a document.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from itp_stats.config import DEFAULT_COHORT
from itp_stats.dictionary import Dictionary, load_dictionary
from itp_stats.gate.result import read_gate_result, sha256_file
from itp_stats.load import load_cohort

__all__ = [
    "DEFAULT_PARAMS",
    "Study",
    "MARKER_FAMILY",
    "TABLE1_CATEGORICAL",
    "TABLE1_CONTINUOUS",
    "is_shipped_cohort",
    "exclusions",
    "participant_flow",
    "package_versions",
    "prepare_study",
]

DEFAULT_PARAMS: dict[str, Any] = {
    "data": "data/cohort.csv",
    "alpha": 0.05,
    "adjust": "holm",
    "n_boot": 2000,
    "seed": 20230601,
    "synthetic": False,
}
"""Report parameters and their defaults (the documents' ``parameters`` cell mirrors these)."""

_VERSIONED = (
    "itp-stats",
    "pandas",
    "numpy",
    "scipy",
    "pingouin",
    "matplotlib",
    "great-expectations",
    "nbclient",
    "pypandoc-binary",
    "typst",
)


def is_shipped_cohort(path: str | os.PathLike) -> bool:
    """True when ``path`` has the same bytes as the shipped synthetic ``data/cohort.csv``."""
    return DEFAULT_COHORT.is_file() and sha256_file(path) == sha256_file(DEFAULT_COHORT)


def exclusions(cohort: pd.DataFrame, group: str = "response_iwg") -> pd.DataFrame:
    """Patients not analysed, with the reason.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Loaded cohort (with the derived response).
    group : str
        Response column defining the analysed groups.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``reason``: one row per patient whose 6-month response is
        unknown — ``follow-up shorter than 6 months`` or ``6-month response not assessable
        (missing platelet count, bleeding or rescue status)``.
    """
    missing = cohort[group].isna()
    short = pd.to_numeric(cohort.get("followup_months"), errors="coerce") < 6
    reason = pd.Series(
        "6-month response not assessable (missing platelet count, bleeding or rescue status)",
        index=cohort.index,
    ).where(~short.fillna(False), "follow-up shorter than 6 months")
    out = pd.DataFrame({"patient_id": cohort["patient_id"], "reason": reason})[missing]
    return out.reset_index(drop=True)


def participant_flow(cohort: pd.DataFrame, group: str = "response_iwg") -> dict[str, Any]:
    """Counts of the participant flow diagram (STROBE item 13).

    Parameters
    ----------
    cohort : pandas.DataFrame
        Loaded cohort.
    group : str
        Response column defining the analysed groups.

    Returns
    -------
    dict
        ``assessed`` (rows in the file), ``excluded`` (list of ``(reason, n)``), ``analysed``
        and ``groups`` (response level → n, in level order).
    """
    excluded = exclusions(cohort, group)
    reasons = excluded["reason"].value_counts(sort=False)
    counts = cohort[group].value_counts(sort=False)
    column = cohort[group]
    is_cat = isinstance(column.dtype, pd.CategoricalDtype)
    levels = list(column.cat.categories) if is_cat else list(counts.index)
    return {
        "assessed": len(cohort),
        "excluded": [(str(r), int(n)) for r, n in reasons.items()],
        "analysed": int(cohort[group].notna().sum()),
        "groups": {str(level): int(counts.get(level, 0)) for level in levels},
    }


def package_versions() -> pd.DataFrame:
    """Versions of Python and of the packages that produce the report.

    Returns
    -------
    pandas.DataFrame
        Columns ``package``, ``version``.
    """
    rows = [("python", platform.python_version())]
    for name in _VERSIONED:
        try:
            rows.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"])


@dataclass
class Study:
    """Everything a report shows, computed once.

    Attributes
    ----------
    data_path : Path
        Cohort file.
    sha256 : str
        SHA-256 of the cohort file.
    synthetic : bool
        Whether the data are synthetic (the shipped cohort, or declared by the ``synthetic``
        parameter); the report then shows a notice.
    params : dict
        Report parameters.
    dictionary : Dictionary
        Data dictionary.
    cohort : pandas.DataFrame
        Every patient in the file, typed, with the derived columns.
    analysed : pandas.DataFrame
        Patients with a 6-month response.
    excluded : pandas.DataFrame
        ``patient_id``, ``reason`` of the others.
    gate : object
        The validation result read from the gate's JSON.
    results : dict of str to pandas.DataFrame
        Result tables of the analysis plan.
    """

    data_path: Path
    sha256: str
    synthetic: bool
    params: dict[str, Any]
    dictionary: Dictionary
    cohort: pd.DataFrame
    analysed: pd.DataFrame
    excluded: pd.DataFrame
    gate: Any = None
    results: dict[str, pd.DataFrame] = field(default_factory=dict)

    group: str = "response_iwg"

    @property
    def levels(self) -> list[str]:
        """Response groups, in display order."""
        return [str(c) for c in self.analysed[self.group].cat.categories]


def _marker_family(dictionary: Dictionary) -> list[str]:
    counts = list(dictionary.markers)
    pcts = [f"pct_{m.name}" for m in dictionary.markers.values() if m.parent]
    return counts + pcts


MARKER_FAMILY = _marker_family(load_dictionary())
"""Markers analysed, in display order: counts (``nk``), then percentages (``pct_nk``)."""

TABLE1_CONTINUOUS = ["age_years", "itp_duration_months", "prior_lines", "platelets_m0"]
TABLE1_CATEGORICAL = ["sex", "itp_phase", "prior_splenectomy", "rtx_regimen", "bleeding_m0"]


def prepare_study(
    data: str | os.PathLike | None = None,
    *,
    alpha: float = 0.05,
    adjust: str = "holm",
    n_boot: int = 2000,
    seed: int = 20230601,
    synthetic: bool = False,
    gate_result: str | os.PathLike | None = None,
) -> Study:
    """Validate-check, load and analyse a cohort: everything a report shows.

    Parameters
    ----------
    data : str or path-like, optional
        Cohort file. When missing or the default ``data/cohort.csv``, ``$ITP_STATS_DATA`` (set
        by ``itp-stats render -P data=…``) wins. Relative paths are resolved against the
        project root.
    alpha : float
        Significance level; confidence intervals are at ``1 - alpha``.
    adjust : str
        Adjustment within a family of pairwise tests (``holm``, ``bonferroni``, ``bh``…).
    n_boot : int
        Bootstrap resamples for the confidence intervals that need them.
    seed : int
        Seed of every random draw (same seed, same numbers).
    synthetic : bool
        Declare the data synthetic (the shipped cohort is recognised by its bytes).
    gate_result : str or path-like, optional
        The gate's JSON; defaults to ``.itp-stats/gate.json``.

    Returns
    -------
    Study
        Loaded data, the gate result, the analysed patients and the result tables of
        :func:`itp_stats.analysis.run_analysis`.

    Raises
    ------
    GateFailedError
        The cohort fails a critical validation rule: no analysis is run on it.
    """
    from itp_stats.analysis import run_analysis
    from itp_stats.gate.result import resolve_data_path

    if (
        data is not None
        and str(data) == DEFAULT_PARAMS["data"]
        and os.environ.get("ITP_STATS_DATA")
    ):
        data = None  # the render's data (-P data=… or $ITP_STATS_DATA) wins over the default
    path = resolve_data_path(None if data is None else str(data))
    gate = read_gate_result(path, result_path=gate_result)
    dictionary = load_dictionary()
    cohort = load_cohort(path, dictionary)
    group = "response_iwg"
    analysed = cohort[cohort[group].notna()].reset_index(drop=True)
    params = {
        "data": str(path),
        "alpha": float(alpha),
        "adjust": str(adjust),
        "n_boot": int(n_boot),
        "seed": int(seed),
        "synthetic": bool(synthetic),
    }
    results = run_analysis(
        analysed,
        markers=MARKER_FAMILY,
        continuous=TABLE1_CONTINUOUS,
        categorical=TABLE1_CATEGORICAL,
        group=group,
        alpha=alpha,
        n_boot=n_boot,
        seed=seed,
        pairwise_adjust=adjust,
    )
    return Study(
        data_path=path,
        sha256=gate.data_sha256 or sha256_file(path),
        synthetic=bool(synthetic) or is_shipped_cohort(path),
        params=params,
        dictionary=dictionary,
        cohort=cohort,
        analysed=analysed,
        excluded=exclusions(cohort, group),
        gate=gate,
        results=results,
        group=group,
    )
