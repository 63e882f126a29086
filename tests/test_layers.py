"""The sub-packages import in data-flow order and through public names only.

cohort → gate → stats → study → report → render → bundle (DESIGN.md "Layout"): no module of a layer
imports a module of a later one, and no module imports another layer's private name
(``_name``); foundation modules (``itp_stats.files``, ``text``, ``errors``, ``config``,
``provenance``) serve every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "itp_stats"
ORDER = ["cohort", "gate", "stats", "study", "report", "render", "bundle"]


def _imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(module imported, names imported, inside a function) of every itp_stats import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("itp_stats"):
            out.append((node.module, [a.name for a in node.names], False))
        elif isinstance(node, ast.Import):
            out += [(a.name, [], False) for a in node.names if a.name.startswith("itp_stats")]
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in ORDER else None


MODULES = sorted(p for layer in ORDER for p in (PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_from_a_later_layer_or_of_another_layers_private_name(path):
    layer = path.relative_to(PACKAGE).parts[0]
    for module, names, _ in _imports(path):
        other = _layer(module)
        if other is None or other == layer:
            continue
        assert ORDER.index(other) < ORDER.index(layer), f"{layer} imports {module}"
        private = [n for n in names if n.startswith("_")]
        assert not private, f"{path.name} imports {module}.{private}"


def test_the_cohort_layer_does_not_ask_the_gate():
    """The digest helpers live in the foundation (itp_stats.files), not in gate/."""
    for path in (PACKAGE / "cohort").rglob("*.py"):
        assert not any(m.startswith("itp_stats.gate") for m, _, _ in _imports(path)), path


ASKING = {"is_database_url", "resolve_source"}
"""The names that ask whether a cohort's name is a database URL, and resolve it."""


def _names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return names | {n for _, imported, _ in _imports(path) for n in imported}


def _calls(path: Path) -> dict[str, list[str]]:
    """For each function of a module, the names it calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            out[node.name] = [
                c.func.id if isinstance(c.func, ast.Name) else getattr(c.func, "attr", "")
                for c in ast.walk(node)
                if isinstance(c, ast.Call)
            ]
    return out


def test_the_database_module_defines_the_url_test_and_asks_it_only_to_parse_a_url():
    """``cohort.sql`` takes database sources and source files; only ``parse_source`` (which
    refuses what is not a URL) calls ``is_database_url``, and nothing there calls
    ``resolve_source``, which ``cohort.source`` alone calls."""
    calls = _calls(PACKAGE / "cohort" / "sql.py")
    asking = {name for name, called in calls.items() if set(called) & ASKING}
    assert asking == {"parse_source"}, asking


def test_below_the_study_only_the_source_asks_whether_a_cohort_is_a_database_url():
    """``cohort.source.Source.open`` resolves a cohort's name once (``cohort.sql`` defines the
    helpers, see above); the gate and the study take the Source."""
    allowed = {"cohort/source.py", "cohort/sql.py"}
    for layer in ORDER[: ORDER.index("study") + 1]:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            if path.relative_to(PACKAGE).as_posix() in allowed:
                continue
            assert not _names(path) & ASKING, path
