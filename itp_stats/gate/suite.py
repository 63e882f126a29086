"""The gate's rules, built from the data dictionary and the study design as a GX suite.

Every rule is one GX 1.x expectation carrying, besides its own arguments:

- ``severity``: ``critical`` (a failure stops the analysis) or ``warning`` (reported);
- ``description``: a plain-language label, shown in the step table and in Data Docs;
- ``meta.rule_id``: a stable identifier (``age_years.range``) by which results are put back in
  suite order (GX returns them in its own order);
- ``meta.columns``: the file columns the rule reads (a rule whose column is missing from the
  file is reported as not evaluated).

The rules come from the dictionary in use (columns, ranges, categories, compositions, soft
bounds under ``warn``) and from its study design (:class:`itp_stats.cohort.design.Design`): the
group column, its derivation (the recorded group is checked against the group derived from
the named input columns) and the follow-up column and time (values at the follow-up time point
only for patients followed long enough). Nothing here names a column of a particular study.

Rules read the typed cohort (see :mod:`itp_stats.gate.batch`), plus a few columns the gate
computes itself, all named ``gate__…``: the group derived by the study's rule, the ratio of each
composition (sum of subsets over the parent count), the cells recorded per time point and the
cells that did not parse in their type. They let the same expectations run unchanged on
pandas, on a SQL view or on Spark.

The suite is named after the dictionary's ``name`` and the study's (:func:`suite_name`), so
that two studies on one dictionary, with different groups, time points or follow-up rules, keep
suites of their own. :func:`write_project`
stores it, its validation definition, its checkpoint, its rules as a table and the context
configuration in ``validation/``, a GX project a data manager can review in git.
:func:`check_stored_suite` refuses to run when the stored suite of that name differs from what
the dictionary in use gives; a test checks the stored files equal what the shipped study gives.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from itp_stats.cohort.design import DERIVATION_RULES
from itp_stats.cohort.dictionary import Composition, Dictionary, load_dictionary
from itp_stats.cohort.participants import DEFAULT_PARTICIPANTS
from itp_stats.errors import ItpStatsError
from itp_stats.files import replaced_atomically
from itp_stats.text import lower_first

if TYPE_CHECKING:
    import great_expectations as gx

__all__ = [
    "ASSET_NAME",
    "BATCH_DEFINITION_NAME",
    "CHECK_PREFIX",
    "DATASOURCE_NAME",
    "GROUP_CHECK",
    "RESULT_FORMAT",
    "UNPARSED_CHECK",
    "Rule",
    "SuiteOutOfDateError",
    "build_rules",
    "build_suite",
    "check_columns",
    "check_stored_suite",
    "checkpoint_name",
    "composition_check",
    "context_config",
    "followup_points",
    "project_files",
    "recorded_check",
    "stored_suite_path",
    "suite_dict",
    "suite_name",
    "suite_note",
    "timepoint_columns",
    "validation_dir",
    "write_project",
    "write_suite_command",
]

DATASOURCE_NAME = "cohort_data"
"""Name of the GX datasource (a pandas DataFrame)."""
ASSET_NAME = "cohort"
"""Name of the GX data asset."""
BATCH_DEFINITION_NAME = "whole_cohort"
"""Name of the batch definition: the whole DataFrame."""

CHECK_PREFIX = "gate__"
"""Prefix of the columns computed by the gate (never read from the file)."""
GROUP_CHECK = "gate__group_derived"
"""The group derived by the study's derivation rule (:func:`itp_stats.cohort.load.derive_group`),
compared with the recorded group column."""
UNPARSED_CHECK = "gate__unparsed_cells"
"""Per row, how many cells did not parse in their column's type (0 when all did)."""

RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC"}
"""Result format of the checkpoint: counts per rule. The gate then re-runs only the rules that
failed with ``COMPLETE`` to list every failing row (mapped to patient ids)."""

_NAMESPACE = uuid.UUID("5d3c6f0e-7a51-4c1e-9a0e-1f4b6c2d8e90")


class SuiteOutOfDateError(ItpStatsError):
    """The suite stored in ``validation/`` differs from what the dictionary in use gives.

    The message names the stored file and the command that regenerates it (exit status 2).
    """

    exit_status = 2


def _identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def suite_name(dictionary: Dictionary | None = None) -> str:
    """Name of the expectation suite: ``<dictionary>__<study>``, both names as identifiers.

    The dictionary ``itp-rituximab-cohort`` of the study ``itp-rituximab`` gives
    ``itp_rituximab_cohort__itp_rituximab`` (a single ``_`` inside each name, two between
    them); a dictionary read without a study, its name alone. It names the suite's files in
    ``validation/`` (see :func:`project_files`).
    """
    d = dictionary or load_dictionary()
    name = _identifier(d.name) or "cohort"
    study = _identifier(str(getattr(d.design, "study_name", "") or ""))
    return f"{name}__{study}" if study else name


def checkpoint_name(dictionary: Dictionary | None = None) -> str:
    """Name of the checkpoint the gate runs: ``<suite>_gate``."""
    return f"{suite_name(dictionary)}_gate"


@dataclass(frozen=True)
class Rule:
    """One rule of the gate, before it becomes a GX expectation.

    Attributes
    ----------
    rule_id : str
        Stable identifier, e.g. ``cd4_m0.within_parent``.
    severity : str
        ``critical`` or ``warning``.
    description : str
        Plain-language label.
    columns : tuple of str
        File columns the rule reads.
    expectation : str
        GX expectation class name, e.g. ``ExpectColumnValuesToBeBetween``.
    kwargs : dict
        Arguments of the expectation (``row_condition`` given as ``(column, op, value)``).
    needs : tuple of str or None
        File columns without which the rule cannot be evaluated (default: ``columns``).
    """

    rule_id: str
    severity: str
    description: str
    columns: tuple[str, ...]
    expectation: str
    kwargs: dict[str, Any]
    needs: tuple[str, ...] | None = None

    @property
    def required(self) -> tuple[str, ...]:
        """File columns that must be present for the rule to be evaluated."""
        return self.columns if self.needs is None else self.needs


def recorded_check(timepoint: str) -> str:
    """Name of the gate column counting a row's non-empty cells at ``timepoint``."""
    return f"{CHECK_PREFIX}recorded_{timepoint}"


def timepoint_columns(dictionary: Dictionary, timepoint: str) -> list[str]:
    """File columns measured at ``timepoint``, in file order."""
    return [name for name, col in dictionary.columns.items() if col.timepoint == timepoint]


def composition_check(composition: Composition, timepoint: str) -> str:
    """Name of the gate column holding ``sum(parts) / whole`` at ``timepoint``."""
    return f"{CHECK_PREFIX}ratio_{'_'.join(composition.parts)}_to_{composition.whole}_{timepoint}"


def check_columns(dictionary: Dictionary | None = None) -> list[str]:
    """Names of every column the gate computes, in batch order.

    The derived group (:data:`GROUP_CHECK`) only when the study derives its group; the
    recorded counts only for the time points with a follow-up rule (:func:`followup_points`).
    """
    d = dictionary or load_dictionary()
    names = [UNPARSED_CHECK]
    if _derivation(d) is not None:
        names.append(GROUP_CHECK)
    for comp in d.compositions:
        names += [composition_check(comp, tp) for tp in d.timepoints]
    names += [recorded_check(tp) for tp in followup_points(d)]
    return names


def _derivation(dictionary: Dictionary) -> Any:
    """The study's group derivation, or None (no design, or a recorded group only)."""
    return getattr(dictionary.design, "derivation", None)


def followup_points(dictionary: Dictionary | None = None) -> dict[str, int | float]:
    """Time points only patients followed long enough may have values at, with the months.

    The study's follow-up time point needs ``design.followup_months`` less its
    ``followup_window`` (a visit may fall in the window before the month); another time point
    coded ``m<k>`` (``m3``, ``m24``) needs ``k`` months. There are none without a design
    naming a ``followup_column`` of the dictionary, and never for the baseline.

    Returns
    -------
    dict of str to number
        Time point code to months, in the dictionary's time point order.
    """
    d = dictionary or load_dictionary()
    design = d.design
    column = getattr(design, "followup_column", None)
    if column is None or column not in d.columns:
        return {}
    out: dict[str, int | float] = {}
    for tp in d.timepoints:
        if tp == design.baseline:
            continue
        if tp == design.followup:  # a visit may fall in its window before the month
            months = design.followup_months - getattr(design, "followup_window", 0.0)
        else:
            months = _months(tp)
        if months:
            out[tp] = _number(months)
    return out


def _months(timepoint: str) -> int | None:
    """``m6`` -> 6; None for a code that is not ``m<number>``."""
    digits = timepoint[1:]
    return int(digits) if timepoint.startswith("m") and digits.isdigit() else None


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _type_rule_text(columns: Iterable[Any]) -> str:
    """The type rule's description, naming only the kinds of columns the dictionary has:
    whole numbers (``integer``), numbers (``float``), yes/no (``boolean``)."""
    types = {col.type for col in columns}
    kinds = [
        (kind, text)
        for kind, text in (
            ("integer", "whole numbers in whole-number columns"),
            ("float", "numbers in decimal columns"),
            ("boolean", "yes/no in yes/no columns"),
        )
        if kind in types
    ]
    said = ", ".join(text for _, text in kinds)
    return (
        "Every cell reads in its column's type"
        + (f": {said}" if said else "")
        + (" (no 'ND', '<5' or '12,5')" if any(k != "boolean" for k, _ in kinds) else "")
    )


def build_rules(dictionary: Dictionary | None = None) -> list[Rule]:
    """Derive the gate's rules from the data dictionary and its study design, in report order.

    Parameters
    ----------
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use, with its design (see
        :func:`itp_stats.cohort.dictionary.load_dictionary`).

    Returns
    -------
    list of Rule
        Table rules (column set, at least one row), the type rule, per-column rules (not
        empty, pattern, unique, range, categories), subset ≤ parent rules, composition sums,
        follow-up rules (:func:`followup_points`), group rules (``<group>.consistent`` when
        the study derives its group, whatever columns the file has; ``<group>.present`` when
        the group column is measured at a follow-up time point; ``<group>.groups``), then the
        columns' soft bounds (``<column>.<id>``, warnings).
    """
    d = dictionary or load_dictionary()
    cols = d.columns
    who = getattr(d.design, "participants", None) or DEFAULT_PARTICIPANTS
    rules: list[Rule] = []
    add = rules.append
    file_columns = list(cols)

    add(
        Rule(
            "table.columns",
            "critical",
            "The file has exactly the columns of the data dictionary: none missing, none "
            f"unknown (direct identifiers such as a {who.singular} name are not allowed)",
            (),
            "ExpectTableColumnsToMatchSet",
            {"column_set": sorted(file_columns + check_columns(d)), "exact_match": True},
        )
    )
    add(
        Rule(
            "table.rows",
            "critical",
            f"The file has at least one {who.singular}",
            (),
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
        )
    )
    add(
        Rule(
            "cells.type",
            "critical",
            _type_rule_text(cols.values()),
            (),
            "ExpectColumnValuesToBeBetween",
            {"column": UNPARSED_CHECK, "max_value": 0},
        )
    )

    for name, col in cols.items():
        label = col.label
        if not col.missing:
            add(
                Rule(
                    f"{name}.not_null",
                    "critical",
                    f"{label}: never empty",
                    (name,),
                    "ExpectColumnValuesToNotBeNull",
                    {"column": name},
                )
            )
        if col.pattern:
            add(
                Rule(
                    f"{name}.pattern",
                    "critical",
                    f"{label}: {col.pattern_help} (pattern {col.pattern})"
                    if col.pattern_help
                    else f"{label}: matches the pattern {col.pattern}",
                    (name,),
                    "ExpectColumnValuesToMatchRegex",
                    {"column": name, "regex": col.pattern},
                )
            )
        if col.unique:
            add(
                Rule(
                    f"{name}.unique",
                    "critical",
                    f"{label}: no two rows share a value",
                    (name,),
                    "ExpectColumnValuesToBeUnique",
                    {"column": name},
                )
            )
        if col.is_numeric and col.range is not None:
            lo, hi = (_number(v) for v in col.range)
            unit = f" {col.unit}" if col.unit else ""
            add(
                Rule(
                    f"{name}.range",
                    "critical",
                    f"{label}: between {lo} and {hi}{unit}",
                    (name,),
                    "ExpectColumnValuesToBeBetween",
                    {"column": name, "min_value": lo, "max_value": hi},
                )
            )
        if col.type == "category":
            add(
                Rule(
                    f"{name}.categories",
                    "critical",
                    f"{label}: one of {', '.join(_labelled(col, c) for c in col.categories)}",
                    (name,),
                    "ExpectColumnValuesToBeInSet",
                    {"column": name, "value_set": list(col.categories)},
                )
            )

    for name, col in cols.items():
        if col.parent:
            parent = cols[col.parent]
            add(
                Rule(
                    f"{name}.within_parent",
                    "critical",
                    f"{col.label} ≤ {lower_first(parent.label)}",
                    (name, col.parent),
                    "ExpectColumnPairValuesAToBeGreaterThanB",
                    {
                        "column_A": col.parent,
                        "column_B": name,
                        "or_equal": True,
                        "ignore_row_if": "either_value_is_missing",
                    },
                )
            )

    tol = d.composition_tolerance
    for comp in d.compositions:
        for tp, tp_label in d.timepoints.items():
            parts = [d.markers[p].column(tp) for p in comp.parts]
            whole = d.markers[comp.whole].column(tp)
            if not all(c in cols for c in [*parts, whole]):
                continue
            part_labels = " + ".join(d.markers[p].label for p in comp.parts)
            add(
                Rule(
                    f"composition.{'_'.join(comp.parts)}.{tp}",
                    "critical",
                    f"{part_labels} ≤ {lower_first(d.markers[comp.whole].label)} × "
                    f"{_number(1 + tol)} at {tp_label.lower()} (the subsets fit in the parent "
                    f"count, {_number(round(100 * tol, 6))} % tolerance)",
                    (*parts, whole),
                    "ExpectColumnValuesToBeBetween",
                    {"column": composition_check(comp, tp), "max_value": _number(1 + tol)},
                )
            )

    design = d.design
    points = followup_points(d)
    fcol = getattr(design, "followup_column", None)
    for tp, months in points.items():
        measured = timepoint_columns(d, tp)
        if not measured:
            continue
        add(
            Rule(
                f"{tp}.followup",
                "critical",
                f"Values at {d.timepoints[tp].lower()} only for {who.plural} followed {months} "
                f"months or more: empty when follow-up is shorter",
                (*measured, fcol),
                "ExpectColumnValuesToBeBetween",
                {
                    "column": recorded_check(tp),
                    "max_value": 0,
                    "row_condition": (fcol, "<", months),
                },
                needs=(fcol,),
            )
        )

    group = d.group_column
    derivation = _derivation(d)
    if derivation is not None:
        spec = DERIVATION_RULES[derivation.rule]
        how = spec.get("check") or (
            f"as derived from {', '.join(cols[c].label for c in derivation.columns)} "
            f"({spec['description']})"
        )
        add(
            Rule(
                f"{group}.consistent",
                "critical",
                f"{cols[group].label}: {how}",
                (group, *derivation.columns),
                "ExpectColumnPairValuesToBeEqual",
                {
                    "column_A": group,
                    "column_B": GROUP_CHECK,
                    "ignore_row_if": "either_value_is_missing",
                },
            )
        )
    group_months = points.get(cols[group].timepoint or "")
    if group_months:
        add(
            Rule(
                f"{group}.present",
                "warning",
                f"{cols[group].label}: recorded when follow-up reached {group_months} months",
                (group, fcol),
                "ExpectColumnValuesToNotBeNull",
                {"column": group, "row_condition": (fcol, ">=", group_months)},
            )
        )
    add(
        Rule(
            f"{group}.groups",
            "critical",
            f"{cols[group].label}: at least two groups present (a single group cannot be compared)",
            (group,),
            "ExpectColumnUniqueValueCountToBeBetween",
            {"column": group, "min_value": 2},
        )
    )
    for endpoint in getattr(design, "endpoints", ()):
        rules += _endpoint_rules(d, endpoint)
    for name, col in cols.items():
        for warn in col.warn:
            add(_warning_rule(name, col, warn))

    ids = [r.rule_id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate rule ids")
    return rules


def _and(words: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _code(col: Any, value: Any) -> Any:
    """An event code as the gate's batch holds it: yes/no and numbers as floats."""
    return float(value) if col.type in {"boolean", "integer", "float"} else str(value)


def _endpoint_rules(d: Dictionary, endpoint: Any) -> list[Rule]:
    """The rules of a time-to-event endpoint (:class:`itp_stats.cohort.endpoints.Endpoint`):
    times not negative (unless the dictionary's range says so already), the event coding of a
    whole-number event column, a time wherever an event status is recorded and the reverse,
    times not beyond the follow-up column (when it is in the endpoint's unit), and no event
    outside the endpoint's population."""
    cols = d.columns
    time, event = cols[endpoint.time], cols[endpoint.event]
    key, title = endpoint.name, endpoint.title
    out: list[Rule] = []
    if time.range is None or time.range[0] < 0:
        out.append(
            Rule(
                f"{key}.time_not_negative",
                "critical",
                f"{title}: the time ({time.name}) is not negative",
                (time.name,),
                "ExpectColumnValuesToBeBetween",
                {"column": time.name, "min_value": 0},
            )
        )
    if event.type == "integer":
        codes = [_code(event, c) for c in endpoint.codes]
        censored = [str(_number(c)) for c in codes if c != float(endpoint.event_value)]
        out.append(
            Rule(
                f"{key}.event_coding",
                "critical",
                f"{title}: the {endpoint.event_label} status ({event.name}) is "
                f"{_number(endpoint.event_value)} (event) "
                f"or {', '.join(censored)} (censored)",
                (event.name,),
                "ExpectColumnValuesToBeInSet",
                {"column": event.name, "value_set": codes},
            )
        )
    out.append(
        Rule(
            f"{key}.time_with_event",
            "critical",
            f"{title}: the time ({time.name}) is recorded wherever the "
            f"{endpoint.event_label} status ({event.name}) is",
            (time.name, event.name),
            "ExpectColumnValuesToNotBeNull",
            {"column": time.name, "row_condition": (event.name, "notnull", None)},
        )
    )
    out.append(
        Rule(
            f"{key}.event_with_time",
            "critical",
            f"{title}: the {endpoint.event_label} status ({event.name}) is recorded wherever "
            f"the time ({time.name}) is",
            (time.name, event.name),
            "ExpectColumnValuesToNotBeNull",
            {"column": event.name, "row_condition": (time.name, "notnull", None)},
        )
    )
    fcol = getattr(d.design, "followup_column", None)
    if fcol in cols and (cols[fcol].unit or "") == endpoint.unit:
        out.append(
            Rule(
                f"{key}.within_followup",
                "critical",
                f"{title}: the time ({time.name}) is not beyond the follow-up ({fcol})",
                (time.name, fcol),
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": fcol,
                    "column_B": time.name,
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
            )
        )
    if endpoint.population:
        group = d.group_column
        recode = dict(getattr(d.design, "recode", ()))
        inside = [*endpoint.population, *(k for k, v in recode.items() if v in endpoint.population)]
        out.append(
            Rule(
                f"{key}.population",
                "critical",
                f"{title}: no {endpoint.event_label} recorded outside the "
                f"{_and(endpoint.population)} groups ({group})",
                (event.name, group),
                # the event's rows outside the population must not exist (as a condition, so
                # the event's value is compared in the column's own type, a boolean in SQL)
                "ExpectColumnValuesToBeNull",
                {
                    "column": event.name,
                    "row_condition": [
                        (group, "not_in", inside),
                        (event.name, "==", endpoint.event_value),
                    ],
                },
            )
        )
    return out


def _labelled(col: Any, code: str) -> str:
    """A category as the report's tables print it, with the code the file holds when the
    dictionary labels it otherwise: ``4 × 375 mg/m² (4x375mg/m2)``."""
    label = col.category_labels.get(code, code)
    return code if label == code else f"{label} ({code})"


def _warning_rule(name: str, col: Any, warn: Any) -> Rule:
    """A column's soft bound (``warn`` in the dictionary) as a warning rule."""
    unit = f" {col.unit}" if col.unit else ""
    kwargs: dict[str, Any] = {"column": name}
    if warn.above is not None and warn.below is not None:
        text = f"between {_number(warn.above)} and {_number(warn.below)}{unit} (exclusive)"
    elif warn.below is not None:
        text = f"below {_number(warn.below)}{unit}"
    else:
        text = f"above {_number(warn.above)}{unit}"
    if warn.above is not None:
        kwargs |= {"min_value": _number(warn.above), "strict_min": True}
    if warn.below is not None:
        kwargs |= {"max_value": _number(warn.below), "strict_max": True}
    reason = f" ({warn.reason})" if warn.reason else ""
    return Rule(
        f"{name}.{warn.id}",
        "warning",
        f"{col.label}: {text}{reason}",
        (name,),
        "ExpectColumnValuesToBeBetween",
        kwargs,
    )


def _row_condition(spec: Any) -> Any:
    """A rule's ``row_condition`` as GX takes it: ``(column, op, value)`` with ``op`` one of
    ``<``, ``>=``, ``==``, ``notnull`` or ``not_in`` (a recorded value outside ``value``: an
    empty cell is not outside), or a list of such conditions, all of which must hold."""
    from great_expectations.expectations.row_conditions import Column

    if isinstance(spec, list):
        conditions = [_row_condition(c) for c in spec]
        out = conditions[0]
        for condition in conditions[1:]:
            out = out & condition
        return out
    name, op, value = spec
    column = Column(name)
    return {
        "<": lambda: column < value,
        ">=": lambda: column >= value,
        "==": lambda: column == value,
        "notnull": column.is_not_null,
        "not_in": lambda: column.is_not_in(value) & column.is_not_null(),
    }[op]()


def _expectation(rule: Rule) -> Any:
    import great_expectations.expectations as gxe

    kwargs = dict(rule.kwargs)
    if "row_condition" in kwargs:
        kwargs["row_condition"] = _row_condition(kwargs.pop("row_condition"))
    cls = getattr(gxe, rule.expectation)
    return cls(
        **kwargs,
        severity=rule.severity,
        description=rule.description,
        meta={"rule_id": rule.rule_id, "columns": list(rule.columns)},
    )


def suite_dict(dictionary: Dictionary | None = None) -> dict[str, Any]:
    """The suite as GX writes it to JSON, with ids fixed from the suite and rule ids.

    Returns
    -------
    dict
        ``name`` (:func:`suite_name`), ``id``, ``meta``, ``notes`` and ``expectations`` (each
        with ``type``, ``kwargs``, ``meta``, ``description``, ``severity`` and ``id``).
    """
    import great_expectations as gx

    d = dictionary or load_dictionary()
    name = suite_name(d)
    rules = build_rules(d)
    suite = gx.ExpectationSuite(name=name, expectations=[_expectation(r) for r in rules])
    out = suite.to_json_dict()
    out["id"] = _uuid("suite", name)
    sources = _sources(d)
    out["notes"] = (
        f"Generated from {' and '.join(sources.values())} by "
        f"`{write_suite_command(d, _project_root())}` (run in the project folder); edit those, "
        "not this file."
    )
    for exp in out["expectations"]:
        exp["id"] = _uuid("expectation", f"{name}:{exp['meta']['rule_id']}")
    return out


def build_suite(dictionary: Dictionary | None = None) -> gx.ExpectationSuite:
    """Return the gate's rules as a GX ``ExpectationSuite`` (not attached to a context)."""
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_dict(dictionary))


def _shown(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it, else absolute (POSIX separators)."""
    path = Path(path).resolve()
    try:
        return path.relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _project_root() -> Path:
    from itp_stats.config import project_root

    return project_root()


def _sources(dictionary: Dictionary) -> dict[str, str]:
    """The files the rules come from (dictionary, study), as shown relative to the project."""
    root = _project_root()
    out = {"dictionary": _shown(dictionary.path, root) if dictionary.path else "(no file)"}
    study = getattr(dictionary.design, "path", None)
    if study is not None:
        out["study"] = _shown(study, root)
    return out


def write_suite_command(
    dictionary: Dictionary | None = None, base: str | Path | None = None
) -> str:
    """The command that regenerates the stored suite of the study in use.

    Parameters
    ----------
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use.
    base : str or Path, optional
        Folder the command is run from (default: the current folder).

    Returns
    -------
    str
        ``itp-stats gate --write-suite --study FILE``, FILE relative to ``base`` when inside
        it, else absolute. Without a design, FILE is a placeholder.
    """
    d = dictionary or load_dictionary()
    study = getattr(d.design, "path", None)
    shown = _shown(study, Path(base or Path.cwd())) if study is not None else "STUDY.yaml"
    return f"itp-stats gate --write-suite --study {shown}"


def validation_dir() -> Path:
    """The project's GX project folder, ``validation/`` under the project root."""
    return _project_root() / "validation"


def stored_suite_path(
    dictionary: Dictionary | None = None, directory: str | Path | None = None
) -> Path:
    """Where the suite of ``dictionary`` is stored: ``expectations/<suite>.json``."""
    folder = Path(directory) if directory is not None else validation_dir()
    return folder / "expectations" / f"{suite_name(dictionary)}.json"


def _rules_of(suite: dict[str, Any]) -> Any:
    """What a suite checks: everything but its ``meta`` and ``notes`` (plain JSON values)."""
    return json.loads(json.dumps({k: v for k, v in suite.items() if k not in {"meta", "notes"}}))


def check_stored_suite(
    dictionary: Dictionary | None = None,
    directory: str | Path | None = None,
    *,
    suite: dict[str, Any] | None = None,
) -> Path | None:
    """Check the stored, reviewable suite of the dictionary in use against its rules now.

    Parameters
    ----------
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use.
    directory : str or Path, optional
        The GX project folder; defaults to :func:`validation_dir`.
    suite : dict, optional
        The generated suite (:func:`suite_dict`), when already built.

    Returns
    -------
    Path or None
        The stored suite file, which holds exactly the rules the dictionary gives (its
        ``meta`` and ``notes`` aside); None when no suite of that name is stored.

    Raises
    ------
    SuiteOutOfDateError
        A suite of that name is stored and differs (or is not readable JSON): the message
        names the file and the command that regenerates it.
    """
    d = dictionary or load_dictionary()
    path = stored_suite_path(d, directory)
    if not path.is_file():
        return None
    generated = suite if suite is not None else suite_dict(d)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = None
    if not isinstance(stored, dict) or _rules_of(stored) != _rules_of(generated):
        sources = " and ".join(_sources(d).values())
        raise SuiteOutOfDateError(
            f"{path}: the stored suite {suite_name(d)!r} differs from the rules {sources} "
            f"give now; review the change and regenerate it with `{write_suite_command(d)}`"
        )
    return path


def suite_note(dictionary: Dictionary | None = None, directory: str | Path | None = None) -> str:
    """One line saying the suite in use is not stored for review, or ``""`` when it is."""
    d = dictionary or load_dictionary()
    path = stored_suite_path(d, directory)
    if path.is_file():
        return ""
    return (
        f"note: the suite {suite_name(d)!r} is not stored for review ({path} does not exist); "
        f"the rules generated from {' and '.join(_sources(d).values())} were used. Store it "
        f"with `{write_suite_command(d)}`"
    )


def _uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def context_config(data_docs_dir: str | Path | None = None) -> dict[str, Any]:
    """Data context configuration (``great_expectations.yml``) of the gate.

    Analytics and progress bars are off. Stores are those of a file project rooted at
    ``validation/``; the gate itself runs an ephemeral context with in-memory stores.

    Parameters
    ----------
    data_docs_dir : str or Path, optional
        Where Data Docs are built; default ``uncommitted/data_docs`` of the project.
    """
    return {
        "config_version": 4.0,
        "analytics_enabled": False,
        "progress_bars": {"globally": False, "metric_calculations": False},
        "plugins_directory": None,
        "stores": {
            "expectations_store": {
                "class_name": "ExpectationsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": "expectations/",
                    "suppress_store_backend_id": True,
                },
            },
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": "uncommitted/validations/",
                    "suppress_store_backend_id": True,
                },
            },
            "checkpoint_store": {
                "class_name": "CheckpointStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": "checkpoints/",
                    "suppress_store_backend_id": True,
                },
            },
            "validation_definition_store": {
                "class_name": "ValidationDefinitionStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": "validation_definitions/",
                    "suppress_store_backend_id": True,
                },
            },
        },
        "expectations_store_name": "expectations_store",
        "validation_results_store_name": "validation_results_store",
        "checkpoint_store_name": "checkpoint_store",
        "data_docs_sites": {
            "local_site": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir or "uncommitted/data_docs/"),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
        "fluent_datasources": {
            DATASOURCE_NAME: {
                "type": "pandas",
                "id": _uuid("datasource", DATASOURCE_NAME),
                "assets": {
                    ASSET_NAME: {
                        "type": "dataframe",
                        "id": _uuid("asset", ASSET_NAME),
                        "batch_metadata": {},
                        "batch_definitions": {
                            BATCH_DEFINITION_NAME: {
                                "id": _uuid("batch_definition", BATCH_DEFINITION_NAME),
                                "partitioner": None,
                            }
                        },
                    }
                },
            }
        },
    }


def _validation_definition(name: str) -> dict[str, Any]:
    return {
        "data": {
            "asset": {"id": _uuid("asset", ASSET_NAME), "name": ASSET_NAME},
            "batch_definition": {
                "id": _uuid("batch_definition", BATCH_DEFINITION_NAME),
                "name": BATCH_DEFINITION_NAME,
            },
            "datasource": {"id": _uuid("datasource", DATASOURCE_NAME), "name": DATASOURCE_NAME},
        },
        "id": _uuid("validation_definition", name),
        "name": name,
        "suite": {"id": _uuid("suite", name), "name": name},
    }


def _checkpoint(name: str, checkpoint: str) -> dict[str, Any]:
    return {
        "actions": [],
        "id": _uuid("checkpoint", checkpoint),
        "name": checkpoint,
        "result_format": dict(RESULT_FORMAT),
        "validation_definitions": [{"id": _uuid("validation_definition", name), "name": name}],
    }


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _rules_markdown(rules: Iterable[Rule], name: str, sources: str, command: str) -> str:
    lines = [
        f"<!-- Generated from {sources} by `{command}`. -->",
        f"# Rules of the validation gate: suite `{name}`",
        "",
        "| # | rule_id | severity | columns | rule |",
        "|---:|---|---|---|---|",
    ]
    for i, r in enumerate(rules, 1):
        columns = ", ".join(r.columns) or "(whole file)"
        lines.append(f"| {i} | `{r.rule_id}` | {r.severity} | {columns} | {r.description} |")
    return "\n".join(lines) + "\n"


def project_files(dictionary: Dictionary | None = None) -> dict[str, str]:
    """Text of every generated file of the GX project, by path relative to ``validation/``.

    Returns
    -------
    dict of str to str
        ``great_expectations.yml`` and ``.gitignore`` (the same for every study), and for the
        suite ``<suite>`` (:func:`suite_name`): ``expectations/<suite>.json``,
        ``validation_definitions/<suite>.json``, ``checkpoints/<suite>_gate.json`` and
        ``rules/<suite>.md``.
    """
    d = dictionary or load_dictionary()
    name, checkpoint = suite_name(d), checkpoint_name(d)
    suite = suite_dict(d)
    suite["meta"] = {"generated_from": _sources(d)}
    header = (
        "# Great Expectations project of the itp-stats validation gate.\n"
        "# Generated by `itp-stats gate --write-suite`; do not edit.\n"
    )
    config = yaml.safe_dump(context_config(), sort_keys=False, allow_unicode=True)
    sources = " and ".join(_sources(d).values())
    return {
        "great_expectations.yml": header + config,
        f"expectations/{name}.json": _json(suite),
        f"validation_definitions/{name}.json": _json(_validation_definition(name)),
        f"checkpoints/{checkpoint}.json": _json(_checkpoint(name, checkpoint)),
        f"rules/{name}.md": _rules_markdown(
            build_rules(d), name, sources, write_suite_command(d, _project_root())
        ),
        ".gitignore": "uncommitted/\n",
    }


def write_project(
    directory: str | Path | None = None, dictionary: Dictionary | None = None
) -> list[Path]:
    """Write the generated GX project files into ``directory`` (atomically, file by file).

    Parameters
    ----------
    directory : str or Path, optional
        Defaults to :func:`validation_dir`.
    dictionary : Dictionary, optional
        Defaults to the dictionary of the study in use.

    Returns
    -------
    list of Path
        The files written.
    """
    directory = Path(directory) if directory is not None else validation_dir()
    written = []
    for rel, text in project_files(dictionary).items():
        path = directory / rel
        with replaced_atomically(path) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
