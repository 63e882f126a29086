"""The table layer: formatting numbers and turning result tables into report tables.

Statistics functions return unrounded tidy DataFrames; everything about presentation lives
here: ``median [IQR]``, ``n (%)``, p-values (``<0.001``), estimates with confidence
intervals, method footnotes, and Pandoc pipe tables that every output format renders as a
real table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import pandas as pd

__all__ = [
    "NNBSP",
    "format_p",
    "format_number",
    "format_median_iqr",
    "format_n_pct",
    "format_ci",
    "to_pipe_table",
    "escape_markdown",
]

NOT_COMPUTED = "not computed"

NNBSP = "\u202f"
"""Narrow no-break space: the thousands separator and the space in ``n = k`` (no line break
inside a number)."""


def _missing(value: object) -> bool:
    try:
        return value is None or value is pd.NA or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_p(p: float | None, *, na: str = "—", alpha: float | None = 0.05) -> str:
    """Format a p-value the way journals print it (gtsummary's ``style_pvalue``).

    Parameters
    ----------
    p : float or None
        The p-value.
    na : str
        Text for a missing p-value.
    alpha : float or None
        Significance level: a p-value is never printed on the other side of it (a p of
        0.0496 with alpha 0.05 prints ``0.0496``, not ``0.050``).

    Returns
    -------
    str
        ``<0.001`` below 0.001; three decimals below 0.1 (``0.012``, ``0.049``); two
        decimals up to 0.99 (``0.35``); ``>0.99`` above; more decimals where rounding would
        cross ``alpha``.
    """
    if _missing(p):
        return na
    p = float(p)
    if p < 0.001:
        return "<0.001"
    if p > 0.99:
        return ">0.99"
    digits = 3 if p < 0.1 else 2
    text = f"{p:.{digits}f}"
    if alpha is not None:
        while digits < 8 and ((p < alpha) != (float(text) < alpha)):
            digits += 1
            text = f"{p:.{digits}f}"
    return text


def format_number(x: float | None, digits: int = 1, *, na: str = "—") -> str:
    """Format a number with a fixed number of decimals, thousands separated by a thin space.

    Parameters
    ----------
    x : float or None
        Value.
    digits : int
        Decimals.
    na : str
        Text for a missing value.

    Returns
    -------
    str
        E.g. ``1 234.5`` (narrow no-break space); ``−0.3`` with a true minus sign.
    """
    if _missing(x):
        return na
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{x:,.{digits}f}".replace(",", NNBSP)
    return text.replace("-", "−")


def format_median_iqr(median: float, q1: float, q3: float, digits: int = 1) -> str:
    """Format ``median [q1–q3]``; ``—`` when the median is missing."""
    if _missing(median):
        return "—"
    return (
        f"{format_number(median, digits)} [{format_number(q1, digits)}–{format_number(q3, digits)}]"
    )


def format_n_pct(n: int, total: int, digits: int = 0) -> str:
    """Format ``n (%)``; the percentage of ``total`` (``—`` when the total is 0)."""
    if _missing(n):
        return "—"
    if not total:
        return f"{int(n)} (—)"
    return f"{int(n)} ({format_number(100 * n / total, digits)}%)"


def format_ci(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """Format ``estimate (low to high)``; ``not computed`` when the estimate is missing.

    An interval of zero width (``−1.00 (−1.00 to −1.00)``: every value of one group above
    every value of the other, or all tied) is printed with its reason,
    ``(no interval: complete separation or ties)``.
    """
    if _missing(estimate):
        return NOT_COMPUTED
    if _missing(low) or _missing(high):
        return format_number(estimate, digits)
    if float(low) == float(high):
        return f"{format_number(estimate, digits)} (no interval: complete separation or ties)"
    return (
        f"{format_number(estimate, digits)} "
        f"({format_number(low, digits)} to {format_number(high, digits)})"
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!^~$@|])")


def escape_markdown(text: str) -> str:
    """Escape Markdown syntax outside `code spans`, so a cell shows its text literally.

    ``^[x]`` would otherwise become a footnote, ``@key`` a citation, ``*x*`` emphasis. A
    ``|`` is escaped in code spans too (a pipe table splits its cells on it).
    """
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced backtick: escape everything
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return "`".join(
        part.replace("|", "\\|") if i % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", part)
        for i, part in enumerate(parts)
    )


def _cell(value: object) -> str:
    if _missing(value):
        return "—"
    return escape_markdown(str(value).replace("\n", " "))


def _widths(table: pd.DataFrame, cap: int = 48) -> list[int]:
    """Relative column widths for Pandoc: the longest cell (or header word), capped."""
    widths = []
    for name in table.columns:
        words = str(name).split() or [""]
        cells = [len(_cell(v)) for v in table[name]]
        widths.append(max(3, min(cap, max([len(w) for w in words] + cells))))
    return widths


def _alignment(column: pd.Series) -> str:
    """``r`` for a column of numbers (``12``, ``−0.4 (…)``, ``<0.001``, ``82 [59–153]``),
    else ``l``."""
    cells = [str(v).strip() for v in column if not _missing(v) and str(v).strip()]
    cells = [c for c in cells if c not in {"—", "not computed"}]
    numeric = bool(cells) and all(c[0].isdigit() or c[0] in "−-<>." for c in cells)
    return "r" if numeric else "l"


def _rule(align: str, width: int) -> str:
    """Separator cell whose dash count gives Pandoc the relative column width."""
    dashes = "-" * width
    return {"l": ":" + dashes, "c": ":" + dashes + ":", "r": dashes + ":"}[align]


def to_pipe_table(
    table: pd.DataFrame,
    *,
    align: Sequence[str] | None = None,
    caption: str | None = None,
) -> str:
    """Render a DataFrame as a Pandoc pipe table.

    Parameters
    ----------
    table : pandas.DataFrame
        Already formatted table (text cells); the index is ignored.
    align : sequence of str, optional
        ``l``, ``c`` or ``r`` per column; default right for columns of numbers, left for
        text.
    caption : str, optional
        Appended as a ``: caption`` line (Pandoc table caption).

    Returns
    -------
    str
        Markdown text; cells are escaped (:func:`escape_markdown`) except in code spans;
        missing cells show ``—``. The number of dashes under each header is the column's
        longest cell (capped at 48), which Pandoc uses as relative column widths when the
        table is wider than a line.
    """
    cols = [str(c) for c in table.columns]
    align = list(align or [_alignment(table[c]) for c in table.columns])
    lines = [
        "| " + " | ".join(_cell(c) for c in cols) + " |",
        "|" + "|".join(_rule(a, w) for a, w in zip(align, _widths(table), strict=True)) + "|",
    ]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    text = "\n".join(lines)
    if caption:
        text += f"\n\n: {caption}"
    return text + "\n"
