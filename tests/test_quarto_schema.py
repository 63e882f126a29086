"""Every option the project writes is a real Quarto option, valid where it is used.

Checks ``_quarto.yml`` files (the project's and the fixtures'), the front matter of every
``.qmd`` under ``report/`` and ``tests/fixtures/``, and the ``#|`` options of their cells
against Quarto 1.11's own schema (``../shared/quarto/schema``): the name exists, it is not
a knitr-only option (``tags: engine: knitr``), and it applies to the formats it is used
with. Closed sub-objects (``project``, ``crossref`` and its ``custom`` entries) are checked
key by key.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from itp_stats.render.qmd import parse_qmd

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT.parent / "shared" / "quarto" / "schema"

pytestmark = pytest.mark.skipif(
    not SCHEMA_DIR.is_dir(),
    reason=f"Quarto option schema not found at {SCHEMA_DIR} (expected ../shared/quarto/schema)",
)

DEFAULT_FORMATS = ("html", "typst", "docx")
OWN_KEY = "itp-stats"
OWN_OPTIONS = {"publish-dir"}


@cache
def _load(name: str) -> Any:
    return yaml.safe_load((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def _entries(prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Option entries of the schema files starting with ``prefix``, by name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(SCHEMA_DIR.glob(f"{prefix}*.yml")):
        for entry in _load(path.name) or []:
            if isinstance(entry, dict) and "name" in entry:
                found.setdefault(entry["name"], []).append(entry)
    return found


@cache
def _definitions() -> dict[str, Any]:
    return {d["id"]: d for d in _load("definitions.yml") if isinstance(d, dict) and "id" in d}


def _expand(names: list[str]) -> set[str]:
    aliases = _load("format-aliases.yml")["aliases"]
    out: set[str] = set()
    for name in names:
        name = str(name)
        if name.startswith("$"):
            out |= _expand(aliases[name[1:]])
        else:
            out.add(name)
    return out


def _applies(entry: dict[str, Any], fmt: str) -> bool:
    tags = entry.get("tags") or {}
    formats = [str(f) for f in tags.get("formats") or []]
    include = [f for f in formats if not f.startswith("!")]
    exclude = [f[1:] for f in formats if f.startswith("!")]
    if fmt in _expand(exclude) or fmt in _expand(entry.get("disabled") or []):
        return False
    return not include or fmt in _expand(include)


def _not_knitr(entry: dict[str, Any]) -> bool:
    return (entry.get("tags") or {}).get("engine") != "knitr"


def _check_name(
    entries: dict[str, list[dict[str, Any]]], name: str, formats: tuple[str, ...], where: str
) -> list[str]:
    candidates = entries.get(name)
    if not candidates:
        return [f"{where}: '{name}' is not a Quarto option"]
    candidates = [e for e in candidates if _not_knitr(e)]
    if not candidates:
        return [f"{where}: '{name}' is a knitr-only option (this project runs Jupyter)"]
    if not any(_applies(e, fmt) for e in candidates for fmt in formats):
        return [f"{where}: '{name}' does not apply to {', '.join(formats)}"]
    return []


def _object_schema(schema: Any) -> dict[str, Any] | None:
    """The (first) object schema inside ``schema``, following refs and anyOf."""
    if not isinstance(schema, dict):
        return None
    if "object" in schema and isinstance(schema["object"], dict):
        return schema["object"]
    if "ref" in schema:
        definition = _definitions().get(schema["ref"])
        return _object_schema(definition) if definition else None
    for key in ("anyOf", "allOf"):
        for option in schema.get(key) or []:
            found = _object_schema(option)
            if found:
                return found
    for key in ("schema", "maybeArrayOf", "arrayOf"):
        if key in schema:
            return _object_schema(schema[key])
    return None


def _check_object(schema: Any, value: Any, where: str) -> list[str]:
    """Check the keys of a mapping (or list of mappings) against a closed object schema."""
    obj = _object_schema(schema)
    if obj is None or not obj.get("closed") or "properties" not in obj:
        return []
    values = value if isinstance(value, list) else [value]
    problems = []
    for item in values:
        if not isinstance(item, dict):
            continue
        for key, sub in item.items():
            if key not in obj["properties"]:
                problems.append(f"{where}: '{key}' is not a valid key here")
            else:
                problems += _check_object(obj["properties"][key], sub, f"{where}.{key}")
    return problems


def _execute_names() -> dict[str, list[dict[str, Any]]]:
    names = dict(_entries("document-execute"))
    for group in ("cell-", "document-"):
        for name, entries in _entries(group).items():
            for entry in entries:
                if "document-execute" in ((entry.get("tags") or {}).get("contexts") or []):
                    names.setdefault(name, []).append(entry)
    return names


def check_document_options(
    options: dict[str, Any], formats: tuple[str, ...], where: str
) -> list[str]:
    """Check front matter or ``_quarto.yml`` top-level keys."""
    documents = _entries("document-")
    problems: list[str] = []
    for key, value in options.items():
        here = f"{where}: {key}"
        if key == "project":
            problems += _check_object(_entries("project")["project"][0]["schema"], value, here)
        elif key == "format":
            problems += _check_formats(value, where)
        elif key == OWN_KEY:
            # the project's own namespace: Quarto's project-config schema is an open object
            # (quarto-cli src/core/lib/yaml-schema/project-config.ts) and passes unknown
            # top-level keys on to the documents as metadata
            unknown = set(value or {}) - OWN_OPTIONS if isinstance(value, dict) else {value}
            problems += [f"{here}: '{name}' is not an itp-stats option" for name in unknown]
        elif key == "execute":
            for name in value or {}:
                problems += _check_name(_execute_names(), name, formats, f"{where}: execute")
        else:
            problems += _check_name(documents, key, formats, where)
            for entry in documents.get(key, []):
                problems += _check_object(entry.get("schema"), value, here)
    return problems


def _check_formats(value: Any, where: str) -> list[str]:
    problems = []
    known = _expand(["$pandoc-all"])
    formats = value if isinstance(value, dict) else {str(v): {} for v in _as_list(value)}
    for fmt, options in formats.items():
        if fmt not in known:
            problems.append(f"{where}: format '{fmt}' is not a Quarto format")
            continue
        for key, sub in (options if isinstance(options, dict) else {}).items():
            problems += check_document_options({key: sub}, (fmt,), f"{where}: format.{fmt}")
    return problems


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _formats_of(config: dict[str, Any]) -> tuple[str, ...]:
    value = config.get("format")
    if isinstance(value, dict):
        return tuple(value)
    if value:
        return tuple(str(v) for v in _as_list(value))
    return ()


def _quarto_files() -> Iterator[Path]:
    yield from sorted(p for p in ROOT.rglob("_quarto.yml") if ".venv" not in p.parts)


def _qmd_files() -> Iterator[Path]:
    for folder in (ROOT / "report", ROOT / "tests" / "fixtures"):
        yield from sorted(folder.rglob("*.qmd"))


def _project_formats(document: Path) -> tuple[str, ...]:
    for folder in document.parents:
        config = folder / "_quarto.yml"
        if config.is_file():
            return _formats_of(yaml.safe_load(config.read_text(encoding="utf-8")) or {})
        if folder == ROOT:
            break
    return DEFAULT_FORMATS


def test_schema_folder_has_the_option_files():
    assert (SCHEMA_DIR / "document-crossref.yml").is_file()
    assert "fig-cap" in _entries("cell-")
    assert "embed-resources" in _entries("document-")


@pytest.mark.parametrize("path", list(_quarto_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_quarto_yml_keys_are_quarto_options(path):
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    formats = _formats_of(config) or DEFAULT_FORMATS
    problems = check_document_options(config, formats, str(path.relative_to(ROOT)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", list(_qmd_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_front_matter_and_cell_options_are_quarto_options(path):
    document = parse_qmd(path)
    name = str(path.relative_to(ROOT))
    formats = _formats_of(document.front_matter) or _project_formats(path) or DEFAULT_FORMATS
    problems = check_document_options(document.front_matter, formats, name)
    cells = _entries("cell-")
    for cell in document.cells:
        for key in cell.options:
            problems += _check_name(cells, key, formats, f"{name}:{cell.line} #|")
    assert not problems, "\n".join(problems)


def test_the_checker_rejects_what_quarto_rejects():
    assert check_document_options({"df-print": "kable"}, ("html",), "x")  # knitr-only
    assert check_document_options({"no-such-option": 1}, ("html",), "x")
    assert check_document_options({"format": {"docx": {"embed-resources": True}}}, (), "x")
    assert check_document_options({"crossref": {"fig-prefix-s": "S"}}, ("html",), "x")
    assert check_document_options({"project": {"prerender": "x"}}, ("html",), "x")
    assert check_document_options({"itp-stats": {"publish_dir": "x"}}, ("html",), "x")
    assert not check_document_options({"itp-stats": {"publish-dir": "x"}}, ("html",), "x")
    assert not check_document_options(
        {"crossref": {"custom": [{"kind": "float", "key": "suppfig", "reference-prefix": "S"}]}},
        ("typst",),
        "x",
    )
    cells = _entries("cell-")
    assert _check_name(cells, "fig-width", ("html",), "x")
    assert not _check_name(cells, "tags", ("html",), "x")


def test_project_sets_the_options_both_engines_share():
    """citeproc for Typst too, one date format, the package's styles and table filter."""
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["citeproc"] is True
    assert config["date-format"] == "iso"
    paths = [
        config["format"]["docx"]["reference-doc"],
        *config["format"]["typst"]["include-in-header"],
        config["format"]["html"]["css"],
        *(entry["path"] for entry in config["filters"]),
    ]
    assert paths == [
        "itp_stats/render/reference.docx",
        "itp_stats/render/report.typ",
        "itp_stats/render/typography.typ",
        "itp_stats/render/report.css",
        "itp_stats/render/report.lua",
        "itp_stats/render/tables.lua",
    ]
    # report.lua before Quarto parses the document, tables.lua after its renderers
    assert [entry["at"] for entry in config["filters"]] == ["pre-ast", "post-render"]
    # Quarto's HTML without its theme (report.css styles the page); Word figures as PNG
    assert config["format"]["html"]["minimal"] is True
    assert config["format"]["docx"]["fig-format"] == "png"
    assert config["format"]["docx"]["fig-dpi"] >= 300
    assert all((ROOT / path).is_file() for path in paths)
    assert (ROOT / "itp_stats/render/reference-manuscript.docx").is_file()
    # each is a Quarto option where it is set, for the formats it is set for
    assert not check_document_options({"citeproc": True}, ("typst", "html", "docx"), "x")
    assert not check_document_options({"date-format": "iso"}, ("html", "typst", "docx"), "x")
    assert not check_document_options({"filters": ["a.lua"]}, ("typst",), "x")
    assert not check_document_options({"filters": config["filters"]}, ("typst",), "x")
    assert not check_document_options({"format": config["format"]}, (), "x")
    assert not check_document_options({"toc-title": "Contents"}, ("html", "typst"), "x")
    assert not check_document_options(
        {"format": {"docx": {"reference-doc": "r.docx"}, "typst": {"include-in-header": "t.typ"}}},
        (),
        "x",
    )
    # and the checker would notice them misplaced
    assert check_document_options({"format": {"html": {"reference-doc": "r.docx"}}}, (), "x")
    assert check_document_options({"format": {"docx": {"include-in-header": "t.typ"}}}, (), "x")


def test_filter_entry_points_are_quartos():
    """The built-in renderer's order of filter entry points is Quarto's, and _quarto.yml uses
    them (the schema's filter-entry-point enum)."""
    from itp_stats.render.formats import FILTER_STAGES

    entry = next(d for d in _load("definitions.yml") if d.get("id") == "filter-entry-point")
    assert set(FILTER_STAGES) == set(entry["enum"])
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert all(item["at"] in entry["enum"] for item in config["filters"])


def test_gitignore_holds_the_entries_quarto_adds():
    """Quarto appends `/.quarto/` and `**/*.quarto_ipynb` to a .gitignore that lacks them
    (quarto-cli src/project/project-gitignore.ts, compared line by line): with them present,
    `quarto render` leaves the tracked file as it is."""
    lines = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    assert "/.quarto/" in lines and "**/*.quarto_ipynb" in lines


def test_documents_take_title_and_authors_from_the_study():
    """The front matter names no title or author (the study's, from metadata-files, would be
    overridden); the pre-render step that writes the metadata file runs after the gate."""
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["project"]["pre-render"] == [
        "itp-stats stage",
        "itp-stats gate",
        "itp-stats metadata",
    ]
    assert config["metadata-files"] == [".itp-stats/metadata.yml"]
    assert not check_document_options({"metadata-files": ["m.yml"]}, ("html", "typst"), "x")
    for name in ("index", "supplement"):
        text = (ROOT / "report" / f"{name}.qmd").read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---")[1])
        assert "title" not in front and "author" not in front
