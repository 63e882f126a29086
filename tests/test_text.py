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


def test_md_literal_prints_the_users_text_as_written():
    from itp_stats.text import md_literal

    assert md_literal("[x](javascript:alert(2))") == "\\[x\\](javascript:alert(2))"
    assert md_literal("<b>RAW</b>") == "\\<b\\>RAW\\</b\\>"
    assert md_literal("#text(fill: red)[X]") == "#text(fill: red)\\[X\\]"
    assert md_literal("$x$ @key ^a^ ~b~ *c* _d_ `e` a|b \\") == (
        "\\$x\\$ \\@key \\^a\\^ \\~b\\~ \\*c\\* \\_d\\_ \\`e\\` a\\|b \\\\"
    )
    assert md_literal("two\nlines") == "two lines"  # a label never starts a block
    for plain in ("CD3+ T cells", "cells/µL", "4 × 375 mg/m²", "Année (%)"):
        assert md_literal(plain) == plain
