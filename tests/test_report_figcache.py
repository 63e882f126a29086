"""Figures drawn once per study: cached bytes are reused only when they verify."""

from __future__ import annotations

import io
import subprocess
import sys

from matplotlib.figure import Figure
from PIL import Image

from itp_stats.report.figcache import (
    SCREEN_DPI,
    SCREEN_SCALE,
    SUBMISSION_DPI,
    CachedFigure,
    figure_folder,
    study_key,
)


def _drawer(calls: list[int]):
    def draw() -> Figure:
        calls.append(1)
        fig = Figure(figsize=(2, 1.5))
        fig.add_subplot().plot([0, 1], [0, 1])
        return fig

    return draw


def test_a_figure_is_drawn_once_per_key_and_format(tmp_path):
    calls: list[int] = []
    folder = figure_folder(tmp_path, study_key({"data": "a"}))
    first = CachedFigure(folder, "fig-x", _drawer(calls))
    png, svg = first.png(), first.svg()
    assert png.startswith(b"\x89PNG") and "<svg" in svg
    assert len(calls) == 1  # one drawing serves both formats
    again = CachedFigure(folder, "fig-x", _drawer(calls))  # the next document, or render
    assert again.png() == png and again.svg() == svg
    assert len(calls) == 1
    other = figure_folder(tmp_path, study_key({"data": "b"}))  # another study: drawn again
    CachedFigure(other, "fig-x", _drawer(calls)).png()
    assert len(calls) == 2


def test_damaged_cache_is_redrawn_not_served(tmp_path):
    calls: list[int] = []
    folder = figure_folder(tmp_path, "k")
    png = CachedFigure(folder, "fig-x", _drawer(calls)).png()
    (cached,) = [p for p in folder.glob("fig-x.*.png")]
    cached.write_bytes(cached.read_bytes()[:-10] + b"0123456789")  # a flipped tail
    redrawn = CachedFigure(folder, "fig-x", _drawer(calls)).png()
    assert len(calls) == 2 and redrawn == png


def test_submission_files_are_vector_pdf_and_600_dpi_png(tmp_path):
    files = CachedFigure(figure_folder(tmp_path, "k"), "fig-x", _drawer([])).submission_files()
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    image = Image.open(io.BytesIO(files["png"].read_bytes()))
    assert round(image.info["dpi"][0]) == SUBMISSION_DPI
    assert image.size[0] >= 2 * SUBMISSION_DPI * 0.8  # about 2 inches wide at 600 dpi


def test_old_keys_are_pruned(tmp_path):
    for i in range(6):
        figure_folder(tmp_path, f"k{i}")
    assert len(list((tmp_path / "figures").iterdir())) == 4


def test_figures_for_submission_are_published_numbered(tmp_path):
    from itp_stats.report.figcache import publish_figures

    doc = tmp_path / "doc.qmd"
    doc.write_text("::: {#fig-a}\n:::\n\n::: {#fig-b}\n:::\n", encoding="utf-8")
    supp = tmp_path / "supp.qmd"
    supp.write_text(":::: {#suppfig-c}\n::::\n", encoding="utf-8")
    folder = figure_folder(tmp_path, "key")
    for label in ("fig-a", "fig-b", "suppfig-c"):
        CachedFigure(folder, label, _drawer([]), submission=True).svg()
    out = publish_figures(tmp_path, "key", [doc, supp], tmp_path / "_output" / "figures")
    names = sorted(p.name for p in out)
    assert names == sorted(f"{n}.{e}" for n in ("Figure 1", "Figure 2", "Figure S1")
                           for e in ("pdf", "png"))  # fmt: skip
    assert (tmp_path / "_output" / "figures" / "Figure S1.pdf").read_bytes().startswith(b"%PDF")
    # a damaged file is not published: the folder is left as it was
    (folder / "fig-b.submission.png").write_bytes(b"broken")
    assert publish_figures(tmp_path, "key", [doc, supp], tmp_path / "_output" / "figures") == []
    assert len(list((tmp_path / "_output" / "figures").iterdir())) == 6


def test_print_png_for_word_is_the_600_dpi_file(tmp_path):
    fig = CachedFigure(figure_folder(tmp_path, "k"), "fig-x", _drawer([]), submission=True)
    image = Image.open(io.BytesIO(fig.print_png()))
    assert round(image.info["dpi"][0]) == SUBMISSION_DPI


def test_screen_png_is_drawn_at_twice_the_size_it_is_shown(tmp_path):
    fig = CachedFigure(figure_folder(tmp_path, "k"), "fig-x", _drawer([]))
    image = Image.open(io.BytesIO(fig.png()))
    # not whatever matplotlib's rc says: 2 image pixels per page pixel
    assert SCREEN_SCALE == 2
    assert round(image.info["dpi"][0]) == SCREEN_DPI * SCREEN_SCALE
    width, height = fig.screen_size()
    assert (width, height) == (round(image.width / 2), round(image.height / 2))
    # the kernel gets the PNG with the size to show it at (outside a kernel: PNG and SVG)
    bundle, metadata = fig._repr_mimebundle_()
    assert {"image/png", "image/svg+xml"} <= set(bundle)
    assert metadata == {"image/png": {"width": width, "height": height}}


def test_a_cached_figure_is_served_without_importing_matplotlib(tmp_path):
    folder = figure_folder(tmp_path, "k")
    drawn = CachedFigure(folder, "fig-x", _drawer([]), submission=True)
    png, _ = drawn.png(), drawn.svg()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from itp_stats.report.figcache import CachedFigure\n"
        "def draw(): raise AssertionError('drawn again')\n"
        f"fig = CachedFigure(Path({str(folder)!r}), 'fig-x', draw, submission=True)\n"
        "sys.stdout.buffer.write(fig.png())\n"
        "fig.svg(); fig.print_png(); fig._repr_mimebundle_()\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == png


# Quarto's Jupyter set-up cell for each format (quarto-cli
# src/resources/jupyter/lang/python/setup.py): the figure size and dpi in matplotlib's rc,
# then `set_matplotlib_formats(fig_format)`.
_QUARTO_SETUP = (
    "import matplotlib.pyplot as plt\n"
    "plt.rcParams['figure.dpi'] = {dpi}\n"
    "plt.rcParams['savefig.dpi'] = 'figure'\n"
    "from matplotlib_inline.backend_inline import set_matplotlib_formats\n"
    "set_matplotlib_formats({fig_format!r})\n"
)


def test_under_quarto_a_figure_gives_only_the_formats_fig_format_asks(tmp_path):
    """Quarto picks SVG over PNG whenever both are offered (Word then gets an SVG pandoc
    cannot convert): a cached figure offers what the kernel's fig-format asks, and Word's
    fig-dpi gets the print file."""
    import base64

    from itp_stats.render.kernel import PRINT_PNG_MIME, KernelSession

    folder = figure_folder(tmp_path, "k")
    cached = CachedFigure(folder, "fig-x", _drawer([]), submission=True)
    cached.svg(), cached.png()  # every form cached: the kernels draw nothing
    show = (
        "from pathlib import Path\nfrom itp_stats.report.figcache import CachedFigure\n"
        "def draw(): raise AssertionError('drawn again')\n"
        f"CachedFigure(Path({str(folder)!r}), 'fig-x', draw, submission=True)"
    )
    seen = {}
    for name, fig_format, dpi in (("docx", "png", 600), ("typst", "svg", 96), ("html", "png", 96)):
        with KernelSession(tmp_path) as kernel:
            # a kernel as Quarto starts it: the inline backend's default rc (this session's
            # sets a screen dpi over Quarto's), then Quarto's set-up
            kernel.run(
                "from matplotlib_inline.config import InlineBackend\n"
                "InlineBackend.instance().rc = {}"
            )
            kernel.run(_QUARTO_SETUP.format(dpi=dpi, fig_format=fig_format))
            seen[name] = kernel.run(show)[0]["data"]
    assert set(seen["docx"]) - {"text/plain"} == {"image/png"}
    assert set(seen["typst"]) - {"text/plain"} == {"image/svg+xml"}
    assert set(seen["html"]) - {"text/plain"} == {"image/png"}
    word = Image.open(io.BytesIO(base64.b64decode(seen["docx"]["image/png"])))
    screen = Image.open(io.BytesIO(base64.b64decode(seen["html"]["image/png"])))
    assert round(word.info["dpi"][0]) == SUBMISSION_DPI
    assert round(screen.info["dpi"][0]) == SCREEN_DPI * SCREEN_SCALE
    # the built-in engine's kernel still gets every type, and the print PNG when it asks
    with KernelSession(tmp_path, print_dpi=600) as kernel:
        builtin = kernel.run(show)[0]["data"]
    assert {"image/png", "image/svg+xml", PRINT_PNG_MIME} <= set(builtin)


# -- files for submission: RGB, and the synthetic notice in their metadata ------------------

NOTICE = "These results were computed from a SYNTHETIC cohort (made by itp-stats synth)."


def _study_figure(synthetic: str):
    """A figure drawn by the figures module under a study context (synthetic or not)."""

    def draw() -> Figure:
        from itp_stats.report.figures import participant_flow, set_context

        set_context(synthetic=synthetic)
        try:
            return participant_flow({"assessed": 3, "groups": {"A": 2, "B": 1}})
        finally:
            set_context()

    return draw


def _metadata(files) -> tuple[dict, dict, str]:
    """PDF Info, PNG text chunks and PNG mode of submission files."""
    import pypdf

    info = dict(pypdf.PdfReader(files["pdf"]).metadata or {})
    image = Image.open(files["png"])
    return info, dict(image.text), image.mode


def test_submission_files_of_synthetic_data_carry_the_notice(tmp_path):
    folder = figure_folder(tmp_path, "k")
    files = CachedFigure(folder, "fig-x", _study_figure(NOTICE)).submission_files()
    info, text, mode = _metadata(files)
    assert info["/Subject"] == NOTICE
    assert "synthetic" in info["/Keywords"]
    assert text["Description"] == NOTICE
    assert text["Disclaimer"] == "Synthetic data"
    assert mode == "RGB"  # no alpha channel
    image = Image.open(files["png"])
    assert round(image.info["dpi"][0]) == SUBMISSION_DPI
    assert image.getpixel((0, 0)) == (255, 255, 255)  # the white ground


def test_submission_files_of_real_data_carry_no_notice(tmp_path):
    folder = figure_folder(tmp_path, "k")
    for name, draw in (("fig-x", _study_figure("")), ("fig-y", _drawer([]))):
        info, text, mode = _metadata(CachedFigure(folder, name, draw).submission_files())
        assert "/Subject" not in info and "/Keywords" not in info
        assert "Description" not in text and "Disclaimer" not in text
        assert not any("ynthetic" in str(v) for v in [*info.values(), *text.values()])
        assert mode == "RGB"


def test_submission_png_of_a_translucent_figure_is_rgb_on_white(tmp_path):
    def draw() -> Figure:
        fig = Figure(figsize=(1, 1), facecolor=(0, 0, 0, 0.5))  # half-transparent black
        fig.add_subplot().set_axis_off()
        return fig

    import matplotlib

    with matplotlib.rc_context({"savefig.facecolor": "auto"}):  # the figure's own ground
        files = CachedFigure(figure_folder(tmp_path, "k"), "fig-t", draw).submission_files()
    image = Image.open(files["png"])
    assert image.mode == "RGB"
    assert all(120 <= c <= 135 for c in image.getpixel((0, 0)))  # grey: black over white


def test_a_render_of_one_document_keeps_the_other_documents_figures(tmp_path):
    from itp_stats.report.figcache import publish_figures

    doc = tmp_path / "doc.qmd"
    doc.write_text("::: {#fig-a}\n:::\n", encoding="utf-8")
    supp = tmp_path / "supp.qmd"
    supp.write_text(":::: {#suppfig-c}\n::::\n", encoding="utf-8")
    folder = figure_folder(tmp_path, "key")
    CachedFigure(folder, "fig-a", _drawer([]), submission=True).svg()  # only doc's are cached
    out = tmp_path / "_output" / "figures"
    out.mkdir(parents=True)
    for name in ("Figure 1.pdf", "Figure S1.pdf", "Figure S1.png", "Figure 9.png"):
        (out / name).write_bytes(b"previous " + name.encode())
    published = publish_figures(tmp_path, "key", [doc, supp], out, rendered=[doc])
    assert sorted(p.name for p in published) == [
        "Figure 1.pdf", "Figure 1.png", "Figure S1.pdf", "Figure S1.png"
    ]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in published)
    assert (out / "Figure 1.pdf").read_bytes().startswith(b"%PDF")  # rebuilt
    assert (out / "Figure S1.png").read_bytes() == b"previous Figure S1.png"  # kept
    # the supplement's figures, not cached, cannot be published by a render of it
    assert publish_figures(tmp_path, "key", [doc, supp], out, rendered=[supp]) == []
