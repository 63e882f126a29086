"""The statistical analysis plan (SAP), from the study configuration and dictionary alone.

:func:`analysis_plan` states, before any data are read, what the report will compute: the
population, the groups and their definition, the endpoints, the markers and their family,
every test with the rule that chooses it, the effect sizes and intervals, the multiplicity
adjustments, the handling of missing values and small groups, the rules the sentences follow,
and the alpha, seed and resamples. It reads the study configuration (and the dictionary it
names), never a cohort. Its digest (:func:`plan_sha256`) covers the plan's rows and the
digests of the two files, so the report can cite the plan it follows and the submission
bundle can carry it.

The planned parameters are the study configuration's ``plan`` section, else the documents'
defaults (:data:`PLANNED_PARAMETERS`, the ``parameters`` cell of ``report/index.qmd``); a
render at other values deviates from the plan, and says so
(:mod:`itp_stats.report.deviations`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

import itp_stats.report.sentences as T
import itp_stats.report.survival as survival
from itp_stats.report.format import format_number, md_literal
from itp_stats.report.tables import marker_label
from itp_stats.stats.multiplicity import METHODS
from itp_stats.study.config import StudyConfig, load_study
from itp_stats.study.parameters import PLANNED_DEFAULTS
from itp_stats.study.plan import MIN_GROUP_SIZE
from itp_stats.text import join_words, lower_first

__all__ = [
    "PLAN_COLUMNS",
    "PLANNED_PARAMETERS",
    "Planned",
    "analysis_plan",
    "plan_document",
    "plan_record",
    "plan_sha256",
    "sentence_rules",
]

PLANNED_PARAMETERS: dict[str, Any] = PLANNED_DEFAULTS
"""The parameters a plan fixes, at the defaults of the documents' ``parameters`` cell (a test
checks they agree); a study's ``plan`` section may give others (``StudyConfig.planned``)."""

PLAN_COLUMNS = ["section", "item", "plan"]
"""Columns of :func:`analysis_plan`: the section, what is planned, and the plan in words
(Markdown)."""


@dataclass(frozen=True)
class Planned:
    """A study before its data: the configuration and the planned parameters.

    The sentence builders of :mod:`itp_stats.report.sentences` that read only the
    configuration and the parameters accept it in place of a computed study.
    """

    config: StudyConfig
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the study's planned parameters, then those given
        object.__setattr__(self, "params", dict(self.config.planned) | dict(self.params))

    @property
    def dictionary(self):
        """The data dictionary the configuration names."""
        return self.config.dictionary


def sentence_rules() -> list[tuple[str, str]]:
    """The rules every sentence of the report follows, as written in
    :mod:`itp_stats.report.sentences` (its docstring's *Rules*): ``(code, rule)`` pairs."""
    doc = T.__doc__ or ""
    body = doc.split("Rules\n-----\n", 1)[1] if "Rules\n-----\n" in doc else ""
    rules = []
    for block in re.split(r"\n(?=R\d+ )", body.strip()):
        code, _, text = block.partition(" ")
        text = re.sub(r"\s*\(:func:`[^`]+`\)", "", " ".join(text.split()))
        rules.append((code, text.replace("*", "")))
    return rules


def _planned(study: str | Path | StudyConfig | Planned, params: Mapping[str, Any] | None):
    if isinstance(study, Planned):
        return study
    config = study if isinstance(study, StudyConfig) else load_study(study)
    return Planned(config, dict(params or {}))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ci(alpha: float) -> str:
    return f"{T.conf_label(alpha)} confidence interval"


def analysis_plan(
    study: str | Path | StudyConfig | Planned, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The analysis plan as a tidy table, one row per planned item.

    Parameters
    ----------
    study : str, Path, StudyConfig or Planned
        The study configuration (a path is read with
        :func:`~itp_stats.study.config.load_study`; no cohort is read).
    params : mapping, optional
        Parameters overriding :data:`PLANNED_PARAMETERS` (``alpha``, ``adjust``, ``n_boot``,
        ``seed``).

    Returns
    -------
    pandas.DataFrame
        :data:`PLAN_COLUMNS`: ``section`` (Population, Groups, Endpoints, Markers, Tests,
        Effect sizes and intervals, Multiplicity, Missing data and small groups, Sentence
        rules, Parameters), ``item`` and ``plan`` (Markdown).
    """
    p = _planned(study, params)
    cfg, d = p.config, p.config.dictionary
    alpha, adjust = float(p.params["alpha"]), str(p.params["adjust"])
    ci = _ci(alpha)
    k = len(cfg.levels)
    rows: list[tuple[str, str, str]] = []

    def add(section: str, item: str, text: str) -> None:
        rows.append((section, item, text))

    # Population
    who = cfg.participants
    add("Population", "Who", f"{_cap(md_literal(cfg.population))}, one row per {who.singular}.")
    if cfg.period_column:
        add(
            "Population",
            "Period",
            "The study period is the range of the "
            f"{md_literal(lower_first(d.label(cfg.period_column)))} over the {who.plural}.",
        )
    base = lower_first(md_literal(cfg.timepoint_label(cfg.baseline)))
    when = f"{base} (baseline)"
    if cfg.has_followup:
        when += f" and {lower_first(md_literal(cfg.timepoint_label(cfg.followup)))} (follow-up)"
    add("Population", "Time points", f"Measurements at {when}.")
    if cfg.design.followup_column:
        months = format_number(cfg.design.followup_months, 1).removesuffix(".0")
        add(
            "Population",
            "Exclusions",
            f"{who.plural_cap} followed for less than {months} months "
            f"({md_literal(lower_first(d.label(cfg.design.followup_column)))}), or without a "
            "group, are excluded from every analysis, with the reason in the flow diagram.",
        )
    else:
        add(
            "Population",
            "Exclusions",
            f"{who.plural_cap} without a group are excluded, with the reason.",
        )
    # Groups
    add("Groups", "Definition", T.group_methods(p))
    add("Groups", "Assessed", f"The groups are assessed at {T.grouped_when(p)}.")
    add(
        "Groups",
        "Order",
        "The levels are ordered (a trend test is planned)."
        if cfg.ordered
        else "The levels are not ordered (no trend test).",
    )
    # Endpoints
    positive = T.group_phrase(p, cfg.positive)
    first = (cfg.highlight_baseline or cfg.markers)[0]
    add(
        "Endpoints",
        "Primary comparison",
        f"The {T.quantity(p, first)} at baseline in the {positive} group against the other "
        f"groups ({md_literal(cfg.other)}): Mann–Whitney test, Hodges–Lehmann shift with its "
        f"{ci}; the conclusion is drawn from this comparison only.",
    )
    add(
        "Endpoints",
        "Secondary",
        "Every marker at baseline between the groups"
        + (", the change from baseline to follow-up" if cfg.has_followup else "")
        + (
            f", and the prediction of the {positive} group from "
            f"{join_words([md_literal(lower_first(pr.label)) for pr in cfg.predictors])}"
            if cfg.predictors
            else ""
        )
        + ".",
    )
    if set(cfg.responders) != {cfg.positive}:
        add(
            "Endpoints",
            "Sensitivity analysis",
            f"{' + '.join(md_literal(r) for r in cfg.responders)} against the other groups at "
            "baseline, every marker.",
        )
    # Markers
    add("Markers", "Panel", T.markers_methods(p))
    family = [md_literal(marker_label(p, m, unit=False)) for m in cfg.family]
    add(
        "Markers",
        "Family",
        f"The Benjamini–Hochberg family holds {len(cfg.family)} marker "
        f"{'variable' if len(cfg.family) == 1 else 'variables'}: {'; '.join(family)}.",
    )
    if cfg.highlight_baseline:
        add(
            "Markers",
            "Highlighted",
            "The summary reports the "
            + join_words([T.quantity(p, m) for m in cfg.highlight_baseline])
            + " at baseline"
            + (
                f" and the change of {join_words([T.quantity(p, m) for m in cfg.highlight_change])}"
                if cfg.highlight_change
                else ""
            )
            + ".",
        )
    # Tests and their choice rules
    omnibus = (
        "Kruskal–Wallis when three or more groups are compared, Mann–Whitney when two"
        if k >= 3
        else "Mann–Whitney (two groups)"
    )
    add(
        "Tests",
        "Table 1",
        f"Continuous covariates: {omnibus}. Categorical covariates: chi-square without "
        "continuity correction when every expected count is at least 5, Fisher's exact test "
        "otherwise.",
    )
    add("Tests", "Markers between groups", f"Every baseline marker: {omnibus}.")
    if k >= 3:
        add(
            "Tests",
            "Pairs of groups",
            f"Dunn's test for each pair when three or more groups are compared (Mann–Whitney "
            f"when two), adjusted within each marker by {METHODS.get(adjust, adjust)}.",
        )
    add(
        "Tests",
        "Positive group against the others",
        f"Mann–Whitney test of the {positive} group against the others, every baseline marker.",
    )
    if set(cfg.responders) != {cfg.positive}:
        add(
            "Tests",
            "Sensitivity analysis",
            f"Mann–Whitney test of {' + '.join(md_literal(r) for r in cfg.responders)} against "
            "the other groups, every baseline marker.",
        )
    if cfg.ordered and k >= 3:
        add(
            "Tests",
            "Trend",
            "Jonckheere–Terpstra test across the ordered groups, in level order.",
        )
    if cfg.has_followup:
        add(
            "Tests",
            "Change",
            f"Wilcoxon signed-rank test of the change within each group ({who.plural} with both "
            f"values); the change compared between the groups: {omnibus}.",
        )
    if cfg.predictors:
        preds = []
        for pr in cfg.predictors:
            direction = {"lower": "lower values", "higher": "higher values"}.get(
                pr.direction, "the direction chosen from the data"
            )
            per = format_number(pr.per, 3).rstrip("0").rstrip(".")
            text = (
                f"{md_literal(lower_first(pr.label))} ({direction} predict the positive "
                f"group; odds ratio per {per} {md_literal(pr.unit)})"
            ).replace(" )", ")")
            if pr.adjust_for:
                text += (
                    ", adjusted for "
                    + join_words([md_literal(lower_first(d.label(c))) for c in pr.adjust_for])
                    + " (not fitted below 5 events per variable)"
                )
            preds.append(text)
        add(
            "Tests",
            "Prediction",
            "ROC curve with the AUC and its DeLong interval, the Youden cutoff with its "
            "bootstrap interval, sensitivity, specificity and predictive values at the cutoff, "
            f"and the univariable logistic odds ratio, for {join_words(preds)}. Each model is "
            "validated internally (Harrell's bootstrap: AUC, Brier score, calibration "
            "intercept and slope, apparent and corrected for optimism).",
        )
    if cfg.endpoints:
        add("Tests", "Time to event", survival.methods_text(p, planned=True))
    # Effect sizes
    add(
        "Effect sizes and intervals",
        "Effect sizes",
        "ε² for Kruskal–Wallis (bootstrap interval); rank-biserial correlation and the "
        "Hodges–Lehmann shift for Mann–Whitney; matched-pairs rank-biserial correlation and the "
        "Hodges–Lehmann change for Wilcoxon; odds ratios for categorical and logistic models.",
    )
    add(
        "Effect sizes and intervals",
        "Intervals",
        f"Every interval is a {ci} (a Hodges–Lehmann interval that cannot reach that level "
        "gives the level it attains).",
    )
    # Multiplicity
    add(
        "Multiplicity",
        "Across markers",
        "Benjamini–Hochberg q-values across the family, reported beside the unadjusted p "
        "(within each group for the change).",
    )
    if k >= 3:
        add(
            "Multiplicity",
            "Within a marker",
            f"Pairwise comparisons adjusted by {METHODS.get(adjust, adjust)}.",
        )
    # Missing data
    add(
        "Missing data and small groups",
        "Missing values",
        f"No imputation: every analysis uses the {who.plural} with the values it needs and "
        "reports their number; missing values are counted per variable and group, and "
        f"whether a {who.singular} misses every marker is compared between the groups (Fisher's "
        "exact test).",
    )
    add(
        "Missing data and small groups",
        "Small groups",
        f"A group without {who.plural} is dropped from every analysis; a group with fewer than "
        f"{MIN_GROUP_SIZE} values of a variable is left out of that variable's between-group "
        "tests, and the remaining groups are compared; a test that cannot be computed is "
        "reported as not computed, with its reason.",
    )
    # Sentence rules
    for code, rule in sentence_rules():
        if cfg.has_followup or not rule.startswith("Change:"):  # no change: no change rule
            add("Sentence rules", code, rule)
    # Parameters
    add(
        "Parameters",
        "Alpha",
        f"Two-sided tests at alpha = {format_number(alpha, 3).rstrip('0').rstrip('.')}.",
    )
    add("Parameters", "Adjustment", f"Pairwise adjustment: {adjust}.")
    add(
        "Parameters",
        "Resamples",
        f"{format_number(int(p.params['n_boot']), 0)} bootstrap resamples.",
    )
    add("Parameters", "Seed", f"Random seed {int(p.params['seed'])}.")
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def plan_sha256(
    study: str | Path | StudyConfig | Planned, params: Mapping[str, Any] | None = None
) -> str:
    """SHA-256 of the plan: its rows, parameters, and the study and dictionary digests."""
    return plan_record(study, params)["sha256"]


def plan_record(
    study: str | Path | StudyConfig | Planned, params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The plan as a JSON-ready record (the bundle's ``plan/sap.json``).

    Returns
    -------
    dict
        ``schema``, ``study`` (name, file, SHA-256), ``dictionary`` (file, SHA-256),
        ``parameters``, ``rows`` (:func:`analysis_plan` as records) and ``sha256``, the digest
        of the canonical JSON of everything before it.
    """
    p = _planned(study, params)
    cfg = p.config
    dictionary = Path(cfg.dictionary.path)
    body = {
        "schema": "itp-stats/sap/1",
        "study": {"name": cfg.name, "file": cfg.path.name, "sha256": cfg.sha256},
        "dictionary": {
            "file": dictionary.name,
            "sha256": hashlib.sha256(dictionary.read_bytes()).hexdigest(),
        },
        "parameters": {k: p.params[k] for k in PLANNED_PARAMETERS},
        "rows": analysis_plan(p).to_dict("records"),
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return body | {"sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()}


def plan_document(
    study: str | Path | StudyConfig | Planned, params: Mapping[str, Any] | None = None
) -> str:
    """The plan as the SAP document's Markdown: its digest, then one section per part.

    Returns
    -------
    str
        A paragraph naming the study configuration and the dictionary, the plan's SHA-256 on
        a line of its own, then a level-1 heading per section with its items as a list.
    """
    record = plan_record(study, params)
    plan = pd.DataFrame(record["rows"], columns=PLAN_COLUMNS)
    out = [
        "This statistical analysis plan was built from the study configuration "
        f"`{record['study']['file']}` (SHA-256 `{record['study']['sha256'][:12]}…`) and the "
        f"data dictionary `{record['dictionary']['file']}` (SHA-256 "
        f"`{record['dictionary']['sha256'][:12]}…`) alone, without reading any data: its "
        "content does not depend on them, and the report cites it by its digest.",
        "",
        f"**Plan digest (SHA-256):** `{record['sha256']}`",
        "",
    ]
    for section, items in plan.groupby("section", sort=False):
        out += [f"# {section}", ""]
        out += [
            f"- **{item}.** {text}" for item, text in zip(items["item"], items["plan"], strict=True)
        ]
        out.append("")
    return "\n".join(out)
