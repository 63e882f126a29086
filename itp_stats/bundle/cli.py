"""``itp-stats bundle`` and ``itp-stats verify``: the submission ZIP and its check.

Examples
--------
``itp-stats bundle`` (after ``make report``) writes ``<study>-submission.zip`` in the project
folder; ``itp-stats bundle --meca`` writes ``<study>-meca.zip`` in the MECA layout;
``itp-stats verify itp-rituximab-submission.zip data/cohort.csv`` checks every digest and
that the bundle was built from that cohort.

Exit status: ``bundle`` 0 written, 1 the outputs cannot be bundled (missing, or not of one
render), 2 the study configuration is malformed; ``verify`` 0 every digest holds, 1 a
difference (named), 2 the bundle or the data cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run_bundle", "run_verify"]


def register(subparsers: Any) -> None:
    """Add the ``bundle`` and ``verify`` sub-commands to ``subparsers``."""
    bundle = subparsers.add_parser(
        "bundle",
        help="write the submission ZIP of the last render",
        description="Write one ZIP with the report and supplement in every format, the figure "
        "files, the tables, the statistical analysis plan, the checklist, the validation record "
        "and a manifest of SHA-256 digests (data, study, dictionary, every file) with the code "
        "and package versions. Exit status: 0 written, 1 the outputs cannot be bundled.",
    )
    bundle.add_argument("--out", type=Path, metavar="FILE", help="the ZIP to write")
    bundle.add_argument(
        "--meca",
        action="store_true",
        help="MECA layout (manifest.xml, a JATS article stub), as Quarto's manuscripts",
    )
    bundle.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="where the render published (default: the project's output folder)",
    )
    bundle.set_defaults(func=run_bundle)
    verify = subparsers.add_parser(
        "verify",
        help="check a submission ZIP's digests (and the cohort it was built from)",
        description="Check every SHA-256 the bundle's manifest records and, given DATA, that "
        "the bundle was built from it. Exit status: 0 verified, 1 a difference (named), 2 the "
        "bundle or the data cannot be read.",
    )
    verify.add_argument("bundle", type=Path, metavar="BUNDLE")
    verify.add_argument(
        "data",
        nargs="?",
        metavar="DATA",
        help="the cohort file the bundle was built from, or its postgresql://…#TABLE",
    )
    verify.set_defaults(func=run_verify)


def run_bundle(args: argparse.Namespace) -> int:
    """Carry out ``itp-stats bundle``; return 0."""
    from itp_stats.bundle.contents import gather
    from itp_stats.bundle.write import bundle_files, write_bundle
    from itp_stats.config import project_root, state_dir
    from itp_stats.render.project import load_project

    root = project_root()
    output = args.output_dir.resolve() if args.output_dir else load_project(root).output_dir
    contents = gather(root, output or root / "_output", state_dir(root))
    files = bundle_files(contents, meca=args.meca)
    name = contents.facts["study"]["name"]
    out = args.out or root / f"{name}-{'meca' if args.meca else 'submission'}.zip"
    written = write_bundle(files, out)
    print(
        f"itp-stats bundle: wrote {written} ({len(files)} files, data SHA-256 "
        f"{contents.facts['data']['sha256'][:12]}…)",
        file=sys.stderr,
    )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Carry out ``itp-stats verify``; return 0 (a difference raises)."""
    from itp_stats.bundle.verify import verify_bundle

    result = verify_bundle(args.bundle, args.data)
    data = " and was built from " + str(args.data) if result.data_checked else ""
    print(
        f"itp-stats verify: {args.bundle}: {result.n_files} files and the manifest verified{data}"
    )
    return 0
