"""Assemble an executed document into one Pandoc-markdown document for one output format.

Each cell becomes a ``::: {.cell}`` div holding the echoed code (when ``echo``) and its
outputs. A cell whose label starts with a cross-reference key (``fig-``, ``tbl-`` or a
``crossref.custom`` key) and that has a caption becomes a float in Quarto's div syntax
(``::: {#fig-x}`` … caption as last paragraph) for the Lua filter to number. Images are
written to the build folder, in the flavour that suits the format: PNG for HTML, the
print-resolution PNG (600 dpi, when the kernel made one) for DOCX, SVG (vector) for
Typst/PDF. An image's alt text is the cell's ``fig-alt`` option when set (report.lua
otherwise takes the figure's caption).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from itp_stats.render.execute import ExecutedCell, ExecutedDocument, ExecutedMarkdown
from itp_stats.render.kernel import PRINT_PNG_MIME

__all__ = ["IMAGE_PREFERENCE", "assemble_markdown", "float_keys"]

IMAGE_PREFERENCE: dict[str, tuple[str, ...]] = {
    "html": ("image/png", "image/svg+xml", "image/jpeg"),
    "typst": ("image/svg+xml", "image/png", "image/jpeg"),
    "docx": (PRINT_PNG_MIME, "image/png", "image/jpeg", "image/svg+xml"),
}
"""Image types each format takes, best first."""

_EXTENSIONS = {
    "image/png": "png",
    "image/svg+xml": "svg",
    "image/jpeg": "jpg",
    PRINT_PNG_MIME: "print.png",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def float_keys(crossref: Mapping[str, Any] | None) -> dict[str, str]:
    """Return the cross-reference keys that make a labelled cell a float.

    Parameters
    ----------
    crossref : mapping, optional
        The document's ``crossref:`` metadata.

    Returns
    -------
    dict
        Key (``fig``, ``tbl`` and each ``crossref.custom`` key) to the cell option holding
        its caption (``fig-cap`` or ``tbl-cap``; custom keys take either).
    """
    keys = {"fig": "fig-cap", "tbl": "tbl-cap"}
    for entry in (crossref or {}).get("custom") or []:
        if isinstance(entry, Mapping) and entry.get("key"):
            keys[str(entry["key"])] = ""
    return keys


def _fence(text: str, info: str, char: str = "`") -> str:
    longest = max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)
    fence = char * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def _attribute(value: str) -> str:
    """A Pandoc attribute value: quoted, with quotes and backslashes escaped."""
    text = " ".join(value.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class _Assembler:
    def __init__(self, executed: ExecutedDocument, fmt: str, build_dir: Path, keys: dict) -> None:
        self.executed = executed
        self.fmt = fmt
        self.build_dir = build_dir
        self.keys = keys
        self.stem = executed.document.path.stem
        self.figure_dir = build_dir / f"{self.stem}_files" / "figure"

    def image(self, data: Mapping[str, Any], name: str) -> tuple[str, str] | None:
        """The path of the best image of ``data`` for the format (written once), and its type."""
        for mime in IMAGE_PREFERENCE.get(self.fmt, IMAGE_PREFERENCE["html"]):
            if mime not in data:
                continue
            path = self.figure_dir / f"{name}.{_EXTENSIONS[mime]}"
            if not path.exists():
                self.figure_dir.mkdir(parents=True, exist_ok=True)
                payload = _text(data[mime])
                if mime == "image/svg+xml":
                    path.write_text(payload, encoding="utf-8")
                else:
                    path.write_bytes(base64.b64decode(payload))
            return path.relative_to(self.build_dir).as_posix(), mime
        return None

    def outputs(self, item: ExecutedCell) -> list[str]:
        options = item.options
        asis = options.output == "asis"
        blocks: list[str] = []
        streams: list[tuple[str, str]] = []
        for output in item.outputs:  # merge adjacent stream outputs of the same name
            kind = output.get("output_type")
            if kind == "stream":
                name, text = output.get("name", "stdout"), _text(output.get("text", ""))
                if streams and streams[-1][0] == name:
                    streams[-1] = (name, streams[-1][1] + text)
                else:
                    streams.append((name, text))
                continue
            blocks.extend(self._streams(streams, options.warning, asis))
            streams = []
            if kind == "error":
                trace = _ANSI.sub("", "\n".join(output.get("traceback") or []))
                text = trace or f"{output.get('ename')}: {output.get('evalue')}"
                blocks.append(_fence(text, " {.cell-output .cell-output-error}"))
            elif kind in ("display_data", "execute_result"):
                block = self._display(
                    output.get("data") or {}, item, len(blocks), asis, output.get("metadata")
                )
                if block:
                    blocks.append(block)
        blocks.extend(self._streams(streams, options.warning, asis))
        return blocks

    @staticmethod
    def _streams(streams: list[tuple[str, str]], warning: bool, asis: bool) -> list[str]:
        blocks = []
        for name, text in streams:
            if not text.strip():
                continue
            if name == "stderr":
                if warning:
                    blocks.append(_fence(text, " {.cell-output .cell-output-stderr}"))
            elif asis:
                blocks.append(text.strip("\n"))
            else:
                blocks.append(_fence(text, " {.cell-output .cell-output-stdout}"))
        return blocks

    def _display(
        self,
        data: Mapping[str, Any],
        item: ExecutedCell,
        n: int,
        asis: bool,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        label = item.cell.label or f"cell-{item.cell.index + 1}"
        found = self.image(data, f"{label}-{n + 1}")
        if found is not None:
            path, mime = found
            attributes = []
            alt = item.cell.options.get("fig-alt")
            if alt:
                attributes.append(f"fig-alt={_attribute(str(alt))}")
            # the image's size from the output's metadata, as Quarto writes it (a 2x PNG
            # shown at half its pixels)
            size = (metadata or {}).get(mime) or {}
            for key in ("width", "height"):
                if isinstance(size, Mapping) and size.get(key):
                    attributes.append(f"{key}={_attribute(str(size[key]))}")
            return f"![]({path}){{{' '.join(attributes)}}}" if attributes else f"![]({path})"
        if "text/markdown" in data:
            return _text(data["text/markdown"]).strip("\n")
        if self.fmt == "html" and "text/html" in data:
            return _fence(_text(data["text/html"]), "{=html}")
        if "text/plain" in data:
            text = _text(data["text/plain"])
            if asis:
                return text.strip("\n")
            return _fence(text, " {.cell-output .cell-output-display}")
        return ""

    def cell(self, item: ExecutedCell) -> str:
        options, cell = item.options, item.cell
        if not options.include:
            return ""
        parts: list[str] = []
        if options.echo == "fenced":
            parts.append(_fence(f"```{{python}}\n{cell.source}\n```", " {.python .cell-code}"))
        elif options.echo and cell.code:
            parts.append(_fence(cell.code, " {.python .cell-code}"))
        outputs = self.outputs(item) if options.output else []
        label = cell.label
        key = label.split("-", 1)[0] if label and "-" in label else None
        caption = None
        if key in self.keys:
            caption_option = self.keys[key]
            caption = (
                cell.options.get(caption_option)
                if caption_option
                else cell.options.get("fig-cap") or cell.options.get("tbl-cap")
            )
        if caption is not None:
            caption_text = " ".join(str(caption).split())
            body = "\n\n".join(outputs)
            parts.append(f"::: {{#{label}}}\n\n{body}\n\n{caption_text}\n\n:::")
        else:
            parts.extend(outputs)
        if not parts:
            return ""
        attributes = "{.cell}" if caption is not None or not label else f"{{#{label} .cell}}"
        body = "\n\n".join(parts)
        return f":::: {attributes}\n\n{body}\n\n::::"


def assemble_markdown(
    executed: ExecutedDocument,
    fmt: str,
    build_dir: Path,
    crossref: Mapping[str, Any] | None = None,
) -> str:
    """Return the Pandoc-markdown body of ``executed`` for format ``fmt``.

    Parameters
    ----------
    executed : ExecutedDocument
        The executed document.
    fmt : str
        ``html``, ``typst`` or ``docx`` (chooses image flavour and raw HTML).
    build_dir : Path
        Folder Pandoc runs in; images are written under ``<stem>_files/figure/`` there and
        referenced by relative paths.
    crossref : mapping, optional
        The document's ``crossref:`` metadata (its custom keys make floats too).

    Returns
    -------
    str
        The markdown body (no front matter).
    """
    assembler = _Assembler(executed, fmt, Path(build_dir), float_keys(crossref))
    pieces: list[str] = []
    for chunk in executed.chunks:
        if isinstance(chunk, ExecutedMarkdown):
            pieces.append(chunk.text.strip("\n"))
        else:
            text = assembler.cell(chunk)
            if text:
                pieces.append(text)
    return "\n\n".join(piece for piece in pieces if piece) + "\n"
