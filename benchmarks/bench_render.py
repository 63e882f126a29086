"""Time the built-in renderer step by step: kernel start, execute, pandoc, Typst, DOCX.

Usage::

    .venv/bin/python benchmarks/bench_render.py                 # the renderer's fixture
    .venv/bin/python benchmarks/bench_render.py report/index.qmd report/supplement.qmd
    .venv/bin/python benchmarks/bench_render.py --repeat 5 --to html,pdf
    .venv/bin/python benchmarks/bench_render.py --report        # the study report, cold/warm

``--report`` copies the project (``_quarto.yml``, ``report/``, ``data/``) to a temporary
folder with an empty run state, renders it once cold (gate, study, figures and tables
computed) and ``--repeat`` times warm (all reused), and then executes each document three
times in a row, as Quarto does (once per output format), printing the cost of each execution
and its ratio to the first one.

Each repeat renders every document with the steps run one after another (so each step's
time is its own), then renders them again the way ``itp-stats render`` does (documents in
parallel, one kernel each; formats of a document in parallel) to time the whole. Medians
over the repeats are printed. Outputs go to a temporary folder; sources are not touched.
Prints figures only: timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from itp_stats.render.builtin import RenderJob, render_document, render_project
from itp_stats.render.cli import parse_formats, parse_params
from itp_stats.render.prerender import pre_render_environment, run_pre_render
from itp_stats.render.progress import Progress
from itp_stats.render.project import Project, find_project_root, load_project

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "render"
STEPS = (
    "pre-render",
    "kernel start",
    "execute",
    "pandoc html",
    "pandoc typst",
    "typst pdf",
    "pandoc docx",
)


def fixture_project(workdir: Path) -> tuple[Project, list[Path]]:
    """A copy of the test fixture project (with the report's bibliography and CSL)."""
    target = workdir / "fixture"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("_output", ".itp-stats"))
    shutil.copy(ROOT / "report" / "references.bib", target / "references.bib")
    shutil.copy(ROOT / "report" / "vancouver.csl", target / "vancouver.csl")
    project = load_project(target)
    return project, project.inputs()


def given_documents(names: list[str]) -> tuple[Project, list[Path]]:
    """The project holding the documents named on the command line."""
    documents = [Path(name).resolve() for name in names]
    missing = [str(d) for d in documents if not d.is_file()]
    if missing:
        sys.exit(f"bench_render: no such document: {', '.join(missing)}")
    root = find_project_root(documents[0])
    if root is None:
        sys.exit(f"bench_render: {documents[0]} is not inside a project (_quarto.yml)")
    return load_project(root), documents


def run_once(job: RenderJob, build: Path) -> dict[str, float]:
    """Render each document with sequential steps; return seconds per step (summed)."""
    progress = Progress(quiet=True)
    sequential = RenderJob(**{**job.__dict__, "parallel_formats": False})
    if job.project.pre_render:
        env = pre_render_environment(job.project.root, job.documents, job.output_dir, True, job.env)
        start = time.perf_counter()
        run_pre_render(job.project.pre_render, job.project.root, env, progress)
        pre = time.perf_counter() - start
    else:
        pre = 0.0
    for document in job.documents:
        render_document(sequential, document, build, progress)
    totals: dict[str, float] = defaultdict(float)
    totals["pre-render"] = pre
    for timing in progress.timings:
        if timing.step in STEPS:
            totals[timing.step] += timing.seconds
    return totals


def report_project(workdir: Path) -> tuple[Project, list[Path]]:
    """A copy of the study report project with an empty run state."""
    target = workdir / "report-project"
    target.mkdir()
    shutil.copy(ROOT / "_quarto.yml", target / "_quarto.yml")
    for name in ("report", "data", "validation"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("_output"))
    project = load_project(target)
    return project, project.inputs()


def bench_report(repeat: int, formats: str) -> int:
    """Cold and warm totals of the study report, and Quarto's three executions per document."""
    import os

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        workdir = Path(tmp)
        project, documents = report_project(workdir)
        os.environ["ITP_STATS_ROOT"] = str(project.root)
        job = RenderJob(
            project=project,
            documents=documents,
            formats=parse_formats(formats),
            params={},
            output_dir=workdir / "_output",
        )
        start = time.perf_counter()
        render_project(job, Progress(quiet=True))
        cold = time.perf_counter() - start
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            render_project(job, Progress(quiet=True))
            warm.append(time.perf_counter() - start)
        executions: dict[str, list[float]] = defaultdict(list)
        html = RenderJob(**{**job.__dict__, "formats": parse_formats("html"),
                            "parallel_formats": False})  # fmt: skip
        for document in documents:
            for run in range(3):
                progress = Progress(quiet=True)
                render_document(html, document, workdir / f"q-{run}", progress)
                executions[project.relative(document)] += [
                    t.seconds for t in progress.timings if t.step == "execute"
                ]
    print(f"study report ({', '.join(project.relative(d) for d in documents)}), formats {formats}")
    print(f"{'cold render (empty run state)':<44}{cold:>8.2f} s")
    print(f"{'warm render, median of ' + str(repeat):<44}{statistics.median(warm):>8.2f} s"
          f"   ratio warm/cold {statistics.median(warm) / cold:.2f}")  # fmt: skip
    print("executions in a row, as Quarto runs one per output format:")
    for name, values in executions.items():
        first = values[0]
        cells = "  ".join(f"{v:.2f} s ({v / first:.2f})" for v in values)
        print(f"  {name:<40}{cells}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", nargs="*", help=".qmd documents (default: the fixture)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats (default 3)")
    parser.add_argument("--to", default="html,pdf,docx", help="formats (default all three)")
    parser.add_argument("-P", dest="params", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--report", action="store_true", help="the study report: cold, warm, Quarto-like runs"
    )
    args = parser.parse_args(argv)
    if args.report:
        return bench_report(args.repeat, args.to)

    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        workdir = Path(tmp)
        if args.documents:
            project, documents = given_documents(args.documents)
        else:
            project, documents = fixture_project(workdir)
        job = RenderJob(
            project=project,
            documents=documents,
            formats=parse_formats(args.to),
            params=parse_params(args.params),
            output_dir=workdir / "_output",
        )
        steps: dict[str, list[float]] = defaultdict(list)
        wall_sequential: list[float] = []
        wall_parallel: list[float] = []
        for repeat in range(args.repeat):
            build = workdir / f"build-{repeat}"
            start = time.perf_counter()
            for step, seconds in run_once(job, build).items():
                steps[step].append(seconds)
            wall_sequential.append(time.perf_counter() - start)
            start = time.perf_counter()
            render_project(job, Progress(quiet=True))
            wall_parallel.append(time.perf_counter() - start)

    names = ", ".join(project.relative(d) for d in documents)
    print(f"built-in renderer: {names}; formats {args.to}; median of {args.repeat} runs")
    print(f"{'step':<34}{'median s':>10}{'min s':>10}")
    for step in STEPS:
        if steps.get(step):
            values = steps[step]
            print(f"{step:<34}{statistics.median(values):>10.2f}{min(values):>10.2f}")
    for label, values in (
        ("total, steps one after another", wall_sequential),
        ("total, itp-stats render (parallel)", wall_parallel),
    ):
        print(f"{label:<34}{statistics.median(values):>10.2f}{min(values):>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
