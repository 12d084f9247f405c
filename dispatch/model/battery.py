"""The battery: a Store on a bus of its own between a charger and a discharger Link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.model.sizing import expansion_attributes
from dispatch.scenario.assets import Battery
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    from dispatch.model.draft import NetworkDraft


def initial_store_energy(bat: Battery, step_h: float) -> float:
    """The Store's ``e_initial`` for a battery with an initial level [MWh].

    PyPSA applies no standing loss to ``e_initial`` in the first step; MODEL.md's
    level recursion does (the level before the first step loses ``(1 - loss)^w`` like
    any other), so the initial level enters with that loss already applied. Zero for
    a cyclic battery (PyPSA ignores it then).
    """
    if bat.initial_level_pu is None:
        return 0.0
    return (1 - bat.standing_loss_per_h) ** step_h * bat.initial_level_pu * bat.energy_mwh


def add_battery(n: NetworkDraft, study: Study, name: str, bat: Battery) -> None:
    """A battery: a Store on a bus of its own, charged and discharged by one-way Links.

    ``S battery charger`` (site bus -> ``S battery``, efficiency = charge
    efficiency) and ``S battery discharger`` (``S battery`` -> site bus, efficiency =
    discharge efficiency) each carry at most the power P at the site bus: the
    discharger's capacity counts at its input, so it is P / discharge efficiency, and
    so does its marginal cost: the throughput cost per MWh at the site bus times the
    discharge efficiency.
    The Store ``S battery`` holds the level: energy capacity E, standing loss
    compounding (1 - loss)^w, cyclic or from an initial level. Sized power: both
    Links are extendable, the charger bears the capital cost and
    :func:`~dispatch.model.constraints.tie_battery_discharge_to_charge` ties the
    discharger to it. Sized energy: the Store is extendable.
    """
    battery, efficiency = f"{name} battery", bat.discharge_efficiency
    n.add("Bus", battery, carrier="battery", unit="MW")
    n.add(
        "Store",
        battery,
        bus=battery,
        carrier="battery",
        e_nom=bat.energy_mwh,
        standing_loss=bat.standing_loss_per_h,
        e_cyclic=bat.initial_level_pu is None,
        e_initial=initial_store_energy(bat, study.step_h),
        **expansion_attributes(bat.energy_expansion, study),
    )
    n.add(
        "Link",
        f"{battery} charger",
        bus0=name,
        bus1=battery,
        carrier="battery",
        efficiency=bat.charge_efficiency,
        p_nom=bat.power_mw,
        **expansion_attributes(bat.expansion, study),
    )
    n.add(
        "Link",
        f"{battery} discharger",
        bus0=battery,
        bus1=name,
        carrier="battery",
        efficiency=efficiency,
        marginal_cost=bat.throughput_cost_per_mwh * efficiency,
        p_nom=bat.power_mw / efficiency,
        p_nom_extendable=bat.expansion is not None,
    )
