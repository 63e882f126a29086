"""A study of one's own: the report follows the study configuration and the data dictionary.

1. The second example study (``tests/fixtures/study_m12``: remission / stable / progression at
   12 months, white blood cells, CD4+ and regulatory T cells) renders from its configuration
   alone, every paragraph as the rules build it from an independently recomputed study, and
   no word of the ITP study in any output.
2. Its reversed, null and small-group cohorts: the words follow the results (rules R1, R3,
   R4 of ``itp_stats.report.sentences``), computed here from the result tables.
3. Changes of the shipped dictionary flow through: a marker removed, a marker added, a
   12-month follow-up.
4. A bad configuration is refused before any work, with the file and the key named.

The rendered projects are copies in temporary folders (rendered once per module); every study
computed in the test process is computed again (the study cache is disabled), and the state
folder is a temporary one, so the repository's own state is not touched.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import (
    copy_study,
    twelve_month_cells,
    twelve_month_dictionary,
    twelve_month_study,
)
from example_study import LEVELS, STUDY, STUDY_DIR, example_cohort, write_example_cohort
from render_support import copy_report_project as _copy_project
from render_support import docx_text as _docx_text
from render_support import html_text as _html_text
from render_support import pdf_text as _pdf_text
from render_support import run_cli as _cli

from itp_stats import report as R
from itp_stats.cohort.synth import synthesize, write_cohort
from itp_stats.report import sentences as T
from itp_stats.report.format import NNBSP, shortened, spelled_out
from itp_stats.report.tables import table2
from itp_stats.study.config import load_study
from itp_stats.study.prepare import prepare_study

N_BOOT = 200
ALPHA = 0.05
ITP_WORDS = (r"\bCR\b", r"\bNK\b", r"(?i)rituximab", r"\bIWG\b", r"(?i)platelet", r"6 months")
"""Words of the shipped ITP study that a report of another study must never print."""
GROUP_NAMES = {
    "remission": "remission at 12 months",
    "stable": "stable disease",
    "progression": "progressive disease",
}
MARKER_LABELS = ("White blood cells", "CD4+ T cells", "Regulatory T cells")


# -- helpers ---------------------------------------------------------------------------------


def _render(project: Path, study: Path, data: Path, *args: str) -> tuple[int, str]:
    return _cli(
        "render", str(project), "--engine", "builtin", "--study", str(study),
        "-P", f"data={data}", "-P", f"n_boot={N_BOOT}", *args, root=project,
    )  # fmt: skip


def _compact(text: str) -> str:
    return re.sub(r"\s", "", text)


def _outputs(project: Path, formats: tuple[str, ...]) -> dict[str, str]:
    """Text of every rendered document (``index.html``…) and every result table (CSV)."""
    out = project / "_output"
    read = {"html": _html_text, "pdf": _pdf_text, "docx": _docx_text}
    texts = {
        f"{doc}.{ext}": read[ext](out / "report" / f"{doc}.{ext}")
        for doc in ("index", "supplement")
        for ext in formats
    }
    for table in sorted((out / "tables").glob("*.csv")):
        texts[f"tables/{table.name}"] = table.read_text(encoding="utf-8")
    return texts


def _pieces(paragraph: str) -> list[str]:
    """A paragraph as the page shows it: Markdown marks out, split at cross-references."""
    paragraph = re.sub(r"[ \n]+", " ", paragraph).replace("**", "").replace("\u2019", "'")
    parts = re.split(r"\(@[a-z]+-[a-z0-9-]+\)|@[a-z]+-[a-z0-9-]+|\[@[^\]]+\]", paragraph)
    return [p.strip() for p in parts if p.strip()]


def _recompute(project: Path, data: Path, study: Path):
    """The study the documents computed, computed again here from the same files."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITP_STATS_ROOT", str(project))
        return R.setup(str(data), study=str(study), n_boot=N_BOOT, export=False)


def _prepare(folder: Path, data: Path, study: Path):
    return prepare_study(data, study=study, gate_result=folder / f"{data.stem}.gate.json",
                         n_boot=N_BOOT)  # fmt: skip


def _expected_direction(row: pd.Series, alpha: float = ALPHA) -> str:
    """R1, computed here: a direction only when p < alpha and the HL interval excludes 0."""
    if not row["p_unc"] < alpha:
        return "similar"
    if row["hl_ci_low"] > 0:
        return "higher"
    if row["hl_ci_high"] < 0:
        return "lower"
    return "similar"


def _primary(study) -> pd.Series:
    return study.results["baseline_positive"].set_index("marker").loc["treg"]


def _auc(study) -> pd.Series:
    return study.results["prediction"].set_index("effect_type").loc["auc"]


# -- module state ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module", autouse=True)
def isolated(tmp_path_factory, monkeypatch_module):
    """A temporary state folder, no study or data from the environment, no study cache."""
    import itp_stats.study.prepare as study_module

    state = tmp_path_factory.mktemp("state")
    monkeypatch_module.setenv("ITP_STATS_ROOT", str(state))
    for name in ("ITP_STATS_STUDY", "ITP_STATS_DATA"):
        monkeypatch_module.delenv(name, raising=False)
    monkeypatch_module.setattr(study_module, "_load_cached", lambda key: None)
    monkeypatch_module.setattr(study_module, "_store_cached", lambda key, study: None)
    return state


@pytest.fixture(scope="module")
def example_data(tmp_path_factory) -> Path:
    return write_example_cohort(tmp_path_factory.mktemp("example_data") / "cohort.csv")


# -- 1. the example study renders from its configuration alone --------------------------------


@pytest.fixture(scope="module")
def example(tmp_path_factory, example_data):
    project = _copy_project(tmp_path_factory.mktemp("example") / "project")
    status, log = _render(project, STUDY, example_data, "--to", "html,pdf,docx")
    assert status == 0, log
    return SimpleNamespace(
        project=project,
        log=log,
        texts=_outputs(project, ("html", "pdf", "docx")),
        study=_recompute(project, example_data, STUDY),
    )


@pytest.mark.slow
def test_example_renders_every_document(example):
    for doc in ("index", "supplement"):
        for ext in ("html", "pdf", "docx"):
            path = example.project / "_output" / "report" / f"{doc}.{ext}"
            assert path.stat().st_size > 10_000, path
            assert f"{doc}.{ext}" in example.log
    assert example.study.config.name == "example-m12"


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["index.html", "index.pdf", "supplement.html", "index.docx"])
def test_example_names_its_groups_markers_and_time_points(example, doc):
    text = example.texts[doc]
    for level, name in GROUP_NAMES.items():
        assert level in text, level
        if doc.startswith("index"):  # the supplement's tables use the codes only
            assert name in text, name
    assert "12 months" in text and "Enrolment" in text
    for label in MARKER_LABELS:
        assert label in text, label
    if doc.startswith("index"):
        assert "Regulatory T cells, % of CD4+ T cells" in text  # a derived percentage


@pytest.mark.slow
def test_example_table_headers_carry_the_group_sizes(example, example_data):
    cohort = pd.read_csv(example_data)  # the group sizes counted in the file itself
    sizes = cohort.loc[cohort["followup_m"] >= 12, "outcome_m12"].value_counts()
    study, text = example.study, example.texts["index.html"]
    assert study.flow["groups"] == {lv: int(sizes[lv]) for lv in LEVELS}
    for level in LEVELS:
        header = f"{level} (n{NNBSP}={NNBSP}{int(sizes[level])})"
        assert header in text, header
        for name in ("table1", "table2"):
            assert header in R.TABLES[name](study)[0].columns, (name, header)
    assert f"Overall (n{NNBSP}={NNBSP}{int(sizes.sum())})" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", list(R.TEXTS))
def test_example_paragraph_is_built_from_the_results(example, name):
    paragraph = R.TEXTS[name](example.study)
    assert paragraph, name
    # abbreviations as report.lua prints them: the summary's methods come first and spell
    # the groups out, every later paragraph abbreviates them
    seen: set[str] = set()
    if name not in ("background", "summary_methods", "groups_named", "supplement"):
        shortened(R.TEXTS["summary_methods"](example.study), seen)
    paragraph = shortened(paragraph, seen)
    doc = "supplement" if name in ("groups_named", "supplement") else "index"  # its opening
    html, pdf = example.texts[f"{doc}.html"], _compact(example.texts[f"{doc}.pdf"])
    for piece in _pieces(paragraph):
        assert piece in html, (name, piece)
        assert _compact(piece) in pdf, (name, piece)


@pytest.mark.slow
def test_example_prints_no_word_of_the_itp_study(example):
    # the whole text: the gate's step table and the Reproducibility section included
    assert len(example.texts) > 20  # documents and result tables
    for where, text in example.texts.items():
        for word in ITP_WORDS:
            found = re.search(word, text)
            assert found is None, (where, text[max(0, found.start() - 80) : found.end() + 80])


@pytest.mark.slow
def test_example_result_tables_hold_its_markers(example):
    tables = example.project / "_output" / "tables"
    study = example.study
    markers = ["wbc", "cd4", "treg", "pct_cd4", "pct_treg"]
    assert list(study.config.markers) == markers
    kruskal = pd.read_csv(tables / "results_baseline_kruskal.csv")
    assert kruskal["marker"].tolist() == markers
    assert kruskal["dv"].tolist() == [f"{m}_w0" for m in markers]
    within = pd.read_csv(tables / "results_change_within.csv")
    assert set(within["marker"]) == set(markers)
    assert set(within["group"]) == set(LEVELS)
    first = pd.read_csv(tables / "table2.csv").iloc[:, 0].tolist()
    assert first == R.TABLES["table2"](study)[0].iloc[:, 0].tolist()
    assert any(label.startswith("Regulatory T cells") for label in first)
    assert (tables / "results.xlsx").stat().st_size > 0


@pytest.mark.slow
def test_example_flow_counts_the_short_follow_up(example, example_data):
    cohort = pd.read_csv(example_data)
    short = int((cohort["followup_m"] < 12).sum())
    assert short > 0 and cohort.loc[cohort["followup_m"] < 12, "outcome_m12"].isna().all()
    study = example.study
    assert study.flow["excluded"] == [("followed for less than 12 months", short)]
    assert study.flow["assessed"] == len(cohort)
    assert study.flow["analysed"] == len(cohort) - short
    text = example.texts["index.html"]
    assert (
        f"{len(cohort) - short} were analysed and {short} excluded "
        f"({short} followed for less than 12 months)"
    ) in text
    assert f"Excluded: {short} followed for less than 12 months." in text


# -- 2. reversed, null and small-group findings in the example study --------------------------


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    made = {
        "reversed": {"treg_effect": 0.5},
        "null": {"treg_effect": 1.0},
        "small": {"sizes": (20, 2, 20)},
    }
    return {
        name: _prepare(folder, write_example_cohort(folder / f"{name}.csv", **kw), STUDY)
        for name, kw in made.items()
    }


@pytest.mark.parametrize(("variant", "finding"), [("reversed", "lower"), ("null", "similar")])
def test_direction_word_is_the_one_the_result_supports(variants, variant, finding):
    study = variants[variant]
    row = _primary(study)
    word = _expected_direction(row)
    assert word == finding  # the cohort holds the finding it was made for
    positive = f"the {GROUP_NAMES['remission']} (remission) group"
    text = spelled_out(T.baseline_text(study))
    if word == "similar":
        assert f"It was similar in {positive} and the other patients" in text
        assert "higher" not in text and "lower" not in text
        assert "was not clearly associated with" in T.conclusion(study)
    else:
        other = {"higher": "lower", "lower": "higher"}[word]
        assert f"It was {word} in {positive} than in the other patients" in text
        assert other not in text
        assert spelled_out(T.conclusion(study)).startswith(
            f"In this cohort, a {word} baseline count of regulatory T cells was associated "
            f"with {GROUP_NAMES['remission']} (remission)"
        )
    verb = "differed" if study.results["baseline_kruskal"].set_index("marker").loc[
        "treg", "p_unc"] < ALPHA else "did not differ"  # fmt: skip
    assert f"The baseline count of regulatory T cells {verb} between" in text


@pytest.mark.parametrize("variant", ["reversed", "null"])
def test_prediction_claimed_only_when_the_auc_interval_lies_above_one_half(variants, variant):
    study = variants[variant]
    auc = _auc(study)
    assert not auc["ci_low"] > 0.5  # neither cohort supports a prediction claim
    for text in (T.prediction_text(study), T.summary_results(study), T.limitations_text(study)):
        assert "predicted" not in text
        assert "cutoff" not in text and "Youden" not in text
    text = T.prediction_text(study)
    label = "baseline count of regulatory T cells"
    if auc["ci_high"] < 0.5:  # reversed: the stated direction (higher) ran the other way
        assert variant == "reversed"
        assert f"The {label} did not predict" in text and "below 0.5" in text
    else:
        assert f"The {label} did not predict" in text and "includes 0.5" in text


@pytest.mark.slow
def test_prediction_claimed_with_its_cutoff_on_the_example(example):
    study = example.study
    auc = _auc(study)
    cut = study.results["prediction"].set_index("effect_type").loc["youden_cutoff"]
    text = T.prediction_text(study)
    assert auc["ci_low"] > 0.5
    assert "The baseline count of regulatory T cells predicted the" in text
    quoted = bool(np.isfinite(cut["effect"]) and cut["ci_low"] <= cut["effect"] <= cut["ci_high"])
    assert ("The cutoff maximising Youden's index was" in text) == quoted


def test_small_group_is_left_out_with_its_n(variants):
    study = variants["small"]
    assert study.flow["groups"] == {"remission": 20, "stable": 2, "progression": 20}
    assert study.small_groups == [("stable", 2)]
    text = T.participants_text(study)
    assert f"{GROUP_NAMES['stable']} (stable, n{NNBSP}={NNBSP}2)" in text
    assert "are left out of the comparisons between groups" in text
    kw = study.results["baseline_kruskal"].set_index("marker").loc["treg"]
    assert np.isfinite(kw["p_unc"])  # remission and progression are still compared
    assert [g.strip() for g in kw["groups_compared"].split(",")] == ["remission", "progression"]
    baseline = T.baseline_text(study)
    assert "between remission and progression (stable left out: fewer than 3 values)" in baseline
    assert "not compared" not in baseline
    mw = _primary(study)
    assert np.isfinite(mw["p_unc"])
    assert f"It was {_expected_direction(mw)} in the" in baseline


# -- 3. dictionary changes flow through ------------------------------------------------------


def _without_cd8_act_dictionary(d):
    del d["markers"]["cd8_act"]
    for tp in ("m0", "m6"):
        del d["columns"][f"cd8_act_{tp}"]


def _without_cd8_act_study(s):
    s["highlight"]["change"] = [m for m in s["highlight"]["change"] if m != "pct_cd8_act"]


@pytest.fixture(scope="module")
def fewer_markers(tmp_path_factory):
    base = tmp_path_factory.mktemp("fewer")
    study = copy_study(base / "study", _without_cd8_act_dictionary, _without_cd8_act_study)
    frame = synthesize(72).drop(columns=["cd8_act_m0", "cd8_act_m6"])
    data = write_cohort(frame, base / "cohort.csv", seed=None)
    project = _copy_project(base / "project")
    status, log = _render(project, study, data, "--to", "html,pdf")
    assert status == 0, log
    return SimpleNamespace(texts=_outputs(project, ("html", "pdf")), config=load_study(study))


@pytest.mark.slow
def test_marker_removed_from_the_dictionary_leaves_every_output(fewer_markers):
    config = fewer_markers.config
    assert "cd8_act" not in config.markers and "pct_cd8_act" not in config.markers
    assert len(config.family) == 11
    for where, text in fewer_markers.texts.items():
        for word in ("activated CD8", "CD8+HLA-DR+", "cd8_act"):
            assert word.lower() not in text.lower(), (where, word)
    html = fewer_markers.texts["index.html"]
    pdf = _compact(fewer_markers.texts["index.pdf"])
    phrase = "family of 11 marker variables"
    assert phrase in html and _compact(phrase) in pdf, phrase
    # the method as computed: in the supplement's computational notes
    assert "family of 11 tests" in fewer_markers.texts["supplement.html"]
    assert "CD8+ T cells" in html and "CD8+ T cells, % of total lymphocytes" in html


def _with_treg_dictionary(d):
    d["markers"]["treg"] = {"label": "Regulatory T cells", "parent": "cd4"}
    for tp, when in (("m0", "rituximab start"), ("m6", "6 months")):
        spec = dict(d["columns"][f"cd4_{tp}"])
        spec.update(label=f"Regulatory T cells at {when}", marker="treg", parent=f"cd4_{tp}")
        d["columns"][f"treg_{tp}"] = spec


@pytest.fixture(scope="module")
def more_markers(tmp_path_factory):
    base = tmp_path_factory.mktemp("more")
    study = copy_study(base / "study", _with_treg_dictionary)
    frame = synthesize(72)
    rng = np.random.default_rng(5)
    for tp in ("m0", "m6"):
        cd4 = frame[f"cd4_{tp}"].astype("Float64")
        treg = np.floor(cd4.to_numpy(float, na_value=np.nan) * rng.uniform(0.03, 0.1, len(cd4)))
        frame[f"treg_{tp}"] = pd.array([None if np.isnan(v) else int(v) for v in treg],
                                       dtype="Int64")  # fmt: skip
    assert (frame["treg_m0"] <= frame["cd4_m0"]).dropna().all()
    data = write_cohort(frame, base / "cohort.csv")
    return _prepare(base, data, study)


def test_marker_added_to_the_dictionary_is_analysed(more_markers):
    study = more_markers
    assert {"treg", "pct_treg"} <= set(study.config.markers)
    assert len(study.config.markers) == len(study.config.family) == 15
    assert "family of 15 marker variables" in T.family_methods(study)
    assert "Regulatory T cells as a percentage of CD4+ T cells" in T.markers_methods(study)
    assert "The analysis covers 8 markers" in T.markers_methods(study)
    table, _ = table2(study)
    assert len(table) == 15
    labels = table.iloc[:, 0].tolist()
    assert "Regulatory T cells, cells/µL" in labels
    assert "Regulatory T cells, % of CD4+ T cells" in labels


@pytest.fixture(scope="module")
def twelve_months(tmp_path_factory):
    base = tmp_path_factory.mktemp("twelve")
    study = copy_study(base / "study", twelve_month_dictionary, twelve_month_study)
    shipped = write_cohort(synthesize(72), base / "shipped.csv")
    cells = pd.read_csv(shipped, dtype=str, keep_default_na=False)  # a plain CSV
    data = base / "cohort12.csv"
    twelve_month_cells(cells).to_csv(data, index=False, lineterminator="\n")
    status, log = _cli("validate", str(data), "--study", str(study))
    return SimpleNamespace(status=status, log=log, study=_prepare(base, data, study))


def test_twelve_month_version_validates_and_says_12_months(twelve_months):
    assert twelve_months.status == 0, twelve_months.log
    study = twelve_months.study
    summary = " ".join([T.summary_methods(study), T.summary_results(study), T.conclusion(study)])
    assert "grouped at 12 months into" in summary and "At 12 months:" in summary
    for name, build in R.TEXTS.items():
        assert "6 months" not in build(study), name
    assert "6 months" not in summary


# -- 4. a bad configuration is refused before any work ----------------------------------------


def _unknown_marker(s):
    s["highlight"]["baseline"] = ["foxp3"]


def _positive_not_a_level(s):
    s["group"]["positive"] = "cured"


BAD = {"highlight.baseline": _unknown_marker, "group.positive": _positive_not_a_level}


def _bad_study(folder: Path, key: str) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(STUDY_DIR / "dictionary.yaml", folder / "dictionary.yaml")
    raw = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    BAD[key](raw)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _refused(status: int, log: str, study: Path, key: str) -> None:
    lines = log.strip().splitlines()
    assert status == 2, log
    assert len(lines) == 1, log
    assert str(study) in lines[0] and f"{key}:" in lines[0], log
    assert "Traceback" not in log


@pytest.mark.parametrize("key", list(BAD))
def test_validate_refuses_a_bad_study(tmp_path, example_data, key):
    study = _bad_study(tmp_path / "bad", key)
    result = tmp_path / "result.json"
    status, log = _cli("validate", str(example_data), "--study", str(study), "--json", str(result))
    _refused(status, log, study, key)
    assert not result.exists()


@pytest.mark.slow
@pytest.mark.parametrize("key", list(BAD))
def test_render_refuses_a_bad_study(tmp_path, example_data, key):
    study = _bad_study(tmp_path / "bad", key)
    project = _copy_project(tmp_path / "project")
    out = tmp_path / "out"
    status, log = _render(project, study, example_data, "--to", "html", "--output-dir", str(out))
    _refused(status, log, study, key)
    assert not out.exists() or not any(out.rglob("*"))
    assert not (project / "_output").exists()
    assert not (project / ".itp-stats" / "gate.json").exists()  # not even the gate ran


def test_example_cohort_shape():
    """The generator makes what the tests above rely on (quick, no gate)."""
    frame = example_cohort(sizes=(20, 2, 20))
    assert frame["outcome_m12"].value_counts().to_dict() == {"remission": 20, "progression": 20,
                                                             "stable": 2}  # fmt: skip
    assert (frame["treg_w0"] <= frame["cd4_w0"]).all()
    assert (frame["cd4_w0"] <= frame["wbc_w0"]).all()


@pytest.mark.slow
def test_reproducibility_lists_the_packages_that_computed_the_report(example):
    """Every package in the Reproducibility table computed or drew something (and was
    imported to do so); the statistics packages the study used are all listed; packages
    that only sit in the environment are not."""
    import sys

    from itp_stats.provenance import version

    text = example.texts["index.html"]
    section = text[text.rindex("Reproducibility") :]
    listed = {
        name
        for name in ("pingouin", "scipy", "pandas", "matplotlib", "great-expectations",
                     "statsmodels", "scikit-learn", "nbclient", "typst", "pypandoc-binary")
        if re.search(rf"\b{name}\s+{re.escape(version(name))}", section)
    }  # fmt: skip
    assert listed == {
        "pingouin", "scipy", "pandas", "matplotlib", "great-expectations", "statsmodels",
    }  # fmt: skip
    assert "Kruskal–Wallis H and p" in section and "the figures" in section
    assert "the calibration smoother (lowess)" in section
    # the reverse: what the study step recorded is what it imported and used
    assert set(example.study.packages) == {"pingouin", "scipy", "pandas", "statsmodels"}
    for module in ("pingouin", "scipy", "pandas", "statsmodels"):
        assert module in sys.modules


# -- 5. labels are the user's text: shown literally in every format --------------------------

HOSTILE = "[x](javascript:alert(2)) <b>RAW</b> #text(fill: red)[X]"
"""Markdown link, raw HTML and raw Typst in one label: each must print as it is written."""


def _hostile_dictionary(d):
    for i, marker in enumerate(d["markers"].values()):
        marker["label"] = f"{marker['label']} {i} {HOSTILE}"
    for code in list(d["timepoints"]):
        d["timepoints"][code] = f"{d['timepoints'][code]} {HOSTILE}"
    for column in d["columns"].values():
        if column.get("role") in ("covariate", "group", "outcome", "marker"):
            column["label"] = f"{column['label']} {HOSTILE}"
        if column.get("unit"):
            column["unit"] = f"{column['unit']} {HOSTILE}"
        if column.get("type") == "category" and column.get("categories"):
            column["labels"] = {str(c): f"{c} {HOSTILE}" for c in column["categories"]}


def _hostile_study(s):
    s["title"] = f"A study {HOSTILE}"
    s["running_title"] = f"Running {HOSTILE}"
    s["keywords"] = [f"keyword {HOSTILE}"]
    s["authors"] = [{"name": f"Author {HOSTILE}", "affiliations": [f"Place {HOSTILE}"]}]
    levels = s["group"]["levels"]
    s["group"]["names"] = {lv: f"{lv} {HOSTILE}" for lv in levels}


def _hostile_copy(folder: Path, source: Path) -> Path:
    """Copy the study ``source`` and its dictionary into ``folder``, every label hostile."""
    folder.mkdir(parents=True)
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    dictionary = yaml.safe_load((source.parent / raw["dictionary"]).read_text(encoding="utf-8"))
    _hostile_dictionary(dictionary)
    _hostile_study(raw)
    raw["dictionary"] = "dictionary.yaml"
    for name, body in (("dictionary.yaml", dictionary), ("study.yaml", raw)):
        (folder / name).write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return folder / "study.yaml"


@pytest.fixture(scope="module", params=["example", "shipped"])
def hostile(request, tmp_path_factory, example_data, monkeypatch_module):
    import itp_stats.render.builtin as builtin

    base = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "example":
        study, data = _hostile_copy(base / "study", STUDY), example_data
    else:  # the ITP study: the groups derived by a rule (the group-definition sentence)
        study = _hostile_copy(base / "study", Path(R.__file__).parents[2] / "data" / "study.yaml")
        data = write_cohort(synthesize(72), base / "cohort.csv")
    sources = base / "typst"
    sources.mkdir()
    compile_pdf = builtin.compile_pdf

    def keep_source(source, output, root):  # the Typst source each PDF is compiled from
        shutil.copy(source, sources / Path(output).with_suffix(".typ").name)
        return compile_pdf(source, output, root)

    monkeypatch_module.setattr(builtin, "compile_pdf", keep_source)
    project = _copy_project(base / "project")
    status, log = _render(project, study, data, "--to", "html,pdf,docx")
    monkeypatch_module.setattr(builtin, "compile_pdf", compile_pdf)
    assert status == 0, log
    return SimpleNamespace(project=project, sources=sources)


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["index", "supplement"])
def test_hostile_labels_stay_text_in_html(hostile, doc):
    path = hostile.project / "_output" / "report" / f"{doc}.html"
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"(?i)href\s*=\s*[\"']?\s*javascript:", page)
    assert "<b>RAW</b>" not in page and "<b>RAW" not in page
    assert re.search(r"(?i)<span[^>]*color:\s*red", page) is None
    text = _html_text(path)
    assert HOSTILE in text  # shown as written: the link, the tag and the Typst call


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["index", "supplement"])
def test_hostile_labels_stay_text_in_typst_and_pdf(hostile, doc):
    source = (hostile.sources / f"{doc}.typ").read_text(encoding="utf-8")
    assert "javascript" in source and "fill: red" in source  # the labels are there
    # pandoc escapes the text it is given; a label interpreted as Typst would be unescaped
    # (outside string literals, which Typst shows as they are: the running title's)
    markup = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', source)
    assert not re.search(r"(?<!\\)#text\(fill: red\)", markup)
    assert not re.search(r'(?<!\\)#link\("javascript', source)
    pdf = hostile.project / "_output" / "report" / f"{doc}.pdf"
    assert _compact(HOSTILE) in _compact(_pdf_text(pdf))  # the running title's too
    import pypdf

    reader = pypdf.PdfReader(pdf)
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert "javascript" not in str(action.get("/URI", "")).lower()


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["index", "supplement"])
def test_hostile_labels_stay_text_in_docx(hostile, doc):
    import zipfile

    path = hostile.project / "_output" / "report" / f"{doc}.docx"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        rels = {n: archive.read(n).decode("utf-8") for n in names if n.endswith(".rels")}
        body = archive.read("word/document.xml").decode("utf-8")
    for name, xml in rels.items():
        assert "javascript" not in xml.lower(), name  # no link target
    assert "<w:hyperlink" not in body or not re.search(r"<w:hyperlink[^>]*javascript", body)
    assert HOSTILE in _docx_text(path)
