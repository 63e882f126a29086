"""The kernel: this interpreter, the document's folder, inline figures as PNG and SVG."""

from __future__ import annotations

import base64
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


def test_print_figures_come_out_as_600_dpi_png_when_asked(tmp_path):
    import io

    from PIL import Image

    from itp_stats.render.kernel import PRINT_DPI, PRINT_PNG_MIME

    code = (
        "import io\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([1, 2])\nplt.show()"
    )
    offered = (
        "class Offered:\n"
        "    def _repr_png_(self):\n        return b'small'\n"
        "    def _repr_print_png_(self):\n        return b'\\x89PNG print'\n"
        "Offered()"
    )
    with KernelSession(tmp_path, print_dpi=PRINT_DPI) as kernel:
        figure = kernel.run(code)[0]["data"]
        other = kernel.run(offered)[0]["data"]
    with KernelSession(tmp_path) as kernel:
        plain = kernel.run(code)[0]["data"]
    image = Image.open(io.BytesIO(base64.b64decode(figure[PRINT_PNG_MIME])))
    assert round(image.info["dpi"][0]) == PRINT_DPI
    assert image.size[0] >= 4 * PRINT_DPI * 0.8  # 4 in wide, tight bounding box
    assert {"image/png", "image/svg+xml"} <= set(figure)  # the screen formats as before
    assert base64.b64decode(other[PRINT_PNG_MIME]) == b"\x89PNG print"
    assert PRINT_PNG_MIME not in plain


def test_papermill_is_in_the_kernels_python_for_quarto_parameters():
    """``quarto render -P`` injects parameters with papermill, in the kernel's Python."""
    import importlib.util
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert any(d.startswith("papermill") for d in project["project"]["dependencies"])
    assert importlib.util.find_spec("papermill") is not None  # this interpreter is the kernel's


@pytest.mark.parametrize("with_log", [False, True])
def test_a_session_leaves_no_kernel_and_no_connection_file(tmp_path, monkeypatch, with_log):
    import os
    import tempfile

    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read $TMPDIR again
    build = tmp_path / "build"
    build.mkdir()
    log = build / "k.log" if with_log else None
    with KernelSession(tmp_path, log=log) as kernel:
        assert kernel.run("print(1)")[0]["text"] == "1\n"
        process = kernel._client.km.provisioner.process
        connection = kernel._client.km.connection_file
        assert os.path.isfile(connection)
        assert os.path.dirname(connection) == str(build if with_log else private)
    assert process.poll() is not None  # the kernel stopped with the session
    assert not os.path.exists(connection)
    assert list(private.iterdir()) == []
    assert [p.name for p in build.iterdir()] == (["k.log"] if with_log else [])
