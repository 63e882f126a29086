"""The study's own noun for the people it studied: ``patients`` unless it says otherwise.

Every sentence, table header, caption and figure box of the documents that names the
participants (``The file held 72 patients``, ``Failing patient ids``, ``Patients in the data
file``) takes the noun from the study configuration's ``participants`` key:

- absent: ``patient`` / ``patients``;
- a plural noun (``participants: participants``): its singular drops the final ``s``; a plural
  without one (``people``) needs the mapping form;
- a mapping ``{singular: person, plural: people}`` (``plural`` defaults to the singular and
  ``s``; ``singular`` to the plural without its ``s``).

It is read here, in the cohort layer, because the validation gate's rules name the participants
too (``The file has at least one patient``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itp_stats.errors import StudyConfigError

__all__ = ["DEFAULT_PARTICIPANTS", "Participants", "read_participants"]

_NOUN = re.compile(r"[^\W\d_]+(?:[ '-][^\W\d_]+)*")
"""A noun or a short phrase: letters, with single spaces, hyphens or apostrophes inside."""
_MAX_LENGTH = 40


@dataclass(frozen=True)
class Participants:
    """How the documents name one participant and several.

    Attributes
    ----------
    singular : str
        ``patient``, ``person``.
    plural : str
        ``patients``, ``people``.
    """

    singular: str = "patient"
    plural: str = "patients"

    def of(self, n: int) -> str:
        """The noun agreeing with a count: ``patient`` for 1, ``patients`` otherwise."""
        return self.singular if n == 1 else self.plural

    def count(self, n: int) -> str:
        """A count with its noun: ``1 patient``, ``72 patients``, ``0 patients``."""
        return f"{n} {self.of(n)}"

    @property
    def plural_cap(self) -> str:
        """The plural at the start of a sentence: ``Patients``."""
        return self.plural[:1].upper() + self.plural[1:]

    @property
    def singular_cap(self) -> str:
        """The singular at the start of a sentence or a header: ``Patient``."""
        return self.singular[:1].upper() + self.singular[1:]


DEFAULT_PARTICIPANTS = Participants()
"""``patient`` / ``patients``: the noun of a study that gives no ``participants`` key."""


def _fail(path: Path, key: str, message: str) -> StudyConfigError:
    return StudyConfigError(f"{path}: {key}: {message}")


def _noun(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, key, "expected a noun (e.g. participants)")
    text = " ".join(value.split())
    if len(text) > _MAX_LENGTH or not _NOUN.fullmatch(text):
        raise _fail(
            path, key, f"{text!r} is not a noun: use letters, with spaces, hyphens or "
            f"apostrophes inside, at most {_MAX_LENGTH} characters"
        )  # fmt: skip
    return text


def _singular_of(path: Path, key: str, plural: str) -> str:
    if plural.endswith("s") and not plural.endswith("ss") and len(plural) > 1:
        return plural[:-1]
    raise _fail(
        path, key, f"cannot tell the singular of {plural!r} (it does not end in a single "
        f"'s'): give participants: {{singular: ..., plural: {plural}}}"
    )  # fmt: skip


def read_participants(path: Path, raw: Any) -> Participants:
    """The ``participants`` key of a study configuration.

    Parameters
    ----------
    path : Path
        The study configuration file (named in messages).
    raw : str, dict or None
        The key's value: absent (``None``), a plural noun, or ``{singular, plural}``.

    Returns
    -------
    Participants

    Raises
    ------
    StudyConfigError
        Not a noun, a mapping with other keys, or a plural whose singular cannot be told;
        the message names the file and the key.
    """
    if raw is None:
        return DEFAULT_PARTICIPANTS
    if isinstance(raw, str):
        plural = _noun(path, "participants", raw)
        return Participants(_singular_of(path, "participants", plural), plural)
    if not isinstance(raw, dict) or not raw:
        raise _fail(
            path, "participants", "expected a plural noun (participants) or a mapping "
            "{singular: person, plural: people}"
        )  # fmt: skip
    unknown = [str(k) for k in raw if k not in ("singular", "plural")]
    if unknown:
        raise _fail(
            path, "participants", f"unknown key {', '.join(unknown)} (use singular and plural)"
        )
    singular = raw.get("singular")
    plural = raw.get("plural")
    if plural is not None:
        plural = _noun(path, "participants.plural", plural)
    if singular is not None:
        singular = _noun(path, "participants.singular", singular)
    if singular is None:
        singular = _singular_of(path, "participants.plural", plural)
    if plural is None:
        plural = f"{singular}s"
    if singular == plural:
        raise _fail(path, "participants", f"singular and plural are both {singular!r}")
    return Participants(singular, plural)
