"""Payment for flexibility: what the grid partner pays for the MW a site offers to
move its net import on call (availability, per MW and hour) and for the energy it
expects to call (activation, per MWh), and the site features it combines with.

The offer itself is a decision of the LP (:mod:`dispatch.model.flexibility`); this
module holds the prices and the rules of the scenario.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.core.errors import ScenarioError
from dispatch.scenario.quantities import PerUnit, Power, Price, StrictModel

if TYPE_CHECKING:
    from dispatch.scenario.study import Study


class FlexibilityMarket(StrictModel):
    """A contract (or reserve market) paying for flexibility of the site's net import.

    Up is the site lowering its net import (or raising its export) when called;
    down is the site raising its net import. The site offers, every step, the MW up
    and down it can deliver within that step; the partner pays the availability
    price on every MW offered, and the activation price on the share of the offered
    MW·h it is expected to call. The dispatch planned is the one without calls; the
    activation price is the net payment for the energy called (its energy, lost or
    deferred work and any rebound are the site's to price into it).
    """

    availability_price_up: Price = 0.0
    """Paid per MW offered up, for each hour of the offer [currency/MW/h]."""
    availability_price_down: Price = 0.0
    """Paid per MW offered down, for each hour of the offer [currency/MW/h]."""
    activation_price_up: Price = 0.0
    """Paid per MWh called up (net of its energy) [currency/MWh]."""
    activation_price_down: Price = 0.0
    """Paid per MWh called down (net of its energy) [currency/MWh]."""
    activation_share_up: PerUnit = 0.0
    """Expected share of the MW·h offered up that the partner calls [p.u.]."""
    activation_share_down: PerUnit = 0.0
    """Expected share of the MW·h offered down that the partner calls [p.u.]."""
    max_offer_mw: Power | None = None
    """Largest offer in each direction (the contract's size); none: no limit [MW]."""

    def value_up(self) -> float:
        """Expected payment per MW offered up for one hour: availability plus share x
        activation [currency/MW/h]."""
        return self.availability_price_up + self.activation_share_up * self.activation_price_up

    def value_down(self) -> float:
        """Expected payment per MW offered down for one hour [currency/MW/h]."""
        return (
            self.availability_price_down + self.activation_share_down * self.activation_price_down
        )


def flexibility_market_field(study: Study) -> str | None:
    """The field of the first site with a flexibility market, or None: its offers
    are linopy variables of their own, which neither the rolling-horizon
    ``Dispatcher`` nor a sweep's reused LP writes."""
    for name, site in study.sites.items():
        if site.grid is not None and site.grid.flexibility_market is not None:
            return f"sites.{name}.grid.flexibility_market"
    return None


def check_flexibility_markets(study: Study) -> None:
    """Refuse a flexibility market where its offer could not be delivered as modelled:
    behind a grid region (the region's shared limits), with a facility ramp limit or
    heat reuse (a call changes facility power and waste heat in one step), or with
    sized capacities (the headroom would be bounded by a variable capacity)."""
    for name, site in study.sites.items():
        if site.grid is None or site.grid.flexibility_market is None:
            continue
        field = f"sites.{name}.grid.flexibility_market"
        dc = site.datacentre
        sized = [
            f"{asset_name}.{expansion}"
            for asset_name, asset in site
            for expansion in ("expansion", "energy_expansion", "it_expansion")
            if getattr(asset, expansion, None) is not None
        ]
        if getattr(site.grid.tariff, "contracted_expansion", None) is not None:
            sized.append("grid.tariff.contracted_expansion")
        for present, what in (
            (site.grid.region is not None, "a grid region (grid.region)"),
            (dc.facility_ramp_mw_per_h is not None, "datacentre.facility_ramp_mw_per_h"),
            (dc.heat_reuse is not None, "datacentre.heat_reuse"),
            (bool(sized), f"sized capacity ({sized[0] if sized else ''})"),
        ):
            if present:
                raise ScenarioError(
                    str(study.source), field, f"cannot be combined with {what}; not modelled"
                )
