"""The objective of MODEL.md §4: recomputed term by term from the dispatch, the work
moved and the capital cost, and compared with an independent formulation's optimum
(:func:`assert_same_optimum`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import RUNS
from dispatch.testing.capacities import capital_cost
from dispatch.testing.routes import Moved, routes_by_name
from dispatch.testing.series import series_values
from dispatch.testing.tariff import tariff_objective

if TYPE_CHECKING:
    from dispatch.results.result import Result
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


def _local_cost(study: Study, site: str, outputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """Marginal cost of local output per step, by carrier summed [currency/h]."""
    spec = study.sites[site]
    return sum(
        (getattr(spec, c).marginal_cost * p for c, p in outputs.items()),
        np.zeros(len(study.snapshots)),
    )


def _site_cost(study: Study, site: str, s: Schedule) -> np.ndarray:
    """Cost of one site per step as MODEL.md §4 counts it, routing and capital cost
    aside, less the heat revenue [currency/h]."""
    spec = study.sites[site]
    dc, battery, geothermal = spec.datacentre, spec.battery, spec.geothermal
    outputs = dict(s.renewable)
    for carrier, output in (
        ("geothermal", s.geothermal),
        ("reservoir", s.reservoir_dispatch),
    ):
        if output is not None:
            outputs[carrier] = output
    value_of_lost_work = dc.interruptible.value_of_lost_work if dc.interruptible else 0.0
    carbon_price = study.scenario.carbon_price
    return (
        _local_cost(study, site, outputs)
        + (0.0 if battery is None else battery.throughput_cost_per_mwh * s.battery_discharge)
        + (
            0.0
            if geothermal is None
            else geothermal.flexible_steam_cost_per_mwh * s.geothermal_flexible
        )
        + (
            series_values(study, site, "grid.import_price")
            + carbon_price * series_values(study, site, "grid.carbon_intensity_t_per_mwh")
        )
        * s.grid_import
        - series_values(study, site, "grid.export_price") * s.grid_export
        + value_of_lost_work
        * (
            series_values(study, site, "datacentre.interruptible.offered_mw")
            - s.interruptible_served
        )
        - series_values(study, site, "datacentre.heat_reuse.price") * s.heat_delivered
    )


def check_objective(
    check: Checker,
    study: Study,
    schedules: Mapping[str, Schedule],
    moved: Moved,
    flexibility_payment: float = 0.0,
) -> None:
    """The objective of MODEL.md §4, term by term from every site's dispatch, the
    work moved on every route and the capital cost of the capacities as solved, less
    the ``flexibility_payment`` for the offers to the grid partner [currency]."""
    hourly = sum(
        (_site_cost(study, site, s) for site, s in schedules.items()),
        np.zeros(len(study.snapshots)),
    )
    for name, route in routes_by_name(study).items():
        hourly = hourly + route.cost_per_mwh * sum(moved[name].values())
    capital = sum(capital_cost(study, site, s.capacities) for site, s in schedules.items())
    peaks = sum(tariff_objective(study, site, s.grid_import) for site, s in schedules.items())
    for site, s in schedules.items():
        check.equal(
            f"objective (as site {site!r} reads it) = sum_t w [costs + V (O_t - v_t) "
            "+ routing cost x work moved - heat price x heat delivered] + capital cost "
            "+ sum_k demand charge_k x max_(t in window k) import_t + sized fixed charge "
            "- flexibility payment",
            s.objective,
            study.step_h * hourly.sum() + capital + peaks - flexibility_payment,
            study.scenario.currency,
        )


def assert_same_optimum(
    result: Result, independent: Mapping[str, float], rtol: float = 1e-6
) -> None:
    """Assert that both runs reach the optimum of an independent formulation.

    Parameters
    ----------
    result
        A solved study from :func:`dispatch.solve`.
    independent
        Optimal objective of each run, keyed ``"flexible"`` and ``"baseline"``,
        from another formulation of the LP of MODEL.md [currency].
    rtol
        Relative tolerance, taken of the larger magnitude and at least 1 [-].

    Raises
    ------
    AssertionError
        Which run differs, both objectives and the relative difference.
    """
    __tracebackhide__ = True
    summary = result.summary
    reported = {
        "flexible": summary["objective"],
        "baseline": summary["baseline"]["objective"],
    }
    for run in RUNS:
        ours, theirs = reported[run], independent[run]
        scale = max(abs(ours), abs(theirs), 1.0)
        if not abs(ours - theirs) <= rtol * scale:
            raise AssertionError(
                f"{result.study.name}: {run} run: objective {ours:.10g} "
                f"[{summary['currency']}] differs from the independent optimum "
                f"{theirs:.10g} by {ours - theirs:.6g} (relative "
                f"{abs(ours - theirs) / scale:.3g} > {rtol:g})"
            )
