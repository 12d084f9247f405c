"""What a window's series write into the LP of a
:class:`~dispatch.optimization.dispatcher.Dispatcher`: grid limits, prices and carbon
cost; reservoir inflow and initial level; PUE, heat demand and price."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.model.sizing import it_capacity_bound
from dispatch.model.tariff import import_link_limit
from dispatch.optimization.highs_lp import LpChanges
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa


def write_grid(lp: LpChanges, study: Study, name: str) -> None:
    """Import and export limits, prices and carbon cost of a site's grid connection."""
    import_limit = study.values(name, "grid.import_limit_mw")
    export_limit = study.values(name, "grid.export_limit_mw")
    if study.sites[name].grid.region is None:
        write_connection_point(lp, f"{name} grid", import_limit, export_limit)
    import_cost = study.values(name, "grid.import_price") + study.scenario.carbon_price * (
        study.values(name, "grid.carbon_intensity_t_per_mwh")
    )
    lp.row_bound("Link-fix-p-upper", f"{name} grid import", import_link_limit(study, name))
    lp.row_bound("Link-fix-p-upper", f"{name} grid export", export_limit)
    lp.cost("Link-p", f"{name} grid import", import_cost)
    lp.cost("Link-p", f"{name} grid export", -study.values(name, "grid.export_price"))


def write_connection_point(
    lp: LpChanges, bus: str, import_limit: np.ndarray, export_limit: np.ndarray
) -> None:
    """Import and export limits [MW] of the grid connection point ``bus``."""
    lp.row_bound("Generator-fix-p-upper", f"{bus} supply", import_limit)
    lp.row_bound("Generator-fix-p-lower", f"{bus} demand", -export_limit)


def write_reservoir(lp: LpChanges, n: pypsa.Network, study: Study, name: str) -> None:
    """Inflow (energy balance and spill bound) and initial level of a reservoir."""
    unit, res = f"{name} reservoir", study.sites[name].reservoir
    inflow = study.values(name, "reservoir.inflow_mw")
    n.c.storage_units.dynamic.inflow[unit] = inflow
    balance = -study.step_h * inflow
    if res.initial_level_pu is not None:
        balance[0] -= (res.initial_level_pu - res.min_level_pu) * res.energy_mwh
    lp.row_bound("StorageUnit-energy_balance", unit, balance)
    lp.column_upper("StorageUnit-spill", unit, inflow)


def write_facility(lp: LpChanges, study: Study, name: str) -> None:
    """PUE: the facility's efficiency into IT power (and waste heat) and its capacity;
    heat demand and price."""
    dc, facility = study.sites[name].datacentre, f"{name} facility"
    pue = study.values(name, "datacentre.pue")
    lp.row_bound("Link-fix-p-upper", facility, np.full(len(pue), it_capacity_bound(dc) * pue.max()))
    lp.coefficient("Bus-nodal_balance", f"{name} IT", "Link-p", facility, 1.0 / pue)
    if (heat := dc.heat_reuse) is None:
        return
    lp.coefficient(
        "Bus-nodal_balance",
        f"{name} waste heat",
        "Link-p",
        facility,
        heat.recoverable_fraction / pue,
    )
    demand = study.values(name, "datacentre.heat_reuse.demand_mw")
    lp.row_bound("Generator-fix-p-lower", f"{name} heat sale", -demand)
    lp.cost("Generator-p", f"{name} heat sale", study.values(name, "datacentre.heat_reuse.price"))
    if heat.heat_pump_cop is not None:
        most_heat = it_capacity_bound(dc) * heat.recoverable_fraction
        nominal = max(float(demand.max()), most_heat) / (heat.heat_pump_cop - 1)
        lp.row_bound("Link-fix-p-upper", f"{name} heat pump", np.full(len(pue), nominal))
