"""Battery and reservoir: power and levels within their capacities, and their level
recursions with cyclic or initial conditions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.testing.series import level_before

if TYPE_CHECKING:
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


def check_storage(check: Checker, study: Study, site: str, s: Schedule) -> None:
    spec, w = study.sites[site], study.step_h
    if (bat := spec.battery) is not None:
        power, energy = s.capacities["battery"], s.capacities["battery_energy"]
        check.within("battery charge in [0, P]", s.battery_charge, 0.0, power, "MW")
        check.within("battery discharge in [0, P]", s.battery_discharge, 0.0, power, "MW")
        check.within("battery level in [0, E]", s.battery_level, 0.0, energy, "MWh")
        initial = None if bat.initial_level_pu is None else (bat.initial_level_pu * energy)
        check.equal(
            "battery level recursion (standing loss (1-loss)^w, efficiencies, "
            f"{'cyclic' if initial is None else 'initial level'})",
            s.battery_level,
            (1 - bat.standing_loss_per_h) ** w * level_before(s.battery_level, initial)
            + w * bat.charge_efficiency * s.battery_charge
            - w * s.battery_discharge / bat.discharge_efficiency,
            "MWh",
        )
    if (res := spec.reservoir) is not None:
        inflow = study.values(site, "reservoir.inflow_mw")
        check.within(
            "reservoir dispatch in [0, P]", s.reservoir_dispatch, 0.0, res.turbine_mw, "MW"
        )
        check.within("reservoir pump in [0, pump power]", s.reservoir_pump, 0.0, res.pump_mw, "MW")
        check.within("reservoir spill in [0, inflow_t]", s.reservoir_spill, 0.0, inflow, "MW")
        check.within(
            "reservoir level in [min, max] level",
            s.reservoir_level,
            res.min_level_pu * res.energy_mwh,
            res.max_level_pu * res.energy_mwh,
            "MWh",
        )
        initial = None if res.initial_level_pu is None else (res.initial_level_pu * res.energy_mwh)
        check.equal(
            "reservoir level recursion (inflow - spill - dispatch / turbine efficiency + "
            f"pump efficiency x pump, {'cyclic' if initial is None else 'initial level'})",
            s.reservoir_level,
            level_before(s.reservoir_level, initial)
            + w
            * (
                inflow
                - s.reservoir_spill
                - s.reservoir_dispatch / res.turbine_efficiency
                + res.pump_efficiency * s.reservoir_pump
            ),
            "MWh",
        )
