"""The statistical analysis plan: built from the study configuration and dictionary alone,
with a digest that follows them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import copy_study
from example_study import STUDY as EXAMPLE_STUDY

from itp_stats.render.cli import document_parameters
from itp_stats.report.sap import (
    PLAN_COLUMNS,
    PLANNED_PARAMETERS,
    analysis_plan,
    plan_document,
    plan_record,
    plan_sha256,
    sentence_rules,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "study.yaml"
SECTIONS = [
    "Population", "Groups", "Endpoints", "Markers", "Tests", "Effect sizes and intervals",
    "Multiplicity", "Missing data and small groups", "Sentence rules", "Parameters",
]  # fmt: skip


@pytest.mark.parametrize("document", ["index.qmd", "supplement.qmd"])
def test_planned_parameters_are_the_documents_defaults(document):
    declared = document_parameters([ROOT / "report" / document])
    assert {k: declared[k] for k in PLANNED_PARAMETERS} == PLANNED_PARAMETERS


def test_plan_has_every_section_in_order():
    plan = analysis_plan(SHIPPED)
    assert list(plan.columns) == PLAN_COLUMNS
    assert list(dict.fromkeys(plan["section"])) == SECTIONS
    assert plan["plan"].str.len().gt(10).all()
    text = " ".join(plan["plan"])
    phrases = (
        "Kruskal–Wallis", "Dunn", "Jonckheere–Terpstra", "Wilcoxon signed-rank",
        "Benjamini–Hochberg", "Fisher's exact", "ROC curve", "95% confidence interval",
        "Random seed 20230601", "alpha = 0.05", "adjusted within each marker by Holm",
    )  # fmt: skip
    for phrase in phrases:
        assert phrase in text, phrase
    assert re.search(r"2\D?000 bootstrap resamples", text)
    tests = plan[plan["section"] == "Tests"].set_index("item")["plan"]
    assert tests["Sensitivity analysis"].startswith("Mann–Whitney test of CR + PR against")


def test_plan_reads_no_cohort(tmp_path, monkeypatch):
    """The study folder holds no cohort, and loading one would fail the test."""
    import itp_stats.cohort.load as load

    def refuse(*args, **kwargs):
        raise AssertionError("the plan read a cohort")

    for name in dir(load):
        if name.startswith("load") and callable(getattr(load, name)):
            monkeypatch.setattr(load, name, refuse)
    study = copy_study(tmp_path / "study")
    assert not list(study.parent.glob("*.csv"))
    assert len(plan_sha256(study)) == 64
    assert "# Population" in plan_document(study)


def test_parameters_follow_the_given_values():
    plan = analysis_plan(SHIPPED, {"alpha": 0.01, "n_boot": 500})
    text = " ".join(plan["plan"])
    assert "alpha = 0.01" in text and "99% confidence interval" in text
    assert re.search(r"500 bootstrap resamples", text)


def test_digest_follows_the_configuration_and_the_parameters(tmp_path):
    (tmp_path / "same").mkdir()
    for name in ("study.yaml", "dictionary.yaml"):
        shutil.copy(ROOT / "data" / name, tmp_path / "same" / name)
    assert plan_sha256(tmp_path / "same" / "study.yaml") == plan_sha256(SHIPPED)  # same bytes
    edited = copy_study(tmp_path / "edited", None, lambda s: s.update(family=["nk", "cd8"]))
    assert plan_sha256(edited) != plan_sha256(SHIPPED)
    assert plan_sha256(SHIPPED, {"alpha": 0.01}) != plan_sha256(SHIPPED)
    record = plan_record(SHIPPED)
    assert record["parameters"] == PLANNED_PARAMETERS
    assert record["study"]["file"] == "study.yaml" and len(record["rows"]) > 20


def test_document_prints_the_full_digest_and_a_heading_per_section():
    text = plan_document(SHIPPED)
    assert f"`{plan_sha256(SHIPPED)}`" in text
    assert re.findall(r"(?m)^# (.+)$", text) == SECTIONS


def test_sentence_rules_are_those_of_the_sentences_module():
    rules = sentence_rules()
    assert [code for code, _ in rules] == [f"R{i}" for i in range(1, 10)]
    assert all(":func:" not in text and text for _, text in rules)


def test_another_study_gets_its_own_words():
    text = plan_document(EXAMPLE_STUDY)
    assert "regulatory T cells" in text.lower() or "Regulatory T cells" in text
    for word in (r"\bCR\b", r"\bNK\b", r"(?i)rituximab", r"\bIWG\b", r"(?i)platelet"):
        assert not re.search(word, text), word


def test_a_study_of_one_time_point_plans_nothing_about_follow_up():
    text = plan_document(ROOT / "tests" / "fixtures" / "study_liver" / "study_baseline.yaml")
    assert "follow" not in text.lower() and "**Change.**" not in text and "**R5.**" not in text


def test_the_time_to_event_endpoints_are_planned_in_the_present_tense():
    text = plan_document(ROOT / "data" / "study.yaml")
    item = text[text.index("**Time to event.**") :].split("\n")[0]
    for title in ("duration of response", "time to next treatment"):
        assert title in item
    assert "Survival is estimated by Kaplan–Meier" in item and "groups are compared" in item
    assert " was " not in item and " were " not in item
    liver = plan_document(ROOT / "tests" / "fixtures" / "study_liver" / "study.yaml")
    assert "**Time to event.**" not in liver  # a study without endpoints plans none
