"""The study behind a report: data, validation result, analysed patients and results.

The report documents call :func:`prepare_study` once in their setup cell and read everything
else from the returned :class:`Study` (through :mod:`itp_stats.report.facade`), so the ``.qmd``
cells stay one-liners and no analysis logic lives in a document.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import pickle
import platform
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from itp_stats.cohort.dictionary import Dictionary, load_dictionary
from itp_stats.cohort.load import load_cohort
from itp_stats.config import DEFAULT_COHORT, state_dir
from itp_stats.gate.result import code_sha256, read_gate_result, sha256_file

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
        :func:`itp_stats.study.plan.run_analysis`.

    Notes
    -----
    The study is cached in the state folder (``.itp-stats/study-<key>.pkl``) under a key made
    of the data file's SHA-256, the dictionary's, the parameters and the package source, and
    computed under a lock: the report and the supplement, rendered in parallel, compute it
    once, and a re-render of unchanged data and code reuses it. The gate result is always
    read first, so bad data are refused whatever is cached.

    Raises
    ------
    GateFailedError
        The cohort fails a critical validation rule: no analysis is run on it.
    """
    from itp_stats.gate.result import resolve_data_path

    if (
        data is not None
        and str(data) == DEFAULT_PARAMS["data"]
        and os.environ.get("ITP_STATS_DATA")
    ):
        data = None  # the render's data (-P data=… or $ITP_STATS_DATA) wins over the default
    path = resolve_data_path(None if data is None else str(data))
    gate = read_gate_result(path, result_path=gate_result)
    params = {
        "data": str(path),
        "alpha": float(alpha),
        "adjust": str(adjust),
        "n_boot": int(n_boot),
        "seed": int(seed),
        "synthetic": bool(synthetic),
    }
    key = _cache_key(gate, params)
    with _locked(state_dir() / "study.lock"):
        cached = _load_cached(key)
        if cached is not None:
            cached.gate = gate
            return cached
        study = _compute(path, gate, params)
        _store_cached(key, study)
    return study


def _compute(path: Path, gate: Any, params: dict[str, Any]) -> Study:
    from itp_stats.study.plan import run_analysis

    dictionary = load_dictionary()
    cohort = load_cohort(path, dictionary)
    group = "response_iwg"
    analysed = cohort[cohort[group].notna()].reset_index(drop=True)
    results = run_analysis(
        analysed,
        markers=MARKER_FAMILY,
        continuous=TABLE1_CONTINUOUS,
        categorical=TABLE1_CATEGORICAL,
        group=group,
        alpha=params["alpha"],
        n_boot=params["n_boot"],
        seed=params["seed"],
        pairwise_adjust=params["adjust"],
    )
    return Study(
        data_path=path,
        sha256=gate.data_sha256 or sha256_file(path),
        synthetic=params["synthetic"] or is_shipped_cohort(path),
        params=params,
        dictionary=dictionary,
        cohort=cohort,
        analysed=analysed,
        excluded=exclusions(cohort, group),
        gate=gate,
        results=results,
        group=group,
    )


_KEEP_CACHED = 4
"""Most cached studies kept in the state folder."""


def _cache_key(gate: Any, params: dict[str, Any]) -> str:
    parts = {
        "data_sha256": gate.data_sha256,
        "dictionary_sha256": gate.dictionary_sha256,
        "params": params,
        "code": code_sha256(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(path: Path):
    """Exclusive lock, so documents rendered in parallel compute the study once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load_cached(key: str) -> Study | None:
    path = state_dir() / f"study-{key}.pkl"
    try:
        with open(path, "rb") as handle:
            study = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return study if isinstance(study, Study) else None


def _store_cached(key: str, study: Study) -> None:
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".study-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(study, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"study-{key}.pkl")
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return
    old = sorted(folder.glob("study-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in old[_KEEP_CACHED:]:
        stale.unlink(missing_ok=True)
