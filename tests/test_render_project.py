"""Reading _quarto.yml: inputs, formats, metadata merging, paths, output layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from render_support import FIXTURE, ROOT

from itp_stats.render.errors import ProjectError
from itp_stats.render.project import (
    deep_merge,
    find_project_root,
    load_project,
    normalise_formats,
    yaml_safe,
)


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "_quarto.yml").write_text(config, encoding="utf-8")
    return tmp_path


def test_the_report_project_renders_both_documents_in_three_formats():
    project = load_project(ROOT)
    assert project.options["render"] == ["report/index.qmd", "report/supplement.qmd"]
    assert list(project.formats) == ["html", "typst", "docx"]
    assert project.formats["html"] == {
        "embed-resources": True,
        "minimal": True,
        "css": "itp_stats/render/report.css",
        "toc": True,
        "toc-depth": 3,
        "fig-format": "png",
    }
    assert project.pre_render == ["itp-stats stage", "itp-stats gate", "itp-stats metadata"]
    assert project.post_render == ["itp-stats tables", "itp-stats publish"]
    # Quarto writes into a staging folder, published to _output (render/staging.py)
    assert project.output_dir == ROOT / "_output"
    assert project.quarto_output_dir == ROOT / ".itp-stats" / "quarto-output"
    assert project.config["execute"] == {"echo": False, "warning": False}
    meta = project.base_metadata()
    assert meta["bibliography"] == str(ROOT / "report" / "references.bib")
    assert meta["csl"] == str(ROOT / "report" / "vancouver.csl")
    assert Path(meta["csl"]).is_file() and Path(meta["bibliography"]).is_file()


def test_inputs_follow_the_render_list_and_output_paths_mirror_sources():
    project = load_project(FIXTURE)
    main, supp = project.inputs()
    assert (main.name, supp.name) == ("main.qmd", "supp.qmd")
    assert project.output_path(main, "html") == FIXTURE / "_output" / "docs" / "main.html"
    assert project.output_path(main, "typst") == FIXTURE / "_output" / "docs" / "main.pdf"
    other = Path("/elsewhere")
    assert project.output_path(supp, "docx", other) == other / "docs" / "supp.docx"
    assert project.relative(main) == "docs/main.qmd"


def test_without_a_render_list_every_qmd_but_private_ones(tmp_path):
    root = _project(tmp_path, "project:\n  type: default\n")
    for name in ("a.qmd", "sub/b.qmd", "_draft.qmd", "_private/c.qmd", ".hidden/d.qmd"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    names = [p.relative_to(root).as_posix() for p in load_project(root).inputs()]
    assert names == ["a.qmd", "sub/b.qmd"]
    assert load_project(root).output_path(root / "a.qmd", "html") == root / "a.html"


def test_missing_listed_document_is_an_error(tmp_path):
    root = _project(tmp_path, "project:\n  render: [nope.qmd]\n")
    with pytest.raises(ProjectError, match=r"missing nope\.qmd"):
        load_project(root).inputs()


def test_document_metadata_merges_project_format_and_front_matter(tmp_path):
    root = _project(
        tmp_path,
        "format:\n  html:\n    toc: true\n  typst: default\n"
        "execute:\n  echo: false\nbibliography: refs.bib\ntitle: Project title\n",
    )
    doc = root / "sub" / "d.qmd"
    doc.parent.mkdir()
    front = {
        "title": "Doc title",
        "execute": {"warning": False},
        "format": {"html": {"toc-depth": 2}},
        "csl": "style.csl",
    }
    common, formats = load_project(root).document_metadata(doc, front)
    assert common["title"] == "Doc title"
    assert common["execute"] == {"echo": False, "warning": False}
    assert common["bibliography"] == str(root / "refs.bib")
    assert common["csl"] == str(root / "sub" / "style.csl")
    assert list(formats) == ["html"]  # the document's own format list wins
    assert formats["html"]["toc"] is True and formats["html"]["toc-depth"] == 2
    _, asked = load_project(root).document_metadata(doc, {}, ["docx", "typst"])
    assert list(asked) == ["docx", "typst"] and asked["docx"]["title"] == "Project title"


def test_normalise_formats_accepts_quarto_spellings():
    assert normalise_formats("html", "x") == {"html": {}}
    assert normalise_formats(["html", "pdf"], "x") == {"html": {}, "typst": {}}
    assert normalise_formats({"docx": "default", "html": None}, "x") == {"docx": {}, "html": {}}
    with pytest.raises(ProjectError):
        normalise_formats({"html": 3}, "x")
    with pytest.raises(ProjectError):
        normalise_formats(3, "x")


def test_yaml_safe_and_deep_merge():
    value = {"date": dt.date(2024, 1, 2), "list": [dt.datetime(2024, 1, 2, 3, 4)], "n": 1}
    assert yaml_safe(value) == {"date": "2024-01-02", "list": ["2024-01-02T03:04:00"], "n": 1}
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    assert deep_merge(base, {"a": {"b": 3}, "d": [2]}) == {"a": {"b": 3, "c": 2}, "d": [2]}
    assert base == {"a": {"b": 1, "c": 2}, "d": [1]}


def test_find_project_root_and_bad_files(tmp_path):
    root = _project(tmp_path, "project: {}\n")
    (root / "a" / "b").mkdir(parents=True)
    assert find_project_root(root / "a" / "b") == root
    (root / "_quarto.yml").write_text("project: [\n")
    with pytest.raises(ProjectError, match="not valid YAML"):
        load_project(root)
    (root / "_quarto.yml").write_text("- a\n")
    with pytest.raises(ProjectError, match="mapping"):
        load_project(root)
    with pytest.raises(ProjectError, match="cannot read"):
        load_project(root / "a")
