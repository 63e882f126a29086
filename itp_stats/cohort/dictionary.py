"""The data dictionary (``data/dictionary.yaml``) read into typed objects.

The dictionary is the single source of truth for column types, ranges, categories, labels,
roles and the list of analysed markers. The loader types columns from it, the validation gate
builds its expectations from it and the table layer takes its labels from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from itp_stats.cohort.computed import Computation, read_computation
from itp_stats.errors import DictionaryError

__all__ = [
    "Bin",
    "Binned",
    "Column",
    "ColumnWarning",
    "Composition",
    "Dictionary",
    "Marker",
    "load_dictionary",
    "yaml_reason",
]

_TYPES = {"integer", "float", "string", "category", "boolean"}
_ROLES = {"id", "group", "covariate", "outcome", "marker"}
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def yaml_reason(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: the problem and where (``… at line 3, column 7``)."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return " ".join(str(exc).split())


@dataclass(frozen=True)
class ColumnWarning:
    """A soft bound of a numeric column: values beyond it are reported, not refused.

    Read from a column's ``warn`` entry; the gate makes it a rule of severity ``warning``,
    with id ``<column>.<id>``.

    Attributes
    ----------
    id : str
        Rule id suffix (``itp`` gives ``platelets_m0.itp``).
    below, above : float or None
        Expected values are strictly below ``below`` and strictly above ``above``.
    reason : str or None
        Why, shown in the rule's description (``the ITP threshold``).
    """

    id: str
    below: float | None = None
    above: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Bin:
    """One bin of a binned derived column.

    Attributes
    ----------
    label : str
        Category given to the values of the bin.
    below, at_most : float or None
        Upper bound of the bin: values ``< below`` or ``<= at_most``; neither for the last
        bin, which takes every value left.
    """

    label: str
    below: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class Binned:
    """A derived category column cut from a numeric file column.

    Each value goes to the first bin, in order, whose upper bound it satisfies; a missing
    value (or one beyond the last bounded bin) stays missing.

    Attributes
    ----------
    name : str
        Derived column.
    source : str
        Numeric file column it is cut from (``from:`` in the dictionary).
    bins : tuple of Bin
        Bins in order; their labels are the categories, in display order.
    """

    name: str
    source: str
    bins: tuple[Bin, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        """The bins' labels, in order."""
        return tuple(b.label for b in self.bins)


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
    category_labels : dict of str to str
        How tables print a category (``F`` → ``Female``); the category itself when absent.
    pattern : str or None
        Regular expression a string value must match in full.
    pattern_help : str or None
        The pattern in words, for the gate's rule description (``only letters, digits``).
    unique, missing : bool
        Whether values must be unique; whether cells may be empty.
    marker, timepoint, parent : str or None
        For markers: subset name, time point and the parent column (composition rule).
    warn : tuple of ColumnWarning
        Soft bounds, reported as warnings by the gate.
    """

    name: str
    label: str
    type: str
    role: str
    unit: str | None = None
    range: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()
    category_labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    pattern: str | None = None
    pattern_help: str | None = None
    unique: bool = False
    missing: bool = True
    marker: str | None = None
    timepoint: str | None = None
    parent: str | None = None
    warn: tuple[ColumnWarning, ...] = ()

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
    """A marker measured at every time point, or computed from recorded markers.

    Attributes
    ----------
    name, label : str
        Subset name (column stem) and label.
    parent : str or None
        Subset whose count is the denominator of the derived percentage.
    decimals : int or None
        Decimals its values print with (``decimals:``); None: as many as the recorded values
        show (:func:`itp_stats.report.tables.marker_digits`).
    pct_decimals : int or None
        Decimals its percentage prints with (``pct_decimals:``); None: 1.
    compute : Computation or None
        For a computed marker (``compute: {ratio: [kappa, lambda]}``), how it is derived from
        recorded markers at each time point (:mod:`itp_stats.cohort.computed`); None for a
        recorded one.
    unit : str or None
        A computed marker's unit (``unit:``; default: its inputs' common unit for a sum or a
        difference, none for a ratio of one unit, ``a/b`` for a ratio of two). A recorded
        marker's unit is its columns'.
    """

    name: str
    label: str
    parent: str | None
    decimals: int | None = None
    pct_decimals: int | None = None
    compute: Computation | None = None
    unit: str | None = None

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
        Columns computed by the loader, with their labels (the ``derived`` section as read).
    path : Path
        File the dictionary was read from.
    name : str
        The dictionary's ``name`` (the gate's suite is named after it); the file's stem
        when it has none.
    binned : dict of str to Binned
        Derived category columns cut from a numeric column (``from:`` and ``bins:``).
    design : itp_stats.cohort.design.Design or None
        The study's group, time points and follow-up rule, when the dictionary was loaded
        through a study configuration (:func:`itp_stats.cohort.design.load_data_model`).
    computed : dict of str to Column
        Columns of the computed markers (``kl_ratio_m0``), one per marker and time point
        where its inputs are recorded: not in the file, computed after the gate
        (:func:`itp_stats.cohort.computed.add_computed`).
    """

    columns: dict[str, Column]
    markers: dict[str, Marker]
    timepoints: dict[str, str]
    compositions: tuple[Composition, ...]
    composition_tolerance: float
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    design: Any = field(default=None, compare=False)
    name: str = "cohort"
    binned: dict[str, Binned] = field(default_factory=dict)
    computed: dict[str, Column] = field(default_factory=dict)

    @property
    def computed_sources(self) -> dict[str, tuple[str, str]]:
        """Computed column → (its marker, its time point)."""
        return {n: (str(c.marker), str(c.timepoint)) for n, c in self.computed.items()}

    def column(self, name: str) -> Column | None:
        """The column of the file, or the computed marker column, named ``name`` (None if
        neither)."""
        return self.columns.get(name) or self.computed.get(name)

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
        """Name of the recorded group column (the study's, when a design is attached)."""
        if self.design is not None:
            return str(self.design.group_column)
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


def _number(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DictionaryError(f"{path}: {where}: must be a number, not {value!r}")
    return float(value)


def _no_yaml_booleans(where: str, key: str, values: Any) -> None:
    """Refuse YAML's booleans where text is meant: unquoted ``yes``/``no``/``on``/``off`` are
    read as true/false, and would never match the file's ``yes`` and ``no``."""
    if isinstance(values, dict):
        items = [*values.keys(), *values.values()]
    else:
        items = list(values) if isinstance(values, list) else []
    if any(isinstance(v, bool) for v in items):
        raise DictionaryError(
            f"{where}: {key}: yes, no, on and off must be quoted ('yes', 'no'): YAML reads them "
            "unquoted as true and false"
        )


def _decimals(path: Path, name: str, spec: dict[str, Any], key: str) -> int | None:
    """A marker's ``decimals``/``pct_decimals``: a whole number ≥ 0, or None when absent."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DictionaryError(
            f"{path}: markers: {name!r}: {key}: must be a whole number ≥ 0, not {value!r}"
        )
    return value


def _warnings(path: Path, name: str, spec: dict[str, Any], kind: str) -> tuple[ColumnWarning, ...]:
    raw = spec.get("warn")
    if raw is None:
        return ()
    entries = raw if isinstance(raw, list) else [raw]
    where = f"column {name!r}: warn"
    if kind not in {"integer", "float"}:
        raise DictionaryError(f"{path}: {where}: only numeric columns take soft bounds")
    out: list[ColumnWarning] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise DictionaryError(f"{path}: {where}: expected a mapping with below/above")
        unknown = set(entry) - {"id", "below", "above", "reason"}
        if unknown:
            raise DictionaryError(f"{path}: {where}: unknown key(s) {', '.join(sorted(unknown))}")
        rule_id = str(entry.get("id", "warn"))
        if not _RULE_ID.match(rule_id):
            raise DictionaryError(
                f"{path}: {where}.id: {rule_id!r} is not lower-case letters, digits and '_'"
            )
        if "below" not in entry and "above" not in entry:
            raise DictionaryError(f"{path}: {where}: give 'below', 'above' or both")
        below = _number(path, f"{where}.below", entry["below"]) if "below" in entry else None
        above = _number(path, f"{where}.above", entry["above"]) if "above" in entry else None
        if below is not None and above is not None and above >= below:
            raise DictionaryError(f"{path}: {where}: 'above' must be less than 'below'")
        reason = entry.get("reason")
        out.append(ColumnWarning(rule_id, below, above, None if reason is None else str(reason)))
    ids = [w.id for w in out]
    if len(ids) != len(set(ids)):
        raise DictionaryError(f"{path}: {where}: two entries share an id; give each an 'id'")
    return tuple(out)


def _column(path: Path, name: str, spec: dict[str, Any]) -> Column:
    where = f"{path}: column {name!r}"
    if not isinstance(spec, dict):
        raise DictionaryError(f"{where}: expected a mapping of attributes")
    missing_keys = {"label", "type", "role"} - set(spec)
    if missing_keys:
        raise DictionaryError(f"{where}: missing {', '.join(sorted(missing_keys))}")
    if spec["type"] not in _TYPES:
        raise DictionaryError(f"{where}: unknown type {spec['type']!r}")
    if spec["role"] not in _ROLES:
        raise DictionaryError(f"{where}: unknown role {spec['role']!r}")
    rng = spec.get("range")
    if rng is not None and (not isinstance(rng, list) or len(rng) != 2 or rng[0] > rng[1]):
        raise DictionaryError(f"{where}: range must be [min, max]")
    if spec["type"] == "category" and not spec.get("categories"):
        raise DictionaryError(f"{where}: a category column needs categories")
    for key in ("categories", "labels"):
        _no_yaml_booleans(where, key, spec.get(key))
    return Column(
        name=name,
        label=str(spec["label"]),
        type=spec["type"],
        role=spec["role"],
        unit=spec.get("unit"),
        range=(float(rng[0]), float(rng[1])) if rng is not None else None,
        categories=tuple(str(c) for c in spec.get("categories", ())),
        category_labels={str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
        pattern=spec.get("pattern"),
        pattern_help=spec.get("pattern_help"),
        unique=bool(spec.get("unique", False)),
        missing=bool(spec.get("missing", True)),
        marker=spec.get("marker"),
        timepoint=spec.get("timepoint"),
        parent=spec.get("parent"),
        warn=_warnings(path, name, spec, spec["type"]),
    )


def _binned(path: Path, name: str, spec: Any, columns: dict[str, Column]) -> Binned | None:
    """The ``from:``/``bins:`` entry of a derived column, checked (None when it has none)."""
    if not isinstance(spec, dict) or ("from" not in spec and "bins" not in spec):
        return None
    where = f"{path}: derived {name!r}"
    if name in columns:
        raise DictionaryError(f"{where}: is also a column of the file")
    source = spec.get("from")
    if source not in columns or not isinstance(source, str):
        raise DictionaryError(f"{where}: from: {source!r} is not a column of the dictionary")
    if not columns[source].is_numeric:
        raise DictionaryError(f"{where}: from: {source!r} is not a numeric column")
    raw_bins = spec.get("bins")
    if not isinstance(raw_bins, list) or len(raw_bins) < 2:
        raise DictionaryError(f"{where}: bins: expected a list of at least two bins")
    bins: list[Bin] = []
    last = float("-inf")
    for i, entry in enumerate(raw_bins):
        key = f"{where}: bins[{i}]"
        if not isinstance(entry, dict) or "label" not in entry:
            raise DictionaryError(f"{key}: expected a mapping with a 'label'")
        unknown = set(entry) - {"label", "below", "at_most"}
        if unknown:
            raise DictionaryError(f"{key}: unknown key(s) {', '.join(sorted(unknown))}")
        if "below" in entry and "at_most" in entry:
            raise DictionaryError(f"{key}: give 'below' or 'at_most', not both")
        below = (
            _number(path, f"derived {name!r}: bins[{i}].below", entry["below"])
            if ("below" in entry)
            else None
        )
        at_most = (
            _number(path, f"derived {name!r}: bins[{i}].at_most", entry["at_most"])
            if ("at_most" in entry)
            else None
        )
        bound = below if below is not None else at_most
        if bound is None and i < len(raw_bins) - 1:
            raise DictionaryError(f"{key}: only the last bin may have no upper bound")
        if bound is not None:
            if bound < last:
                raise DictionaryError(f"{key}: bounds must increase from bin to bin")
            last = bound
        bins.append(Bin(str(entry["label"]), below, at_most))
    labels = [b.label for b in bins]
    if len(set(labels)) != len(labels):
        raise DictionaryError(f"{where}: bins: two bins share a label")
    categories = spec.get("categories")
    if categories is not None and [str(c) for c in categories] != labels:
        raise DictionaryError(f"{where}: categories: must be the bins' labels, in order")
    return Binned(name=name, source=source, bins=tuple(bins))


def _computed_unit(path: Path, marker: Marker, columns: dict[str, Column], tp: str) -> str | None:
    if marker.unit is not None:
        return marker.unit or None
    computation = marker.compute
    units = [columns[c].unit or "" for c in computation.columns(tp)]
    if computation.operation == "ratio":
        return None if units[0] == units[1] else f"{units[0] or '1'}/{units[1] or '1'}"
    if len(set(units)) > 1:
        raise DictionaryError(
            f"{path}: markers: {marker.name!r}: compute.{computation.operation}: its markers "
            f"are in different units ({', '.join(u or 'none' for u in units)}): give the "
            "marker a unit, or compute from markers in one unit"
        )
    return units[0] or None


def _computed_columns(
    path: Path, markers: dict[str, Marker], columns: dict[str, Column], timepoints: dict
) -> dict[str, Column]:
    """The computed markers' columns, checked: inputs recorded, numeric, at each time point."""
    out: dict[str, Column] = {}
    for marker in markers.values():
        computation = marker.compute
        if computation is None:
            continue
        where = f"{path}: markers: {marker.name!r}: compute.{computation.operation}"
        if marker.parent is not None:
            raise DictionaryError(
                f"{path}: markers: {marker.name!r}: a computed marker has no parent "
                "(its percentage would not be a part of a whole)"
            )
        for name in computation.inputs:
            if name not in markers:
                raise DictionaryError(f"{where}: {name!r} is not a marker of the dictionary")
            if markers[name].compute is not None:
                raise DictionaryError(
                    f"{where}: {name!r} is computed itself: compute from recorded markers"
                )
        for tp, tp_label in timepoints.items():
            needed = computation.columns(str(tp))
            present = [c for c in needed if c in columns]
            if not present:
                continue
            if len(present) < len(needed):
                absent = ", ".join(c for c in needed if c not in columns)
                raise DictionaryError(
                    f"{where}: at {tp}, {absent} is not a column of the dictionary (the "
                    f"other inputs are: {', '.join(present)})"
                )
            for c in needed:
                if not columns[c].is_numeric:
                    raise DictionaryError(f"{where}: {c!r} is not numeric (type {columns[c].type})")
            name = marker.column(str(tp))
            if name in columns:
                raise DictionaryError(
                    f"{where}: {name!r} is also listed in columns: a computed marker is not "
                    "read from the file"
                )
            out[name] = Column(
                name=name,
                label=f"{marker.label} at {str(tp_label).lower()}",
                type="float",
                role="marker",
                unit=_computed_unit(path, marker, columns, str(tp)),
                marker=marker.name,
                timepoint=str(tp),
            )
        if not any(c.marker == marker.name for c in out.values()):
            raise DictionaryError(
                f"{where}: its markers have no column at any time point "
                f"({', '.join(computation.columns(next(iter(timepoints), 'm0')))} …)"
            )
    for marker in markers.values():
        if marker.parent is not None and markers[marker.parent].compute is not None:
            raise DictionaryError(
                f"{path}: markers: {marker.name!r}: parent {marker.parent!r} is computed, not "
                "recorded"
            )
    return out


@lru_cache(maxsize=16)
def _load(path: Path, stamp: tuple[int, int]) -> Dictionary:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DictionaryError(f"{path}: cannot read the data dictionary ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{path}: not valid YAML ({yaml_reason(exc)})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise DictionaryError(f"{path}: expected a mapping with a 'columns' section")
    columns = {str(name): _column(path, str(name), spec) for name, spec in raw["columns"].items()}
    markers_raw = raw.get("markers") or {}
    if not isinstance(markers_raw, dict):
        raise DictionaryError(f"{path}: markers: expected a mapping name: {{label, parent}}")
    markers = {}
    for name, spec in markers_raw.items():
        if not isinstance(spec, dict) or "label" not in spec:
            raise DictionaryError(f"{path}: markers: {name!r}: expected a mapping with a 'label'")
        markers[str(name)] = Marker(
            name=str(name),
            label=str(spec["label"]),
            parent=spec.get("parent"),
            decimals=_decimals(path, str(name), spec, "decimals"),
            pct_decimals=_decimals(path, str(name), spec, "pct_decimals"),
            compute=(
                read_computation(path, str(name), spec["compute"]) if "compute" in spec else None
            ),
            unit=None if spec.get("unit") is None else str(spec["unit"]),
        )
    for col in columns.values():
        if col.parent is not None and col.parent not in columns:
            raise DictionaryError(
                f"{path}: column {col.name!r}: parent {col.parent!r} is not a column"
            )
        if col.role == "marker" and col.marker not in markers:
            raise DictionaryError(
                f"{path}: column {col.name!r}: marker {col.marker!r} is not listed"
            )
    if len([c for c in columns.values() if c.role == "id"]) != 1:
        raise DictionaryError(f"{path}: exactly one column must have role 'id'")
    if len([c for c in columns.values() if c.role == "group"]) != 1:
        raise DictionaryError(f"{path}: exactly one column must have role 'group'")
    for marker in markers.values():
        if marker.parent is not None and marker.parent not in markers:
            raise DictionaryError(
                f"{path}: markers: {marker.name!r}: parent {marker.parent!r} is not a marker"
            )
    timepoints = raw.get("timepoints") or {}
    if not isinstance(timepoints, dict):
        raise DictionaryError(f"{path}: timepoints: expected a mapping code: label")
    compositions = []
    raw_compositions = raw.get("compositions") or []
    if not isinstance(raw_compositions, list):
        raise DictionaryError(f"{path}: compositions: expected a list of {{parts, whole}}")
    for i, c in enumerate(raw_compositions):
        if not isinstance(c, dict) or not isinstance(c.get("parts"), list) or "whole" not in c:
            raise DictionaryError(
                f"{path}: compositions[{i}]: expected a mapping with 'parts' (a list) and 'whole'"
            )
        unknown = [str(m) for m in [*c["parts"], c["whole"]] if m not in markers]
        if unknown:
            raise DictionaryError(
                f"{path}: compositions[{i}]: {', '.join(unknown)} not among the markers"
            )
        computed_in = [str(m) for m in [*c["parts"], c["whole"]] if markers[m].compute]
        if computed_in:
            raise DictionaryError(
                f"{path}: compositions[{i}]: {', '.join(computed_in)} is computed, not recorded"
            )
        compositions.append(Composition(parts=tuple(c["parts"]), whole=c["whole"]))
    tolerance = raw.get("composition_tolerance", 0.0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        raise DictionaryError(f"{path}: composition_tolerance: must be a number ≥ 0")
    derived_raw = raw.get("derived") or {}
    if not isinstance(derived_raw, dict):
        raise DictionaryError(f"{path}: derived: expected a mapping of derived columns")
    derived: dict[str, dict[str, Any]] = {}
    binned: dict[str, Binned] = {}
    for name, spec in derived_raw.items():
        entry = dict(spec) if isinstance(spec, dict) else {"label": str(spec)}
        cut = _binned(path, str(name), spec, columns)
        if cut is not None:
            binned[cut.name] = cut
            entry.setdefault("type", "category")
            entry["categories"] = list(cut.categories)
        derived[str(name)] = entry
    return Dictionary(
        columns=columns,
        markers=markers,
        timepoints={str(k): str(v) for k, v in timepoints.items()},
        compositions=tuple(compositions),
        composition_tolerance=float(tolerance),
        derived=derived,
        path=path,
        name=str(raw.get("name") or path.stem),
        binned=binned,
        computed=_computed_columns(path, markers, columns, timepoints),
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
        Typed, immutable view of the file (cached per path and modification time).

    Raises
    ------
    DictionaryError
        When the file is missing, not YAML, or its entries are inconsistent (the message
        names the file and the entry).
    """
    if path is None:
        from itp_stats.cohort.design import load_data_model

        return load_data_model()
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise DictionaryError(
            f"{resolved}: cannot read the data dictionary ({exc.strerror})"
        ) from None
    return _load(resolved, (stat.st_mtime_ns, stat.st_size))
