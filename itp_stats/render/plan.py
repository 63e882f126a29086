"""``itp-stats plan``: render the statistical analysis plan before any data.

The plan document, ``report/plan.qmd``, is rendered by the built-in engine like the report,
into the same output folder (``_output/report/plan.html``, ``.pdf``, ``.docx``; the other
outputs are carried over), but with only the ``itp-stats metadata`` pre-render step: no gate,
no result tables, and no cohort read. Its text comes from :mod:`itp_stats.report.sap`.

A whole-project render (``make report``) replaces the output folder with the report's own
outputs, and keeps the plan's (:data:`PLAN_OUTPUTS`): the plan is rendered when the study is
planned, before or after a report; the report cites its digest, and the bundle refuses a plan
the report does not cite.

Exit status: 0 rendered; 1 the render failed; 2 the study configuration is malformed.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

from itp_stats.steps import PLAN_DOCUMENT

__all__ = ["PLAN_DOCUMENT", "PLAN_OUTPUTS", "register", "run"]


PLAN_OUTPUTS = tuple(f"report/plan.{ext}" for ext in ("html", "pdf", "docx"))
"""The plan's outputs, relative to the output folder: kept by a whole-project render."""

_PRE_RENDER = ["itp-stats metadata"]
"""The only pre-render step of the plan: the documents' title, authors and keywords."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``plan`` sub-command to ``subparsers``; return its parser."""
    parser = subparsers.add_parser(
        "plan",
        help="render the statistical analysis plan (no cohort read)",
        description="Render report/plan.qmd, the statistical analysis plan, from the study "
        "configuration and its data dictionary alone (HTML, PDF, DOCX into the output "
        "folder). Exit status: 0 rendered, 1 the render failed, 2 the study configuration "
        "is malformed.",
    )
    parser.add_argument(
        "--study", metavar="FILE", help="study configuration (default data/study.yaml)"
    )
    parser.add_argument(
        "--to", metavar="FORMATS", help="comma-separated formats among html, pdf, docx"
    )
    parser.add_argument("--output-dir", type=Path, metavar="DIR", help="write outputs to DIR")
    parser.add_argument("--quiet", action="store_true", help="report errors only")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Carry out ``itp-stats plan``; return 0.

    Raises
    ------
    ProjectError
        No project, or no ``report/plan.qmd`` in it.
    StudyConfigError
        The study configuration is malformed (exit 2).
    """
    from itp_stats.config import DEFAULT_STUDY, project_root
    from itp_stats.render.builtin import RenderJob, render_project
    from itp_stats.render.cli import parse_formats
    from itp_stats.render.errors import ProjectError
    from itp_stats.render.progress import Progress
    from itp_stats.render.project import Project, load_project
    from itp_stats.study.config import load_study

    root = project_root()
    project = load_project(root)
    document = project.root / PLAN_DOCUMENT
    if not document.is_file():
        raise ProjectError(f"{document}: no plan document in this project")
    study = Path(args.study).expanduser().resolve() if args.study else DEFAULT_STUDY
    load_study(study)  # a malformed configuration ends here, with the file and the key
    config = copy.deepcopy(project.config)
    options = config.setdefault("project", {})
    options["pre-render"] = list(_PRE_RENDER)
    options["post-render"] = []
    job = RenderJob(
        project=Project(root=project.root, config=config),
        documents=[document],
        formats=parse_formats(args.to),
        params={"study": str(study)},
        env={"ITP_STATS_STUDY": str(study)},
        output_dir=args.output_dir.resolve() if args.output_dir else None,
    )
    render_project(job, Progress(quiet=args.quiet))
    return 0
