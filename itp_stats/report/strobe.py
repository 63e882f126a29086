"""The STROBE checklist of a cohort study, filled from the report where the project writes
what an item asks.

STROBE (von Elm et al., 2007) lists 22 items a cohort study's report should hold.
:func:`checklist` says, for each, where the documents report it — the document, its
section, and a phrase of that section which is what the item asks for (computed from the
study: the period, the counts, the confidence level) — or that only the authors can answer
it (title, background and objectives, the discussion, funding). The pages come from the
rendered PDF (:func:`itp_stats.bundle.checklist.locate_pages`), which also checks that each
section exists and holds its phrase.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

import itp_stats.report.sentences as T
import itp_stats.report.survival as tte
from itp_stats.report.floats import left_out, table_number
from itp_stats.report.tables import conf_header

__all__ = [
    "AUTHORS",
    "CHECKLIST_COLUMNS",
    "DOCUMENT_NAMES",
    "ITEMS",
    "checklist",
    "checklist_markdown",
    "checklist_rows",
    "place_text",
]

AUTHORS = "to be completed by the authors"
"""The status of an item only the authors can answer."""

FILLED = "reported"
"""The status of an item the documents report."""

DOCUMENT_NAMES = {"index": "Report", "supplement": "Supplement"}
"""How the checklist names the documents (``report/index``, ``report/supplement``)."""

CHECKLIST_COLUMNS = [
    "item", "topic", "recommendation", "status", "document", "section", "evidence", "table",
]  # fmt: skip
"""Columns of :func:`checklist`: one row per place an item is reported (one row, with empty
place, for an item the authors complete); ``table`` numbers the table of the section that
reports it (``Table S4``), when one does."""

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("1", "Title and abstract", "Indicate the study's design with a commonly used term in "
     "the title or the abstract; provide an informative and balanced summary."),
    ("2", "Background/rationale", "Explain the scientific background and rationale for the "
     "investigation being reported."),
    ("3", "Objectives", "State specific objectives, including any prespecified hypotheses."),
    ("4", "Study design", "Present key elements of study design early in the paper."),
    ("5", "Setting", "Describe the setting, locations, and relevant dates, including periods "
     "of recruitment, exposure, follow-up, and data collection."),
    ("6", "Participants", "Give the eligibility criteria, and the sources and methods of "
     "selection of participants; describe methods of follow-up."),
    ("7", "Variables", "Clearly define all outcomes, exposures, predictors, potential "
     "confounders, and effect modifiers; give diagnostic criteria, if applicable."),
    ("8", "Data sources/measurement", "For each variable of interest, give sources of data "
     "and details of methods of assessment (measurement)."),
    ("9", "Bias", "Describe any efforts to address potential sources of bias."),
    ("10", "Study size", "Explain how the study size was arrived at."),
    ("11", "Quantitative variables", "Explain how quantitative variables were handled in the "
     "analyses."),
    ("12", "Statistical methods", "Describe all statistical methods, including those used to "
     "control for confounding, to examine subgroups, missing data, loss to follow-up, and "
     "sensitivity analyses."),
    ("13", "Participants", "Report numbers of individuals at each stage of study, reasons for "
     "non-participation at each stage; consider a flow diagram."),
    ("14", "Descriptive data", "Give characteristics of study participants; indicate the "
     "number of participants with missing data for each variable of interest."),
    ("15", "Outcome data", "Report numbers of outcome events or summary measures over time."),
    ("16", "Main results", "Give unadjusted estimates and, if applicable, confounder-adjusted "
     "estimates and their precision (eg, 95% confidence interval)."),
    ("17", "Other analyses", "Report other analyses done, eg analyses of subgroups and "
     "interactions, and sensitivity analyses."),
    ("18", "Key results", "Summarise key results with reference to study objectives."),
    ("19", "Limitations", "Discuss limitations of the study, taking into account sources of "
     "potential bias or imprecision."),
    ("20", "Interpretation", "Give a cautious overall interpretation of results considering "
     "objectives, limitations, multiplicity of analyses, results from similar studies, and "
     "other relevant evidence."),
    ("21", "Generalisability", "Discuss the generalisability (external validity) of the "
     "study results."),
    ("22", "Funding", "Give the source of funding and the role of the funders for the present "
     "study and, if applicable, for the original study on which the present article is based."),
)  # fmt: skip
"""The 22 items of the STROBE cohort-study checklist: number, topic, recommendation
(shortened where it has parts for other designs)."""


def _plain(markdown: str) -> str:
    """Markdown as the page prints it, for a phrase to find: marks and escapes removed."""
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", markdown)  # [text]{.class} spans
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)  # nested once
    return re.sub(r"\\(.)", r"\1", text.replace("**", "").replace("*", ""))


def _first_words(markdown: str, n: int = 4) -> str:
    return " ".join(_plain(markdown).split()[:n])


def _places(study: Any) -> dict[str, list[tuple[str, ...]]]:
    """Item → (document, section, phrase[, report table]) of each place the documents
    report it."""
    cfg, flow = study.config, study.flow
    period = study.period()
    setting = (
        ("index", "Summary", f"from {period}")
        if period
        else ("index", "Methods › Cohort", "with measurements")
    )
    places: dict[str, list[tuple[str, ...]]] = {
        "4": [
            ("index", "Methods › Cohort", f"one row per {cfg.participants.singular}"),
            ("index", "Methods › Analysis plan", "statistical analysis plan"),
        ],
        "5": [setting],
        "6": [("index", "Methods › Cohort", "excluded from the comparisons")],
        "7": [
            ("index", "Methods › Groups", "The groups"),
            ("index", "Methods › Markers", "The analysis covers"),
        ],
        "8": [
            ("index", "Data quality", "validation gate"),
            ("supplement", "Supplementary tables", "Data dictionary: every column", "dictionary"),
        ],
        "9": [("index", "Results › Participants", "marker value")],
        "10": [("index", "Results › Participants", f"{flow['analysed']} were analysed")],
        "11": [("index", "Methods › Markers", "The analysis covers")],
        "12": [
            ("index", "Methods › Statistical methods", "Benjamini–Hochberg"),
            ("index", "Methods › Analysis plan", "Deviations from the plan"),
        ],
        "13": [
            (
                "index",
                "Results › Participants",
                f"The file held {cfg.participants.count(flow['assessed'])}",
            ),
            ("index", "Results › Participants", "Participant flow"),
        ],
        "14": [
            ("index", "Results › Participants", "Baseline characteristics by"),
            ("supplement", "Supplementary tables", "Missing data by variable and group", "missing"),
        ],
        "15": [
            ("index", "Results › Participants", f"At {_plain(T.grouped_when(study))}:"),
        ],
        "16": [
            ("index", "Results › Markers at baseline", conf_header(study)),
        ],
        "17": [],
        "19": [("index", "Limitations", _first_words(T.limitations_text(study)))],
    }
    if "supptbl-sensitivity" not in left_out(study):  # a sensitivity analysis was done
        places["17"].append(
            ("supplement", "Supplementary tables", "Sensitivity analysis", "sensitivity")
        )
    if cfg.predictors:
        places["16"].append(("index", "Results › Prediction", "AUC"))
    if cfg.has_followup:
        places["17"].append(
            ("index", "Results › Change from baseline to follow-up", "Change of the markers")
        )
    if cfg.endpoints:  # time to event: its section states the curves and the Cox models
        heading = _plain(tte.section_heading(study))
        places["17"].append(("index", f"Results › {heading}", "Kaplan–Meier"))
    if not places["17"]:  # none: the authors say what else they did
        del places["17"]
    return places


def checklist(study: Any) -> pd.DataFrame:
    """The STROBE checklist of ``study``: where each item is reported, or who completes it.

    Parameters
    ----------
    study : Study
        A computed study (its counts, period and confidence level give the phrases).

    Returns
    -------
    pandas.DataFrame
        :data:`CHECKLIST_COLUMNS`, items in order: ``status`` "reported" with ``document``
        (``index`` or ``supplement``), ``section`` (headings joined by " › ") and
        ``evidence`` (a phrase of that section, as printed) and ``table`` (the number of the
        table holding it, or empty); or :data:`AUTHORS` with the place columns empty.
    """
    places = _places(study)
    rows = []
    for number, topic, recommendation in ITEMS:
        base = {"item": number, "topic": topic, "recommendation": recommendation}
        if number not in places:
            rows.append(base | {"status": AUTHORS, "document": "", "section": "",
                                "evidence": "", "table": ""})  # fmt: skip
            continue
        for document, section, evidence, *table in places[number]:
            number_ = table_number(study, table[0]) if table else ""
            rows.append(base | {"status": FILLED, "document": document, "section": section,
                                "evidence": evidence, "table": number_})  # fmt: skip
    return pd.DataFrame(rows, columns=CHECKLIST_COLUMNS)


def checklist_markdown(study: Any) -> str:
    """The checklist as the supplement prints it: a pipe table, one row per item.

    Each item gives the document and section it is reported in (the same in every format;
    the PDF pages are in the submission bundle's ``checklist/strobe.csv`` and ``.docx``,
    read from the rendered PDF), or :data:`AUTHORS`.
    """
    from itp_stats.report.format import to_pipe_table

    rows = [
        {"Item": item, "Topic": topic, "Reported in": reported}
        for item, topic, reported in _reported_in(checklist(study))
    ]
    return to_pipe_table(pd.DataFrame(rows, columns=["Item", "Topic", "Reported in"]))


def place_text(document: str, section: str, table: str = "", page: str = "") -> str:
    """One place as the checklist prints it: ``Supplement › Supplementary tables, Table S4
    (PDF p. 3)``."""
    text = f"{DOCUMENT_NAMES.get(document, document)} › {section}"
    text += f", {table}" if table else ""
    return text + (f" (PDF p. {page})" if page else "")


def _reported_in(table: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(item, topic, where) per item: its places joined by "; ", or :data:`AUTHORS`."""
    out = []
    for (item, topic), part in table.groupby(["item", "topic"], sort=False):
        places = [
            place_text(r.document, r.section, r.table, getattr(r, "page", ""))
            for r in part.itertuples()
            if r.document
        ]
        out.append((item, topic, "; ".join(dict.fromkeys(places)) or AUTHORS))
    return out


def checklist_rows(located: pd.DataFrame) -> pd.DataFrame:
    """One row per item of a checklist (with ``page`` when located): Item, Topic,
    Recommendation, Reported in."""
    recommendations = {n: r for n, _, r in ITEMS}
    rows = [
        {"Item": item, "Topic": topic, "Recommendation": recommendations[item],
         "Reported in": reported}
        for item, topic, reported in _reported_in(located)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["Item", "Topic", "Recommendation", "Reported in"])
