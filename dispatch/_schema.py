"""The scenario file format: pydantic models, one docstring and unit per field.

The JSON Schema in ``docs/scenario.schema.json`` and the field reference in
``docs/scenario-reference.md`` are generated from these models
(``python -m dispatch.docs``); a test keeps them in step.

A *series* field takes either a constant or a reference ``"FILE:COLUMN"`` to a
column of a CSV file (first column ``time``, ISO 8601 with offset) or a variable of
a netCDF file (coordinate ``time``) inside the study folder.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SeriesRef = Annotated[str, StringConstraints(pattern=r"^[^:]+\.(csv|nc):[A-Za-z0-9_.\- ]+$")]
Series = float | SeriesRef
"""A constant, or ``"FILE:COLUMN"`` naming a time series in the study folder."""

NonNegative = Annotated[float, Field(ge=0)]
SiteName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]+$")]
PerUnit = Annotated[float, Field(ge=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class Snapshots(_Model):
    """The study's time index: fixed-step snapshots in UTC."""

    start: dt.datetime
    """First snapshot, ISO 8601 with a UTC offset (e.g. ``2025-01-01T00:00:00Z``) [-]."""
    periods: int = Field(gt=0)
    """Number of snapshots T [-]."""
    step_h: float = Field(default=1.0, gt=0, le=24)
    """Step length w [h]."""


class _Investment(_Model):
    """Sizing: the optimisation chooses a capacity, paying annualised capital cost.

    The capital cost charged per unit of capacity is its capex times the annuity
    factor r / (1 - (1 + r)^-n) (1/n if r = 0), times the horizon's share of a year.
    """

    lifetime_years: Annotated[float, Field(gt=0)]
    """Economic lifetime n [a]."""
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.07
    """Discount rate r per year [p.u./a]."""


class Expansion(_Investment):
    """Sizing of a power capacity: the optimisation chooses it, paying annualised capex.

    The capital cost charged per MW is capex_per_mw times the annuity factor
    r / (1 - (1 + r)^-n) (1/n if r = 0), times the horizon's share of a year.
    """

    capex_per_mw: NonNegative
    """Overnight investment per MW of capacity (battery: of power) [currency/MW]."""
    min_mw: NonNegative = 0.0
    """Smallest capacity (battery: power) [MW]."""
    max_mw: NonNegative | None = None
    """Largest capacity (battery: power); none: unbounded [MW]."""


class EnergyExpansion(_Investment):
    """Sizing of a battery's energy capacity, independent of its power.

    The capital cost charged per MWh is capex_per_mwh times the annuity factor
    r / (1 - (1 + r)^-n) (1/n if r = 0), times the horizon's share of a year.
    """

    capex_per_mwh: NonNegative
    """Overnight investment per MWh of energy capacity [currency/MWh]."""
    min_mwh: NonNegative = 0.0
    """Smallest energy capacity [MWh]."""
    max_mwh: NonNegative | None = None
    """Largest energy capacity; none: unbounded [MWh]."""


class VariableRenewable(_Model):
    """A solar, wind or run-of-river plant: output up to capacity times availability."""

    capacity_mw: NonNegative
    """Installed capacity P [MW]."""
    availability: Series
    """Availability a_t, the share of capacity the resource allows in each step [p.u.]."""
    marginal_cost: NonNegative = 0.0
    """Cost per MWh produced [currency/MWh]."""
    co2_t_per_mwh: NonNegative = 0.0
    """Direct CO2 intensity of the output [tCO2/MWh]."""
    expansion: Expansion | None = None
    """Size the plant by optimisation; ``capacity_mw`` is then ignored."""


class Geothermal(_Model):
    """A geothermal plant: must-run at or above its minimum stable output, ramp-limited."""

    capacity_mw: NonNegative
    """Installed capacity P [MW]."""
    min_stable_pu: PerUnit = 0.0
    """Minimum stable output pmin as a share of capacity [p.u.]."""
    ramp_pu_per_h: Annotated[float, Field(gt=0)] | None = None
    """Ramp limit r, up and down, as a share of capacity per hour; none: unset [p.u./h]."""
    marginal_cost: NonNegative = 0.0
    """Cost per MWh produced [currency/MWh]."""
    co2_t_per_mwh: NonNegative = 0.0
    """Direct CO2 intensity of the output (non-condensable gases) [tCO2/MWh]."""
    expansion: Expansion | None = None
    """Size the plant by optimisation; ``capacity_mw`` is then ignored."""


class Reservoir(_Model):
    """Reservoir hydro: turbine fed by a reservoir with natural inflow and free spill."""

    turbine_mw: Annotated[float, Field(gt=0)]
    """Turbine capacity P [MW]."""
    energy_mwh: NonNegative
    """Reservoir energy content at full level [MWh]."""
    inflow_mw: Series
    """Natural inflow as electrical power equivalent [MW]."""
    min_level_pu: PerUnit = 0.0
    """Lowest allowed level as a share of the energy content [p.u.]."""
    max_level_pu: PerUnit = 1.0
    """Highest allowed level as a share of the energy content [p.u.]."""
    initial_level_pu: PerUnit | None = None
    """Level before the first step; none means cyclic (start level = end level) [p.u.]."""
    marginal_cost: NonNegative = 0.0
    """Cost per MWh produced [currency/MWh]."""


class Battery(_Model):
    """A battery: charged from and discharged to the site bus."""

    power_mw: Annotated[float, Field(gt=0)]
    """Charge and discharge power P, both at the site bus [MW]."""
    energy_mwh: NonNegative
    """Energy capacity E [MWh]."""
    charge_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.95
    """Share of charging energy stored [p.u.]."""
    discharge_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.95
    """Share of stored energy delivered [p.u.]."""
    standing_loss_per_h: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Share of the stored energy lost per hour, compounding [p.u./h]."""
    initial_level_pu: PerUnit | None = None
    """Level before the first step; none means cyclic (start level = end level) [p.u.]."""
    expansion: Expansion | None = None
    """Size the charge and discharge power by optimisation; ``power_mw`` is then ignored."""
    energy_expansion: EnergyExpansion | None = None
    """Size the energy capacity on its own; ``energy_mwh`` is then ignored (cyclic only)."""


class Grid(_Model):
    """The grid interconnection: separate, non-negative import and export flows."""

    import_limit_mw: Series
    """Import limit I_t at the connection point [MW]."""
    export_limit_mw: Series = 0.0
    """Export limit X_t at the connection point [MW]."""
    import_price: Series
    """Price c_t paid per MWh imported [currency/MWh]."""
    export_price: Series = 0.0
    """Price e_t earned per MWh exported; never above the import price [currency/MWh]."""
    carbon_intensity_t_per_mwh: Series = 0.0
    """Carbon intensity g_t of imported electricity [tCO2/MWh]."""
    clean_share: Series = 0.0
    """Share q_t of imported electricity that is carbon-free [p.u.]."""
    surplus_mw: Series | None = None
    """Surplus (curtailed) power s_t the grid partner offers to absorb [MW]."""
    region: SiteName | None = None
    """Grid region (a key of ``grid_regions``) whose shared connection point this
    connection sits behind; none: the site has a connection point of its own [-]."""


class GridRegion(_Model):
    """A grid region whose connection point several sites share.

    Each site keeps its own tariff and connection limits; the region's limits bound
    the net import and net export of its sites together, and power one site exports
    may flow to another site of the region (each at its own tariff).
    """

    import_limit_mw: Series
    """Limit on the net import of the region's sites together [MW]."""
    export_limit_mw: Series = 0.0
    """Limit on the net export of the region's sites together [MW]."""


class Deferrable(_Model):
    """Batch inference: work that may be served up to ``max_delay_h`` after arrival."""

    arrivals_mwh: Series
    """Work arriving in each step, A_t, as IT energy at full efficiency [MWh]."""
    max_delay_h: NonNegative
    """Maximum delay D between arrival and service; a multiple of the step [h]."""
    initial_backlog_mwh: NonNegative = 0.0
    """Work waiting before the first step, due within D of the start [MWh]."""


class Interruptible(_Model):
    """Best-effort work: may be dropped at the value of lost work."""

    offered_mw: Series
    """Work offered O_t, as IT power at full efficiency [MW]."""
    value_of_lost_work: NonNegative
    """Cost V of each MWh of offered work not served [currency/MWh]."""


class HeatReuse(_Model):
    """Waste heat of the IT equipment sold to a district-heating network."""

    recoverable_fraction: PerUnit
    """Share of IT power recoverable as waste heat [p.u.]."""
    heat_pump_cop: Annotated[float, Field(gt=1)] | None = None
    """Coefficient of performance of the heat pump lifting waste heat to the network's
    temperature, electricity from the site bus; none: waste heat is delivered directly
    [-]."""
    demand_mw: Series
    """Heat the district-heating network takes at most [MW]."""
    price: Series
    """Price paid per MWh of heat delivered [currency/MWh]."""


class DataCentre(_Model):
    """The modular inference data centre and its workload."""

    it_capacity_mw: Annotated[float, Field(gt=0)]
    """IT capacity C: IT power at full utilisation [MW]."""
    it_expansion: Expansion | None = None
    """Size the IT capacity by optimisation (``max_mw`` required); ``it_capacity_mw``
    is then ignored."""
    idle_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Share of capacity drawn by idle IT equipment; 0 means power follows work [p.u.]."""
    pue: Series = 1.0
    """Power usage effectiveness: facility power over IT power, at least 1 [-]."""
    firm_mw: Series = 0.0
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
    water_m3_per_mwh: NonNegative | None = None
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


class Site(_Model):
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


class Latency(_Model):
    """Network latency between sites, as a square matrix."""

    sites: list[SiteName] = Field(min_length=1)
    """Sites in the order of the matrix rows and columns [-]."""
    matrix_ms: list[list[Annotated[float, Field(ge=0)]]]
    """Round-trip latency from the row's site to the column's site [ms]."""


class Route(_Model):
    """A route on which work arriving at one site may be served at another."""

    origin: SiteName
    """Site where the work arrives [-]."""
    destination: SiteName
    """Site that serves it [-]."""
    capacity_mw: NonNegative
    """Most work moved at once, as IT power at full efficiency [MW]."""
    cost_per_mwh: NonNegative = 0.0
    """Cost of each MWh of work moved [currency/MWh]."""


class Routing(_Model):
    """Routing of work between sites (MODEL.md §2, last paragraph)."""

    latency: Latency
    """Latency between every pair of sites that a route joins."""
    firm_latency_budget_ms: NonNegative
    """Firm work moves only on routes whose latency is within this budget [ms]."""
    routes: list[Route] = Field(min_length=1)
    """The routes; firm and deferrable work share each route's capacity."""


class Scenario(_Model):
    """A study: one time index and the sites planned on it."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]+$")]
    """Short name of the study [-]."""
    description: str = ""
    """What the study represents and where its data come from [-]."""
    currency: str = "EUR"
    """Currency of every cost and price [-]."""
    snapshots: Snapshots
    """The time index."""
    carbon_price: NonNegative = 0.0
    """Price on the carbon intensity of imported electricity [currency/tCO2]."""
    sites: dict[SiteName, Site] = Field(min_length=1)
    """The sites by name."""
    grid_regions: dict[SiteName, GridRegion] = Field(default_factory=dict)
    """Grid regions whose connection point several sites share, by name (not a site's
    name); sites name theirs in ``grid.region``, and each region needs one [-]."""
    cfe_target: PerUnit | None = None
    """The study's hourly carbon-free-energy score must reach this; none: no target
    [p.u.]."""
    emission_cap_tco2: NonNegative | None = None
    """Emissions over the horizon must stay within this; none: no cap [tCO2]."""
    routing: Routing | None = None
    """Routes over which work of one site may be served at another; none: every site
    serves its own work."""
