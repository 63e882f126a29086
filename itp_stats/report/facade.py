"""What the report documents call: one function per cell, each a line or two.

``report/index.qmd`` and ``report/supplement.qmd`` hold no analysis logic: their setup cell
calls :func:`setup`, and every other cell prints a table (:func:`table`), returns a figure
or inserts a sentence built here from the computed results.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from itp_stats.config import state_dir
from itp_stats.report import figures
from itp_stats.report import tables as report_tables
from itp_stats.report.export import write_tables
from itp_stats.report.format import (
    footnote_methods,
    format_ci,
    format_n_pct,
    format_number,
    format_p,
)
from itp_stats.report.format import to_pipe_table as _pipe
from itp_stats.study.prepare import Study, package_versions, participant_flow, prepare_study

__all__ = [
    "setup",
    "numbers",
    "synthetic_notice",
    "statistical_methods",
    "quality_summary",
    "quality_warnings",
    "table",
    "TABLES",
    "result_tables",
    "flow_figure",
    "nk_figure",
    "paired_figure",
    "roc_figure",
    "forest_figure",
    "markers_figure",
    "reproducibility",
]

TABLES = {
    "table1": report_tables.table1,
    "table2": report_tables.table2,
    "table3": report_tables.table3,
    "subsets_m0": lambda s: report_tables.subsets_by_group(s, "m0"),
    "subsets_m6": lambda s: report_tables.subsets_by_group(s, "m6"),
    "pairwise": report_tables.pairwise_table,
    "trend": report_tables.trend_table,
    "change_counts": report_tables.change_table_all,
    "missing": report_tables.missing_table,
    "sensitivity": report_tables.sensitivity_table,
    "dictionary": lambda s: (report_tables.dictionary_table(s), ""),
    "validation": lambda s: (report_tables.validation_table(s), ""),
}
"""Report tables by name: each gives ``(formatted table, footnote)``."""


def setup(
    data: str | None = None,
    *,
    alpha: float = 0.05,
    adjust: str = "holm",
    n_boot: int = 2000,
    seed: int = 20230601,
    synthetic: bool = False,
    export: bool = True,
) -> Study:
    """Prepare the study for a document: gate result, data, analysis, figure style.

    Parameters
    ----------
    data, alpha, adjust, n_boot, seed, synthetic
        The document's parameters (see :func:`itp_stats.study.prepare.prepare_study`).
    export : bool
        Write the result tables (CSV and XLSX) to ``.itp-stats/tables``, from where the
        render's post-render step (``itp-stats tables``) publishes them next to the reports.

    Returns
    -------
    Study
    """
    figures.use_style()
    study = prepare_study(
        data, alpha=alpha, adjust=adjust, n_boot=n_boot, seed=seed, synthetic=synthetic
    )
    if export:
        source = {"data": str(study.data_path), "data_sha256": study.sha256, **study.params}
        write_tables(result_tables(study), state_dir() / "tables", source=source)
    return study


def result_tables(study: Study) -> dict[str, pd.DataFrame]:
    """Every table for the journal: the formatted report tables, then the tidy results.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``table1``… (formatted as in the report) and ``results_<name>`` (unrounded tidy
        results of :func:`itp_stats.study.plan.run_analysis`).
    """
    out = {name: build(study)[0] for name, build in TABLES.items()}
    out.update({f"results_{name}": t for name, t in study.results.items()})
    return out


def table(study: Study, name: str) -> str:
    """A report table as Markdown: a pipe table, then its footnote.

    Parameters
    ----------
    study : Study
    name : str
        One of :data:`TABLES`.

    Returns
    -------
    str
        Pipe table followed by a paragraph naming the tests (from the ``method`` column).
    """
    formatted, note = TABLES[name](study)
    text = _pipe(formatted)
    if note:
        text += f"\n*Methods:* {note}.\n"
    return text


def _row(frame: pd.DataFrame, **where: Any) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    return frame[mask].iloc[0]


def numbers(study: Study) -> SimpleNamespace:
    """Numbers quoted in the text, formatted, all computed from the results.

    Returns
    -------
    types.SimpleNamespace
        ``n_file``, ``n_analysed``, ``n_excluded``, ``cr``/``pr``/``nr`` (n (%)),
        ``nk_cr``/``nk_noncr`` (median NK count), ``nk_kw_p``, ``nk_mw_p``, ``nk_mw_q``,
        ``nk_r`` (rank-biserial with CI), ``nk_hl`` (shift with CI), ``auc`` (with CI),
        ``cutoff``, ``cutoff_ci``, ``sens``, ``spec``, ``or_`` (OR with CI), ``or_unit``,
        ``pct_nk_change_cr``, ``pct_nk_p_cr``, ``act_change_cr``, ``act_p_cr``, ``years``,
        ``alpha``, ``conf``, ``n_boot``, ``seed``.
    """
    r = study.results
    flow = participant_flow(study.cohort, study.group)
    n = flow["analysed"]
    groups = flow["groups"]
    kw = r["baseline_kruskal"].set_index("marker")
    mw = r["baseline_cr_vs_noncr"].set_index("marker")
    pred = r["prediction"]
    auc = _row(pred, effect_type="auc")
    cut = _row(pred, effect_type="youden_cutoff")
    sens = _row(pred, effect_type="sensitivity")
    spec = _row(pred, effect_type="specificity")
    odds = _row(pred, effect_type="odds_ratio")
    within = r["change_within"]
    nk_desc = r["marker_descriptives"]
    nk_cr = nk_desc[(nk_desc["variable"] == "nk_m0") & (nk_desc["group"] == "CR")]["median"]
    other = study.analysed[study.analysed[study.group] != "CR"]["nk_m0"].astype(float)
    pct_nk = _row(within, marker="pct_nk", group="CR")
    act = _row(within, marker="pct_cd8_act", group="CR")
    years = pd.to_numeric(study.cohort["rtx_year"], errors="coerce")
    conf = 1 - study.params["alpha"]
    return SimpleNamespace(
        n_file=flow["assessed"],
        n_analysed=n,
        n_excluded=flow["assessed"] - n,
        cr=format_n_pct(groups.get("CR", 0), n),
        pr=format_n_pct(groups.get("PR", 0), n),
        nr=format_n_pct(groups.get("NR", 0), n),
        nk_cr=format_number(nk_cr.iloc[0] if len(nk_cr) else None, 0),
        nk_noncr=format_number(other.median(), 0),
        nk_kw_p=format_p(kw.loc["nk", "p_unc"]),
        nk_mw_p=format_p(mw.loc["nk", "p_unc"]),
        nk_mw_q=format_p(mw.loc["nk", "p_fdr"]),
        nk_r=format_ci(mw.loc["nk", "effect"], mw.loc["nk", "ci_low"], mw.loc["nk", "ci_high"]),
        nk_hl=format_ci(
            mw.loc["nk", "hl_estimate"], mw.loc["nk", "hl_ci_low"], mw.loc["nk", "hl_ci_high"], 0
        ),
        auc=format_ci(auc["effect"], auc["ci_low"], auc["ci_high"]),
        cutoff=format_number(cut["effect"], 1),
        cutoff_ci=f"{format_number(cut['ci_low'], 1)} to {format_number(cut['ci_high'], 1)}",
        sens=format_number(100 * sens["effect"], 0) + "%",
        spec=format_number(100 * spec["effect"], 0) + "%",
        or_=format_ci(odds["effect"], odds["ci_low"], odds["ci_high"]),
        or_unit="100 cells/µL",
        pct_nk_change_cr=format_ci(
            pct_nk["hl_estimate"], pct_nk["hl_ci_low"], pct_nk["hl_ci_high"], 1
        ),
        pct_nk_p_cr=format_p(pct_nk["p_unc"]),
        act_change_cr=format_ci(act["hl_estimate"], act["hl_ci_low"], act["hl_ci_high"], 1),
        act_p_cr=format_p(act["p_unc"]),
        years=f"{int(years.min())} to {int(years.max())}" if years.notna().any() else "—",
        alpha=format_number(study.params["alpha"], 2),
        conf=f"{100 * conf:.0f}%",
        n_boot=f"{study.params['n_boot']:,}".replace(",", "\u2009"),
        seed=str(study.params["seed"]),
    )


def synthetic_notice(study: Study) -> str:
    """A warning callout when the data are synthetic; empty text otherwise."""
    if not study.synthetic:
        return ""
    return (
        '::: {.callout-warning title="Synthetic data"}\n'
        "This report is built from a **synthetic** cohort generated by `itp-stats synth` "
        "with a fixed seed. No value in it comes from a real patient, and no number in it is "
        "a result of the published study it is modelled on.\n:::\n"
    )


def statistical_methods(study: Study) -> str:
    """The tests and estimators actually used, from the results' ``method`` columns."""
    r = study.results
    parts = {
        "Baseline characteristics were compared with": r["table1_tests"]["method"],
        "Lymphocyte subsets were compared between the three groups with": r["baseline_kruskal"][
            "method"
        ],
        "Effect sizes across groups:": r["baseline_kruskal"]["effect_method"],
        "Pairwise comparisons:": r["baseline_dunn"]["method"],
        "Complete responders were compared with the other patients by": r[
            "baseline_cr_vs_noncr"
        ]["method"],
        "Effect sizes for CR vs non-CR:": pd.concat(
            [r["baseline_cr_vs_noncr"]["effect_method"], r["baseline_cr_vs_noncr"]["hl_method"]]
        ),
        "The ordered trend CR, PR, NR was tested with": r["baseline_trend"]["method"],
        "Changes from baseline to 6 months within each group:": pd.concat(
            [r["change_within"]["method"], r["change_within"]["hl_method"]]
        ),
        "Changes were compared between groups with": r["change_between"]["method"],
        "Prediction of complete response:": r["prediction"]["method"],
        "Multiplicity:": pd.concat(
            [r["baseline_dunn"]["adjust"].map(lambda a: f"{a} within each subset's pairwise tests"),
             r["baseline_kruskal"]["p_fdr_method"].map(lambda m: f"{m} across subsets (q)")]
        ),
    }  # fmt: skip
    sentences = []
    for lead, methods in parts.items():
        used = footnote_methods(m for m in methods if not str(m).startswith("not computed"))
        if used:
            sentences.append(f"{lead} {used}.")
    return " ".join(sentences)


def quality_summary(study: Study) -> str:
    """One sentence on the validation gate's outcome."""
    steps = report_tables.validation_table(study)
    failed = steps[steps["Status"] == "FAIL"]
    n_warn = int((failed["Severity"] == "warning").sum())
    return (
        f"The validation gate checked {len(steps)} rules on {study.gate.n_rows} rows "
        f"(file SHA-256 `{study.sha256[:12]}…`): no critical rule failed"
        + (f"; {n_warn} warning rule(s) failed." if n_warn else "; every warning rule passed.")
    )


def quality_warnings(study: Study) -> str:
    """A warning callout listing the gate's warnings; empty text when there are none."""
    warnings = list(study.gate.warnings)
    if not warnings:
        return ""
    items = "\n".join(f"- {w}" for w in warnings)
    return f'::: {{.callout-warning title="Data-quality warnings"}}\n{items}\n:::\n'


def flow_figure(study: Study) -> Figure:
    """Participant flow diagram (STROBE 13)."""
    return figures.participant_flow(participant_flow(study.cohort, study.group))


def nk_figure(study: Study, column: str = "nk_m0") -> Figure:
    """Baseline NK count by group, box and points, with the Kruskal–Wallis p."""
    kw = study.results["baseline_kruskal"].set_index("dv")
    return figures.marker_by_group(
        study.analysed,
        column,
        study.group,
        p_value=kw.loc[column, "p_unc"],
        p_label="Kruskal–Wallis",
        log=True,
    )


def paired_figure(study: Study, marker: str) -> Figure:
    """Paired baseline → 6 months values of ``marker`` (e.g. ``pct_nk``) by group."""
    return figures.paired_change(
        study.analysed,
        f"{marker}_m0",
        f"{marker}_m6",
        study.group,
        ylabel=report_tables.marker_label(study, marker),
    )


def roc_figure(study: Study) -> Figure:
    """ROC curve of baseline NK count for complete response, with the Youden cutoff."""
    pred = study.results["prediction"]
    return figures.roc_curve(
        study.results["roc_curve"],
        auc=pred[pred["effect_type"] == "auc"],
        cutoff=pred[pred["test"] == "youden"],
        threshold_unit="cells/µL",
    )


def forest_figure(study: Study) -> Figure:
    """Rank-biserial r (CR vs non-CR) with 95% CI for every baseline subset."""
    mw = study.results["baseline_cr_vs_noncr"].copy()
    mw["label"] = [report_tables.marker_label(study, m) for m in mw["marker"]]
    return figures.forest(mw, xlabel="Rank-biserial r, CR vs non-CR (95% CI)", null=0.0)


def markers_figure(study: Study, timepoint: str, kind: str = "counts") -> Figure:
    """Every subset by group at one time point: ``kind`` ``counts`` or ``pct``."""
    markers = [
        m for m in study.results["baseline_kruskal"]["marker"]
        if m.startswith("pct_") == (kind == "pct")
    ]  # fmt: skip
    columns = [f"{m}_{timepoint}" for m in markers]
    p_values = None
    if timepoint == "m0":
        kw = study.results["baseline_kruskal"].set_index("dv")
        p_values = {c: kw.loc[c, "p_unc"] for c in columns if c in kw.index}
    return figures.markers_grid(
        study.analysed, columns, study.group, p_values=p_values, p_label="Kruskal–Wallis"
    )


def reproducibility(study: Study) -> str:
    """Input file, its SHA-256, the parameters and the package versions, as Markdown."""
    params = pd.DataFrame(
        [("input file", f"`{study.data_path.name}`"), ("SHA-256", f"`{study.sha256}`")]
        + [(k, f"`{v}`") for k, v in study.params.items() if k != "data"],
        columns=["Item", "Value"],
    )
    versions = package_versions()
    versions.columns = ["Package", "Version"]
    return _pipe(params) + "\n" + _pipe(versions)
