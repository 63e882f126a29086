"""Shared fixtures, and helpers for studies of one's own (imported as ``conftest``)."""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import yaml
from render_support import copy_report_project, run_cli, tree_state

from itp_stats.files import exclusive_lock

ROOT = Path(__file__).resolve().parents[1]
AUDIT = Path(__file__).resolve().parent / "audit"
"""The folder of the audit hook the render tests put on ``PYTHONPATH``."""

Edit = Callable[[dict[str, Any]], None]


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches the tests and their renders even when the suite was started where
    SIGINT is ignored (a shell's background job: ``make test &``). An ignored signal stays
    ignored in every child process and Python then installs no handler, so the Ctrl-C tests
    would see no interrupt; a handled one is reset to the default in children, as a terminal
    user's are."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root."""
    return ROOT


@pytest.fixture(scope="session")
def cohort_path(root: Path) -> Path:
    """The shipped synthetic cohort."""
    return root / "data" / "cohort.csv"


@pytest.fixture(scope="session")
def shipped_render(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """The report's project rendered once for the whole session, by the built-in engine.

    A copy of the shipped project (``_quarto.yml``, ``report/``, ``data/``) rendered to HTML,
    PDF and Word with the default parameters, ``ITP_STATS_ROOT`` set to it: the render that
    several modules made each for themselves (the bundle, the facade, the documents' layout,
    the plan kept by a whole render, Ctrl-C). A whole render takes half a minute; copying the
    rendered project takes a fraction of a second. Under pytest-xdist the workers share it
    (the first renders under a lock, the others wait for it).

    Yields ``project`` (the folder), ``log`` (the render's stderr and stdout) and ``opens``,
    the log of every open of the cohort file and the study configuration by the render's
    processes (``tests/audit/sitecustomize.py``: the gate, the kernels). The project
    is shared: a test never changes it but works on a copy
    (:func:`render_support.copy_rendered_project`); the teardown fails if a file of it changed.
    """
    # under pytest-xdist the workers share one render: the first renders, the others wait
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    folder = base / "shipped-render"
    project = folder / "project"
    opens, log_file, done = folder / "opens.log", folder / "render.log", folder / "rendered"
    with exclusive_lock(base / "shipped-render.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that died half-way
            folder.mkdir(parents=True)
            status, log = _render_shipped(project, opens)
            log_file.write_text(log, encoding="utf-8")
            assert status == 0, log
            done.touch()
    before = tree_state(project)
    yield SimpleNamespace(project=project, log=log_file.read_text(encoding="utf-8"), opens=opens)
    assert tree_state(project) == before, "a test changed the shared render: copy it first"


def _render_shipped(project: Path, opens: Path) -> tuple[int, str]:
    """Copy the report's project to ``project`` and render it, its processes (the gate, the
    kernels) logging their opens of the cohort and the study configuration to ``opens``."""
    copy_report_project(project)
    opens.touch()
    watched = [project / "data" / "cohort.csv", ROOT / "data" / "study.yaml"]
    with pytest.MonkeyPatch.context() as mp:  # the shipped study and data, whatever ran before
        for name in ("ITP_STATS_STUDY", "ITP_STATS_DATA"):
            mp.delenv(name, raising=False)
        paths = [str(AUDIT), os.environ.get("PYTHONPATH")]
        mp.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))
        mp.setenv("AUDIT_WATCH", os.pathsep.join(os.path.realpath(p) for p in watched))
        mp.setenv("AUDIT_LOG", str(opens))
        return run_cli(
            "render", str(project), "--engine", "builtin", "--to", "html,pdf,docx", root=project
        )


# --- studies of one's own: the shipped dictionary and study copied to tmp_path, edited ------


def copy_study(
    folder: Path, dictionary_edit: Edit | None = None, study_edit: Edit | None = None
) -> Path:
    """Copy the shipped ``study.yaml`` and ``dictionary.yaml`` into ``folder``, edited.

    Each edit receives the parsed YAML mapping and changes it in place. Returns the copied
    study configuration (its ``dictionary`` is the copy next to it). The repository's files
    are only read.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, edit in (("dictionary.yaml", dictionary_edit), ("study.yaml", study_edit)):
        raw = yaml.safe_load((ROOT / "data" / name).read_text(encoding="utf-8"))
        if edit is not None:
            edit(raw)
        files[name] = folder / name
        files[name].write_text(
            yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return files["study.yaml"]


def _m6_to_m12(text: str) -> str:
    return re.sub(r"_m6\b", "_m12", text)


def twelve_month_dictionary(d: dict[str, Any]) -> None:
    """A 12-month study: ``m6`` columns become ``m12``, ``followup_months`` is ``fu_months``."""
    d["name"] = "twelve-month-cohort"
    d["timepoints"] = {"m0": "Rituximab start", "m12": "12 months"}
    columns = {}
    for name, spec in d["columns"].items():
        spec = dict(spec)
        if spec.get("timepoint") == "m6":
            spec["timepoint"] = "m12"
        if spec.get("parent"):
            spec["parent"] = _m6_to_m12(spec["parent"])
        spec["label"] = spec["label"].replace("6 months", "12 months")
        columns["fu_months" if name == "followup_months" else _m6_to_m12(name)] = spec
    d["columns"] = columns


def twelve_month_study(s: dict[str, Any]) -> None:
    """The study of :func:`twelve_month_dictionary`: response at 12 months, 12-month follow-up."""
    s["group"]["column"] = "response_m12"
    derive = s["group"]["derive"]
    for key in ("platelets", "bleeding", "rescue"):
        derive[key] = _m6_to_m12(derive[key])
    derive["into"] = "response_12m_derived"
    s["timepoints"] = {
        "baseline": "m0",
        "followup": "m12",
        "followup_months": 12,
        "followup_column": "fu_months",
    }


def twelve_month_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Shipped-cohort cells renamed for the 12-month study; followed patients reach 12 months."""
    out = frame.rename(columns=lambda c: "fu_months" if c == "followup_months" else _m6_to_m12(c))
    followed = out["response_m12"] != ""
    months = out.loc[followed, "fu_months"].astype(float) + 12
    out.loc[followed, "fu_months"] = months.map(lambda v: f"{v:.1f}")
    return out


def recorded_group_dictionary(d: dict[str, Any]) -> None:
    """Responders and non-responders recorded, no derivation (another study's group)."""
    d["name"] = "recorded-response-cohort"
    group = d["columns"]["response_m6"]
    group["label"] = "Responder at 6 months"
    group["categories"] = ["responder", "non-responder"]


def recorded_group_study(s: dict[str, Any]) -> None:
    """The study of :func:`recorded_group_dictionary`: the recorded column is the group."""
    s["group"] = {"column": "response_m6", "levels": ["responder", "non-responder"]}
    for endpoint in s.get("time_to_event") or []:  # the responders are one group here
        if endpoint.get("population") not in (None, "all"):
            endpoint.update(population=["responder"], compare=None)


def recorded_group_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Shipped-cohort cells with CR/PR recorded as responder and NR as non-responder."""
    out = frame.copy()
    out["response_m6"] = out["response_m6"].map(
        {"CR": "responder", "PR": "responder", "NR": "non-responder", "": ""}
    )
    return out


@pytest.fixture
def own_study(tmp_path, monkeypatch) -> Callable[..., Path]:
    """Make a study in ``tmp_path/study`` (see :func:`copy_study`) and use it.

    Sets ``ITP_STATS_STUDY`` to the copy and ``ITP_STATS_ROOT`` to ``tmp_path`` (so the
    project's ``validation/`` is ``tmp_path/validation``, empty); returns a function taking
    the two edits and returning the study file.
    """

    def make(dictionary_edit: Edit | None = None, study_edit: Edit | None = None) -> Path:
        study = copy_study(tmp_path / "study", dictionary_edit, study_edit)
        monkeypatch.setenv("ITP_STATS_STUDY", str(study))
        monkeypatch.setenv("ITP_STATS_ROOT", str(tmp_path))
        monkeypatch.delenv("ITP_STATS_DATA", raising=False)
        return study

    return make
