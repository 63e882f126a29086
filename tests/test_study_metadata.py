"""The documents' front matter from the study configuration (itp_stats.study.metadata)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from itp_stats.errors import StudyConfigError
from itp_stats.study.config import load_study
from itp_stats.study.metadata import document_metadata, write_metadata

ROOT = Path(__file__).resolve().parents[1]


def _study(tmp_path: Path, extra: str) -> Path:
    for name in ("study.yaml", "dictionary.yaml"):
        shutil.copy(ROOT / "data" / name, tmp_path / name)
    path = tmp_path / "study.yaml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def test_shipped_study_gives_title_keywords_running_title_and_no_author():
    meta = document_metadata(load_study(ROOT / "data" / "study.yaml"))
    assert meta["title"].startswith("Circulating lymphocyte subsets")
    assert "rituximab" in meta["keywords"]
    assert meta["itp-running-title"]
    assert "author" not in meta  # a synthetic cohort has no authors: no by-line


def test_authors_as_names_or_with_affiliations(tmp_path):
    path = _study(
        tmp_path,
        "authors:\n  - A. Author\n  - name: B. Author\n    affiliations: [Hospital X, Lab Y]\n",
    )
    meta = document_metadata(load_study(path))
    assert meta["author"] == [
        {"name": "A. Author"},
        {"name": "B. Author", "affiliations": ["Hospital X", "Lab Y"]},
    ]


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("authors: A. Author\n", "authors"),
        ("authors:\n  - {affiliations: [X]}\n", "authors[0]"),
        ("authors:\n  - {name: A, affiliations: 3}\n", "authors[0].affiliations"),
        ("keywords: one, two\n", "keywords"),
    ],
)
def test_malformed_front_matter_keys_are_refused_by_name(tmp_path, extra, key):
    import re

    with pytest.raises(StudyConfigError, match=re.escape(f"study.yaml: {key}")):
        load_study(_study(tmp_path, extra))


def test_metadata_file_is_yaml_the_built_in_engine_merges(tmp_path):
    """Written atomically, read back as the project's metadata-files are (render.project)."""
    from itp_stats.render.project import load_project

    out = write_metadata(load_study(ROOT / "data" / "study.yaml"), tmp_path / "meta.yml")
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["title"].startswith("Circulating")
    (tmp_path / "_quarto.yml").write_text(
        "project:\n  type: default\ntitle: Project title\n"
        "metadata-files: [meta.yml, missing.yml]\n",
        encoding="utf-8",
    )
    meta = load_project(tmp_path).base_metadata()
    assert meta["title"].startswith("Circulating")  # the file wins over _quarto.yml
    assert "metadata-files" not in meta


def test_metadata_command_exits_2_naming_the_key(tmp_path):
    path = _study(tmp_path, "keywords: one\n")
    proc = subprocess.run(
        [sys.executable, "-m", "itp_stats", "metadata", "--study", str(path), "--out",
         str(tmp_path / "m.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and "keywords" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "m.yml").exists()


def test_the_study_bibliography_is_written_as_references_for_both_engines(tmp_path):
    """The liver example's own reference, as a CSL item the project's metadata carries."""
    from itp_stats.render.project import load_project

    config = load_study(ROOT / "tests" / "fixtures" / "study_liver" / "study_two.yaml")
    out = write_metadata(config, tmp_path / "meta.yml")
    (item,) = yaml.safe_load(out.read_text(encoding="utf-8"))["references"]
    assert item["id"] == "kamath2001" and item["issued"] == {"date-parts": [[2001]]}
    (tmp_path / "_quarto.yml").write_text(
        "project:\n  type: default\nbibliography: refs.bib\nmetadata-files: [meta.yml]\n",
        encoding="utf-8",
    )
    meta = load_project(tmp_path).base_metadata()
    assert meta["references"][0]["id"] == "kamath2001"
    assert meta["bibliography"] == str(tmp_path / "refs.bib")  # the project's, kept
    assert "references" not in document_metadata(load_study(ROOT / "data" / "study.yaml"))
