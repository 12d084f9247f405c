"""Loading a study: scenario file -> validated :class:`~dispatch.scenario.study.Study`,
its series read and checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.untrusted_input import not_a_file, short_repr
from dispatch.core.yaml_reader import read_yaml
from dispatch.scenario.checks import check_consistency, check_range
from dispatch.scenario.schema import Scenario, Site
from dispatch.scenario.series import (
    REGION_SERIES_FIELDS,
    SERIES_FIELDS,
    SeriesReader,
    snapshot_times,
)
from dispatch.scenario.study import Study
from dispatch.scenario.tariff import import_price_from_periods

SCENARIO_FILE = "scenario.yaml"


def scenario_path(path: str | Path) -> Path:
    """The scenario file of ``path``, which names the file or its study folder."""
    path = Path(path)
    if path.is_dir():
        path = path / SCENARIO_FILE
    problem = not_a_file(path)
    if problem is not None:
        raise ScenarioError(str(path), "", problem.replace("no such file", "no such scenario file"))
    return path


def read_scenario(path: str | Path) -> Scenario:
    """Parse and validate a scenario file without reading its series."""
    path = scenario_path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), "", "expected a mapping of fields at top level")
    return parse_scenario(raw, str(path))


def parse_scenario(raw: dict[str, Any], file: str) -> Scenario:
    """Validate a scenario given as a mapping; errors name ``file``."""
    try:
        return Scenario.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise scenario_error(exc, file) from None


def scenario_error(exc: pydantic.ValidationError, file: str) -> ScenarioError:
    """The one-line error naming ``file``, the field and the first problem pydantic found."""
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    # A Series field fails both as number and as reference: report it once.
    loc = re.sub(r"\.(constrained-)?(float|str)$", "", loc)
    loc = loc.replace(".function-after[", "[")
    if first["type"] == "extra_forbidden":
        problem = "unknown field"
    elif isinstance(first["input"], bool) and "[key]" in loc:
        loc = loc.split(".")[0]
        problem = f"YAML reads a name as {first['input']}: put it in quotes"
    elif first["type"] == "missing":
        problem = "required field is missing"
    elif first["type"] == "string_pattern_mismatch" and str(first["loc"][-1]).endswith("str"):
        got = short_repr(first["input"])
        problem = f"expected a number or 'FILE.csv:COLUMN' / 'FILE.nc:VARIABLE', got {got}"
    else:
        problem = f"{first['msg'][0].lower()}{first['msg'][1:]} (got {short_repr(first['input'])})"
    return ScenarioError(file, loc, problem)


def load_study(path: str | Path, hours: float | None = None) -> Study:
    """Load and validate a study.

    Parameters
    ----------
    path
        The scenario file or its study folder.
    hours
        Keep only the first ``hours`` of the horizon (for quick looks and tests)
        [h]; the whole horizon if None.

    Returns
    -------
    Study
        The scenario with every series resolved and checked.

    Raises
    ------
    ScenarioError
        One line naming the file, the field and what is wrong.

    Examples
    --------
    >>> from dispatch import load_study
    >>> study = load_study("networks/olkaria", hours=48)
    >>> len(study.snapshots)
    48
    """
    source = scenario_path(path)
    return study_from_scenario(read_scenario(source), source, hours)


def study_from_scenario(
    scenario: Scenario, source: str | Path, hours: float | None = None
) -> Study:
    """Resolve and check the series of a parsed scenario.

    Parameters
    ----------
    scenario
        A validated scenario, e.g. from :func:`parse_scenario` of a modified mapping.
    source
        The scenario file it stands for: series references are relative to its
        folder, and errors name it.
    hours
        Keep only the first ``hours`` of the horizon [h]; the whole horizon if None.
    """
    source = Path(source)
    snapshots = snapshot_times(scenario, source, hours)
    full = len(snapshot_times(scenario, source))
    references = [
        *(_lookup(site, path) for site in scenario.sites.values() for path in SERIES_FIELDS),
        *(
            getattr(region, path)
            for region in scenario.grid_regions.values()
            for path in REGION_SERIES_FIELDS
        ),
    ]
    reader = SeriesReader(source.parent, snapshots, full, scenario.currency, references)
    series: dict[str, np.ndarray] = {}
    for site_name, site in scenario.sites.items():
        for path_in_site, bounds in SERIES_FIELDS.items():
            value = _lookup(site, path_in_site)
            if value is None:
                continue
            field_name = f"sites.{site_name}.{path_in_site}"
            values = reader.read(value, field_name, source)
            check_range(values, bounds, snapshots, field_name, str(source))
            series[f"{site_name}/{path_in_site}"] = values
        if site.grid is not None and site.grid.import_price is None:
            series[f"{site_name}/grid.import_price"] = import_price_from_periods(
                snapshots, scenario.snapshots.start, site.grid.tariff
            )
    for region_name, region in scenario.grid_regions.items():
        for path_in_region, bounds in REGION_SERIES_FIELDS.items():
            field_name = f"grid_regions.{region_name}.{path_in_region}"
            values = reader.read(getattr(region, path_in_region), field_name, source)
            check_range(values, bounds, snapshots, field_name, str(source))
            series[f"grid_regions.{region_name}/{path_in_region}"] = values
    study = Study(scenario, source, snapshots, series)
    check_consistency(study)
    return study


def _lookup(site: Site, path: str) -> Any:
    """The value at dotted path ``path`` of ``site``, or None where any part is unset."""
    value: Any = site
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value
