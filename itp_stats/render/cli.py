"""``itp-stats render``: render the report with Quarto when installed, else the built-in engine.

Examples
--------
``itp-stats render`` renders the project (every document, every format); ``itp-stats render
report/index.qmd --to html,pdf -P data=export.csv`` renders one document to HTML and PDF
from another cohort file (``ITP_STATS_DATA`` is set for the gate and the kernels).

Exit status: 0 rendered; 1 a critical validation rule failed, or a cell, pandoc, Typst or
Quarto failed; 2 the data file cannot be read (the gate's own 2, kept through the
pre-render step by the built-in engine; Quarto exits 1 for any failed pre-render step) or
the project, a document or an argument is malformed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from itp_stats.config import project_root
from itp_stats.render.builtin import RenderJob, render_project
from itp_stats.render.errors import ProjectError
from itp_stats.render.progress import Progress
from itp_stats.render.project import (
    PROJECT_FILE,
    SUPPORTED_FORMATS,
    Project,
    find_project_root,
    load_project,
    yaml_safe,
)
from itp_stats.render.quarto import find_quarto, render_with_quarto

__all__ = ["register", "run", "parse_params", "parse_formats", "resolve_targets"]

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
        root = project_root()
        if not (root / PROJECT_FILE).is_file():
            raise ProjectError(f"no {PROJECT_FILE} in {Path.cwd()} or its parents")
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
    env: dict[str, str] = {}
    if DATA_PARAMETER in params:
        data = Path(str(params[DATA_PARAMETER])).expanduser().resolve()
        if not data.is_file():
            raise ProjectError(f"-P {DATA_PARAMETER}={params[DATA_PARAMETER]}: no such file")
        params[DATA_PARAMETER] = str(data)
        env["ITP_STATS_DATA"] = str(data)
    if getattr(args, "study", None):
        params[STUDY_PARAMETER] = args.study
    if STUDY_PARAMETER in params:
        study = Path(str(params[STUDY_PARAMETER])).expanduser().resolve()
        if not study.is_file():
            raise ProjectError(f"-P {STUDY_PARAMETER}={params[STUDY_PARAMETER]}: no such file")
        params[STUDY_PARAMETER] = str(study)
        env["ITP_STATS_STUDY"] = str(study)
    project, documents, whole = resolve_targets(list(args.files))
    output_dir = args.output_dir.resolve() if args.output_dir else None
    progress = Progress(quiet=args.quiet)

    engine = args.engine
    if engine == "auto":
        engine = "quarto" if find_quarto() else "builtin"
    if engine == "quarto":
        targets = [None] if whole else documents
        render_with_quarto(project.root, targets, formats, params, env, output_dir, progress)
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
