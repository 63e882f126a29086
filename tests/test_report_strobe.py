"""The STROBE checklist from a computed study: 22 items, each reported in a named section
with a phrase computed from the results, or left to the authors."""

from __future__ import annotations

import pytest
from example_study import STUDY, write_example_cohort

from itp_stats.report.strobe import AUTHORS, CHECKLIST_COLUMNS, ITEMS, checklist
from itp_stats.study.prepare import prepare_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("strobe")
    data = write_example_cohort(folder / "cohort.csv")
    return prepare_study(data, study=STUDY, gate_result=folder / "gate.json", n_boot=200)


def test_the_22_items_of_the_cohort_checklist():
    assert [n for n, _, _ in ITEMS] == [str(i) for i in range(1, 23)]
    assert len({topic for _, topic, _ in ITEMS}) == 21  # "Participants" is items 6 and 13


def test_every_item_is_reported_or_left_to_the_authors(study):
    table = checklist(study)
    assert list(table.columns) == CHECKLIST_COLUMNS
    assert list(dict.fromkeys(table["item"])) == [str(i) for i in range(1, 23)]
    authors = table[table["status"] == AUTHORS]
    assert set(authors["item"]) == {"1", "2", "3", "18", "20", "21", "22"}
    assert (authors[["document", "section", "evidence"]] == "").all().all()
    filled = table[table["status"] != AUTHORS]
    assert set(filled["document"]) <= {"index", "supplement"}
    assert filled["section"].str.len().gt(0).all() and filled["evidence"].str.len().gt(0).all()


def test_phrases_are_computed_from_the_study(study):
    table = checklist(study).set_index("item")
    flow = study.flow
    assert f"{flow['analysed']} were analysed" in table.loc["10", "evidence"]
    assert f"The file held {flow['assessed']} patients" in table.loc["13", "evidence"].tolist()
    assert table.loc["15", "evidence"] == "At 12 months:"
    assert table.loc["16", "evidence"].tolist()[0] == "95% CI"
    assert "Results › Change from baseline to follow-up" in table.loc["17", "section"].tolist()


def test_a_study_of_one_time_point_points_at_no_change_section(tmp_path):
    liver = STUDY.parents[1] / "study_liver"
    study = prepare_study(
        liver / "cohort_baseline.csv", study=liver / "study_baseline.yaml",
        gate_result=tmp_path / "gate.json", n_boot=200,
    )  # fmt: skip
    table = checklist(study)
    assert not table["section"].str.contains("Change").any()
    assert list(dict.fromkeys(table["item"])) == [str(i) for i in range(1, 23)]
