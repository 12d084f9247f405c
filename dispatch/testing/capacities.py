"""Capacities of the assets: given ones as given, sized ones within their bounds, as
the solved network holds them, and the capital cost of the sized ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import HOURS_PER_YEAR, VARIABLE_RENEWABLES
from dispatch.model.sizing import annuity_factor

if TYPE_CHECKING:
    import pypsa

    from dispatch.scenario.assets import EnergyExpansion, Expansion
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


@dataclass(frozen=True)
class _Capacity:
    """An asset's capacity as the scenario gives it, and how it may be sized."""

    given: float
    """Capacity when not sized [``unit``]."""
    expansion: Expansion | EnergyExpansion | None
    """Sizing; None for a fixed capacity."""
    unit: str = "MW"
    """Unit of the capacity: MW, or MWh for a battery's energy capacity."""

    def sizing(self) -> tuple[float, float, float]:
        """Capex per unit [currency/``unit``], smallest and largest capacity (inf if
        unbounded) [``unit``] of a sized asset."""
        e = self.expansion
        if self.unit == "MWh":
            capex, smallest, largest = e.capex_per_mwh, e.min_mwh, e.max_mwh
        else:
            capex, smallest, largest = e.capex_per_mw, e.min_mw, e.max_mw
        return capex, smallest, np.inf if largest is None else largest


def capacities_from_network(study: Study, site: str, n: pypsa.Network) -> dict[str, float]:
    """Capacities as solved, from ``p_nom_opt`` and ``e_nom_opt`` [MW;
    ``battery_energy`` MWh].

    Generators and the reservoir by carrier; the battery's power from its
    ``charger`` Link and its energy from its Store; the IT capacity C from the
    ``compute`` Link, whose capacity is (1 - idle) C.
    """
    spec = study.sites[site]
    capacities = {
        carrier: float(n.generators.at[f"{site} {carrier}", "p_nom_opt"])
        for carrier in (*VARIABLE_RENEWABLES, "geothermal")
        if getattr(spec, carrier) is not None
    }
    if spec.reservoir is not None:
        capacities["reservoir"] = float(n.storage_units.at[f"{site} reservoir", "p_nom_opt"])
    if spec.battery is not None:
        capacities["battery"] = float(n.links.at[f"{site} battery charger", "p_nom_opt"])
        capacities["battery_energy"] = float(n.stores.at[f"{site} battery", "e_nom_opt"])
    compute = float(n.links.at[f"{site} compute", "p_nom_opt"])
    capacities["it"] = compute / (1 - spec.datacentre.idle_fraction)
    return capacities


def _sizable(study: Study, site: str) -> dict[str, _Capacity]:
    """Each asset's given capacity and sizing, keyed as ``RunDispatch.capacities``."""
    spec = study.sites[site]
    assets = {
        carrier: _Capacity(asset.capacity_mw, asset.expansion)
        for carrier in (*VARIABLE_RENEWABLES, "geothermal")
        if (asset := getattr(spec, carrier)) is not None
    }
    if spec.reservoir is not None:
        assets["reservoir"] = _Capacity(spec.reservoir.turbine_mw, None)
    if (bat := spec.battery) is not None:
        assets["battery"] = _Capacity(bat.power_mw, bat.expansion)
        assets["battery_energy"] = _Capacity(bat.energy_mwh, bat.energy_expansion, "MWh")
    dc = spec.datacentre
    assets["it"] = _Capacity(dc.it_capacity_mw, dc.it_expansion)
    return assets


def capital_cost(study: Study, site: str, capacities: Mapping[str, float]) -> float:
    """Capital cost of a site's sized assets over the study's horizon [currency].

    Each sized asset pays capex times the annuity factor times the horizon's share
    of a year (8760 h) per unit of its solved capacity: a battery ``capex_per_mw``
    per MW of power and ``capex_per_mwh`` per MWh of energy capacity.

    Parameters
    ----------
    study
        A loaded study.
    site
        Name of the site.
    capacities
        Capacities as solved, keyed as ``RunDispatch.capacities`` [MW;
        ``battery_energy`` MWh].

    Returns
    -------
    float
        The capital cost; 0 for a site without sized assets [currency].
    """
    horizon_share = len(study.snapshots) * study.step_h / HOURS_PER_YEAR
    return sum(
        annuity_factor(e.discount_rate, e.lifetime_years)
        * asset.sizing()[0]
        * horizon_share
        * capacities[name]
        for name, asset in _sizable(study, site).items()
        if (e := asset.expansion) is not None
    )


def check_capacities(check: Checker, study: Study, site: str, s: Schedule) -> None:
    """Given capacities as given, sized ones within [min_mw, max_mw] (a battery's
    energy within [min_mwh, max_mwh]), power and energy of a battery each sized or
    given on its own."""
    assets = _sizable(study, site)
    assert s.capacities.keys() == assets.keys(), (
        f"{check.where}: capacities of {sorted(s.capacities)}, not of {sorted(assets)}"
    )
    for name, asset in assets.items():
        if asset.expansion is None:
            check.equal(f"{name} capacity as given", s.capacities[name], asset.given, asset.unit)
        else:
            _, smallest, largest = asset.sizing()
            bounds = "[min_mwh, max_mwh]" if asset.unit == "MWh" else "[min_mw, max_mw]"
            check.within(
                f"sized {name} capacity in {bounds}",
                s.capacities[name],
                smallest,
                largest,
                asset.unit,
            )
