"""The liver example study: another field, decimal markers, a status at the end of follow-up.

``tests/fixtures/study_liver`` holds a synthetic cohort of adults with chronic liver disease
(``cohort.csv``, written by ``make_cohort.py`` with numpy and a fixed seed, not by
``itp-stats synth``): five routine liver tests with decimal values at inclusion and at one
year, the months of follow-up and the status at the end of follow-up (alive, transplanted,
dead). ``study.yaml`` compares the three statuses (unordered, ``dead`` the positive group)
with a 12-month follow-up exclusion that names patients whose status is recorded;
``study_two.yaml`` is its two-group variant (dead against alive) on the same file, the
transplanted counted as alive by its ``group.recode``; ``study_baseline.yaml`` a study of one
time point (the same patients at inclusion, ``cohort_baseline.csv``, by aetiology).

Each study is rendered once per module (HTML, PDF, Word, result tables, figures) into a copy of
the project in a temporary folder, with ``-P synthetic=true``. Every number a sentence prints
is computed here again from the CSV alone, with SciPy and NumPy (the area under the curve as
the Mann–Whitney U over n1·n2, DeLong's variance, Clopper–Pearson, a logistic fit by Newton's
method, Fisher's exact test by enumeration), formatted as :mod:`itp_stats.report.format`
documents it, and looked for in the documents. The unrounded p-values of the exported result
tables are compared with the same computations.

Defects of the report found by these tests are kept as assertions in tests of their own,
marked ``xfail(strict=True)`` with the defect named, so that the suite stays green and a fix
shows (the test then passes, and strict makes it fail until the mark is removed).
"""

from __future__ import annotations

import importlib.util
import math
import re
from itertools import product
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from render_support import copy_report_project as _copy_project
from render_support import docx_text as _docx_text
from render_support import html_text as _html_text
from render_support import pdf_text as _pdf_text
from render_support import run_cli as _cli
from scipy import stats

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "study_liver"
STUDIES = {
    "three": (FIXTURE / "study.yaml", FIXTURE / "cohort.csv"),
    "two": (FIXTURE / "study_two.yaml", FIXTURE / "cohort.csv"),
}
N_BOOT = 200
ALPHA = 0.05
NNBSP = "\u202f"
FOLLOWUP_MONTHS = 12
MARKERS = ("albumin", "bilirubin", "alt", "alp", "inr")
DECIMALS = {"albumin": 2, "bilirubin": 2, "alt": 0, "alp": 0, "inr": 2}
"""The decimals each marker's recorded values show (albumin 3.44, bilirubin 0.85 and 2.2)."""
UNITS = {"albumin": "g/dL", "bilirubin": "mg/dL", "alt": "U/L", "alp": "U/L", "inr": ""}
LABELS = {
    "albumin": "Serum albumin",
    "bilirubin": "Total bilirubin",
    "alt": "Alanine aminotransferase (ALT)",
    "alp": "Alkaline phosphatase",
    "inr": "International normalised ratio (INR)",
}
DEMO_WORDS = {
    "ITP": r"\bITP\b",
    "thrombocytopenia": r"(?i)thrombocytopenia",
    "rituximab": r"(?i)rituximab",
    "platelet": r"(?i)platelet",
    "lymphocyte": r"(?i)lymphocyte",
    "NK cell": r"\bNK\b",
    "CD3": r"\bCD3",
    "IWG": r"\bIWG\b",
    "CR": r"\bCR\b",
    "PR": r"\bPR\b",
    "NR": r"\bNR\b",
    "complete response": r"(?i)complete response",
    # the demo's noun (cell counts), also inside file names (once change_counts.csv); not
    # the statistical "expected counts" nor the verb of "Pairs counts them"
    "counts": r"(?i)(?<!expected )(?<!pairs )(?<![a-z])counts(?![a-z])",
    "count columns": r"(?i)\bcount columns\b",
    "cells/µL": r"cells/µL",
    "percentage of": r"(?i)percentage of",
    "6 months": r"6 months",
    "subsets": r"(?i)subset",
    "responders": r"(?i)responder",
}
"""Words of the shipped study's field (immune thrombocytopenia, rituximab, lymphocyte subsets,
IWG response) that a report of this study must never print, in a document, a result table's
content or an output's file name."""

# -- rendering (the pattern of tests/test_example_study.py) ----------------------------------


def _render(project: Path, study: Path, data: Path, *args: str) -> tuple[int, str]:
    return _cli(
        "render", str(project), "--engine", "builtin", "--study", str(study),
        "-P", f"data={data}", "-P", f"n_boot={N_BOOT}", "-P", "synthetic=true", *args,
        root=project,
    )  # fmt: skip


def _xlsx_text(path: Path) -> str:
    """Every sheet name and every cell of a workbook, as text."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    parts = list(book.sheetnames)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            parts += [str(v) for v in row if v is not None]
    return "\n".join(parts)


def _compact(text: str) -> str:
    return re.sub(r"\s", "", text)


def _plain(text: str) -> str:
    """No-break spaces (kept inside an estimate and its interval) as spaces; NNBSP kept."""
    return text.replace("\u00a0", " ")


def _outputs(project: Path) -> dict[str, str]:
    """Text of every document, result table, workbook, figure, and the output file names."""
    out = project / "_output"
    read = {"html": _html_text, "pdf": _pdf_text, "docx": _docx_text}
    texts = {
        f"{doc}.{ext}": _plain(read[ext](out / "report" / f"{doc}.{ext}"))
        for doc in ("index", "supplement")
        for ext in read
    }
    for table in sorted((out / "tables").glob("*.csv")):
        texts[f"tables/{table.name}"] = table.read_text(encoding="utf-8-sig")
    texts["tables/README.txt"] = (out / "tables" / "README.txt").read_text(encoding="utf-8")
    texts["tables/results.xlsx"] = _xlsx_text(out / "tables" / "results.xlsx")
    for figure in sorted((out / "figures").glob("*.pdf")):
        texts[f"figures/{figure.name}"] = _pdf_text(figure)
    texts["file names"] = "\n".join(
        str(p.relative_to(out)) for p in sorted(out.rglob("*")) if p.is_file()
    )
    return texts


# -- independent statistics (SciPy and NumPy, from the CSV alone) -----------------------------


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").dropna().to_numpy(float)


def _mann_whitney(x: np.ndarray, y: np.ndarray) -> tuple[float, float, str]:
    """Two-sided Mann–Whitney test as R's ``wilcox.test`` chooses its method.

    Parameters
    ----------
    x, y : numpy.ndarray
        The two samples.

    Returns
    -------
    (float, float, str)
        U of ``x``, the p-value, and ``"exact"`` (both samples under 50 values, no tie) or
        ``"asymptotic"`` (normal approximation with tie and continuity corrections).
    """
    ties = len(np.unique(np.r_[x, y])) < len(x) + len(y)
    method = "exact" if len(x) < 50 and len(y) < 50 and not ties else "asymptotic"
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method=method, use_continuity=True)
    return float(res.statistic), float(res.pvalue), method


def _wilcoxon(d: np.ndarray) -> tuple[float, str]:
    """Two-sided Wilcoxon signed-rank test of paired differences as R chooses its method.

    Parameters
    ----------
    d : numpy.ndarray
        Paired differences (zeros are dropped, as R does).

    Returns
    -------
    (float, str)
        The p-value and ``"exact"`` (under 50 non-zero differences, no tie, no zero) or
        ``"asymptotic"`` (normal approximation with tie and continuity corrections).
    """
    nonzero = d[d != 0]
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    exact = len(nonzero) < 50 and not ties and len(nonzero) == len(d)
    method = "exact" if exact else "asymptotic"
    res = stats.wilcoxon(nonzero, method="exact" if exact else "approx", correction=True)
    return float(res.pvalue), method


def _hodges_lehmann(x: np.ndarray, y: np.ndarray) -> float:
    """Hodges–Lehmann shift of ``x`` against ``y``: the median of the pairwise differences."""
    return float(np.median(np.subtract.outer(x, y)))


def _pseudo_median(d: np.ndarray) -> float:
    """Hodges–Lehmann pseudo-median of the non-zero differences (median of Walsh averages)."""
    d = d[d != 0]
    i, j = np.triu_indices(len(d))
    return float(np.median((d[i] + d[j]) / 2))


def _auc_lower(cases: np.ndarray, controls: np.ndarray) -> tuple[float, float, float]:
    """AUC of "lower values in the cases", as U / (n1 n2), with DeLong's 95% interval.

    Parameters
    ----------
    cases, controls : numpy.ndarray
        Predictor values of the positive group and of the others.

    Returns
    -------
    (float, float, float)
        AUC = P(case < control) + P(tie) / 2 (the Mann–Whitney U of the controls over
        n1·n2), and DeLong's interval (structural components, normal quantile).
    """
    psi = (controls[None, :] > cases[:, None]) + 0.5 * (controls[None, :] == cases[:, None])
    auc = float(psi.sum() / (len(cases) * len(controls)))
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = math.sqrt(v10.var(ddof=1) / len(cases) + v01.var(ddof=1) / len(controls))
    z = stats.norm.ppf(1 - ALPHA / 2)
    return auc, max(0.0, auc - z * se), min(1.0, auc + z * se)


def _youden_lower(cases: np.ndarray, controls: np.ndarray) -> tuple[float, int, int]:
    """Youden cutoff for "lower values in the cases": midpoints of consecutive distinct values.

    Returns
    -------
    (float, int, int)
        The cutoff, the cases below it and the controls above it.
    """
    values = np.unique(np.r_[cases, controls])
    cuts = (values[1:] + values[:-1]) / 2
    sens = np.array([(cases < c).sum() for c in cuts])
    spec = np.array([(controls > c).sum() for c in cuts])
    best = int(np.argmax(sens / len(cases) + spec / len(controls)))
    return float(cuts[best]), int(sens[best]), int(spec[best])


def _clopper_pearson(k: int, n: int) -> tuple[float, float]:
    """Clopper–Pearson 95% interval of ``k`` of ``n``."""
    low = stats.beta.ppf(ALPHA / 2, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(1 - ALPHA / 2, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


def _logistic(x: np.ndarray, outcome: np.ndarray, per: float) -> tuple[float, float, float, float]:
    """Univariable logistic regression by Newton's method: OR per ``per``, Wald CI and p.

    Parameters
    ----------
    x : numpy.ndarray
        Predictor.
    outcome : numpy.ndarray
        1 for the positive group, 0 for the others.
    per : float
        Unit of the odds ratio.

    Returns
    -------
    (float, float, float, float)
        Odds ratio, its Wald 95% interval, the Wald test's p-value.
    """
    design = np.c_[np.ones(len(x)), x / per]
    beta = np.zeros(2)
    for _ in range(100):
        prob = 1 / (1 + np.exp(-design @ beta))
        hessian = design.T @ (design * (prob * (1 - prob))[:, None])
        step = np.linalg.solve(hessian, design.T @ (outcome - prob))
        beta = beta + step
        if np.abs(step).max() < 1e-12:
            break
    se = math.sqrt(np.linalg.inv(hessian)[1, 1])
    z = stats.norm.ppf(1 - ALPHA / 2)
    p = 2 * stats.norm.sf(abs(beta[1] / se))
    return math.exp(beta[1]), math.exp(beta[1] - z * se), math.exp(beta[1] + z * se), float(p)


def _fisher_exact(missing: list[int], sizes: list[int]) -> float:
    """Fisher's exact test of a 2×k table (missing or not, by group), by full enumeration.

    Parameters
    ----------
    missing : list of int
        Patients with the property, per group.
    sizes : list of int
        Patients per group.

    Returns
    -------
    float
        The sum of the probabilities of the tables with the same margins that are not more
        probable than the observed one (relative tolerance 1e-7, as R).
    """
    total, k = sum(sizes), sum(missing)

    def prob(table: tuple[int, ...]) -> float:
        ways = math.prod(math.comb(n, a) for n, a in zip(sizes, table, strict=True))
        return ways / math.comb(total, k)

    observed = prob(tuple(missing))
    tables = [t for t in product(*(range(min(n, k) + 1) for n in sizes)) if sum(t) == k]
    return min(1.0, sum(p for p in map(prob, tables) if p <= observed * (1 + 1e-7)))


def _bh(p: list[float]) -> list[float]:
    """Benjamini–Hochberg q-values."""
    p_arr = np.asarray(p, float)
    order = np.argsort(p_arr)
    scaled = p_arr[order] * len(p_arr) / np.arange(1, len(p_arr) + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1)
    out = np.empty_like(q)
    out[order] = q
    return out.tolist()


# -- formatting as itp_stats.report.format documents it ---------------------------------------


def _num(x: float, digits: int) -> str:
    """``1 234.5``: fixed decimals, thousands by a narrow no-break space, a true minus."""
    return f"{x:,.{digits}f}".replace(",", NNBSP).replace("-", "−")


def _p(p: float, name: str = "p") -> str:
    """``p = 0.012``, ``p < 0.001``: three decimals below 0.1, two above, never across alpha."""
    if p < 0.001:
        return f"{name}{NNBSP}<{NNBSP}0.001"
    if p > 0.99:
        return f"{name}{NNBSP}>{NNBSP}0.99"
    digits = 3 if p < 0.1 else 2
    text = f"{p:.{digits}f}"
    while (p < ALPHA) != (float(text) < ALPHA):
        digits += 1
        text = f"{p:.{digits}f}"
    return f"{name}{NNBSP}={NNBSP}{text}"


def _n_pct(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.0f}%)"


def _row_label(marker: str) -> str:
    """A marker's label in the tables' first column: ``Serum albumin, g/dL``."""
    return f"{LABELS[marker]}, {UNITS[marker]}" if UNITS[marker] else LABELS[marker]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _printed(text: str) -> float:
    return float(text.replace("−", "-").replace(NNBSP, ""))


def _decimals_of(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


# -- module state ----------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory):
    """A temporary state folder, and no study or data from the environment."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITP_STATS_ROOT", str(tmp_path_factory.mktemp("state")))
        for name in ("ITP_STATS_STUDY", "ITP_STATS_DATA"):
            mp.delenv(name, raising=False)
        yield


def _expected(which: str) -> SimpleNamespace:
    """What the CSV and the study file say, read without itp_stats: groups, the analysed."""
    study_path, data_path = STUDIES[which]
    config = yaml.safe_load(study_path.read_text(encoding="utf-8"))
    cohort = pd.read_csv(data_path)
    cohort["status"] = cohort["status"].replace(config["group"].get("recode") or {})
    levels = [str(v) for v in config["group"]["levels"]]
    short = cohort["followup_months"] < FOLLOWUP_MONTHS
    analysed = cohort[~short & cohort["status"].isin(levels)].reset_index(drop=True)
    names = config["group"]["names"]
    return SimpleNamespace(
        which=which,
        study=study_path,
        data=data_path,
        cohort=cohort,
        short=short,
        analysed=analysed,
        levels=levels,
        # a group's first mention in a document spells it out, every later one is its label
        # (the study gives the levels no labels: the level itself)
        phrase={lv: f"{names[lv]} ({lv})" for lv in levels},
        dead=analysed[analysed["status"] == "dead"],
        others=analysed[analysed["status"] != "dead"],
    )


def _rendered(tmp_path_factory, which: str) -> SimpleNamespace:
    expected = _expected(which)
    project = _copy_project(tmp_path_factory.mktemp(f"liver_{which}") / "project")
    status, log = _render(project, expected.study, expected.data, "--to", "html,pdf,docx")
    assert status == 0, log
    texts = _outputs(project)
    return SimpleNamespace(
        **vars(expected),
        project=project,
        log=log,
        texts=texts,
        html=texts["index.html"],
        results=lambda name: pd.read_csv(project / "_output" / "tables" / f"results_{name}.csv"),
    )


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    return _rendered(tmp_path_factory, "three")


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    return _rendered(tmp_path_factory, "two")


@pytest.fixture(params=list(STUDIES))
def liver(request):
    """Each rendered study in turn (each rendered once for the module)."""
    return request.getfixturevalue(request.param)


def _in_documents(liver, sentence: str, docs=("index.html", "index.pdf", "index.docx")) -> None:
    """The sentence is in each document (the PDF's text compared without white space)."""
    for doc in docs:
        text = liver.texts[doc]
        if doc.endswith(".pdf"):
            assert _compact(sentence) in _compact(text), (doc, sentence)
        elif doc.endswith(".docx"):  # its text has every white space as one space
            assert re.sub(r"\s+", " ", sentence) in text, (doc, sentence)
        else:
            start = text.find(sentence[:25])
            assert sentence in text, (doc, sentence, text[start : start + len(sentence) + 80])


# -- the fixture's files (quick) -------------------------------------------------------------


def _generator():
    spec = importlib.util.spec_from_file_location("make_cohort", FIXTURE / "make_cohort.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_writes_the_committed_cohorts(tmp_path):
    # numpy does not promise the same Generator streams across its releases: should this
    # fail after an upgrade, rerun make_cohort.py and review the new files with the tests below
    written = _generator().write_cohorts(tmp_path)
    for path in written:
        assert path.read_bytes() == (FIXTURE / path.name).read_bytes(), path.name


def test_cohorts_hold_what_the_study_needs():
    cohort = pd.read_csv(FIXTURE / "cohort.csv")
    assert len(cohort) == 150 and cohort["patient_id"].is_unique
    short = cohort["followup_months"] < FOLLOWUP_MONTHS
    # short follow-ups have a recorded status (the follow-up rule, not a missing group,
    # excludes them), and two had their one-year visit early in its window
    assert cohort.loc[short, "status"].notna().all()
    assert cohort.loc[short, "status"].value_counts().to_dict() == {
        "dead": 11, "transplanted": 4, "alive": 3}  # fmt: skip
    assert cohort.loc[short, "albumin_m12"].notna().sum() == 2
    assert cohort.loc[~short, "status"].value_counts().to_dict() == {
        "alive": 68, "dead": 42, "transplanted": 22}  # fmt: skip
    for marker, digits in DECIMALS.items():
        values = pd.concat([cohort[f"{marker}_m0"], cohort[f"{marker}_m12"]]).dropna()
        assert (values.round(digits) == values).all(), marker
        if digits:
            assert (values.round(digits - 1) != values).any(), marker
        assert cohort[f"{marker}_m0"].isna().sum() <= 3, marker  # a few missing values
    bilirubin = cohort["bilirubin_m0"].dropna()
    assert (bilirubin.round(1) == bilirubin).any() and (bilirubin.round(1) != bilirubin).any()
    assert cohort.isna().sum().sum() > 0
    dictionary = yaml.safe_load((FIXTURE / "dictionary.yaml").read_text(encoding="utf-8"))
    assert all(m["parent"] is None for m in dictionary["markers"].values())
    # the one-time-point file: the same patients at inclusion
    baseline = pd.read_csv(FIXTURE / "cohort_baseline.csv")
    assert baseline.equals(cohort[baseline.columns])


# -- 1. rendered, synthetic, counted ----------------------------------------------------------


@pytest.mark.slow
def test_every_document_is_rendered(liver):
    for doc in ("index", "supplement"):
        for ext in ("html", "pdf", "docx"):
            path = liver.project / "_output" / "report" / f"{doc}.{ext}"
            assert path.stat().st_size > 10_000, path
            assert f"{doc}.{ext}" in liver.log


@pytest.mark.slow
def test_every_output_says_the_data_are_synthetic(liver):
    notice = "This document is built from a synthetic cohort"
    for doc in ("index", "supplement"):
        for ext in ("html", "pdf", "docx"):
            text = liver.texts[f"{doc}.{ext}"]
            for words in (notice, "declared synthetic (parameter synthetic=true)"):
                assert _compact(words) in _compact(text), (doc, ext, words)
    assert "SYNTHETIC cohort" in liver.texts["tables/README.txt"]
    assert "SYNTHETIC cohort" in liver.texts["tables/notice.csv"]
    assert "SYNTHETIC cohort" in liver.texts["tables/results.xlsx"]
    figures = [k for k in liver.texts if k.startswith("figures/")]
    assert len(figures) >= 5
    for figure in figures:
        assert "Synthetic data" in liver.texts[figure], figure


@pytest.mark.slow
def test_flow_excludes_and_counts_the_short_follow_ups(liver):
    n, short = len(liver.cohort), int(liver.short.sum())
    assert short == 18 and liver.cohort.loc[liver.short, "status"].notna().all()
    analysed = len(liver.analysed)
    assert analysed == n - short
    reason = f"followed for less than {FOLLOWUP_MONTHS} months"
    _in_documents(
        liver, f"The file held {n} patients; {analysed} were analysed and {short} excluded "
        f"({short} {reason})."
    )  # fmt: skip
    _in_documents(liver, f"Excluded: {short} {reason}.")
    flow = liver.results("flow")
    assert flow.loc[flow["stage"] == "excluded", ["label", "n"]].values.tolist() == [
        [reason, short]
    ]
    assert flow.loc[flow["stage"] == "analysed", "n"].tolist() == [analysed]
    figure = _compact(liver.texts["figures/Figure 1.pdf"])
    for piece in (f"(n = {n})", f"Excluded (n = {short})", f"{reason} (n = {short})",
                  f"Analysed (n = {analysed})"):  # fmt: skip
        assert _compact(piece) in figure, piece
    # the gate accepted the two one-year visits early in their window, and the follow-up rule
    # still excluded those patients
    window = liver.cohort["followup_months"].between(10, FOLLOWUP_MONTHS, inclusive="left")
    assert liver.cohort.loc[window, "albumin_m12"].notna().sum() == 2
    rule = "Values at 1 year only for patients followed 10 months or more"
    assert rule in liver.texts["supplement.html"]
    counts = liver.analysed["status"].value_counts()
    for level in liver.levels:
        header = f"{level} (n{NNBSP}={NNBSP}{int(counts[level])})"
        assert header in liver.html, header


@pytest.mark.slow
def test_groups_are_said_to_be_assessed_at_the_end_of_follow_up(liver):
    counts = liver.analysed["status"].value_counts()
    n = len(liver.analysed)
    groups = _join([_n_pct(int(counts[lv]), n) + " " + lv for lv in liver.levels])
    _in_documents(liver, f"At the end of follow-up: {groups}.")
    names = _join([liver.phrase[lv] for lv in liver.levels])
    _in_documents(liver, f"grouped at the end of follow-up into {names};")
    _in_documents(
        liver, "Patients followed for less than 12 months, or whose group at the end of "
        "follow-up could not be determined, are excluded from the comparisons"
    )  # fmt: skip
    for where, text in liver.texts.items():
        for wrong in ("at 1 year into", "At 1 year:", "grouped at 1 year", "group at 1 year"):
            assert wrong not in text, (where, wrong)


@pytest.mark.slow
def test_each_group_is_spelled_out_once_then_abbreviated(liver):
    # the rule of report.lua: the first mention in each document is "name (label)", in the
    # summary of the report and in the supplement's opening paragraph; later ones the label
    for doc in ("index.html", "index.pdf", "index.docx", "supplement.html", "supplement.pdf"):
        text = _compact(liver.texts[doc]) if doc.endswith(".pdf") else liver.texts[doc]
        for lv in liver.levels:
            phrase = _compact(liver.phrase[lv]) if doc.endswith(".pdf") else liver.phrase[lv]
            assert text.count(phrase) == 1, (doc, phrase)
        assert "itp-abbr" not in text, doc
    summary = liver.html.index(f"grouped at the end of follow-up into {liver.phrase['alive']}")
    assert liver.html.index(liver.phrase["dead"]) > summary
    names = _join([liver.phrase[lv] for lv in liver.levels])
    _in_documents(liver, f"The groups are {names}.", docs=("supplement.html", "supplement.pdf"))


@pytest.mark.slow
def test_summary_methods_count_the_cohort_and_its_period(liver):
    years = liver.cohort["inclusion_year"]
    k = len(liver.levels)
    _in_documents(
        liver, f"The cohort held {len(liver.cohort)} adults with chronic liver disease (synthetic "
        f"data) from {years.min()} to {years.max()}, grouped at the end of follow-up"
    )  # fmt: skip
    _in_documents(
        liver, f"The {len(MARKERS)} markers at baseline and follow-up were compared between the "
        f"{k} groups with rank-based tests, and effect sizes are given with 95% confidence "
        "intervals."
    )  # fmt: skip


@pytest.mark.slow
def test_summary_does_not_say_the_short_follow_ups_could_not_be_grouped(liver):
    assert f"{len(liver.analysed)} could be grouped" not in liver.html
    assert f"{len(liver.analysed)} were analysed (18 excluded: 18 followed for less" in liver.html


# -- 2. every sentence against values computed here -------------------------------------------


def _baseline(liver, marker: str) -> SimpleNamespace:
    """The baseline comparisons of one marker, computed from the CSV."""
    column = f"{marker}_m0"
    x, y = _values(liver.dead, column), _values(liver.others, column)
    u, p, method = _mann_whitney(x, y)
    groups = [_values(liver.analysed[liver.analysed["status"] == lv], column)
              for lv in liver.levels]  # fmt: skip
    between = stats.kruskal(*groups).pvalue if len(groups) > 2 else p
    auc, low, high = _auc_lower(x, y)  # r = 2·P(dead > others) − 1 = 1 − 2·AUC(lower)
    return SimpleNamespace(
        x=x, y=y, u=u, p=p, method=method, between=float(between),
        hl=_hodges_lehmann(x, y), r=(1 - 2 * auc, 1 - 2 * high, 1 - 2 * low),
    )  # fmt: skip


@pytest.mark.slow
def test_baseline_sentences_hold_the_recomputed_values(liver):
    base = {m: _baseline(liver, m) for m in MARKERS}
    q = dict(zip(MARKERS, _bh([base[m].p for m in MARKERS]), strict=True))
    albumin = base["albumin"]
    # the exported results are the same tests (unrounded)
    positive = liver.results("baseline_positive").set_index("marker")
    kruskal = liver.results("baseline_kruskal").set_index("marker")
    for m in MARKERS:
        assert positive.loc[m, "p_unc"] == pytest.approx(base[m].p, rel=1e-9), m
        assert positive.loc[m, "statistic"] == pytest.approx(base[m].u), m
        assert positive.loc[m, "p_fdr"] == pytest.approx(q[m], rel=1e-9), m
        assert kruskal.loc[m, "p_unc"] == pytest.approx(base[m].between, rel=1e-9), m
        assert ("normal approximation" in positive.loc[m, "method"]) == (
            base[m].method == "asymptotic"
        ), m
    # the omnibus sentence (three groups); with two, the contrast below is that comparison
    if len(liver.levels) > 2:
        verb = "differed" if albumin.between < ALPHA else "did not differ"
        omnibus = (
            f"The baseline level of serum albumin {verb} between {_join(liver.levels)} "
            f"(Kruskal–Wallis {_p(albumin.between)})."
        )
        _in_documents(liver, omnibus)
    else:
        assert "The baseline level of serum albumin was " in liver.html
    # the contrast: medians with the 2 decimals albumin is recorded with, the HL shift
    found = re.search(
        rf"(?:It|The baseline level of serum albumin) was (\w+) in the dead group "
        rf"than in the other patients \(median "
        rf"(\S+) against (\S+){NNBSP}g/dL; Hodges–Lehmann shift (\S+) \((\S+) to (\S+)\)"
        rf"{NNBSP}g/dL; ",
        liver.html,
    )
    assert found, "the contrast sentence"
    word, med_dead, med_other, hl, hl_low, hl_high = found.groups()
    assert med_dead == _num(np.median(albumin.x), 2) == "3.20"
    assert med_other == _num(np.median(albumin.y), 2) == "3.70"
    digits = _decimals_of(hl)
    assert digits >= DECIMALS["albumin"]
    assert hl == _num(albumin.hl, digits) and _printed(hl) != 0
    assert _decimals_of(hl_low) == _decimals_of(hl_high) == digits
    assert _printed(hl_low) <= _printed(hl) <= _printed(hl_high)
    expected = "similar"
    if albumin.p < ALPHA and _printed(hl_high) < 0:
        expected = "lower"
    elif albumin.p < ALPHA and _printed(hl_low) > 0:
        expected = "higher"
    assert word == expected == "lower"
    r, r_low, r_high = (_num(v, 2) for v in albumin.r)
    subject = "It" if len(liver.levels) > 2 else "The baseline level of serum albumin"
    sentence = (
        f"{subject} was lower in the dead group than in the other patients (median "
        f"{med_dead} against {med_other}{NNBSP}g/dL; Hodges–Lehmann shift {hl} "
        f"({hl_low} to {hl_high}){NNBSP}g/dL; rank-biserial r {r} ({r_low} to {r_high}); "
        f"{_p(albumin.p, 'Mann–Whitney p')}, {_p(q['albumin'], 'q')})."
    )
    _in_documents(liver, sentence)
    # how the p-values were computed, as the methods say
    methods = {base[m].method for m in MARKERS}
    assert methods == {"asymptotic"}  # 87 or 90 others: R's rule gives the normal approximation
    how = "(normal approximation with tie and continuity corrections); the effect sizes are"
    assert how in liver.html
    _in_documents(
        liver, "In this cohort, a lower baseline level of serum albumin was associated with dead; "
        "the association is observational and needs external validation."
    )  # fmt: skip


@pytest.mark.slow
def test_prediction_sentence_holds_the_recomputed_values(liver):
    x, y = _values(liver.dead, "albumin_m0"), _values(liver.others, "albumin_m0")
    u_others = stats.mannwhitneyu(y, x, method="asymptotic").statistic  # P(others > dead)
    auc, low, high = _auc_lower(x, y)
    assert auc == pytest.approx(u_others / (len(x) * len(y)), rel=1e-12)
    cut, below, above = _youden_lower(x, y)
    odds, odds_low, odds_high, odds_p = _logistic(
        np.r_[x, y], np.r_[np.ones(len(x)), np.zeros(len(y))], per=0.5
    )
    prediction = liver.results("prediction").set_index("effect_type")
    assert prediction.loc["auc", "effect"] == pytest.approx(auc, rel=1e-9)
    assert prediction.loc["auc", ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])
    assert prediction.loc["youden_cutoff", "effect"] == pytest.approx(cut)
    assert prediction.loc["odds_ratio", "effect"] == pytest.approx(odds, rel=1e-6)
    assert prediction.loc["odds_ratio", "p_unc"] == pytest.approx(odds_p, rel=1e-6)
    assert low > 0.5  # the claim "predicted" is supported
    _in_documents(
        liver, f"The baseline level of serum albumin predicted the dead group with an AUC "
        f"of {_num(auc, 2)} ({_num(low, 2)} to {_num(high, 2)}) (direction set before the "
        "analysis: lower values in dead)."
    )  # fmt: skip
    # a Youden cutoff lies between two recorded values: one decimal more than albumin's 2
    found = re.search(
        rf"The cutoff maximising Youden's index was (\S+){NNBSP}g/dL \(bootstrap 95% CI (\S+) "
        r"to (\S+)\)",
        liver.html,
    )
    assert found, "the cutoff sentence"
    shown, boot_low, boot_high = found.groups()
    assert shown == _num(cut, DECIMALS["albumin"] + 1) == "3.480"
    assert _printed(boot_low) <= _printed(shown) <= _printed(boot_high)
    sens_ci = [f"{100 * v:.0f}" for v in _clopper_pearson(below, len(x))]
    spec_ci = [f"{100 * v:.0f}" for v in _clopper_pearson(above, len(y))]
    _in_documents(
        liver, f"with a sensitivity of {100 * below / len(x):.0f}% ({sens_ci[0]} to "
        f"{sens_ci[1]}%) and a specificity of {100 * above / len(y):.0f}% ({spec_ci[0]} to "
        f"{spec_ci[1]}%)."
    )  # fmt: skip
    # the predictive values by hand: the dead among those below the cutoff, the others above
    called_pos, called_neg = below + (len(y) - above), above + (len(x) - below)
    ppv_ci = [f"{100 * v:.0f}" for v in _clopper_pearson(below, called_pos)]
    npv_ci = [f"{100 * v:.0f}" for v in _clopper_pearson(above, called_neg)]
    _in_documents(
        liver, f"The positive and negative predictive values at the cutoff were "
        f"{100 * below / called_pos:.0f}% ({ppv_ci[0]} to {ppv_ci[1]}%) and "
        f"{100 * above / called_neg:.0f}% ({npv_ci[0]} to {npv_ci[1]}%)."
    )  # fmt: skip
    _in_documents(
        liver, "Unlike sensitivity and specificity, the predictive values depend on the "
        "proportion of patients in the dead group in the cohort."
    )  # fmt: skip
    assert f"Youden cutoff {shown} g/dL" in liver.texts["figures/Figure 5.pdf"]
    _in_documents(
        liver, f"The univariable odds ratio of the dead group was {_num(odds, 2)} "
        f"({_num(odds_low, 2)} to {_num(odds_high, 2)}) per 0.50{NNBSP}g/dL ({_p(odds_p)})."
    )  # fmt: skip
    _in_documents(
        liver, "The analysis is observational and univariable: the association of the baseline "
        "level of serum albumin with the groups may be confounded. The cutoff was chosen on the "
        "same data it is evaluated on"
    )  # fmt: skip


def _changes(frame: pd.DataFrame, marker: str) -> np.ndarray:
    """One-year minus inclusion values of the patients with both, exact to the decimals the
    values are recorded with (:data:`DECIMALS`), so that equal changes are equal."""
    pairs = frame[[f"{marker}_m0", f"{marker}_m12"]].apply(pd.to_numeric).dropna()
    d = (pairs[f"{marker}_m12"] - pairs[f"{marker}_m0"]).to_numpy(float)
    return d.round(DECIMALS[marker]) + 0.0


@pytest.mark.slow
def test_change_sentences_hold_the_recomputed_values(liver):
    within = liver.results("change_within").set_index(["marker", "group"])
    between = liver.results("change_between").set_index("marker")
    methods = set()
    for marker in MARKERS:
        by_group = {lv: _changes(liver.analysed[liver.analysed["status"] == lv], marker)
                    for lv in liver.levels}  # fmt: skip
        for level, d in by_group.items():
            p, method = _wilcoxon(d)
            methods.add(method)
            assert within.loc[(marker, level), "p_unc"] == pytest.approx(p, rel=1e-9)
            assert within.loc[(marker, level), "n"] == len(d)
        if len(by_group) > 2:
            p_between = stats.kruskal(*by_group.values()).pvalue
        else:
            p_between = _mann_whitney(by_group["alive"], by_group["dead"])[1]
        assert between.loc[marker, "p_unc"] == pytest.approx(p_between, rel=1e-9), marker
    assert methods == {"asymptotic"}
    d_all = {lv: _changes(liver.analysed[liver.analysed["status"] == lv], "bilirubin")
             for lv in liver.levels}  # fmt: skip
    d = d_all["dead"]
    p_dead, _ = _wilcoxon(d)
    shift = _pseudo_median(d)
    found = re.search(
        rf"In the dead group, the level of total bilirubin (\w+) by (\S+) \((\S+) to "
        rf"(\S+)\){NNBSP}mg/dL by 1 year \(",
        liver.html,
    )
    assert found, "the change sentence"
    word, amount, low, high = found.groups()
    assert word == ("rose" if shift > 0 and p_dead < ALPHA and _printed(low) > 0 else "fell")
    assert amount == _num(abs(shift), max(2, _decimals_of(amount))) == "0.95"
    _in_documents(
        liver, f"In the dead group, the level of total bilirubin rose by {amount} ({low} "
        f"to {high}){NNBSP}mg/dL by 1 year ({_p(p_dead, 'Wilcoxon p')}; n{NNBSP}={NNBSP}"
        f"{len(d)} pairs)."
    )  # fmt: skip
    if len(d_all) > 2:
        p_between, test = stats.kruskal(*d_all.values()).pvalue, "Kruskal–Wallis"
    else:
        p_between, test = _mann_whitney(d_all["alive"], d_all["dead"])[1], "Mann–Whitney"
    verb = "differed" if p_between < ALPHA else "did not differ"
    _in_documents(
        liver, f"The change of the level of total bilirubin by 1 year {verb} between groups "
        f"({test} {_p(p_between)})."
    )  # fmt: skip
    _in_documents(liver, f"The change {verb} between groups ({test} {_p(p_between)}).")
    assert (
        "(normal approximation with tie and continuity corrections); patients whose value did "
        "not change were left out of that test"
    ) in liver.html
    assert any((_changes(liver.analysed, m) == 0).any() for m in MARKERS)


@pytest.mark.slow
def test_changes_of_decimal_values_are_ranked_with_their_ties(three):
    # the ties binary floating point loses: the alive group's albumin changes have fewer
    # distinct sizes in hundredths than as differences of floats
    alive = three.analysed[three.analysed["status"] == "alive"]
    pairs = alive[["albumin_m0", "albumin_m12"]].apply(pd.to_numeric).dropna()
    floats = (pairs["albumin_m12"] - pairs["albumin_m0"]).abs()
    assert floats.nunique() > len(np.unique(np.abs(_changes(alive, "albumin"))))
    within = three.results("change_within").set_index(["marker", "group"])
    between = three.results("change_between").set_index("marker")
    wrong = []
    for marker in ("albumin", "bilirubin", "inr"):
        changes = {
            level: _changes(three.analysed[three.analysed["status"] == level], marker)
            for level in three.levels
        }
        for level, d in changes.items():
            p, _ = _wilcoxon(d)
            if within.loc[(marker, level), "p_unc"] != pytest.approx(p, rel=1e-9):
                wrong.append((marker, level, within.loc[(marker, level), "p_unc"], p))
        p = stats.kruskal(*changes.values()).pvalue
        if between.loc[marker, "p_unc"] != pytest.approx(p, rel=1e-9):
            wrong.append((marker, "between groups", between.loc[marker, "p_unc"], p))
    assert not wrong


@pytest.mark.slow
def test_participants_missing_values_and_methods_sentences(liver):
    analysed = liver.analysed
    at = {tp: analysed[[f"{m}_{tp}" for m in MARKERS]].isna().all(axis=1) for tp in ("m0", "m12")}
    assert not at["m0"].any()
    _in_documents(liver, "No patient missed every marker value at inclusion.")
    missing = [int(at["m12"][analysed["status"] == lv].sum()) for lv in liver.levels]
    sizes = [int((analysed["status"] == lv).sum()) for lv in liver.levels]
    p = _fisher_exact(missing, sizes)
    parts = _join([f"{k} of {n} {lv}" for k, n, lv in zip(missing, sizes, liver.levels,
                                                           strict=True)])  # fmt: skip
    verb = "differed between" if p < ALPHA else "did not differ detectably between"
    _in_documents(
        liver, f"At 1 year, {sum(missing)} patients had no marker value ({parts}); this {verb} the "
        f"groups (Fisher's exact test, {_p(p)})"
    )  # fmt: skip
    _in_documents(
        liver, "with measurements at inclusion (baseline) and at 1 year (follow-up)."
    )  # fmt: skip
    _in_documents(
        liver, f"The groups are the recorded status at the end of follow-up: "
        f"{_join(liver.levels)}."
    )  # fmt: skip
    _in_documents(
        liver,
        f"The analysis covers {len(MARKERS)} markers, measured at baseline and at "
        f"follow-up: {_join([LABELS[m] for m in MARKERS])} (g/dL, mg/dL and U/L).",
    )  # INR has no unit: it adds none to the list, in the markers' order
    _in_documents(
        liver, f"q denotes a p-value adjusted across the family of {len(MARKERS)} marker "
        "variables by the Benjamini–Hochberg method"
    )  # fmt: skip
    _in_documents(liver, "The markers' tests are not independent of one another;")
    # the data-quality paragraph claims only the rules this study has
    for claim in ("subsets within their parent populations", "derivation", "composition"):
        assert claim not in liver.html, claim
    assert "values at follow-up only for patients followed long enough" in liver.html


# -- 3. decimals: as recorded, and no non-zero effect printed as 0 ----------------------------


@pytest.mark.slow
def test_medians_print_with_the_decimals_the_markers_are_recorded_with(liver):
    table = pd.read_csv(liver.project / "_output" / "tables" / "table2.csv", encoding="utf-8-sig")
    rows = table.set_index(table.columns[0])
    for marker in MARKERS:
        label = _row_label(marker)
        for level in liver.levels:
            values = _values(liver.analysed[liver.analysed["status"] == level], f"{marker}_m0")
            med, q1, q3 = np.percentile(values, [50, 25, 75])
            digits = DECIMALS[marker]
            cell = f"{_num(med, digits)} [{_num(q1, digits)}–{_num(q3, digits)}]"
            column = next(c for c in rows.columns if c.startswith(f"{level} (n"))
            assert rows.loc[label, column].startswith(cell), (marker, level, cell)
            assert cell in liver.html, cell
    if liver.which == "three":  # the transplanted group's albumin, as the issue quotes it
        assert f"3.44 [3.15–3.83] (n{NNBSP}={NNBSP}21)" in liver.html


@pytest.mark.slow
def test_no_non_zero_shift_prints_as_zero(liver):
    tables = liver.project / "_output" / "tables"
    table2 = pd.read_csv(tables / "table2.csv", encoding="utf-8-sig")
    table3 = pd.read_csv(tables / "table3.csv", encoding="utf-8-sig")
    table2 = table2.set_index(table2.columns[0])
    table3[table3.columns[0]] = table3[table3.columns[0]].ffill()
    cells = []
    for marker in MARKERS:  # Table 2: dead against the others
        label = _row_label(marker)
        base = _baseline(liver, marker)
        cells.append((marker, "baseline", base.hl, table2.loc[label, "HL shift (95% CI)"]))
        for level in liver.levels:  # Table 3: the change within each group
            d = _changes(liver.analysed[liver.analysed["status"] == level], marker)
            row = table3[(table3["Marker"] == label) & (table3["Group"] == level)]
            cells.append((marker, level, _pseudo_median(d), row["HL change (95% CI)"].iloc[0]))
    for marker, where, value, cell in cells:
        estimate = cell.split(" (")[0]
        digits = _decimals_of(estimate)
        assert digits >= DECIMALS[marker], (marker, where, cell)
        assert abs(_printed(estimate) - value) <= 0.5 * 10**-digits + 1e-9, (marker, where, cell)
        if abs(value) > 1e-9:
            assert _printed(estimate) != 0, (marker, where, cell)
        assert _plain(cell) in liver.html, cell


# -- 4. no word of the demo's field ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("word", DEMO_WORDS)
@pytest.mark.parametrize("which", STUDIES)
def test_no_word_of_the_demo_field(request, which, word):
    rendered = request.getfixturevalue(which)
    assert len(rendered.texts) > 40  # documents, tables, workbook, figures, file names
    texts = {where: re.sub(r"\s+", " ", text) for where, text in rendered.texts.items()}
    found = [
        (where, text[max(0, m.start() - 60) : m.end() + 60])
        for where, text in texts.items()
        for m in [re.search(DEMO_WORDS[word], text)]
        if m
    ]
    assert not found, found


# -- 5. designs handled as what they are -------------------------------------------------------


@pytest.mark.slow
def test_no_figure_is_an_empty_page(liver):
    empty = [
        name
        for name, text in liver.texts.items()
        if name.startswith("figures/") and text.replace("Synthetic data", "").strip() == "No data"
    ]
    assert not empty, empty


@pytest.mark.slow
def test_left_out_floats_are_said_in_one_line_and_not_numbered(liver):
    text = liver.texts["supplement.html"]
    for when in ("baseline", "1 year"):  # no marker has a parent: no percentages
        assert (
            f"No figure of the markers as percentages at {when}: no marker of this study has "
            "a parent population."
        ) in text
    assert "No trend test: the study's groups are not ordered" in text
    assert "Figure S2: Every marker, in its own unit, at 1 year by group" in text
    assert "Figure S3" not in text  # the calibration is the report's (Figure 6)
    assert "Figure 6: Calibration of the logistic model" in liver.texts["index.html"]
    exported = {name for name in liver.texts if name.startswith("figures/Figure S")}
    assert exported == {"figures/Figure S1.pdf", "figures/Figure S2.pdf"}
    # the tables after a left-out one are numbered on: the trend test (both studies) and the
    # sensitivity analysis (the two-group study) are left out of S1…S9, and the adjusted
    # model (no covariates named) after the prediction model's validation
    last = 8 if liver.which == "three" else 7
    assert f"Table S{last}: Validation gate" in text
    assert f"Table S{last + 1}: Prediction of" in text and f"Table S{last + 2}" not in text
    assert "No adjusted prediction model: the study names no covariates" in text
    assert f"is listed in Table S{last} of the supplement" in liver.html
    assert f"Table S{last + 1}" in liver.texts["tables/results.xlsx"]
    assert f"Table S{last + 2}" not in liver.texts["tables/results.xlsx"]
    # every reference resolves: the opening paragraph names only the floats shown
    for where in ("index.html", "supplement.html"):
        assert "?@" not in liver.texts[where], where
    assert "the trend test" not in text
    if liver.which == "two":
        assert (
            "No sensitivity analysis: it would repeat the primary comparison of the dead group "
            "with the others."
        ) in text
        assert "thesensitivityanalysis(" not in _compact(text)
    else:
        assert "thesensitivityanalysis(TableS5)" in _compact(text)
    assert "Figure S1 and Figure S2 show every marker by group." in text


@pytest.mark.slow
def test_an_unordered_study_states_no_order_in_the_documents(liver):
    assert "Trend across the ordered groups" not in liver.texts["supplement.html"]


@pytest.mark.slow
def test_an_unordered_study_exports_no_trend_table(liver):
    assert not (liver.project / "_output" / "tables" / "results_baseline_trend.csv").exists()


@pytest.mark.slow
def test_sensitivity_analysis_of_the_three_group_study(three):
    # responders: [transplanted, dead]: death or transplantation against alive
    text = three.texts["supplement.html"]
    assert "Table S5: Sensitivity analysis: transplanted + dead against the other groups" in text
    x = _values(three.analysed[three.analysed["status"] != "alive"], "albumin_m0")
    y = _values(three.analysed[three.analysed["status"] == "alive"], "albumin_m0")
    sensitivity = three.results("sensitivity").set_index("marker")
    assert sensitivity.loc["albumin", "p_unc"] == pytest.approx(_mann_whitney(x, y)[1], rel=1e-9)
    assert f"{len(x)} / {len(y)}" in text


@pytest.mark.slow
def test_two_group_study_shows_no_sensitivity_analysis(two):
    shown = [
        where
        for where, present in (
            (
                "supplement caption",
                "Table S5: Sensitivity analysis" in two.texts["supplement.html"],
            ),
            ("exported table", "tables/results_sensitivity.csv" in two.texts),
        )
        if present
    ]
    assert not shown, shown


@pytest.mark.slow
def test_two_group_table2_shows_one_mann_whitney_test(two):
    table = pd.read_csv(two.project / "_output" / "tables" / "table2.csv", encoding="utf-8-sig")
    assert len([c for c in table.columns if c.endswith("r (95% CI)")]) == 1, list(table.columns)


@pytest.mark.slow
def test_two_group_sentences_give_the_test_once(two):
    start = two.html.index("Markers at baseline The baseline level of serum albumin")
    paragraph = two.html[start : two.html.index("Table 2 compares every marker", start)]
    assert paragraph.count("Mann–Whitney p") == 1, paragraph


@pytest.mark.slow
def test_two_group_study_adjusts_no_single_comparison(two):
    dunn = two.results("baseline_dunn")
    shown = [
        where
        for where, present in (
            ("Table S3 caption", "adjusted within each marker" in two.texts["supplement.html"]),
            ("results_baseline_dunn.csv", dunn["adjust"].notna().any()),
        )
        if present
    ]
    assert not shown, shown


@pytest.mark.slow
def test_two_group_study_merges_transplanted_with_alive_by_recode(two):
    raw = pd.read_csv(FIXTURE / "cohort.csv")
    followed = raw[raw["followup_months"] >= FOLLOWUP_MONTHS]["status"].value_counts()
    sizes = two.results("groups").set_index("group")["n"]
    assert sizes["alive"] == followed["alive"] + followed["transplanted"]
    assert sizes["dead"] == followed["dead"]
    # the groups are spelled out in the Summary, their first mention; abbreviated here
    _in_documents(
        two, "The groups are the recorded status at the end of follow-up: alive and dead. "
        "Patients recorded as transplanted are counted in the alive group."
    )  # fmt: skip


@pytest.mark.slow
def test_two_group_study_cites_its_own_reference(two):
    """``bibliography: references.bib`` beside the study: its background's [@kamath2001] is
    formatted by the project's CSL, in the reference list of every document."""
    reference = (
        "Kamath PS, Wiesner RH, Malinchoc M, Kremers W, Therneau TM, Kosberg CL, et al. A model "
        "to predict survival in patients with end-stage liver disease. Hepatology "
        "2001;33(2):464–70."
    )
    _in_documents(two, reference)
    _in_documents(two, "routine liver tests predict survival in chronic liver disease [1]")
    assert "kamath2001" not in two.html and "???" not in two.html


@pytest.mark.slow
def test_two_group_study_compares_dead_with_alive(two):
    assert "dead vs alive r (95% CI)" in two.html
    assert "For the dead group against the other group, the p-values come from" in two.html
    assert "Pairs of groups were compared" not in two.html


# -- 6. one time point: a cross-sectional variant ----------------------------------------------

ONE = SimpleNamespace(
    study=FIXTURE / "study_baseline.yaml",
    data=FIXTURE / "cohort_baseline.csv",
    levels=["alcohol", "viral", "metabolic", "autoimmune"],
    names={
        "alcohol": "alcohol-related liver disease",
        "viral": "viral hepatitis",
        "metabolic": "metabolic liver disease",
        "autoimmune": "autoimmune liver disease",
    },
)
"""``study_baseline.yaml``: the same patients at inclusion only (``cohort_baseline.csv``, its
own dictionary with the one time point ``m0``), grouped by the aetiology of their disease;
``timepoints`` without ``followup``."""


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    project = _copy_project(tmp_path_factory.mktemp("liver_one") / "project")
    status, log = _render(project, ONE.study, ONE.data, "--to", "html,pdf,docx")
    assert status == 0, log
    cohort = pd.read_csv(ONE.data)
    return SimpleNamespace(
        project=project,
        texts=_outputs(project),
        cohort=cohort,
        phrase={lv: f"{ONE.names[lv]} ({lv})" for lv in ONE.levels},
        results=lambda name: pd.read_csv(project / "_output" / "tables" / f"results_{name}.csv"),
    )


def test_one_time_point_file_has_no_follow_up():
    cohort = pd.read_csv(ONE.data)
    assert not [c for c in cohort.columns if c.endswith("_m12") or c.startswith("followup")]
    config = yaml.safe_load(ONE.study.read_text(encoding="utf-8"))
    assert set(config["timepoints"]) == {"baseline"}


def test_one_time_point_study_loads_and_refuses_a_change_to_highlight(tmp_path):
    from itp_stats.errors import StudyConfigError
    from itp_stats.study.config import load_study

    config = load_study(ONE.study)
    assert not config.has_followup and config.timepoints == ("m0",)
    assert config.design.group_when == "baseline" and config.highlight_change == ()
    raw = yaml.safe_load(ONE.study.read_text(encoding="utf-8"))
    raw["highlight"]["change"] = ["bilirubin"]
    raw["dictionary"] = str(FIXTURE / "dictionary_baseline.yaml")
    bad = tmp_path / "study.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(StudyConfigError, match=r"highlight\.change: a study of one time point"):
        load_study(bad)


@pytest.mark.slow
def test_one_time_point_study_validates_and_gates(tmp_path):
    for command in ("validate", "gate"):
        args = [str(ONE.data)] if command == "validate" else ["--data", str(ONE.data)]
        status, out = _cli(command, *args, "--study", str(ONE.study), root=tmp_path)
        assert status == 0, (command, out)
        assert "Traceback" not in out


@pytest.mark.slow
def test_one_time_point_study_says_nothing_about_follow_up_or_change(one):
    documents = {k: v for k, v in one.texts.items() if k.split(".")[0] in ("index", "supplement")}
    assert len(documents) == 6
    for where, text in one.texts.items():
        for word in (r"(?i)follow", r"(?i)\bchange", r"1 year", r"\?@"):
            found = re.search(word, text)
            assert not found, (where, text[max(0, found.start() - 80) : found.end() + 80])
    names = one.texts["file names"].split("\n")
    for gone in ("table3", "markers_followup", "change_markers", "results_change_within",
                 "results_change_between"):  # fmt: skip
        assert f"tables/{gone}.csv" not in names, gone
    # the figures: flow, baseline, forest, ROC; every marker at baseline (no percentages)
    figures = sorted(n for n in names if n.startswith("figures/") and n.endswith(".pdf"))
    # Figure 5: the calibration of the prediction model
    assert figures == [f"figures/Figure {i}.pdf" for i in (1, 2, 3, 4, 5)] + [
        "figures/Figure S1.pdf",
    ]
    html = one.texts["index.html"]
    assert "Table 3" not in html and "Figure 6" not in html
    assert "Figure 5: Calibration of the logistic model" in html
    assert "Markers at baseline" in html and "Prediction" in html
    # the supplement numbers on: markers, pairs, missing data, dictionary, validation
    supplement = one.texts["supplement.html"]
    assert "Table S5: Validation gate" in supplement and "Table S6: Prediction of" in supplement
    assert "Table S7" not in supplement  # no adjusted model: no covariates named
    assert "Table S4: Data dictionary" in supplement
    _in_documents(one, "data dictionary (Table S4 of the supplement), with measurements at "
                  "inclusion (baseline).")  # fmt: skip
    _in_documents(one, "is listed in Table S5 of the supplement.")
    _in_documents(one, "Table S3 of the supplement gives every variable's missing values.")


def test_one_time_point_study_names_its_participants_people():
    from itp_stats.study.config import load_study

    config = load_study(ONE.study)
    assert (config.participants.singular, config.participants.plural) == ("person", "people")
    shipped = load_study(None)  # the shipped study says patients
    assert (shipped.participants.singular, shipped.participants.plural) == ("patient", "patients")


@pytest.mark.slow
def test_one_time_point_documents_say_people_never_patients(one):
    """``participants: {singular: person, plural: people}``: every sentence, header, caption,
    figure and exported table uses it; ``patient_id``, the file's column, is not a word."""
    for where, text in one.texts.items():
        found = re.search(r"(?i)\bpatients?\b", text)
        assert not found, (where, text[max(0, found.start() - 80) : found.end() + 80])
    n = len(one.cohort)
    _in_documents(one, f"The file held {n} people; {n} were analysed.")
    _in_documents(one, "No person missed every marker value at inclusion.")
    assert "People in the data file" in one.texts["figures/Figure 1.pdf"]
    assert "Failing person ids" in one.texts["supplement.html"]
    assert "one row per person as described by the data dictionary" in one.texts["index.html"]


@pytest.mark.slow
def test_one_time_point_sentences_hold_the_recomputed_values(one):
    cohort, levels = one.cohort, ONE.levels
    sizes = cohort["aetiology"].value_counts()
    # the groups by their short names: spelled out once, in the Summary
    counts = _join([f"{sizes[lv]} ({100 * sizes[lv] / len(cohort):.0f}%) {lv}" for lv in levels])
    years = cohort["inclusion_year"]
    _in_documents(
        one, f"The cohort held {len(cohort)} adults with chronic liver disease (synthetic data) "
        f"from {years.min()} to {years.max()}, grouped at inclusion into "
        f"{_join([one.phrase[lv] for lv in levels])}; {len(cohort)} were analysed. The "
        f"{len(MARKERS)} markers at baseline were compared between the {len(levels)} groups"
    )  # fmt: skip
    _in_documents(one, f"At inclusion: {counts}.")
    _in_documents(  # not the PDF: Typst hyphenates "aminotrans- ferase" there
        one, f"The analysis covers {len(MARKERS)} markers, measured at baseline: "
        f"{_join([LABELS[m] for m in MARKERS])} (g/dL, mg/dL and U/L).",
        docs=("index.html", "index.docx"),
    )  # fmt: skip
    groups = [_values(cohort[cohort["aetiology"] == lv], "albumin_m0") for lv in levels]
    p_between = stats.kruskal(*groups).pvalue  # scipy.stats.kruskal: tie-corrected H
    verb = "differed" if p_between < ALPHA else "did not differ"
    _in_documents(
        one, f"The baseline level of serum albumin {verb} between {_join(levels)} "
        f"(Kruskal–Wallis {_p(p_between)})."
    )  # fmt: skip
    cases = _values(cohort[cohort["aetiology"] == "alcohol"], "albumin_m0")
    controls = _values(cohort[cohort["aetiology"] != "alcohol"], "albumin_m0")
    _, p, _ = _mann_whitney(cases, controls)
    shift = _hodges_lehmann(cases, controls)
    medians = f"median {_num(np.median(cases), 2)} against {_num(np.median(controls), 2)}"
    _in_documents(one, f"({medians}{NNBSP}g/dL; Hodges–Lehmann shift {_num(shift, 2)} (")
    _in_documents(one, f"Mann–Whitney {_p(p)}")
    # direction auto: cases have the higher median, so the AUC is P(case > control)
    assert np.median(cases) > np.median(controls)
    auc, low, high = _auc_lower(controls, cases)  # P(control < case), DeLong (symmetric)
    claim = "did not predict" if low <= 0.5 <= high else "predicted"
    _in_documents(
        one, f"The baseline level of serum albumin {claim} the alcohol group: "
        f"the AUC was {_num(auc, 2)} ({_num(low, 2)} to {_num(high, 2)})"
    )  # fmt: skip
    kruskal = one.results("baseline_kruskal").set_index("marker")
    assert kruskal.loc["albumin", "p_unc"] == pytest.approx(p_between, rel=1e-9)
