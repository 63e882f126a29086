"""The study configuration: what the report analyses, read from one YAML file.

The shipped study is ``data/study.yaml``; another is chosen with ``-P study=FILE`` (render,
both engines) or ``--study FILE`` (validate, gate, render). The file's data sections
(``dictionary``, ``group``, ``timepoints``) are read by :mod:`itp_stats.cohort.design`; this
module reads the whole file into a :class:`StudyConfig` and checks it against the dictionary
before any work, so a missing or inconsistent key is refused with the file and the key named.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itp_stats.cohort.design import Design, load_data_model, read_study_file
from itp_stats.cohort.dictionary import Dictionary
from itp_stats.cohort.endpoints import positive_per
from itp_stats.cohort.participants import Participants
from itp_stats.config import REFERENCES
from itp_stats.errors import StudyConfigError
from itp_stats.study.bibliography import check_citations, resolve_bibliography
from itp_stats.study.parameters import PLANNED_DEFAULTS, planned_parameters

__all__ = ["DIRECTIONS", "Author", "Predictor", "StudyConfig", "load_study"]

DIRECTIONS = ("lower", "higher", "auto")
"""How a predictor relates to the positive group: lower or higher values in it, or ``auto``."""


@dataclass(frozen=True)
class Predictor:
    """A baseline column predicting the positive group (ROC, Youden cutoff, logistic OR).

    Attributes
    ----------
    column : str
        File column.
    direction : {"lower", "higher", "auto"}
        Pre-specified relation (lower or higher values in the positive group) or ``auto``.
    per : float
        Unit of the odds ratio (e.g. per 100 cells/µL).
    label, unit : str
        From the dictionary.
    adjust_for : tuple of str
        Covariates of the adjusted logistic model (empty: no adjusted model).
    """

    column: str
    direction: str
    per: float
    label: str
    unit: str
    adjust_for: tuple[str, ...] = ()

    def as_plan(self) -> dict[str, Any]:
        """The mapping :func:`itp_stats.study.plan.run_analysis` takes."""
        return {
            "column": self.column,
            "direction": self.direction,
            "per": self.per,
            "adjust_for": list(self.adjust_for),
        }


@dataclass(frozen=True)
class Author:
    """An author of the study's documents (the title page, the PDF and DOCX properties).

    Attributes
    ----------
    name : str
        As printed ("A. Author").
    affiliations : tuple of str
        Institutions, in order (may be empty).
    """

    name: str
    affiliations: tuple[str, ...] = ()


def _authors(path: Path, raw: Any) -> tuple[Author, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(path, "authors", "expected a list of names or of {name, affiliations}")
    authors = []
    for i, entry in enumerate(raw):
        key = f"authors[{i}]"
        if isinstance(entry, str) and entry.strip():
            authors.append(Author(entry.strip()))
            continue
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise _fail(path, key, "expected a name, or a mapping with a `name`")
        places = entry.get("affiliations", entry.get("affiliation")) or []
        places = [places] if isinstance(places, str) else places
        if not isinstance(places, list) or not all(isinstance(a, str) for a in places):
            raise _fail(path, f"{key}.affiliations", "expected a list of institutions")
        authors.append(Author(str(entry["name"]).strip(), tuple(a.strip() for a in places)))
    return tuple(authors)


def _words(path: Path, raw: Any, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str) or not isinstance(raw, list):
        raise _fail(path, key, "expected a list of words or phrases")
    return tuple(str(w).strip() for w in raw if str(w).strip())


@dataclass(frozen=True)
class StudyConfig:
    """A study: the data model and the analysis plan's choices.

    Attributes
    ----------
    path : Path
        The configuration file.
    sha256 : str
        SHA-256 of its bytes (part of the cache key and of the Reproducibility section).
    name, title, population : str
        Study name, report title and who was studied (used in the report's sentences).
    dictionary : Dictionary
        The data dictionary it names, with :attr:`design` attached.
    levels : tuple of str
        Group levels in display order.
    group_names : dict of str to str
        Level → long name (``CR`` → ``complete response``); the level itself when not given.
    ordered : bool
        Whether the levels are ordered (trend test).
    positive : str
        The group contrasted with the others and predicted.
    responders : tuple of str
        Groups counted as responders in the sensitivity analysis.
    markers : tuple of str
        Analysed markers in display order: counts (``nk``) then percentages (``pct_nk``).
    family : tuple of str
        Markers adjusted together by Benjamini–Hochberg.
    predictors : tuple of Predictor
        Predictors of the positive group; the first is the primary one.
    continuous, categorical : tuple of str
        Table 1 covariates.
    highlight_baseline, highlight_change : tuple of str
        Markers the summary reports at baseline and for the change.
    period_column : str or None
        Column of the calendar year of inclusion (the summary's period), when given.
    background : str
        The summary's Background paragraph: the study's own words, Markdown with
        ``[@key]`` citations (empty when not given).
    authors : tuple of Author
        The documents' authors (none: no by-line).
    keywords : tuple of str
        The documents' keywords (PDF, DOCX and HTML metadata).
    running_title : str
        A short title printed at the head of the PDF pages (empty: none).
    bibliography : Path or None
        The study's own references (``bibliography: FILE``, BibTeX or CSL-JSON), which its
        ``background`` may cite beside the project's; None when not given.
    planned : dict
        The parameters the analysis plan fixes (``alpha``, ``adjust``, ``n_boot``, ``seed``):
        the ``plan`` section's, else the documents' defaults
        (:func:`itp_stats.study.parameters.planned_parameters`).
    """

    path: Path
    sha256: str
    name: str
    title: str
    population: str
    dictionary: Dictionary
    levels: tuple[str, ...]
    group_names: dict[str, str]
    ordered: bool
    positive: str
    responders: tuple[str, ...]
    markers: tuple[str, ...]
    family: tuple[str, ...]
    predictors: tuple[Predictor, ...]
    continuous: tuple[str, ...]
    categorical: tuple[str, ...]
    highlight_baseline: tuple[str, ...]
    highlight_change: tuple[str, ...]
    period_column: str | None = None
    background: str = ""
    authors: tuple[Author, ...] = ()
    keywords: tuple[str, ...] = ()
    running_title: str = ""
    bibliography: Path | None = None
    planned: dict[str, Any] = field(default_factory=lambda: dict(PLANNED_DEFAULTS))

    @property
    def design(self) -> Design:
        """The data side (group column, derivation, time points, follow-up rule)."""
        return self.dictionary.design

    @property
    def participants(self) -> Participants:
        """The study's noun for its participants (``patient``/``patients`` by default)."""
        return self.design.participants

    @property
    def endpoints(self) -> tuple:
        """The time-to-event endpoints (:class:`itp_stats.cohort.endpoints.Endpoint`), in the
        configuration's order; empty when it has no ``time_to_event`` section."""
        return self.design.endpoints

    @property
    def group(self) -> str:
        """Column defining the analysed groups."""
        return self.design.analysed_group

    @property
    def baseline(self) -> str:
        """Baseline time point code."""
        return self.design.baseline

    @property
    def followup(self) -> str | None:
        """Follow-up time point code; ``None`` in a study of one time point."""
        return self.design.followup

    @property
    def has_followup(self) -> bool:
        """Whether the study has a follow-up time point (else it is cross-sectional: no
        follow-up exclusion, no change from baseline)."""
        return self.design.followup is not None

    @property
    def timepoints(self) -> tuple[str, ...]:
        """The study's time point codes: baseline, then follow-up when there is one."""
        return tuple(tp for tp in (self.design.baseline, self.design.followup) if tp)

    def timepoint_label(self, code: str) -> str:
        """The dictionary's label of a time point (``m6`` → ``6 months``)."""
        return self.dictionary.timepoints.get(code, code)

    def level_label(self, level: str) -> str:
        """How tables and headers show a group level: the recorded group column's label for
        it in the dictionary (``labels``: ``yes`` → ``Died``), else the level itself."""
        column = self.dictionary.columns.get(self.design.group_column)
        labels = column.category_labels if column is not None else {}
        return labels.get(level, level)

    def group_name(self, level: str) -> str:
        """Long name of a group level: the study's ``names``, else its label."""
        return self.group_names.get(level, self.level_label(level))

    @property
    def other(self) -> str:
        """Label of the participants outside the positive group: the other group's label when
        there are two, else ``non-<positive>`` (``non-CR``)."""
        rest = [lv for lv in self.levels if lv != self.positive]
        if len(rest) == 1:
            return self.level_label(rest[0])
        return f"non-{self.level_label(self.positive)}"


def _fail(path: Path, key: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{path}: {key}: {message}")


def _names(path: Path, raw: Any, key: str) -> list[str] | None:
    if raw is None or raw == "all":
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise _fail(path, key, "expected 'all' or a list of names")
    return list(raw)


def _marker_family(path: Path, raw: dict[str, Any], d: Dictionary) -> tuple[list[str], list[str]]:
    chosen = _names(path, raw.get("markers"), "markers")
    stems = list(d.markers) if chosen is None else chosen
    unknown = [m for m in stems if m not in d.markers]
    if unknown:
        raise _fail(
            path, "markers", f"{', '.join(unknown)} not among the dictionary's markers "
            f"({', '.join(d.markers)})"
        )  # fmt: skip
    if not stems:
        raise _fail(path, "markers", "no marker to analyse")
    design = d.design
    for stem in stems:
        for tp in (design.baseline, design.followup):
            if tp is None:
                continue
            col = d.markers[stem].column(tp)
            if d.column(col) is None:
                raise _fail(path, "markers", f"{stem}: the dictionary has no column {col}")
    pcts = [f"pct_{m}" for m in stems if d.markers[m].parent]
    for m in stems:
        parent = d.markers[m].parent
        if parent and parent not in d.markers:
            raise _fail(path, "markers", f"{m}: parent {parent!r} is not a marker")
    markers = [*stems, *pcts]
    family = _names(path, raw.get("family"), "family")
    if family is None:
        family = markers
    bad = [f for f in family if f not in markers]
    if bad:
        raise _fail(path, "family", f"{', '.join(bad)} not among the analysed markers")
    return markers, family


def _predictors(path: Path, raw: Any, d: Dictionary) -> list[Predictor]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(path, "predictors", "expected a list of {column, direction, per}")
    out = []
    for i, spec in enumerate(raw):
        key = f"predictors[{i}]"
        if not isinstance(spec, dict) or "column" not in spec:
            raise _fail(path, key, "expected a mapping with 'column'")
        column = str(spec["column"])
        col = d.column(column)
        if col is None:
            raise _fail(path, f"{key}.column", f"{column!r} is not a column of the dictionary")
        if not col.is_numeric:
            raise _fail(path, f"{key}.column", f"{column!r} is not numeric")
        direction = str(spec.get("direction", "auto"))
        if direction not in DIRECTIONS:
            raise _fail(path, f"{key}.direction", f"{direction!r}: use {', '.join(DIRECTIONS)}")
        per = positive_per(path, key, spec)
        adjust = spec.get("adjust_for") or []
        if isinstance(adjust, str) or not isinstance(adjust, list):
            raise _fail(path, f"{key}.adjust_for", "expected a list of column names")
        known = set(d.columns) | set(d.derived) | set(d.computed)
        for name in adjust:
            if str(name) not in known:
                raise _fail(
                    path, f"{key}.adjust_for", f"{name!r} is not a column of the dictionary"
                )
            if str(name) == column:
                raise _fail(path, f"{key}.adjust_for", f"{name!r} is the predictor itself")
        out.append(
            Predictor(column, direction, per, col.label, col.unit or "", tuple(map(str, adjust)))
        )
    return out


def _covariates(path: Path, raw: Any, d: Dictionary) -> tuple[list[str], list[str]]:
    known = set(d.columns) | set(d.derived) | set(d.computed)
    if raw is None:
        cov = [c for c in d.by_role("covariate")]
        cont = [c.name for c in cov if c.is_numeric]
        cat = [c.name for c in cov if not c.is_numeric]
        return cont, cat
    if not isinstance(raw, dict):
        raise _fail(path, "table1", "expected a mapping with 'continuous' and 'categorical'")
    out = []
    for key in ("continuous", "categorical"):
        names = _names(path, raw.get(key, []), f"table1.{key}") or []
        unknown = [n for n in names if n not in known]
        if unknown:
            raise _fail(path, f"table1.{key}", f"{', '.join(unknown)} not in the dictionary")
        out.append(names)
    return out[0], out[1]


def load_study(study: str | os.PathLike | None = None) -> StudyConfig:
    """Read and check a study configuration.

    Parameters
    ----------
    study : str or path-like, optional
        The file; defaults to ``$ITP_STATS_STUDY``, else the shipped ``data/study.yaml``.

    Returns
    -------
    StudyConfig

    Raises
    ------
    StudyConfigError
        A key is missing or disagrees with the dictionary; the message names the file and key.
    """
    dictionary = load_data_model(study)
    path, raw = read_study_file(study)
    design = dictionary.design
    group = raw["group"]
    levels = design.levels
    names = group.get("names") or {}
    if not isinstance(names, dict):
        raise _fail(path, "group.names", "expected a mapping level: name")
    unknown = [str(k) for k in names if str(k) not in levels]
    if unknown:
        raise _fail(path, "group.names", f"{', '.join(unknown)} not among the levels")
    positive = str(group.get("positive", levels[0]))
    if positive not in levels:
        raise _fail(path, "group.positive", f"{positive!r} is not one of {', '.join(levels)}")
    responders = [str(v) for v in group.get("responders") or [positive]]
    bad = [r for r in responders if r not in levels]
    if bad:
        raise _fail(path, "group.responders", f"{', '.join(bad)} not among the levels")
    if set(responders) == set(levels):
        raise _fail(
            path, "group.responders", "every group is a responder group: nothing to compare"
        )
    markers, family = _marker_family(path, raw, dictionary)
    predictors = _predictors(path, raw.get("predictors"), dictionary)
    continuous, categorical = _covariates(path, raw.get("table1"), dictionary)
    highlight = raw.get("highlight") or {}
    if not isinstance(highlight, dict):
        raise _fail(path, "highlight", "expected a mapping with 'baseline' and 'change'")
    hl = {}
    for key in ("baseline", "change"):
        chosen = _names(path, highlight.get(key), f"highlight.{key}")
        chosen = [] if chosen is None else chosen
        bad = [m for m in chosen if m not in markers]
        if bad:
            raise _fail(
                path, f"highlight.{key}", f"{', '.join(bad)} not among the analysed markers"
            )
        hl[key] = tuple(chosen)
    if not predictors:
        raise _fail(path, "predictors", "name at least one predictor of the positive group")
    if not hl["baseline"]:
        hl["baseline"] = (markers[0],)
    if hl["change"] and dictionary.design.followup is None:
        raise _fail(
            path, "highlight.change", "a study of one time point has no change to highlight"
        )
    if not hl["change"] and dictionary.design.followup is not None:
        pcts = [m for m in markers if m.startswith("pct_")]
        hl["change"] = (pcts or markers)[:1]
        hl["change"] = tuple(hl["change"])
    background = str(raw.get("background") or "").strip()
    bibliography = resolve_bibliography(path, raw.get("bibliography"))
    check_citations(path, background, REFERENCES, bibliography)
    period = raw.get("period_column")
    if period is not None and period not in dictionary.columns:
        raise _fail(path, "period_column", f"{period!r} is not a column of the dictionary")
    return StudyConfig(
        path=path,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        name=str(raw.get("name") or path.stem),
        title=str(raw.get("title") or "Study report"),
        population=str(raw.get("population") or design.participants.plural),
        dictionary=dictionary,
        levels=levels,
        group_names={str(k): str(v) for k, v in names.items()},
        ordered=bool(group.get("ordered", False)),
        positive=positive,
        responders=tuple(responders),
        markers=tuple(markers),
        family=tuple(family),
        predictors=tuple(predictors),
        continuous=tuple(continuous),
        categorical=tuple(categorical),
        highlight_baseline=hl["baseline"],
        highlight_change=hl["change"],
        period_column=None if period is None else str(period),
        background=background,
        authors=_authors(path, raw.get("authors")),
        keywords=_words(path, raw.get("keywords"), "keywords"),
        running_title=" ".join(str(raw.get("running_title") or "").split()),
        bibliography=bibliography,
        planned=planned_parameters(path, raw.get("plan")),
    )
