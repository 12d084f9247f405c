"""Demand charges of a grid tariff on the linopy model: one peak variable per charge
and month billed, at least the import of every step in its window, priced in the
objective.

The windows and their charges are written into ``n.meta`` (key
:data:`DEMAND_CHARGES`) when the network is built, so :func:`add_demand_charges`
needs only the network and a ``network.nc`` read back re-solves to the same optimum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.scenario.study import Study
from dispatch.scenario.tariff import demand_charge_windows

if TYPE_CHECKING:
    import pypsa

DEMAND_CHARGES = "demand_charges"
"""Key of ``n.meta``: the demand charges, each a mapping with ``name`` (``S charge I
YYYY-MM``), ``link`` (the import Link), ``cost_per_mw`` [currency/MW] and ``steps``
(positions of the snapshots in its window)."""
DEMAND_PEAK = "demand charge peak"
"""The linopy variables of the billed peaks, one per demand charge and month [MW]."""
DEMAND_PEAK_CONSTRAINT = "demand charge peak >= import"
"""The linopy constraints: each billed peak at least the import in its window."""


def demand_charge_entries(study: Study, site: str) -> list[dict]:
    """The demand charges of ``site``'s grid tariff as ``n.meta`` holds them."""
    grid = study.sites[site].grid
    if grid is None or grid.tariff is None:
        return []
    return [
        {
            "name": f"{site} {name}",
            "link": f"{site} grid import",
            "cost_per_mw": cost_per_mw,
            "steps": np.flatnonzero(steps).tolist(),
        }
        for name, steps, cost_per_mw in demand_charge_windows(study, grid.tariff)
    ]


def record_demand_charges(n: pypsa.Network, study: Study, site: str) -> None:
    """Write ``site``'s demand charges into ``n.meta`` for :func:`add_demand_charges`."""
    entries = demand_charge_entries(study, site)
    if entries:
        n.meta = {**n.meta, DEMAND_CHARGES: [*n.meta.get(DEMAND_CHARGES, []), *entries]}


def add_demand_charges(n: pypsa.Network) -> None:
    """The billed peaks of ``n.meta``'s demand charges on ``n.model``: peak_k >=
    import_t for every step t of charge k's window, and cost_k x peak_k in the
    objective (the monthly charge times the share of the month billed)."""
    entries = n.meta.get(DEMAND_CHARGES, [])
    if not entries:
        return
    import pandas as pd
    import xarray as xr

    model = n.model
    names = pd.Index([e["name"] for e in entries], name="charge")
    inside = np.zeros((len(n.snapshots), len(entries)), dtype=bool)
    for k, entry in enumerate(entries):
        inside[entry["steps"], k] = True
    peak = model.add_variables(lower=0.0, coords=[names], name=DEMAND_PEAK)
    flow = (
        model["Link-p"]
        .sel(name=[e["link"] for e in entries])
        .rename({"name": "charge"})
        .assign_coords(charge=names)
    )
    mask = xr.DataArray(inside, coords={"snapshot": n.snapshots, "charge": names})
    model.add_constraints(flow - peak <= 0.0, name=DEMAND_PEAK_CONSTRAINT, mask=mask)
    cost = xr.DataArray([e["cost_per_mw"] for e in entries], coords={"charge": names})
    model.add_objective(model.objective.expression + (cost * peak).sum(), overwrite=True)


def billed_peaks(n: pypsa.Network) -> np.ndarray:
    """The value of each :data:`DEMAND_PEAK` variable in a solved network: the highest
    import in its window (the optimum's peak where its charge is positive) [MW]."""
    flows = n.links_t.p0
    return np.array(
        [
            float(np.max(flows[e["link"]].to_numpy()[e["steps"]], initial=0.0))
            if e["link"] in flows
            else 0.0
            for e in n.meta.get(DEMAND_CHARGES, [])
        ]
    )


def merge_demand_charges(merged: pypsa.Network, networks: list[pypsa.Network]) -> None:
    """Give a network merged from ``networks`` the demand charges of them all."""
    entries = [entry for n in networks for entry in n.meta.get(DEMAND_CHARGES, [])]
    if entries:
        merged.meta = {**merged.meta, DEMAND_CHARGES: entries}


def demand_charge_field(study: Study) -> str | None:
    """The field of the first site whose grid tariff has demand charges, or None:
    their billed peaks are not PyPSA components, and span whole months."""
    for name, site in study.sites.items():
        tariff = None if site.grid is None else site.grid.tariff
        if tariff is not None and tariff.demand_charges:
            return f"sites.{name}.grid.tariff.demand_charges"
    return None
