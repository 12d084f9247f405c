"""The grid: connection points (a site's own, or its grid region's) and each site's
import and export Links to its connection point."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.model.attributes import per_unit
from dispatch.model.tariff import import_link_limit, record_demand_charges
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.model.draft import NetworkDraft


def grid_bus(study: Study, site: str) -> str:
    """The bus of the connection point behind which ``site``'s grid connection sits."""
    region = study.sites[site].grid.region
    return f"{site if region is None else region} grid"


def add_connection_point(
    n: NetworkDraft, bus: str, import_limit: np.ndarray, export_limit: np.ndarray
) -> None:
    """A grid connection point: a bus the grid feeds up to the import limit and takes
    up to the export limit from, free of charge (the tariffs are on the connections)."""
    import_nom, import_pu = per_unit(import_limit)
    export_nom, export_pu = per_unit(export_limit)
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


def add_grid_connection(n: NetworkDraft, study: Study, name: str) -> None:
    """The site's grid import and export, as Links to and from its connection point.

    A site with a connection point of its own gets one (bus ``S grid``); the sites
    of a grid region share the region's (bus ``R grid``, added by ``build_network``).
    A tariff's contracted capacity bounds the import Link; its demand charges go
    into ``n.meta`` (:func:`~dispatch.model.tariff.add_demand_charges` puts them on
    the model).
    """
    sns, carbon_price = n.snapshots, study.scenario.carbon_price
    bus = grid_bus(study, name)
    grid = study.sites[name].grid
    import_limit = study.values(name, "grid.import_limit_mw")
    export_limit = study.values(name, "grid.export_limit_mw")
    if grid.region is None:
        add_connection_point(n, bus, import_limit, export_limit)
    if grid.tariff is not None:
        record_demand_charges(n, study, name)
    import_cost = study.values(name, "grid.import_price") + carbon_price * study.values(
        name, "grid.carbon_intensity_t_per_mwh"
    )
    export_cost = -study.values(name, "grid.export_price")
    for direction, (bus0, bus1), limit, cost in (
        ("import", (bus, name), import_link_limit(study, name), import_cost),
        ("export", (name, bus), export_limit, export_cost),
    ):
        nominal, profile = per_unit(limit)
        n.add(
            "Link",
            f"{name} grid {direction}",
            bus0=bus0,
            bus1=bus1,
            carrier=f"grid_{direction}",
            p_nom=nominal,
            p_max_pu=pd.Series(profile, sns),
            marginal_cost=pd.Series(cost, sns),
        )
