"""Figures drawn once per study: their image bytes kept, verified, in the run state.

A figure is a function of the study (data digest, dictionary, configuration, parameters, code).
The documents display a :class:`CachedFigure` instead of a matplotlib figure: it gives the kernel
the image types the kernel asks of a matplotlib figure (:func:`kernel_image_types`: the inline
backend's formats, which Quarto sets from each format's ``fig-format``, so Word gets PNG
only and never an SVG pandoc cannot convert), and it answers from
``.itp-stats/figures/<study key>/`` when the bytes are there and their SHA-256 matches the one
stored beside them, drawing the figure only otherwise. A re-render of unchanged data and code,
the second document of a render, and the second and third execution of a document under Quarto
(one per output format) draw nothing.

The same folder keeps the figures for submission (vector PDF and 600-dpi PNG), written by
:meth:`CachedFigure.submission_files`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itp_stats.verified import read_verified, write_verified

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CachedFigure",
    "PRINT_PNG_MIME",
    "PRINT_RESOLUTION",
    "SCREEN_DPI",
    "SCREEN_SCALE",
    "SUBMISSION_DPI",
    "figure_folder",
    "kernel_image_types",
    "publish_figures",
    "mark_left_out",
    "LEFT_OUT_SUFFIX",
    "study_key",
]

SUBMISSION_DPI = 600
"""Resolution of the PNG files for submission."""

_KEEP = 4
"""Study keys kept in the figure cache."""


def study_key(parts: dict[str, Any]) -> str:
    """A short digest of what a study's figures depend on (JSON of ``parts``)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def figure_folder(state: Path, key: str) -> Path:
    """The cache folder of one study key (created; older keys pruned to the last few)."""
    root = state / "figures"
    folder = root / key
    folder.mkdir(parents=True, exist_ok=True)
    os.utime(folder)
    others = sorted(
        (p for p in root.iterdir() if p.is_dir() and p != folder),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in others[_KEEP - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)
    return folder


PRINT_PNG_MIME = "image/x-itp-stats-print-png"
"""Output type of a figure's print-resolution PNG (base64, like ``image/png``), asked for by
the built-in engine's kernel when it renders Word (:mod:`itp_stats.render.kernel`)."""

PRINT_RESOLUTION = 300
"""A kernel whose matplotlib ``figure.dpi`` is at least this (Quarto's ``fig-dpi``) gets the
print-resolution PNG (:data:`SUBMISSION_DPI`) as its ``image/png``."""

_IMAGE_TYPES = ("image/png", "image/svg+xml")


def kernel_image_types() -> tuple[set[str], bool]:
    """The image types the running kernel gives a matplotlib figure, and whether in print.

    Returns
    -------
    tuple of (set of str, bool)
        The MIME types among PNG and SVG that the IPython display formatters print for
        ``matplotlib.figure.Figure`` (the inline backend's ``figure_formats``, which Quarto
        sets from ``fig-format``), with :data:`PRINT_PNG_MIME` when its formatter is
        registered; both PNG and SVG outside a kernel, or when matplotlib's inline backend
        has not registered any. The flag is true when matplotlib's ``figure.dpi`` is at
        least :data:`PRINT_RESOLUTION`.
    """
    import sys

    types: set[str] = set()
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        shell = None
    if shell is not None:
        formatters = shell.display_formatter.formatters
        for mime in _IMAGE_TYPES:
            formatter = formatters.get(mime)
            if formatter is None:
                continue
            printers = [f"{t.__module__}.{t.__qualname__}" for t in formatter.type_printers]
            printers += [".".join(key) for key in formatter.deferred_printers]
            if "matplotlib.figure.Figure" in printers:
                types.add(mime)
        if PRINT_PNG_MIME in formatters:
            types.add(PRINT_PNG_MIME)
    if not types & set(_IMAGE_TYPES):
        types |= set(_IMAGE_TYPES)
    mpl = sys.modules.get("matplotlib")
    dpi = mpl.rcParams.get("figure.dpi", 0) if mpl is not None else 0
    return types, float(dpi or 0) >= PRINT_RESOLUTION


SCREEN_DPI = 110
"""Size of the figures in HTML: pixels of the page (CSS pixels) per inch of the figure (the
SVG, for Typst, is vector). Set here rather than read from matplotlib's settings, so a
cached figure is found without importing matplotlib, and both engines show the same image
whatever ``fig-dpi`` says."""

SCREEN_SCALE = 2
"""Image pixels per page pixel of the PNG shown in HTML: drawn at ``SCREEN_DPI *
SCREEN_SCALE`` and shown at its ``SCREEN_DPI`` size (the output's ``width`` and ``height``
metadata, as IPython's ``retina`` images), so it stays sharp on high-density screens and
when enlarged."""

_SCREEN = f"{SCREEN_DPI}dpi"
_SCREEN_PNG = f"{SCREEN_DPI * SCREEN_SCALE}dpi"


def _palette_png(data: bytes) -> bytes:
    """A PNG as an optimised 256-colour palette image on white: a third of the bytes of
    matplotlib's RGBA file for the same line art, so a page with 2x figures embedded stays
    about the size it had with 1x figures."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGBA")
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image)
    palette = flat.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.info["dpi"] = image.info.get("dpi", (SCREEN_DPI * SCREEN_SCALE,) * 2)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True, dpi=palette.info["dpi"])
    return out.getvalue()


class CachedFigure:
    """A figure of the report, drawn at most once per study key and image format.

    Parameters
    ----------
    folder : Path
        The study key's cache folder (:func:`figure_folder`).
    label : str
        The figure's label in the document (``fig-flow``); names its files.
    draw : callable
        Returns the matplotlib figure; called only when a format is not cached.
    submission : bool
        When the figure is drawn, also write its files for submission
        (:meth:`submission_files`), so a warm render has nothing to draw.
    """

    def __init__(
        self, folder: Path, label: str, draw: Callable[[], Figure], *, submission: bool = False
    ) -> None:
        self.folder = Path(folder)
        self.submission = submission
        self.label = label
        self._draw = draw
        self._figure: Figure | None = None
        self.drawn = 0

    def __repr__(self) -> str:
        return f"<figure {self.label}>"

    @property
    def figure(self) -> Figure:
        """The matplotlib figure (drawn on first use, and then kept for submission too)."""
        if self._figure is None:
            self._figure = self._draw()
            self.drawn += 1
            if self.submission:
                self.submission_files()
        return self._figure

    def _path(self, suffix: str) -> Path:
        return self.folder / f"{self.label}.{suffix}"

    def _bytes(self, suffix: str, render: Callable[[Figure], bytes]) -> bytes:
        path = self._path(suffix)
        cached = read_verified(path)
        if cached is not None:
            if self.submission and not suffix.startswith("submission."):
                missing = [f for f in ("pdf", "png") if not self._path(f"submission.{f}").is_file()]
                if missing:
                    self.submission_files()
            return cached
        data = render(self.figure)
        write_verified(path, data)
        return data

    def png(self) -> bytes:
        """The figure as PNG at :data:`SCREEN_SCALE` times :data:`SCREEN_DPI`."""
        from IPython.core.pylabtools import print_figure

        dpi = SCREEN_DPI * SCREEN_SCALE

        def render(f: Figure) -> bytes:
            return _palette_png(print_figure(f, "png", dpi=dpi, base64=False))

        return self._bytes(f"{_SCREEN_PNG}.png", render)

    def screen_size(self) -> tuple[int, int]:
        """Width and height, in page pixels, at which HTML shows :meth:`png`."""
        width, height = struct.unpack(">II", self.png()[16:24])  # the PNG's IHDR chunk
        return round(width / SCREEN_SCALE), round(height / SCREEN_SCALE)

    def print_png(self) -> bytes:
        """The print-resolution PNG: the :data:`SUBMISSION_DPI` submission file."""
        self.png()  # ensures the submission files when the figure is cached
        data = read_verified(self._path("submission.png"))
        if data is None:
            self.submission_files()
            data = self._path("submission.png").read_bytes()
        return data

    def svg(self) -> str:
        """The figure as SVG (vector; text kept as text)."""
        from IPython.core.pylabtools import print_figure

        def render(f: Figure) -> bytes:
            text = print_figure(f, "svg")
            return text.encode("utf-8") if isinstance(text, str) else bytes(text)

        return self._bytes(f"{_SCREEN}.svg", render).decode("utf-8")

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """The image types the kernel asks of a matplotlib figure (:func:`kernel_image_types`):
        PNG (base64; the print file when the kernel is at print resolution, else the screen
        PNG with its page size as ``width`` and ``height`` metadata, which both engines
        write on the image), SVG, and the print PNG of the built-in engine's Word render."""
        import base64

        types, in_print = kernel_image_types()
        bundle: dict[str, str] = {}
        metadata: dict[str, Any] = {}
        if "image/png" in types:
            data = self.print_png() if in_print else self.png()
            bundle["image/png"] = base64.b64encode(data).decode("ascii")
            if not in_print:
                width, height = self.screen_size()
                metadata["image/png"] = {"width": width, "height": height}
        if "image/svg+xml" in types:
            bundle["image/svg+xml"] = self.svg()
        if PRINT_PNG_MIME in types:
            bundle[PRINT_PNG_MIME] = base64.b64encode(self.print_png()).decode("ascii")
        return bundle, metadata

    def submission_files(self) -> dict[str, Path]:
        """The figure as vector PDF and as PNG at :data:`SUBMISSION_DPI`, in the cache folder.

        The PNG is RGB (no alpha channel; transparent parts on white). A figure drawn from
        synthetic data (its attribute ``itp_stats_synthetic``, the notice that
        :mod:`itp_stats.report.figures` sets from the study, besides the visible corner
        mark) carries the notice in both files' metadata: the PDF's Info ``Subject``, with
        ``Keywords`` "synthetic data", and the PNG's text chunks ``Description`` (the
        notice) and ``Disclaimer`` ("Synthetic data"). A figure of real data carries
        neither.

        Returns
        -------
        dict of str to Path
            ``pdf`` and ``png`` files (written once per study key, verified on reuse).
        """
        import io

        def notice(f: Figure) -> str:
            return str(getattr(f, "itp_stats_synthetic", "") or "")

        def pdf(f: Figure) -> bytes:
            text = notice(f)
            metadata = {"Subject": text, "Keywords": "synthetic data"} if text else {}
            buffer = io.BytesIO()
            f.savefig(buffer, format="pdf", bbox_inches="tight", metadata=metadata)
            return buffer.getvalue()

        def png(f: Figure) -> bytes:
            from PIL import Image
            from PIL.PngImagePlugin import PngInfo

            buffer = io.BytesIO()
            f.savefig(
                buffer,
                format="png",
                dpi=SUBMISSION_DPI,
                bbox_inches="tight",
                pil_kwargs={"compress_level": 1},  # decoded at once: speed over size
            )
            source = Image.open(io.BytesIO(buffer.getvalue()))
            drawn = source.convert("RGBA")
            if drawn.getextrema()[3] != (255, 255):  # transparent parts: onto white
                drawn = Image.alpha_composite(Image.new("RGBA", drawn.size, "white"), drawn)
            image = drawn.convert("RGB")
            info = PngInfo()
            for key, value in source.text.items():  # matplotlib's "Software"
                info.add_text(key, value)
            if notice(f):
                info.add_text("Description", notice(f))
                info.add_text("Disclaimer", "Synthetic data")
            out = io.BytesIO()
            image.save(out, format="png", dpi=(SUBMISSION_DPI,) * 2, pnginfo=info)
            return out.getvalue()

        out = {}
        for fmt, render in (("pdf", pdf), ("png", png)):
            name = f"submission.{fmt}"
            self._bytes(name, render)
            out[fmt] = self._path(name)
        return out


LEFT_OUT_SUFFIX = "left-out"
"""Suffix of the file that marks a figure of the documents as left out (nothing to show)."""


def mark_left_out(folder: Path, label: str, line: str) -> None:
    """Record that the figure ``label`` has nothing to show and is left out of the documents
    (which say ``line`` instead): it is not numbered and not published.

    Parameters
    ----------
    folder : Path
        The study key's cache folder (:func:`figure_folder`).
    label : str
        The figure's label (``suppfig-pct-baseline``).
    line : str
        What the documents say in its place.
    """
    path = Path(folder) / f"{label}.{LEFT_OUT_SUFFIX}"
    if not path.is_file() or path.read_text(encoding="utf-8") != line:
        path.write_text(line, encoding="utf-8")


def _float_order(documents: list[Path], folder: Path | None = None) -> list[tuple[Path, str, str]]:
    """``(document, label, number)`` of every figure float of the documents, in order
    (Figure 1…, S1…), without those ``folder`` marks as left out (:func:`mark_left_out`)."""
    import re

    out, counts = [], {"fig": 0, "suppfig": 0}
    for doc in documents:
        text = doc.read_text(encoding="utf-8")
        for match in re.finditer(r"\{#((fig|suppfig)-[A-Za-z0-9_-]+)", text):
            label, kind = match.group(1), match.group(2)
            if folder is not None and (folder / f"{label}.{LEFT_OUT_SUFFIX}").is_file():
                continue
            counts[kind] += 1
            prefix = "Figure " if kind == "fig" else "Figure S"
            out.append((doc, label, f"{prefix}{counts[kind]}"))
    return out


def publish_figures(
    state: Path,
    key: str,
    documents: list[Path],
    destination: Path,
    rendered: list[Path] | None = None,
) -> list[Path]:
    """Copy the submission files of a study's figures to ``destination``, named as numbered.

    Parameters
    ----------
    state : Path
        The run-state folder (``.itp-stats``).
    key : str
        The study key of the render (the exported tables' ``study_key``).
    documents : list of Path
        The project's documents, in render order: the order of their ``{#fig-…}`` and
        ``{#suppfig-…}`` floats gives the numbers (``Figure 1.pdf``, ``Figure S1.png``);
        a figure marked as left out (:func:`mark_left_out`) has no number and no file.
    destination : Path
        ``<output-dir>/figures``; replaced as a whole (written beside it, then renamed).
    rendered : list of Path, optional
        The documents this render rebuilt, when not all of ``documents`` (a render of one
        document): only their figures are taken from the cache; the files of the other
        documents' figures already in ``destination`` are kept as they are (a render does
        not remove what it did not rebuild), and files no document numbers are dropped.

    Returns
    -------
    list of Path
        The files published (kept ones included); none when a rendered figure's files are
        missing or do not verify (the folder is then left as it was).
    """
    folder = state / "figures" / key
    own = None if rendered is None else {p.resolve() for p in rendered}
    staged: list[tuple[Path, bytes]] = []
    for doc, label, number in _float_order(documents, folder):
        for fmt in ("pdf", "png"):
            name = Path(f"{number}.{fmt}")
            if own is not None and doc.resolve() not in own:
                try:  # another document's figure, published by an earlier render: kept
                    staged.append((name, (destination / name).read_bytes()))
                except OSError:
                    pass
                continue
            data = read_verified(folder / f"{label}.submission.{fmt}")
            if data is None:
                return []
            staged.append((name, data))
    if not staged:
        return []
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".figures."))
    try:
        for name, data in staged:
            (tmp / name).write_bytes(data)
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
        old = destination.with_name(f".{destination.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if destination.exists():
            os.replace(destination, old)
        os.replace(tmp, destination)
        shutil.rmtree(old, ignore_errors=True)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [destination / name for name, _ in staged]
