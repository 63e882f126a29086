"""The data dictionary (``data/dictionary.yaml``) read into typed objects.

The dictionary is the single source of truth for column types, ranges, categories, labels,
roles and the list of analysed markers. The loader types columns from it, the validation gate
builds its expectations from it and the table layer takes its labels from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from itp_stats.errors import DictionaryError

__all__ = ["Column", "Composition", "Dictionary", "Marker", "load_dictionary"]

_TYPES = {"integer", "float", "string", "category", "boolean"}
_ROLES = {"id", "group", "covariate", "outcome", "marker"}


@dataclass(frozen=True)
class Column:
    """One column of the cohort file.

    Attributes
    ----------
    name, label, type, role : str
        Column name, human label, value type and analytic role.
    unit : str or None
        Unit of measurement.
    range : tuple of float or None
        Inclusive ``(min, max)`` for numeric columns.
    categories : tuple of str
        Allowed values of a category column, in display order.
    pattern : str or None
        Regular expression a string value must match in full.
    unique, missing : bool
        Whether values must be unique; whether cells may be empty.
    marker, timepoint, parent : str or None
        For markers: subset name, time point and the parent column (composition rule).
    """

    name: str
    label: str
    type: str
    role: str
    unit: str | None = None
    range: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()
    pattern: str | None = None
    unique: bool = False
    missing: bool = True
    marker: str | None = None
    timepoint: str | None = None
    parent: str | None = None

    @property
    def is_numeric(self) -> bool:
        """True for integer and float columns."""
        return self.type in {"integer", "float"}

    @property
    def label_with_unit(self) -> str:
        """Label followed by the unit in parentheses, when there is one."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


@dataclass(frozen=True)
class Marker:
    """A lymphocyte subset measured at every time point.

    Attributes
    ----------
    name, label : str
        Subset name (column stem) and label.
    parent : str or None
        Subset whose count is the denominator of the derived percentage.
    """

    name: str
    label: str
    parent: str | None

    def column(self, timepoint: str) -> str:
        """Name of the count column at ``timepoint``."""
        return f"{self.name}_{timepoint}"

    def pct_column(self, timepoint: str) -> str:
        """Name of the derived percentage column at ``timepoint``."""
        return f"pct_{self.name}_{timepoint}"


@dataclass(frozen=True)
class Composition:
    """Subsets whose counts must add up to no more than a parent count."""

    parts: tuple[str, ...]
    whole: str


@dataclass(frozen=True)
class Dictionary:
    """The data dictionary.

    Attributes
    ----------
    columns : dict of str to Column
        Columns of the cohort file, in file order.
    markers : dict of str to Marker
        Analysed lymphocyte subsets, in display order.
    timepoints : dict of str to str
        Time point code to label (``m0``, ``m6``).
    compositions : tuple of Composition
        Sum rules between subsets.
    composition_tolerance : float
        Fraction of the parent a sum of subsets may exceed it by.
    derived : dict
        Columns computed by the loader, with their labels.
    path : Path
        File the dictionary was read from.
    design : itp_stats.cohort.design.Design or None
        The study's group, time points and follow-up rule, when the dictionary was loaded
        through a study configuration (:func:`itp_stats.cohort.design.load_data_model`).
    """

    columns: dict[str, Column]
    markers: dict[str, Marker]
    timepoints: dict[str, str]
    compositions: tuple[Composition, ...]
    composition_tolerance: float
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    design: Any = field(default=None, compare=False)

    @property
    def names(self) -> list[str]:
        """Column names in file order."""
        return list(self.columns)

    def by_role(self, role: str) -> list[Column]:
        """Columns with the given role, in file order."""
        return [c for c in self.columns.values() if c.role == role]

    @property
    def id_column(self) -> str:
        """Name of the patient identifier column."""
        return self.by_role("id")[0].name

    @property
    def group_column(self) -> str:
        """Name of the recorded response column."""
        return self.by_role("group")[0].name

    def marker_columns(self, timepoint: str) -> list[str]:
        """Count columns of every marker at ``timepoint``."""
        return [m.column(timepoint) for m in self.markers.values()]

    def pct_columns(self, timepoint: str) -> list[str]:
        """Derived percentage columns of every marker that has a parent, at ``timepoint``."""
        return [m.pct_column(timepoint) for m in self.markers.values() if m.parent]

    def label(self, name: str) -> str:
        """Human label of a file column or a derived column."""
        if name in self.columns:
            return self.columns[name].label
        if name in self.derived:
            return str(self.derived[name]["label"])
        if name.startswith("pct_"):
            stem, _, timepoint = name[4:].rpartition("_")
            marker = self.markers.get(stem)
            if marker and marker.parent and timepoint in self.timepoints:
                parent = self.markers[marker.parent].label
                if parent[1:2].islower():
                    parent = parent[0].lower() + parent[1:]
                return f"{marker.label}, % of {parent}"
        for tp, tp_label in self.timepoints.items():
            stem = name.removesuffix(f"_{tp}")
            if stem != name and stem in self.markers:
                return f"{self.markers[stem].label} at {tp_label.lower()}"
        return name


def _column(name: str, spec: dict[str, Any]) -> Column:
    if not isinstance(spec, dict):
        raise DictionaryError(f"column {name!r}: expected a mapping of attributes")
    missing_keys = {"label", "type", "role"} - set(spec)
    if missing_keys:
        raise DictionaryError(f"column {name!r}: missing {', '.join(sorted(missing_keys))}")
    if spec["type"] not in _TYPES:
        raise DictionaryError(f"column {name!r}: unknown type {spec['type']!r}")
    if spec["role"] not in _ROLES:
        raise DictionaryError(f"column {name!r}: unknown role {spec['role']!r}")
    rng = spec.get("range")
    if rng is not None and (len(rng) != 2 or rng[0] > rng[1]):
        raise DictionaryError(f"column {name!r}: range must be [min, max]")
    if spec["type"] == "category" and not spec.get("categories"):
        raise DictionaryError(f"column {name!r}: a category column needs categories")
    return Column(
        name=name,
        label=str(spec["label"]),
        type=spec["type"],
        role=spec["role"],
        unit=spec.get("unit"),
        range=(float(rng[0]), float(rng[1])) if rng is not None else None,
        categories=tuple(str(c) for c in spec.get("categories", ())),
        pattern=spec.get("pattern"),
        unique=bool(spec.get("unique", False)),
        missing=bool(spec.get("missing", True)),
        marker=spec.get("marker"),
        timepoint=spec.get("timepoint"),
        parent=spec.get("parent"),
    )


@lru_cache(maxsize=8)
def _load(path: Path) -> Dictionary:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DictionaryError(f"{path}: cannot read the data dictionary ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise DictionaryError(f"{path}: expected a mapping with a 'columns' section")
    columns = {name: _column(name, spec) for name, spec in raw["columns"].items()}
    markers = {
        name: Marker(name=name, label=str(spec["label"]), parent=spec.get("parent"))
        for name, spec in (raw.get("markers") or {}).items()
    }
    for col in columns.values():
        if col.parent is not None and col.parent not in columns:
            raise DictionaryError(f"column {col.name!r}: parent {col.parent!r} is not a column")
        if col.role == "marker" and col.marker not in markers:
            raise DictionaryError(f"column {col.name!r}: marker {col.marker!r} is not listed")
    if len([c for c in columns.values() if c.role == "id"]) != 1:
        raise DictionaryError(f"{path}: exactly one column must have role 'id'")
    if len([c for c in columns.values() if c.role == "group"]) != 1:
        raise DictionaryError(f"{path}: exactly one column must have role 'group'")
    compositions = tuple(
        Composition(parts=tuple(c["parts"]), whole=c["whole"])
        for c in raw.get("compositions") or ()
    )
    return Dictionary(
        columns=columns,
        markers=markers,
        timepoints={str(k): str(v) for k, v in (raw.get("timepoints") or {}).items()},
        compositions=compositions,
        composition_tolerance=float(raw.get("composition_tolerance", 0.0)),
        derived=dict(raw.get("derived") or {}),
        path=path,
    )


def load_dictionary(path: str | Path | None = None) -> Dictionary:
    """Read the data dictionary.

    Parameters
    ----------
    path : str or Path, optional
        YAML file. Without it, the dictionary of the study configuration in use
        (``$ITP_STATS_STUDY``, else the shipped ``data/study.yaml``), with the study's design
        attached (see :func:`itp_stats.cohort.design.load_data_model`).

    Returns
    -------
    Dictionary
        Typed, immutable view of the file (cached per path).

    Raises
    ------
    DictionaryError
        When the file is missing, not YAML, or its entries are inconsistent.
    """
    if path is None:
        from itp_stats.cohort.design import load_data_model

        return load_data_model()
    return _load(Path(path).resolve())
