"""Routes: work of one site served at another, one Link per workload class a route
carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.core.names import route_link, route_target
from dispatch.scenario.schema import Route

if TYPE_CHECKING:
    import pypsa

    from dispatch.model.draft import NetworkDraft


def add_route(n: NetworkDraft, name: str, route: Route, classes: tuple[str, ...]) -> None:
    """Work of ``route.origin`` served at ``route.destination``, within the capacity.

    One Link per class the route carries, from the destination's work bus to the
    origin's firm bus (firm work) or queue (deferrable work), at the route's cost:
    ``NAME`` for a route carrying one class, ``NAME firm`` and ``NAME deferrable``
    for one carrying both, whose capacity they share through
    :func:`~dispatch.model.constraints.share_route_capacity`.
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
