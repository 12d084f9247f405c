"""Capacities sized by the optimisation: extendable attributes, annualised capital
cost, and the largest IT capacity a sized data centre may get."""

from __future__ import annotations

from dispatch.core.names import HOURS_PER_YEAR
from dispatch.scenario.assets import EnergyExpansion, Expansion
from dispatch.scenario.schema import DataCentre
from dispatch.scenario.study import Study


def annuity_factor(discount_rate: float, lifetime_years: float) -> float:
    """Share of an investment due each year over its lifetime [1/a]."""
    if discount_rate == 0:
        return 1.0 / lifetime_years
    return discount_rate / (1.0 - (1.0 + discount_rate) ** -lifetime_years)


def expansion_attributes(
    expansion: Expansion | EnergyExpansion | None, study: Study, scale: float = 1.0
) -> dict[str, float | bool]:
    """PyPSA attributes of an extendable capacity, or none for a fixed one.

    An :class:`Expansion` sizes a power capacity (``p_nom``), an
    :class:`EnergyExpansion` a Store's energy capacity (``e_nom``). ``scale``
    converts the scenario's unit into the component's (e.g. (1 - idle) for the
    compute Link). The capital cost per unit is capex x annuity factor x the
    horizon's share of a year.
    """
    if expansion is None:
        return {}
    if isinstance(expansion, EnergyExpansion):
        nom, capex = "e_nom", expansion.capex_per_mwh
        smallest, largest = expansion.min_mwh, expansion.max_mwh
    else:
        nom, capex = "p_nom", expansion.capex_per_mw
        smallest, largest = expansion.min_mw, expansion.max_mw
    horizon_share = len(study.snapshots) * study.step_h / HOURS_PER_YEAR
    return {
        f"{nom}_extendable": True,
        f"{nom}_min": smallest * scale,
        f"{nom}_max": float("inf") if largest is None else largest * scale,
        "capital_cost": annuity_factor(expansion.discount_rate, expansion.lifetime_years)
        * capex
        * horizon_share
        / scale,
    }


def it_capacity_bound(dc: DataCentre) -> float:
    """The IT capacity, or its largest size when it is sized by optimisation [MW]."""
    return dc.it_capacity_mw if dc.it_expansion is None else dc.it_expansion.max_mw
