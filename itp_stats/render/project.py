"""Read a Quarto project (``_quarto.yml``) and resolve what to render, where and how.

The rules follow Quarto's: project metadata is the base, a document's front matter
overrides it, and ``format:`` options (project, then document) override both for their
format. Relative paths in ``_quarto.yml`` are relative to the project folder; those in front
matter to the document's folder. Outputs mirror the source layout under ``output-dir``
(``report/index.qmd`` → ``<output-dir>/report/index.html``).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from itp_stats.render.errors import ProjectError

__all__ = [
    "PROJECT_FILE",
    "SUPPORTED_FORMATS",
    "FORMAT_EXTENSIONS",
    "Project",
    "find_project_root",
    "load_project",
    "normalise_formats",
    "deep_merge",
    "yaml_safe",
]

PROJECT_FILE = "_quarto.yml"

SUPPORTED_FORMATS = ("html", "typst", "docx")
"""Formats the built-in engine writes (Typst is how it makes PDF)."""

FORMAT_EXTENSIONS = {"html": "html", "typst": "pdf", "docx": "docx"}
"""File extension of each format's output."""

_FORMAT_ALIASES = {"pdf": "typst"}

# options holding paths, resolved against the folder of the file that sets them
_PATH_KEYS = ("bibliography", "csl", "css", "reference-doc", "filters", "include-in-header")
# entries of those options that are names, not paths (Quarto's own filters, citeproc)
_NOT_PATHS = ("quarto", "citeproc")


def _listed(value: Any) -> list[Any]:
    if value is None or value is False:
        return []
    return list(value) if isinstance(value, list) else [value]


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated recursively by ``override`` (mappings merge, others replace)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def yaml_safe(value: Any) -> Any:
    """Return ``value`` with dates and times as ISO strings (YAML reads them as objects)."""
    if isinstance(value, dict):
        return {str(k): yaml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [yaml_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def normalise_formats(value: Any, where: str) -> dict[str, dict[str, Any]]:
    """Return a ``format:`` value as ``{format: options}``.

    Parameters
    ----------
    value : str, list or dict
        ``format: html``, ``format: [html, docx]`` or ``format: {html: {...}, docx: default}``.
    where : str
        Name used in error messages.

    Returns
    -------
    dict
        Format name (``pdf`` read as ``typst``) to its options.

    Raises
    ------
    ProjectError
        For a malformed value.
    """
    if value is None:
        return {}
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        value = {str(name): {} for name in value}
    if not isinstance(value, dict):
        raise ProjectError(f"{where}: 'format' must be a format name, a list or a mapping")
    formats: dict[str, dict[str, Any]] = {}
    for name, options in value.items():
        name = _FORMAT_ALIASES.get(str(name), str(name))
        if options in (None, "default"):
            options = {}
        if not isinstance(options, dict):
            raise ProjectError(f"{where}: options of format '{name}' must be a mapping")
        formats[name] = options
    return formats


def _resolve_path(value: Any, folder: Path) -> Any:
    """A path option's entry resolved: a string, or the ``path``/``file`` of a mapping."""
    if isinstance(value, str):
        return value if value in _NOT_PATHS else str((folder / value).resolve())
    if isinstance(value, dict):
        return {
            k: str((folder / v).resolve()) if k in ("path", "file") and isinstance(v, str) else v
            for k, v in value.items()
        }
    return value


def _resolve_paths(meta: dict[str, Any], folder: Path) -> dict[str, Any]:
    meta = dict(meta)
    for key in _PATH_KEYS:
        value = meta.get(key)
        if isinstance(value, list):
            meta[key] = [_resolve_path(v, folder) for v in value]
        elif value is not None:
            meta[key] = _resolve_path(value, folder)
    return meta


@dataclass(frozen=True)
class Project:
    """A Quarto project.

    Attributes
    ----------
    root : Path
        Folder holding ``_quarto.yml``.
    config : dict
        ``_quarto.yml`` as read.
    """

    root: Path
    config: dict[str, Any]

    @property
    def options(self) -> dict[str, Any]:
        """The ``project:`` mapping."""
        return self.config.get("project") or {}

    @property
    def output_dir(self) -> Path | None:
        """The folder readers find the outputs in, as an absolute path (``None``: outputs
        beside the sources).

        ``itp-stats: publish-dir`` when given — Quarto then writes into ``project.output-dir``
        as a staging folder, which the post-render step ``itp-stats publish`` swaps in (see
        :mod:`itp_stats.render.staging`) — else ``project.output-dir``.
        """
        own = self.config.get("itp-stats")
        value = own.get("publish-dir") if isinstance(own, dict) else None
        return (self.root / str(value)).resolve() if value else self.quarto_output_dir

    @property
    def quarto_output_dir(self) -> Path | None:
        """``project.output-dir`` (where Quarto writes) as an absolute path, if given."""
        value = self.options.get("output-dir")
        return (self.root / str(value)).resolve() if value else None

    @property
    def pre_render(self) -> list[str]:
        """``project.pre-render`` commands, in order."""
        return self._commands("pre-render")

    @property
    def post_render(self) -> list[str]:
        """``project.post-render`` commands, in order (run after the outputs are in place)."""
        return self._commands("post-render")

    def _commands(self, key: str) -> list[str]:
        value = self.options.get(key) or []
        return [str(value)] if isinstance(value, str) else [str(v) for v in value]

    @property
    def formats(self) -> dict[str, dict[str, Any]]:
        """Project-level formats and their options."""
        return normalise_formats(self.config.get("format"), str(self.root / PROJECT_FILE))

    def inputs(self) -> list[Path]:
        """Documents the project renders: ``project.render`` (globs allowed) or every ``.qmd``.

        Raises
        ------
        ProjectError
            When a listed document does not exist.
        """
        listed = self.options.get("render")
        if not listed:
            found = [
                path
                for path in sorted(self.root.rglob("*.qmd"))
                if not any(
                    part.startswith(("_", ".")) for part in path.relative_to(self.root).parts
                )
            ]
            return found
        documents: list[Path] = []
        for entry in listed:
            entry = str(entry)
            if any(ch in entry for ch in "*?["):
                documents.extend(sorted(self.root.glob(entry)))
                continue
            path = (self.root / entry).resolve()
            if not path.is_file():
                raise ProjectError(f"{PROJECT_FILE}: project.render lists missing {entry}")
            documents.append(path)
        return list(dict.fromkeys(documents))

    def relative(self, path: Path) -> str:
        """``path`` relative to the project root, as a POSIX string (for messages)."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def base_metadata(self) -> dict[str, Any]:
        """Project-level document metadata (everything but ``project`` and ``format``).

        The files of ``metadata-files`` (relative to the project) are read now, each time, as
        Quarto reads them again after the pre-render steps (which may write them): merged in
        order over ``_quarto.yml``'s own keys; a file that does not exist is skipped.
        """
        meta = {
            k: v for k, v in self.config.items() if k not in ("project", "format", "metadata-files")
        }
        for entry in _listed(self.config.get("metadata-files")):
            path = self.root / str(entry)
            if not path.is_file():
                continue
            try:
                extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise ProjectError(
                    f"{PROJECT_FILE}: metadata-files: cannot read {entry}: {exc}"
                ) from None
            if not isinstance(extra, dict):
                raise ProjectError(f"{PROJECT_FILE}: metadata-files: {entry} is not a mapping")
            meta = deep_merge(meta, extra)
        return _resolve_paths(meta, self.root)

    def document_metadata(
        self,
        document: Path,
        front_matter: dict[str, Any],
        formats: list[str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Merge project and document metadata.

        Parameters
        ----------
        document : Path
            The ``.qmd`` file.
        front_matter : dict
            Its front matter.
        formats : list of str, optional
            Formats asked for (``--to``); default: the document's ``format`` keys, else the
            project's, else ``html``.

        Returns
        -------
        tuple of (dict, dict)
            The merged metadata common to all formats, and for each format rendered, that
            format's merged options (metadata included).
        """
        where = self.relative(document)
        doc_meta = {k: v for k, v in front_matter.items() if k != "format"}
        common = deep_merge(self.base_metadata(), _resolve_paths(doc_meta, document.parent))
        project_formats = {
            name: _resolve_paths(options, self.root) for name, options in self.formats.items()
        }
        doc_formats = {
            name: _resolve_paths(options, document.parent)
            for name, options in normalise_formats(front_matter.get("format"), where).items()
        }
        names = list(formats or doc_formats or project_formats or ["html"])
        per_format = {
            name: deep_merge(
                deep_merge(common, project_formats.get(name, {})), doc_formats.get(name, {})
            )
            for name in names
        }
        return common, per_format

    def output_path(self, document: Path, fmt: str, output_dir: Path | None = None) -> Path:
        """Where ``document`` rendered to ``fmt`` goes (Quarto's layout).

        Parameters
        ----------
        document : Path
            The ``.qmd`` file.
        fmt : str
            A format of ``SUPPORTED_FORMATS``.
        output_dir : Path, optional
            Overrides ``project.output-dir``.
        """
        target = output_dir or self.output_dir
        name = f"{document.stem}.{FORMAT_EXTENSIONS[fmt]}"
        if target is None:
            return document.parent / name
        try:
            relative = document.resolve().parent.relative_to(self.root)
        except ValueError:
            relative = Path()
        return target / relative / name


def find_project_root(start: Path) -> Path | None:
    """Return the nearest folder from ``start`` upwards holding ``_quarto.yml``, if any."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return None


def load_project(root: Path) -> Project:
    """Read ``_quarto.yml`` in ``root``.

    Parameters
    ----------
    root : Path
        The project folder.

    Returns
    -------
    Project
        The project.

    Raises
    ------
    ProjectError
        When the file is missing, not valid YAML, or not a mapping.
    """
    root = Path(root).resolve()
    path = root / PROJECT_FILE
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ProjectError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProjectError(f"{PROJECT_FILE}{line}: not valid YAML: {problem}") from None
    if not isinstance(config, dict):
        raise ProjectError(f"{PROJECT_FILE}: must be a YAML mapping")
    return Project(root=root, config=config)
