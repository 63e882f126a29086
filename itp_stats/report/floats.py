"""Which tables and figures of the documents a study has, and the numbers they get.

A float the study has nothing to show in is *left out*: a trend test of unordered groups, a
sensitivity analysis whose groups are the positive group alone (it would repeat the primary
comparison), figures of percentages when no marker has a parent population, and, in a study of
one time point, everything about a follow-up time point (its tables, figures and the change
section). The documents print the line of :func:`left_out` in its place (empty: nothing at
all), ``report.lua`` leaves it unnumbered, and it is not exported; the floats after it are
numbered on, in the documents, the sentences that cite them, the workbook and the figure
files alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itp_stats.report.export import SHEET_NAMES
from itp_stats.text import lower_first

if TYPE_CHECKING:
    from itp_stats.study.prepare import Study

__all__ = [
    "SURVIVAL_FLOATS",
    "TABLE_LABELS",
    "SUPPLEMENT_TABLES",
    "left_out",
    "table_numbers",
    "table_number",
]

TABLE_LABELS = {
    "table1": "tbl-baseline",
    "table2": "tbl-markers",
    "table3": "tbl-change",
    "markers_baseline": "supptbl-markers-baseline",
    "markers_followup": "supptbl-markers-followup",
    "pairwise": "supptbl-pairwise",
    "missing": "supptbl-missing",
    "sensitivity": "supptbl-sensitivity",
    "trend": "supptbl-trend",
    "change_markers": "supptbl-change-markers",
    "dictionary": "supptbl-dictionary",
    "validation": "supptbl-validation",
    "model_validation": "supptbl-model-validation",
    "adjusted": "supptbl-adjusted",
    "survival": "tbl-survival",
    "cox": "supptbl-cox",
    "ph": "supptbl-ph",
}
"""The label of each report table's float in the documents."""

SUPPLEMENT_TABLES = tuple(
    name for name, sheet in SHEET_NAMES.items() if sheet.startswith("Table S")
)
"""The supplement's tables in the order it numbers them (Table S1, S2…)."""

FOLLOWUP_FLOATS = (
    "tbl-change",
    "fig-paired",
    "supptbl-markers-followup",
    "supptbl-change-markers",
    "suppfig-counts-followup",
    "suppfig-pct-followup",
)
"""The floats about the follow-up time point: none in a study of one time point."""

SURVIVAL_FLOATS = ("tbl-survival", "fig-survival", "supptbl-cox", "supptbl-ph")
"""The floats of the time-to-event endpoints: none in a study without ``time_to_event``."""


def left_out(study: Study) -> dict[str, str]:
    """The floats of the documents the study has nothing to show in, by label, each with the
    line the documents print in its place.

    Parameters
    ----------
    study : Study

    Returns
    -------
    dict of str to str
        Label (``supptbl-sensitivity``) to the line; an empty line for the floats about a
        follow-up time point in a study of one time point (the documents say nothing about
        follow-up).
    """
    cfg = study.config
    out = {}
    if set(cfg.responders) == {cfg.positive}:
        out["supptbl-sensitivity"] = (
            "No sensitivity analysis: it would repeat the primary comparison of the "
            f"{cfg.positive} group with the others."
        )
    if not cfg.ordered:
        out["supptbl-trend"] = (
            "No trend test: the study's groups are not ordered (group.ordered in its "
            "configuration)."
        )
    if not any(m.startswith("pct_") for m in cfg.markers):
        for label, code in (("suppfig-pct-baseline", cfg.baseline),
                            ("suppfig-pct-followup", cfg.followup)):  # fmt: skip
            when = "baseline" if code == cfg.baseline else timepoint_phrase(study, code)
            out[label] = (
                f"No figure of the markers as percentages at {when}: no marker of this study "
                "has a parent population."
            )
    if not any(p.adjust_for for p in cfg.predictors):
        out["supptbl-adjusted"] = (
            "No adjusted prediction model: the study names no covariates to adjust for "
            "(predictors[].adjust_for in its configuration)."
        )
    if not cfg.has_followup:
        out.update(dict.fromkeys(FOLLOWUP_FLOATS, ""))
    if not cfg.endpoints:  # no time to event: nothing of it, not even a line
        out.update(dict.fromkeys(SURVIVAL_FLOATS, ""))
    elif not any(ep.predictors for ep in cfg.endpoints):
        for label in ("supptbl-cox", "supptbl-ph"):
            out[label] = (
                "No Cox model: the study's time-to-event endpoints name no predictor "
                "(time_to_event[].predictors in its configuration)."
            )
    return out


def timepoint_phrase(study: Study, code: str | None) -> str:
    """A time point's label as a sentence prints it after "at" (``1 year``); ``""`` for none."""
    return "" if code is None else lower_first(study.config.timepoint_label(code))


def table_numbers(study: Study) -> dict[str, str]:
    """The number each report table has (``Table 2``, ``Table S4``), the tables left out
    (:func:`left_out`) not counted: in the documents, the sentences and the workbook."""
    gone = left_out(study)
    numbers = {name: sheet for name, sheet in SHEET_NAMES.items() if name not in SUPPLEMENT_TABLES}
    shown = [n for n in SUPPLEMENT_TABLES if TABLE_LABELS[n] not in gone]
    numbers.update({name: f"Table S{i}" for i, name in enumerate(shown, 1)})
    return numbers


def table_number(study: Study, name: str) -> str:
    """The number of the report table ``name`` (``Table S8`` for ``dictionary``)."""
    return table_numbers(study)[name]
