"""Logs the opens of watched files by every Python process that starts with this folder on
``PYTHONPATH`` (``AUDIT_WATCH``: paths separated by ``os.pathsep``; ``AUDIT_LOG``: the log):
one line per open, ``pid<TAB>path<TAB>command`` (:func:`_command`). The tests count reads of
the cohort with it across a render's processes (the gate, the kernels)."""

import os
import sys

_watched = set(filter(None, os.environ.get("AUDIT_WATCH", "").split(os.pathsep)))
_log = os.environ.get("AUDIT_LOG")


def _hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, os.PathLike)):
        path = os.path.realpath(os.fspath(args[0]))
        if path in _watched:
            with open(_log, "a") as handle:
                handle.write(f"{os.getpid()}\t{path}\t{_command()}\n")


def _command():
    """The program's name and its first argument (``itp-stats gate``,
    ``ipykernel_launcher.py -f``), whatever the length of the folder it is in."""
    if not sys.argv:
        return ""
    return " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:2]])


if _watched and _log:
    sys.addaudithook(_hook)
