"""Text helpers shared by the layers (itp_stats.text)."""

from __future__ import annotations

from itp_stats.text import join_words, lower_first


def test_lower_first_keeps_abbreviations():
    assert lower_first("Platelet count") == "platelet count"
    assert lower_first("NK cells (CD3−CD16+CD56+)") == "NK cells (CD3−CD16+CD56+)"
    assert lower_first("CD3+ T cells") == "CD3+ T cells"
    assert lower_first("A") == "A"


def test_join_words_leaves_out_empty_items():
    assert join_words(["a", "", "b", "c"], "or") == "a, b or c"
    assert join_words(["a"]) == "a" and join_words([]) == ""
