"""Every invariant of MODEL.md §7 on a solved study (:func:`assert_invariants`): each
site, route and grid region of both runs from both readings, the networks' inputs, the
key figures and the carbon targets."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from dispatch.core.names import RUNS
from dispatch.testing.capacities import check_capacities
from dispatch.testing.checker import Checker, check_same
from dispatch.testing.derived import check_derived
from dispatch.testing.flexibility import check_flexibility, flexibility_payment
from dispatch.testing.heat import check_heat
from dispatch.testing.network_inputs import check_same_inputs
from dispatch.testing.objective import check_objective
from dispatch.testing.routes import check_routes, moved_from_arrays, moved_from_network
from dispatch.testing.schedule import check_agree, schedule_from_arrays, schedule_from_network
from dispatch.testing.storage import check_storage
from dispatch.testing.summary import check_summary
from dispatch.testing.supply import check_grid_regions, check_supply
from dispatch.testing.targets import check_targets
from dispatch.testing.tariff import check_tariff
from dispatch.testing.workload import check_workload

if TYPE_CHECKING:
    from dispatch.results.result import Result
    from dispatch.scenario.study import Study
    from dispatch.testing.schedule import Schedule


def assert_invariants(result: Result, rtol: float = 1e-6, atol: float = 1e-5) -> None:
    """Assert that a solved study satisfies every invariant of MODEL.md §7.

    For each site and for both runs, read from the result's hourly arrays and,
    separately, from the solved networks: the capacities as solved (given ones
    unchanged, sized ones within [min_mw, max_mw], a battery's sized energy within
    [min_mwh, max_mwh]); energy balance at the site bus (facility power plus the
    heat pump's electricity); every asset within the bounds of its solved capacity
    (renewables, geothermal minimum output and ramps, battery and reservoir power
    and levels, spill, import and export limits); storage level recursions with
    their cyclic or initial conditions; the site's own firm work served here or
    moved out in its step; the backlog recursion (u_t: served here plus moved
    out), its deadline window and an empty backlog at the end (for an operated
    study that reports late work at the site: only non-negative); interruptible work
    within what is offered; IT capacity C as solved, idle draw idle C, IT power
    from the work served here (the site's own and what is moved in), facility
    power, minimum IT power and facility ramp; heat delivered within the demand,
    waste heat used within the recoverable share of IT power, heat pump output COP
    times its electricity. For each route: work moved within [0, capacity], firm
    work only within the latency budget, each class only where the origin's data
    residency allows it. For each grid region: the net import of its sites
    together within the region's import and export limits. The objective
    recomputed from the dispatch, the work moved, the capital cost of the solved
    capacities and the heat revenue. The
    baseline serves all work as it arrives, each site its own. Then: both
    readings agree, the two networks have identical inputs apart from the
    flexibility bounds, and the key figures of each site, route and the study
    agree with the hourly dataset and with each other; the flexible objective is at
    most the baseline's, except for an operated study (its flexible run is realised
    from forecasts, not an optimum). Carbon targets: the
    flexible run meets each CFE target in its linear form and in the reported
    score, and the emission cap; shadow prices are non-negative, in their units,
    and positive only for a target met exactly; the baseline has no targets.

    Parameters
    ----------
    result
        A solved study from :func:`dispatch.solve`.
    rtol
        Relative tolerance [-].
    atol
        Absolute tolerance [MW, MWh, currency or tCO2, as the checked value].

    Raises
    ------
    AssertionError
        Which invariant fails, for which site, run and source, at which step
        (UTC) and by how much.
    """
    __tracebackhide__ = True
    study = result.study
    networks = {"flexible": result.network, "baseline": result.network_baseline}
    dispatches = {"flexible": result.flexible, "baseline": result.baseline}
    checker = functools.partial(Checker, snapshots=study.snapshots, rtol=rtol, atol=atol)
    for run in RUNS:
        baseline = run == "baseline"
        moved = {
            "arrays": moved_from_arrays(study, result.routes[run]),
            "network": moved_from_network(study, networks[run]),
        }
        schedules = {
            "arrays": {
                site: schedule_from_arrays(study, site, dispatches[run][site])
                for site in study.sites
            },
            "network": {
                site: schedule_from_network(study, site, networks[run], moved["network"])
                for site in study.sites
            },
        }
        for source, by_site in schedules.items():
            for site, schedule in by_site.items():
                check = checker(f"site {site!r}, {run} run ({source})")
                late = not baseline and _late_work_reported(result, site)
                _check_schedule(check, study, site, schedule, baseline, late)
            check = checker(f"{run} run ({source})")
            check_routes(check, study, moved[source], baseline)
            check_grid_regions(check, study, by_site)
            check_objective(
                check, study, by_site, moved[source], flexibility_payment(study, dispatches[run])
            )
        for site in study.sites:
            where = f"site {site!r}, {run} run"
            check_derived(checker(f"{where} (arrays)"), study, site, dispatches[run][site])
            check_flexibility(
                checker(f"{where} (arrays)"), study, site, dispatches[run][site], baseline
            )
            check_agree(
                checker(f"{where} (arrays vs network)"),
                schedules["arrays"][site],
                schedules["network"][site],
            )
        check_same(checker(f"{run} run (arrays vs network)"), "work moved", *moved.values())
    check_same_inputs(result.network, result.network_baseline)
    check_summary(result, rtol, atol)
    check_targets(result, rtol, atol)


def _late_work_reported(result: Result, site: str) -> bool:
    """Whether an operated study reports deferrable work of ``site`` served late: its
    backlog then holds work past the deadline, valued at the shortfall penalty."""
    operation = result.summary.get("operation")
    return operation is not None and operation["sites"][site]["late_mwh"] > 0


def _check_schedule(
    check: Checker, study: Study, site: str, s: Schedule, baseline: bool, late: bool
) -> None:
    """Every hourly invariant of one site in one run, read from one source."""
    check_capacities(check, study, site, s)
    check_supply(check, study, site, s)
    check_storage(check, study, site, s)
    check_workload(check, study, site, s, baseline, late)
    check_heat(check, study, site, s)
    check_tariff(check, study, site, s)
