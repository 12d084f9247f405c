"""Sweep files: a base study and what to vary, expanded into validated variants.

A sweep file (YAML) names a base study and changes to it, each a value at a dotted
path into the scenario (``sites.olkaria.solar.capacity_mw``): the cartesian
``product`` of lists of values, and named ``variants``. The sweep's variants are the
product's combinations (the first path varying slowest) followed by the named
variants; a named variant changes the base scenario, not a combination of the
product (to cross a change with the product, add its path to the product).
``docs/batch.md`` describes the format; ``docs/sweep.schema.json`` is generated
from the models here.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pydantic
import yaml
from pydantic import Field, StringConstraints

from dispatch._errors import ScenarioError
from dispatch._schema import Scenario, _Model
from dispatch._study import (
    Study,
    _scenario_error,
    parse_scenario,
    read_scenario,
    scenario_path,
    study_from_scenario,
)

DottedPath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]
VARIANT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._=,+\-]*$"
MAX_NAME = 120
VariantName = Annotated[str, StringConstraints(pattern=VARIANT_NAME, max_length=MAX_NAME)]


class NamedVariant(_Model):
    """A named set of changes to the base scenario."""

    name: VariantName
    """Name of the variant and of its result folder: a letter or digit, then letters,
    digits and ``._=,+-`` [-]."""
    set: dict[DottedPath, Any] = Field(default_factory=dict)
    """Dotted paths into the scenario and the value each takes; empty: the base
    scenario itself [field's unit]."""


class SweepFile(_Model):
    """A sweep: a base study and what to vary; every variant is solved like ``dispatch run``."""

    base: str
    """The base study: its folder or scenario file, relative to the sweep file [-]."""
    description: str = ""
    """What the sweep explores [-]."""
    hours: Annotated[float, Field(gt=0)] | None = None
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
        its resolved series, the horizon and the package version.
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
    """

    source: Path
    base: Path
    hours: float | None
    variants: tuple[Variant, ...]

    @property
    def parameters(self) -> list[str]:
        """Dotted paths that some variant changes, in order of first appearance."""
        return list(dict.fromkeys(path for v in self.variants for path in v.changes))


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep file and validate every variant, series included, solving nothing.

    Parameters
    ----------
    path
        The sweep file (YAML).

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
    try:
        base = scenario_path(source.parent / spec.base)
    except ScenarioError:
        raise ScenarioError(
            str(source), "base", f"no study folder or scenario file {spec.base!r}"
        ) from None
    base_scenario = read_scenario(base)
    try:  # the base's own errors blame it, a horizon it cannot be cut to the sweep
        study_from_scenario(base_scenario, base, spec.hours)
    except ScenarioError as exc:
        if exc.field != "snapshots" or spec.hours is None:
            raise
        raise ScenarioError(str(source), "hours", exc.problem) from None
    base_mapping = base_scenario.model_dump(mode="json", exclude_unset=True)
    named = _expand(spec)
    _check_names(named, source)
    variants = tuple(
        _variant(name, changes, base_mapping, base, spec.hours, source) for name, changes in named
    )
    return Sweep(source, base, spec.hours, variants)


def _read_sweep_file(source: Path) -> SweepFile:
    if not source.is_file():
        raise ScenarioError(str(source), "", "no such sweep file")
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problem = " ".join(str(exc).split())
        raise ScenarioError(str(source), "", f"not a readable YAML file ({problem})") from None
    if not isinstance(raw, dict):
        raise ScenarioError(str(source), "", "expected a mapping of fields at top level")
    try:
        spec = SweepFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise _scenario_error(exc, str(source)) from None
    if spec.product is None and not spec.variants:
        raise ScenarioError(str(source), "", "nothing to vary: give a product, variants or both")
    return spec


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
    labels = {}
    for path in paths:
        parts = path.split(".")
        for k in range(1, len(parts) + 1):
            if not any(o != path and o.split(".")[-k:] == parts[-k:] for o in paths):
                break
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
    seen: set[str] = set()
    for name, _ in named:
        if name in seen:
            raise ScenarioError(
                str(source),
                "variants",
                f"two variants are named {name!r}: rename the named variant or make "
                "the product's values distinct",
            )
        seen.add(name)


def _variant(
    name: str,
    changes: dict[str, Any],
    base_mapping: dict[str, Any],
    base: Path,
    hours: float | None,
    source: Path,
) -> Variant:
    """Apply the changes to the base mapping and validate the result, series included."""
    mapping = copy.deepcopy(base_mapping)
    for path, value in changes.items():
        _set_path(mapping, path, value, f"variant {name!r}", source)
    try:
        scenario = parse_scenario(mapping, str(base))
        study = study_from_scenario(scenario, base, hours)
    except ScenarioError as exc:
        in_file = "" if exc.file == str(base) else f" (in {exc.file})"
        raise ScenarioError(
            str(source), exc.field, f"variant {name!r}: {exc.problem}{in_file}"
        ) from None
    return Variant(name, changes, scenario, inputs_hash(study, hours))


def _set_path(mapping: dict[str, Any], path: str, value: Any, who: str, source: Path) -> None:
    """Set the value at a dotted path whose parent the base scenario has."""
    parts = path.split(".")
    node: Any = mapping
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
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
            node = node[key]


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


def inputs_hash(study: Study, hours: float | None) -> str:
    """SHA-256 (hex) of what a study's result depends on.

    The validated scenario (as canonical JSON, so formatting and comments do not
    count), the resolved values of every series on the kept snapshots, the horizon
    ``hours`` [h] and the package version.
    """
    digest = hashlib.sha256()
    head = {
        "scenario": study.scenario.model_dump(mode="json"),
        "hours": hours,
        "dispatch": metadata.version("dispatch"),
    }
    digest.update(json.dumps(head, sort_keys=True).encode())
    for key in sorted(study.series):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(study.series[key], dtype="<f8").tobytes())
    return digest.hexdigest()
