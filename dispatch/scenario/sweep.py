"""Sweep files: a base study and what to vary, expanded into validated variants.

A sweep file (YAML) names a base study and changes to it, each a value at a dotted
path into the scenario (``sites.olkaria.solar.capacity_mw``): the cartesian
``product`` of lists of values, and named ``variants``. The sweep's variants are the
product's combinations (the first path varying slowest) followed by the named
variants; a named variant changes the base scenario, not a combination of the
product (to cross a change with the product, add its path to the product).
``docs/batch.md`` describes the format; ``docs/sweep.schema.json`` is generated
from the models here.

The base study is validated once, series included; a variant is validated as a
scenario, and its series are read again only where it changes a series field or
the snapshots: other variants reuse the series of one validated before them.

A sweep's ``command`` says what is done with each variant: ``run`` (solved as
``dispatch run``) or ``operate`` (operated on a rolling horizon from forecasts as
``dispatch operate``, with the settings of the variant's ``operation`` block).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
from pydantic import Field, StringConstraints

from dispatch.core.errors import ScenarioError
from dispatch.core.untrusted_input import not_a_file
from dispatch.core.version import __version__
from dispatch.core.yaml_reader import read_yaml
from dispatch.scenario.checks import check_consistency
from dispatch.scenario.load import (
    parse_scenario,
    read_scenario,
    scenario_error,
    scenario_path,
    study_from_scenario,
)
from dispatch.scenario.quantities import StrictModel
from dispatch.scenario.schema import Scenario
from dispatch.scenario.series import REGION_SERIES_FIELDS, SERIES_FIELDS
from dispatch.scenario.study import Study

MAX_PATH = 300
"""Longest dotted path [characters]."""
DottedPath = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$", max_length=MAX_PATH),
]
VARIANT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._=,+\-]*$"
MAX_NAME = 120
VariantName = Annotated[str, StringConstraints(pattern=VARIANT_NAME, max_length=MAX_NAME)]
MAX_VARIANTS = 1000
"""Most variants a sweep may have unless more are allowed explicitly
(``load_sweep(max_variants=N)``, ``dispatch batch --max-variants N``) [-]."""
SERIES_CACHE_BYTES = 256 * 1024**2
"""Most memory the series of validated variants may hold for reuse by later ones [B]."""
RUN, OPERATE = "run", "operate"
Command = Literal["run", "operate"]


class NamedVariant(StrictModel):
    """A named set of changes to the base scenario."""

    name: VariantName
    """Name of the variant and of its result folder: a letter or digit, then letters,
    digits and ``._=,+-`` [-]."""
    set: dict[DottedPath, Any] = Field(default_factory=dict)
    """Dotted paths into the scenario and the value each takes; empty: the base
    scenario itself [field's unit]."""


class SweepFile(StrictModel):
    """A sweep: a base study, what to vary, and whether its variants are run or operated."""

    base: str
    """The base study: its folder or scenario file, relative to the sweep file [-]."""
    description: str = ""
    """What the sweep explores [-]."""
    command: Command = RUN
    """What is done with every variant: ``run`` solves it with perfect foresight (as
    ``dispatch run``), ``operate`` operates it on a rolling horizon from forecasts (as
    ``dispatch operate``, with the variant's ``operation`` block) [-]."""
    hours: Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)] | None = None
    """Keep only the first ``hours`` of the base study's horizon; none: all of it [h]."""
    product: (
        Annotated[dict[DottedPath, Annotated[list[Any], Field(min_length=1)]], Field(min_length=1)]
        | None
    ) = None
    """Values of each dotted path; every combination is a variant, named from its
    values, the first path varying slowest [field's unit]."""
    variants: list[NamedVariant] = Field(default_factory=list)
    """Named variants, each a change of the base scenario [-]."""


@dataclass(frozen=True, eq=False)
class Variant:
    """One validated variant of a sweep.

    Attributes
    ----------
    name
        Name of the variant and of its result folder.
    changes
        Dotted paths into the scenario and their values, as the sweep file gives them.
    scenario
        The base scenario with the changes, validated.
    inputs
        SHA-256 (hex) of everything the variant's result depends on: the scenario,
        its resolved series, the horizon, the command and the package version.
    """

    name: str
    changes: dict[str, Any]
    scenario: Scenario
    inputs: str


@dataclass(frozen=True, eq=False)
class Sweep:
    """A sweep file with every variant validated, series included.

    Attributes
    ----------
    source
        The sweep file.
    base
        The base scenario file.
    hours
        Horizon kept from the start of the base study; None: all of it [h].
    variants
        The variants in order: the product's combinations, then the named ones.
    command
        ``run`` or ``operate``: what is done with every variant.
    """

    source: Path
    base: Path
    hours: float | None
    variants: tuple[Variant, ...]
    command: str = RUN

    @property
    def parameters(self) -> list[str]:
        """Dotted paths that some variant changes, in order of first appearance."""
        return list(dict.fromkeys(path for v in self.variants for path in v.changes))


def load_sweep(path: str | Path, max_variants: int = MAX_VARIANTS) -> Sweep:
    """Read a sweep file and validate every variant, series included, solving nothing.

    Parameters
    ----------
    path
        The sweep file (YAML).
    max_variants
        Most variants the sweep may have; more are refused before any is built [-].

    Returns
    -------
    Sweep
        The base study and the validated variants.

    Raises
    ------
    ScenarioError
        One line naming the file at fault, the field or dotted path, and for a
        variant's error the variant.

    Examples
    --------
    >>> from dispatch import load_sweep
    >>> sweep = load_sweep("networks/olkaria/sweep.yaml")
    >>> sweep.variants[0].name
    'capacity_mw=20,max_delay_h=4'
    """
    source = Path(path)
    spec = _read_sweep_file(source)
    _check_count(spec, max_variants, source)
    try:
        base = scenario_path(source.parent / spec.base)
    except ScenarioError:
        raise ScenarioError(
            str(source), "base", f"no study folder or scenario file {spec.base!r}"
        ) from None
    base_scenario = read_scenario(base)
    try:  # the base's own errors blame it, a horizon it cannot be cut to the sweep
        base_study = study_from_scenario(base_scenario, base, spec.hours)
    except ScenarioError as exc:
        if exc.field != "snapshots" or spec.hours is None:
            raise
        raise ScenarioError(str(source), "hours", exc.problem) from None
    named = _expand(spec)
    _check_names(named, source)
    validator = _Validator(base_study, spec.hours, spec.command, source)
    variants = tuple(validator.variant(name, changes) for name, changes in named)
    return Sweep(source, base, spec.hours, variants, spec.command)


def _read_sweep_file(source: Path) -> SweepFile:
    problem = not_a_file(source)
    if problem is not None:
        raise ScenarioError(str(source), "", problem.replace("no such file", "no such sweep file"))
    raw = read_yaml(source, "sweep")
    if not isinstance(raw, dict):
        raise ScenarioError(str(source), "", "expected a mapping of fields at top level")
    try:
        spec = SweepFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise scenario_error(exc, str(source)) from None
    if spec.product is None and not spec.variants:
        raise ScenarioError(str(source), "", "nothing to vary: give a product, variants or both")
    return spec


def _check_count(spec: SweepFile, max_variants: int, source: Path) -> None:
    """Refuse a sweep of more than ``max_variants`` variants before building any."""
    combinations = math.prod(len(values) for values in spec.product.values()) if spec.product else 0
    count = combinations + len(spec.variants)
    if count > max_variants:
        raise ScenarioError(
            str(source),
            "product" if combinations > max_variants else "variants",
            f"{count:,} variants, more than the limit of {max_variants:,}: allow them "
            f"explicitly with dispatch batch --max-variants {count} "
            f"(load_sweep(..., max_variants={count}) in Python)",
        )


def _expand(spec: SweepFile) -> list[tuple[str, dict[str, Any]]]:
    """Names and changes of every variant, in order."""
    product = spec.product or {}
    labels = _labels(list(product))
    combinations = (
        [dict(zip(product, values, strict=True)) for values in itertools.product(*product.values())]
        if product
        else []
    )
    return [
        (_product_name({labels[p]: v for p, v in changes.items()}), changes)
        for changes in combinations
    ] + [(variant.name, variant.set) for variant in spec.variants]


def _labels(paths: list[str]) -> dict[str, str]:
    """The shortest dotted suffix of each path that no other path ends with."""
    split = {path: path.split(".") for path in paths}
    endings = Counter(
        tuple(parts[-k:]) for parts in split.values() for k in range(1, len(parts) + 1)
    )
    labels = {}
    for path, parts in split.items():
        k = 1
        while k < len(parts) and endings[tuple(parts[-k:])] > 1:
            k += 1
        labels[path] = ".".join(parts[-k:])
    return labels


def _product_name(values: dict[str, Any]) -> str:
    """A folder name from a combination's values, e.g. ``capacity_mw=20,max_delay_h=4``."""
    name = ",".join(f"{label}={_value_label(value)}" for label, value in values.items())
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}-{digest}"


def _value_label(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, int | float | str):
        text = str(value)
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return re.sub(r"[^A-Za-z0-9._+\-]+", "-", text)


def _check_names(named: list[tuple[str, dict[str, Any]]], source: Path) -> None:
    """Refuse two variants of one name, or of names that differ only in case: their
    folders would be one on a file system that ignores case (macOS, Windows)."""
    seen: dict[str, str] = {}
    for name, _ in named:
        other = seen.get(name.casefold())
        if other == name:
            raise ScenarioError(
                str(source),
                "variants",
                f"two variants are named {name!r}: rename the named variant or make "
                "the product's values distinct",
            )
        if other is not None:
            raise ScenarioError(
                str(source),
                "variants",
                f"variants {other!r} and {name!r} differ only in case: their folders would "
                "be one on macOS and Windows; rename one",
            )
        seen[name.casefold()] = name


class _Validator:
    """Validates the variants of one base study, reusing series already read.

    A variant's series depend only on its snapshots and the values of its series
    fields (:func:`_series_key`); variants that share them share the series of the
    first of them validated, and only the checks across fields run again. Series
    are kept while they take at most :data:`SERIES_CACHE_BYTES`, the least
    recently used dropped first; arrays equal to the base's are the base's.

    Parameters
    ----------
    base
        The validated base study, cut to ``hours``.
    hours
        Horizon kept [h]; None: all of it.
    command
        ``run`` or ``operate``, part of each variant's input hash.
    source
        The sweep file, which errors name.
    """

    def __init__(self, base: Study, hours: float | None, command: str, source: Path) -> None:
        self.base, self.hours, self.command, self.source = base, hours, command, source
        self.mapping = base.scenario.model_dump(mode="json", exclude_unset=True)
        self.known: OrderedDict[tuple, tuple[Study, str]] = OrderedDict()
        self.held = 0
        self._remember(base)

    def variant(self, name: str, changes: dict[str, Any]) -> Variant:
        """Apply a variant's changes to the base scenario and validate the result."""
        mapping = _with_changes(self.mapping, changes, f"variant {name!r}", self.source)
        file = self.base.source
        try:
            scenario = parse_scenario(mapping, str(file))
            digest = self._check_series(scenario)
        except ScenarioError as exc:
            in_file = "" if exc.file == str(file) else f" (in {exc.file})"
            raise ScenarioError(
                str(self.source), exc.field, f"variant {name!r}: {exc.problem}{in_file}"
            ) from None
        inputs = _inputs_hash(scenario, self.hours, digest, self.command)
        return Variant(name, changes, scenario, inputs)

    def _check_series(self, scenario: Scenario) -> str:
        """Validate a scenario's series and checks across fields; their digest."""
        key = _series_key(scenario)
        if key not in self.known:
            return self._remember(study_from_scenario(scenario, self.base.source, self.hours))
        self.known.move_to_end(key)
        study, digest = self.known[key]
        check_consistency(Study(scenario, study.source, study.snapshots, study.series))
        return digest

    def _remember(self, study: Study) -> str:
        base = self.base.series
        series = {
            k: base[k] if k in base and np.array_equal(v, base[k]) else v
            for k, v in study.series.items()
        }
        digest = series_digest(series)
        self.known[_series_key(study.scenario)] = (
            Study(study.scenario, study.source, study.snapshots, series),
            digest,
        )
        self.held += _own_bytes(series, base)
        while self.held > SERIES_CACHE_BYTES and len(self.known) > 1:
            _, (dropped, _) = self.known.popitem(last=False)
            self.held -= _own_bytes(dropped.series, base)
        return digest


def _own_bytes(series: dict[str, np.ndarray], base: dict[str, np.ndarray]) -> int:
    """Memory of the arrays of ``series`` that are not the base's [B]."""
    return sum(v.nbytes for k, v in series.items() if base.get(k) is not v)


def _series_key(scenario: Scenario) -> tuple:
    """What a scenario's series depend on: snapshots and every series field's value."""
    sites = tuple(
        (name, path, field_value(site, path))
        for name, site in scenario.sites.items()
        for path in SERIES_FIELDS
    )
    regions = tuple(
        (name, path, getattr(region, path))
        for name, region in scenario.grid_regions.items()
        for path in REGION_SERIES_FIELDS
    )
    return scenario.snapshots, sites, regions


def _with_changes(
    mapping: dict[str, Any], changes: dict[str, Any], who: str, source: Path
) -> dict[str, Any]:
    """A copy of ``mapping`` with each value of ``changes`` at its dotted path, whose
    parent the mapping must have, or be a block of fields with defaults
    (:func:`_default_block`) that the mapping leaves out.

    Only the mappings and lists along the paths are copied, each once: the rest is
    shared with ``mapping``.
    """
    top = copy.copy(mapping)
    copied = {id(top)}
    for path, value in changes.items():
        parts = path.split(".")
        node: Any = top
        block: type[pydantic.BaseModel] | None = Scenario
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            block = _default_block(block, part)
            if block is not None and isinstance(node, dict) and part not in node:
                node[part] = {}
                copied.add(id(node[part]))
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                key: str | int = int(part)
            elif isinstance(node, dict) and (last or part in node):
                key = part
            else:
                missing = ".".join(parts[: depth + 1])
                raise ScenarioError(
                    str(source), path, f"{who}: unknown path (the base scenario has no {missing})"
                )
            if last:
                node[key] = value
            else:
                if id(node[key]) not in copied:
                    node[key] = copy.copy(node[key])
                    copied.add(id(node[key]))
                node = node[key]
    return top


def _default_block(model: type[pydantic.BaseModel] | None, field: str) -> type | None:
    """The model of ``model``'s field ``field`` if that field is a block of fields
    that all have defaults (a model built by default, such as ``operation`` and its
    ``forecast``), which a path may reach though the scenario file leaves it out."""
    info = model.model_fields.get(field) if model is not None else None
    if info is None or info.default_factory is None:
        return None
    block = info.annotation
    return block if isinstance(block, type) and issubclass(block, StrictModel) else None


def field_value(scenario: Scenario, path: str) -> Any:
    """The value of a scenario at a dotted path (a default where the file sets none)."""
    value: Any = scenario
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list):
            value = value[int(part)]
        else:
            value = getattr(value, part, None)
    return value


def inputs_hash(study: Study, hours: float | None, command: str = RUN) -> str:
    """SHA-256 (hex) of what a study's result depends on.

    The validated scenario (as canonical JSON, so formatting and comments do not
    count), the resolved values of every series on the kept snapshots, the horizon
    ``hours`` [h], the ``command`` (``run`` or ``operate``) and the package version.
    """
    return _inputs_hash(study.scenario, hours, series_digest(study.series), command)


def series_digest(series: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) of a study's series: their keys and values [field's unit]."""
    digest = hashlib.sha256()
    for key in sorted(series):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(series[key], dtype="<f8").tobytes())
    return digest.hexdigest()


def _inputs_hash(scenario: Scenario, hours: float | None, series: str, command: str) -> str:
    head = {
        "scenario": scenario.model_dump(mode="json"),
        "hours": hours,
        "dispatch": __version__,
        "series": series,
    }
    if command != RUN:  # run variants keep the hashes of batch folders written before
        head["command"] = command
    return hashlib.sha256(json.dumps(head, sort_keys=True).encode()).hexdigest()
