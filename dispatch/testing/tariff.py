"""The grid tariff of a site: the import within the contracted capacity, and the
demand charges the objective holds, from the import as dispatched."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.scenario.tariff import demand_charge_windows

if TYPE_CHECKING:
    from dispatch.scenario.study import Study
    from dispatch.testing.checker import Checker
    from dispatch.testing.schedule import Schedule


def demand_charges(study: Study, site: str, grid_import: np.ndarray) -> float:
    """Sum over the demand charges and months billed of the charge per MW for the
    horizon times the highest import in the window [currency]."""
    grid = study.sites[site].grid
    if grid is None or grid.tariff is None:
        return 0.0
    return sum(
        (
            cost_per_mw * float(np.max(grid_import[inside]))
            for _, inside, cost_per_mw in demand_charge_windows(study, grid.tariff)
        ),
        0.0,
    )


def check_tariff(check: Checker, study: Study, site: str, s: Schedule) -> None:
    """The import at most the tariff's contracted capacity."""
    grid = study.sites[site].grid
    if grid is None or grid.tariff is None or grid.tariff.contracted_mw is None:
        return
    check.at_most(
        "grid import <= contracted capacity", s.grid_import, grid.tariff.contracted_mw, "MW"
    )


def check_tariff_figures(
    check: Checker, study: Study, site: str, fig: dict, grid_import: np.ndarray, run: str
) -> None:
    """A site's tariff figures in one run from its import: the demand charges, the
    fixed charge (monthly charge x contracted capacity x months billed) and each
    month's highest import."""
    currency = study.scenario.currency
    check.equal(
        f"{run}: demand charge cost = sum_k charge_k x max_(t in window k) import_t",
        fig["demand_charge_cost"],
        demand_charges(study, site, grid_import),
        currency,
    )
    grid = study.sites[site].grid
    tariff = None if grid is None else grid.tariff
    local = study.snapshots.tz_convert(
        study.scenario.snapshots.start.tzinfo
        if tariff is None or tariff.time_zone is None
        else tariff.time_zone
    )
    months = local.strftime("%Y-%m")
    fixed = 0.0
    if tariff is not None and tariff.contracted_mw is not None:
        hours = pd.Series(study.step_h, index=months).groupby(level=0).sum()
        for month, covered in hours.items():
            start = pd.Timestamp(f"{month}-01", tz=local.tz)
            month_h = (start + pd.DateOffset(months=1) - start) / pd.Timedelta(hours=1)
            fixed += (
                tariff.fixed_charge_per_mw_month
                * tariff.contracted_mw
                * min(1.0, covered / month_h)
            )
    check.equal(
        f"{run}: fixed charge = charge x contracted capacity x share of each month billed",
        fig["fixed_charge_cost"],
        fixed,
        currency,
    )
    if grid is not None:
        peaks = pd.Series(grid_import, index=months).groupby(level=0).max()
        check.equal(
            f"{run}: peak import of each month",
            list(fig["peak_import_mw"].values()),
            peaks.to_numpy(),
            "MW",
        )
