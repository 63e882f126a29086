"""The report's parameters: the rules of their ranges, and the values a study plans.

Every document of the report declares ``alpha``, ``adjust``, ``n_boot``, ``seed`` (and
``synthetic``) in its ``parameters`` cell; a render may give others (``-P alpha=0.01``),
checked by :data:`PARAMETER_RULES`. The analysis plan fixes the four that shape the results
(:data:`PLANNED_DEFAULTS`, the documents' defaults), or the values the study configuration's
``plan`` section gives (:func:`planned_parameters`); a render at other values deviates from
the plan, and the report says so (:mod:`itp_stats.report.deviations`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from itp_stats.errors import StudyConfigError
from itp_stats.stats.multiplicity import METHODS

__all__ = ["PARAMETER_RULES", "PLANNED_DEFAULTS", "planned_parameters"]

PLANNED_DEFAULTS: dict[str, Any] = {
    "alpha": 0.05,
    "adjust": "holm",
    "n_boot": 2000,
    "seed": 20230601,
}
"""The parameters a plan fixes, at the documents' defaults (a test checks they agree)."""


def _check_alpha(value: Any) -> str | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and 0 < value < 1
    return None if ok else "expected a number between 0 and 1 (exclusive), e.g. 0.05"


def _check_adjust(value: Any) -> str | None:
    methods = sorted(METHODS)
    if isinstance(value, str) and value.lower() in methods:
        return None
    near = difflib.get_close_matches(str(value).lower(), methods, n=1)
    hint = f" (did you mean {near[0]}?)" if near else ""
    return f"expected one of {', '.join(methods)}{hint}"


def _check_count(minimum: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        return None if ok else f"expected a whole number of at least {minimum}"

    return check


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


PARAMETER_RULES: dict[str, Callable[[Any], str | None]] = {
    "alpha": _check_alpha,
    "adjust": _check_adjust,
    "n_boot": _check_count(1),
    "seed": _check_count(0),
    "synthetic": _check_bool,
}
"""Range checks of the study report's parameters (each returns what was expected, or None)."""


def planned_parameters(path: Path, section: Any) -> dict[str, Any]:
    """The planned parameters of a study configuration's ``plan`` section.

    Parameters
    ----------
    path : Path
        The configuration file (named in messages).
    section : mapping or None
        ``plan: {alpha: 0.01, adjust: bh, n_boot: 5000, seed: 7}``: any of the four; the
        others keep :data:`PLANNED_DEFAULTS`.

    Returns
    -------
    dict
        The four planned values (``adjust`` in lower case).

    Raises
    ------
    StudyConfigError
        Not a mapping, an unknown key, or a value out of its range (the key named).
    """
    planned = dict(PLANNED_DEFAULTS)
    if section is None:
        return planned
    if not isinstance(section, dict):
        raise StudyConfigError(f"{path}: plan: expected a mapping of {', '.join(planned)}")
    for key, value in section.items():
        if key not in planned:
            raise StudyConfigError(
                f"{path}: plan.{key}: not a planned parameter (known: {', '.join(planned)})"
            )
        problem = PARAMETER_RULES[key](value)
        if problem:
            raise StudyConfigError(f"{path}: plan.{key}: {value!r}: {problem}")
        planned[key] = value.lower() if key == "adjust" else value
    return planned
