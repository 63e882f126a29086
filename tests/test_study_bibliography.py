"""The study's own references and its background's citations (itp_stats.study.bibliography)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from itp_stats.config import REFERENCES
from itp_stats.errors import StudyConfigError
from itp_stats.study.bibliography import (
    bibliography_keys,
    check_citations,
    citation_keys,
    csl_items,
    resolve_bibliography,
)

ROOT = Path(__file__).resolve().parents[1]
LIVER = ROOT / "tests" / "fixtures" / "study_liver"
CSL = [
    {
        "id": "doe2020",
        "type": "article-journal",
        "title": "An example",
        "author": [{"family": "Doe", "given": "J."}],
        "container-title": "J Examples",
        "issued": {"date-parts": [[2020]]},
    }
]


def test_citation_keys_in_order_without_cross_references_or_addresses():
    text = (
        "Known [@riviere2023; @doe2020, p. 3] and @doe2020 again, [-@smith:2019.a]; see "
        "@fig-flow and @tbl-baseline; write to someone@example.org."
    )
    assert citation_keys(text) == ["riviere2023", "doe2020", "smith:2019.a"]


def test_bibliography_keys_of_bibtex_and_csl_json(tmp_path):
    assert {"riviere2023", "rodeghiero2009"} <= bibliography_keys(REFERENCES)
    assert bibliography_keys(LIVER / "references.bib") == {"kamath2001"}
    bib = tmp_path / "refs.bib"
    bib.write_text('@string{j = "J"}\n@comment{x,}\n@Book{ key-1 ,\n title={T}}\n')
    assert bibliography_keys(bib) == {"key-1"}
    own = tmp_path / "refs.json"
    own.write_text(json.dumps(CSL), encoding="utf-8")
    assert bibliography_keys(own) == {"doe2020"}


def test_a_key_in_neither_bibliography_is_refused_with_the_key_and_files(tmp_path):
    study = tmp_path / "study.yaml"
    own = tmp_path / "refs.json"
    own.write_text(json.dumps(CSL), encoding="utf-8")
    check_citations(study, "[@riviere2023] and [@doe2020]", REFERENCES, own)  # both found
    with pytest.raises(StudyConfigError) as err:
        check_citations(study, "[@doe2020; @nobody1999]", REFERENCES, own)
    assert str(err.value) == (
        f"{study}: background: [@nobody1999] is in neither {REFERENCES} nor {own}"
    )
    with pytest.raises(StudyConfigError, match=r"\[@doe2020\] is not in .*references\.bib, "
                       r"and the study gives no bibliography \(bibliography: FILE\)"):  # fmt: skip
        check_citations(study, "As shown [@doe2020].", REFERENCES, None)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (3, "bibliography: expected a file name"),
        (
            "refs.txt",
            r"bibliography: refs\.txt: use a BibTeX \(\.bib\) or CSL-JSON \(\.json\) file",
        ),
        ("missing.bib", r"bibliography: .*missing\.bib does not exist"),
    ],
)
def test_the_bibliography_key_is_checked(tmp_path, raw, message):
    (tmp_path / "refs.txt").write_text("x", encoding="utf-8")
    with pytest.raises(StudyConfigError, match=message):
        resolve_bibliography(tmp_path / "study.yaml", raw)


def test_bibliography_is_relative_to_the_study_file(tmp_path):
    shutil.copy(LIVER / "references.bib", tmp_path / "refs.bib")
    assert resolve_bibliography(tmp_path / "study.yaml", "refs.bib") == tmp_path / "refs.bib"
    assert resolve_bibliography(tmp_path / "study.yaml", None) is None


def test_csl_items_of_csl_json_as_they_are_and_of_bibtex_by_pandoc(tmp_path):
    own = tmp_path / "refs.json"
    own.write_text(json.dumps(CSL), encoding="utf-8")
    assert csl_items(own) == CSL
    (item,) = csl_items(LIVER / "references.bib")
    assert item["id"] == "kamath2001" and item["container-title"] == "Hepatology"
    assert item["title"].startswith("A model to predict survival")
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x"}', encoding="utf-8")
    with pytest.raises(StudyConfigError, match=r"broken\.json: not CSL-JSON \(expected a list"):
        csl_items(broken)


def test_an_unknown_citation_ends_the_validate_command_without_traceback(tmp_path):
    for name in ("study.yaml", "dictionary.yaml"):
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    study = tmp_path / "study.yaml"
    text = study.read_text(encoding="utf-8").replace("[@riviere2023]", "[@nobody1999]")
    study.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "itp_stats", "metadata", "--study", str(study), "--out",
         str(tmp_path / "m.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert re.search(r"study\.yaml: background: \[@nobody1999\] is not in .*references\.bib",
                     proc.stderr)  # fmt: skip
