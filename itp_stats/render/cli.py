"""``itp-stats render``: render the report with Quarto when installed, else the built-in engine.

Examples
--------
``itp-stats render`` renders the project (every document, every format); ``itp-stats render
report/index.qmd --to html,pdf -P data=export.csv`` renders one document to HTML and PDF
from another cohort file (``ITP_STATS_DATA`` is set for the gate and the kernels).

Parameters are checked before any work (before the gate, before a kernel starts): each
``-P`` key must be a parameter the documents declare in their cell tagged ``parameters``
(``data`` and ``study`` always are), with the nearest one suggested for a typo; each value
must have the type of the declared default and, for the study report's own parameters, lie
in its range (:data:`PARAMETER_RULES`).

Only one render of a project runs at a time: a second one is refused at once, naming the
running one (:func:`itp_stats.render.outputs.render_lock`).

Exit status: 0 rendered; 1 a critical validation rule failed, or a cell, pandoc, Typst or
Quarto failed, or another render of the project is running; 2 the data file cannot be read
(the gate's own 2, kept through the pre-render step by the built-in engine; Quarto exits 1
for any failed pre-render step) or the project, a document or an argument is malformed.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from itp_stats.render.builtin import RenderJob, render_project
from itp_stats.render.errors import ProjectError
from itp_stats.render.outputs import render_lock
from itp_stats.render.progress import Progress
from itp_stats.render.project import (
    PROJECT_FILE,
    SUPPORTED_FORMATS,
    Project,
    find_project_root,
    load_project,
    yaml_safe,
)
from itp_stats.render.qmd import parse_qmd
from itp_stats.render.quarto import find_quarto, render_with_quarto
from itp_stats.render.staging import PUBLISH_DIR_ENV, refuse_if_quarto_running
from itp_stats.study.parameters import PARAMETER_RULES

__all__ = [
    "PARAMETER_RULES",
    "register",
    "run",
    "check_params",
    "document_parameters",
    "parse_params",
    "parse_formats",
    "resolve_targets",
]

DATA_PARAMETER = "data"
"""The parameter that names the cohort file; it also sets ``ITP_STATS_DATA``."""
STUDY_PARAMETER = "study"
"""The parameter that names the study configuration; it also sets ``ITP_STATS_STUDY``."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``render`` sub-command to ``subparsers``; return its parser."""
    parser = subparsers.add_parser(
        "render",
        help="render the study report (HTML, PDF, DOCX)",
        description="Render the project's documents, or the given ones, with Quarto when it "
        "is on PATH and with the built-in renderer (pandoc + Typst) otherwise. Exit status: "
        "0 rendered, 1 a critical validation rule (or the render) failed, 2 the data file "
        "cannot be read or the project is malformed.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help=".qmd documents, or a project folder (default: the project around the current folder)",
    )
    parser.add_argument(
        "--study",
        metavar="FILE",
        help="study configuration (default data/study.yaml); same as -P study=FILE",
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "quarto", "builtin"),
        default="auto",
        help="auto (default): quarto when on PATH, else builtin",
    )
    parser.add_argument(
        "--to",
        metavar="FORMATS",
        help="comma-separated formats among html, pdf (Typst), docx (default: the "
        "project's formats)",
    )
    parser.add_argument(
        "-P",
        "--param",
        dest="params",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter of the cell tagged 'parameters' (repeatable); "
        "-P data=FILE also validates and analyses FILE",
    )
    parser.add_argument("--output-dir", type=Path, metavar="DIR", help="write outputs to DIR")
    parser.add_argument("--quiet", action="store_true", help="report errors only")
    parser.set_defaults(func=run)
    return parser


def parse_params(items: list[str]) -> dict[str, Any]:
    """Parse ``-P`` values (``key=value`` or Quarto's ``key:value``; values read as YAML).

    Raises
    ------
    ProjectError
        For an item without a key.
    """
    params: dict[str, Any] = {}
    for item in items:
        positions = [i for i in (item.find("="), item.find(":")) if i > 0]
        if not positions:
            raise ProjectError(f"-P {item!r}: expected KEY=VALUE")
        split = min(positions)
        key, raw = item[:split].strip(), item[split + 1 :]
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if isinstance(value, dict | list) or value is None:
            value = raw
        params[key] = yaml_safe(value)
    return params


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def document_parameters(documents: list[Path]) -> dict[str, Any]:
    """The parameters the documents declare, with their defaults.

    Parameters
    ----------
    documents : list of Path
        The ``.qmd`` files about to render.

    Returns
    -------
    dict
        Name → default, from the top-level assignments of each document's cell tagged
        ``parameters`` (a default that is not a literal is ``None``), in document order;
        ``data`` and ``study`` are always present (they also choose the gate's input).
    """
    declared: dict[str, Any] = {}
    for document in documents:
        cells = [c for c in parse_qmd(document).cells if "parameters" in c.tags]
        for cell in cells:
            try:
                tree = ast.parse(cell.code)
            except SyntaxError:
                continue
            for statement in tree.body:
                if isinstance(statement, ast.Assign):
                    targets, value = statement.targets, statement.value
                elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                    targets, value = [statement.target], statement.value
                else:
                    continue
                for target in targets:
                    if isinstance(target, ast.Name):
                        declared.setdefault(target.id, _literal(value))
    declared.setdefault(DATA_PARAMETER, "")
    declared.setdefault(STUDY_PARAMETER, "")
    return declared


def _typed(value: Any, default: Any) -> tuple[Any, str | None]:
    """``value`` in the type of the declared ``default``; or the expectation it misses."""
    if isinstance(default, bool):
        return value, PARAMETER_RULES["synthetic"](value)
    if isinstance(default, int | float) and isinstance(value, str):
        try:  # YAML reads '5e-2' as text
            value = float(value.strip()) if isinstance(default, float) else int(value.strip())
        except ValueError:
            pass
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        return value, "expected a whole number"
    if isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), None if math.isfinite(value) else "expected a finite number"
        return value, "expected a number"
    if isinstance(default, str):
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        return str(value), None
    return value, None


def check_params(params: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``-P`` parameters against the documents' declared ones, before any work.

    Parameters
    ----------
    params : mapping
        As parsed by :func:`parse_params`.
    declared : mapping
        Name → default (:func:`document_parameters`).

    Returns
    -------
    dict
        The parameters, each in the type of its default (an integer given for a number
        becomes a float, a value given for a text becomes text).

    Raises
    ------
    ProjectError
        An unknown parameter (the nearest declared one suggested, all of them listed) or a
        value of the wrong type or out of range (what is expected said).
    """
    names = list(declared)
    checked: dict[str, Any] = {}
    for key, value in params.items():
        shown = f"-P {key}={_shown(value)}"
        if key not in declared:
            near = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise ProjectError(
                f"{shown}: unknown parameter{hint}; the documents' parameters are "
                f"{', '.join(names)}"
            )
        value, problem = _typed(value, declared[key])
        rule = PARAMETER_RULES.get(key)
        if rule is not None:
            problem = rule(value) if problem is None else rule(None) or problem
        if problem is not None:
            raise ProjectError(f"{shown}: {problem}")
        if key == "adjust" and isinstance(value, str):
            value = value.lower()
        checked[key] = value
    return checked


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_formats(text: str | None) -> list[str] | None:
    """Parse ``--to`` (``pdf`` means Typst, as in this project).

    Raises
    ------
    ProjectError
        For an unknown format.
    """
    if not text:
        return None
    formats = []
    for name in (part.strip().lower() for part in text.split(",")):
        if not name:
            continue
        name = {"pdf": "typst", "word": "docx"}.get(name, name)
        if name not in SUPPORTED_FORMATS:
            raise ProjectError(f"--to {name}: choose among html, pdf, docx")
        if name not in formats:
            formats.append(name)
    return formats or None


def resolve_targets(files: list[str]) -> tuple[Project, list[Path], bool]:
    """Find the project and documents a render is about.

    Returns
    -------
    tuple of (Project, list of Path, bool)
        The project, the documents, and whether that is the whole project.

    Raises
    ------
    ProjectError
        For a missing file, a non-``.qmd`` file, files from several projects, or no project.
    """
    if not files:
        env_root = os.environ.get("ITP_STATS_ROOT")
        root = Path(env_root).resolve() if env_root else find_project_root(Path.cwd())
        if root is None or not (root / PROJECT_FILE).is_file():
            where = root if root is not None else Path.cwd()
            raise ProjectError(
                f"no {PROJECT_FILE} in {where} or its parents: run itp-stats render inside "
                "the project, or name the project folder"
            )
        project = load_project(root)
        return project, project.inputs(), True
    if len(files) == 1 and Path(files[0]).is_dir():
        folder = Path(files[0]).resolve()
        if not (folder / PROJECT_FILE).is_file():
            raise ProjectError(f"{files[0]}: no {PROJECT_FILE} in this folder")
        project = load_project(folder)
        return project, project.inputs(), True
    documents = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise ProjectError(f"{name}: no such file")
        if path.suffix != ".qmd":
            raise ProjectError(f"{name}: not a .qmd document")
        documents.append(path.resolve())
    roots = {find_project_root(doc) for doc in documents}
    if len(roots) > 1:
        raise ProjectError("the documents belong to different projects; render them one by one")
    root = roots.pop()
    project = load_project(root) if root else Project(root=documents[0].parent, config={})
    whole = {p.resolve() for p in project.inputs()} == set(documents) if root else True
    return project, documents, whole


def run(args: argparse.Namespace) -> int:
    """Carry out ``itp-stats render``; return the exit status (0).

    Raises
    ------
    RenderError
        With the exit status of the module docstring: a failing pre-render gate passes its
        own status on (:class:`~itp_stats.render.errors.PreRenderError`).
    """
    params = parse_params(args.params)
    formats = parse_formats(args.to)
    if getattr(args, "study", None):
        params[STUDY_PARAMETER] = args.study
    project, documents, whole = resolve_targets(list(args.files))
    params = check_params(params, document_parameters(documents))
    env: dict[str, str] = {}
    from itp_stats.cohort.sql import is_database_url, parse_source

    if DATA_PARAMETER in params and is_database_url(str(params[DATA_PARAMETER])):
        parse_source(str(params[DATA_PARAMETER]))  # a table: the URL is checked, the gate reads
        env["ITP_STATS_DATA"] = str(params[DATA_PARAMETER])
    elif DATA_PARAMETER in params:
        data = Path(str(params[DATA_PARAMETER])).expanduser().resolve()
        if not data.is_file():
            raise ProjectError(f"-P {DATA_PARAMETER}={params[DATA_PARAMETER]}: no such file")
        params[DATA_PARAMETER] = str(data)
        env["ITP_STATS_DATA"] = str(data)
    if STUDY_PARAMETER in params:
        study = Path(str(params[STUDY_PARAMETER])).expanduser().resolve()
        if not study.is_file():
            raise ProjectError(f"-P {STUDY_PARAMETER}={params[STUDY_PARAMETER]}: no such file")
        params[STUDY_PARAMETER] = str(study)
        env["ITP_STATS_STUDY"] = str(study)
    output_dir = args.output_dir.resolve() if args.output_dir else None
    progress = Progress(quiet=args.quiet)

    engine = args.engine
    if engine == "auto":
        engine = "quarto" if find_quarto() else "builtin"
    if engine == "quarto":
        targets = [None] if whole else documents
        # Quarto writes into its staging folder; the project's own pre- and post-render
        # steps lock, and publish into the output folder (render/staging.py)
        if output_dir is not None:
            env[PUBLISH_DIR_ENV] = str(output_dir)
        with render_lock(project.root, output_dir or project.output_dir):  # refused at once
            refuse_if_quarto_running(project.root)
        render_with_quarto(project.root, targets, formats, params, env, None, progress)
        return 0
    job = RenderJob(
        project=project,
        documents=documents,
        formats=formats,
        params=params,
        env=env,
        output_dir=output_dir,
    )
    render_project(job, progress)
    return 0
