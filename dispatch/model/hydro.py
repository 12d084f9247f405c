"""Reservoir hydro and pumped storage: a StorageUnit whose level, inflow and spill are
the water's potential energy, its turbine and pump converting with their efficiencies
to and from the site bus, its level modelled above the minimum level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.model.draft import NetworkDraft


def add_reservoir(n: NetworkDraft, study: Study, name: str) -> None:
    """The site's reservoir ``S reservoir`` on its bus ``S``, if it has one.

    A StorageUnit of capacity P (turbine output at the bus, ``p_dispatch``) with
    ``efficiency_dispatch`` = turbine efficiency (the level falls by output /
    efficiency), pumping up to the pump power (``p_min_pu`` = -pump / P, ``p_store``
    at the bus) with ``efficiency_store`` = pump efficiency, natural ``inflow`` and free
    ``spill`` (at most the inflow). Its level counts above the minimum level (so it
    needs no extra constraint), cyclic or from an initial level. Level, inflow and
    spill are in MWh (MW) of potential energy.
    """
    res, sns = study.sites[name].reservoir, n.snapshots
    if res is None:
        return
    usable = (res.max_level_pu - res.min_level_pu) * res.energy_mwh
    initial = (
        0.0
        if res.initial_level_pu is None
        else ((res.initial_level_pu - res.min_level_pu) * res.energy_mwh)
    )
    n.add(
        "StorageUnit",
        f"{name} reservoir",
        bus=name,
        carrier="reservoir",
        p_nom=res.turbine_mw,
        max_hours=usable / res.turbine_mw,
        p_min_pu=-res.pump_mw / res.turbine_mw,
        efficiency_dispatch=res.turbine_efficiency,
        efficiency_store=res.pump_efficiency,
        inflow=pd.Series(study.values(name, "reservoir.inflow_mw"), sns),
        marginal_cost=res.marginal_cost,
        cyclic_state_of_charge=res.initial_level_pu is None,
        state_of_charge_initial=initial,
    )
