"""Workload classes: firm work conserved, the deferrable backlog within its deadline
window (:func:`deadline_window`), interruptible work within what is offered, and IT and
facility power from the work served."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.testing.series import level_before, series_values, step_change

if TYPE_CHECKING:
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


def deadline_window(study: Study, site: str) -> np.ndarray:
    """Most deferrable work that may wait after each step, from MODEL.md §2 [MWh].

    The work that arrived in the steps that began within the last D hours; the
    initial backlog counts as arriving at the start, so it waits at most D (not at
    all if D is 0); nothing waits after the last step. Written from MODEL.md apart
    from the network's own bound, which it checks.

    Parameters
    ----------
    study
        A loaded study.
    site
        Name of the site whose backlog is bounded.

    Returns
    -------
    numpy.ndarray
        The bound on the backlog b_t, one value per snapshot; zeros for a site
        without deferrable work [MWh].
    """
    deferrable = study.sites[site].datacentre.deferrable
    arrivals = series_values(study, site, "datacentre.deferrable.arrivals_mwh")
    if deferrable is None:
        return np.zeros_like(arrivals)
    steps = round(deferrable.max_delay_h / study.step_h)
    window = np.array([arrivals[max(0, t - steps + 1) : t + 1].sum() for t in range(len(arrivals))])
    window[:steps] += deferrable.initial_backlog_mwh
    window[-1] = 0.0
    return window


def check_workload(
    check: Checker, study: Study, site: str, s: Schedule, baseline: bool, late: bool = False
) -> None:
    """Firm work conserved, the backlog recursion and deadline window (not where
    ``late`` work is reported), interruptible work within the offer, IT power from the
    work served."""
    dc, w = study.sites[site].datacentre, study.step_h
    capacity, idle = s.capacities["it"], dc.idle_fraction
    arrivals = series_values(study, site, "datacentre.deferrable.arrivals_mwh")
    initial = dc.deferrable.initial_backlog_mwh if dc.deferrable else 0.0
    offered = series_values(study, site, "datacentre.interruptible.offered_mw")
    firm = study.values(site, "datacentre.firm_mw")

    check.at_least("own firm work served here >= 0", s.firm_local, 0.0, "MW")
    check.equal(
        "own firm work conserved: firm_t = served here + moved out",
        s.firm_local + s.moved_out["firm"],
        firm,
        "MW",
    )
    check.at_least("own deferrable work served here >= 0", s.deferred_local, 0.0, "MW")
    check.equal(
        "backlog recursion b_t = b_t-1 + A_t - u_t w",
        s.backlog,
        level_before(s.backlog, initial)
        + arrivals
        - w * (s.deferred_local + s.moved_out["deferrable"]),
        "MWh",
    )
    if late:
        check.at_least("backlog >= 0 (late work reported)", s.backlog, 0.0, "MWh")
    else:
        check.within(
            "backlog in [0, work arrived within D] (0 after the last step)",
            s.backlog,
            0.0,
            np.zeros_like(arrivals) if baseline else deadline_window(study, site),
            "MWh",
        )
    check.within(
        "interruptible served in [0, offered]",
        s.interruptible_served,
        offered if baseline else 0.0,
        offered,
        "MW",
    )
    work = (
        s.firm_local
        + s.moved_in["firm"]
        + s.deferred_local
        + s.moved_in["deferrable"]
        + s.interruptible_served
    )
    check.at_most("IT capacity: work served here <= C", work, capacity, "MW")
    check.equal("idle draw = idle C", s.idle_draw, idle * capacity, "MW")
    check.equal(
        "IT power = idle draw + (1 - idle) (work served here: own + moved in)",
        s.it_power,
        s.idle_draw + (1 - idle) * work,
        "MW",
    )
    check.equal(
        "facility power = PUE x IT power",
        s.facility_power,
        study.values(site, "datacentre.pue") * s.it_power,
        "MW",
    )
    check.at_least("minimum IT power", s.it_power, dc.min_it_pu * capacity, "MW")
    if dc.facility_ramp_mw_per_h is not None:
        check.at_most(
            "facility ramp |f_t - f_t-1| <= R w",
            np.abs(step_change(s.facility_power)),
            dc.facility_ramp_mw_per_h * w,
            "MW",
        )
