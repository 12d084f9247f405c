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
    if spec.reservoir is not None:
        check.equal(
            "reservoir available = inflow_t",
            run.available["reservoir"],
            study.values(site, "reservoir.inflow_mw"),
            "MW",
        )
    for carrier, curtailment in run.curtailment.items():
        check.at_least(f"{carrier} curtailment >= 0", curtailment, 0.0, "MW")
        if carrier != "reservoir":
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
