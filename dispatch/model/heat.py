"""Heat reuse: the data centre's waste heat sold to district heating, directly or
through a heat pump."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from dispatch.model.attributes import per_unit
from dispatch.model.sizing import it_capacity_bound
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.model.draft import NetworkDraft


def add_heat_reuse(n: NetworkDraft, study: Study, name: str) -> str:
    """District heating from waste heat; returns the waste-heat bus.

    The facility Link puts recoverable_fraction x IT power on ``S waste heat``, where
    ``S vent`` may discard it. ``S heat pump`` takes electricity from the site bus
    and waste heat (COP - 1 per MWh of electricity) and delivers COP to ``S heat``
    (without a heat pump, ``S heat exchanger`` passes waste heat on one to one);
    ``S heat sale`` takes up to the demand at the heat price.
    """
    heat, sns = study.sites[name].datacentre.heat_reuse, n.snapshots
    waste, network = f"{name} waste heat", f"{name} heat"
    n.add("Bus", [waste, network], carrier=["waste_heat", "heat"], unit="MW")
    demand_nom, demand_pu = per_unit(study.values(name, "datacentre.heat_reuse.demand_mw"))
    most_heat = it_capacity_bound(study.sites[name].datacentre) * heat.recoverable_fraction
    n.add(
        "Generator",
        f"{name} vent",
        bus=waste,
        carrier="waste_heat",
        p_nom=most_heat,
        p_min_pu=-1.0,
        p_max_pu=0.0,
    )
    if heat.heat_pump_cop is None:
        n.add(
            "Link",
            f"{name} heat exchanger",
            bus0=waste,
            bus1=network,
            carrier="heat",
            p_nom=most_heat,
        )
    else:
        cop = heat.heat_pump_cop
        n.add(
            "Link",
            f"{name} heat pump",
            bus0=name,
            bus1=network,
            bus2=waste,
            carrier="heat_pump",
            efficiency=cop,
            efficiency2=-(cop - 1),
            p_nom=max(demand_nom, most_heat) / (cop - 1),
        )
    n.add(
        "Generator",
        f"{name} heat sale",
        bus=network,
        carrier="heat",
        p_nom=demand_nom,
        p_min_pu=pd.Series(-demand_pu, sns),
        p_max_pu=0.0,
        marginal_cost=pd.Series(study.values(name, "datacentre.heat_reuse.price"), sns),
    )
    return waste
