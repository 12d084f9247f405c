"""Routes between sites: which workload class may move where (:func:`route_rules`), the
work moved as ``Result.routes`` and as the solved network report it, within the routes'
limits, and the routes' key figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import RUNS
from dispatch.results.extract import column_or_zeros

if TYPE_CHECKING:
    import pypsa

    from dispatch.results.result import Result
    from dispatch.scenario.schema import Route
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker


MOVABLE = ("firm", "deferrable")
"""Workload classes that routes may move between sites (MODEL.md §2)."""


Moved = dict[str, dict[str, np.ndarray]]
"""Work moved in one run by route name (``"ORIGIN->DESTINATION"``), then by class in
``MOVABLE`` [MW]."""


def routes_by_name(study: Study) -> dict[str, Route]:
    """The study's routes by name ``"ORIGIN->DESTINATION"``; none without routing."""
    routing = study.scenario.routing
    if routing is None:
        return {}
    return {f"{route.origin}->{route.destination}": route for route in routing.routes}


def route_rules(study: Study, route: Route) -> dict[str, str | None]:
    """Whether each workload class may move on a route, from MODEL.md §2.

    Firm work moves only within the firm latency budget; firm and deferrable work
    move only to sites the origin's data residency lists (``firm_sites``,
    ``deferrable_sites``; none: any), and deferrable work only if the origin has any.

    Parameters
    ----------
    study
        A loaded study with routing.
    route
        One of its routes.

    Returns
    -------
    dict
        For ``"firm"`` and ``"deferrable"``: None if that class may move on the route,
        else why not [-].
    """
    routing, origin = study.scenario.routing, study.sites[route.origin].datacentre
    matrix, order = routing.latency.matrix_ms, routing.latency.sites
    latency = matrix[order.index(route.origin)][order.index(route.destination)]
    barred = f"{route.destination!r} is not in {route.origin!r}'s"
    firm = deferrable = None
    if latency > routing.firm_latency_budget_ms:
        firm = f"latency {latency:g} ms above the firm budget {routing.firm_latency_budget_ms:g} ms"
    elif origin.firm_sites is not None and route.destination not in origin.firm_sites:
        firm = f"{barred} firm_sites"
    if origin.deferrable is None:
        deferrable = f"{route.origin!r} has no deferrable work"
    elif origin.deferrable_sites is not None and route.destination not in origin.deferrable_sites:
        deferrable = f"{barred} deferrable_sites"
    return {"firm": firm, "deferrable": deferrable}


def moved_from_arrays(study: Study, routes: Mapping[str, Mapping[str, np.ndarray]]) -> Moved:
    """Work moved as ``Result.routes`` reports it; zeros for a class it leaves out."""
    zeros = np.zeros(len(study.snapshots))
    return {
        name: {workload: routes.get(name, {}).get(workload, zeros) for workload in MOVABLE}
        for name in routes_by_name(study)
    }


def moved_from_network(study: Study, n: pypsa.Network) -> Moved:
    """Work moved on each route, read from the Links that deliver it.

    Work of a route's origin served at its destination leaves the destination's
    ``work`` bus and is delivered to the origin's ``firm`` bus (firm work) or
    ``queue`` (deferrable work): by the Link named after the route, or, where the
    route carries both classes, by the Link ``ROUTE firm`` or ``ROUTE deferrable``.
    The flow is the Link's input ``p0``; a Link between other buses moves nothing.
    """
    length, links = len(study.snapshots), n.links
    moved: Moved = {}
    for name, route in routes_by_name(study).items():
        targets = {"firm": f"{route.origin} firm", "deferrable": f"{route.origin} queue"}
        moved[name] = {
            workload: sum(
                (
                    column_or_zeros(n.links_t.p0, link, length)
                    for link in (name, f"{name} {workload}")
                    if link in links.index
                    and links.at[link, "bus0"] == f"{route.destination} work"
                    and links.at[link, "bus1"] == target
                ),
                np.zeros(length),
            )
            for workload, target in targets.items()
        }
    return moved


def moved_at(study: Study, moved: Moved, site: str, end: str) -> dict[str, np.ndarray]:
    """Work moved on the routes whose ``end`` (origin or destination) is ``site`` [MW]."""
    ends = [name for name, route in routes_by_name(study).items() if getattr(route, end) == site]
    zeros = np.zeros(len(study.snapshots))
    return {c: sum((moved[name][c] for name in ends), zeros) for c in MOVABLE}


def check_routes(check: Checker, study: Study, moved: Moved, baseline: bool) -> None:
    """Work moved on every route: within [0, capacity], and only where it may move.

    Firm work moves only within the latency budget and deferrable work only where
    the origin has some; each only to a site the origin's data residency allows
    (:func:`route_rules`). The baseline moves nothing.
    """
    for name, route in routes_by_name(study).items():
        rules = route_rules(study, route)
        for workload, flow in moved[name].items():
            check.at_least(f"{workload} work moved on {name} >= 0", flow, 0.0, "MW")
            why_not = "baseline: every site serves its own work" if baseline else rules[workload]
            if why_not is not None:
                check.at_most(f"{workload} work moved on {name} = 0 ({why_not})", flow, 0.0, "MW")
        check.at_most(
            f"work moved on {name} <= capacity (classes together)",
            sum(moved[name].values()),
            route.capacity_mw,
            "MW",
        )


def check_route_summary(check: Checker, result: Result) -> None:
    """Work moved on each route and its cost, from the hourly dataset; the dataset's
    work moved as ``Result.routes`` reports it."""
    summary, study, w = result.summary, result.study, result.study.step_h
    routes, currency = routes_by_name(study), study.scenario.currency
    assert summary["routes"].keys() == routes.keys(), (
        f"{check.where}: routes {list(summary['routes'])} are not the study's {list(routes)}"
    )
    for name, route in routes.items():
        moved = result.dispatch.moved_work.sel(route=name)
        for run in RUNS:
            for workload, flow in moved_from_arrays(study, result.routes[run])[name].items():
                check.equal(
                    f"{run}: dataset's {workload} work moved on {name}",
                    moved.sel(run=run, moved_class=workload).to_numpy(),
                    flow,
                    "MW",
                )
        figures, flexible = summary["routes"][name], moved.sel(run="flexible")
        for workload in MOVABLE:
            check.equal(
                f"{workload} work moved on {name}",
                figures.get(f"{workload}_mwh", 0.0),
                w * float(flexible.sel(moved_class=workload).sum()),
                "MWh",
            )
        total = w * float(flexible.sum())
        check.equal(f"work moved on {name}", figures["moved_mwh"], total, "MWh")
        check.equal(
            f"cost of {name} = cost per MWh x work moved",
            figures["cost"],
            route.cost_per_mwh * total,
            currency,
        )
    check.equal(
        "routing cost = sum of the routes' costs",
        summary["routing_cost"],
        sum(figures["cost"] for figures in summary["routes"].values()),
        currency,
    )
