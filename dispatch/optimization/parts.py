"""Exact decomposition: a study's sites split into parts whose LPs share nothing.

Sites are joined when a route or a shared grid region joins them; a study-wide
carbon target joins them all. The parts' flexible runs are then independent LPs,
and so are their baseline runs: the optimum of the study is the sum of the parts'
optima, and each part's solution is a solution of the whole. Solving the parts
one by one (or side by side in worker processes) keeps the work linear in the
number of parts, where a single simplex solve grows much faster than linearly.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pandas as pd

from dispatch.model.flexibility import merge_flexibility_markets
from dispatch.model.network import carrier_co2
from dispatch.model.tariff import merge_demand_charges
from dispatch.results.extract import Extracted, RunDispatch
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa


def independent_parts(study: Study) -> list[list[str]]:
    """Groups of sites that no route, shared grid region or study-wide target joins.

    Examples
    --------
    >>> from dispatch import load_study
    >>> independent_parts(load_study("networks/olkaria", hours=24))
    [['olkaria']]
    """
    scenario = study.scenario
    if scenario.cfe_target is not None or scenario.emission_cap_tco2 is not None:
        return [list(study.sites)]
    parent = {site: site for site in study.sites}

    def root(site: str) -> str:
        while parent[site] != site:
            site = parent[site]
        return site

    routes = scenario.routing.routes if scenario.routing is not None else []
    joined = [(route.origin, route.destination) for route in routes]
    for region in scenario.grid_regions:
        members = study.region_sites(region)
        joined += [(members[0], other) for other in members[1:]]
    for a, b in joined:
        parent[root(a)] = root(b)
    parts: dict[str, list[str]] = {}
    for site in study.sites:
        parts.setdefault(root(site), []).append(site)
    return list(parts.values())


def merge_runs(study: Study, runs: list[Extracted]) -> Extracted:
    """One run of the study from the same run of its parts, in the study's order of
    sites and routes.

    Each site's ``objective`` becomes the study's: the sum of the parts' optima.
    """
    objective = sum(next(iter(by_site.values())).objective for by_site, _ in runs)
    by_site: dict[str, RunDispatch] = {}
    routes: dict = {}
    for part_sites, part_routes in runs:
        by_site.update(part_sites)
        routes.update(part_routes)
    by_site = {
        site: dataclasses.replace(by_site[site], objective=objective) for site in study.sites
    }
    return by_site, {name: routes[name] for name in study.routes}


def merge_networks(study: Study, networks: list[pypsa.Network]) -> pypsa.Network:
    """One solved network of the study from the solved networks of its parts."""
    merged = networks[0]
    for other in networks[1:]:
        merged.merge(other, components_to_skip={"Carrier"}, inplace=True)
    merged.carriers["co2_emissions"] = pd.Series(carrier_co2(study), merged.carriers.index)
    # merge() keeps the first part's sub-networks and each bus its part's labels.
    merged.determine_network_topology()
    merge_demand_charges(merged, networks)
    merge_flexibility_markets(merged, networks)
    # PyPSA's optimize sets the objective this way; merge() leaves the first part's.
    merged._objective = sum(float(n.objective) for n in networks)
    return merged
