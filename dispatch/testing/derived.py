"""Arrays :class:`~dispatch.results.extract.RunDispatch` derives from the dispatch:
availability, curtailment, unserved work and facility power by workload class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.core.names import VARIABLE_RENEWABLES
from dispatch.testing.series import series_values

if TYPE_CHECKING:
    from dispatch.results.extract import RunDispatch
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker


def check_derived(check: Checker, study: Study, site: str, run: RunDispatch) -> None:
    """Derived arrays of :class:`RunDispatch`: availability (of the capacity as
    solved), curtailment, unserved."""
    spec = study.sites[site]
    for carrier in VARIABLE_RENEWABLES:
        if getattr(spec, carrier) is not None:
            check.equal(
                f"{carrier} available = P a_t",
                run.available[carrier],
                run.capacities[carrier] * study.values(site, f"{carrier}.availability"),
                "MW",
            )
    if (geo := spec.geothermal) is not None and geo.steam_pu is not None:
        check.equal(
            "geothermal available = P steam",
            run.available["geothermal"],
            run.capacities["geothermal"] * geo.steam_pu,
            "MW",
        )
    if spec.reservoir is not None:
        check.equal(
            "reservoir available = inflow_t",
            run.available["reservoir"],
            study.values(site, "reservoir.inflow_mw"),
            "MW",
        )
    flexible_steam = spec.geothermal is not None and spec.geothermal.flexible_steam_pu > 0
    for carrier, curtailment in run.curtailment.items():
        check.at_least(f"{carrier} curtailment >= 0", curtailment, 0.0, "MW")
        if carrier == "geothermal" and flexible_steam:
            # Output above the steady steam is flexible steam's: the schedule read
            # from the network checks that split (``geothermal_flexible``).
            check.at_least(
                "geothermal curtailment >= P steam - p_t",
                curtailment,
                run.available[carrier] - run.output[carrier],
                "MW",
            )
        elif carrier != "reservoir":
            check.equal(
                f"{carrier} curtailment = P a_t - p_t",
                curtailment,
                run.available[carrier] - run.output[carrier],
                "MW",
            )
    check.equal(
        "unserved = offered - served",
        run.unserved,
        series_values(study, site, "datacentre.interruptible.offered_mw")
        - run.interruptible_served,
        "MW",
    )
    pue = study.values(site, "datacentre.pue")
    for workload, it_power in run.it_power.items():
        check.equal(
            f"facility power of {workload} work = PUE x IT power",
            run.facility_power[workload],
            pue * it_power,
            "MW",
        )
