"""Key figures of a grid tariff from a site's import: demand charges, the fixed
charge and the highest import of each calendar month."""

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
        ``fixed_charge_cost``: the charge on the contracted capacity, which no
        dispatch changes and the objective leaves out [currency];
        ``peak_import_mw``: the highest import of each calendar month (in the
        tariff's local time, without one the UTC offset of ``snapshots.start``),
        keyed ``YYYY-MM`` [MW].
    """
    grid = study.sites[site].grid
    if grid is None:
        return {"demand_charge_cost": 0.0, "fixed_charge_cost": 0.0, "peak_import_mw": {}}
    tariff = Tariff() if grid.tariff is None else grid.tariff
    local = local_times(study.snapshots, study.scenario.snapshots.start, tariff)
    windows = demand_charge_windows(study, tariff)
    return {
        "demand_charge_cost": sum(
            (cost * float(np.max(grid_import[steps])) for _, steps, cost in windows), 0.0
        ),
        "fixed_charge_cost": fixed_charge(study, tariff),
        "peak_import_mw": {
            month: float(np.max(grid_import[steps]))
            for month, (steps, _) in billed_months(local, study.step_h).items()
        },
    }
