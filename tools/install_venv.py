"""Install the project into the Makefile's virtual environment, quickly.

``make report`` and ``make test`` call this script with the venv's Python and the
requirement (``-e .`` or ``-e .[dev]``). It installs with uv when uv is in the venv
(the Makefile puts it there), with the indexes, find-links folders and constraints that
pip is configured with, so that both installers take the same files; it falls back to pip
when uv is missing or fails. uv installs the project's hundred packages in a few seconds
where pip takes most of a minute; both compile the bytecode, so that the first render does
not compile it at import.

Standard library only: it runs before the project is installed.

Usage::

    .venv/bin/python tools/install_venv.py -e '.[dev]'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["pip_settings", "uv_arguments", "main"]

# pip's setting name -> uv's option; a list-valued pip setting becomes repeated options
_OPTIONS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraints",
    "trusted-host": "--allow-insecure-host",
}


def pip_settings(listing: str) -> dict[str, list[str]]:
    """Read the settings printed by ``pip config list``.

    Parameters
    ----------
    listing : str
        The output of ``pip config list``: lines like ``global.find-links='/opt/wheels'``
        or ``:env:.extra-index-url='a b'``.

    Returns
    -------
    dict of str to list of str
        Each setting's values, in the order pip reads them (a later file adds to the list
        only when the value differs); ``no-index`` maps to ``["true"]`` when set.
    """
    settings: dict[str, list[str]] = {}
    for line in listing.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        name = key.rsplit(".", 1)[-1].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        for item in value.split():
            values = settings.setdefault(name, [])
            if item not in values:
                values.append(item)
    return settings


def uv_arguments(settings: dict[str, list[str]], environ: dict[str, str]) -> list[str]:
    """uv options that reproduce pip's configured sources.

    Parameters
    ----------
    settings : dict of str to list of str
        pip's settings, as :func:`pip_settings` returns them.
    environ : dict of str to str
        The environment: ``PIP_*`` variables override the files, as for pip.

    Returns
    -------
    list of str
        Options for ``uv pip install``. With several indexes uv is told to pick the best
        version across all of them, as pip does (``--index-strategy unsafe-best-match``).
    """
    merged = {name: list(values) for name, values in settings.items()}
    for name in (*_OPTIONS, "no-index"):
        variable = "PIP_" + name.upper().replace("-", "_")
        if environ.get(variable):
            merged[name] = environ[variable].split()
    arguments: list[str] = []
    for name, option in _OPTIONS.items():
        for value in merged.get(name, []):
            arguments += [option, value]
    if merged.get("no-index", ["false"])[0].lower() in {"1", "true", "yes", "on"}:
        arguments.append("--no-index")
    if merged.get("extra-index-url") or merged.get("find-links"):
        arguments += ["--index-strategy", "unsafe-best-match"]
    return arguments


def _run(command: list[str], environ: dict[str, str] | None = None) -> int:
    print("[install]", " ".join(command[:4]), "…", flush=True)
    return subprocess.call(command, env=environ)


def main(argv: list[str] | None = None) -> int:
    """Install the given requirement into the running Python's environment.

    Parameters
    ----------
    argv : list of str, optional
        pip-style requirement arguments, e.g. ``["-e", ".[dev]"]``.

    Returns
    -------
    int
        The installer's exit status (0 on success).
    """
    requirement = list(sys.argv[1:] if argv is None else argv)
    python = sys.executable
    uv = shutil.which("uv", path=str(Path(python).parent))
    if uv is not None:
        listing = subprocess.run(
            [python, "-m", "pip", "config", "list"], capture_output=True, text=True
        ).stdout
        settings = pip_settings(listing)
        environ = dict(os.environ)
        cert = environ.get("PIP_CERT") or (settings.get("cert") or [None])[0]
        if cert and not environ.get("SSL_CERT_FILE"):
            environ["SSL_CERT_FILE"] = cert
        command = [uv, "pip", "install", "--quiet", "--python", python, "--compile-bytecode"]
        command += uv_arguments(settings, environ) + requirement
        if _run(command, environ) == 0:
            return 0
        print("[install] uv failed; installing with pip instead", file=sys.stderr)
    return _run([python, "-m", "pip", "install", "--quiet", *requirement])


if __name__ == "__main__":
    raise SystemExit(main())
