"""Deviations from the statistical analysis plan, found by comparing what ran with the plan.

Rules (each a row of :func:`deviations`, kind in brackets):

D1 [parameter] a planned parameter (the study's ``plan``, else
   :data:`~itp_stats.report.sap.PLANNED_PARAMETERS`) given another
   value at render (``-P alpha=0.01``);
D2 [group dropped] a group without patients, dropped from every analysis;
D3 [group left out] a group with fewer than the minimum number of values of a variable, left
   out of that variable's between-group tests (one row per group, counting the variables);
D4 [test switched] a between-group test other than the one the plan names for all the groups
   (Kruskal–Wallis for three or more, Mann–Whitney for two) because groups were left out, or
   not computed at all;
D5 [marker without data] a marker with no value at a time point (nothing to analyse).

The chi-square/Fisher choice of a categorical covariate and the exact/asymptotic variant of
a p-value are the plan's own rules, not deviations. :func:`plan_paragraph` is the report's
paragraph: the plan's digest, then the deviations in words, or "none".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from itp_stats.report.format import format_number, md_literal
from itp_stats.report.sap import Planned, plan_sha256
from itp_stats.study.plan import MIN_GROUP_SIZE, NO_ONE_IN_GROUP

__all__ = ["DEVIATION_COLUMNS", "deviations", "plan_paragraph"]

DEVIATION_COLUMNS = ["rule", "kind", "what", "planned", "run", "n"]
"""Columns of :func:`deviations`: the rule (D1…), its kind, what deviated, the planned and
the run value (text), and how many tests or variables it concerns."""

_OMNIBUS_TABLES = {
    "table1_tests": "variable",
    "baseline_kruskal": "dv",
    "change_between": "dv",
}
_PARAMETER_WORDS = {
    "alpha": "alpha",
    "adjust": "the pairwise adjustment",
    "n_boot": "the number of bootstrap resamples",
    "seed": "the random seed",
}
_TEST_NAMES = {"kruskal_wallis": "Kruskal–Wallis", "mann_whitney": "Mann–Whitney"}


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value, 4).rstrip("0").rstrip(".")
    return str(value)


def deviations(study) -> pd.DataFrame:
    """What ran differently from the plan (rules D1–D5 of the module docstring).

    Parameters
    ----------
    study : Study
        A computed study (:func:`itp_stats.study.prepare.prepare_study`).

    Returns
    -------
    pandas.DataFrame
        :data:`DEVIATION_COLUMNS`, in rule order; empty when the render followed the plan.
    """
    rows: list[dict[str, Any]] = []
    for key, planned in study.config.planned.items():
        run = study.params.get(key, planned)
        if run != planned:
            rows.append({"rule": "D1", "kind": "parameter", "what": key,
                         "planned": _shown(planned), "run": _shown(run), "n": 1})  # fmt: skip
    dropped = study.results["dropped_groups"]
    for group in dropped.loc[dropped["reason"] == NO_ONE_IN_GROUP, "group"]:
        rows.append({"rule": "D2", "kind": "group dropped", "what": str(group),
                     "planned": "compared", "run": NO_ONE_IN_GROUP, "n": 0})  # fmt: skip
    small = dropped[dropped["reason"] != NO_ONE_IN_GROUP]
    for group, part in small.groupby("group", sort=False):
        rows.append({
            "rule": "D3", "kind": "group left out", "what": str(group),
            "planned": "compared", "run": f"fewer than {MIN_GROUP_SIZE} values",
            "n": int(part["variable"].nunique()),
        })  # fmt: skip
    planned_test = "kruskal_wallis" if len(study.config.levels) >= 3 else "mann_whitney"
    switched: dict[tuple[str, str], int] = {}
    for name in _OMNIBUS_TABLES:
        table = study.results.get(name)
        if table is None or table.empty:
            continue
        if "kind" in table:
            table = table[table["kind"] == "continuous"]
        for test, method in zip(table["test"], table["method"], strict=True):
            run = "not computed" if str(method).startswith("not computed") else str(test)
            if run != planned_test:
                switched[(run, name)] = switched.get((run, name), 0) + 1
    for (run, _name), n in switched.items():
        rows.append({"rule": "D4", "kind": "test switched", "what": "between-group test",
                     "planned": planned_test, "run": run, "n": n})  # fmt: skip
    desc = study.results["marker_descriptives"]
    if not desc.empty and {"variable", "n"} <= set(desc.columns):
        per_column = desc.groupby("variable", sort=False)["n"].sum()
        for column, n in per_column.items():
            if n == 0:
                rows.append({"rule": "D5", "kind": "marker without data", "what": str(column),
                             "planned": "analysed", "run": "no value", "n": 0})  # fmt: skip
    frame = pd.DataFrame(rows, columns=DEVIATION_COLUMNS)
    if frame.empty:
        return frame
    merged = frame[frame["rule"] == "D4"].groupby(["planned", "run"], as_index=False)["n"].sum()
    merged = merged.assign(rule="D4", kind="test switched", what="between-group test")
    return pd.concat(
        [frame[frame["rule"] != "D4"], merged[DEVIATION_COLUMNS]], ignore_index=True
    ).sort_values("rule", kind="stable", ignore_index=True)


def _column_label(study, column: str) -> str:
    """A column as the dictionary labels it (its name when it is a derived column)."""
    d = study.config.dictionary
    return md_literal(d.label(column) if column in d.columns else column)


def _sentence(study, row: pd.Series) -> str:
    rule, what = row["rule"], md_literal(row["what"])
    n = int(row["n"])
    if rule == "D1":
        run, planned = md_literal(row["run"]), md_literal(row["planned"])
        name = _PARAMETER_WORDS.get(row["what"], what)
        return f"{name} was {run} instead of the planned {planned}"
    if rule == "D2":
        who = study.config.participants.plural
        return f"group {what} had no {who} and was dropped from every analysis"
    if rule == "D3":
        variables = "variable" if n == 1 else "variables"
        return (
            f"group {what} was left out of the between-group tests of {n} {variables} (fewer "
            f"than {MIN_GROUP_SIZE} values)"
        )
    if rule == "D4":
        tests = "test" if n == 1 else "tests"
        planned = _TEST_NAMES.get(row["planned"], row["planned"])
        if row["run"] == "not computed":
            return f"{n} between-group {tests} planned as {planned} could not be computed"
        run = _TEST_NAMES.get(row["run"], row["run"])
        return f"{n} between-group {tests} used {run} instead of {planned} (groups left out)"
    return f"{_column_label(study, row['what'])} had no value: not analysed"


def plan_paragraph(study) -> str:
    """The report's paragraph on the plan: its digest and the deviations, or "none".

    Parameters
    ----------
    study : Study
        A computed study.

    Returns
    -------
    str
        Markdown: the plan's SHA-256 (:func:`~itp_stats.report.sap.plan_sha256` of the study's
        configuration with the planned parameters) and one clause per deviation.
    """
    digest = plan_sha256(Planned(study.config))
    found = deviations(study)
    text = (
        "The analyses keep to the statistical analysis plan built from the study "
        "configuration and the data dictionary alone, without reading any data (SHA-256 "
        f"{digest[:12]}…, the plan document's digest). "
    )
    if found.empty:
        return text + "Deviations from the plan: none."
    clauses = [_sentence(study, row) for _, row in found.iterrows()]
    return text + f"Deviations from the plan: {'; '.join(clauses)}."
