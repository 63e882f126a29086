"""What the report documents call: one function per cell, each a line or two.

``report/index.qmd`` and ``report/supplement.qmd`` hold no analysis logic: their setup cell
calls :func:`setup`, and every other cell prints a table (:func:`table`), returns a figure,
or inserts text built from the computed results by the rules of :mod:`itp_stats.report.sentences`
(:func:`text` for a paragraph, :func:`caption` for a caption, both as Markdown so that an
inline `` `{python} …` `` expression shows them as text in both engines).
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import pandas as pd
from IPython.display import Markdown

from itp_stats.config import state_dir
from itp_stats.provenance import record
from itp_stats.report import model
from itp_stats.report import sentences as T
from itp_stats.report import survival as tte
from itp_stats.report import tables as report_tables
from itp_stats.report.deviations import plan_paragraph
from itp_stats.report.export import write_tables
from itp_stats.report.figcache import CachedFigure, figure_folder, mark_left_out, study_key
from itp_stats.report.floats import TABLE_LABELS, left_out, table_numbers, timepoint_phrase
from itp_stats.report.format import escape_markdown, format_number, md_literal
from itp_stats.report.format import to_pipe_table as _pipe
from itp_stats.report.strobe import checklist_markdown as strobe_checklist
from itp_stats.study.prepare import Study, package_versions, prepare_study
from itp_stats.text import lower_first

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "setup",
    "synthetic_notice",
    "statistical_methods",
    "computational_notes",
    "quality_summary",
    "quality_warnings",
    "table",
    "TABLES",
    "TEXTS",
    "text",
    "caption",
    "result_tables",
    "FIGURES",
    "figure",
    "flow_figure",
    "baseline_figure",
    "paired_figure",
    "roc_figure",
    "forest_figure",
    "markers_figure",
    "reproducibility",
    "title",
    "left_out",
    "section",
    "time_to_event",
    "supplement_intro",
    "strobe_checklist",
]

TABLES = {
    "table1": report_tables.table1,
    "table2": report_tables.table2,
    "table3": report_tables.table3,
    "markers_baseline": lambda s: report_tables.subsets_by_group(s, s.config.baseline),
    "markers_followup": lambda s: report_tables.subsets_by_group(s, s.config.followup),
    "pairwise": report_tables.pairwise_table,
    "trend": report_tables.trend_table,
    "change_markers": report_tables.change_table_all,
    "missing": report_tables.missing_table,
    "sensitivity": report_tables.sensitivity_table,
    "dictionary": lambda s: (report_tables.dictionary_table(s), ""),
    "validation": lambda s: (report_tables.validation_table(s), ""),
    "model_validation": model.validation_table,
    "adjusted": model.adjusted_table,
    "survival": tte.survival_table,
    "cox": tte.cox_table,
    "ph": tte.ph_table,
    "validation_failed": lambda s: (report_tables.validation_table(s, only_failed=True), ""),
}
"""Report tables by name: each gives ``(formatted table, footnote)``."""


def setup(
    data: str | None = None,
    *,
    study: str | None = None,
    alpha: float = 0.05,
    adjust: str = "holm",
    n_boot: int = 2000,
    seed: int = 20230601,
    synthetic: bool = False,
    export: bool = True,
) -> Study:
    """Prepare the study for a document: gate result, data, analysis, result tables.

    Parameters
    ----------
    data, study, alpha, adjust, n_boot, seed, synthetic
        The document's parameters (see :func:`itp_stats.study.prepare.prepare_study`).
    export : bool
        Write the result tables (CSV and XLSX) to ``.itp-stats/tables``, from where the
        render's post-render step (``itp-stats tables``) publishes them next to the reports.

    Returns
    -------
    Study
    """
    result = prepare_study(
        data,
        study=study,
        alpha=alpha,
        adjust=adjust,
        n_boot=n_boot,
        seed=seed,
        synthetic=synthetic,
    )
    if export:
        source = {
            "data": str(result.data_path),
            "data_sha256": result.sha256,
            **result.params,
            "study_key": _figure_key(result),
        }
        if _exported(state_dir() / "tables", source):
            return result
        captions = _captions(result)
        descriptions = {n: captions[lab] for n, lab in _TABLE_CAPTIONS.items() if lab in captions}
        built = _report_tables(result)
        write_tables(
            result_tables(result, built),
            state_dir() / "tables",
            source=source,
            readme=_readme(result),
            descriptions=descriptions,
            notes={name: _plain_note(note) for name, (_, note) in built.items() if note},
            sheet_names=table_numbers(result),
        )
    return result


def _exported(folder, source: dict[str, Any]) -> bool:
    """Whether ``folder`` holds a verified export of the same study (nothing to write)."""
    import json

    from itp_stats.errors import ItpStatsError
    from itp_stats.report.export import read_manifest

    try:
        manifest = read_manifest(folder)
    except ItpStatsError:
        return False
    return manifest["source"] == json.loads(json.dumps(source, default=str))


_TABLE_CAPTIONS = TABLE_LABELS
"""Which report caption describes each exported table (the workbook's README sheet)."""


def _readme(study: Study) -> dict[str, Any]:
    cfg = study.config
    return {
        "study": cfg.name,
        "title": cfg.title,
        "data file": study.data_path.name,
        "data SHA-256": study.sha256,
        "synthetic data": f"yes ({study.synthetic_source})" if study.synthetic else "no",
        "study configuration": f"{cfg.path.name} (SHA-256 {cfg.sha256})",
        "data dictionary": study.dictionary.path.name,
        "parameters": {
            k: v for k, v in study.params.items() if k not in {"data", "study", "synthetic"}
        },
    }


def _notice_text(study: Study) -> str:
    return (
        "These results were computed from a SYNTHETIC cohort: no value comes from a real "
        f"{study.config.participants.singular}, and no number is a result of a published "
        "study. How it is known: "
        f"{lower_first(study.synthetic_source).rstrip('.')}."
    )


def _report_tables(study: Study) -> dict[str, tuple[pd.DataFrame, str]]:
    """The report tables (:data:`TABLES`) with their notes, built once for the export; those
    left out (:func:`~itp_stats.report.floats.left_out`) are not built."""
    gone = left_out(study)
    return {
        name: build(study)
        for name, build in TABLES.items()
        if name != "validation_failed" and TABLE_LABELS.get(name) not in gone
    }


def _plain_note(note: str) -> str:
    """A table's note as a spreadsheet shows it: no Markdown emphasis or escapes."""
    return note.replace("*", "").replace("\\", "")


def result_tables(
    study: Study, built: dict[str, tuple[pd.DataFrame, str]] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table for the journal: the formatted report tables, then the tidy results.

    Parameters
    ----------
    study : Study
    built : dict, optional
        The report tables already built (:func:`_report_tables`), to build them once.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``notice`` first when the data are synthetic (one row saying so), ``table1``…
        (formatted as in the report) and ``results_<name>`` (unrounded tidy results of
        :func:`itp_stats.study.plan.run_analysis`, plus the participant ``flow``).
    """
    out: dict[str, pd.DataFrame] = {}
    if study.synthetic:
        out["notice"] = pd.DataFrame({"notice": [_notice_text(study)]})
    built = built if built is not None else _report_tables(study)
    # a table with nothing to show (no trend test of unordered groups...) is not exported
    out.update({name: table for name, (table, _) in built.items() if not table.empty})
    cfg = study.config
    skipped = set()  # results of analyses the design does not have (rows of "not computed")
    if not cfg.ordered:
        skipped.add("baseline_trend")
    if set(cfg.responders) == {cfg.positive}:
        skipped.add("sensitivity")
    if not cfg.has_followup:  # one time point: no change
        skipped.update({"change_within", "change_between"})
    out.update({f"results_{name}": t for name, t in study.results.items() if name not in skipped})
    return out


def table(study: Study, name: str) -> str:
    """A report table as Markdown: a pipe table, then its note in a ``table-note`` div.

    Parameters
    ----------
    study : Study
    name : str
        One of :data:`TABLES`.

    Returns
    -------
    str
        Pipe table followed by a ``::: {.table-note}`` div naming the tests (from the
        ``method`` column); a note that is a paragraph after the table would become its
        caption under Quarto.
    """
    line = left_out(study).get(TABLE_LABELS.get(name, ""))
    if line is not None:  # a table with nothing to show: left out, why in one line (or none)
        return f"::: {{.itp-left-out}}\n{escape_markdown(line)}\n:::\n"
    formatted, note = TABLES[name](study)
    if formatted.empty and note:  # nothing to show: why, in one line
        return f"::: {{.itp-left-out}}\n{note}\n:::\n"
    if formatted.empty:
        # no failed rule: the gate's summary sentence has said so already
        return "" if name == "validation_failed" else "No rows.\n"
    text_ = _pipe(formatted)
    if note:
        note = note.rstrip(".")
        lead = (
            "*Methods:* " if name not in {"markers_baseline", "markers_followup", "missing"} else ""
        )
        text_ += f"\n::: {{.table-note}}\n{lead}{note}.\n:::\n"
    return text_


TEXTS = {
    "background": lambda s: s.config.background,
    "summary_methods": T.summary_methods,
    "summary_results": lambda s: " ".join(
        t for t in (T.summary_results(s), tte.summary_text(s)) if t
    ),
    "conclusion": T.conclusion,
    "cohort": T.cohort_methods,
    "groups": T.group_methods,
    "groups_named": T.groups_named,
    "markers": T.markers_methods,
    "family": T.family_methods,
    "participants": T.participants_text,
    "missing": T.missing_text,
    "quality": T.quality_intro,
    "baseline": T.baseline_text,
    "change": T.change_text,
    "change_tables": T.change_tables_text,
    "prediction": lambda s: " ".join(
        filter(None, [T.prediction_text(s), model.validation_text(s)])
    ),
    "limitations": T.limitations_text,
    "supplement": lambda s: supplement_intro(s),
    "plan": plan_paragraph,
}
"""Paragraphs by name, each built by :mod:`itp_stats.report.sentences` from the results."""


def text(study: Study, name: str) -> Markdown:
    """A paragraph of the report, as Markdown (for an inline `` `{python} …` ``).

    Parameters
    ----------
    study : Study
    name : str
        One of :data:`TEXTS`.
    """
    return Markdown(TEXTS[name](study))


def _log_note(study: Study, markers: list[str]) -> str:
    """`` (log scale)`` when the figures draw every one of ``markers`` on a log axis, `` (log
    scale for …)`` naming those that are when only some are (:mod:`itp_stats.report.scales`)."""
    from itp_stats.report.scales import on_log_scale

    cfg, data = study.config, study.analysed
    logged = []
    for marker in markers:
        stems = [f"{marker}_{tp}" for tp in cfg.dictionary.timepoints]  # as the figures
        columns = [data[c] for c in stems if c in data]
        percentage = marker.startswith("pct_") or report_tables.marker_unit(study, marker) == "%"
        if on_log_scale(columns, percentage):
            logged.append(marker)
    if not logged:
        return ""
    if len(logged) == len(markers):
        return " (log scale)"
    names = [md_literal(report_tables.marker_label(study, m, unit=False)) for m in logged]
    return f" (log scale for {T.join_words(names)})"


def _captions(study: Study) -> dict[str, str]:
    cfg = study.config
    # the study's own words (labels, names, level codes) print as written: md_literal
    base = md_literal(cfg.timepoint_label(cfg.baseline))
    follow_l = md_literal(timepoint_phrase(study, cfg.followup))  # "" with one time point
    base_l = base[:1].lower() + base[1:]
    group = md_literal(cfg.dictionary.label(cfg.design.group_column))
    group_l = group[:1].lower() + group[1:]
    ci = report_tables.conf_header(study)
    values = [m for m in cfg.markers if not m.startswith("pct_")]
    first = (cfg.highlight_baseline or cfg.markers)[0]
    first_label = md_literal(report_tables.marker_label(study, first, unit=False))
    pred = cfg.predictors[0] if cfg.predictors else None
    other = md_literal(cfg.other)
    positive = md_literal(cfg.positive)
    who = cfg.participants
    out = {
        "fig-flow": "Participant flow (STROBE item 13).",
        "tbl-baseline": f"Baseline characteristics by {group_l}.",
        "tbl-markers": (
            f"Markers at baseline ({base_l}) by {group_l}: median [IQR], tests and effect "
            f"sizes ({positive} against {other})."
        ),
        "fig-baseline": f"{first_label} at baseline by {group_l}{_log_note(study, [first])}.",
        "fig-forest": (
            f"{positive} against {other}: rank-biserial correlation with {ci}, every "
            "baseline marker."
        ),
        "tbl-change": (
            f"Change of the markers from baseline to {follow_l} within each group, on the "
            f"{who.plural} with both values."
        ),
        "supptbl-markers-baseline": (
            f"Every marker at baseline ({base_l}) by group: median [IQR] of the {who.plural} "
            "with a value, and their number when some are missing."
        ),
        "supptbl-markers-followup": (
            f"Every marker at {follow_l} by group: median [IQR] of the {who.plural} with a "
            "value, and their number when some are missing."
        ),
        "supptbl-pairwise": (
            "Pairwise post-hoc comparisons of the baseline markers between groups (adjusted "
            "within each marker)."
            if len(study.levels) > 2
            else "The two groups compared at baseline, marker by marker."
        ),
        "supptbl-missing": "Missing data by variable and group (STROBE item 14b).",
        "supptbl-sensitivity": (
            f"Sensitivity analysis: {' + '.join(md_literal(r) for r in cfg.responders)} against "
            "the other groups at "
            "baseline."
            if set(cfg.responders) != {cfg.positive}
            else "Sensitivity analysis: not done, it would repeat the primary comparison."
        ),
        "supptbl-trend": (
            "Trend across the ordered groups at baseline (Jonckheere–Terpstra)."
            if cfg.ordered
            else "Trend test: not done, the groups are not ordered."
        ),
        "supptbl-change-markers": (
            f"Change of every marker, in its own unit, from baseline to {follow_l} within each "
            f"group, on the {who.plural} with both values."
        ),
        "supptbl-dictionary": (
            "Data dictionary: every column of the cohort file, its type, allowed values and role."
        ),
        "supptbl-validation": (
            "Validation gate: every rule, its severity, the rows tested, failures and failing "
            f"{who.singular} ids."
        ),
        "suppfig-counts-baseline": (
            f"Every marker, in its own unit, at baseline by group{_log_note(study, values)}."
        ),
        "suppfig-pct-baseline": "Every marker as a percentage at baseline by group.",
        "suppfig-counts-followup": (
            f"Every marker, in its own unit, at {follow_l} by group{_log_note(study, values)}."
        ),
        "suppfig-pct-followup": f"Every marker as a percentage at {follow_l} by group.",
    }
    if not any(m.startswith("pct_") for m in cfg.markers):
        none = "No marker of this study has a parent population: there are no percentages."
        out["suppfig-pct-baseline"] = out["suppfig-pct-followup"] = none
    names = [
        md_literal(report_tables.marker_label(study, m, unit=False)) for m in cfg.highlight_change
    ]
    out["fig-paired"] = (
        f"{T.join_words(names)} at baseline and {follow_l}, by group ({who.plural} with both "
        f"values; one line per {who.singular})."
    )
    out.update(model.captions(study))
    out.update(tte.captions(study))
    if pred is not None:
        out["fig-roc"] = (
            f"ROC curve of the {md_literal(lower_first(pred.label))} for "
            f"{T.group_phrase(study, cfg.positive)}, with the AUC and its {ci}."
        )
    return out


def supplement_intro(study: Study) -> str:
    """The supplement's opening paragraph: what each of its floats holds, naming only those
    the study shows (:func:`left_out`)."""
    gone = left_out(study)
    floats = [
        ("supptbl-markers-baseline", "every marker at baseline"),
        (
            "supptbl-markers-followup",
            f"every marker at {md_literal(timepoint_phrase(study, study.config.followup))}",
        ),
        ("supptbl-pairwise", "the pairwise comparisons"),
        ("supptbl-missing", "the missing data"),
        ("supptbl-sensitivity", "the sensitivity analysis"),
        ("supptbl-trend", "the trend test"),
        ("supptbl-change-markers", "the change of every marker in its own unit"),
        ("supptbl-dictionary", "the data dictionary"),
        ("supptbl-validation", "every rule of the validation gate"),
        ("supptbl-model-validation", "the internal validation of the prediction model"),
        ("supptbl-adjusted", "the adjusted prediction model"),
        ("supptbl-cox", "the Cox models of the time-to-event endpoints"),
        ("supptbl-ph", "their tests of proportional hazards"),
    ]
    tables = [f"{what} (@{label})" for label, what in floats if label not in gone]
    figures = [label for label in FIGURES if label.startswith("suppfig-") and label not in gone]
    named = T.groups_named(study)
    text = (
        f"This supplement accompanies the study report.{' ' + named if named else ''} It gives "
        f"{T.join_words(tables)}."
    )
    if figures:
        refs = (
            T.join_words([f"@{label}" for label in figures])
            if len(figures) <= 2
            else f"@{figures[0]} to @{figures[-1]}"
        )
        verb = "shows" if len(figures) == 1 else "show"
        text += f" {refs} {verb} every marker by group."
    return (
        f"{text} Methods, abbreviations and the q-values (Benjamini–Hochberg across the marker "
        "family) are as in the report; the Computational notes give each method as computed. "
        "The tables are also available as CSV and XLSX files next to this document."
    )


def section(study: Study, name: str) -> str:
    """An ``itp-left-out-section`` div when the study has no section ``name`` (``change``: a
    study of one time point has no change from baseline), which the documents' filter drops
    from its heading on; empty text otherwise."""
    if name != "change":
        raise ValueError(f"unknown section {name!r}: change")
    if study.config.has_followup:
        return ""
    return "\n::: {.itp-left-out-section}\n:::\n"


def time_to_event(study: Study) -> str:
    """The time-to-event section: its heading and a paragraph per endpoint
    (:func:`itp_stats.report.survival.section_text`); empty text in a study without
    ``time_to_event``, whose documents then have no such section, table or figure."""
    return tte.section_text(study)


def caption(study: Study, label: str) -> Markdown:
    """The caption of a float (``fig-flow``, ``tbl-markers``…), built from the study."""
    return Markdown(_captions(study)[label])


def title(study: Study) -> Markdown:
    """The study's title, from its configuration."""
    return Markdown(md_literal(study.config.title))


def synthetic_notice(study: Study) -> str:
    """A warning callout when the data are synthetic; empty text otherwise."""
    if not study.synthetic:
        return ""
    return (
        '\n::: {.callout-warning title="Synthetic data"}\n'
        "This document is built from a **synthetic** cohort: no value in it comes from a real "
        f"{study.config.participants.singular}, and no number in it is a result of a published "
        "study. How it is known: "
        f"{escape_markdown(lower_first(study.synthetic_source).rstrip('.'))}.\n:::\n"
    )


def statistical_methods(study: Study) -> str:
    """The tests and estimators actually used, as prose (:func:`sentences.methods_prose`),
    then how the prediction model was validated (:func:`model.validation_methods`)."""
    text = T.methods_prose(study)
    validation = model.validation_methods(study)
    if validation:
        text += (
            "\n\nThe prediction was also judged as a model (TRIPOD): "
            f"{validation}. Supplementary tables give the apparent and corrected values"
            + (" and the adjusted model" if not study.results["adjusted"].empty else "")
            + "."
        )
    survival = tte.methods_text(study)
    if survival:
        text += "\n\n" + survival
    return text


_ANALYSES = (
    ("Table 1 tests", "table1_tests", ("method",)),
    ("Markers between groups", "baseline_kruskal", ("method", "effect_method", "p_fdr_method")),
    ("Pairs of groups", "baseline_dunn", ("method", "effect_method")),
    ("Positive group against the others", "baseline_positive",
     ("method", "effect_method", "hl_method")),
    ("Trend across ordered groups", "baseline_trend", ("method",)),
    ("Change within groups", "change_within", ("method", "effect_method", "hl_method")),
    ("Change between groups", "change_between", ("method",)),
    ("Sensitivity analysis", "sensitivity", ("method", "effect_method", "hl_method")),
    ("Prediction", "prediction", ("method",)),
    ("Prediction model validation", "model_validation", ("method",)),
    ("Adjusted prediction model", "adjusted", ("method",)),
    ("Time to event: Kaplan–Meier", "tte_km", ("method",)),
    ("Time to event: median follow-up", "tte_followup", ("method",)),
    ("Time to event: groups compared", "tte_logrank", ("method",)),
    ("Time to event: Cox models", "tte_cox", ("method",)),
    ("Time to event: proportional hazards", "tte_ph", ("method",)),
)  # fmt: skip


def computational_notes(study: Study) -> str:
    """Every method string of the results, as computed (:func:`methods.computational_notes`):
    a pipe table for the supplement, where implementation details belong."""
    from itp_stats.report.methods import computational_notes as notes

    results = study.results
    sections = [
        (analysis, [m for column in columns for m in results[key][column]])
        for analysis, key, columns in _ANALYSES
        if key in results and all(c in results[key] for c in columns)
    ]
    rows = notes(sections)
    frame = pd.DataFrame(rows, columns=["Analysis", "Method, as computed"])
    return _pipe(frame)


def quality_summary(study: Study) -> str:
    """One sentence on the validation gate's outcome."""
    steps = report_tables.validation_table(study)
    failed = steps[steps["Status"] == "FAIL"]
    n_warn = int((failed["Severity"] == "warning").sum())
    rules = "rule" if len(steps) == 1 else "rules"
    warn = (
        f"; {n_warn} warning {'rule' if n_warn == 1 else 'rules'} failed."
        if n_warn
        else "; every warning rule passed."
    )
    return (
        f"The validation gate checked {len(steps)} {rules} on {study.gate.n_rows} rows "
        f"(file SHA-256 `{study.sha256[:12]}…`): no critical rule failed{warn} Every rule, "
        f"with the rows it tested, is listed in {table_numbers(study)['validation']} of the "
        "supplement" + ("; the failed rules follow.\n" if n_warn else ".\n")
    )


def quality_warnings(study: Study) -> str:
    """A warning callout listing the gate's warnings; empty text when there are none.

    The callout starts with a blank line, so it is a block of its own after any paragraph.
    """
    warnings = list(study.gate.warnings)
    if not warnings:
        return ""
    items = "\n".join(f"- {escape_markdown(w)}" for w in warnings)
    return f'\n::: {{.callout-warning title="Data-quality warnings"}}\n{items}\n:::\n'


def _figures(study: Study) -> ModuleType:
    """The figure module, set up for ``study``: project style, labels and level order.

    Imported on the first figure drawn (matplotlib costs about half a second to import): a
    render whose figures all come from the run state (:func:`figure`) never imports it.
    Figures of synthetic data carry the study's notice (a corner mark, and the metadata of
    their files for submission).
    """
    from itp_stats.report import figures

    cfg = study.config
    figures.use_style()
    figures.set_context(
        dictionary=cfg.dictionary,
        group_names={lv: cfg.group_name(lv) for lv in cfg.levels},
        group_label=cfg.dictionary.label(cfg.design.group_column),
        levels=list(cfg.levels),
        group=cfg.group,
        synthetic=_notice_text(study) if study.synthetic else "",
        participants=cfg.participants.plural,
    )
    return figures


def flow_figure(study: Study) -> Figure:
    """Participant flow diagram (STROBE 13)."""
    return _figures(study).participant_flow(study.flow)


def baseline_figure(study: Study) -> Figure:
    """The first highlighted marker at baseline by group, box and points, with its p.

    A count on a log scale when it has no zero, as in every figure
    (:func:`itp_stats.report.figures.log_scale`).
    """
    cfg = study.config
    marker = (cfg.highlight_baseline or cfg.markers)[0]
    column = f"{marker}_{cfg.baseline}"
    kw = study.results["baseline_kruskal"].set_index("dv")
    row = kw.loc[column] if column in kw.index else None
    figures = _figures(study)
    return figures.marker_by_group(
        study.analysed,
        column,
        study.group,
        p_value=None if row is None else row["p_unc"],
        p_label=None if row is None else T.test_name(row),
        log=figures.log_scale(study.analysed, marker),
    )


def paired_figure(study: Study) -> Figure:
    """Paired baseline → follow-up values of the highlighted change markers, by group.

    Each marker on the scale it has in every figure (:func:`baseline_figure`).
    """
    cfg = study.config
    figures = _figures(study)
    return figures.paired_changes(
        study.analysed,
        [(f"{m}_{cfg.baseline}", f"{m}_{cfg.followup}") for m in cfg.highlight_change],
        study.group,
        ylabels=[report_tables.marker_label(study, m) for m in cfg.highlight_change],
        log=[
            f"{m}_{cfg.baseline}"
            for m in cfg.highlight_change
            if figures.log_scale(study.analysed, m)
        ],
    )


def roc_figure(study: Study) -> Figure:
    """ROC curve of the primary predictor for the positive group, with the Youden cutoff."""
    cfg = study.config
    predictor = cfg.predictors[0]
    pred = study.results["prediction"]
    curve = study.results["roc_curve"]
    if "predictor" in pred:
        pred = pred[pred["predictor"] == predictor.column]
        curve = curve[curve["predictor"] == predictor.column]
    cutoff = pred[pred["test"] == "youden"]
    return _figures(study).roc_curve(
        curve,
        auc=pred[pred["effect_type"] == "auc"],
        cutoff=cutoff,
        threshold_unit=predictor.unit,
        threshold_text=_threshold_text(study, predictor.column, cutoff),
        conf_label=report_tables.conf_header(study).removesuffix(" CI"),
    )


def _threshold_text(study: Study, column: str, cutoff: pd.DataFrame) -> str | None:
    """The Youden cutoff as the text prints it (:func:`tables.cutoff_digits`), or None."""
    rows = cutoff[cutoff["effect_type"] == "youden_cutoff"]
    if rows.empty:
        return None
    row = rows.iloc[0]
    digits = report_tables.cutoff_digits(
        study, column, row["effect"], row.get("ci_low"), row.get("ci_high")
    )
    return format_number(row["effect"], digits)


def forest_figure(study: Study) -> Figure:
    """Rank-biserial r (positive group vs the others) with its CI for every baseline marker."""
    cfg = study.config
    mw = study.results["baseline_positive"].copy()
    mw["label"] = [report_tables.marker_label(study, m) for m in mw["marker"]]
    ci = report_tables.conf_header(study)
    return _figures(study).forest(
        mw,
        xlabel=f"Rank-biserial r, {cfg.positive} vs {cfg.other} ({ci})",
        null=0.0,
        conf_label=ci.removesuffix(" CI"),
    )


def markers_figure(study: Study, timepoint: str, kind: str = "counts") -> Figure:
    """Every marker by group at ``baseline`` or ``followup``: ``kind`` ``counts`` or ``pct``.

    Each marker on the scale it has in every figure (:func:`baseline_figure`).
    """
    cfg = study.config
    code = cfg.baseline if timepoint == "baseline" else cfg.followup
    markers = [m for m in cfg.markers if m.startswith("pct_") == (kind == "pct")]
    columns = [f"{m}_{code}" for m in markers]
    p_values = None
    if code == cfg.baseline:
        kw = study.results["baseline_kruskal"].set_index("dv")
        p_values = {c: kw.loc[c, "p_unc"] for c in columns if c in kw.index}
    figures = _figures(study)
    return figures.markers_grid(
        study.analysed,
        columns,
        study.group,
        log=[f"{m}_{code}" for m in markers if figures.log_scale(study.analysed, m)],
        p_values=p_values,
        p_label="between groups",
    )


FIGURES = {
    "fig-flow": flow_figure,
    "fig-baseline": baseline_figure,
    "fig-forest": forest_figure,
    "fig-paired": paired_figure,
    "fig-roc": roc_figure,
    "fig-calibration": lambda s: model.calibration_figure(s, _figures(s)),
    "suppfig-counts-baseline": lambda s: markers_figure(s, "baseline", "counts"),
    "suppfig-pct-baseline": lambda s: markers_figure(s, "baseline", "pct"),
    "suppfig-counts-followup": lambda s: markers_figure(s, "followup", "counts"),
    "suppfig-pct-followup": lambda s: markers_figure(s, "followup", "pct"),
    "fig-survival": lambda s: tte.survival_figure(s, _figures(s)),
}
"""The figures of the documents by label, each drawn from the study."""


def _figure_key(study: Study) -> str:
    gate = study.gate
    return study_key(
        {
            "data_sha256": study.sha256,
            "study_sha256": study.config.sha256,
            "dictionary_sha256": getattr(gate, "dictionary_sha256", None),
            "code_sha256": getattr(gate, "code_sha256", None),
            "params": {k: v for k, v in study.params.items() if k != "data"},
        }
    )


def figure(study: Study, label: str) -> CachedFigure | Markdown:
    """A figure of the documents (:data:`FIGURES`), drawn at most once per study.

    The returned object displays as PNG and SVG in the kernel like a matplotlib figure; its
    bytes come from the run state when an earlier render of the same study drew it
    (:mod:`itp_stats.report.figcache`). A figure with nothing to show (:func:`left_out`)
    is the line that says so, in an ``itp-left-out`` div.
    """
    build = FIGURES[label]
    folder = figure_folder(state_dir(), _figure_key(study))
    line = left_out(study).get(label)
    if line is not None:  # nothing to show: left out (not numbered, not published)
        mark_left_out(folder, label, line)
        return Markdown(f"::: {{.itp-left-out}}\n{escape_markdown(line)}\n:::\n")
    record("matplotlib", "the figures")
    return CachedFigure(folder, label, lambda: build(study), submission=True)


def reproducibility(study: Study) -> str:
    """Input file, its SHA-256 (a database source: its URL, table and snapshot), the study,
    the parameters and the package versions."""
    rows = [
        ("input file", f"`{study.data_path.name}`"),
        ("SHA-256", f"`{study.sha256}`"),
        *((item, f"`{value}`") for item, value in study.provenance),
        ("study configuration", f"`{study.config.path.name}` (`{study.config.sha256[:12]}…`)"),
        ("data dictionary", f"`{study.dictionary.path.name}`"),
        ("synthetic data", f"yes ({study.synthetic_source})" if study.synthetic else "no"),
    ]
    rows += [
        (k, f"`{v}`") for k, v in study.params.items() if k not in {"data", "study", "synthetic"}
    ]
    params = pd.DataFrame(rows, columns=["Item", "Value"])
    versions = package_versions(study)
    versions.columns = ["Package", "Version", "Used for"]
    return _pipe(params) + "\n" + _pipe(versions)
