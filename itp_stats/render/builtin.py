"""The built-in engine: render a project's ``.qmd`` documents without the Quarto CLI.

Steps, under the project's render lock (a second render at once is refused): clean what
killed renders left → pre-render commands (once, before anything executes) → for each
document: parse, execute in its own kernel, assemble per format, pandoc (HTML, Typst, DOCX),
Typst → PDF → copy the documents into a staged output folder → post-render commands, which
write into the staged folder (``QUARTO_PROJECT_OUTPUT_DIR`` names it: the result tables land
beside the documents they belong to) → publish the staged folder as the output folder in one
step (:func:`itp_stats.render.outputs.publish`).

Documents are built in ``.itp-stats/builds/``; a failure at any step, a kill, a full disk or
a folder that cannot be written leaves the previous outputs whole, and nothing of the failed
render is published. Documents execute in parallel, one kernel each, up to the number of
CPUs. Ctrl-C stops the kernels and the converters at once (:mod:`itp_stats.render.cancel`)
and ends the render with the previous outputs whole.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itp_stats.config import state_dir
from itp_stats.render.assemble import assemble_markdown
from itp_stats.render.cancel import interruptible, run_all
from itp_stats.render.convcache import conversion_key, converted
from itp_stats.render.errors import PreRenderError, ProjectError
from itp_stats.render.execute import execute_document
from itp_stats.render.kernel import PRINT_DPI
from itp_stats.render.outputs import (
    OutputError,
    build_folder,
    check_output_folder,
    clean_leftovers,
    install_files,
    kill_point,
    publish,
    render_lock,
    stage,
    stage_files,
)
from itp_stats.render.pandoc import run_pandoc
from itp_stats.render.pdf import compile_pdf
from itp_stats.render.plan import PLAN_OUTPUTS
from itp_stats.render.prerender import (
    post_render_environment,
    pre_render_environment,
    run_pre_render,
)
from itp_stats.render.progress import Progress
from itp_stats.render.project import SUPPORTED_FORMATS, Project
from itp_stats.render.qmd import parse_qmd
from itp_stats.render.staging import refuse_if_quarto_running, remove_stale_staging

__all__ = ["RenderJob", "BuiltDocument", "render_document", "render_project"]


@dataclass(frozen=True)
class RenderJob:
    """What to render and how.

    Attributes
    ----------
    project : Project
        The project.
    documents : list of Path
        The ``.qmd`` files to render.
    formats : list of str, optional
        Formats asked for (``None``: each document's own formats).
    params : dict
        Parameter overrides (``-P``), injected after the ``parameters`` cell.
    env : dict
        Extra environment of the pre-render commands and kernels (``ITP_STATS_DATA``).
    output_dir : Path, optional
        Overrides ``project.output-dir``.
    parallel : int, optional
        Documents executed at once (default: number of CPUs).
    parallel_formats : bool
        Run pandoc for a document's formats at once (default) or one after another.
    """

    project: Project
    documents: list[Path]
    formats: list[str] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    output_dir: Path | None = None
    parallel: int | None = None
    parallel_formats: bool = True


@dataclass(frozen=True)
class BuiltDocument:
    """A document rendered in the build folder: format → built file and its target."""

    document: Path
    outputs: dict[str, tuple[Path, Path]]


def _check_formats(formats: Sequence[str], name: str) -> None:
    unsupported = [fmt for fmt in formats if fmt not in SUPPORTED_FORMATS]
    if unsupported:
        raise ProjectError(
            f"{name}: the built-in renderer writes {', '.join(SUPPORTED_FORMATS)} "
            f"(PDF through Typst), not {', '.join(unsupported)}"
        )


_BUILT_SUFFIX = {"html": ".html", "typst": ".pdf", "docx": ".docx"}
"""Suffix of the file each format's conversion builds (Typst gives the PDF)."""


def render_document(
    job: RenderJob, document: Path, build_root: Path, progress: Progress
) -> BuiltDocument:
    """Execute and convert one document inside ``build_root``.

    Parameters
    ----------
    job : RenderJob
        The render job (project, formats, parameters, environment).
    document : Path
        The ``.qmd`` file.
    build_root : Path
        Temporary folder of the whole render.
    progress : Progress
        Where steps are reported.

    Returns
    -------
    BuiltDocument
        Built files and where they go.
    """
    project = job.project
    name = project.relative(document)
    parsed = parse_qmd(document)
    common, formats = project.document_metadata(document, parsed.front_matter, job.formats)
    _check_formats(list(formats), name)

    try:
        relative_dir = document.resolve().parent.relative_to(project.root)
    except ValueError:
        relative_dir = Path(document.stem)
    build_dir = build_root / relative_dir
    build_dir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    kernel_ready: list[float] = []

    def ready() -> None:
        kernel_ready.append(time.perf_counter())
        progress.record(name, "kernel start", kernel_ready[0] - started)

    execute_options = common.get("execute") or {}
    executed = execute_document(
        parsed,
        name=name,
        execute=execute_options if isinstance(execute_options, dict) else {},
        params=job.params,
        env=job.env,
        log=build_dir / f"{document.stem}.kernel.log",
        on_kernel_ready=ready,
        print_dpi=PRINT_DPI if "docx" in formats else None,
    )
    n_cells = len(parsed.cells)
    progress.record(
        name,
        "execute",
        time.perf_counter() - (kernel_ready[0] if kernel_ready else started),
        f"{n_cells} cell{'s' if n_cells != 1 else ''}",
    )

    crossref = common.get("crossref") if isinstance(common.get("crossref"), dict) else None

    cache = state_dir(project.root) / "converted"

    def convert(fmt: str) -> tuple[str, Path]:
        meta = formats[fmt]
        markdown = assemble_markdown(executed, fmt, build_dir, meta.get("crossref") or crossref)

        def build() -> Path:
            with progress.step(name, f"pandoc {fmt}"):
                built, warnings = run_pandoc(
                    meta,
                    fmt,
                    markdown,
                    build_dir,
                    document.stem,
                    [document.parent],
                    document.stem,
                    params=job.params,
                )
            for line in warnings.splitlines():
                progress.message(f"{name}: pandoc: {line}")
            if fmt == "typst":
                pdf = build_dir / f"{document.stem}.pdf"
                with progress.step(name, "typst pdf"):
                    for warning in compile_pdf(built, pdf, build_dir):
                        progress.message(f"{name}: typst: {warning}")
                built = pdf
            return built

        key = conversion_key(markdown, fmt, meta, job.params, build_dir, [document.parent])
        target = build_dir / f"{document.stem}{_BUILT_SUFFIX.get(fmt, '.' + fmt)}"
        built, reused = converted(cache, key, target, build)
        if reused:
            progress.record(name, f"{fmt} reused (same document)", 0.0)
        return fmt, built

    if len(formats) > 1 and job.parallel_formats:
        results = dict(run_all(convert, list(formats)))
    else:
        results = dict(convert(fmt) for fmt in formats)
    outputs = {
        fmt: (results[fmt], project.output_path(document, fmt, job.output_dir)) for fmt in formats
    }
    return BuiltDocument(document, outputs)


def render_project(job: RenderJob, progress: Progress | None = None) -> list[Path]:
    """Render ``job.documents`` with the built-in engine and publish the outputs.

    Parameters
    ----------
    job : RenderJob
        What to render.
    progress : Progress, optional
        Where steps are reported (default: stderr).

    Returns
    -------
    list of Path
        The output files written (the documents; the post-render commands report theirs).

    Raises
    ------
    RenderError
        From the pre-render step, a cell, pandoc, Typst, a post-render command or the
        publish step; nothing is published then and the previous outputs are whole. A failed
        pre- or post-render command raises :class:`~itp_stats.render.errors.PreRenderError`,
        whose ``exit_status`` keeps the command's 1 or 2 (the gate: a critical rule failed,
        the data file cannot be read).
    RenderLockedError
        Another render of the project is running (nothing is done).
    """
    progress = progress or Progress()
    project = job.project
    if not job.documents:
        raise ProjectError(f"nothing to render in {project.root}")
    output_dir = job.output_dir or project.output_dir
    if output_dir is not None and output_dir.is_symlink():
        output_dir = output_dir.resolve()  # publish where it points, keep the link
    if output_dir is not None:
        check_output_folder(output_dir)
    with interruptible(), render_lock(project.root, output_dir):
        refuse_if_quarto_running(project.root)
        remove_stale_staging(project.root)
        cleaned = clean_leftovers(project.root, output_dir)
        if cleaned:
            progress.message(f"removed {len(cleaned)} leftover(s) of an interrupted render")
        return _render_locked(job, output_dir, progress)


def _render_locked(job: RenderJob, output_dir: Path | None, progress: Progress) -> list[Path]:
    project = job.project
    all_inputs = {p.resolve() for p in project.inputs()}
    whole = {p.resolve() for p in job.documents} == all_inputs
    env = pre_render_environment(
        project.root, job.documents, output_dir, render_all=whole, extra=job.env
    )
    if project.pre_render:
        run_pre_render(project.pre_render, project.root, env, progress)

    try:
        build_root = build_folder(project.root)
    except OSError as exc:
        raise OutputError(
            f"cannot create the render's working folder in {project.root / '.itp-stats'} "
            f"({exc.strerror}); nothing was rendered"
        ) from None
    try:
        try:
            built = _build(job, build_root, progress)
        except OSError as exc:
            raise OutputError(
                f"cannot write the render's working files in {build_root} "
                f"({exc.strerror or exc}); nothing was published and the previous outputs "
                "are unchanged"
            ) from None
        pairs = [pair for doc in built for pair in doc.outputs.values()]
        if output_dir is None:  # outputs beside their sources: one file at a time
            try:
                written = install_files(pairs)
            except OSError as exc:
                raise OutputError(f"cannot write the outputs ({exc.strerror})") from None
            _wrote(written, progress)
            if project.post_render:
                run_pre_render(project.post_render, project.root, env, progress, "post-render")
            return written
        staged = stage(output_dir, carry_over=not whole, keep=PLAN_OUTPUTS)
        try:
            written = stage_files(pairs, staged, output_dir)
            kill_point("staged")
            if project.post_render:
                top = output_dir.resolve()
                in_staged = [staged / t.resolve().relative_to(top) for t in written]
                post_env = post_render_environment(env, staged, in_staged, project.root) | {
                    # where the staged files will be once published (for the commands' messages)
                    "ITP_STATS_PUBLISHED_OUTPUT_DIR": str(output_dir),
                }
                _post_render(project.post_render, project.root, post_env, progress)
            kill_point("post-rendered")
            publish(staged, output_dir)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        _wrote(written, progress)
        return written
    finally:
        shutil.rmtree(build_root, ignore_errors=True)


def _build(job: RenderJob, build_root: Path, progress: Progress) -> list[BuiltDocument]:
    workers = max(1, min(len(job.documents), job.parallel or os.cpu_count() or 1))
    # in daemon threads even one at a time: Ctrl-C reaches this thread at once (run_all)
    return run_all(
        lambda doc: render_document(job, doc, build_root, progress), job.documents, workers
    )


def _post_render(commands: list[str], root: Path, env: dict[str, str], progress: Progress) -> None:
    """Run the post-render commands into the staged folder; on failure nothing is published."""
    try:
        run_pre_render(commands, root, env, progress, "post-render")
    except PreRenderError as exc:
        status = f" (exit status {exc.returncode})" if exc.returncode is not None else ""
        raise PreRenderError(
            f"post-render command `{exc.command}` failed{status}; nothing was published and "
            "the previous outputs are unchanged",
            exc.command,
            exc.returncode,
        ) from None


def _wrote(written: list[Path], progress: Progress) -> None:
    for path in written:
        progress.message(f"wrote {_display(path)}")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
