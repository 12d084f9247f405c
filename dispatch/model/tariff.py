"""Demand charges of a grid tariff on the linopy model: one peak variable per charge
and month billed, at least the import of every step in its window, priced in the
objective; a sized contracted capacity is one more such peak, over every step, priced
at the fixed charge and bounded by its sizing.

The windows and their charges are written into ``n.meta`` (key
:data:`DEMAND_CHARGES`) when the network is built, so :func:`add_demand_charges`
needs only the network and a ``network.nc`` read back re-solves to the same optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dispatch.scenario.study import Study
from dispatch.scenario.tariff import billed_month_share, demand_charge_windows

if TYPE_CHECKING:
    import pypsa

    from dispatch.model.draft import NetworkDraft

DEMAND_CHARGES = "demand_charges"
"""Key of ``n.meta``: the demand charges, each a mapping with ``name`` (``S charge I
YYYY-MM``, or ``S contracted capacity``), ``link`` (the import Link), ``cost_per_mw``
[currency/MW], ``steps`` (positions of the snapshots in its window) and, for the
contracted capacity, ``min_mw`` and ``max_mw`` (None: unbounded) [MW]."""
DEMAND_PEAK = "demand charge peak"
"""The linopy variables of the billed peaks, one per demand charge and month (and the
sized contracted capacity) [MW]."""
DEMAND_PEAK_CONSTRAINT = "demand charge peak >= import"
"""The linopy constraints: each billed peak at least the import in its window."""


@dataclass(frozen=True)
class BilledPeak:
    """One demand charge's month as far as a window of steps sees it: the window's
    objective holds cost_per_mw x (peak - floor_mw), with peak >= floor_mw and peak >=
    the import of every step in ``steps``."""

    steps: np.ndarray
    """Whether each step of the window lies in the charge's window and month [-]."""
    cost_per_mw: float
    """Charge per MW of the billed peak for the horizon (the monthly charge times the
    month's share billed) [currency/MW]."""
    floor_mw: float = 0.0
    """Peak already reached earlier in the month, before the window [MW]."""


def import_link_limit(study: Study, site: str) -> np.ndarray:
    """The limit of ``site``'s import Link: its import limit, within a given contracted
    capacity [MW]."""
    grid = study.sites[site].grid
    limit = study.values(site, "grid.import_limit_mw")
    if grid.tariff is not None and grid.tariff.contracted_mw is not None:
        return np.minimum(limit, grid.tariff.contracted_mw)
    return limit


def demand_charge_entries(study: Study, site: str) -> list[dict]:
    """The demand charges of ``site``'s grid tariff, and its contracted capacity where
    it is sized, as ``n.meta`` holds them."""
    grid = study.sites[site].grid
    if grid is None or grid.tariff is None:
        return []
    link = f"{site} grid import"
    entries = [
        {
            "name": f"{site} {name}",
            "link": link,
            "cost_per_mw": cost_per_mw,
            "steps": np.flatnonzero(steps).tolist(),
        }
        for name, steps, cost_per_mw in demand_charge_windows(study, grid.tariff)
    ]
    if (sizing := grid.tariff.contracted_expansion) is not None:
        entries.append(
            {
                "name": f"{site} contracted capacity",
                "link": link,
                "cost_per_mw": grid.tariff.fixed_charge_per_mw_month
                * billed_month_share(study, grid.tariff),
                "steps": list(range(len(study.snapshots))),
                "min_mw": sizing.min_mw,
                "max_mw": sizing.max_mw,
            }
        )
    return entries


def record_demand_charges(n: NetworkDraft, study: Study, site: str) -> None:
    """Write ``site``'s demand charges (and sized contracted capacity) into ``n.meta``
    for :func:`add_demand_charges`."""
    entries = demand_charge_entries(study, site)
    if entries:
        n.meta = {**n.meta, DEMAND_CHARGES: [*n.meta.get(DEMAND_CHARGES, []), *entries]}


def add_demand_charges(n: pypsa.Network) -> None:
    """The billed peaks of ``n.meta``'s demand charges on ``n.model``: peak_k >=
    import_t for every step t of charge k's window, and cost_k x peak_k in the
    objective (the monthly charge times the share of the month billed); a sized
    contracted capacity likewise over every step, within its smallest and largest
    size, at the fixed charge times the months billed."""
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
    lower = xr.DataArray([e.get("min_mw", 0.0) for e in entries], coords={"charge": names})
    upper = xr.DataArray(
        [np.inf if e.get("max_mw") is None else e["max_mw"] for e in entries],
        coords={"charge": names},
    )
    peak = model.add_variables(lower=lower, upper=upper, coords=[names], name=DEMAND_PEAK)
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
    import in its window, at least its smallest size (the optimum's peak where its
    charge is positive) [MW]."""
    flows = n.links_t.p0
    return np.array(
        [
            max(
                e.get("min_mw", 0.0),
                float(np.max(flows[e["link"]].to_numpy()[e["steps"]], initial=0.0))
                if e["link"] in flows
                else 0.0,
            )
            for e in n.meta.get(DEMAND_CHARGES, [])
        ]
    )


def merge_demand_charges(merged: pypsa.Network, networks: list[pypsa.Network]) -> None:
    """Give a network merged from ``networks`` the demand charges of them all."""
    entries = [entry for n in networks for entry in n.meta.get(DEMAND_CHARGES, [])]
    if entries:
        merged.meta = {**merged.meta, DEMAND_CHARGES: entries}


def demand_charge_field(study: Study) -> str | None:
    """The field of the first site whose grid tariff has demand charges or a sized
    contracted capacity, or None: their peaks are not PyPSA components."""
    for name, site in study.sites.items():
        tariff = None if site.grid is None else site.grid.tariff
        if tariff is not None and tariff.demand_charges:
            return f"sites.{name}.grid.tariff.demand_charges"
        if tariff is not None and tariff.contracted_expansion is not None:
            return f"sites.{name}.grid.tariff.contracted_expansion"
    return None
