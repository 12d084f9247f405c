"""Where a :class:`~dispatch.optimization.dispatcher.Dispatcher`'s window starts: the
levels as scenario fields, the output before the window that ramps start from, and
what a study may not have for its LP to keep its structure between windows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.errors import ScenarioError
from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.model.sizing import it_capacity_bound
from dispatch.optimization.highs_lp import LpChanges, LpPositions
from dispatch.scenario.flexibility import flexibility_market_field
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.scenario.schema import Site

INITIAL_FIELDS = {
    "battery": "battery.initial_level_pu",
    "reservoir": "reservoir.initial_level_pu",
    "backlog": "datacentre.deferrable.initial_backlog_mwh",
}
"""Scenario field of each initial level, below ``sites.SITE``."""

OUTPUTS_BEFORE = ("geothermal", "facility")
"""Outputs whose value in the step before a window its ramp limits start from."""


def output_range(study: Study, site: str, output: str) -> tuple[float, float] | None:
    """Where the output before the window may lie [MW]; None where the site has no such
    output. Geothermal: its minimum stable output to its capacity; facility: 0 to the
    IT capacity times the window's largest PUE."""
    spec = study.sites[site]
    if output == "geothermal":
        geo = spec.geothermal
        return None if geo is None else (geo.min_stable_pu * geo.capacity_mw, geo.capacity_mw)
    pue = study.values(site, "datacentre.pue")
    return 0.0, it_capacity_bound(spec.datacentre) * float(pue.max())


def ramp_per_step(study: Study, site: str, output: str) -> float | None:
    """The most ``output`` may move in one step [MW], as the LP built for ``study``
    has it; None without a ramp limit."""
    spec, w = study.sites[site], study.step_h
    if output == "geothermal":
        geo = spec.geothermal
        if geo.ramp_pu_per_h is None:
            return None
        return min(1.0, geo.ramp_pu_per_h * w) * geo.capacity_mw
    ramp = spec.datacentre.facility_ramp_mw_per_h
    if ramp is None:
        return None
    return min(ramp * w, output_range(study, site, "facility")[1])


def write_output_start(
    lp: LpChanges, positions: LpPositions, study: Study, site: str, before: dict[str, float]
) -> None:
    """Bounds of the first step's geothermal output and facility power: within the ramp
    limit of the output before the window where it is given, else as built; and the
    facility's ramp rows for the window's PUE."""
    spec = study.sites[site]
    if spec.datacentre.facility_ramp_mw_per_h is not None:
        ramp = ramp_per_step(study, site, "facility")
        lp.row_bound("Link-p-ramp_limit_up", f"{site} facility", ramp)
        lp.row_bound("Link-p-ramp_limit_down", f"{site} facility", -ramp)
    starts = [("facility", "Link-p", f"{site} facility")]
    if spec.geothermal is not None:
        starts.append(("geothermal", "Generator-p", f"{site} geothermal"))
    for output, variable, component in starts:
        column = positions.of(variable, component)[:1]
        lower, upper = positions.column_lower[column], positions.column_upper[column]
        ramp = ramp_per_step(study, site, output)
        if output in before and ramp is not None:
            low, high = output_range(study, site, output)
            lower = np.array([max(before[output] - ramp, low)])
            upper = np.array([min(before[output] + ramp, high)])
        lp.column_bounds(column, lower, upper)


def write_final_levels(
    lp: LpChanges,
    positions: LpPositions,
    study: Study,
    name: str,
    final: dict[str, tuple[float, bool]],
    values: dict[str, float],
) -> float:
    """Bounds of the storage levels after the last step (``final``: level [MWh] and
    whether it is a lower bound, by storage; else those of the LP as built) and their
    costs (minus ``values`` [currency/MWh] where given, else as built); returns the
    objective's constant: minus the value of the reservoir's minimum level, which the
    LP's level leaves out [currency]."""
    site, constant = study.sites[name], 0.0
    for asset, variable, component in (
        ("battery", "Store-e", f"{name} battery"),
        ("reservoir", "StorageUnit-state_of_charge", f"{name} reservoir"),
    ):
        holder = getattr(site, asset)
        if holder is None:
            continue
        # levels are modelled above the reservoir's minimum
        minimum = getattr(holder, "min_level_pu", 0.0) * holder.energy_mwh
        column = positions.of(variable, component)[-1:]
        lower, upper = positions.column_lower[column], positions.column_upper[column]
        if asset in final:
            level, at_least = final[asset]
            lower = np.array([level - minimum])
            upper = upper if at_least else lower
        lp.column_bounds(column, lower, upper)
        value = values.get(asset, 0.0)
        lp.column_costs(column, positions.column_cost[column] - value)
        constant -= value * minimum
    return constant


def level_range(asset: str, holder: object) -> tuple[float, float]:
    """The range of an initial level [MWh]."""
    if asset == "battery":
        return 0.0, holder.energy_mwh
    if asset == "reservoir":
        return holder.min_level_pu * holder.energy_mwh, holder.max_level_pu * holder.energy_mwh
    return 0.0, float("inf")


def with_initial_levels_study(study: Study, initial: dict[str, dict[str, float]]) -> Study:
    """``study`` with the initial levels [MWh] by site and asset as scenario fields."""
    if not initial:
        return study
    sites = dict(study.sites)
    for site, levels in initial.items():
        sites[site] = _with_initial_levels(sites[site], levels)
    scenario = study.scenario.model_copy(update={"sites": sites})
    return Study(scenario, study.source, study.snapshots, study.series)


def _with_initial_levels(site: Site, levels: dict[str, float]) -> Site:
    """``site`` with its initial levels [MWh] as scenario fields."""
    update = {}
    for asset in ("battery", "reservoir"):
        if asset in levels:
            holder = getattr(site, asset)
            update[asset] = holder.model_copy(
                update={"initial_level_pu": levels[asset] / holder.energy_mwh}
            )
    if "backlog" in levels:
        dc = site.datacentre
        deferrable = dc.deferrable.model_copy(update={"initial_backlog_mwh": levels["backlog"]})
        update["datacentre"] = dc.model_copy(update={"deferrable": deferrable})
    return site.model_copy(update=update)


def check_fixed_structure(study: Study) -> None:
    """Raise for what would change a Dispatcher's LP structure between windows: sized
    capacities, carbon targets and offers of flexibility (their rows take limits from
    the series a window rewrites)."""
    source = str(study.source)
    if (field := flexibility_market_field(study)) is not None:
        raise ScenarioError(source, field, "a Dispatcher does not carry offers of flexibility yet")
    if study.scenario.cfe_target is not None or study.scenario.emission_cap_tco2 is not None:
        raise ScenarioError(source, "cfe_target", "a Dispatcher solves no carbon targets")
    for name, site in study.sites.items():
        if site.cfe_target is not None:
            raise ScenarioError(
                source, f"sites.{name}.cfe_target", "a Dispatcher solves no carbon targets"
            )
        for path, asset in (
            ("datacentre.it_expansion", site.datacentre.it_expansion),
            *(
                (f"{carrier}.expansion", getattr(getattr(site, carrier), "expansion", None))
                for carrier in (*VARIABLE_RENEWABLES, "geothermal")
            ),
            ("battery.expansion", getattr(site.battery, "expansion", None)),
            ("battery.energy_expansion", getattr(site.battery, "energy_expansion", None)),
            (
                "grid.tariff.contracted_expansion",
                getattr(getattr(site.grid, "tariff", None), "contracted_expansion", None),
            ),
        ):
            if asset is not None:
                raise ScenarioError(
                    source, f"sites.{name}.{path}", "a Dispatcher needs given capacities"
                )
