"""Solved network -> hourly arrays of one run, in the terms of MODEL.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import ROUTE_CAPACITY, VARIABLE_RENEWABLES, route_link
from dispatch.model.flexibility import offers
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pandas as pd
    import pypsa


@dataclass
class RunDispatch:
    """Hourly dispatch of one site in one run (flexible or baseline).

    Power in [MW] (average over the step), levels in [MWh]; arrays have one value
    per snapshot, dicts are keyed by carrier or workload class.
    """

    output: dict[str, np.ndarray]
    """Output per local carrier; battery: discharge minus charge; reservoir: turbine
    output at the bus (pumping apart) [MW]."""
    available: dict[str, np.ndarray]
    """Available power per curtailable carrier: P a_t (geothermal with a steam field:
    its steady steam P steam), or inflow for reservoirs (as potential energy) [MW]."""
    curtailment: dict[str, np.ndarray]
    """Curtailment per curtailable carrier: P a_t - p_t (geothermal: the steady steam
    the turbine does not take, vented), or spill for reservoirs (as potential
    energy) [MW]."""
    it_power: dict[str, np.ndarray]
    """IT power by workload class of the work served here, whatever its origin [MW]."""
    facility_power: dict[str, np.ndarray]
    """Facility power (IT power times PUE) by workload class [MW]."""
    grid_import: np.ndarray
    """Grid import [MW]."""
    grid_export: np.ndarray
    """Grid export [MW]."""
    deferred_served: np.ndarray
    """This site's deferrable work served, here or elsewhere: u_t [MW]."""
    backlog: np.ndarray
    """Deferrable work waiting after the step, b_t [MWh]."""
    interruptible_served: np.ndarray
    """Interruptible work served, v_t [MW]."""
    unserved: np.ndarray
    """Interruptible work offered but not served, O_t - v_t [MW]."""
    battery_level: np.ndarray | None
    """Battery energy after the step [MWh]."""
    battery_charge: np.ndarray | None
    """Battery charging power [MW]."""
    reservoir_level: np.ndarray | None
    """Reservoir energy after the step, as potential energy [MWh]."""
    reservoir_pump: np.ndarray | None
    """Power the reservoir's pump draws from the site bus; None without a pump [MW]."""
    marginal_price: np.ndarray
    """Shadow price of the site bus energy balance [currency/MWh]."""
    objective: float
    """Objective value of the run [currency]."""
    heat_delivered: np.ndarray
    """Heat sold to district heating [MW]."""
    heat_pump_power: np.ndarray
    """Electricity drawn by the heat pump from the site bus [MW]."""
    moved_out: dict[str, np.ndarray]
    """This site's firm and deferrable work served at other sites [MW]."""
    moved_in: dict[str, np.ndarray]
    """Other sites' firm and deferrable work served here [MW]."""
    capacities: dict[str, float]
    """Capacity of each asset as solved (sized or given) [MW; battery_energy MWh]."""
    capital_cost: float
    """Annualised capital cost of the sized assets for the horizon [currency]."""
    flexibility_offered: dict[str, np.ndarray] | None = None
    """Flexibility offered to the grid partner, ``up`` and ``down``, where the site's
    grid has a flexibility market [MW]."""


def column_or_zeros(frame: pd.DataFrame, name: str, length: int) -> np.ndarray:
    """Column ``name`` of a PyPSA time-series table, zeros if the network has no such
    component or PyPSA stored no values for it."""
    if name in frame.columns:
        return frame[name].to_numpy(dtype=float)
    return np.zeros(length)


def extract_run(
    n: pypsa.Network, study: Study, site: str, routes: dict[str, dict[str, np.ndarray]]
) -> RunDispatch:
    """Read the solution of ``site`` from a solved network.

    Parameters
    ----------
    n
        A network built by :func:`dispatch.model.network.build_network` and solved.
    study
        The study it was built from.
    site
        Name of the site.
    routes
        Work moved on each route, from :func:`extract_routes`.
    """
    spec, length = study.sites[site], len(n.snapshots)
    gen_p = n.generators_t.p
    gen_pmax = n.get_switchable_as_dense("Generator", "p_max_pu")
    su_t = n.storage_units_t
    output: dict[str, np.ndarray] = {}
    available: dict[str, np.ndarray] = {}
    curtailment: dict[str, np.ndarray] = {}
    for carrier in VARIABLE_RENEWABLES:
        asset = getattr(spec, carrier)
        if asset is None:
            continue
        name = f"{site} {carrier}"
        output[carrier] = column_or_zeros(gen_p, name, length)
        available[carrier] = n.generators.at[name, "p_nom_opt"] * column_or_zeros(
            gen_pmax, name, length
        )
        curtailment[carrier] = available[carrier] - output[carrier]
    if (geo := spec.geothermal) is not None:
        name = f"{site} geothermal"
        steady = column_or_zeros(gen_p, name, length)
        # The turbine's output: the steady steam's part and any flexible steam's.
        output["geothermal"] = steady + column_or_zeros(gen_p, f"{name} flexible steam", length)
        if geo.steam_pu is not None:
            steam = n.generators.at[name, "p_nom_opt"] * geo.steam_pu
            available["geothermal"] = np.full(length, steam)
            curtailment["geothermal"] = steam - steady
    reservoir_level = reservoir_pump = battery_level = battery_charge = None
    if (res := spec.reservoir) is not None:
        name = f"{site} reservoir"
        output["reservoir"] = column_or_zeros(su_t.p_dispatch, name, length)
        available["reservoir"] = column_or_zeros(
            n.get_switchable_as_dense("StorageUnit", "inflow"), name, length
        )
        curtailment["reservoir"] = column_or_zeros(su_t.spill, name, length)
        reservoir_level = (
            column_or_zeros(su_t.state_of_charge, name, length) + res.min_level_pu * res.energy_mwh
        )
        if res.pump_mw > 0:
            reservoir_pump = column_or_zeros(su_t.p_store, name, length)
    if spec.battery is not None:
        name = f"{site} battery"
        battery_charge = column_or_zeros(n.links_t.p0, f"{name} charger", length)
        discharge = -column_or_zeros(n.links_t.p1, f"{name} discharger", length)
        output["battery"] = discharge - battery_charge
        battery_level = column_or_zeros(n.stores_t.e, name, length)

    dc = spec.datacentre
    idle = dc.idle_fraction
    capacities, capital_cost = _capacities(n, site)
    pue = study.values(site, "datacentre.pue")
    moved_out = _moved(routes, study, site, "origin", length)
    moved_in = _moved(routes, study, site, "destination", length)
    firm_here = study.values(site, "datacentre.firm_mw") - moved_out["firm"] + moved_in["firm"]
    deferred_here = -column_or_zeros(n.links_t.p1, f"{site} deferrable", length)
    backlog = -column_or_zeros(n.stores_t.e, f"{site} backlog", length)
    unserved = column_or_zeros(gen_p, f"{site} lost work", length)
    offered = (
        study.values(site, "datacentre.interruptible.offered_mw")
        if dc.interruptible is not None
        else np.zeros(length)
    )
    interruptible = offered - unserved
    it_power = {
        "idle": np.full(length, idle * capacities["it"]),
        "firm": (1 - idle) * firm_here,
        "deferrable": (1 - idle) * (deferred_here + moved_in["deferrable"]),
        "interruptible": (1 - idle) * interruptible,
    }
    grid_import = column_or_zeros(n.links_t.p0, f"{site} grid import", length)
    grid_export = column_or_zeros(n.links_t.p0, f"{site} grid export", length)
    return RunDispatch(
        output=output,
        available=available,
        curtailment=curtailment,
        it_power=it_power,
        facility_power={k: pue * v for k, v in it_power.items()},
        grid_import=grid_import,
        grid_export=grid_export,
        deferred_served=deferred_here + moved_out["deferrable"],
        backlog=backlog,
        interruptible_served=interruptible,
        unserved=unserved,
        battery_level=battery_level,
        battery_charge=battery_charge,
        reservoir_level=reservoir_level,
        reservoir_pump=reservoir_pump,
        marginal_price=column_or_zeros(n.buses_t.marginal_price, site, length),
        heat_delivered=-column_or_zeros(gen_p, f"{site} heat sale", length),
        heat_pump_power=column_or_zeros(n.links_t.p0, f"{site} heat pump", length),
        objective=float(n.objective),
        moved_out=moved_out,
        moved_in=moved_in,
        capacities=capacities,
        capital_cost=capital_cost,
        flexibility_offered=offers(n, site),
    )


def _capacities(n: pypsa.Network, site: str) -> tuple[dict[str, float], float]:
    """Capacities of a site's assets as solved, and its capital cost for the horizon.

    Keys: the carrier for generators [MW]; ``battery`` power [MW] (the charger's
    capacity) and ``battery_energy`` [MWh] (the Store's); ``reservoir`` turbine
    [MW]; ``it`` IT capacity [MW]. The capital cost sums capacity x capital cost over
    the site's components (Stores by energy capacity).
    """
    capacities, capital_cost = {}, 0.0
    prefix = f"{site} "
    for frame, nom in (
        (n.generators, "p_nom_opt"),
        (n.storage_units, "p_nom_opt"),
        (n.links, "p_nom_opt"),
        (n.stores, "e_nom_opt"),
    ):
        ours = frame.loc[[name for name in frame.index if str(name).startswith(prefix)]]
        capital_cost += float((ours.capital_cost * ours[nom]).sum())
    for carrier in (*VARIABLE_RENEWABLES, "geothermal"):
        if prefix + carrier in n.generators.index:
            capacities[carrier] = float(n.generators.at[prefix + carrier, "p_nom_opt"])
    if prefix + "reservoir" in n.storage_units.index:
        capacities["reservoir"] = float(n.storage_units.at[prefix + "reservoir", "p_nom_opt"])
    if prefix + "battery" in n.stores.index:
        capacities["battery"] = float(n.links.at[prefix + "battery charger", "p_nom_opt"])
        capacities["battery_energy"] = float(n.stores.at[prefix + "battery", "e_nom_opt"])
    compute = n.links.loc[prefix + "compute"]
    capacities["it"] = float(compute.p_nom_opt * compute.efficiency)
    return capacities, capital_cost


Extracted = tuple[dict[str, "RunDispatch"], dict[str, dict[str, np.ndarray]]]
"""One run: dispatch by site, and work moved by route then class."""


def extract_all(n: pypsa.Network, study: Study) -> Extracted:
    """Read one solved run: every site's dispatch and the work moved on every route."""
    routes = extract_routes(n, study)
    return {site: extract_run(n, study, site, routes) for site in study.sites}, routes


def extract_routes(n: pypsa.Network, study: Study) -> dict[str, dict[str, np.ndarray]]:
    """Work moved on each route by class, keyed by route name then class [MW]."""
    length, flows = len(n.snapshots), n.links_t.p0
    moved = {}
    for name, (_, classes) in study.routes.items():
        moved[name] = {
            c: column_or_zeros(flows, route_link(name, classes, c), length) for c in classes
        }
    return moved


def _moved(
    routes: dict[str, dict[str, np.ndarray]], study: Study, site: str, end: str, length: int
) -> dict[str, np.ndarray]:
    """Work moved on the routes whose ``end`` ("origin"/"destination") is ``site`` [MW]."""
    totals = {"firm": np.zeros(length), "deferrable": np.zeros(length)}
    for name, (route, _) in study.routes.items():
        if getattr(route, end) == site:
            for workload, flow in routes[name].items():
                totals[workload] = totals[workload] + flow
    return totals


def extract_shadow_values(n: pypsa.Network, study: Study) -> dict[str, dict[str, float]]:
    """Marginal values of the flexibility limits, from the duals of a solved model.

    Returns
    -------
    dict
        ``"sites"``: per site, ``it_capacity_value_per_mw`` (cost saved by one more
        MW of IT capacity over the horizon, from the capacity limit alone, not
        counting its idle draw) [currency/MW] and ``backlog_bound_value_per_mwh``
        (cost saved by allowing one more MWh of backlog in every step but the last,
        whose zero is the end condition) [currency/MWh]; ``"routes"``: per route,
        ``capacity_value_per_mw`` [currency/MW].
    """
    constraints = n.model.constraints

    def dual_sum(constraint: str, name: str, steps: slice = slice(None)) -> float:
        if constraint not in constraints:
            return 0.0
        dual = constraints[constraint].dual
        if name not in dual.coords["name"]:
            return 0.0
        return float(dual.sel(name=name).values[steps].sum())

    sites = {}
    for site, spec in study.sites.items():
        idle = spec.datacentre.idle_fraction
        sites[site] = {
            "it_capacity_value_per_mw": -(1 - idle)
            * dual_sum("Link-fix-p-upper", f"{site} compute"),
            "backlog_bound_value_per_mwh": dual_sum(
                "Store-fix-e-lower", f"{site} backlog", slice(None, -1)
            ),
        }
    routes = {}
    for name, (_, classes) in study.routes.items():
        # The capacity bounds each class's Link and, for two, their sum: its value is
        # what all of these rows together are worth.
        value = sum(dual_sum("Link-fix-p-upper", route_link(name, classes, c)) for c in classes)
        if len(classes) > 1:
            value += dual_sum(ROUTE_CAPACITY, name)
        routes[name] = {"capacity_value_per_mw": -value}
    return {"sites": sites, "routes": routes}
