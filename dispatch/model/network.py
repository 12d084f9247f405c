"""Study -> ``pypsa.Network``: every asset and workload class of MODEL.md as components.

Each site ``S`` becomes these buses, chained by Links:

``S`` --facility--> ``S IT`` --compute--> ``S work`` --deferrable--> ``S queue``

* ``S facility`` has efficiency 1/PUE_t: its input is facility power, its output IT power.
* ``S IT`` carries the idle draw ``idle * C`` as a Load.
* ``S compute`` has efficiency 1/(1 - idle) and capacity (1 - idle) C: its output is
  work served (firm + deferrable + interruptible) <= C.
* ``S work`` carries firm work and offered interruptible work as Loads; the
  ``S lost work`` Generator (cost V, at most O_t) supplies the part not served.
* ``S queue`` carries deferrable arrivals as a Load; ``S backlog`` is a Store whose
  level is minus the backlog, bounded below by minus the work that arrived within
  the last D hours (PYPSA-NOTES: compact, no cumulative sums).

Routes (several sites): work of site O served at site D leaves ``D work`` on a Link
per class (capacity, cost per MWh) and feeds ``O queue`` (deferrable) or ``O firm`` (a
bus the firm Load moves to when firm work of O may be routed, fed locally by ``O firm
local``); the classes of a route share its capacity (:func:`share_route_capacity`).

Reservoir levels are modelled above the minimum level, so the StorageUnit needs no
extra constraint; reported levels add the minimum back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.names import (
    BATTERY_POWER,
    CARRIERS,
    HOURS_PER_YEAR,
    ROUTE_CAPACITY,
    VARIABLE_RENEWABLES,
    route_link,
    route_target,
)
from dispatch.core.pypsa_settings import import_pypsa
from dispatch.scenario.schema import Battery, DataCentre, EnergyExpansion, Expansion, Route
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa


def _per_unit(values: np.ndarray) -> tuple[float, np.ndarray]:
    """Split a non-negative series into a nominal value and p.u. profile."""
    nominal = float(values.max())
    return nominal, (values / nominal if nominal > 0 else np.zeros_like(values))


def annuity_factor(discount_rate: float, lifetime_years: float) -> float:
    """Share of an investment due each year over its lifetime [1/a]."""
    if discount_rate == 0:
        return 1.0 / lifetime_years
    return discount_rate / (1.0 - (1.0 + discount_rate) ** -lifetime_years)


def _expansion(
    expansion: Expansion | EnergyExpansion | None, study: Study, scale: float = 1.0
) -> dict[str, float | bool]:
    """PyPSA attributes of an extendable capacity, or none for a fixed one.

    An :class:`Expansion` sizes a power capacity (``p_nom``), an
    :class:`EnergyExpansion` a Store's energy capacity (``e_nom``). ``scale``
    converts the scenario's unit into the component's (e.g. (1 - idle) for the
    compute Link). The capital cost per unit is capex x annuity factor x the
    horizon's share of a year.
    """
    if expansion is None:
        return {}
    if isinstance(expansion, EnergyExpansion):
        nom, capex = "e_nom", expansion.capex_per_mwh
        smallest, largest = expansion.min_mwh, expansion.max_mwh
    else:
        nom, capex = "p_nom", expansion.capex_per_mw
        smallest, largest = expansion.min_mw, expansion.max_mw
    horizon_share = len(study.snapshots) * study.step_h / HOURS_PER_YEAR
    return {
        f"{nom}_extendable": True,
        f"{nom}_min": smallest * scale,
        f"{nom}_max": float("inf") if largest is None else largest * scale,
        "capital_cost": annuity_factor(expansion.discount_rate, expansion.lifetime_years)
        * capex
        * horizon_share
        / scale,
    }


def _ramp_limits(per_unit_per_h: float | None, step_h: float) -> dict[str, float]:
    """PyPSA ramp limits (p.u. of capacity per step) from a limit per hour."""
    if per_unit_per_h is None:
        return {}
    limit = min(1.0, per_unit_per_h * step_h)
    return {"ramp_limit_up": limit, "ramp_limit_down": limit}


def backlog_window(study: Study, site: str) -> np.ndarray:
    """Largest backlog allowed after each step: work that arrived within D [MWh].

    The initial backlog counts as arriving at the start, so it is due within D of
    the start (within the first step if D is 0). The window is 0 after the last step.
    """
    deferrable = study.sites[site].datacentre.deferrable
    arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh").copy()
    steps = int(round(deferrable.max_delay_h / study.step_h))
    cumulative = np.concatenate([[0.0], np.cumsum(arrivals)])
    t = np.arange(len(arrivals))
    window = cumulative[t + 1] - cumulative[np.maximum(t + 1 - steps, 0)]
    window[:steps] += deferrable.initial_backlog_mwh
    window[-1] = 0.0
    return window


def carrier_co2(study: Study) -> list[float]:
    """CO2 intensity of each carrier of ``CARRIERS``: the largest of the study's sites
    (PyPSA's statistics use it; the key figures use each site's own) [tCO2/MWh]."""
    co2 = dict.fromkeys(CARRIERS, 0.0)
    for site in study.sites.values():
        for carrier in (*VARIABLE_RENEWABLES, "geothermal"):
            asset = getattr(site, carrier)
            if asset is not None:
                co2[carrier] = max(co2[carrier], asset.co2_t_per_mwh)
    return list(co2.values())


def build_network(study: Study) -> pypsa.Network:
    """Build the PyPSA network of the flexible run of ``study``.

    Parameters
    ----------
    study
        A loaded study.

    Returns
    -------
    pypsa.Network
        Buses, generators, storage, links, loads and stores of every site, with
        carriers (CO2 intensity, colour, nice name) and the study's metadata in
        ``n.meta``. :func:`to_baseline` turns it into the baseline run.
    """
    pypsa = import_pypsa()
    n = pypsa.Network(name=study.name)
    n.set_snapshots(study.snapshots.tz_localize(None))
    n.snapshot_weightings.loc[:, :] = study.step_h
    n.meta = {"study": study.name, "run": "flexible", "currency": study.scenario.currency}

    n.add(
        "Carrier",
        list(CARRIERS),
        nice_name=[c["nice_name"] for c in CARRIERS.values()],
        color=[c["color"] for c in CARRIERS.values()],
        co2_emissions=carrier_co2(study),
    )
    routes = study.routes
    firm_routed = {r.origin for r, classes in routes.values() if "firm" in classes}
    for region in study.scenario.grid_regions:
        _add_connection_point(
            n,
            f"{region} grid",
            study.region_values(region, "import_limit_mw"),
            study.region_values(region, "export_limit_mw"),
        )
    for name in study.sites:
        _add_supply(n, study, name)
        _add_datacentre(n, study, name, firm_routed)
    for route_name, (route, classes) in routes.items():
        _add_route(n, route_name, route, classes)
    # Links added before the first one with a bus2 (heat reuse) keep a NaN there.
    if "efficiency2" in n.links:
        n.links["efficiency2"] = n.links["efficiency2"].fillna(1.0)
    return n


def it_capacity_bound(dc: DataCentre) -> float:
    """The IT capacity, or its largest size when it is sized by optimisation [MW]."""
    return dc.it_capacity_mw if dc.it_expansion is None else dc.it_expansion.max_mw


def tie_idle_draw_to_it_capacity(n: pypsa.Network, study: Study) -> None:
    """For sized IT capacity: idle draw = idle C = idle / (1 - idle) x compute capacity."""
    for name, site in study.sites.items():
        dc = site.datacentre
        if dc.it_expansion is None or dc.idle_fraction == 0:
            continue
        share = dc.idle_fraction / (1 - dc.idle_fraction)
        idle = n.model["Generator-p_nom"].sel(name=f"{name} idle", drop=True)
        compute = n.model["Link-p_nom"].sel(name=f"{name} compute", drop=True)
        n.model.add_constraints(idle == share * compute, name=f"idle draw {name}")


def tie_battery_discharge_to_charge(n: pypsa.Network) -> None:
    """For sized battery power: discharger capacity x its efficiency = charger capacity.

    Both Links then carry at most the same power P at the site bus (the discharger's
    capacity counts at its input, the battery bus). Found from the network alone
    (extendable Links ``S battery discharger``), so a network read from a file gets
    the same constraints.
    """
    links = n.links
    dischargers = links.index[
        (links.carrier == "battery")
        & links.p_nom_extendable
        & links.index.str.endswith(" battery discharger")
    ]
    for discharger in dischargers:
        site = discharger.removesuffix(" battery discharger")
        p_nom = n.model["Link-p_nom"]
        discharge = p_nom.sel(name=discharger, drop=True)
        charge = p_nom.sel(name=f"{site} battery charger", drop=True)
        n.model.add_constraints(
            links.at[discharger, "efficiency"] * discharge == charge,
            name=f"{BATTERY_POWER} {site}",
        )


def _add_heat(n: pypsa.Network, study: Study, name: str) -> str:
    """District heating from waste heat; returns the waste-heat bus.

    The facility Link puts recoverable_fraction x IT power on ``S waste heat``, where
    ``S vent`` may discard it. ``S heat pump`` takes electricity from the site bus
    and waste heat (COP - 1 per MWh of electricity) and delivers COP to ``S heat``
    (without a heat pump, ``S heat exchanger`` passes waste heat on one to one);
    ``S heat sale`` takes up to the demand at the heat price.
    """
    heat, sns = study.sites[name].datacentre.heat_reuse, n.snapshots
    waste, network = f"{name} waste heat", f"{name} heat"
    n.add("Bus", [waste, network], carrier=["waste_heat", "heat"], unit="MW")
    demand_nom, demand_pu = _per_unit(study.values(name, "datacentre.heat_reuse.demand_mw"))
    most_heat = it_capacity_bound(study.sites[name].datacentre) * heat.recoverable_fraction
    n.add(
        "Generator",
        f"{name} vent",
        bus=waste,
        carrier="waste_heat",
        p_nom=most_heat,
        p_min_pu=-1.0,
        p_max_pu=0.0,
    )
    if heat.heat_pump_cop is None:
        n.add(
            "Link",
            f"{name} heat exchanger",
            bus0=waste,
            bus1=network,
            carrier="heat",
            p_nom=most_heat,
        )
    else:
        cop = heat.heat_pump_cop
        n.add(
            "Link",
            f"{name} heat pump",
            bus0=name,
            bus1=network,
            bus2=waste,
            carrier="heat_pump",
            efficiency=cop,
            efficiency2=-(cop - 1),
            p_nom=max(demand_nom, most_heat) / (cop - 1),
        )
    n.add(
        "Generator",
        f"{name} heat sale",
        bus=network,
        carrier="heat",
        p_nom=demand_nom,
        p_min_pu=pd.Series(-demand_pu, sns),
        p_max_pu=0.0,
        marginal_cost=pd.Series(study.values(name, "datacentre.heat_reuse.price"), sns),
    )
    return waste


def _add_route(n: pypsa.Network, name: str, route: Route, classes: tuple[str, ...]) -> None:
    """Work of ``route.origin`` served at ``route.destination``, within the capacity.

    One Link per class the route carries, from the destination's work bus to the
    origin's firm bus (firm work) or queue (deferrable work), at the route's cost:
    ``NAME`` for a route carrying one class, ``NAME firm`` and ``NAME deferrable``
    for one carrying both, whose capacity they share through
    :func:`share_route_capacity`.
    """
    for workload in classes:
        n.add(
            "Link",
            route_link(name, classes, workload),
            bus0=f"{route.destination} work",
            bus1=route_target(route, workload),
            carrier="route",
            p_nom=route.capacity_mw,
            marginal_cost=route.cost_per_mwh,
        )


def shared_routes(n: pypsa.Network) -> list[str]:
    """Routes whose two classes share the capacity: those with Links ``NAME firm`` and
    ``NAME deferrable``."""
    links = n.links.index[n.links.carrier == "route"]
    return [
        link.removesuffix(" firm")
        for link in links
        if link.endswith(" firm") and f"{link.removesuffix(' firm')} deferrable" in links
    ]


def share_route_capacity(n: pypsa.Network) -> None:
    """Firm plus deferrable work moved on a route within its capacity, on the model.

    A constraint rather than a route bus with a shared Link: a third fewer route
    variables and no route balance rows, and the simplex needs fewer iterations. It
    needs only the network, so a network read from ``network.nc`` gets it too.
    """
    routes = shared_routes(n)
    if not routes:
        return
    import xarray as xr

    flow = n.model["Link-p"]
    moved = sum(
        flow.sel(name=[f"{route} {workload}" for route in routes]).assign_coords(name=routes)
        for workload in ("firm", "deferrable")
    )
    capacity = xr.DataArray(
        n.links.loc[[f"{route} firm" for route in routes], "p_nom"].to_numpy(),
        coords={"name": routes},
    )
    n.model.add_constraints(moved <= capacity, name=ROUTE_CAPACITY)


def _add_battery(n: pypsa.Network, study: Study, name: str, bat: Battery) -> None:
    """A battery: a Store on a bus of its own, charged and discharged by one-way Links.

    ``S battery charger`` (site bus -> ``S battery``, efficiency = charge
    efficiency) and ``S battery discharger`` (``S battery`` -> site bus, efficiency =
    discharge efficiency) each carry at most the power P at the site bus: the
    discharger's capacity counts at its input, so it is P / discharge efficiency.
    The Store ``S battery`` holds the level: energy capacity E, standing loss
    compounding (1 - loss)^w, cyclic or from an initial level. Sized power: both
    Links are extendable, the charger bears the capital cost and
    :func:`tie_battery_discharge_to_charge` ties the discharger to it. Sized energy:
    the Store is extendable.
    """
    battery, efficiency = f"{name} battery", bat.discharge_efficiency
    n.add("Bus", battery, carrier="battery", unit="MW")
    n.add(
        "Store",
        battery,
        bus=battery,
        carrier="battery",
        e_nom=bat.energy_mwh,
        standing_loss=bat.standing_loss_per_h,
        e_cyclic=bat.initial_level_pu is None,
        e_initial=(bat.initial_level_pu or 0.0) * bat.energy_mwh,
        **_expansion(bat.energy_expansion, study),
    )
    n.add(
        "Link",
        f"{battery} charger",
        bus0=name,
        bus1=battery,
        carrier="battery",
        efficiency=bat.charge_efficiency,
        p_nom=bat.power_mw,
        **_expansion(bat.expansion, study),
    )
    n.add(
        "Link",
        f"{battery} discharger",
        bus0=battery,
        bus1=name,
        carrier="battery",
        efficiency=efficiency,
        p_nom=bat.power_mw / efficiency,
        p_nom_extendable=bat.expansion is not None,
    )


def _add_supply(n: pypsa.Network, study: Study, name: str) -> None:
    site, w, sns = study.sites[name], study.step_h, n.snapshots
    n.add("Bus", name, carrier="electricity", unit="MW")
    for carrier in VARIABLE_RENEWABLES:
        asset = getattr(site, carrier)
        if asset is not None:
            n.add(
                "Generator",
                f"{name} {carrier}",
                bus=name,
                carrier=carrier,
                p_nom=asset.capacity_mw,
                p_max_pu=pd.Series(study.values(name, f"{carrier}.availability"), sns),
                marginal_cost=asset.marginal_cost,
                **_expansion(asset.expansion, study),
            )
    if (geo := site.geothermal) is not None:
        n.add(
            "Generator",
            f"{name} geothermal",
            bus=name,
            carrier="geothermal",
            p_nom=geo.capacity_mw,
            p_min_pu=geo.min_stable_pu,
            marginal_cost=geo.marginal_cost,
            **_ramp_limits(geo.ramp_pu_per_h, w),
            **_expansion(geo.expansion, study),
        )
    if (res := site.reservoir) is not None:
        usable = (res.max_level_pu - res.min_level_pu) * res.energy_mwh
        initial = (
            0.0
            if res.initial_level_pu is None
            else ((res.initial_level_pu - res.min_level_pu) * res.energy_mwh)
        )
        n.add(
            "StorageUnit",
            f"{name} reservoir",
            bus=name,
            carrier="reservoir",
            p_nom=res.turbine_mw,
            max_hours=usable / res.turbine_mw,
            p_min_pu=0.0,
            inflow=pd.Series(study.values(name, "reservoir.inflow_mw"), sns),
            marginal_cost=res.marginal_cost,
            cyclic_state_of_charge=res.initial_level_pu is None,
            state_of_charge_initial=initial,
        )
    if site.battery is not None:
        _add_battery(n, study, name, site.battery)
    if site.grid is not None:
        _add_grid_connection(n, study, name)


def grid_bus(study: Study, site: str) -> str:
    """The bus of the connection point behind which ``site``'s grid connection sits."""
    region = study.sites[site].grid.region
    return f"{site if region is None else region} grid"


def _add_connection_point(
    n: pypsa.Network, bus: str, import_limit: np.ndarray, export_limit: np.ndarray
) -> None:
    """A grid connection point: a bus the grid feeds up to the import limit and takes
    up to the export limit from, free of charge (the tariffs are on the connections)."""
    import_nom, import_pu = _per_unit(import_limit)
    export_nom, export_pu = _per_unit(export_limit)
    n.add("Bus", bus, carrier="grid", unit="MW")
    n.add(
        "Generator",
        f"{bus} supply",
        bus=bus,
        carrier="grid",
        p_nom=import_nom,
        p_max_pu=pd.Series(import_pu, n.snapshots),
    )
    n.add(
        "Generator",
        f"{bus} demand",
        bus=bus,
        carrier="grid",
        p_nom=export_nom,
        p_min_pu=pd.Series(-export_pu, n.snapshots),
        p_max_pu=0.0,
    )


def _add_grid_connection(n: pypsa.Network, study: Study, name: str) -> None:
    """The site's grid import and export, as Links to and from its connection point.

    A site with a connection point of its own gets one (bus ``S grid``); the sites
    of a grid region share the region's (bus ``R grid``, added by ``build_network``).
    """
    sns, carbon_price = n.snapshots, study.scenario.carbon_price
    bus = grid_bus(study, name)
    import_limit = study.values(name, "grid.import_limit_mw")
    export_limit = study.values(name, "grid.export_limit_mw")
    if study.sites[name].grid.region is None:
        _add_connection_point(n, bus, import_limit, export_limit)
    import_nom, import_pu = _per_unit(import_limit)
    export_nom, export_pu = _per_unit(export_limit)
    n.add(
        "Link",
        f"{name} grid import",
        bus0=bus,
        bus1=name,
        carrier="grid_import",
        p_nom=import_nom,
        p_max_pu=pd.Series(import_pu, sns),
        marginal_cost=pd.Series(
            study.values(name, "grid.import_price")
            + carbon_price * study.values(name, "grid.carbon_intensity_t_per_mwh"),
            sns,
        ),
    )
    n.add(
        "Link",
        f"{name} grid export",
        bus0=name,
        bus1=bus,
        carrier="grid_export",
        p_nom=export_nom,
        p_max_pu=pd.Series(export_pu, sns),
        marginal_cost=pd.Series(-study.values(name, "grid.export_price"), sns),
    )


def _add_datacentre(n: pypsa.Network, study: Study, name: str, firm_routed: set[str]) -> None:
    dc, w, sns = study.sites[name].datacentre, study.step_h, n.snapshots
    capacity, idle = it_capacity_bound(dc), dc.idle_fraction
    pue = study.values(name, "datacentre.pue")
    it, work = f"{name} IT", f"{name} work"
    n.add("Bus", [it, work], carrier=["it", "compute"], unit="MW")
    facility_nom = capacity * float(pue.max())
    waste_heat = {}
    if dc.heat_reuse is not None:
        waste_heat = {
            "bus2": _add_heat(n, study, name),
            "efficiency2": pd.Series(dc.heat_reuse.recoverable_fraction / pue, sns),
        }
    n.add(
        "Link",
        f"{name} facility",
        bus0=name,
        bus1=it,
        carrier="facility",
        p_nom=facility_nom,
        efficiency=pd.Series(1.0 / pue, sns),
        **waste_heat,
        **_ramp_limits(
            None if dc.facility_ramp_mw_per_h is None else dc.facility_ramp_mw_per_h / facility_nom,
            w,
        ),
    )
    if idle > 0 and dc.it_expansion is None:
        n.add("Load", f"{name} idle", bus=it, carrier="idle", p_set=idle * capacity)
    elif idle > 0:
        # Sized IT capacity: the idle draw idle * C follows the chosen C through
        # tie_idle_draw_to_it_capacity on the model.
        n.add(
            "Generator",
            f"{name} idle",
            bus=it,
            carrier="idle",
            p_nom_extendable=True,
            p_min_pu=-1.0,
            p_max_pu=-1.0,
        )
    n.add(
        "Link",
        f"{name} compute",
        bus0=it,
        bus1=work,
        carrier="compute",
        p_nom=(1 - idle) * capacity,
        efficiency=1.0 / (1 - idle),
        p_min_pu=max(0.0, dc.min_it_pu - idle) / (1 - idle),
        **_expansion(dc.it_expansion, study, scale=1 - idle),
    )
    firm_bus = work
    if name in firm_routed:
        # Firm work that other sites may serve gets its own bus, so that work moved
        # for it cannot stand in for this site's deferrable or interruptible work.
        firm_bus = f"{name} firm"
        n.add("Bus", firm_bus, carrier="firm", unit="MW")
        n.add(
            "Link", f"{name} firm local", bus0=work, bus1=firm_bus, carrier="firm", p_nom=capacity
        )
    n.add(
        "Load",
        f"{name} firm",
        bus=firm_bus,
        carrier="firm",
        p_set=pd.Series(study.values(name, "datacentre.firm_mw"), sns),
    )
    if dc.interruptible is not None:
        offered = study.values(name, "datacentre.interruptible.offered_mw")
        offered_nom, offered_pu = _per_unit(offered)
        n.add(
            "Load",
            f"{name} interruptible",
            bus=work,
            carrier="interruptible",
            p_set=pd.Series(offered, sns),
        )
        n.add(
            "Generator",
            f"{name} lost work",
            bus=work,
            carrier="lost_work",
            p_nom=offered_nom,
            p_max_pu=pd.Series(offered_pu, sns),
            marginal_cost=dc.interruptible.value_of_lost_work,
        )
    if dc.deferrable is not None:
        queue = f"{name} queue"
        window = backlog_window(study, name)
        e_nom = max(float(window.max()), 1.0)
        n.add("Bus", queue, carrier="deferrable", unit="MW")
        n.add(
            "Link",
            f"{name} deferrable",
            bus0=work,
            bus1=queue,
            carrier="deferrable",
            p_nom=capacity,
        )
        n.add(
            "Load",
            f"{name} arrivals",
            bus=queue,
            carrier="deferrable",
            p_set=pd.Series(study.values(name, "datacentre.deferrable.arrivals_mwh") / w, sns),
        )
        n.add(
            "Store",
            f"{name} backlog",
            bus=queue,
            carrier="backlog",
            e_nom=e_nom,
            e_max_pu=0.0,
            e_min_pu=pd.Series(-window / e_nom, sns),
            e_initial=-dc.deferrable.initial_backlog_mwh,
            e_cyclic=False,
        )


def to_baseline(n: pypsa.Network) -> None:
    """Turn a flexible-run network into the baseline run of MODEL.md §5, in place.

    Deferrable work is served as it arrives (the backlog is held at zero after every
    step), interruptible work is served in full (no work may be lost) and every site
    serves its own work (routes carry nothing). Assets,
    grid and site limits stay the same. If ``n.model`` exists, its bounds follow.
    """
    backlogs = n.stores.index[n.stores.carrier == "backlog"]
    lost = n.generators.index[n.generators.carrier == "lost_work"]
    routes = n.links.index[n.links.carrier == "route"]
    n.stores_t.e_min_pu.loc[:, backlogs] = 0.0
    n.generators_t.p_max_pu.loc[:, lost] = 0.0
    n.links.loc[routes, "p_max_pu"] = 0.0
    n.meta = {**n.meta, "run": "baseline"}
    if getattr(n, "_model", None) is None:
        return
    for constraint, names in (
        ("Store-fix-e-lower", backlogs),
        ("Generator-fix-p-upper", lost),
        ("Link-fix-p-upper", routes),
    ):
        if len(names):
            rhs = n.model.constraints[constraint].rhs.copy()
            rhs.loc[{"name": list(names)}] = 0.0
            n.model.constraints[constraint].rhs = rhs
