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

from itp_stats.stats._common import decimal_places
from itp_stats.text import md_literal

__all__ = [
    "NNBSP",
    "format_p",
    "format_number",
    "format_median_iqr",
    "format_n_pct",
    "format_ci",
    "interval_digits",
    "recorded_decimals",
    "to_pipe_table",
    "escape_markdown",
    "abbreviation",
    "spelled_out",
    "shortened",
    "md_literal",
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


def recorded_decimals(values: object, cap: int = 3) -> int:
    """The decimals recorded values show: the fewest that print every one of them exactly.

    Parameters
    ----------
    values : array-like
        The recorded values (numbers, or text that reads as numbers); missing and infinite
        values are left out.
    cap : int
        The most decimals returned.

    Returns
    -------
    int
        The smallest ``d`` in ``0 … cap`` such that every value rounded to ``d`` decimals
        equals it (to a relative 1e-9, the noise of a number read from text); ``cap`` when
        none does; 0 when there is no value. ``[3, 4.5, 3.44]`` gives 2, whole counts 0.
    """
    x = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype(float)
    places = decimal_places(x.to_numpy(), cap=cap - 1, rel_tol=1e-9)
    return cap if places is None else places


def _shown(x: float, digits: int) -> float:
    """``x`` as printed with ``digits`` decimals, read back (−0 is 0)."""
    return float(f"{x:.{digits}f}") + 0.0


def _finite(x: object) -> bool:
    return not _missing(x) and math.isfinite(float(x))  # type: ignore[arg-type]


def interval_digits(
    estimate: float, low: float, high: float, digits: int, *, significant: int = 4
) -> int:
    """Decimals for an estimate and its interval (or a median and its quartiles), printed
    with one rounding that keeps apart what differs.

    Parameters
    ----------
    estimate : float
        The estimate (a Hodges–Lehmann shift, a median).
    low, high : float
        Its interval's bounds (or quartiles); a missing or infinite bound is not checked.
    digits : int
        The decimals the quantity prints with by default (the marker's,
        :func:`itp_stats.report.tables.marker_digits`).
    significant : int
        The cap: digits are added at most until the largest of the three numbers shows
        ``significant`` significant digits (and never beyond 10 decimals).

    Returns
    -------
    int
        ``digits``, or more: the fewest decimals from ``digits`` on with which a non-zero
        estimate does not print as 0 and the estimate does not print equal to a bound it
        differs from; the cap when none does. Numbers within a relative 1e-9 of each other
        (of the largest) count as equal, and an estimate that small as 0 (the noise of
        arithmetic on decimal values).

    Examples
    --------
    >>> interval_digits(1.5, 1.1, 2.1, 0)  # 2 (1 to 2) would put 1.5 on its bound
    1
    >>> interval_digits(-0.21, -0.30, -0.12, 0)  # −0 (−0 to −0): −0.2 (−0.3 to −0.1)
    1
    >>> interval_digits(1.001, 1.0, 1.3, 0)  # stops at 4 significant digits of 1.3
    3
    >>> interval_digits(5.0, 5.0, 9.0, 0)  # truly equal to its bound: nothing to add
    0
    """
    if not _finite(estimate):
        return digits
    estimate = float(estimate)
    bounds = [float(b) for b in (low, high) if _finite(b)]
    scale = max([abs(estimate), *(abs(b) for b in bounds)])
    if scale == 0:
        return digits
    noise = 1e-9 * scale
    cap = min(10, max(digits, significant - 1 - math.floor(math.log10(scale))))

    def distinct(d: int) -> bool:
        if abs(estimate) > noise and _shown(estimate, d) == 0:
            return False
        return all(
            abs(b - estimate) <= noise or _shown(b, d) != _shown(estimate, d) for b in bounds
        )

    d = digits
    while d < cap and not distinct(d):
        d += 1
    return d


def format_median_iqr(median: float, q1: float, q3: float, digits: int = 1) -> str:
    """Format ``median [q1–q3]``; ``—`` when the median is missing.

    ``digits`` is the least: a median that would print as 0, or on a quartile it differs
    from, gets the decimals :func:`interval_digits` gives (``1.5 [1.2–2.0]``, not
    ``2 [1–2]``).
    """
    if _missing(median):
        return "—"
    digits = interval_digits(median, q1, q3, digits)
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


def abbreviation(long: str, short: str) -> str:
    """A term and its abbreviation as Markdown that the report filter shortens.

    Parameters
    ----------
    long, short : str
        The term spelled out and its abbreviation, both Markdown (escaped by the caller).

    Returns
    -------
    str
        ``[long ([short]{.itp-abbr-short})]{.itp-abbr}``. ``report.lua`` (run first by both
        engines) keeps the first such mention of ``short`` in a document as "long (short)"
        and prints every later one as "short", in document order (captions, table cells
        and notes included). The abbreviation is a span of its own, not an attribute, so a
        label needs no escaping beyond Markdown's. :func:`spelled_out` reads it back.
    """
    return f"[{long} ([{short}]{{.itp-abbr-short}})]{{.itp-abbr}}"


_TEXT = r"((?:[^\[\]\\]|\\.)*)"  # Markdown text with no unescaped bracket
_ABBREVIATION = re.compile(rf"\[{_TEXT} \(\[{_TEXT}\]\{{\.itp-abbr-short\}}\)\]\{{\.itp-abbr\}}")


def spelled_out(text: str) -> str:
    """Text with every :func:`abbreviation` written out as "long (short)" (for places no
    filter reads, such as a spreadsheet's caption or a test)."""
    return _ABBREVIATION.sub(r"\1 (\2)", text)


def shortened(text: str, seen: set[str] | None = None) -> str:
    """Text with the rule of the report filter applied to its :func:`abbreviation` marks.

    Parameters
    ----------
    text : str
        Markdown with abbreviation marks.
    seen : set of str, optional
        The abbreviations already spelled out earlier in the document; updated in place.

    Returns
    -------
    str
        The first mark of each abbreviation not in ``seen`` as "long (short)", every other
        one as "short" (what ``report.lua`` prints, for text read in document order).
    """
    seen = set() if seen is None else seen

    def one(match: re.Match) -> str:
        long, short = match.groups()
        if short in seen:
            return short
        seen.add(short)
        return f"{long} ({short})"

    return _ABBREVIATION.sub(one, text)
