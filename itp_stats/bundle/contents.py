"""What a submission bundle holds: the files of the last render, checked to belong together.

The render publishes the documents, figure files and tables into the output folder
(``_output/``) and ``itp-stats plan`` the statistical analysis plan beside them; the render
keeps the validation record and the export's manifest in the run state (``.itp-stats/``).
:func:`gather` reads them back, refuses a set that does not belong to one render of one
cohort (a table that differs from its export, a validation record of another file, a study
configuration edited since, a plan of another configuration or not the one the report
cites), and returns the bytes to bundle with the facts the manifest records.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itp_stats import __version__
from itp_stats.errors import ItpStatsError

__all__ = ["BundleError", "Contents", "DOCUMENTS", "FORMATS", "gather", "git_commit"]

DOCUMENTS = ("index", "supplement")
"""The rendered documents every bundle holds (in ``report/``)."""

FORMATS = ("html", "pdf", "docx")
"""The formats every document is bundled in."""


class BundleError(ItpStatsError):
    """The outputs cannot be bundled (missing, or not of one render): exit status 1."""


@dataclass
class Contents:
    """The files of a bundle and what the manifest says about their origin.

    Attributes
    ----------
    files : dict of str to bytes
        Path in the bundle → bytes, in bundle order.
    facts : dict
        ``study``, ``dictionary``, ``data_model_sha256``, ``data``, ``parameters``,
        ``validation`` and ``code`` entries of the manifest.
    title : str
        The study's title (the JATS stub's article title).
    authors, keywords : tuple of str
        The documents' authors and keywords (the JATS stub).
    """

    files: dict[str, bytes] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


def _read(path: Path, what: str, remedy: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{path}: no {what}; {remedy}") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot read the {what} ({exc.strerror})") from None


def git_commit(root: Path) -> str | None:
    """The git commit of ``root`` (``+dirty`` when tracked files changed), or None."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plan(config, output_dir: Path, files: dict[str, bytes]) -> dict[str, Any]:
    """Add the analysis plan (its documents and record) to ``files``; return its record.

    The rendered plan must print the digest of this configuration's plan, and the rendered
    report must cite it.
    """
    from itp_stats.report.sap import plan_record

    record = plan_record(config)
    again = f"render the plan again (itp-stats plan --study {config.path}), then bundle"
    for fmt in FORMATS:
        path = output_dir / "report" / f"plan.{fmt}"
        files[f"report/plan.{fmt}"] = _read(path, "statistical analysis plan", again)
    if record["sha256"].encode() not in files["report/plan.html"]:
        raise BundleError(
            f"{output_dir / 'report' / 'plan.html'}: not the analysis plan of {config.path}; "
            f"{again}"
        )
    if record["sha256"][:12].encode() not in files["report/index.html"]:
        raise BundleError(
            f"{output_dir / 'report' / 'index.html'}: the report cites another analysis plan; "
            "render the report again (make report), then the plan, then bundle"
        )
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    files["plan/sap.json"] = text.encode("utf-8")
    return record


def _checklist(source: dict[str, Any], config, output_dir: Path) -> dict[str, bytes]:
    """The STROBE checklist of the rendered study, with its PDF pages (CSV and Word)."""
    from itp_stats.bundle.checklist import checklist_files, locate_pages
    from itp_stats.report.facade import setup
    from itp_stats.report.strobe import checklist

    params = {
        k: source[k] for k in ("alpha", "adjust", "n_boot", "seed", "synthetic") if k in source
    }
    study = setup(source["data"], study=str(config.path), export=False, **params)
    pdfs = {name: output_dir / "report" / f"{name}.pdf" for name in DOCUMENTS}
    return checklist_files(locate_pages(checklist(study), pdfs), config.title)


def gather(root: Path, output_dir: Path, state: Path, *, extra: dict[str, bytes] | None = None):
    """Collect the files of the last render into a :class:`Contents`.

    Parameters
    ----------
    root : Path
        The project folder (its git commit is the code version).
    output_dir : Path
        Where the render published (``_output``).
    state : Path
        The run-state folder (``.itp-stats``): the export's manifest and the gate's record.
    extra : dict of str to bytes, optional
        More files to bundle, after the others.

    Returns
    -------
    Contents

    Raises
    ------
    BundleError
        A checklist pointer the PDF does not bear out (:class:`~itp_stats.bundle.checklist.
        ChecklistError`); a document, format, figure folder or table missing; the plan missing, of
        another configuration, or not the one the report cites; a published table that differs
        from the export of the render; a validation record that is not of the cohort the
        tables were computed from, or did not pass; a study configuration or dictionary
        changed since the render.
    """
    from itp_stats.gate.result import dictionary_sha256, load_gate_result
    from itp_stats.report.export import read_manifest
    from itp_stats.study.config import load_study

    again = "render the report again (make report), then bundle"
    try:
        export = read_manifest(state / "tables")
    except ItpStatsError as exc:
        raise BundleError(f"no result tables of a finished render ({exc}); {again}") from None
    source = export.get("source") or {}
    contents = Contents()
    files = contents.files
    for document in DOCUMENTS:
        for fmt in FORMATS:
            path = output_dir / "report" / f"{document}.{fmt}"
            files[f"report/{document}.{fmt}"] = _read(path, "rendered document", again)
    figures = output_dir / "figures"
    if not figures.is_dir() or not any(figures.iterdir()):
        raise BundleError(f"{figures}: no figure files; {again}")
    for path in sorted(figures.iterdir()):
        if path.is_file():
            files[f"figures/{path.name}"] = _read(path, "figure file", again)
    for entry in export["files"]:
        path = output_dir / "tables" / entry["name"]
        data = _read(path, "result table", again)
        if _sha(data) != entry["sha256"]:
            raise BundleError(f"{path}: not the table the last render exported; {again}")
        files[f"tables/{entry['name']}"] = data
    gate_path = state / "gate.json"
    gate_bytes = _read(gate_path, "validation record", again)
    gate = load_gate_result(gate_path)
    if gate is None or not gate.passed:
        raise BundleError(f"{gate_path}: not a passed validation record; {again}")
    if gate.data_sha256 != source.get("data_sha256"):
        raise BundleError(
            f"{gate_path}: the validation record is of another cohort than the result tables; "
            f"{again}"
        )
    files["validation/gate.json"] = gate_bytes
    config = load_study(source.get("study"))
    model = dictionary_sha256(config.dictionary)
    if model != gate.dictionary_sha256:
        raise BundleError(
            f"{config.path}: the study configuration or its dictionary changed since the "
            f"render; {again}"
        )
    plan = _plan(config, output_dir, files)
    files.update(_checklist(source, config, output_dir))
    files.update(extra or {})
    dictionary = Path(config.dictionary.path)
    contents.facts = {
        "study": {"name": config.name, "file": config.path.name, "sha256": config.sha256},
        "dictionary": {"file": dictionary.name, "sha256": _sha(dictionary.read_bytes())},
        "data_model_sha256": model,
        "plan_sha256": plan["sha256"],
        "data": {
            "file": Path(str(source.get("data", ""))).name,
            "sha256": source.get("data_sha256"),
            "rows": gate.n_rows,
        },
        "parameters": {
            k: v for k, v in source.items() if k not in {"data", "data_sha256", "study_key"}
        }
        | {"study": config.path.name},
        "validation": {
            "passed": gate.passed,
            "rules": len(gate.steps),
            "suite_sha256": gate.suite_sha256,
        },
        "code": {
            "itp_stats": __version__,
            "git_commit": git_commit(root),
            "code_sha256": gate.code_sha256,
        },
    }
    contents.title = config.title
    contents.authors = tuple(a.name for a in config.authors)
    contents.keywords = tuple(config.keywords)
    return contents
