"""The site's assets in a scenario: plants, storage, the grid connection and sizing.

Each asset is a pydantic model with one docstring and unit per field; a site
(:class:`~dispatch.scenario.schema.Site`) holds at most one of each.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from dispatch.scenario.flexibility import FlexibilityMarket
from dispatch.scenario.quantities import (
    Energy,
    Intensity,
    IntensitySeries,
    PerUnit,
    PerUnitSeries,
    PositivePower,
    Power,
    PowerSeries,
    Price,
    PriceSeries,
    SiteName,
    StrictModel,
    fail_field,
)
from dispatch.scenario.tariff import Tariff


class _Investment(StrictModel):
    """Sizing: the optimisation chooses a capacity, paying annualised capital cost.

    The capital cost charged per unit of capacity is its capex times the annuity
    factor r / (1 - (1 + r)^-n) (1/n if r = 0), times the horizon's share of a year.
    """

    lifetime_years: Annotated[float, Field(gt=0, le=200)]
    """Economic lifetime n [a]."""
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.07
    """Discount rate r per year [p.u./a]."""


class Expansion(_Investment):
    """Sizing of a power capacity: the optimisation chooses it, paying annualised capex.

    The capital cost charged per MW is capex_per_mw times the annuity factor
    r / (1 - (1 + r)^-n) (1/n if r = 0), times the horizon's share of a year.
    """

    capex_per_mw: Price
    """Overnight investment per MW of capacity (battery: of power) [currency/MW]."""
    min_mw: Power = 0.0
    """Smallest capacity (battery: power) [MW]."""
    max_mw: Power | None = None
    """Largest capacity (battery: power); none: unbounded [MW]."""


class EnergyExpansion(_Investment):
    """Sizing of a battery's energy capacity, independent of its power.

    The capital cost charged per MWh is capex_per_mwh times the annuity factor
    r / (1 - (1 + r)^-n) (1/n if r = 0), times the horizon's share of a year.
    """

    capex_per_mwh: Price
    """Overnight investment per MWh of energy capacity [currency/MWh]."""
    min_mwh: Energy = 0.0
    """Smallest energy capacity [MWh]."""
    max_mwh: Energy | None = None
    """Largest energy capacity; none: unbounded [MWh]."""


class VariableRenewable(StrictModel):
    """A solar, wind or run-of-river plant: output up to capacity times availability."""

    capacity_mw: Power
    """Installed capacity P [MW]."""
    availability: PerUnitSeries
    """Availability a_t, the share of capacity the resource allows in each step [p.u.]."""
    marginal_cost: Price = 0.0
    """Cost per MWh produced [currency/MWh]."""
    co2_t_per_mwh: Intensity = 0.0
    """Direct CO2 intensity of the output [tCO2/MWh]."""
    expansion: Expansion | None = None
    """Size the plant by optimisation; ``capacity_mw`` is then ignored."""


class Geothermal(StrictModel):
    """A geothermal plant: must-run at or above its minimum stable output, ramp-limited;
    with ``steam_pu``, fed by a steam field whose steam the turbine does not take is
    vented."""

    capacity_mw: Power
    """Installed capacity P [MW]."""
    min_stable_pu: PerUnit = 0.0
    """Minimum stable output pmin as a share of capacity [p.u.]."""
    ramp_pu_per_h: Annotated[float, Field(gt=0)] | None = None
    """Ramp limit r, up and down, as a share of capacity per hour; none: unset [p.u./h]."""
    marginal_cost: Price = 0.0
    """Cost per MWh produced [currency/MWh]."""
    co2_t_per_mwh: Intensity = 0.0
    """Direct CO2 intensity of the output (non-condensable gases) [tCO2/MWh]."""
    expansion: Expansion | None = None
    """Size the plant by optimisation; ``capacity_mw`` is then ignored."""
    steam_pu: PerUnit | None = None
    """Steam the field delivers in every step, as the turbine output it could give over
    capacity; the turbine takes up to it and the rest is vented at no cost, counted as
    curtailed geothermal. None: the field follows the turbine and nothing is vented
    (backing off is not curtailment) [p.u.]."""
    flexible_steam_pu: PerUnit = 0.0
    """Steam the field can raise above ``steam_pu`` when asked, at a cost (wells opened
    beyond their steady flow, standby wells), as turbine output over capacity [p.u.]."""
    flexible_steam_cost_per_mwh: Price = 0.0
    """Cost per MWh of turbine output made from flexible steam, on top of the marginal
    cost (faster pressure decline and make-up drilling) [currency/MWh]."""

    @model_validator(mode="after")
    def _steam_fits(self) -> Geothermal:
        """The turbine's minimum within the steady steam; flexible steam with a cost,
        within capacity, on a plant of given capacity without a ramp limit."""
        steam, flexible = self.steam_pu, self.flexible_steam_pu
        if steam is not None and self.min_stable_pu > steam:
            fail_field("steam_pu", steam, "is below min_stable_pu", "Geothermal")
        problem = None
        if flexible > 0 and (steam is None or steam + flexible > 1):
            problem = "needs steam_pu, and steam_pu + flexible_steam_pu <= 1"
        elif flexible > 0 and self.flexible_steam_cost_per_mwh <= 0:
            problem = "needs flexible_steam_cost_per_mwh > 0 (free steam is steam_pu)"
        elif flexible > 0 and (self.ramp_pu_per_h is not None or self.expansion is not None):
            problem = "cannot be combined with ramp_pu_per_h or expansion"
        if problem is not None:
            fail_field("flexible_steam_pu", flexible, problem, "Geothermal")
        return self


class Reservoir(StrictModel):
    """Reservoir hydro: turbine fed by a reservoir with natural inflow and free spill,
    optionally pumped storage (a pump filling it from the site bus, for a plant with an
    upper and a lower reservoir).

    Level, inflow and spill are in MWh of the water's potential energy (stored energy);
    the turbine delivers ``turbine_efficiency`` times the energy it draws to the bus,
    and the pump stores ``pump_efficiency`` times the energy it takes from the bus.
    """

    turbine_mw: PositivePower
    """Turbine capacity P, output at the site bus [MW]."""
    energy_mwh: Energy
    """Reservoir content at full level, as the stored water's potential energy [MWh]."""
    inflow_mw: PowerSeries
    """Natural inflow, as the potential energy of the water flowing in per hour [MW]."""
    turbine_efficiency: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Share of the stored energy drawn by the turbine delivered to the site bus
    (turbine, generator and transformer) [p.u.]."""
    pump_mw: Power = 0.0
    """Pump capacity, power drawn from the site bus; 0: no pumping [MW]."""
    pump_efficiency: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Share of the energy the pump draws from the site bus stored in the reservoir
    (pump, motor and transformer) [p.u.]."""
    min_level_pu: PerUnit = 0.0
    """Lowest allowed level as a share of the energy content [p.u.]."""
    max_level_pu: PerUnit = 1.0
    """Highest allowed level as a share of the energy content [p.u.]."""
    initial_level_pu: PerUnit | None = None
    """Level before the first step; none means cyclic (start level = end level) [p.u.]."""
    marginal_cost: Price = 0.0
    """Cost per MWh the turbine delivers to the site bus [currency/MWh]."""


class Battery(StrictModel):
    """A battery: charged from and discharged to the site bus."""

    power_mw: PositivePower
    """Charge and discharge power P, both at the site bus [MW]."""
    energy_mwh: Energy
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
    throughput_cost_per_mwh: Price = 0.0
    """Cost per MWh discharged, counted at the site bus (cell degradation) [currency/MWh]."""


class Grid(StrictModel):
    """The grid interconnection: separate, non-negative import and export flows."""

    import_limit_mw: PowerSeries
    """Import limit I_t at the connection point [MW]."""
    export_limit_mw: PowerSeries = 0.0
    """Export limit X_t at the connection point [MW]."""
    import_price: PriceSeries | None = None
    """Price c_t paid per MWh imported; required unless ``tariff.energy_periods``
    give it [currency/MWh]."""
    export_price: PriceSeries = 0.0
    """Price e_t earned per MWh exported; never above the import price [currency/MWh]."""
    carbon_intensity_t_per_mwh: IntensitySeries = 0.0
    """Carbon intensity g_t of imported electricity [tCO2/MWh]."""
    clean_share: PerUnitSeries = 0.0
    """Share q_t of imported electricity that is carbon-free [p.u.]."""
    surplus_mw: PowerSeries | None = None
    """Surplus (curtailed) power s_t the grid partner offers to absorb [MW]."""
    region: SiteName | None = None
    """Grid region (a key of ``grid_regions``) whose shared connection point this
    connection sits behind; none: the site has a connection point of its own [-]."""
    tariff: Tariff | None = None
    """Demand charges, a fixed charge on a contracted capacity and time-of-use
    periods beside the price per MWh; none: the import price alone [-]."""
    flexibility_market: FlexibilityMarket | None = None
    """Payment for the flexibility of the net import offered to the grid partner
    (availability per MW and hour, activation per MWh); none: no payment [-]."""

    @model_validator(mode="after")
    def _one_import_price(self) -> Grid:
        periods = self.tariff is not None and bool(self.tariff.energy_periods)
        if periods == (self.import_price is not None):
            fail_field(
                "import_price",
                self.import_price,
                "give either import_price or tariff.energy_periods, not both"
                if periods
                else "required unless tariff.energy_periods give the price",
                "Grid",
            )
        return self


class GridRegion(StrictModel):
    """A grid region whose connection point several sites share.

    Each site keeps its own tariff and connection limits; the region's limits bound
    the net import and net export of its sites together, and power one site exports
    may flow to another site of the region (each at its own tariff).
    """

    import_limit_mw: PowerSeries
    """Limit on the net import of the region's sites together [MW]."""
    export_limit_mw: PowerSeries = 0.0
    """Limit on the net export of the region's sites together [MW]."""
