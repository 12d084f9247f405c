"""Explaining infeasible studies in scenario terms.

Two steps, cheapest first (PYPSA-NOTES, Infeasibility): hour-by-hour checks of
firm load against all supply before solving; after an infeasible solve, an
irreducible infeasible subset (IIS) from HiGHS, translated from constraint names to
the scenario fields behind them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.errors import InfeasibleError
from dispatch.core.names import BATTERY_POWER, VARIABLE_RENEWABLES
from dispatch.model.sizing import it_capacity_bound
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa

IIS_MAX_SNAPSHOTS = 336
"""Longest horizon for which an IIS is computed: it takes minutes on a full year."""


def largest(asset: object, capacity: float) -> float:
    """An asset's capacity, or the most it may be sized to (inf if unbounded) [MW]."""
    expansion = getattr(asset, "expansion", None)
    if expansion is None:
        return capacity
    return float("inf") if expansion.max_mw is None else expansion.max_mw


def check_hourly_balance(study: Study) -> None:
    """Raise :class:`InfeasibleError` where an hour cannot balance whatever the plan.

    Checks, per site and snapshot, that the facility power of firm work, and of all
    work served as it arrives (the baseline, which the study must allow), is within
    all local supply plus the import limit, and that geothermal minimum output fits
    within the most the site can use, store and export; and per grid region and
    snapshot, that the net import the baseline of the region's sites needs together
    is within the region's import limit.
    """
    baseline_shortfall: dict[str, np.ndarray] = {}
    for name, site in study.sites.items():
        dc = site.datacentre
        pue = study.values(name, "datacentre.pue")
        smallest_it = dc.it_capacity_mw if dc.it_expansion is None else dc.it_expansion.min_mw
        work = {"firm": study.values(name, "datacentre.firm_mw")}
        work["all"] = study.baseline_work(name)
        need = {
            kind: pue
            * np.maximum(
                dc.idle_fraction * smallest_it + (1 - dc.idle_fraction) * served,
                dc.min_it_pu * smallest_it,
            )
            for kind, served in work.items()
        }
        parts = {}
        for carrier in VARIABLE_RENEWABLES:
            if (asset := getattr(site, carrier)) is not None:
                parts[carrier] = largest(asset, asset.capacity_mw) * study.values(
                    name, f"{carrier}.availability"
                )
        if (geo := site.geothermal) is not None:
            steam = 1.0 if geo.steam_pu is None else geo.steam_pu + geo.flexible_steam_pu
            parts["geothermal"] = np.full(len(pue), steam * largest(geo, geo.capacity_mw))
        if site.reservoir is not None and site.reservoir.energy_mwh > 0:
            parts["reservoir"] = np.full(len(pue), site.reservoir.turbine_mw)
        if site.battery is not None:
            parts["battery"] = np.full(len(pue), largest(site.battery, site.battery.power_mw))
        if site.grid is not None:
            tariff = site.grid.tariff
            contracted = (
                np.inf if tariff is None or tariff.contracted_mw is None else tariff.contracted_mw
            )
            parts["grid import"] = np.minimum(
                study.values(name, "grid.import_limit_mw"), contracted
            )
        supply = sum(parts.values(), np.zeros(len(pue)))
        baseline_shortfall[name] = need["all"] - (supply - parts.get("grid import", 0.0))
        for kind, what in (
            ("firm", "firm load"),
            ("all", "the baseline (all work served as it arrives)"),
        ):
            short = np.flatnonzero(need[kind] > supply + 1e-6)
            if len(short):
                t = short[0]
                listed = ", ".join(f"{k} {v[t]:.4g} MW" for k, v in parts.items()) or "none"
                raise InfeasibleError(
                    f"{study.source}: sites.{name}: at {study.snapshots[t].isoformat()} "
                    f"{what} needs {need[kind][t]:.4g} MW of facility power but all "
                    f"supply and import give at most {supply[t]:.4g} MW ({listed}); "
                    f"{len(short)} snapshot(s) are short"
                )
        geothermal = site.geothermal
        if geothermal is not None and geothermal.min_stable_pu > 0:
            smallest = (
                geothermal.capacity_mw
                if geothermal.expansion is None
                else (geothermal.expansion.min_mw)
            )
            must_run = geothermal.min_stable_pu * smallest
            sink = pue * it_capacity_bound(dc)
            if site.grid is not None:
                sink = sink + study.values(name, "grid.export_limit_mw")
            if site.battery is not None:
                sink = sink + largest(site.battery, site.battery.power_mw)
            if site.reservoir is not None:
                sink = sink + site.reservoir.pump_mw
            over = np.flatnonzero(must_run > sink + 1e-6)
            if len(over):
                t = over[0]
                raise InfeasibleError(
                    f"{study.source}: sites.{name}.geothermal.min_stable_pu: at "
                    f"{study.snapshots[t].isoformat()} geothermal must run at "
                    f"{must_run:.4g} MW but the site can take at most {sink[t]:.4g} MW "
                    "(facility at full IT capacity, export limit, battery charging, pumping)"
                )
    for region in study.scenario.grid_regions:
        members = study.region_sites(region)
        net_import = sum(baseline_shortfall[name] for name in members)
        limit = study.region_values(region, "import_limit_mw")
        short = np.flatnonzero(net_import > limit + 1e-6)
        if len(short):
            t = short[0]
            raise InfeasibleError(
                f"{study.source}: grid_regions.{region}.import_limit_mw at "
                f"{study.snapshots[t]:%Y-%m-%d %H:%M} is {limit[t]:.4g} MW but the baseline "
                f"(all work served as it arrives) of its sites ({', '.join(members)}) needs "
                f"a net import of at least {net_import[t]:.4g} MW beyond all their local "
                f"supply; {len(short)} snapshot(s) are short"
            )


_CONNECTION_POINT = (" grid", " grid supply", " grid demand")


def _describe_region(constraint: str, asset: str, region: str) -> str:
    """Scenario terms for a constraint on grid region ``region``'s connection point."""
    if constraint == "Bus-nodal_balance":
        return f"power balance at the connection point of grid region {region}"
    if asset.endswith("supply") and "upper" in constraint:
        return f"grid_regions.{region}.import_limit_mw"
    if asset.endswith("demand") and "lower" in constraint:
        return f"grid_regions.{region}.export_limit_mw"
    return f"grid_regions.{region} (import and export are never negative)"


def _describe(constraint: str, asset: str, site: str, routes: dict[str, int]) -> str:
    """Scenario terms for a PyPSA constraint on a component."""
    route = asset.split(" ")[0]
    if route in routes:
        field = f"routing.routes[{routes[route]}]"
        if constraint.endswith("upper"):
            return f"{field}.capacity_mw ({route})"
        return f"{field} (work moved is never negative, {route})"
    kind = asset.removeprefix(f"{site} ")
    if constraint == "Bus-nodal_balance":
        return {
            "firm": f"firm work of site {site}",
            site: f"energy balance at site {site}",
            "IT": f"IT power balance at site {site} (idle draw and compute)",
            "work": f"work balance at site {site} (firm + deferrable + interruptible)",
            "queue": f"deferrable arrivals at site {site}",
            "battery": f"sites.{site}.battery: charge, discharge and level (its own bus)",
            "grid": f"power balance at the grid connection point of site {site}",
        }.get(kind if asset != site else site, f"balance of {asset}")
    if constraint.startswith("cfe_target"):
        return f"sites.{site}.cfe_target" if site else "cfe_target"
    if constraint.startswith(BATTERY_POWER):
        return f"sites.{site}.battery.expansion (discharge power = charge power)"
    if constraint == "emission_cap":
        return "emission_cap_tco2"
    fields = {
        ("Generator", "lower", "geothermal"): "geothermal.min_stable_pu",
        ("Generator", "upper", "geothermal"): "geothermal.capacity_mw",
        ("Generator", "ramp", "geothermal"): "geothermal.ramp_pu_per_h",
        ("Link", "upper", "grid import"): "grid.import_limit_mw (or tariff.contracted_mw)",
        ("Link", "lower", "grid import"): "grid (import is never negative)",
        ("Link", "upper", "grid export"): "grid.export_limit_mw",
        ("Link", "lower", "grid export"): "grid (export is never negative)",
        ("Generator", "upper", "grid supply"): "grid.import_limit_mw",
        ("Generator", "lower", "grid demand"): "grid.export_limit_mw",
        ("Link", "lower", "deferrable"): "datacentre.deferrable (service is never negative)",
        ("Generator", "upper", "lost work"): "datacentre.interruptible.offered_mw",
        ("Generator", "lower", "lost work"): "datacentre.interruptible (served <= offered)",
        ("Link", "upper", "compute"): "datacentre.it_capacity_mw",
        ("Link", "lower", "compute"): "datacentre.min_it_pu",
        ("Link", "upper", "facility"): "datacentre.it_capacity_mw (times PUE)",
        ("Link", "ramp", "facility"): "datacentre.facility_ramp_mw_per_h",
        ("Link", "upper", "deferrable"): "datacentre.it_capacity_mw",
        ("Link", "upper", "firm local"): "datacentre.it_capacity_mw",
        ("Link", "lower", "firm local"): "datacentre.firm_mw (served here or moved)",
        ("Store", "lower", "backlog"): "datacentre.deferrable.max_delay_h (deadline)",
        ("Store", "upper", "backlog"): "datacentre.deferrable.arrivals_mwh (no service "
        "before arrival)",
        ("Store", "energy_balance", "backlog"): "datacentre.deferrable (backlog recursion)",
    }
    component = constraint.split("-")[0]
    for part in ("lower", "upper", "ramp", "energy_balance"):
        if part in constraint:
            break
    if kind in VARIABLE_RENEWABLES:
        return f"sites.{site}.{kind}.capacity_mw x availability"
    storage = kind.removesuffix(" charger").removesuffix(" discharger")
    if storage in ("battery", "reservoir"):
        what = (
            "level recursion (cyclic or initial level)"
            if part == "energy_balance"
            else (f"{'lower' if part == 'lower' else 'upper'} limit on power or level")
        )
        return f"sites.{site}.{storage}: {what}"
    field = fields.get((component, part, kind))
    return f"sites.{site}.{field}" if field else f"{constraint} on {asset}"


def explain_infeasibility(n: pypsa.Network, study: Study, run: str, condition: str) -> str:
    """One line naming the constraints that conflict, in scenario terms.

    Parameters
    ----------
    n
        The network whose model HiGHS found infeasible.
    study
        Its study.
    run
        ``"flexible"`` or ``"baseline"``.
    condition
        The termination condition HiGHS reported.
    """
    head = f"{study.source}: the {run} run is {condition}"
    if run == "baseline":
        head += (
            " (the baseline serves all work as it arrives: check min_it_pu, "
            "facility_ramp_mw_per_h and supply in peak hours)"
        )
    if len(n.snapshots) > IIS_MAX_SNAPSHOTS:
        return (
            f"{head}; no single hour is short of supply, so the conflict spans hours "
            f"(storage cycles, deadlines, ramps, carbon targets): rerun with --hours "
            f"{IIS_MAX_SNAPSHOTS} "
            "or less to have the conflicting constraints named"
        )
    try:
        labels = n.model.compute_infeasibilities()
    except Exception as exc:  # the IIS is a diagnosis: never hide the infeasibility
        return f"{head}; the conflicting constraints could not be computed ({exc})"
    routes = {name: i for i, name in enumerate(study.routes)}
    conflicts: dict[str, list] = {}
    for label in labels:
        con = n.model.constraints.get_label_position(label)
        if con is None or con[0] is None:
            continue
        constraint, coords = con
        asset = str(coords.get("name", coords.get("Bus", "")))
        snapshot = coords.get("snapshot")
        site = next((s for s in study.sites if asset == s or asset.startswith(f"{s} ")), "")
        region = asset.split(" grid")[0] if asset.endswith(_CONNECTION_POINT) else ""
        if region in study.scenario.grid_regions:
            conflicts.setdefault(_describe_region(constraint, asset, region), []).append(snapshot)
            continue
        if constraint.startswith("cfe_target "):
            site = constraint.removeprefix("cfe_target ")
        if constraint.startswith(f"{BATTERY_POWER} "):
            site = constraint.removeprefix(f"{BATTERY_POWER} ")
        conflicts.setdefault(_describe(constraint, asset, site, routes), []).append(snapshot)
    if not conflicts:
        return f"{head}; HiGHS named no conflicting constraints"
    parts = []
    for what, times in conflicts.items():
        times = sorted(t for t in times if t is not None)
        when = ""
        if times:
            first, last = (re.sub(r":00$", "", str(t)) for t in (times[0], times[-1]))
            when = f" at {first}" if first == last else f" from {first} to {last}"
        parts.append(f"{what}{when}")
    return f"{head}; conflicting constraints: " + "; ".join(parts)
