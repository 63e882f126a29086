"""Time-to-event endpoints of a study configuration (its optional ``time_to_event`` section).

Each endpoint names a time column (and its unit), an event column with the value that codes
the event, the patients it applies to (all analysed patients, or the groups listed in
``population``, e.g. the responders), the grouping its curves compare, the predictors of its
Cox models with their unit and covariates, and the landmark times at which survival is
reported. It is read here, in the cohort layer, because the validation gate checks the
endpoint's columns (non-negative times, the event coding, a time wherever an event is recorded,
times within the follow-up, events only in the stated population); the analysis and the report
read the same :class:`Endpoint` objects through the study configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itp_stats.cohort.dictionary import Dictionary
from itp_stats.errors import StudyConfigError

__all__ = ["COMPARE_GROUP", "Endpoint", "EndpointPredictor", "positive_per", "read_endpoints"]

COMPARE_GROUP = "group"
"""``compare: group``: the study's analysed group, restricted to the endpoint's population."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class EndpointPredictor:
    """A predictor of an endpoint's Cox model.

    Attributes
    ----------
    column : str
        Numeric column of the dictionary.
    per : float
        Unit of the hazard ratio (per 100 cells/µL).
    label, unit : str
        From the dictionary.
    """

    column: str
    per: float
    label: str
    unit: str


@dataclass(frozen=True)
class Endpoint:
    """One time-to-event endpoint.

    Attributes
    ----------
    name : str
        Identifier (lowercase, ``_``): names its rows in the result tables and its gate rules.
    title : str
        How the documents name it (its heading: ``Duration of response``).
    event_label : str
        What the event is called in sentences (``relapse``).
    time, event : str
        The time column and the event column.
    unit : str
        Unit of the times (``months``): the dictionary's unit of ``time`` unless given.
    origin : str
        Where the times start (``rituximab start``); empty when not given.
    event_value : str, float or bool
        The value of ``event`` that codes the event (every other recorded value is censored).
    codes : tuple
        Every value ``event`` may hold, the event included (the gate's coding rule).
    population : tuple of str
        Group levels the endpoint applies to; empty: every analysed patient.
    compare : str or None
        ``group`` (the study's group, within the population), another categorical column, or
        None (one curve).
    predictors : tuple of EndpointPredictor
        Cox model predictors (none: no Cox model).
    adjust_for : tuple of str
        Covariates of the adjusted Cox models.
    landmarks : tuple of float
        Times (in ``unit``) at which survival is reported.
    """

    name: str
    title: str
    event_label: str
    time: str
    event: str
    unit: str
    event_value: Any
    codes: tuple[Any, ...]
    population: tuple[str, ...] = ()
    compare: str | None = None
    predictors: tuple[EndpointPredictor, ...] = ()
    adjust_for: tuple[str, ...] = ()
    landmarks: tuple[float, ...] = ()
    origin: str = ""

    @property
    def columns(self) -> tuple[str, str]:
        """The time and the event column."""
        return (self.time, self.event)


def _fail(path: Path, key: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{path}: {key}: {message}")


def positive_per(path: Path, key: str, spec: dict) -> float:
    """A predictor's ``per`` (the unit of its odds or hazard ratio; default 1), a positive
    number, else refused naming ``key.per`` of the study file ``path``."""
    try:
        per = float(spec.get("per", 1))
    except (TypeError, ValueError):
        raise _fail(path, f"{key}.per", "must be a number") from None
    if not per > 0:
        raise _fail(path, f"{key}.per", "must be positive")
    return per


def _column(path: Path, key: str, name: Any, d: Dictionary, *, numeric: bool = False) -> str:
    if not isinstance(name, str) or not name:
        raise _fail(path, key, "missing: name a column of the dictionary")
    known = set(d.columns) | set(d.derived)
    if name not in known:
        raise _fail(path, key, f"{name!r} is not a column of {d.path}")
    if numeric and (name not in d.columns or not d.columns[name].is_numeric):
        raise _fail(path, key, f"{name!r} is not a numeric column")
    return name


def _event_coding(path: Path, key: str, spec: dict[str, Any], d: Dictionary) -> tuple[Any, tuple]:
    event = d.columns[spec["event"]]
    given = spec.get("event_value")
    if event.type == "boolean":
        if given not in (None, True):
            raise _fail(path, f"{key}.event_value", "a yes/no event column codes the event yes")
        return True, (True, False)
    if event.type == "integer":
        value = 1 if given is None else given
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, f"{key}.event_value", "expected a whole number (default 1)")
        return value, tuple(sorted({0, value}))
    if event.type == "category":
        if given is None:
            raise _fail(path, f"{key}.event_value", "name the category that codes the event")
        if str(given) not in event.categories:
            raise _fail(
                path, f"{key}.event_value", f"{given!r} is not a category of {event.name!r}"
            )
        return str(given), tuple(event.categories)
    raise _fail(path, f"{key}.event", f"{event.name!r} is {event.type}: use a yes/no, whole "
                "number or category column")  # fmt: skip


def _predictors(path: Path, key: str, raw: Any, d: Dictionary) -> tuple[EndpointPredictor, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(path, key, "expected a list of {column, per}")
    out = []
    for i, spec in enumerate(raw):
        where = f"{key}[{i}]"
        if isinstance(spec, str):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            raise _fail(path, where, "expected a mapping with 'column' (and 'per')")
        column = _column(path, f"{where}.column", spec.get("column"), d, numeric=True)
        per = positive_per(path, where, spec)
        col = d.columns[column]
        out.append(EndpointPredictor(column, per, col.label, col.unit or ""))
    return tuple(out)


def _endpoint(path: Path, key: str, spec: Any, d: Dictionary, levels: tuple[str, ...]) -> Endpoint:
    if not isinstance(spec, dict):
        raise _fail(path, key, "expected a mapping with name, time and event")
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(path, f"{key}.name", "expected an identifier (lowercase letters, digits, _)")
    time = _column(path, f"{key}.time", spec.get("time"), d, numeric=True)
    event = _column(path, f"{key}.event", spec.get("event"), d)
    if event not in d.columns:
        raise _fail(path, f"{key}.event", f"{event!r} is computed, not a column of the file")
    if event == time:
        raise _fail(path, f"{key}.event", "the event column is the time column")
    event_value, codes = _event_coding(path, key, spec, d)
    unit = str(spec.get("unit") or d.columns[time].unit or "").strip()
    if not unit:
        raise _fail(path, f"{key}.unit", f"the dictionary gives {time!r} no unit: give one")
    population = spec.get("population", "all")
    if population in (None, "all"):
        population = ()
    elif isinstance(population, list) and population:
        bad = [str(v) for v in population if str(v) not in levels]
        if bad:
            raise _fail(path, f"{key}.population", f"{', '.join(bad)} not among the levels")
        population = tuple(lv for lv in levels if lv in {str(v) for v in population})
    else:
        raise _fail(path, f"{key}.population", "expected 'all' or a list of group levels")
    compare = spec.get("compare", COMPARE_GROUP)
    if compare is not None:
        compare = str(compare)
        if compare != COMPARE_GROUP:
            compare = _column(path, f"{key}.compare", compare, d)
            if compare in d.columns and d.columns[compare].type not in {"category", "boolean"}:
                raise _fail(path, f"{key}.compare", f"{compare!r} is not a categorical column")
        elif population and len(population) < 2:
            raise _fail(
                path, f"{key}.compare", "the population is one group: nothing to compare "
                "(compare: null for one curve)"
            )  # fmt: skip
    adjust = spec.get("adjust_for") or []
    if isinstance(adjust, str) or not isinstance(adjust, list):
        raise _fail(path, f"{key}.adjust_for", "expected a list of column names")
    adjust = tuple(_column(path, f"{key}.adjust_for", str(a), d) for a in adjust)
    predictors = _predictors(path, f"{key}.predictors", spec.get("predictors"), d)
    if adjust and not predictors:
        raise _fail(path, f"{key}.adjust_for", "no predictor to adjust")
    clash = [a for a in adjust if a in {p.column for p in predictors}]
    if clash:
        raise _fail(path, f"{key}.adjust_for", f"{clash[0]!r} is a predictor itself")
    marks = spec.get("landmarks") or []
    if not isinstance(marks, list):
        raise _fail(path, f"{key}.landmarks", "expected a list of times")
    try:
        landmarks = tuple(float(m) for m in marks)
    except (TypeError, ValueError):
        raise _fail(path, f"{key}.landmarks", "expected numbers") from None
    if any(m <= 0 for m in landmarks) or list(landmarks) != sorted(set(landmarks)):
        raise _fail(path, f"{key}.landmarks", "expected positive times in increasing order")
    return Endpoint(
        name=name,
        title=" ".join(str(spec.get("title") or name.replace("_", " ").capitalize()).split()),
        event_label=" ".join(str(spec.get("event_label") or "event").split()),
        time=time,
        event=event,
        unit=unit,
        event_value=event_value,
        codes=codes,
        population=population,
        compare=compare,
        predictors=predictors,
        adjust_for=adjust,
        landmarks=landmarks,
        origin=" ".join(str(spec.get("origin") or "").split()),
    )


def read_endpoints(
    path: Path, raw: Any, dictionary: Dictionary, levels: tuple[str, ...]
) -> tuple[Endpoint, ...]:
    """Read the ``time_to_event`` section of a study configuration.

    Parameters
    ----------
    path : Path
        The configuration file (named in messages).
    raw : object
        The section as YAML read it (None: no time-to-event analysis).
    dictionary : Dictionary
    levels : tuple of str
        The study's group levels (``population`` names some of them).

    Returns
    -------
    tuple of Endpoint

    Raises
    ------
    StudyConfigError
        A key is missing or disagrees with the dictionary (the message names the file and
        the key, ``time_to_event[0].time``).
    """
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "time_to_event", "expected a list of endpoints")
    out = [_endpoint(path, f"time_to_event[{i}]", s, dictionary, levels) for i, s in enumerate(raw)]
    names = [e.name for e in out]
    if len(set(names)) != len(names):
        raise _fail(path, "time_to_event", "two endpoints share a name")
    return tuple(out)
