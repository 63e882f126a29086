"""Checklist pointers against a PDF: the page a phrase is printed on inside its section, and
a refusal naming the item when the section or the phrase is missing (a small Typst PDF)."""

from __future__ import annotations

import pandas as pd
import pytest
import typst

from itp_stats.bundle.checklist import (
    ChecklistError,
    checklist_files,
    checklist_table,
    locate_pages,
    pdf_sections,
)
from itp_stats.report.strobe import AUTHORS, CHECKLIST_COLUMNS

SOURCE = """
#set heading(numbering: none)
= Summary
The cohort was followed from 2001 to 2009.
= Methods
== Cohort
One row per patient.
#pagebreak()
Still the cohort: exclusions are listed.
== Groups
The groups are three.
= Results
Seventy were analysed.
"""


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    (folder / "doc.typ").write_text(SOURCE, encoding="utf-8")
    typst.compile(str(folder / "doc.typ"), output=str(folder / "doc.pdf"))
    return folder / "doc.pdf"


def _rows(*places):
    rows = [{"item": "1", "topic": "Title", "recommendation": "r", "status": AUTHORS,
             "document": "", "section": "", "evidence": "", "table": ""}]  # fmt: skip
    for i, (section, evidence) in enumerate(places, start=2):
        rows.append({"item": str(i), "topic": f"T{i}", "recommendation": "r",
                     "status": "reported", "document": "index", "section": section,
                     "evidence": evidence, "table": ""})  # fmt: skip
    return pd.DataFrame(rows, columns=CHECKLIST_COLUMNS)


def test_outline_gives_every_heading_with_its_page(pdf):
    import pypdf

    sections = pdf_sections(pypdf.PdfReader(pdf))
    assert sections == [
        (("Summary",), 0), (("Methods",), 0), (("Methods", "Cohort"), 0),
        (("Methods", "Groups"), 1), (("Results",), 1),
    ]  # fmt: skip


def test_each_phrase_gets_the_page_it_is_printed_on(pdf):
    located = locate_pages(
        _rows(
            ("Summary", "from 2001 to 2009"),
            ("Methods › Cohort", "One row per patient"),
            ("Methods › Cohort", "exclusions are listed"),
            ("Methods › Groups", "groups are three"),
        ),
        {"index": pdf},
    )
    assert located["page"].tolist() == ["", "1", "1", "2", "2"]
    table = checklist_table(located)
    assert table["Reported in"].tolist()[0] == AUTHORS
    assert table["Reported in"].tolist()[2] == "Report › Methods › Cohort (PDF p. 1)"


@pytest.mark.parametrize(
    ("section", "evidence", "message"),
    [
        ("Methods › Design", "One row", r"item 2 \(T2\): index\.pdf has no section 'Methods › D"),
        ("Methods › Groups", "One row per patient", "does not say 'One row per patient'"),
        ("Summary", "One row per patient", "does not say"),  # the next section, same page
    ],
)
def test_a_pointer_the_pdf_does_not_bear_out_is_refused(pdf, section, evidence, message):
    with pytest.raises(ChecklistError, match=message):
        locate_pages(_rows((section, evidence)), {"index": pdf})


def test_files_are_a_csv_and_a_word_document(pdf):
    located = locate_pages(_rows(("Results", "Seventy")), {"index": pdf})
    files = checklist_files(located, "A title")
    csv = files["checklist/strobe.csv"].decode("utf-8").splitlines()
    assert csv[0] == "Item,Topic,Recommendation,Reported in"
    assert csv[2].endswith("Report › Results (PDF p. 2)")
    assert files["checklist/strobe.docx"][:2] == b"PK"
