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
local``); the classes of a route share its capacity
(:func:`~dispatch.model.constraints.share_route_capacity`).

Reservoir levels are modelled above the minimum level, so the StorageUnit needs no
extra constraint; reported levels add the minimum back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.core.names import CARRIERS, VARIABLE_RENEWABLES
from dispatch.core.pypsa_settings import import_pypsa
from dispatch.model.battery import add_battery
from dispatch.model.datacentre import add_datacentre
from dispatch.model.draft import NetworkDraft
from dispatch.model.flexibility import record_flexibility_market
from dispatch.model.grid import add_connection_point, add_grid_connection
from dispatch.model.hydro import add_reservoir
from dispatch.model.routes import add_route
from dispatch.model.supply import add_local_supply
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa


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
        ``n.meta``. :func:`~dispatch.model.baseline.to_baseline` turns it into the
        baseline run.
    """
    pypsa = import_pypsa()
    n = pypsa.Network(name=study.name)
    n.set_snapshots(study.snapshots.tz_localize(None))
    # PyPSA's weightings are integers (1) under pandas 3: a float table takes 0.25 h.
    n.snapshot_weightings = n.snapshot_weightings.astype(float).assign(
        **dict.fromkeys(n.snapshot_weightings.columns, study.step_h)
    )
    n.meta = {
        "study": study.name,
        "run": "flexible",
        "currency": study.scenario.currency,
        # Read with the network from network.nc: how to re-solve it to its optimum.
        "extra_constraints": "dispatch.model.linopy_model.add_network_constraints",
    }

    draft = NetworkDraft(n)
    draft.add(
        "Carrier",
        list(CARRIERS),
        nice_name=[c["nice_name"] for c in CARRIERS.values()],
        color=[c["color"] for c in CARRIERS.values()],
        co2_emissions=carrier_co2(study),
    )
    routes = study.routes
    firm_routed = {r.origin for r, classes in routes.values() if "firm" in classes}
    for region in study.scenario.grid_regions:
        add_connection_point(
            draft,
            f"{region} grid",
            study.region_values(region, "import_limit_mw"),
            study.region_values(region, "export_limit_mw"),
        )
    for name, site in study.sites.items():
        draft.add("Bus", name, carrier="electricity", unit="MW")
        add_local_supply(draft, study, name)
        add_reservoir(draft, study, name)
        if site.battery is not None:
            add_battery(draft, study, name, site.battery)
        if site.grid is not None:
            add_grid_connection(draft, study, name)
            record_flexibility_market(draft, study, name)
        add_datacentre(draft, study, name, firm_routed)
    for route_name, (route, classes) in routes.items():
        add_route(draft, route_name, route, classes)
    return draft.finish()


def take_given_capacities(n: pypsa.Network) -> None:
    """Set every capacity as solved to the capacity given (``p_nom_opt = p_nom``,
    ``e_nom_opt = e_nom``), as a solve without sizing does: for a network whose
    solution is put in without PyPSA's solve."""
    for component, nominal in (
        ("Generator", "p_nom"),
        ("Link", "p_nom"),
        ("StorageUnit", "p_nom"),
        ("Store", "e_nom"),
    ):
        static = n.c[component].static
        static[f"{nominal}_opt"] = static[nominal]
