"""The study behind a report: data, validation result, analysed patients and results.

The report documents call :func:`prepare_study` once in their setup cell and read everything
else from the returned :class:`Study` (through :mod:`itp_stats.report.facade`), so the ``.qmd``
cells stay one-liners and no analysis logic lives in a document.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
import platform
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from itp_stats.cohort.computed import add_computed
from itp_stats.cohort.dictionary import Dictionary
from itp_stats.cohort.load import load_cohort
from itp_stats.cohort.source import Source
from itp_stats.config import DEFAULT_COHORT, state_dir
from itp_stats.errors import ItpStatsError
from itp_stats.files import exclusive_lock
from itp_stats.gate.result import code_sha256, read_gate_result, sha256_file
from itp_stats.provenance import collecting, record, recorded, version
from itp_stats.study.config import StudyConfig, load_study
from itp_stats.text import join_words, lower_first
from itp_stats.verified import seal, state_secret

__all__ = [
    "DEFAULT_PARAMS",
    "Study",
    "analysed_mask",
    "is_shipped_cohort",
    "exclusions",
    "flow_table",
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
    "study": "data/study.yaml",
}
"""Report parameters and their defaults (the documents' ``parameters`` cell mirrors these)."""


def _months(value: float) -> str:
    return f"{value:g}"


def is_shipped_cohort(path: str | os.PathLike) -> bool:
    """True when ``path`` has the same bytes as the shipped synthetic ``data/cohort.csv``."""
    return DEFAULT_COHORT.is_file() and sha256_file(path) == sha256_file(DEFAULT_COHORT)


def _followed_too_short(cohort: pd.DataFrame, config: StudyConfig) -> pd.Series:
    """Patients whose follow-up (the design's ``followup_column``) is shorter than its
    ``followup_months``; none when the study gives no follow-up rule."""
    design = config.design
    if not design.followup_column or design.followup_column not in cohort:
        return pd.Series(False, index=cohort.index)
    months = pd.to_numeric(cohort[design.followup_column], errors="coerce")
    return (months < design.followup_months).fillna(False).astype(bool)


def analysed_mask(cohort: pd.DataFrame, config: StudyConfig) -> pd.Series:
    """The patients analysed: a group among the study's levels, and not followed for less
    than the follow-up rule asks (:func:`exclusions` lists the others with their reason)."""
    group = cohort[config.group].astype(object)
    return group.isin(list(config.levels)) & ~_followed_too_short(cohort, config)


def exclusions(cohort: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Patients not analysed, with the reason.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Loaded cohort (with the derived group).
    config : StudyConfig
        The study: its group column, levels and follow-up rule.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``reason``: one row per patient without an analysed group,
        in this order of reasons: follow-up shorter than the study's follow-up time point;
        group not determinable (a derivation input or the recorded group missing); group not
        among the study's levels.
    """
    d, design = config.dictionary, config.design
    group = cohort[config.group]
    if design.derivation is not None:  # a derived group is assessed at follow-up
        follow = lower_first(config.timepoint_label(config.followup))
        inputs = join_words([lower_first(d.label(c)) for c in design.derivation.columns], "or")
        missing_reason = f"group at {follow} not determinable (missing {inputs})"
    else:
        missing_reason = f"no {lower_first(d.label(design.group_column))} recorded"
    reason = pd.Series(missing_reason, index=cohort.index, dtype=object)
    outside = group.notna() & ~group.astype(object).isin(list(config.levels))
    if outside.any():
        reason[outside] = "group not among the study's levels (" + group[outside].astype(str) + ")"
    short = _followed_too_short(cohort, config)
    if short.any():
        months = _months(design.followup_months)
        reason[short.to_numpy(dtype=bool)] = f"followed for less than {months} months"
    # the follow-up rule excludes every patient it names, a group recorded or not
    excluded = group.isna() | outside | short
    id_col = d.id_column
    out = pd.DataFrame({"patient_id": cohort[id_col], "reason": reason})[excluded.to_numpy()]
    return out.reset_index(drop=True)


def participant_flow(cohort: pd.DataFrame, config: StudyConfig) -> dict[str, Any]:
    """Counts of the participant flow diagram (STROBE item 13).

    Parameters
    ----------
    cohort : pandas.DataFrame
        Loaded cohort.
    config : StudyConfig
        The study.

    Returns
    -------
    dict
        ``assessed`` (rows in the file), ``excluded`` (list of ``(reason, n)``), ``analysed``
        and ``groups`` (level → n of analysed patients, every configured level in order,
        empty ones included).
    """
    excluded = exclusions(cohort, config)
    reasons = excluded["reason"].value_counts(sort=False)
    group = cohort[config.group].astype(object)[analysed_mask(cohort, config)]
    counts = group.value_counts()
    groups = {str(lv): int(counts.get(lv, 0)) for lv in config.levels}
    return {
        "assessed": len(cohort),
        "excluded": [(str(r), int(n)) for r, n in reasons.items()],
        "analysed": int(sum(groups.values())),
        "groups": groups,
    }


def flow_table(flow: dict[str, Any]) -> pd.DataFrame:
    """The participant flow as a tidy table for export.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage`` (``in file``, ``excluded``, ``analysed``, ``group``), ``label``
        (the reason or the group) and ``n``.
    """
    rows = [("in file", "", flow["assessed"])]
    rows += [("excluded", reason, n) for reason, n in flow["excluded"]]
    rows.append(("analysed", "", flow["analysed"]))
    rows += [("group", level, n) for level, n in flow["groups"].items()]
    return pd.DataFrame(rows, columns=["stage", "label", "n"])


def package_versions(study: Study | None = None) -> pd.DataFrame:
    """Versions of Python, itp-stats and the packages that computed or drew the report.

    Parameters
    ----------
    study : Study, optional
        Its ``packages`` (recorded while it was computed), the gate's Great Expectations
        version, and what this process recorded since (the figures drawn in a document).

    Returns
    -------
    pandas.DataFrame
        Columns ``package``, ``version``, ``used_for``: a package that only sits in the
        environment is not listed.
    """
    rows = [
        ("python", platform.python_version(), "running the analysis"),
        ("itp-stats", version("itp-stats"), "the analysis plan, tables and sentences"),
    ]
    used: dict[str, set[str]] = {}
    for source in ((study.packages if study is not None else {}), recorded()):
        for name, whats in source.items():
            used.setdefault(name, set()).update(whats)
    gx = getattr(getattr(study, "gate", None), "gx_version", None)
    if gx:
        rows.append(("great-expectations", str(gx), "the validation of the data"))
    for name in sorted(used):
        rows.append((name, version(name), "; ".join(sorted(used[name]))))
    return pd.DataFrame(rows, columns=["package", "version", "used_for"])


@dataclass
class Study:
    """Everything a report shows, computed once.

    Attributes
    ----------
    data_path : Path
        Cohort file (for a database table, its source file): the
        :class:`~itp_stats.cohort.source.Source` the gate validated and the study read.
    sha256 : str
        SHA-256 of the cohort file's bytes, as the Source read them (once).
    synthetic : bool
        Whether the data are synthetic (a cohort ``itp-stats synth`` made, recognised by its
        provenance mark or its bytes, or declared by the ``synthetic`` parameter); the report
        then shows a notice.
    params : dict
        Report parameters.
    config : StudyConfig
        The study configuration.
    cohort : pandas.DataFrame
        Every patient in the file, typed, with the derived columns.
    analysed : pandas.DataFrame
        Patients with a group among the study's levels (the group column an ordered
        categorical of the levels).
    excluded : pandas.DataFrame
        ``patient_id``, ``reason`` of the others.
    flow : dict
        :func:`participant_flow` counts.
    gate : object
        The validation result read from the gate's JSON.
    results : dict of str to pandas.DataFrame
        Result tables of the analysis plan, plus ``flow`` (:func:`flow_table`).
    synthetic_source : str
        Why the data are considered synthetic (empty when they are not).
    provenance : tuple of (str, str)
        What the Source says of itself for the Reproducibility table
        (:meth:`~itp_stats.cohort.source.Source.describe`): for a cohort in a database, its
        URL, table or query and snapshot; empty for a file.
    packages : dict of str to tuple of str
        The packages that computed the results, and what each computed
        (:mod:`itp_stats.provenance`, collected while the study was computed).
    """

    data_path: Path
    sha256: str
    synthetic: bool
    params: dict[str, Any]
    config: StudyConfig
    cohort: pd.DataFrame
    analysed: pd.DataFrame
    excluded: pd.DataFrame
    flow: dict[str, Any]
    gate: Any = None
    results: dict[str, pd.DataFrame] = field(default_factory=dict)
    synthetic_source: str = ""
    provenance: tuple[tuple[str, str], ...] = ()
    packages: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def dictionary(self) -> Dictionary:
        """The data dictionary in use."""
        return self.config.dictionary

    @property
    def group(self) -> str:
        """Column of the analysed groups."""
        return self.config.group

    @property
    def levels(self) -> list[str]:
        """Groups with at least one analysed patient, in display order."""
        return [lv for lv, n in self.flow["groups"].items() if n > 0]

    @property
    def small_groups(self) -> list[tuple[str, int]]:
        """Groups with patients but fewer than 3 (left out of the between-group tests)."""
        return [(lv, n) for lv, n in self.flow["groups"].items() if 0 < n < 3]

    def other_median(self, column: str) -> float:
        """Median of ``column`` in the patients outside the positive group."""
        rest = self.analysed[self.analysed[self.group] != self.config.positive]
        values = pd.to_numeric(rest[column], errors="coerce").astype(float)
        return float(values.median()) if values.notna().any() else float("nan")

    def period(self) -> str:
        """``first to last`` calendar year of the study's period column ('' when none)."""
        column = self.config.period_column
        if not column or column not in self.cohort:
            return ""
        years = pd.to_numeric(self.cohort[column], errors="coerce")
        if not years.notna().any():
            return ""
        first, last = int(years.min()), int(years.max())
        return str(first) if first == last else f"{first} to {last}"


def prepare_study(
    data: str | os.PathLike | None = None,
    *,
    study: str | os.PathLike | None = None,
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
    study : str or path-like, optional
        Study configuration; when missing or the default, ``$ITP_STATS_STUDY`` (set by
        ``-P study=…``) wins, else the shipped ``data/study.yaml``.
    alpha : float
        Significance level; confidence intervals are at ``1 - alpha``.
    adjust : str
        Adjustment within a family of pairwise tests (``holm``, ``bonferroni``, ``bh``…).
    n_boot : int
        Bootstrap resamples for the confidence intervals that need them.
    seed : int
        Seed of every random draw (same seed, same numbers).
    synthetic : bool
        Declare the data synthetic (cohorts made by ``itp-stats synth`` are recognised).
    gate_result : str or path-like, optional
        The gate's JSON; defaults to ``.itp-stats/gate.json``.

    Returns
    -------
    Study
        Loaded data, the gate result, the analysed patients and the result tables of
        :func:`itp_stats.study.plan.run_analysis`.

    Notes
    -----
    The data are opened once as a :class:`~itp_stats.cohort.source.Source`. In a render,
    the gate (a process of its own) has read them and handed its validated bytes over
    (:mod:`itp_stats.cohort.handoff`): while the file is still the one it read, those are
    taken and the file is not read again, so a render reads and hashes the cohort file once
    whatever the number of documents. Otherwise the file's
    bytes are read and hashed once (with its provenance sidecar), compared with the bytes the
    gate validated (the gate runs again in-process, on the same Source, when its stored
    result is not for them) and parsed: what is analysed is what was validated, even when the
    file changes meanwhile. A file too large to hold is streamed again, and refused unless
    its bytes still have the digest; a table's rows are read while their in-database digest
    is that of the snapshot validated. The gate's row count must be the number of rows
    loaded, else its result is not trusted and the gate runs again.

    The study is cached in the state folder (``.itp-stats/study-<key>.pkl``) under a key made
    of the SHA-256 of the bytes read, the dictionary's and the study configuration's, the
    parameters and the package source, and computed under a lock: the report and the
    supplement, rendered in parallel, compute it once, and a re-render of unchanged data and
    code reuses it. Each cache file carries its key and an HMAC-SHA256 of its content, keyed
    by a random secret of the state folder (``.itp-stats/cache.key``, readable by its owner
    only); a file that does not verify (a flipped bit, another key, a truncated write) is
    never unpickled: the study is computed again. The gate result is always read first, so
    bad data are refused whatever is cached.

    Raises
    ------
    GateFailedError
        The cohort fails a critical validation rule: no analysis is run on it.
    CohortReadError
        The data file cannot be read, or changed while it was read.
    StudyConfigError
        The study configuration is missing or inconsistent (before any work).
    """
    if (
        data is not None
        and str(data) == DEFAULT_PARAMS["data"]
        and os.environ.get("ITP_STATS_DATA")
    ):
        data = None  # the render's data (-P data=… or $ITP_STATS_DATA) wins over the default
    if study is not None and str(study) in ("", DEFAULT_PARAMS["study"]):
        study = None  # likewise for the study ($ITP_STATS_STUDY, else the shipped one)
    config = load_study(study)
    # read once: its bytes hashed, and the provenance sidecar with them
    source = _open_source(None if data is None else str(data))
    path, sha, sidecar = source.path, source.sha256, source.sidecar
    gate = read_gate_result(source, result_path=gate_result, study=config.path)
    params = {
        "data": str(path),
        "study": str(config.path),
        "alpha": float(alpha),
        "adjust": str(adjust),
        "n_boot": int(n_boot),
        "seed": int(seed),
        "synthetic": bool(synthetic),
    }
    sidecar_sha = hashlib.sha256(sidecar).hexdigest() if sidecar is not None else ""
    key = _cache_key(sha, gate, params, config, sidecar_sha)
    with exclusive_lock(state_dir() / "study.lock"):  # documents in parallel: computed once
        cached = _load_cached(key)
        if cached is not None and cached.sha256 == sha and cached.params == params:
            if len(cached.cohort) == gate.n_rows:
                cached.gate = gate
                return cached
        # a file's bytes as hashed, or a table's rows while they are the snapshot validated
        cohort = source.load(config.dictionary)
        if len(cohort) != gate.n_rows:
            # the stored result is not of these data: validate them again, never trust it
            gate = read_gate_result(source, result_path=gate_result, study=config.path, force=True)
            if len(cohort) != gate.n_rows:  # pragma: no cover - the gate and loader disagree
                raise ItpStatsError(
                    f"{path}: the validation gate counted {gate.n_rows} rows, the analysis "
                    f"{len(cohort)}; nothing is reported"
                )
        shipped = source.has_bytes_of(DEFAULT_COHORT)
        mark = source.synthetic_mark  # of the bytes read, never of the path again
        result = _compute(path, gate, params, config, cohort, sha, source.describe(), mark, shipped)
        _store_cached(key, result)
    return result


def _open_source(data: str | None) -> Source:
    """The cohort's :class:`~itp_stats.cohort.source.Source`: the bytes the render's gate
    validated and handed over while the file is still the one it read
    (:mod:`itp_stats.cohort.handoff`: the file is not read again), else the file opened
    (read and hashed) once."""
    return Source.open(data, handed_over=True)


def _shipped_rows(cohort: pd.DataFrame, config: StudyConfig) -> bool:
    """Whether ``cohort`` holds exactly the rows of the shipped synthetic cohort.

    In any order, from any file or table: the shipped rows re-saved without their mark (a
    CSV export, a table loaded from the file with no comment) are still synthetic.
    """
    if not DEFAULT_COHORT.is_file():
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a category its dictionary does not list
            shipped = load_cohort(DEFAULT_COHORT, config.dictionary)
    except Exception:  # another study's dictionary does not read the shipped file as it is
        return False
    id_column = config.dictionary.id_column
    same_shape = len(shipped) == len(cohort) and list(shipped.columns) == list(cohort.columns)
    if not same_shape or id_column not in cohort:
        return False

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(id_column, kind="stable").reset_index(drop=True)

    return ordered(shipped).equals(ordered(cohort))


def _synthetic_source(
    path: Path,
    declared: bool,
    sha: str | None = None,
    cohort: pd.DataFrame | None = None,
    config: StudyConfig | None = None,
    mark: str | None = None,
    shipped: bool | None = None,
) -> str:
    """Why the data are synthetic, ``""`` when they are not.

    In this order: the provenance mark ``mark``, taken from the bytes analysed and the
    sidecar read with them (:func:`~itp_stats.cohort.synth.synthetic_mark_of`: the sidecar
    ``itp-stats synth`` wrote, only while its SHA-256 is that of those bytes, ``sha``; else a
    mark inside them or the table's comment), or, without one, from the file at ``path``; the
    bytes of the shipped ``data/cohort.csv``; its rows, typed, in any order; the ``synthetic``
    parameter. A CSV changed after ``itp-stats synth`` wrote it beside its sidecar is
    therefore synthetic only when it still holds the shipped rows or is declared so.
    ``shipped`` says whether the bytes are the shipped file's when the caller knows
    (:meth:`~itp_stats.cohort.source.Source.has_bytes_of`: the shipped file itself is not
    read again).
    """
    if mark is None:
        from itp_stats.cohort.synth import synthetic_mark

        mark = synthetic_mark(path, sha256=sha)
    if mark:
        return mark
    if shipped is None:
        shipped = (
            DEFAULT_COHORT.is_file() and sha == sha256_file(DEFAULT_COHORT)
            if sha is not None
            else is_shipped_cohort(path)
        )
    if shipped:
        return "the shipped synthetic cohort (data/cohort.csv)"
    if cohort is not None and config is not None and _shipped_rows(cohort, config):
        return "the rows of the shipped synthetic cohort (data/cohort.csv)"
    if declared:
        return "declared synthetic (parameter synthetic=true)"
    return ""


def _compute(
    path: Path,
    gate: Any,
    params: dict[str, Any],
    config: StudyConfig,
    cohort: pd.DataFrame | None = None,
    sha: str | None = None,
    provenance: tuple[tuple[str, str], ...] = (),
    mark: str | None = None,
    shipped: bool | None = None,
) -> Study:
    with collecting() as packages:
        record("pandas", "reading and typing the cohort")
        study = _analysed_study(path, gate, params, config, cohort, sha, provenance, mark, shipped)
    study.packages = packages
    return study


def _analysed_study(
    path: Path,
    gate: Any,
    params: dict[str, Any],
    config: StudyConfig,
    cohort: pd.DataFrame | None,
    sha: str | None,
    provenance: tuple[tuple[str, str], ...],
    mark: str | None,
    shipped: bool | None = None,
) -> Study:
    from itp_stats.study.plan import run_analysis

    if cohort is None:
        cohort = load_cohort(path, config.dictionary)
    source = _synthetic_source(path, params["synthetic"], sha, cohort, config, mark, shipped)
    # computed markers, from the recorded columns the gate has validated
    cohort = add_computed(cohort, config.dictionary)
    group = config.group
    if config.design.recode:  # recorded values counted as a level (group.recode)
        cohort[group] = cohort[group].astype(object).replace(dict(config.design.recode))
    cohort[group] = pd.Categorical(
        cohort[group].astype(object).where(cohort[group].astype(object).isin(config.levels)),
        categories=list(config.levels),
        ordered=True,
    )
    analysed = cohort[analysed_mask(cohort, config)].reset_index(drop=True)
    results = run_analysis(
        analysed,
        markers=list(config.markers),
        continuous=list(config.continuous),
        categorical=list(config.categorical),
        group=group,
        levels=list(config.levels),
        timepoints=config.timepoints,
        positive=config.positive,
        responders=list(config.responders),
        ordered=config.ordered,
        family=list(config.family),
        predictors=[p.as_plan() for p in config.predictors],
        alpha=params["alpha"],
        n_boot=params["n_boot"],
        seed=params["seed"],
        pairwise_adjust=params["adjust"],
    )
    if config.endpoints:  # time to event: only a study that configures it has these tables
        from itp_stats.study.survival import run_survival

        results.update(
            run_survival(
                analysed,
                config.endpoints,
                group=group,
                ordered=config.ordered,
                conf_level=1 - params["alpha"],
            )
        )
    flow = participant_flow(cohort, config)
    results["flow"] = flow_table(flow)
    return Study(
        data_path=path,
        sha256=sha or gate.data_sha256 or sha256_file(path),
        synthetic=bool(source),
        params=params,
        config=config,
        cohort=cohort,
        analysed=analysed,
        excluded=exclusions(cohort, config),
        flow=flow,
        gate=gate,
        results=results,
        synthetic_source=source,
        provenance=provenance,
    )


_KEEP_CACHED = 4
"""Most cached studies kept in the state folder."""


def _cache_key(
    sha: str, gate: Any, params: dict[str, Any], config: StudyConfig, sidecar: str = ""
) -> str:
    parts = {
        "data_sha256": sha,
        "sidecar_sha256": sidecar,
        "dictionary_sha256": gate.dictionary_sha256,
        "study_sha256": config.sha256,
        "dictionary_file_sha256": sha256_file(config.dictionary.path),
        "params": params,
        "code": code_sha256(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


_CACHE_MAGIC = b"itp-stats/study-cache/2\n"
"""First line of a cache file; then one JSON header line (``key``, ``bytes``, ``hmac``), then
the pickled :class:`Study`."""


def _load_cached(key: str) -> Study | None:
    """The cached study of ``key`` when its file verifies, else None (never raises).

    The file must start with the cache's magic line, name ``key``, hold as many bytes as it
    says and carry the HMAC of ``key`` and those bytes: only then is it unpickled.
    """
    secret = state_secret(state_dir(), create=False)
    if secret is None:
        return None
    path = state_dir() / f"study-{key}.pkl"
    try:
        blob = path.read_bytes()
        if not blob.startswith(_CACHE_MAGIC):
            return None
        end = blob.index(b"\n", len(_CACHE_MAGIC))
        header = json.loads(blob[len(_CACHE_MAGIC) : end].decode("ascii"))
        payload = blob[end + 1 :]
        if not isinstance(header, dict) or header.get("key") != key:
            return None
        if header.get("bytes") != len(payload):
            return None
        mac = header.get("hmac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, seal(secret, key, payload)):
            return None
        study = pickle.loads(payload)
    except Exception:  # unreadable, malformed or not verifying: computed again
        return None
    return study if isinstance(study, Study) else None


def _store_cached(key: str, study: Study) -> None:
    """Cache ``study`` under ``key`` (atomically); a cache that cannot be written is skipped."""
    folder = state_dir()
    secret = state_secret(folder, create=True)
    if secret is None:
        return
    try:
        payload = pickle.dumps(study, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    header = {"key": key, "bytes": len(payload), "hmac": seal(secret, key, payload)}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".study-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_CACHE_MAGIC + json.dumps(header).encode("ascii") + b"\n")
            handle.write(payload)
        os.replace(tmp, folder / f"study-{key}.pkl")
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return
    for leftover in folder.glob(".study-*"):  # temporary files of killed renders
        if leftover.name != Path(tmp).name:
            leftover.unlink(missing_ok=True)
    old = sorted(folder.glob("study-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in old[_KEEP_CACHED:]:
        stale.unlink(missing_ok=True)
