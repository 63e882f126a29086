"""Small text helpers shared by every layer that writes words from labels.

The gate's rule descriptions, the study's exclusion reasons, the report's sentences and
captions and the figures' axis titles all put a dictionary label inside a sentence
(:func:`lower_first`) or list several (:func:`join_words`), and must do it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["join_words", "lower_first"]


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
