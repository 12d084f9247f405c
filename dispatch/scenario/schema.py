"""The scenario file format: pydantic models, one docstring and unit per field.

The JSON Schema in ``docs/scenario.schema.json`` and the field reference in
``docs/scenario-reference.md`` are generated from these models
(``python -m dispatch.docs``); a test keeps them in step.

A *series* field takes either a constant or a reference ``"FILE:COLUMN"`` to a
column of a CSV file (first column ``time``, ISO 8601 with offset) or a variable of
a netCDF file (coordinate ``time``) inside the study folder.

Every number must be finite and of its declared type (an integer is a number, ``yes``
is not), within the bounds its field states; the bounds keep every sum of a study's
costs and energies finite.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from dispatch.scenario.assets import (
    Battery,
    Expansion,
    Geothermal,
    Grid,
    GridRegion,
    Reservoir,
    VariableRenewable,
)
from dispatch.scenario.quantities import (
    FIRST_START,
    LAST_END,
    MAX_DELAY_H,
    MAX_EMISSIONS_TCO2,
    MAX_PERIODS,
    MAX_ROLLING_H,
    Energy,
    EnergySeries,
    Milliseconds,
    PerUnit,
    PositivePower,
    Power,
    PowerSeries,
    Price,
    PriceSeries,
    PueSeries,
    SiteName,
    StrictModel,
    fail_field,
)


class Snapshots(StrictModel):
    """The study's time index: fixed-step snapshots in UTC."""

    start: Annotated[dt.datetime, Field(strict=False)]
    """First snapshot, ISO 8601 with a UTC offset (e.g. ``2025-01-01T00:00:00Z``),
    between 1900-01-01 and 2262-04-11 [-]."""
    periods: int = Field(gt=0, le=MAX_PERIODS)
    """Number of snapshots T; the horizon must end by 2262-04-11 [-]."""
    step_h: float = Field(default=1.0, ge=1 / 60, le=24)
    """Step length w, from a minute to a day [h]."""

    @model_validator(mode="after")
    def _representable(self) -> Snapshots:
        """The horizon lies where pandas can represent its times."""
        if self.start.tzinfo is None:
            fail_field(
                "start", self.start.isoformat(), "needs a UTC offset, e.g. 2025-01-01T00:00Z"
            )
        if not FIRST_START <= self.start < LAST_END:
            fail_field(
                "start",
                self.start.isoformat(),
                f"must lie between {FIRST_START.date()} and {LAST_END.date()}",
            )
        if dt.timedelta(hours=self.periods * self.step_h) > LAST_END - self.start:
            fail_field(
                "periods",
                self.periods,
                f"{self.periods} steps of {self.step_h:g} h from {self.start.date()} end "
                f"after {LAST_END.date()}, the last date dispatch can represent",
            )
        return self


class Deferrable(StrictModel):
    """Batch inference: work that may be served up to ``max_delay_h`` after arrival."""

    arrivals_mwh: EnergySeries
    """Work arriving in each step, A_t, as IT energy at full efficiency [MWh]."""
    max_delay_h: Annotated[float, Field(ge=0, le=MAX_DELAY_H)]
    """Maximum delay D between arrival and service; a multiple of the step [h]."""
    initial_backlog_mwh: Energy = 0.0
    """Work waiting before the first step, due within D of the start [MWh]."""


class Interruptible(StrictModel):
    """Best-effort work: may be dropped at the value of lost work."""

    offered_mw: PowerSeries
    """Work offered O_t, as IT power at full efficiency [MW]."""
    value_of_lost_work: Price
    """Cost V of each MWh of offered work not served [currency/MWh]."""


class HeatReuse(StrictModel):
    """Waste heat of the IT equipment sold to a district-heating network."""

    recoverable_fraction: PerUnit
    """Share of IT power recoverable as waste heat [p.u.]."""
    heat_pump_cop: Annotated[float, Field(gt=1, le=20)] | None = None
    """Coefficient of performance of the heat pump lifting waste heat to the network's
    temperature, electricity from the site bus; none: waste heat is delivered directly
    [-]."""
    demand_mw: PowerSeries
    """Heat the district-heating network takes at most [MW]."""
    price: PriceSeries
    """Price paid per MWh of heat delivered [currency/MWh]."""


class DataCentre(StrictModel):
    """The modular inference data centre and its workload."""

    it_capacity_mw: PositivePower
    """IT capacity C: IT power at full utilisation [MW]."""
    it_expansion: Expansion | None = None
    """Size the IT capacity by optimisation (``max_mw`` required); ``it_capacity_mw``
    is then ignored."""
    idle_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Share of capacity drawn by idle IT equipment; 0 means power follows work [p.u.]."""
    pue: PueSeries = 1.0
    """Power usage effectiveness: facility power over IT power, at least 1 [-]."""
    firm_mw: PowerSeries = 0.0
    """Firm (real-time) work, served in the step it arrives [MW]."""
    deferrable: Deferrable | None = None
    """Deferrable work; none if the site has none."""
    interruptible: Interruptible | None = None
    """Interruptible work; none if the site has none."""
    min_it_pu: PerUnit = 0.0
    """Minimum IT power as a share of IT capacity [p.u.]."""
    facility_ramp_mw_per_h: Annotated[float, Field(gt=0)] | None = None
    """Largest change of facility power per hour; none if unlimited [MW/h]."""
    cooling: Literal["dry", "evaporative"] = "dry"
    """Cooling type; sets the default water use [-]."""
    water_m3_per_mwh: Annotated[float, Field(ge=0, le=100)] | None = None
    """Cooling water per MWh of IT energy (WUE); none: 0 for dry cooling, 1.8 for
    evaporative cooling [m3/MWh]."""
    heat_reuse: HeatReuse | None = None
    """Sale of waste heat to district heating; none if the site sells none."""
    firm_sites: list[SiteName] | None = None
    """Sites where this site's firm work may be served (data residency), this site
    among them; none: any site a route reaches within the latency budget [-]."""
    deferrable_sites: list[SiteName] | None = None
    """Sites where this site's deferrable work may be served (data residency), this
    site among them; none: any site a route reaches [-]."""


class Site(StrictModel):
    """One modular inference data centre with its own bus and the assets behind it."""

    datacentre: DataCentre
    """The data centre and its workload."""
    solar: VariableRenewable | None = None
    """Solar PV plant."""
    wind: VariableRenewable | None = None
    """Wind farm."""
    run_of_river: VariableRenewable | None = None
    """Run-of-river hydro plant."""
    geothermal: Geothermal | None = None
    """Geothermal plant."""
    reservoir: Reservoir | None = None
    """Reservoir hydro plant."""
    battery: Battery | None = None
    """Battery."""
    grid: Grid | None = None
    """Grid interconnection; none for an islanded site."""
    cfe_target: PerUnit | None = None
    """The site's hourly carbon-free-energy score must reach this; none: no target
    [p.u.]."""


class Latency(StrictModel):
    """Network latency between sites, as a square matrix."""

    sites: list[SiteName] = Field(min_length=1)
    """Sites in the order of the matrix rows and columns [-]."""
    matrix_ms: list[list[Milliseconds]]
    """Round-trip latency from the row's site to the column's site [ms]."""


class Route(StrictModel):
    """A route on which work arriving at one site may be served at another."""

    origin: SiteName
    """Site where the work arrives [-]."""
    destination: SiteName
    """Site that serves it [-]."""
    capacity_mw: Power
    """Most work moved at once, as IT power at full efficiency [MW]."""
    cost_per_mwh: Price = 0.0
    """Cost of each MWh of work moved [currency/MWh]."""


class Routing(StrictModel):
    """Routing of work between sites (MODEL.md §2, last paragraph)."""

    latency: Latency
    """Latency between every pair of sites that a route joins."""
    firm_latency_budget_ms: Milliseconds
    """Firm work moves only on routes whose latency is within this budget [ms]."""
    routes: list[Route] = Field(min_length=1)
    """The routes; firm and deferrable work share each route's capacity."""


ForecastMethod = Literal["perfect", "persistence", "error", "file"]
Correlation = Annotated[float, Field(ge=0, le=1)]
ErrorGrowth = Annotated[float, Field(ge=0, le=1)]
ErrorSigma = Annotated[float, Field(ge=0, le=10)]
ForecastFile = Annotated[str, StringConstraints(pattern=r"^[^:]+\.(nc|csv)$", max_length=255)]


class SeriesForecast(StrictModel):
    """The forecast of some series, in place of the operation's default forecast."""

    method: ForecastMethod | None = None
    """How these series are forecast; none: the default method [-]."""
    sigma_pu: ErrorSigma | None = None
    """Error model: standard deviation of the relative error at lead time 0; none:
    the default forecast's [p.u.]."""
    growth_pu_per_h: ErrorGrowth | None = None
    """Error model: growth of that standard deviation per hour of lead time; none: the
    default forecast's [p.u./h]."""
    correlation: Correlation | None = None
    """Error model: correlation of the errors of two steps an hour apart in lead time;
    none: the default forecast's [p.u.]."""


class ForecastSettings(StrictModel):
    """Forecasts available to the operator: a default method, the error model's
    parameters and overrides per series (see ``docs/operation.md``).

    ``perfect``: the actual series. ``persistence``: the same time of day on the last
    day known. ``error``: the actual times max(0, 1 + s(L) e_L) at lead time L, with
    s(L) = sigma_pu + growth_pu_per_h L and e_L a seeded standard normal AR(1) process
    along lead time, held within the fields' ranges. ``file``: the forecasts of a
    partner's or provider's forecast file (``file``), the latest issued by each
    decision time (``docs/exchange.md``).
    """

    method: ForecastMethod = "perfect"
    """Default method of every series without an override [-]."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    """Seed of the error model's random errors [-]."""
    sigma_pu: ErrorSigma | None = None
    """Error model: standard deviation of the relative error at lead time 0; none:
    the default of each series' kind (availability 0.03, price 0.02, workload 0.02,
    inflow 0.02, grid signal 0.03, site condition 0.01, connection limit 0) [p.u.]."""
    growth_pu_per_h: ErrorGrowth | None = None
    """Error model: growth of that standard deviation per hour of lead time; none: the
    default of each series' kind (availability 0.006, price 0.004, workload 0.002,
    inflow 0.001, grid signal 0.006, site condition 0.001, connection limit 0)
    [p.u./h]."""
    correlation: Correlation | None = None
    """Error model: correlation of the errors of two steps an hour apart in lead time;
    none: the default of each series' kind (availability 0.95, price 0.9, workload
    0.8, inflow 0.98, grid signal 0.95, site condition 0.9) [p.u.]."""
    series: dict[
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-/]+$", max_length=255)],
        SeriesForecast,
    ] = Field(default_factory=dict)
    """Overrides by series: a field such as ``solar.availability`` (at every site; a
    grid region's field without prefix, e.g. ``import_limit_mw``) or one series
    ``SITE/FIELD`` or ``grid_regions.REGION/FIELD``; one series wins over a field [-]."""
    file: ForecastFile | None = None
    """Forecast file (netCDF ``.nc``, or CSV ``.csv`` with its ``.json`` metadata) in
    the study folder, read by the method ``file``; required if a series uses it [-]."""

    @model_validator(mode="after")
    def _file_given(self) -> ForecastSettings:
        """The method ``file`` needs a file to read."""
        uses_file = self.method == "file" or any(
            override.method == "file" for override in self.series.values()
        )
        if uses_file and self.file is None:
            fail_field("file", None, "the forecast method 'file' needs a file", "ForecastSettings")
        return self


class Operation(StrictModel):
    """Operation in a rolling horizon (``dispatch operate``): every ``commit_h`` the
    next ``lookahead_h`` are planned from forecasts and the first ``commit_h`` kept."""

    lookahead_h: Annotated[float, Field(gt=0, le=MAX_ROLLING_H)] = 48.0
    """Hours planned at each decision time; a multiple of the step [h]."""
    commit_h: Annotated[float, Field(gt=0, le=MAX_ROLLING_H)] = 24.0
    """Hours between decision times, kept of each plan; a multiple of the step, at
    most ``lookahead_h`` [h]."""
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    """Forecasts the plans are made from."""
    storage_value: Literal["perfect_foresight", "none"] = "perfect_foresight"
    """Value of the energy batteries and reservoirs hold at the end of a plan that ends
    before the horizon: ``perfect_foresight``, the marginal value of stored energy at
    that step in the perfect-foresight optimum (a seasonal plan's water value);
    ``none``, no value (each plan may empty them) [-]."""


class Scenario(StrictModel):
    """A study: one time index and the sites planned on it."""

    name: SiteName
    """Short name of the study [-]."""
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""
    """What the study represents and where its data come from [-]."""
    currency: Annotated[str, StringConstraints(max_length=16)] = "EUR"
    """Currency of every cost and price [-]."""
    snapshots: Snapshots
    """The time index."""
    carbon_price: Price = 0.0
    """Price on the carbon intensity of imported electricity [currency/tCO2]."""
    sites: dict[SiteName, Site] = Field(min_length=1)
    """The sites by name."""
    grid_regions: dict[SiteName, GridRegion] = Field(default_factory=dict)
    """Grid regions whose connection point several sites share, by name (not a site's
    name); sites name theirs in ``grid.region``, and each region needs one [-]."""
    cfe_target: PerUnit | None = None
    """The study's hourly carbon-free-energy score must reach this; none: no target
    [p.u.]."""
    emission_cap_tco2: Annotated[float, Field(ge=0, le=MAX_EMISSIONS_TCO2)] | None = None
    """Emissions over the horizon must stay within this; none: no cap [tCO2]."""
    routing: Routing | None = None
    """Routes over which work of one site may be served at another; none: every site
    serves its own work."""
    operation: Operation = Field(default_factory=Operation)
    """Operation with forecasts in a rolling horizon (``dispatch operate``); ignored by
    ``dispatch run``."""


def series_bounds(model: type[BaseModel], path: str) -> tuple[float, float]:
    """The closed range of the values of a series field, from its number type.

    Parameters
    ----------
    model
        The model the path starts from, e.g. :class:`Site`.
    path
        Dotted path of the series field, e.g. ``"datacentre.pue"``.

    Returns
    -------
    tuple of float
        Lowest and highest value allowed [field's unit].
    """
    annotation: Any = model
    for part in path.split("."):
        model = next(t for t in _members(annotation) if _is_model(t))
        annotation = model.model_fields[part].annotation
    number = _members(annotation)[0]
    constraints = typing.get_args(number)[1].metadata
    low = next(c.ge for c in constraints if hasattr(c, "ge"))
    high = next(c.le for c in constraints if hasattr(c, "le"))
    return low, high


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _members(annotation: Any) -> tuple[Any, ...]:
    """The types of a union (``X | None``), or the type itself."""
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return typing.get_args(annotation) if union else (annotation,)
