"""Local supply of a site: solar, wind and run-of-river plants and geothermal (the
reservoir is in :mod:`dispatch.model.hydro`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.model.attributes import ramp_limits
from dispatch.model.sizing import expansion_attributes
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.model.draft import NetworkDraft


def add_local_supply(n: NetworkDraft, study: Study, name: str) -> None:
    """The site's plants on its bus ``S``.

    ``S solar``, ``S wind``, ``S run_of_river``: Generators up to capacity times
    availability. ``S geothermal``: a Generator with a minimum stable output and ramp
    limits, up to the field's steam where it is given (what the turbine leaves of it is
    vented: curtailment ``P steam - p``, as for the renewables); ``S geothermal
    flexible steam``, where the field can raise its steam, a Generator up to that
    share of P at the marginal cost plus the flexible steam's cost (the turbine's
    output is the two together).
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
            p_max_pu=1.0 if geo.steam_pu is None else geo.steam_pu,
            marginal_cost=geo.marginal_cost,
            **ramp_limits(geo.ramp_pu_per_h, w),
            **expansion_attributes(geo.expansion, study),
        )
        if geo.flexible_steam_pu > 0:
            n.add(
                "Generator",
                f"{name} geothermal flexible steam",
                bus=name,
                carrier="geothermal",
                p_nom=geo.capacity_mw,
                p_max_pu=geo.flexible_steam_pu,
                marginal_cost=geo.marginal_cost + geo.flexible_steam_cost_per_mwh,
            )
