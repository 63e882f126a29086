"""``itp-stats render``: arguments, engine choice, and the Quarto engine's command lines."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from render_support import copy_fixture_project

from itp_stats.cli import main
from itp_stats.render import cli
from itp_stats.render.errors import ProjectError
from itp_stats.render.quarto import quarto_commands


def test_parse_params_reads_yaml_values_and_both_separators():
    params = cli.parse_params(["alpha=0.01", "n_boot:500", "name=a=b", "flag=true", "d=2024-01-02"])
    assert params == {"alpha": 0.01, "n_boot": 500, "name": "a=b", "flag": True, "d": "2024-01-02"}
    assert cli.parse_params(["path=C:/x"]) == {"path": "C:/x"}
    assert cli.parse_params(["empty="]) == {"empty": ""}
    with pytest.raises(ProjectError, match="KEY=VALUE"):
        cli.parse_params(["novalue"])


def test_parse_formats_maps_pdf_to_typst():
    assert cli.parse_formats("html,pdf,docx") == ["html", "typst", "docx"]
    assert cli.parse_formats(" PDF , pdf ") == ["typst"]
    assert cli.parse_formats(None) is None
    with pytest.raises(ProjectError, match="choose among"):
        cli.parse_formats("latex")


@pytest.fixture
def project(tmp_path):
    return copy_fixture_project(tmp_path / "project")


def test_resolve_targets(project, monkeypatch):
    _, docs, whole = cli.resolve_targets([str(project)])
    assert [d.name for d in docs] == ["main.qmd", "supp.qmd"] and whole
    _, docs, whole = cli.resolve_targets([str(project / "docs" / "supp.qmd")])
    assert [d.name for d in docs] == ["supp.qmd"] and not whole
    monkeypatch.chdir(project / "docs")
    monkeypatch.delenv("ITP_STATS_ROOT", raising=False)
    found, docs, whole = cli.resolve_targets([])
    assert found.root == project and whole
    for bad, message in [("nope.qmd", "no such file"), ("../_quarto.yml", "not a .qmd")]:
        with pytest.raises(ProjectError, match=message):
            cli.resolve_targets([bad])


def test_a_lone_document_outside_a_project(tmp_path):
    doc = tmp_path / "alone" / "d.qmd"
    doc.parent.mkdir()
    doc.write_text("x\n")
    project, docs, whole = cli.resolve_targets([str(doc)])
    assert project.root == doc.parent and docs == [doc] and whole


def test_builtin_engine_gets_the_job(project, monkeypatch, tmp_path):
    jobs = []
    monkeypatch.setattr(cli, "render_project", lambda job, progress: jobs.append(job))
    monkeypatch.setattr(cli, "find_quarto", lambda: "/usr/bin/quarto")
    data = project / "data" / "cohort.csv"
    status = main(
        ["render", str(project), "--engine", "builtin", "--to", "pdf", "-P", "alpha=0.1",
         "-P", f"data={os.path.relpath(data)}", "--output-dir", str(tmp_path / "o")]
    )  # fmt: skip
    assert status == 0
    (job,) = jobs
    assert job.formats == ["typst"] and job.output_dir == tmp_path / "o"
    assert job.params == {"alpha": 0.1, "data": str(data)}
    assert job.env == {"ITP_STATS_DATA": str(data)}


def test_missing_data_file_is_a_one_line_error(project, capsys):
    assert main(["render", str(project), "-P", "data=/no/such.csv"]) == 2
    assert capsys.readouterr().err.strip() == (
        "itp-stats render: error: -P data=/no/such.csv: no such file"
    )


def test_quarto_command_lines():
    commands = quarto_commands(
        "quarto", [None], ["html", "typst"], {"alpha": 0.1, "flag": False}, Path("/o")
    )
    assert commands == [
        ["quarto", "render", "--to", "html,typst", "--output-dir", "/o",
         "-P", "alpha:0.1", "-P", "flag:false"]
    ]  # fmt: skip
    per_document = quarto_commands("q", [Path("a.qmd"), Path("b.qmd")], None, {}, None)
    assert per_document == [["q", "render", "a.qmd"], ["q", "render", "b.qmd"]]


FAKE_QUARTO = """#!{python}
import json, os, sys
with open(os.environ["FAKE_QUARTO_LOG"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(),
                          "data": os.environ.get("ITP_STATS_DATA")}}) + "\\n")
sys.exit(int(os.environ.get("FAKE_QUARTO_STATUS", "0")))
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(FAKE_QUARTO.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "quarto.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    return log


def _calls(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_auto_engine_uses_quarto_when_on_path(project, fake_quarto):
    data = project / "data" / "cohort.csv"
    status = main(
        ["render", str(project), "--to", "html,pdf", "-P", "label_text=x1", "-P", f"data={data}"]
    )
    assert status == 0
    (call,) = _calls(fake_quarto)
    assert call["argv"] == [
        "render", "--to", "html,typst", "-P", "label_text:x1", "-P", f"data:{data}"
    ]  # fmt: skip
    assert call["cwd"] == str(project) and call["data"] == str(data)
    assert not (project / "_output").exists()  # the built-in engine did not run


def test_quarto_renders_given_documents_one_by_one(project, fake_quarto):
    docs = [str(project / "docs" / "main.qmd"), str(project / "docs" / "supp.qmd")]
    main(["render", docs[1], "--engine", "quarto"])
    assert _calls(fake_quarto)[0]["argv"] == ["render", docs[1]]


def test_quarto_failure_is_reported(project, fake_quarto, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_QUARTO_STATUS", "4")
    assert main(["render", str(project), "--engine", "quarto"]) == 1
    assert "quarto render failed (exit status 4)" in capsys.readouterr().err


def test_explicit_quarto_engine_without_quarto(project, monkeypatch, capsys):
    monkeypatch.setattr(cli, "find_quarto", lambda: None)
    monkeypatch.setattr("itp_stats.render.quarto.find_quarto", lambda: None)
    assert main(["render", str(project), "--engine", "quarto"]) == 1
    assert "Quarto CLI is not on PATH" in capsys.readouterr().err


UNREADABLE_GATE = """import sys
print("itp-stats gate: error: data/cohort.csv: the file is empty", file=sys.stderr)
sys.exit(2)
"""


def test_render_exits_2_when_the_gate_finds_the_data_unreadable(project, capsys):
    (project / "gate.py").write_text(UNREADABLE_GATE, encoding="utf-8")
    assert main(["render", str(project), "--engine", "builtin"]) == 2
    err = capsys.readouterr().err
    assert "data/cohort.csv: the file is empty" in err  # the gate's own message, shown
    last = err.strip().splitlines()[-1]
    assert last == (
        "itp-stats render: error: pre-render command `gate.py` failed (exit status 2); "
        "nothing was rendered and previous outputs are unchanged"
    )
    assert "Traceback" not in err and not (project / "_output").exists()


@pytest.mark.slow
def test_render_of_a_utf16_cohort_exits_2_naming_the_encoding(project, tmp_path, capsys):
    """End to end: the real gate as pre-render step, a UTF-16 export (Excel "Unicode Text")."""
    config = project / "_quarto.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "pre-render: gate.py", "pre-render: itp-stats gate"
        ),
        encoding="utf-8",
    )
    data = tmp_path / "unicode.csv"
    data.write_bytes(b"\xff\xfe" + "patient_id\tnk_m0\r\nP1\t130\r\n".encode("utf-16-le"))
    status = main(["render", str(project), "--engine", "builtin", "-P", f"data={data}"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert f"{data}: the file is UTF-16 LE text" in err and "CSV UTF-8" in err
    assert "pre-render command `itp-stats gate` failed (exit status 2)" in err
    assert "Traceback" not in err and "binary" not in err
    assert not (project / "_output").exists()


# -- parameters checked before any work ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def report_project(tmp_path, monkeypatch):
    """The study report's two documents in a project whose render must never start."""
    project = tmp_path / "report-project"
    (project / "report").mkdir(parents=True)
    for name in ("index.qmd", "supplement.qmd"):
        (project / "report" / name).write_bytes((ROOT / "report" / name).read_bytes())
    (project / "_quarto.yml").write_text(
        "project:\n  render: [report/index.qmd, report/supplement.qmd]\n  output-dir: _output\n"
        "  pre-render: itp-stats gate\n",
        encoding="utf-8",
    )

    def never(*args, **kwargs):
        raise AssertionError("the render started")

    monkeypatch.setattr(cli, "render_project", never)
    monkeypatch.setattr(cli, "render_with_quarto", never)
    return project


def test_document_parameters_are_read_from_the_parameters_cells():
    declared = cli.document_parameters([ROOT / "report" / "index.qmd"])
    assert declared == {
        "data": "data/cohort.csv",
        "study": "data/study.yaml",
        "alpha": 0.05,
        "adjust": "holm",
        "n_boot": 2000,
        "seed": 20230601,
        "synthetic": False,
        "manuscript": False,
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "alpah=0.01",
            "-P alpah=0.01: unknown parameter (did you mean alpha?); the documents' "
            "parameters are data, study, alpha, adjust, n_boot, seed, synthetic, manuscript",
        ),
        (
            "adjust=bonferoni",
            "-P adjust=bonferoni: expected one of bh, bonferroni, fdr, holm "
            "(did you mean bonferroni?)",
        ),
        ("alpha=abc", "-P alpha=abc: expected a number between 0 and 1 (exclusive), e.g. 0.05"),
        ("alpha=2", "-P alpha=2: expected a number between 0 and 1 (exclusive), e.g. 0.05"),
        ("alpha=0", "-P alpha=0: expected a number between 0 and 1 (exclusive), e.g. 0.05"),
        ("n_boot=0", "-P n_boot=0: expected a whole number of at least 1"),
        ("n_boot=2.5", "-P n_boot=2.5: expected a whole number of at least 1"),
        ("seed=-3", "-P seed=-3: expected a whole number of at least 0"),
        ("synthetic=maybe", "-P synthetic=maybe: expected true or false"),
    ],
)
def test_bad_parameters_are_refused_before_any_work(report_project, capsys, item, message):
    status = main(["render", str(report_project), "--engine", "builtin", "-P", item])
    err = capsys.readouterr().err
    assert status == 2
    assert err == f"itp-stats render: error: {message}\n"
    assert not (report_project / ".itp-stats").exists()  # not even the gate ran
    assert not (report_project / "_output").exists()


def test_good_parameters_are_typed_as_their_defaults(report_project, monkeypatch):
    jobs = []
    monkeypatch.setattr(cli, "render_project", lambda job, progress: jobs.append(job))
    params = ["alpha=1e-2", "adjust=BH", "n_boot=500", "seed=7", "synthetic=true"]
    args = ["render", str(report_project), "--engine", "builtin"]
    assert main(args + [f"-P{p}" for p in params]) == 0
    assert jobs[0].params == {
        "alpha": 0.01,
        "adjust": "bh",
        "n_boot": 500,
        "seed": 7,
        "synthetic": True,
    }


def test_the_same_check_for_the_quarto_engine(report_project, capsys, fake_quarto):
    status = main(["render", str(report_project), "--engine", "quarto", "-P", "alpah=0.01"])
    assert status == 2 and "unknown parameter (did you mean alpha?)" in capsys.readouterr().err
    assert not fake_quarto.exists()  # quarto never started


def test_a_documents_own_parameters_are_known(project, monkeypatch):
    jobs = []
    monkeypatch.setattr(cli, "render_project", lambda job, progress: jobs.append(job))
    assert main(["render", str(project), "--engine", "builtin", "-P", "label_text=42"]) == 0
    assert jobs[0].params == {"label_text": "42"}  # text, as its default


def test_render_outside_a_project_names_the_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ITP_STATS_ROOT", raising=False)
    assert main(["render", "--engine", "builtin"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"itp-stats render: error: no _quarto.yml in {tmp_path} or its parents: run "
        "itp-stats render inside the project, or name the project folder\n"
    )


HOLD_RENDER_LOCK = """
import sys, time
from pathlib import Path
from itp_stats.render.outputs import render_lock
with render_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("engine", ["builtin", "quarto"])
def test_a_second_render_of_the_project_is_refused(project, capsys, fake_quarto, engine):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RENDER_LOCK, str(project)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        status = main(["render", str(project), "--engine", engine])
        err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert status == 1
    assert err.startswith(
        f"itp-stats render: error: another render of {project} is running (pid {holder.pid} "
    )
    assert err.endswith("this one was refused and nothing was changed: render again when it "
                        "has finished\n")  # fmt: skip
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (project / "_output").exists() and not fake_quarto.exists()
