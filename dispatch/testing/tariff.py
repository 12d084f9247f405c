"""The grid tariff of a site: the import within the contracted capacity, and the
demand charges (and the fixed charge on a sized contracted capacity) the objective
holds, from the import as dispatched."""

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


def contracted_is_sized(study: Study, site: str) -> bool:
    """Whether the site's contracted capacity is sized, its fixed charge then a cost in
    the objective."""
    grid = study.sites[site].grid
    return grid is not None and grid.tariff is not None and bool(grid.tariff.contracted_expansion)


def contracted_capacity(study: Study, site: str, grid_import: np.ndarray) -> float:
    """The contracted capacity: given, or sized: the highest import, at least the
    smallest size; 0 without one [MW]."""
    grid = study.sites[site].grid
    tariff = None if grid is None else grid.tariff
    if tariff is None or (tariff.contracted_mw is None and tariff.contracted_expansion is None):
        return 0.0
    if tariff.contracted_mw is not None:
        return tariff.contracted_mw
    return max(tariff.contracted_expansion.min_mw, float(np.max(grid_import)))


def _local_times(study: Study, site: str) -> pd.DatetimeIndex:
    """The snapshots in the tariff's time zone (or the start's UTC offset)."""
    grid = study.sites[site].grid
    tariff = None if grid is None else grid.tariff
    return study.snapshots.tz_convert(
        study.scenario.snapshots.start.tzinfo
        if tariff is None or tariff.time_zone is None
        else tariff.time_zone
    )


def fixed_charge_of(study: Study, site: str, contracted_mw: float) -> float:
    """The fixed charge on ``contracted_mw``: charge x capacity x the share of each
    local month the horizon covers, summed [currency]."""
    if contracted_mw == 0:
        return 0.0
    local = _local_times(study, site)
    charge = study.sites[site].grid.tariff.fixed_charge_per_mw_month
    hours = pd.Series(study.step_h, index=local.strftime("%Y-%m")).groupby(level=0).sum()
    fixed = 0.0
    for month, covered in hours.items():
        start = pd.Timestamp(f"{month}-01", tz=local.tz)
        month_h = (start + pd.DateOffset(months=1) - start) / pd.Timedelta(hours=1)
        fixed += charge * contracted_mw * min(1.0, covered / month_h)
    return fixed


def tariff_objective(study: Study, site: str, grid_import: np.ndarray) -> float:
    """The tariff's terms of the objective: the demand charges, and the fixed charge
    where the contracted capacity is sized [currency]."""
    sized = 0.0
    if contracted_is_sized(study, site):
        sized = fixed_charge_of(study, site, contracted_capacity(study, site, grid_import))
    return demand_charges(study, site, grid_import) + sized


def check_tariff(check: Checker, study: Study, site: str, s: Schedule) -> None:
    """The import at most the tariff's contracted capacity (a sized one: its largest
    size)."""
    grid = study.sites[site].grid
    tariff = None if grid is None else grid.tariff
    if tariff is None:
        return
    sizing = tariff.contracted_expansion
    limit = tariff.contracted_mw if sizing is None else sizing.max_mw
    if limit is not None:
        check.at_most("grid import <= contracted capacity", s.grid_import, limit, "MW")


def check_tariff_figures(
    check: Checker, study: Study, site: str, fig: dict, grid_import: np.ndarray, run: str
) -> None:
    """A site's tariff figures in one run from its import: the demand charges, the
    contracted capacity, its fixed charge (monthly charge x contracted capacity x
    months billed) and each month's highest import."""
    currency = study.scenario.currency
    check.equal(
        f"{run}: demand charge cost = sum_k charge_k x max_(t in window k) import_t",
        fig["demand_charge_cost"],
        demand_charges(study, site, grid_import),
        currency,
    )
    contracted = contracted_capacity(study, site, grid_import)
    check.equal(f"{run}: contracted capacity", fig["contracted_mw"], contracted, "MW")
    check.equal(
        f"{run}: fixed charge = charge x contracted capacity x share of each month billed",
        fig["fixed_charge_cost"],
        fixed_charge_of(study, site, contracted),
        currency,
    )
    if study.sites[site].grid is not None:
        months = _local_times(study, site).strftime("%Y-%m")
        peaks = pd.Series(grid_import, index=months).groupby(level=0).max()
        check.equal(
            f"{run}: peak import of each month",
            list(fig["peak_import_mw"].values()),
            peaks.to_numpy(),
            "MW",
        )
