"""Loading a study: scenario YAML plus its time series, validated on load."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.names import route_name
from dispatch.core.netcdf_header import check_netcdf_header
from dispatch.core.yaml_reader import read_yaml
from dispatch.scenario.schema import GridRegion, Route, Scenario, Site, series_bounds

SCENARIO_FILE = "scenario.yaml"

# Series fields of a site, and the closed range [low, high] their values must lie in.
SERIES_FIELDS: dict[str, tuple[float, float]] = {
    path: series_bounds(Site, path)
    for path in (
        "solar.availability",
        "wind.availability",
        "run_of_river.availability",
        "reservoir.inflow_mw",
        "grid.import_limit_mw",
        "grid.export_limit_mw",
        "grid.import_price",
        "grid.export_price",
        "grid.carbon_intensity_t_per_mwh",
        "grid.clean_share",
        "grid.surplus_mw",
        "datacentre.pue",
        "datacentre.firm_mw",
        "datacentre.deferrable.arrivals_mwh",
        "datacentre.interruptible.offered_mw",
        "datacentre.heat_reuse.demand_mw",
        "datacentre.heat_reuse.price",
    )
}
REGION_SERIES_FIELDS: dict[str, tuple[float, float]] = {
    path: series_bounds(GridRegion, path) for path in ("import_limit_mw", "export_limit_mw")
}
NOT_SERIES = "not_series"
"""Key of a table's ``attrs``: its variables that are no series, and why."""


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study: the scenario and every series resolved on its snapshots.

    Attributes
    ----------
    scenario
        The parsed scenario file.
    source
        Path of the scenario file.
    snapshots
        Snapshot start times, UTC.
    series
        Values of every series field of every site, keyed ``"SITE/FIELD"``
        with FIELD a dotted path such as ``"grid.import_price"`` [field's unit].
    """

    scenario: Scenario
    source: Path
    snapshots: pd.DatetimeIndex
    series: dict[str, np.ndarray] = field(repr=False)

    @property
    def name(self) -> str:
        """Short name of the study."""
        return self.scenario.name

    @property
    def step_h(self) -> float:
        """Step length w [h]."""
        return self.scenario.snapshots.step_h

    @property
    def sites(self) -> dict[str, Site]:
        """The sites by name."""
        return self.scenario.sites

    def values(self, site: str, path: str) -> np.ndarray:
        """Values of series field ``path`` of ``site``, one per snapshot [field's unit]."""
        return self.series[f"{site}/{path}"]

    def region_values(self, region: str, field: str) -> np.ndarray:
        """Values of series field ``field`` of grid region ``region`` [MW]."""
        return self.series[f"grid_regions.{region}/{field}"]

    def region_sites(self, region: str) -> list[str]:
        """The sites whose grid connection sits behind grid region ``region``."""
        return [
            name
            for name, site in self.sites.items()
            if site.grid is not None and site.grid.region == region
        ]

    def subset(self, sites: Collection[str]) -> Study:
        """The study of some of its sites: the routes between them and their grid
        regions, on the same snapshots and series.

        Parameters
        ----------
        sites
            Names of the sites kept; routes to or from other sites are dropped.

        Returns
        -------
        Study
            The same source file, snapshots and series values, for these sites.

        Examples
        --------
        >>> from dispatch import load_study
        >>> study = load_study("networks/multi-site", hours=24)
        >>> list(study.subset(["kenya", "spain"]).sites)
        ['kenya', 'spain']
        """
        keep = set(sites)
        routing = self.scenario.routing
        if routing is not None:
            routes = [r for r in routing.routes if {r.origin, r.destination} <= keep]
            routing = routing.model_copy(update={"routes": routes}) if routes else None
        regions = {
            name: region
            for name, region in self.scenario.grid_regions.items()
            if keep.intersection(self.region_sites(name))
        }
        scenario = self.scenario.model_copy(
            update={
                "sites": {name: self.sites[name] for name in self.sites if name in keep},
                "routing": routing,
                "grid_regions": regions,
            }
        )
        owners = keep | {f"grid_regions.{name}" for name in regions}
        series = {key: v for key, v in self.series.items() if key.split("/")[0] in owners}
        return Study(scenario, self.source, self.snapshots, series)

    def baseline_work(self, site: str) -> np.ndarray:
        """Work ``site`` serves in each step when all of it is served as it arrives:
        firm, deferrable arrivals (the initial backlog in the first step) and
        interruptible offers [MW]."""
        dc = self.sites[site].datacentre
        work = self.values(site, "datacentre.firm_mw").copy()
        if dc.deferrable is not None:
            work += self.values(site, "datacentre.deferrable.arrivals_mwh") / self.step_h
            work[0] += dc.deferrable.initial_backlog_mwh / self.step_h
        if dc.interruptible is not None:
            work += self.values(site, "datacentre.interruptible.offered_mw")
        return work

    def latency_ms(self, origin: str, destination: str) -> float:
        """Latency between two sites of the routing's matrix [ms]."""
        latency = self.scenario.routing.latency
        return latency.matrix_ms[latency.sites.index(origin)][latency.sites.index(destination)]

    def route_classes(self, route: Route) -> tuple[str, ...]:
        """Workload classes that may move on ``route``: latency budget and residency."""
        origin = self.sites[route.origin].datacentre
        classes = []
        firm_sites = origin.firm_sites
        if self.latency_ms(
            route.origin, route.destination
        ) <= self.scenario.routing.firm_latency_budget_ms and (
            firm_sites is None or route.destination in firm_sites
        ):
            classes.append("firm")
        deferrable_sites = origin.deferrable_sites
        if origin.deferrable is not None and (
            deferrable_sites is None or route.destination in deferrable_sites
        ):
            classes.append("deferrable")
        return tuple(classes)

    @property
    def routes(self) -> dict[str, tuple[Route, tuple[str, ...]]]:
        """The routes by name ``"ORIGIN->DESTINATION"``, with the classes each carries."""
        routing = self.scenario.routing
        if routing is None:
            return {}
        return {
            route_name(r.origin, r.destination): (r, self.route_classes(r)) for r in routing.routes
        }

    def _repr_html_(self) -> str:
        from dispatch.scenario.display import study_html

        return study_html(self)


def scenario_path(path: str | Path) -> Path:
    """The scenario file of ``path``, which names the file or its study folder."""
    path = Path(path)
    if path.is_dir():
        path = path / SCENARIO_FILE
    if not path.is_file():
        raise ScenarioError(str(path), "", "no such scenario file")
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
        raise _scenario_error(exc, file) from None


def _scenario_error(exc: pydantic.ValidationError, file: str) -> ScenarioError:
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
        problem = (
            f"expected a number or 'FILE.csv:COLUMN' / 'FILE.nc:VARIABLE', got {first['input']!r}"
        )
    else:
        problem = f"{first['msg'][0].lower()}{first['msg'][1:]} (got {first['input']!r})"
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
    snapshots = _snapshots(scenario, source, hours)
    reader = _SeriesReader(source.parent, snapshots, len(_snapshots(scenario, source)))
    series: dict[str, np.ndarray] = {}
    for site_name, site in scenario.sites.items():
        for path_in_site, bounds in SERIES_FIELDS.items():
            value = _lookup(site, path_in_site)
            if value is None:
                continue
            field_name = f"sites.{site_name}.{path_in_site}"
            values = reader.read(value, field_name, source)
            _check_range(values, bounds, snapshots, field_name, str(source))
            series[f"{site_name}/{path_in_site}"] = values
    for region_name, region in scenario.grid_regions.items():
        for path_in_region, bounds in REGION_SERIES_FIELDS.items():
            field_name = f"grid_regions.{region_name}.{path_in_region}"
            values = reader.read(getattr(region, path_in_region), field_name, source)
            _check_range(values, bounds, snapshots, field_name, str(source))
            series[f"grid_regions.{region_name}/{path_in_region}"] = values
    study = Study(scenario, source, snapshots, series)
    _check_consistency(study)
    return study


def _snapshots(scenario: Scenario, source: Path, hours: float | None = None) -> pd.DatetimeIndex:
    spec = scenario.snapshots
    periods = spec.periods
    if hours is not None:
        keep = hours / spec.step_h
        if not (math.isfinite(keep) and keep.is_integer() and 1 <= keep <= periods):
            raise ScenarioError(
                str(source),
                "snapshots",
                f"cannot shorten to {hours} h: need a whole number of "
                f"{spec.step_h} h steps between 1 and {periods}",
            )
        periods = int(keep)
    return pd.date_range(
        pd.Timestamp(spec.start).tz_convert("UTC"),
        periods=periods,
        freq=pd.Timedelta(hours=spec.step_h),
        name="snapshot",
    )


def _lookup(site: Site, path: str) -> Any:
    value: Any = site
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


class _SeriesReader:
    """Reads series references, each file once, and aligns them on the snapshots."""

    def __init__(self, folder: Path, snapshots: pd.DatetimeIndex, full: int) -> None:
        self.folder = folder.resolve()
        self.snapshots = snapshots
        self.full = pd.date_range(snapshots[0], periods=full, freq=snapshots.freq)
        self.tables: dict[str, pd.DataFrame] = {}

    def read(self, value: float | str, field_name: str, source: Path) -> np.ndarray:
        if isinstance(value, (int, float)):
            return np.full(len(self.snapshots), float(value))
        file_name, column = value.rsplit(":", 1)
        table = self._table(file_name, field_name, source)
        if column not in table.columns:
            problem = table.attrs.get(NOT_SERIES, {}).get(column, "no such column")
            raise ScenarioError(file_name, column, f"{problem} (referenced by {field_name})")
        return table[column].to_numpy(dtype=float)[: len(self.snapshots)]

    def _table(self, file_name: str, field_name: str, source: Path) -> pd.DataFrame:
        if file_name in self.tables:
            return self.tables[file_name]
        try:
            path = (self.folder / file_name).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop before 3.13
            raise ScenarioError(
                str(source), field_name, f"cannot resolve {file_name!r} ({exc})"
            ) from None
        if not path.is_relative_to(self.folder):
            raise ScenarioError(
                str(source), field_name, f"{file_name!r} lies outside the study folder"
            )
        if not path.is_file():
            raise ScenarioError(str(source), field_name, f"no such file {file_name!r}")
        read_file = _read_netcdf if path.suffix == ".nc" else _read_csv
        try:
            table = read_file(path, file_name)
        except ScenarioError:
            raise
        except Exception as exc:  # pandas, xarray and netCDF4 raise many types on hostile files
            kind = "netCDF" if path.suffix == ".nc" else "CSV"
            problem = " ".join(str(exc).split())[:200]
            raise ScenarioError(
                file_name, "", f"not a readable {kind} file ({type(exc).__name__}: {problem})"
            ) from None
        self._check_index(table.index, file_name)
        self.tables[file_name] = table
        return table

    def _check_index(self, index: pd.DatetimeIndex, file_name: str) -> None:
        if len(index) != len(self.full):
            raise ScenarioError(
                file_name,
                "time",
                f"has {len(index)} rows, the study has {len(self.full)} snapshots",
            )
        mismatch = np.flatnonzero(index != self.full)
        if len(mismatch):
            i = mismatch[0]
            raise ScenarioError(
                file_name,
                "time",
                f"row {i + 1} is {index[i].isoformat()}, expected snapshot "
                f"{self.full[i].isoformat()}",
            )


def _read_netcdf(path: Path, file_name: str) -> pd.DataFrame:
    """The variables over ``time`` alone of a netCDF file, in columns; the others, with
    why they are no series, in ``attrs[NOT_SERIES]``."""
    import xarray as xr

    check_netcdf_header(path, file_name)
    with xr.open_dataset(path) as ds:
        if "time" not in ds.indexes:
            raise ScenarioError(file_name, "time", "missing time coordinate")
        times = ds.indexes["time"]
        if not isinstance(times, pd.DatetimeIndex):  # dates of another calendar, or numbers
            time = ds["time"]
            units = time.encoding.get("units", time.attrs.get("units"))
            calendar = time.encoding.get("calendar", time.attrs.get("calendar"))
            problem = (
                f"has calendar {calendar!r}: only the standard calendar is read"
                if units
                else "has no units such as 'hours since 2025-01-01 00:00:00'"
            )
            raise ScenarioError(file_name, "time", problem)
        columns, not_series = {}, {}
        for name, variable in ds.data_vars.items():
            if variable.dims != ("time",):
                not_series[name] = f"has dimensions {variable.dims}: a series has only time"
            elif variable.dtype.kind not in "iuf":
                not_series[name] = f"has values that are not numbers ({variable.dtype})"
            else:
                columns[name] = variable.to_numpy()
    table = pd.DataFrame(columns, index=times.tz_localize("UTC"))
    table.attrs[NOT_SERIES] = not_series
    return table


def _read_csv(path: Path, file_name: str) -> pd.DataFrame:
    """The columns of a CSV file of series, on its first column ``time`` in UTC."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str).iloc[0]
    if header.iloc[0] != "time":
        raise ScenarioError(file_name, "time", "first column must be named 'time'")
    if header.duplicated().any():
        column = header[header.duplicated()].iloc[0]
        raise ScenarioError(file_name, str(column), "names two columns")
    table = pd.read_csv(path, index_col=0)
    labels = table.index.astype(str)
    try:
        times = pd.to_datetime(labels, format="ISO8601", utc=True)
        # Another parse tells times without an offset, which utc=True takes for UTC.
        try:
            naive = pd.to_datetime(labels, format="ISO8601").tz is None
        except ValueError:  # several offsets, e.g. either side of a change to summer time
            naive = any(pd.Timestamp(label).tzinfo is None for label in labels)
    except (ValueError, TypeError) as exc:
        problem = str(exc).splitlines()[0]
        raise ScenarioError(file_name, "time", f"not ISO 8601 times ({problem})") from None
    if naive:
        raise ScenarioError(
            file_name, "time", "times need a UTC offset, e.g. 2025-01-01T00:00:00+00:00"
        )
    table.index = times
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise ScenarioError(file_name, column, "has values that are not numbers")
    return table


def _check_range(
    values: np.ndarray,
    bounds: tuple[float, float],
    snapshots: pd.DatetimeIndex,
    field_name: str,
    file: str,
) -> None:
    low, high = bounds
    bad = np.flatnonzero(~((values >= low) & (values <= high)))  # NaN fails both
    if len(bad):
        i = bad[0]
        what = "NaN or infinite" if not np.isfinite(values[i]) else f"{values[i]:g}"
        raise ScenarioError(
            file,
            field_name,
            f"is {what} at {snapshots[i].isoformat()}, must be in [{low:g}, {high:g}]",
        )


def _check_routing(study: Study) -> None:
    file, routing = str(study.source), study.scenario.routing
    for name, site in study.sites.items():
        for residency in ("firm_sites", "deferrable_sites"):
            allowed = getattr(site.datacentre, residency)
            field = f"sites.{name}.datacentre.{residency}"
            if allowed is None:
                continue
            if unknown := [s for s in allowed if s not in study.sites]:
                raise ScenarioError(file, field, f"unknown site {unknown[0]!r}")
            if name not in allowed:
                raise ScenarioError(file, field, f"must include the site itself ({name!r})")
    if routing is None:
        return
    latency = routing.latency
    if len(set(latency.sites)) != len(latency.sites):
        raise ScenarioError(file, "routing.latency.sites", "names a site twice")
    if unknown := [s for s in latency.sites if s not in study.sites]:
        raise ScenarioError(file, "routing.latency.sites", f"unknown site {unknown[0]!r}")
    size = len(latency.sites)
    if len(latency.matrix_ms) != size or any(len(row) != size for row in latency.matrix_ms):
        shape = " x ".join(
            [str(len(latency.matrix_ms)), "/".join(str(len(r)) for r in latency.matrix_ms)]
        )
        raise ScenarioError(
            file,
            "routing.latency.matrix_ms",
            f"not square: {shape} entries for {size} sites",
        )
    seen = set()
    for i, route in enumerate(routing.routes):
        field = f"routing.routes[{i}]"
        for end in ("origin", "destination"):
            site = getattr(route, end)
            if site not in study.sites:
                raise ScenarioError(file, f"{field}.{end}", f"unknown site {site!r}")
            if site not in latency.sites:
                raise ScenarioError(
                    file, f"{field}.{end}", f"site {site!r} is not in the latency matrix"
                )
        if route.origin == route.destination:
            raise ScenarioError(file, field, "origin and destination are the same site")
        if (route.origin, route.destination) in seen:
            raise ScenarioError(file, field, "repeats an earlier route")
        seen.add((route.origin, route.destination))
        if not study.route_classes(route):
            raise ScenarioError(
                file,
                field,
                "carries no work: the latency exceeds the firm budget and the origin "
                "has no deferrable work allowed at the destination",
            )


def _check_grid_regions(study: Study) -> None:
    """Every named region exists and has sites, and no site of a region exports above
    another's import price.

    Power may flow between the sites of a region, each at its own tariff: an export
    price above another site's import price would pay to pass power round in circles.
    """
    file, when = str(study.source), study.snapshots
    for region in study.scenario.grid_regions:
        if region in study.sites:
            raise ScenarioError(
                file, f"grid_regions.{region}", "has the name of a site; give it another"
            )
    for name, site in study.sites.items():
        region = None if site.grid is None else site.grid.region
        if region is not None and region not in study.scenario.grid_regions:
            known = ", ".join(study.scenario.grid_regions) or "none"
            raise ScenarioError(
                file,
                f"sites.{name}.grid.region",
                f"unknown grid region {region!r} (grid_regions: {known})",
            )
    for region in study.scenario.grid_regions:
        members = study.region_sites(region)
        if not members:
            raise ScenarioError(
                file, f"grid_regions.{region}", "has no site (no sites.SITE.grid.region names it)"
            )
        for seller in members:
            for buyer in members:
                above = np.flatnonzero(
                    study.values(seller, "grid.export_price")
                    > study.values(buyer, "grid.import_price")
                )
                if seller != buyer and len(above):
                    raise ScenarioError(
                        file,
                        f"sites.{seller}.grid.export_price",
                        f"exceeds the import price of site {buyer} in the same grid region "
                        f"{region} at {when[above[0]].isoformat()} (it would pay to pass "
                        "power between them)",
                    )


def _check_consistency(study: Study) -> None:
    """Cross-field rules of MODEL.md that no single field can check."""
    file, w, when = str(study.source), study.step_h, study.snapshots
    _check_routing(study)
    _check_grid_regions(study)
    for name, site in study.sites.items():
        prefix = f"sites.{name}"
        dc = site.datacentre
        for asset_name, asset in site:
            for expansion_field, unit in (
                ("expansion", "mw"),
                ("energy_expansion", "mwh"),
                ("it_expansion", "mw"),
            ):
                expansion = getattr(asset, expansion_field, None)
                if expansion is None:
                    continue
                smallest, largest = (getattr(expansion, f"{m}_{unit}") for m in ("min", "max"))
                if largest is not None and smallest > largest:
                    raise ScenarioError(
                        file,
                        f"{prefix}.{asset_name}.{expansion_field}.min_{unit}",
                        f"exceeds max_{unit}",
                    )
        bat = site.battery
        if bat is not None and bat.energy_expansion and bat.initial_level_pu is not None:
            raise ScenarioError(
                file,
                f"{prefix}.battery.initial_level_pu",
                "cannot be combined with energy_expansion (the initial level would follow "
                "the sized energy capacity): leave it out for a cyclic battery",
            )
        if (res := site.reservoir) is not None:
            if res.min_level_pu > res.max_level_pu:
                raise ScenarioError(
                    file, f"{prefix}.reservoir.min_level_pu", "exceeds max_level_pu"
                )
            initial = res.initial_level_pu
            if initial is not None and not res.min_level_pu <= initial <= res.max_level_pu:
                raise ScenarioError(
                    file,
                    f"{prefix}.reservoir.initial_level_pu",
                    "must lie between min_level_pu and max_level_pu",
                )
        if site.grid is not None:
            above = np.flatnonzero(
                study.values(name, "grid.export_price") > study.values(name, "grid.import_price")
            )
            if len(above):
                raise ScenarioError(
                    file,
                    f"{prefix}.grid.export_price",
                    f"exceeds the import price at {when[above[0]].isoformat()} "
                    "(it would pay to import and export at once)",
                )
        if dc.deferrable is not None:
            delay_steps = dc.deferrable.max_delay_h / w
            if delay_steps != int(delay_steps):
                raise ScenarioError(
                    file,
                    f"{prefix}.datacentre.deferrable.max_delay_h",
                    f"must be a multiple of the step ({w:g} h)",
                )
        demand = study.baseline_work(name)
        capacity = dc.it_capacity_mw
        if dc.it_expansion is not None:
            if dc.it_expansion.max_mw is None:
                raise ScenarioError(
                    file, f"{prefix}.datacentre.it_expansion.max_mw", "is required to size IT"
                )
            capacity = dc.it_expansion.max_mw
        over = np.flatnonzero(demand > capacity * (1 + 1e-9))
        if len(over):
            i = over[0]
            raise ScenarioError(
                file,
                f"{prefix}.datacentre.it_capacity_mw",
                f"firm + deferrable arrivals (and initial backlog) + interruptible work "
                f"is {demand[i]:g} MW "
                f"at {when[i].isoformat()}, above the IT capacity "
                f"{capacity:g} MW",
            )
