"""Methods in a reader's words: names, references, variants and the marks of table rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from itp_stats import report as R
from itp_stats.report import methods as M
from itp_stats.report import tables as T

ROOT = Path(__file__).resolve().parents[1]
MW_EXACT = "Wilcoxon rank-sum (Mann–Whitney), exact"
MW_NORMAL = (
    "Wilcoxon rank-sum (Mann–Whitney), normal approximation with tie correction and "
    "continuity correction"
)
HL_EXACT = "Hodges–Lehmann shift (median of the pairwise differences), exact CI (Bauer 1972)"
IMPLEMENTATION_WORDS = ("uniroot", "SE under H0", "Fisher-z CI", "direction '", "; no CI")


def _bib_keys() -> set[str]:
    text = (ROOT / "report" / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\{([^,]+),", text, flags=re.M))


@pytest.fixture(scope="module")
def study(tmp_path_factory, cohort_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ITP_STATS_ROOT", str(tmp_path_factory.mktemp("state")))
        yield R.setup(str(cohort_path), n_boot=200, export=False)


def test_every_reference_of_a_method_is_in_the_bibliography():
    keys = _bib_keys()
    cited = {k for _, _, refs in M.NAMES for k in refs}
    cited |= set(M.method_citations(HL_EXACT)) | set(M.method_citations("percentile bootstrap"))
    assert cited <= keys, cited - keys


def test_names_and_variants_of_method_strings():
    assert M.method_name(MW_NORMAL) == "the Mann–Whitney test"
    assert M.method_variant(MW_EXACT) == "exact p"
    assert M.method_variant(MW_NORMAL) == "normal approximation with tie and continuity corrections"
    assert M.method_variant(HL_EXACT) == "exact interval"  # not an "exact p"
    assert M.method_citations(HL_EXACT) == ("hodges1963", "bauer1972")
    fisher = "Fisher's exact test, exact (full enumeration) (an expected count < 5)"
    assert M.method_variant(fisher) == "an expected count < 5"  # not "exact p" again
    assert M.method_name("Some new test, exact") == "Some new test"  # unnamed: kept as it is


def test_variant_marks_tell_the_rows_apart():
    marks, note = M.variant_marks([MW_EXACT, MW_NORMAL, MW_EXACT, "not computed: n < 3"])
    assert marks == {MW_EXACT: "¹", MW_NORMAL: "²"}
    assert note == "¹ exact p; ² normal approximation with tie and continuity corrections"
    marks, note = M.variant_marks([MW_EXACT, MW_EXACT])
    assert marks == {} and note == "exact p"  # one variant: said once, no marks


def test_methods_section_cites_every_work_and_speaks_plainly(study):
    text = R.statistical_methods(study)
    keys = set(re.findall(r"@([A-Za-z0-9_]+)", text)) - {"tbl"}
    keys = {k for k in keys if not k.startswith(("tbl-", "fig-"))}
    assert keys and keys <= _bib_keys(), keys - _bib_keys()
    for word in IMPLEMENTATION_WORDS:
        assert word not in text, word
    assert "\n\n" in text  # one paragraph per analysis
    # every cited work of the report's prose is in the list, the family sentence included
    family = R.text(study, "family").data
    assert "[@benjamini1995]" in family
    for name in ("index", "supplement"):
        qmd = (ROOT / "report" / f"{name}.qmd").read_text(encoding="utf-8")
        assert set(re.findall(r"\[@([A-Za-z0-9_]+)", qmd)) <= _bib_keys()


def test_table_marks_match_the_methods_of_their_rows(study):
    table, note = T.table2(study)
    mw = study.results["baseline_positive"]
    marks, _ = M.variant_marks(mw["method"])
    cells = table["Mann–Whitney p (q)"].tolist()
    for cell, method in zip(cells, mw["method"], strict=True):
        assert cell.endswith(marks.get(method, "")) if marks else True
    if marks:
        assert all(mark in note for mark in marks.values())
    for word in IMPLEMENTATION_WORDS:
        assert word not in note
    # the complete strings are kept for the supplement
    notes = R.computational_notes(study)
    assert "uniroot" in notes or "exact CI" in notes


def test_missing_values_by_group_are_said_with_their_test(study):
    """The shipped cohort: 5 NR patients have no baseline marker, none in CR or PR."""
    table = study.results["missing_markers"]
    base = table[table["timepoint"] == study.config.baseline].set_index("group")
    assert base["n_missing_all"].to_dict() == {"CR": 0, "PR": 0, "NR": 5}
    assert (base["n_missing_any"] >= base["n_missing_all"]).all()
    text = R.text(study, "missing").data
    assert "5 patients had no marker value (0 of 25 CR, 0 of 15 PR and 5 of 30 NR)" in text
    p = base["p_unc"].iloc[0]  # Fisher's exact test, checked against R in test_contingency
    at_baseline = text.split(". ")[0]
    assert ("may be biased" in at_baseline) == (p < 0.05)
    assert ("did not differ detectably" in at_baseline) == (p >= 0.05)
    assert "Fisher's exact test" in text
