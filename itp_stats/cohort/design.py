"""The data side of a study configuration: which dictionary, which group, which time points.

A study configuration (``data/study.yaml`` for the shipped study) is one YAML file. Its
``dictionary``, ``group`` and ``timepoints`` sections say what the data model needs: the data
dictionary in use, the group column (recorded, or derived from named columns by a rule of this
package) and the baseline/follow-up time points with the follow-up exclusion. They are read
here, in the cohort layer, because the loader derives the group and the validation gate checks
it. The analysis sections of the same file are read by :mod:`itp_stats.study.config`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from itp_stats.cohort.dictionary import Dictionary, load_dictionary, yaml_reason
from itp_stats.cohort.endpoints import Endpoint, read_endpoints
from itp_stats.cohort.participants import DEFAULT_PARTICIPANTS, Participants, read_participants
from itp_stats.config import DEFAULT_STUDY
from itp_stats.errors import StudyConfigError

__all__ = [
    "DERIVATION_RULES",
    "Derivation",
    "Design",
    "GROUP_WHEN",
    "load_data_model",
    "read_study_file",
    "resolve_study_path",
]

DERIVATION_RULES: dict[str, dict[str, Any]] = {
    "iwg2009": {
        "inputs": ("platelets_baseline", "platelets", "bleeding", "rescue"),
        "levels": ("CR", "PR", "NR"),
        "description": "IWG 2009 response criteria (Rodeghiero, Blood 2009)",
        "function": "itp_stats.cohort.iwg:iwg_response",
        "check": "as derived from platelets, bleeding and rescue therapy (CR ≥ 100; PR ≥ 30 "
        "and ≥ 2× baseline; bleeding or rescue is NR)",
    },
}
"""Group derivations the package knows.

Per rule: ``inputs`` (named inputs, in the order ``function`` takes them), ``levels`` (what it
produces, in order), ``description``, ``function`` (``module:name`` of the function computing
it, called by :func:`itp_stats.cohort.load.derive`) and ``check`` (how the gate's consistency
rule describes it, after the recorded column's label).
"""


@dataclass(frozen=True)
class Derivation:
    """A group computed from other columns.

    Attributes
    ----------
    rule : str
        Key of :data:`DERIVATION_RULES` (``iwg2009``).
    into : str
        Name of the derived column (never read from the file).
    inputs : dict of str to str
        The rule's named inputs mapped to file columns.
    """

    rule: str
    into: str
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """File columns the derivation reads, in the rule's input order."""
        return tuple(self.inputs[k] for k in DERIVATION_RULES[self.rule]["inputs"])


@dataclass(frozen=True)
class Design:
    """What the data model needs from the study configuration.

    Attributes
    ----------
    path : Path or None
        The study configuration file.
    group_column : str
        The recorded group column.
    derivation : Derivation or None
        How the analysed group is derived (the recorded column is checked against it).
    levels : tuple of str
        Group levels in display order.
    baseline : str
        Baseline time point code.
    followup : str or None
        Follow-up time point code; ``None`` in a study of one time point (cross-sectional:
        no follow-up exclusion, no change from baseline).
    followup_months : float or None
        Minimum follow-up for a patient to be analysed.
    followup_column : str or None
        Column holding each patient's follow-up in months.
    followup_window : float
        Months before ``followup_months`` in which the follow-up visit may fall (the gate
        accepts values at the follow-up time point from ``followup_months - followup_window``
        months of follow-up on); 0 by default.
    group_when : {"followup", "end_of_followup", "baseline"}
        When the group was assessed: at the follow-up time point (default with a follow-up
        time point), as the status at the end of each patient's follow-up (a recorded
        outcome such as alive, dead), or at the baseline time point (default without a
        follow-up time point).
    recode : tuple of (str, str)
        Recorded values of the group column counted as a level (``("transplanted",
        "alive")``): merges levels without a new column; empty by default.
    participants : Participants
        The study's noun for its participants (``patient``/``patients`` by default), which
        the gate's rules and the documents use.
    study_name : str
        The study's ``name`` (its file's stem when it has none): with the dictionary's
        ``name``, it names the gate's stored suite, so that studies sharing a dictionary keep
        suites of their own.
    endpoints : tuple of Endpoint
        The study's time-to-event endpoints (its ``time_to_event`` section); none by default.
    """

    path: Path | None
    group_column: str
    derivation: Derivation | None
    levels: tuple[str, ...]
    baseline: str
    followup: str | None
    followup_months: float | None = None
    followup_column: str | None = None
    followup_window: float = 0.0
    group_when: str = "followup"
    recode: tuple[tuple[str, str], ...] = ()
    participants: Participants = DEFAULT_PARTICIPANTS
    study_name: str = ""
    endpoints: tuple[Endpoint, ...] = ()

    @property
    def analysed_group(self) -> str:
        """Column defining the analysed groups: the derived one when there is a derivation."""
        return self.derivation.into if self.derivation else self.group_column


GROUP_WHEN = ("followup", "end_of_followup", "baseline")
"""When a group can be assessed (the study's ``group.when``): at the follow-up time point, as
each patient's status at the end of follow-up, or at the baseline time point."""


def _recode(path, raw, levels, recorded, derivation) -> tuple[tuple[str, str], ...]:
    """``group.recode``: recorded values of the group column counted as one of the levels."""
    if raw is None or raw == {}:
        return ()
    if not isinstance(raw, dict):
        raise _fail(
            path, "group.recode", "expected a mapping of recorded values to levels "
            "(transplanted: alive)"
        )  # fmt: skip
    if derivation is not None:
        raise _fail(path, "group.recode", "not with derive: the rule gives the groups")
    if any(isinstance(v, bool) for pair in raw.items() for v in pair):
        raise _fail(
            path, "group.recode", "yes, no, on and off must be quoted ('yes', 'no'): YAML "
            "reads them unquoted as true and false"
        )  # fmt: skip
    pairs = tuple((str(k), str(v)) for k, v in raw.items())
    unknown = [k for k, _ in pairs if recorded.categories and k not in recorded.categories]
    if unknown:
        raise _fail(
            path, "group.recode", f"{', '.join(unknown)} not among the categories of "
            f"{recorded.name!r}"
        )  # fmt: skip
    outside = [v for _, v in pairs if v not in levels]
    if outside:
        raise _fail(path, "group.recode", f"{', '.join(outside)} not among the levels")
    both = [k for k, _ in pairs if k in levels]
    if both:
        raise _fail(
            path, "group.recode", f"{', '.join(both)} is a level itself: leave it out of "
            "group.levels to count it as another"
        )  # fmt: skip
    return pairs


def resolve_study_path(study: str | os.PathLike | None = None) -> Path:
    """The study configuration in use: ``study``, else ``$ITP_STATS_STUDY``, else the shipped one.

    Relative paths are resolved against the project root.
    """
    from itp_stats.config import project_root

    chosen = study if study not in (None, "") else os.environ.get("ITP_STATS_STUDY") or None
    if chosen is None:
        return DEFAULT_STUDY
    path = Path(chosen).expanduser()
    return path if path.is_absolute() else (project_root() / path).resolve()


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StudyConfigError(
            f"{path}: cannot read the study configuration ({exc.strerror})"
        ) from None
    except yaml.YAMLError as exc:
        raise StudyConfigError(f"{path}: not valid YAML ({yaml_reason(exc)})") from None
    if not isinstance(raw, dict):
        raise StudyConfigError(f"{path}: expected a mapping of study settings")
    return raw


def read_study_file(path: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
    """Read a study configuration file as a mapping (see :func:`resolve_study_path`).

    Raises
    ------
    StudyConfigError
        The file is missing, not YAML or not a mapping.
    """
    resolved = resolve_study_path(path)
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise StudyConfigError(
            f"{resolved}: cannot read the study configuration ({exc.strerror})"
        ) from None
    return resolved, _read(resolved, mtime)


def _fail(path: Path, key: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{path}: {key}: {message}")


def _design(path: Path, raw: dict[str, Any], dictionary: Dictionary) -> Design:
    group = raw.get("group")
    if not isinstance(group, dict):
        raise _fail(path, "group", "missing (a mapping with at least 'column')")
    column = group.get("column")
    if not column:
        raise _fail(path, "group.column", "missing: name the recorded group column")
    if not isinstance(column, str) or column not in dictionary.columns:
        raise _fail(path, "group.column", f"{column!r} is not a column of {dictionary.path}")
    derivation = None
    derive = group.get("derive")
    if derive is not None:
        if not isinstance(derive, dict) or str(derive.get("rule")) not in DERIVATION_RULES:
            known = ", ".join(DERIVATION_RULES)
            raise _fail(path, "group.derive.rule", f"unknown rule (known: {known})")
        spec = DERIVATION_RULES[derive["rule"]]
        inputs = {}
        for key in spec["inputs"]:
            name = derive.get(key)
            if not name:
                raise _fail(path, f"group.derive.{key}", "missing: name the column")
            if not isinstance(name, str) or name not in dictionary.columns:
                raise _fail(
                    path, f"group.derive.{key}", f"{name!r} is not a column of {dictionary.path}"
                )
            inputs[key] = str(name)
        into = str(derive.get("into") or f"{column}_derived")
        if into in dictionary.columns:
            raise _fail(path, "group.derive.into", f"{into!r} is a column of the file")
        derivation = Derivation(rule=derive["rule"], into=into, inputs=inputs)
    recorded = dictionary.columns[column]
    default_levels = (
        DERIVATION_RULES[derivation.rule]["levels"] if derivation else recorded.categories
    )
    given = group.get("levels")
    if given is not None and not isinstance(given, list):
        raise _fail(path, "group.levels", "expected a list of group names, in display order")
    if given and any(isinstance(v, bool) for v in given):
        raise _fail(
            path, "group.levels", "yes, no, on and off must be quoted ('yes', 'no'): YAML reads "
            "them unquoted as true and false"
        )  # fmt: skip
    levels = tuple(str(v) for v in (given or default_levels))
    if len(set(levels)) != len(levels):
        raise _fail(path, "group.levels", "a group is listed twice")
    if len(levels) < 2:
        raise _fail(path, "group.levels", "at least two groups are needed")
    if recorded.categories and set(levels) - set(recorded.categories):
        extra = ", ".join(sorted(set(levels) - set(recorded.categories)))
        raise _fail(path, "group.levels", f"{extra} not among the categories of {column!r}")
    if derivation and set(levels) != set(default_levels):
        raise _fail(
            path,
            "group.levels",
            f"the {derivation.rule} rule gives {', '.join(default_levels)}",
        )
    recode = _recode(path, group.get("recode"), levels, recorded, derivation)
    tps = raw.get("timepoints")
    if not isinstance(tps, dict):
        raise _fail(path, "timepoints", "missing (baseline and followup codes)")
    for key in ("baseline", "followup"):
        code = tps.get(key)
        if code is None and key == "followup":
            continue  # one time point: a cross-sectional study
        if code is None:
            raise _fail(path, f"timepoints.{key}", "missing")
        if str(code) not in dictionary.timepoints:
            known = ", ".join(dictionary.timepoints)
            raise _fail(
                path, f"timepoints.{key}", f"{code!r} is not a time point of the dictionary "
                f"({known})"
            )  # fmt: skip
    followup = None if tps.get("followup") is None else str(tps["followup"])
    if str(tps["baseline"]) == followup:
        raise _fail(path, "timepoints", "baseline and followup must differ")
    if followup is None:  # no follow-up time point: no follow-up exclusion either
        given = [k for k in ("followup_months", "followup_column", "followup_window") if k in tps]
        if given:
            raise _fail(
                path,
                f"timepoints.{given[0]}",
                "needs timepoints.followup (a study of one time point has no follow-up exclusion)",
            )
    months = tps.get("followup_months")
    fcol = tps.get("followup_column")
    if (months is None) != (fcol is None):
        raise _fail(path, "timepoints", "give followup_months and followup_column together")
    if fcol is not None and (not isinstance(fcol, str) or fcol not in dictionary.columns):
        raise _fail(
            path, "timepoints.followup_column", f"{fcol!r} is not a column of {dictionary.path}"
        )
    if fcol is not None and not dictionary.columns[fcol].is_numeric:
        raise _fail(path, "timepoints.followup_column", f"{fcol!r} is not a numeric column")
    if months is not None:
        try:
            months = float(months)
        except (TypeError, ValueError):
            raise _fail(path, "timepoints.followup_months", "must be a number") from None
        if months <= 0:
            raise _fail(path, "timepoints.followup_months", "must be positive")
    window = tps.get("followup_window", 0)
    if window not in (0, None) and months is None:
        raise _fail(path, "timepoints.followup_window", "needs followup_months and followup_column")
    try:
        window = float(window or 0)
    except (TypeError, ValueError):
        raise _fail(path, "timepoints.followup_window", "must be a number of months") from None
    if window < 0 or (months is not None and window >= months):
        raise _fail(
            path, "timepoints.followup_window", "must be 0 or more and less than followup_months"
        )
    when = str(group.get("when") or ("followup" if followup else "baseline"))
    if when not in GROUP_WHEN:
        raise _fail(path, "group.when", f"{when!r} is not one of {', '.join(GROUP_WHEN)}")
    if when == "followup" and followup is None:
        raise _fail(
            path,
            "group.when",
            "'followup' needs timepoints.followup; a study of one time point has its group "
            "at baseline or at the end of follow-up",
        )
    if when != "followup" and derivation is not None:
        raise _fail(path, "group.when", "a derived group is assessed at the follow-up time point")
    return Design(
        path=path,
        group_when=when,
        group_column=str(column),
        derivation=derivation,
        levels=levels,
        baseline=str(tps["baseline"]),
        followup=followup,
        followup_months=months,
        followup_column=None if fcol is None else str(fcol),
        followup_window=window,
        recode=recode,
        participants=read_participants(path, raw.get("participants")),
        study_name=str(raw.get("name") or path.stem),
        endpoints=read_endpoints(path, raw.get("time_to_event"), dictionary, levels),
    )


def load_data_model(study: str | os.PathLike | None = None) -> Dictionary:
    """The data dictionary named by a study configuration, with the study's design attached.

    Parameters
    ----------
    study : str or path-like, optional
        Study configuration (see :func:`resolve_study_path`).

    Returns
    -------
    Dictionary
        The dictionary, its ``design`` set (:class:`Design`).

    Raises
    ------
    StudyConfigError
        The configuration is missing, malformed or disagrees with its dictionary (the message
        names the file and the key).
    DictionaryError
        The dictionary it names is malformed.
    """
    path, raw = read_study_file(study)
    name = raw.get("dictionary")
    if not name:
        raise _fail(path, "dictionary", "missing: name the data dictionary file")
    dict_path = Path(str(name)).expanduser()
    if not dict_path.is_absolute():
        dict_path = (path.parent / dict_path).resolve()
    if not dict_path.is_file():
        raise _fail(path, "dictionary", f"{dict_path} does not exist")
    dictionary = load_dictionary(dict_path)
    return replace(dictionary, design=_design(path, raw, dictionary))
