"""Which packages computed or drew what in a run: a registry filled as the study runs.

The Reproducibility table of the report lists the packages that produced something it
prints, not the packages that sit in the environment. Each function that hands a number or
a figure to the report records the distributions that computed it, with one clause on what
they did (:func:`record`, or the :func:`uses` decorator); the study step collects the
records of its run (:func:`collecting`) and keeps them with its results, so a cached study
lists the same packages as a fresh one.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["collecting", "record", "recorded", "uses", "version"]

_REGISTRY: dict[str, set[str]] = {}
_F = TypeVar("_F", bound=Callable[..., Any])


def record(distribution: str, what: str) -> None:
    """Note that ``distribution`` (its name on PyPI) computed or drew ``what``."""
    _REGISTRY.setdefault(distribution, set()).add(what)


def recorded() -> dict[str, tuple[str, ...]]:
    """The records so far: distribution → what it did (sorted)."""
    return {name: tuple(sorted(whats)) for name, whats in sorted(_REGISTRY.items())}


@contextlib.contextmanager
def collecting() -> Iterator[dict[str, tuple[str, ...]]]:
    """Collect the records of one run; the yielded mapping is filled when the block ends.

    The registry is emptied at the start, so only what the block computed is listed.
    """
    _REGISTRY.clear()
    found: dict[str, tuple[str, ...]] = {}
    try:
        yield found
    finally:
        found.update(recorded())


def uses(*records: tuple[str, str]) -> Callable[[_F], _F]:
    """Decorate a function that computes with the given ``(distribution, what)`` pairs."""

    def decorate(function: _F) -> _F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for distribution, what in records:
                record(distribution, what)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def version(distribution: str) -> str:
    """Installed version of ``distribution`` ("not installed" when it is not)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
