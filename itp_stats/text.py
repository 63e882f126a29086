"""Small text helpers shared by every layer that writes words from labels.

The gate's rule descriptions, the study's exclusion reasons, the report's sentences and
captions and the figures' axis titles all put a dictionary label inside a sentence
(:func:`lower_first`) or list several (:func:`join_words`), and must do it the same way;
where such text becomes Markdown it goes through :func:`md_literal`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["join_words", "lower_first", "md_literal"]


def lower_first(text: str) -> str:
    """Lower-case the first letter for use inside a sentence, unless the first word is an
    abbreviation (``CD3+ T cells`` and ``NK cells`` stay; ``Platelet count`` → ``platelet
    count``)."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def join_words(items: Iterable[str], conj: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (empty items left out; ``""`` for none)."""
    words = [i for i in items if i]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conj} " + words[-1]


_LITERAL_SPECIAL = re.compile(r"([\\`<>\[\]$@^~*_|])")


def md_literal(text: object) -> str:
    """The user's text (a label, unit, group name or title) as Markdown that prints it as is.

    The one escaping function at the boundary where the study's configuration and data
    dictionary become Markdown (sentences, captions, table headers, the documents' metadata):
    every character that could start a link or autolink (``[x](javascript:…)``), raw HTML
    (``<b>``), a code span, math, a citation, a footnote, sub- or superscript or emphasis is
    backslash-escaped, and line breaks become spaces (a label never starts a block). Raw Typst
    (``#text(fill: red)[X]``) is text to Pandoc, which escapes it for Typst itself once its
    brackets are escaped here. Ordinary labels (``CD3+ T cells``, ``cells/µL``) are unchanged.
    """
    return _LITERAL_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
