"""The kernel: this interpreter, the document's folder, inline figures as PNG and SVG."""

from __future__ import annotations

import sys

import pytest

from itp_stats.render.kernel import INLINE_BACKEND, KernelSession, kernel_environment


def test_kernel_environment_overrides_an_inherited_agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    env = kernel_environment({"ITP_STATS_DATA": "/data/x.csv"})
    assert env["MPLBACKEND"] == INLINE_BACKEND
    assert env["ITP_STATS_DATA"] == "/data/x.csv"
    assert env["PATH"].split(":")[0] == str(__import__("pathlib").Path(sys.executable).parent)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernel")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")
        with KernelSession(folder, env={"ITP_TEST_VAR": "yes"}, log=folder / "k.log") as kernel:
            yield folder, kernel


def test_kernel_runs_this_python_in_the_given_folder(session):
    folder, kernel = session
    outputs = kernel.run(
        "import os, sys\nprint(sys.executable)\nprint(os.getcwd())\n"
        "print(os.environ['ITP_TEST_VAR'])"
    )
    lines = outputs[0]["text"].splitlines()
    assert lines == [sys.executable, str(folder), "yes"]


def test_figures_come_out_as_png_and_svg_despite_agg(session):
    _, kernel = session
    outputs = kernel.run("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    images = [o for o in outputs if o["output_type"] == "display_data"]
    assert len(images) == 1
    assert {"image/png", "image/svg+xml"} <= set(images[0]["data"])
    assert "<text" in images[0]["data"]["image/svg+xml"]  # SVG text kept as text


def test_errors_are_outputs_not_exceptions(session):
    _, kernel = session
    outputs = kernel.run("x = 1\nraise RuntimeError('boom')")
    assert outputs[-1]["output_type"] == "error"
    assert (outputs[-1]["ename"], outputs[-1]["evalue"]) == ("RuntimeError", "boom")


def test_a_kernel_that_cannot_start_is_a_render_error(tmp_path):
    from itp_stats.render.errors import RenderError

    with pytest.raises(RenderError, match="the Python kernel could not start"):
        with KernelSession(tmp_path / "no-such-folder"):
            pass
