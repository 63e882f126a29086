"""Statistical methods in a reader's words, with their references and their variants.

The statistics record in each result's ``method`` column exactly how a number was computed
(``Wilcoxon rank-sum (Mann–Whitney), normal approximation with tie correction and continuity
correction``). The documents say the same in the words a methods section uses:

* :func:`method_name` gives the method's plain name by the rules of :data:`NAMES` (a
  pattern of the method string, its name, the references that describe it: keys of
  ``report/references.bib``, cited as numbered references in the Methods);
* :func:`method_variant` gives how its p-value or interval was obtained (``exact``, ``normal
  approximation with tie and continuity corrections``...) by the rules of :data:`VARIANTS`;
* :func:`variant_marks` gives each distinct variant of a table column a superscript mark
  and the note that says which mark is which, so a table says which rows used which;
* :func:`computational_notes` lists the complete method strings (with implementation
  details such as "not R's uniroot estimate") for the supplement's Computational notes.

A method string no rule names is printed as it is: the words are never less than the facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "NAMES",
    "VARIANTS",
    "MARKS",
    "method_name",
    "method_citations",
    "method_condition",
    "method_variant",
    "not_a_method",
    "short_name",
    "variant_marks",
    "computational_notes",
]

NAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (r"^Kruskal–Wallis", "the Kruskal–Wallis test", ("kruskal1952",)),
    (r"^Dunn's z", "Dunn's test", ("dunn1964",)),
    (r"^Wilcoxon rank-sum \(Mann–Whitney\)", "the Mann–Whitney test", ("mann1947",)),
    (r"^Wilcoxon signed-rank", "the Wilcoxon signed-rank test", ("wilcoxon1945",)),
    (r"^Jonckheere–Terpstra", "the Jonckheere–Terpstra test", ("jonckheere1954",)),
    (r"^Pearson's chi-square", "Pearson's chi-square test", ()),
    (r"^Fisher's exact", "Fisher's exact test", ()),
    (r"^ε²", "epsilon squared (ε²)", ("steiger2004",)),
    (r"^(matched-pairs )?rank-biserial", "the rank-biserial correlation (r)", ("kerby2014",)),
    (r"^Hodges–Lehmann shift", "the Hodges–Lehmann shift", ("hodges1963",)),
    (r"^Hodges–Lehmann pseudo-median", "the Hodges–Lehmann median change", ("hodges1963",)),
    (r"^AUC", "the area under the ROC curve (AUC)", ("delong1988",)),
    (r"^threshold maximising Youden", "the cutoff maximising Youden's index", ("youden1950",)),
    (r"^Youden's J", "Youden's index", ("youden1950",)),
    (r"^sensitivity at", "the sensitivity at the cutoff", ("clopper1934",)),
    (r"^specificity at", "the specificity at the cutoff", ("clopper1934",)),
    (
        r"^positive predictive value at",
        "the positive predictive value at the cutoff",
        ("clopper1934",),
    ),
    (
        r"^negative predictive value at",
        "the negative predictive value at the cutoff",
        ("clopper1934",),
    ),
    (r"^univariable logistic", "univariable logistic regression", ()),
    (r"^Benjamini–Hochberg", "the Benjamini–Hochberg false discovery rate", ("benjamini1995",)),
    (r"^Holm", "Holm's method", ("holm1979",)),
)
"""Rules ``(pattern, plain name, reference keys)``, the first matching one applies."""

VARIANTS: tuple[tuple[str, str], ...] = (
    (r"exact CI \(Bauer 1972\)|, exact CI", "exact interval"),
    (r", exact(?! CI)\b", "exact p"),
    (
        r"normal approximation with tie correction and continuity correction",
        "normal approximation with tie and continuity corrections",
    ),
    (
        r"normal approximation, tie-corrected variance, no continuity correction",
        "normal approximation with tie correction",
    ),
    (r"asymptotic CI", "interval from the normal approximation"),
    (r"chi-square approximation", "chi-square approximation"),
    (r"Fisher-z CI", "Fisher-z interval"),
    (r"DeLong CI", "DeLong interval"),
    (r"one-sided CI", "one-sided interval"),
    (r"percentile bootstrap CI", "percentile bootstrap interval"),
    (r"Clopper–Pearson CI", "Clopper–Pearson interval"),
    (r"Wald CI", "Wald interval and test"),
    (r"\bno CI\b", "no interval"),
)
"""Rules ``(pattern, words)``: every matching rule adds its words, in this order."""

MARKS = "¹²³⁴⁵⁶⁷⁸⁹"
"""Superscript marks of the variants of a table column."""


def not_a_method(method: object) -> bool:
    """Whether a ``method`` value names no method: empty, missing or "not computed: …"."""
    text = str(method)
    return method is None or text in ("", "nan", "None") or text.startswith("not computed")


def method_name(method: str) -> str:
    """The plain name of the method a ``method`` string describes (the string itself when no
    rule of :data:`NAMES` applies)."""
    for pattern, name, _ in NAMES:
        if re.search(pattern, method):
            return name
    return method.partition(", ")[0].partition("; ")[0]


def method_citations(method: str) -> tuple[str, ...]:
    """The reference keys of a ``method`` string's method (:data:`NAMES`); Bauer (1972) too
    for an exact Hodges–Lehmann interval."""
    keys: tuple[str, ...] = ()
    for pattern, _, refs in NAMES:
        if re.search(pattern, method):
            keys = refs
            break
    if "Bauer 1972" in method:
        keys = (*keys, "bauer1972")
    if "bootstrap" in method:
        keys = (*keys, "efron1987")
    return keys


def method_variant(method: str) -> str:
    """How the p-value or interval of a ``method`` string was obtained, in words (empty when
    no rule of :data:`VARIANTS` applies; "exact p" is not said of a test named exact); a
    trailing condition of the string ("(an expected count < 5)") follows."""
    words = []
    for pattern, text in VARIANTS:
        if re.search(pattern, method) and text not in words:
            words.append(text)
    if "exact" in method_name(method) and "exact p" in words:
        words.remove("exact p")
    condition = method_condition(method)
    if condition:
        words.append(condition)
    return ", ".join(words)


def method_condition(method: str) -> str:
    """The condition a method string ends with, when it says why that test was chosen
    (``"(an expected count < 5)"`` → ``an expected count < 5``); ``""`` otherwise."""
    found = re.search(r"\(([^()]*(?:expected|count)[^()]*)\)$", method)
    return found.group(1) if found else ""


def short_name(method: str) -> str:
    """:func:`method_name` for a table note: no article, no abbreviation in brackets, a
    capital first letter (``Rank-biserial correlation``)."""
    name = re.sub(r" \([^()]*\)$", "", method_name(method).removeprefix("the "))
    return name[:1].upper() + name[1:]


def variant_marks(methods: Iterable[object]) -> tuple[dict[str, str], str]:
    """A superscript mark per distinct variant of a column's methods, and the note.

    Parameters
    ----------
    methods : iterable
        The ``method`` values of the rows of one table column.

    Returns
    -------
    marks : dict of str to str
        Method string → its mark; empty when every row used the same variant (nothing to
        tell apart).
    note : str
        ``"¹ exact p; ² normal approximation with tie and continuity corrections"``, or the
        one variant in words when there is one; empty when there is none.
    """
    variants: dict[str, str] = {}
    for method in methods:
        if not_a_method(method):
            continue
        variants.setdefault(str(method), method_variant(str(method)))
    distinct = list(dict.fromkeys(v for v in variants.values() if v))
    if len(distinct) <= 1:
        return {}, distinct[0] if distinct else ""
    mark_of = {v: MARKS[i % len(MARKS)] for i, v in enumerate(distinct)}
    marks = {m: mark_of[v] for m, v in variants.items() if v}
    return marks, "; ".join(f"{mark_of[v]} {v}" for v in distinct)


def computational_notes(sections: Iterable[tuple[str, Iterable[object]]]) -> list[tuple[str, str]]:
    """The complete method strings of each analysis, for the supplement.

    Parameters
    ----------
    sections : iterable of (str, iterable)
        An analysis and the method strings of its results.

    Returns
    -------
    list of (str, str)
        ``(analysis, method)`` for each distinct method, in first-seen order.
    """
    rows: list[tuple[str, str]] = []
    for analysis, methods in sections:
        for method in dict.fromkeys(str(m) for m in methods if not not_a_method(m)):
            if (analysis, method) not in rows:
                rows.append((analysis, method))
    return rows
