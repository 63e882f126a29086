"""Errors the package reports to users as one-line messages."""

from __future__ import annotations

__all__ = [
    "CohortReadError",
    "DictionaryError",
    "ItpStatsError",
    "StudyConfigError",
    "WriteError",
]


class ItpStatsError(Exception):
    """Base class of errors shown to the user without a traceback.

    Attributes
    ----------
    exit_status : int
        Exit status of the command line when this error ends it.
    """

    exit_status = 1


class CohortReadError(ItpStatsError):
    """A cohort file cannot be read or parsed (missing, empty, wrong format, bad encoding)."""

    exit_status = 2


class DictionaryError(ItpStatsError):
    """The data dictionary is malformed."""

    exit_status = 2


class StudyConfigError(ItpStatsError):
    """The study configuration is missing, malformed or disagrees with its dictionary."""

    exit_status = 2


class WriteError(ItpStatsError):
    """A file or folder a command writes (run state, outputs, a cohort) cannot be written.

    The message names the file, what it is for and why it cannot be written (see
    :func:`itp_stats.files.write_failure`).
    """
