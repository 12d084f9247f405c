"""Energy balance at each site bus; local output within what its assets can give; grid
import and export within the site's limits and, for the sites of a grid region together,
within the region's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.testing.series import series_values, step_change

if TYPE_CHECKING:
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


def _local_supply(s: Schedule) -> np.ndarray:
    """Net output of all local assets into the site bus [MW]."""
    parts = [*s.renewable.values()]
    if s.geothermal is not None:
        parts.append(s.geothermal)
    if s.battery_level is not None:
        parts.append(s.battery_discharge - s.battery_charge)
    if s.reservoir_level is not None:
        parts.append(s.reservoir_dispatch - s.reservoir_pump)
    return sum(parts, np.zeros_like(s.grid_import))


def check_supply(check: Checker, study: Study, site: str, s: Schedule) -> None:
    spec, w, capacities = study.sites[site], study.step_h, s.capacities
    check.equal(
        "energy balance: local output + import - export = facility power + heat pump electricity",
        _local_supply(s) + s.grid_import - s.grid_export,
        s.facility_power + s.heat_pump_power,
        "MW",
    )
    for carrier, output in s.renewable.items():
        available = capacities[carrier] * study.values(site, f"{carrier}.availability")
        check.within(f"{carrier} output in [0, P a_t]", output, 0.0, available, "MW")
    if (geo := spec.geothermal) is not None:
        steam = 1.0 if geo.steam_pu is None else geo.steam_pu + geo.flexible_steam_pu
        check.within(
            "geothermal output in [pmin P, P (steam + flexible steam)] (1 without a field)",
            s.geothermal,
            geo.min_stable_pu * capacities["geothermal"],
            steam * capacities["geothermal"],
            "MW",
        )
        check.within(
            "geothermal output from flexible steam in [0, P flexible steam]",
            s.geothermal_flexible,
            0.0,
            geo.flexible_steam_pu * capacities["geothermal"],
            "MW",
        )
        if geo.ramp_pu_per_h is not None:
            check.at_most(
                "geothermal ramp |p_t - p_t-1| <= r P w",
                np.abs(step_change(s.geothermal)),
                geo.ramp_pu_per_h * capacities["geothermal"] * w,
                "MW",
            )
    check.within(
        "grid import in [0, I_t]",
        s.grid_import,
        0.0,
        series_values(study, site, "grid.import_limit_mw"),
        "MW",
    )
    check.within(
        "grid export in [0, X_t]",
        s.grid_export,
        0.0,
        series_values(study, site, "grid.export_limit_mw"),
        "MW",
    )


def check_grid_regions(check: Checker, study: Study, by_site: dict[str, Schedule]) -> None:
    """The net import of each grid region's sites together within the region's limits."""
    for region in study.scenario.grid_regions:
        members = study.region_sites(region)
        net_import = sum(
            (by_site[site].grid_import - by_site[site].grid_export for site in members),
            np.zeros(len(study.snapshots)),
        )
        check.within(
            f"net import of grid region {region} in [-X_R, I_R]",
            net_import,
            -study.region_values(region, "export_limit_mw"),
            study.region_values(region, "import_limit_mw"),
            "MW",
        )
