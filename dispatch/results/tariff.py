"""Key figures of a grid tariff from a site's import: demand charges, the contracted
capacity and its fixed charge, and the highest import of each calendar month."""

from __future__ import annotations

import numpy as np

from dispatch.scenario.study import Study
from dispatch.scenario.tariff import (
    Tariff,
    billed_months,
    demand_charge_windows,
    fixed_charge,
    local_times,
)


def tariff_figures(study: Study, site: str, grid_import: np.ndarray) -> dict:
    """A site's tariff figures from its import in one run.

    Returns
    -------
    dict
        ``demand_charge_cost``: each demand charge and month billed, its charge per MW
        for the horizon times the highest import in its window [currency];
        ``fixed_charge_cost``: the charge on the contracted capacity (for a given
        capacity a constant the objective leaves out, for a sized one a cost in
        it) [currency];
        ``contracted_mw``: the contracted capacity, given, or sized: the highest
        import, at least the smallest size (the optimum's where the fixed charge is
        positive); 0 without one [MW];
        ``peak_import_mw``: the highest import of each calendar month (in the
        tariff's local time, without one the UTC offset of ``snapshots.start``),
        keyed ``YYYY-MM`` [MW].
    """
    grid = study.sites[site].grid
    if grid is None:
        return {
            "demand_charge_cost": 0.0,
            "fixed_charge_cost": 0.0,
            "contracted_mw": 0.0,
            "peak_import_mw": {},
        }
    tariff = Tariff() if grid.tariff is None else grid.tariff
    local = local_times(study.snapshots, study.scenario.snapshots.start, tariff)
    windows = demand_charge_windows(study, tariff)
    contracted = tariff.contracted_mw or 0.0
    if tariff.contracted_expansion is not None:
        contracted = max(tariff.contracted_expansion.min_mw, float(np.max(grid_import)))
    return {
        "demand_charge_cost": sum(
            (cost * float(np.max(grid_import[steps])) for _, steps, cost in windows), 0.0
        ),
        "fixed_charge_cost": fixed_charge(study, tariff, contracted),
        "contracted_mw": contracted,
        "peak_import_mw": {
            month: float(np.max(grid_import[steps]))
            for month, (steps, _) in billed_months(local, study.step_h).items()
        },
    }


def tariff_cost(study: Study, site: str, figures: dict) -> float:
    """What a site's tariff adds to its objective, from :func:`tariff_figures`: the
    demand charges, and the fixed charge where the contracted capacity is sized
    [currency]."""
    grid = study.sites[site].grid
    sized = grid is not None and grid.tariff is not None and grid.tariff.contracted_expansion
    return figures["demand_charge_cost"] + (figures["fixed_charge_cost"] if sized else 0.0)
