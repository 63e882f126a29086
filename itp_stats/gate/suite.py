"""The gate's rules, built from the data dictionary as a Great Expectations suite.

Every rule is one GX 1.x expectation carrying, besides its own arguments:

- ``severity``: ``critical`` (a failure stops the analysis) or ``warning`` (reported);
- ``description``: a plain-language label, shown in the step table and in Data Docs;
- ``meta.rule_id``: a stable identifier (``age_years.range``) by which results are put back in
  suite order (GX returns them in its own order);
- ``meta.columns``: the file columns the rule reads (a rule whose column is missing from the
  file is reported as not evaluated).

Rules read the typed cohort (see :mod:`itp_stats.gate.batch`), plus a few columns the gate
computes itself, all named ``gate__…``: the IWG 2009 response derived from platelets, bleeding
and rescue therapy, the ratio of each composition (sum of subsets over the parent count) and
the cells that did not parse in their type. They let the same expectations run unchanged on
pandas, on a SQL view or on Spark.

:func:`write_project` stores the suite, the validation definition, the checkpoint and the
context configuration in ``validation/``, a GX project a data manager can review in git. A test
checks the stored files equal what the dictionary says now.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from itp_stats.cohort.dictionary import Composition, Dictionary, load_dictionary

if TYPE_CHECKING:
    import great_expectations as gx

__all__ = [
    "ASSET_NAME",
    "BATCH_DEFINITION_NAME",
    "CHECKPOINT_NAME",
    "CHECK_PREFIX",
    "DATASOURCE_NAME",
    "FOLLOWUP_COLUMN",
    "RESPONSE_CHECK",
    "RESULT_FORMAT",
    "SUITE_NAME",
    "UNPARSED_CHECK",
    "VALIDATION_NAME",
    "Rule",
    "build_rules",
    "build_suite",
    "check_columns",
    "composition_check",
    "context_config",
    "recorded_check",
    "timepoint_columns",
    "project_files",
    "suite_dict",
    "write_project",
]

SUITE_NAME = "itp_cohort"
"""Name of the expectation suite."""
VALIDATION_NAME = "itp_cohort"
"""Name of the validation definition (suite × the cohort batch)."""
CHECKPOINT_NAME = "itp_cohort_gate"
"""Name of the checkpoint the gate runs."""
DATASOURCE_NAME = "itp_cohort"
ASSET_NAME = "cohort"
BATCH_DEFINITION_NAME = "whole_cohort"

CHECK_PREFIX = "gate__"
"""Prefix of the columns computed by the gate (never read from the file)."""
RESPONSE_CHECK = "gate__response_iwg"
"""IWG 2009 response derived from platelets, bleeding and rescue (``cohort.load.derive``)."""
UNPARSED_CHECK = "gate__unparsed_cells"
"""Per row, how many cells did not parse in their column's type (0 when all did)."""
FOLLOWUP_COLUMN = "followup_months"
"""Follow-up column deciding whether a patient reached a time point."""

RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC"}
"""Result format of the checkpoint: counts per rule. The gate then re-runs only the rules that
failed with ``COMPLETE`` to list every failing row (mapped to patient ids)."""

_NAMESPACE = uuid.UUID("5d3c6f0e-7a51-4c1e-9a0e-1f4b6c2d8e90")


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
    """Names of every column the gate computes, in batch order."""
    dictionary = dictionary or load_dictionary()
    names = [UNPARSED_CHECK, RESPONSE_CHECK]
    for comp in dictionary.compositions:
        names += [composition_check(comp, tp) for tp in dictionary.timepoints]
    if FOLLOWUP_COLUMN in dictionary.columns:
        names += [recorded_check(tp) for tp in dictionary.timepoints if _months(tp)]
    return names


def _months(timepoint: str) -> int | None:
    """``m6`` -> 6; None for a code that is not ``m<number>``."""
    digits = timepoint[1:]
    return int(digits) if timepoint.startswith("m") and digits.isdigit() else None


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym (``CD3+`` stays)."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def build_rules(dictionary: Dictionary | None = None) -> list[Rule]:
    """Derive the gate's rules from the data dictionary, in report order.

    Parameters
    ----------
    dictionary : Dictionary, optional
        Defaults to the project's ``data/dictionary.yaml``.

    Returns
    -------
    list of Rule
        Table rules (column set, at least one row), the type rule, per-column rules (not
        empty, pattern, unique, range, categories), subset ≤ parent rules, composition sums,
        time point follow-up rules, then response rules.
    """
    d = dictionary or load_dictionary()
    cols = d.columns
    rules: list[Rule] = []
    add = rules.append
    file_columns = list(cols)

    add(
        Rule(
            "table.columns",
            "critical",
            "The file has exactly the columns of the data dictionary: none missing, none "
            "unknown (direct identifiers such as a patient name are not allowed)",
            (),
            "ExpectTableColumnsToMatchSet",
            {"column_set": sorted(file_columns + check_columns(d)), "exact_match": True},
        )
    )
    add(
        Rule(
            "table.rows",
            "critical",
            "The file has at least one patient",
            (),
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
        )
    )
    add(
        Rule(
            "cells.type",
            "critical",
            "Every cell reads in its column's type: whole numbers in count columns, yes/no "
            "in yes/no columns (no 'ND', '<5' or '12,5')",
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
                    f"{label}: only letters, digits, '_' and '-' (pattern {col.pattern})",
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
                    f"{label}: one of {', '.join(col.categories)}",
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
                    f"{col.label} ≤ {_lower_first(parent.label)}",
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
                    f"{part_labels} ≤ {_lower_first(d.markers[comp.whole].label)} × "
                    f"{_number(1 + tol)} at {tp_label.lower()} (the subsets fit in the parent "
                    f"count, {_number(round(100 * tol, 6))} % tolerance)",
                    (*parts, whole),
                    "ExpectColumnValuesToBeBetween",
                    {"column": composition_check(comp, tp), "max_value": _number(1 + tol)},
                )
            )

    if FOLLOWUP_COLUMN in cols:
        for tp, tp_label in d.timepoints.items():
            months = _months(tp)
            measured = timepoint_columns(d, tp)
            if not months or not measured:
                continue
            add(
                Rule(
                    f"{tp}.followup",
                    "critical",
                    f"Values at {tp_label.lower()} only for patients followed {months} months "
                    f"or more: empty when follow-up is shorter",
                    (*measured, FOLLOWUP_COLUMN),
                    "ExpectColumnValuesToBeBetween",
                    {
                        "column": recorded_check(tp),
                        "max_value": 0,
                        "row_condition": (FOLLOWUP_COLUMN, "<", months),
                    },
                    needs=(FOLLOWUP_COLUMN,),
                )
            )

    group = d.group_column
    iwg_inputs = ("platelets_m0", "platelets_m6", "bleeding_m6", "rescue_therapy_m6")
    if all(c in cols for c in iwg_inputs):
        add(
            Rule(
                f"{group}.consistent",
                "critical",
                f"{cols[group].label}: as derived from platelets, bleeding and rescue therapy "
                "(CR ≥ 100; PR ≥ 30 and ≥ 2× baseline; bleeding or rescue is NR)",
                (group, *iwg_inputs),
                "ExpectColumnPairValuesToBeEqual",
                {
                    "column_A": group,
                    "column_B": RESPONSE_CHECK,
                    "ignore_row_if": "either_value_is_missing",
                },
            )
        )
    group_months = _months(cols[group].timepoint or "")
    if FOLLOWUP_COLUMN in cols and group_months:
        add(
            Rule(
                f"{group}.present",
                "warning",
                f"{cols[group].label}: recorded when follow-up reached {group_months} months",
                (group, FOLLOWUP_COLUMN),
                "ExpectColumnValuesToNotBeNull",
                {"column": group, "row_condition": (FOLLOWUP_COLUMN, ">=", group_months)},
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
    if "platelets_m0" in cols:
        add(
            Rule(
                "platelets_m0.itp",
                "warning",
                f"{cols['platelets_m0'].label}: below 100 ×10⁹/L (the ITP threshold)",
                ("platelets_m0",),
                "ExpectColumnValuesToBeBetween",
                {"column": "platelets_m0", "max_value": 100, "strict_max": True},
            )
        )

    ids = [r.rule_id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate rule ids")
    return rules


def _expectation(rule: Rule) -> Any:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kwargs = dict(rule.kwargs)
    if "row_condition" in kwargs:
        column, op, value = kwargs.pop("row_condition")
        column = Column(column)
        kwargs["row_condition"] = {"<": column < value, ">=": column >= value}[op]
    cls = getattr(gxe, rule.expectation)
    return cls(
        **kwargs,
        severity=rule.severity,
        description=rule.description,
        meta={"rule_id": rule.rule_id, "columns": list(rule.columns)},
    )


def suite_dict(dictionary: Dictionary | None = None) -> dict[str, Any]:
    """The suite as GX writes it to JSON, with ids fixed from the rule ids.

    Returns
    -------
    dict
        ``name``, ``id``, ``meta``, ``notes`` and ``expectations`` (each with ``type``,
        ``kwargs``, ``meta``, ``description``, ``severity`` and ``id``).
    """
    import great_expectations as gx

    rules = build_rules(dictionary)
    suite = gx.ExpectationSuite(name=SUITE_NAME, expectations=[_expectation(r) for r in rules])
    out = suite.to_json_dict()
    out["id"] = _uuid("suite", SUITE_NAME)
    out["notes"] = (
        "Generated from data/dictionary.yaml by `itp-stats gate --write-suite`; edit the "
        "dictionary, not this file."
    )
    for exp in out["expectations"]:
        exp["id"] = _uuid("expectation", exp["meta"]["rule_id"])
    return out


def build_suite(dictionary: Dictionary | None = None) -> gx.ExpectationSuite:
    """Return the gate's rules as a GX ``ExpectationSuite`` (not attached to a context)."""
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_dict(dictionary))


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


def _validation_definition() -> dict[str, Any]:
    return {
        "data": {
            "asset": {"id": _uuid("asset", ASSET_NAME), "name": ASSET_NAME},
            "batch_definition": {
                "id": _uuid("batch_definition", BATCH_DEFINITION_NAME),
                "name": BATCH_DEFINITION_NAME,
            },
            "datasource": {"id": _uuid("datasource", DATASOURCE_NAME), "name": DATASOURCE_NAME},
        },
        "id": _uuid("validation_definition", VALIDATION_NAME),
        "name": VALIDATION_NAME,
        "suite": {"id": _uuid("suite", SUITE_NAME), "name": SUITE_NAME},
    }


def _checkpoint() -> dict[str, Any]:
    return {
        "actions": [],
        "id": _uuid("checkpoint", CHECKPOINT_NAME),
        "name": CHECKPOINT_NAME,
        "result_format": dict(RESULT_FORMAT),
        "validation_definitions": [
            {"id": _uuid("validation_definition", VALIDATION_NAME), "name": VALIDATION_NAME}
        ],
    }


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _rules_markdown(rules: Iterable[Rule]) -> str:
    lines = [
        "<!-- Generated from data/dictionary.yaml by `itp-stats gate --write-suite`. -->",
        "# Rules of the validation gate",
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
        ``great_expectations.yml``, ``expectations/itp_cohort.json``,
        ``validation_definitions/itp_cohort.json``, ``checkpoints/itp_cohort_gate.json``,
        ``rules.md`` and ``.gitignore``.
    """
    dictionary = dictionary or load_dictionary()
    suite = suite_dict(dictionary)
    suite["meta"] = {"generated_from": "data/dictionary.yaml"}
    header = (
        "# Great Expectations project of the itp-stats validation gate.\n"
        "# Generated from data/dictionary.yaml by `itp-stats gate --write-suite`; do not edit.\n"
    )
    config = yaml.safe_dump(context_config(), sort_keys=False, allow_unicode=True)
    return {
        "great_expectations.yml": header + config,
        f"expectations/{SUITE_NAME}.json": _json(suite),
        f"validation_definitions/{VALIDATION_NAME}.json": _json(_validation_definition()),
        f"checkpoints/{CHECKPOINT_NAME}.json": _json(_checkpoint()),
        "rules.md": _rules_markdown(build_rules(dictionary)),
        ".gitignore": "uncommitted/\n",
    }


def write_project(directory: str | Path, dictionary: Dictionary | None = None) -> list[Path]:
    """Write the generated GX project files into ``directory`` (atomically, file by file).

    Returns
    -------
    list of Path
        The files written.
    """
    directory = Path(directory)
    written = []
    for rel, text in project_files(dictionary).items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(path)
    return written
