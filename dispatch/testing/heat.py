"""Heat reuse: heat delivered within the demand, from waste heat within the recoverable
share of IT power, through a heat pump or a heat exchanger."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


def check_heat(check: Checker, study: Study, site: str, s: Schedule) -> None:
    """Heat delivered within the demand, from waste heat within the recoverable share
    of IT power, through a heat pump (COP x electricity) or a heat exchanger."""
    heat = study.sites[site].datacentre.heat_reuse
    if heat is None:
        for name in ("heat_delivered", "heat_pump_power", "waste_heat_used"):
            check.equal(f"{name} = 0 (no heat reuse)", getattr(s, name), 0.0, "MW")
        return
    demand = study.values(site, "datacentre.heat_reuse.demand_mw")
    check.within("heat delivered in [0, demand_t]", s.heat_delivered, 0.0, demand, "MW")
    check.within(
        "waste heat used in [0, recoverable fraction x IT power]",
        s.waste_heat_used,
        0.0,
        heat.recoverable_fraction * s.it_power,
        "MW",
    )
    cop = heat.heat_pump_cop
    if cop is None:
        check.equal("heat pump electricity = 0 (no heat pump)", s.heat_pump_power, 0.0, "MW")
        check.equal(
            "heat delivered = waste heat used (heat exchanger)",
            s.heat_delivered,
            s.waste_heat_used,
            "MW",
        )
        return
    check.equal(
        "heat pump output = COP x electricity", s.heat_delivered, cop * s.heat_pump_power, "MW"
    )
    check.equal(
        "heat pump waste heat drawn = (COP - 1) x electricity",
        s.waste_heat_used,
        (cop - 1) * s.heat_pump_power,
        "MW",
    )
