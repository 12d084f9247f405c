"""Local supply of a site: solar, wind and run-of-river plants, geothermal, and the
reservoir (a StorageUnit whose level is modelled above the minimum level)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.model.attributes import ramp_limits
from dispatch.model.sizing import expansion_attributes
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa


def add_local_supply(n: pypsa.Network, study: Study, name: str) -> None:
    """The site's plants on its bus ``S``.

    ``S solar``, ``S wind``, ``S run_of_river``: Generators up to capacity times
    availability. ``S geothermal``: a Generator with a minimum stable output and ramp
    limits. ``S reservoir``: a StorageUnit with inflow, its level counted above the
    minimum level (so it needs no extra constraint), cyclic or from an initial level.
    """
    site, w, sns = study.sites[name], study.step_h, n.snapshots
    for carrier in VARIABLE_RENEWABLES:
        asset = getattr(site, carrier)
        if asset is not None:
            n.add(
                "Generator",
                f"{name} {carrier}",
                bus=name,
                carrier=carrier,
                p_nom=asset.capacity_mw,
                p_max_pu=pd.Series(study.values(name, f"{carrier}.availability"), sns),
                marginal_cost=asset.marginal_cost,
                **expansion_attributes(asset.expansion, study),
            )
    if (geo := site.geothermal) is not None:
        n.add(
            "Generator",
            f"{name} geothermal",
            bus=name,
            carrier="geothermal",
            p_nom=geo.capacity_mw,
            p_min_pu=geo.min_stable_pu,
            marginal_cost=geo.marginal_cost,
            **ramp_limits(geo.ramp_pu_per_h, w),
            **expansion_attributes(geo.expansion, study),
        )
    if (res := site.reservoir) is not None:
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
            p_min_pu=0.0,
            inflow=pd.Series(study.values(name, "reservoir.inflow_mw"), sns),
            marginal_cost=res.marginal_cost,
            cyclic_state_of_charge=res.initial_level_pu is None,
            state_of_charge_initial=initial,
        )
