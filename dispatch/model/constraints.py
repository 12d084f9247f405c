"""Constraints on the linopy model that PyPSA has no component for, except the carbon
targets (:mod:`dispatch.model.carbon_targets`): the idle draw of sized IT capacity, the
discharger of a sized battery tied to its charger, and the capacity the classes of a
route share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.core.names import BATTERY_POWER, ROUTE_CAPACITY
from dispatch.model.routes import shared_routes
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa


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
