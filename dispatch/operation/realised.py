"""The realised operation as a solved network: the settled blocks and the work served
put into the components of the study's network, so that it is extracted, checked and
written as a solved one is."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.grid import grid_bus
from dispatch.model.network import build_network, take_given_capacities
from dispatch.model.sizing import it_capacity_bound
from dispatch.operation.settlement import BlockWork
from dispatch.results.extract import Extracted, RunDispatch, extract_all
from dispatch.results.figures import run_figures
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from collections.abc import Callable

    import pypsa

    Put = Callable[[str, str, str, np.ndarray], None]
    """Set the values of one component's attribute: component, attribute, name, values."""


@dataclass
class RealisedSite:
    """The realised operation of one site over the horizon.

    Attributes
    ----------
    energy
        The settled blocks joined: supply, storage, grid, heat, marginal price (its
        workload fields are the settlement study's).
    work
        The work served in each step [MW].
    backlog
        Deferrable work waiting after each step [MWh].
    """

    energy: RunDispatch
    work: BlockWork
    backlog: np.ndarray


def join_runs(blocks: list[RunDispatch]) -> RunDispatch:
    """The dispatch of consecutive blocks as one: arrays joined, objectives added."""

    def join(values: list) -> object:
        first = values[0]
        if isinstance(first, np.ndarray):
            return np.concatenate(values)
        if isinstance(first, dict) and first and isinstance(next(iter(first.values())), np.ndarray):
            return {key: np.concatenate([v[key] for v in values]) for key in first}
        if isinstance(first, float):
            return float(sum(values))
        return first

    return RunDispatch(
        **{
            field.name: join([getattr(block, field.name) for block in blocks])
            for field in dataclasses.fields(RunDispatch)
        }
    )


@pypsa_settings
def realised_network(
    study: Study, sites: dict[str, RealisedSite], planned: pypsa.Network
) -> pypsa.Network:
    """The study's network holding the realised operation as its solution.

    Power flows, levels and the site buses' marginal prices are set as PyPSA sets
    them after a solve; the objective is the realised total cost.

    Parameters
    ----------
    study
        The study as realised.
    sites
        Each site's realised operation.
    planned
        The perfect-foresight solve's network, whose order of assets the realised
        network takes: a study solved in independent parts joins the parts' networks
        one after the other, not in the order :func:`build_network` adds them.
    """
    n = _in_order_of(build_network(study), planned)
    n.determine_network_topology()  # as a solve does: it marks each sub-network's slack
    take_given_capacities(n)
    columns: dict[tuple[str, str], dict[str, np.ndarray]] = {}

    def put(component: str, attribute: str, name: str, values: np.ndarray) -> None:
        columns.setdefault((component, attribute), {})[name] = np.asarray(values, dtype=float)

    for site, realised in sites.items():
        _put_site(put, study, site, realised)
    _put_connection_points(put, study, sites)
    links = columns.get(("Link", "p0"), {})
    static = n.c.links.static
    with_bus2 = set(static.index[static.bus2 != ""]) if "bus2" in static else set()
    for attribute, bus in (("efficiency", "p1"), ("efficiency2", "p2")):
        efficiency = n.get_switchable_as_dense("Link", attribute)
        for name, p0 in links.items():
            if bus == "p1" or name in with_bus2:
                put("Link", bus, name, -p0 * efficiency[name].to_numpy())
    for (component, attribute), by_name in columns.items():
        frame = pd.DataFrame(by_name, index=n.snapshots)
        n.c[component].dynamic[attribute] = _ordered(frame, n.c[component].static.index)
    n._objective = 0.0
    return n


def _in_order_of(n: pypsa.Network, planned: pypsa.Network) -> pypsa.Network:
    """``n`` with the assets of each component (and their series) in the order
    ``planned`` has them, which holds the same assets (and sub-networks, which ``n``
    has none of before its topology is determined)."""
    for component in n.components:
        if component.static.empty:
            continue
        order = planned.c[component.name].static.index
        component.static = component.static.loc[order]
        for attribute, frame in component.dynamic.items():
            component.dynamic[attribute] = _ordered(frame, order)
    return n


def _ordered(frame: pd.DataFrame, assets: pd.Index) -> pd.DataFrame:
    """The columns of ``frame`` in the order of ``assets``."""
    return frame[assets.intersection(frame.columns, sort=False)]


def extract_realised(n: pypsa.Network, study: Study) -> Extracted:
    """The realised dispatch read from :func:`realised_network`, its objective the
    realised total cost (set into the network too)."""
    sites, routes = extract_all(n, study)
    total = sum(run_figures(study, site, run, routes)["total_cost"] for site, run in sites.items())
    n._objective = total
    for run in sites.values():
        run.objective = total
    return sites, routes


def _put_site(put: Put, study: Study, site: str, realised: RealisedSite) -> None:
    """The components of one site: supply, storage, grid links, data centre, heat."""
    spec, energy, work = study.sites[site], realised.energy, realised.work
    dc = spec.datacentre
    for carrier in (*VARIABLE_RENEWABLES, "geothermal"):
        if getattr(spec, carrier) is not None:
            put("Generator", "p", f"{site} {carrier}", energy.output[carrier])
    if (geo := spec.geothermal) is not None and geo.flexible_steam_pu > 0:
        # The steady steam's part is what the field gives less what is vented.
        steady = energy.available["geothermal"] - energy.curtailment["geothermal"]
        put("Generator", "p", f"{site} geothermal", steady)
        put(
            "Generator",
            "p",
            f"{site} geothermal flexible steam",
            energy.output["geothermal"] - steady,
        )
    if (res := spec.reservoir) is not None:
        name, output = f"{site} reservoir", energy.output["reservoir"]
        pump = energy.reservoir_pump
        if pump is None:
            pump = np.zeros(len(output))
        put("StorageUnit", "p_dispatch", name, output)
        put("StorageUnit", "p_store", name, pump)
        put("StorageUnit", "p", name, output - pump)
        put("StorageUnit", "spill", name, energy.curtailment["reservoir"])
        put(
            "StorageUnit",
            "state_of_charge",
            name,
            energy.reservoir_level - res.min_level_pu * res.energy_mwh,
        )
    if (bat := spec.battery) is not None:
        name = f"{site} battery"
        discharge = energy.output["battery"] + energy.battery_charge
        put("Link", "p0", f"{name} charger", energy.battery_charge)
        put("Link", "p0", f"{name} discharger", discharge / bat.discharge_efficiency)
        put("Store", "e", name, energy.battery_level)
    if spec.grid is not None:
        put("Link", "p0", f"{site} grid import", energy.grid_import)
        put("Link", "p0", f"{site} grid export", energy.grid_export)

    pue, idle = study.values(site, "datacentre.pue"), dc.idle_fraction
    capacity = it_capacity_bound(dc)
    it_power = idle * capacity + (1 - idle) * work.total
    put("Link", "p0", f"{site} facility", pue * it_power)
    put("Link", "p0", f"{site} compute", (1 - idle) * work.total)
    put("Load", "p", f"{site} firm", work.firm)
    if idle > 0:
        put("Load", "p", f"{site} idle", np.full(len(pue), idle * capacity))
    if dc.interruptible is not None:
        offered = study.values(site, "datacentre.interruptible.offered_mw")
        put("Load", "p", f"{site} interruptible", offered)
        put("Generator", "p", f"{site} lost work", offered - work.interruptible)
    if dc.deferrable is not None:
        arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh") / study.step_h
        put("Load", "p", f"{site} arrivals", arrivals)
        put("Link", "p0", f"{site} deferrable", work.deferred)
        put("Store", "e", f"{site} backlog", -realised.backlog)
    if (heat := dc.heat_reuse) is not None:
        waste_heat_used = energy.heat_delivered - energy.heat_pump_power
        if heat.heat_pump_cop is None:
            put("Link", "p0", f"{site} heat exchanger", waste_heat_used)
        else:
            put("Link", "p0", f"{site} heat pump", energy.heat_pump_power)
        put(
            "Generator",
            "p",
            f"{site} vent",
            waste_heat_used - heat.recoverable_fraction * it_power,
        )
        put("Generator", "p", f"{site} heat sale", -energy.heat_delivered)
    put("Bus", "marginal_price", site, energy.marginal_price)


def _put_connection_points(put: Put, study: Study, sites: dict[str, RealisedSite]) -> None:
    """Each connection point supplies the net import of the sites behind it."""
    net: dict[str, np.ndarray] = {}
    for site, realised in sites.items():
        if study.sites[site].grid is not None:
            bus = grid_bus(study, site)
            flow = realised.energy.grid_import - realised.energy.grid_export
            net[bus] = net.get(bus, 0.0) + flow
    for bus, flow in net.items():
        put("Generator", "p", f"{bus} supply", np.maximum(flow, 0.0))
        put("Generator", "p", f"{bus} demand", np.minimum(flow, 0.0))
