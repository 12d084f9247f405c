"""Demand charges in a :class:`~dispatch.optimization.dispatcher.Dispatcher`'s window:
billed peaks whose steps, charge and floor (the peak reached earlier in the month)
change from window to window while the LP keeps its structure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.errors import ScenarioError
from dispatch.model.tariff import DEMAND_CHARGES, DEMAND_PEAK, DEMAND_PEAK_CONSTRAINT, BilledPeak
from dispatch.optimization.highs_lp import LpChanges, LpPositions
from dispatch.scenario.study import Study
from dispatch.scenario.tariff import demand_charge_windows

if TYPE_CHECKING:
    import pypsa

SHORTEST_MONTH_H = 28 * 24
"""Hours of the shortest calendar month: a window of L hours touches at most
1 + ceil(L / this) months [h]."""


def peak_slots(study: Study, site: str) -> int:
    """How many billed peaks a window of ``study``'s length may hold for ``site``: each
    demand charge of its tariff in each month the window may touch [-]."""
    grid = study.sites[site].grid
    if grid is None or grid.tariff is None:
        return 0
    window_h = len(study.snapshots) * study.step_h
    return len(grid.tariff.demand_charges) * (1 + math.ceil(window_h / SHORTEST_MONTH_H))


def own_billed_peaks(study: Study, site: str) -> list[BilledPeak]:
    """The billed peaks of ``study`` itself (its months and shares), with no floor."""
    grid = study.sites[site].grid
    if grid is None or grid.tariff is None:
        return []
    return [
        BilledPeak(steps, cost_per_mw)
        for _, steps, cost_per_mw in demand_charge_windows(study, grid.tariff)
    ]


def record_peak_slots(n: pypsa.Network, study: Study) -> None:
    """Replace the demand charges ``build_network`` wrote into ``n.meta`` with
    :func:`peak_slots` billed peaks per site, each bounding the import of every step
    (rows that :class:`WindowPeaks` relaxes outside a peak's steps)."""
    every_step = list(range(len(study.snapshots)))
    slots = [
        {
            "name": f"{site} billed peak {j}",
            "link": f"{site} grid import",
            "cost_per_mw": 0.0,
            "steps": every_step,
        }
        for site in study.sites
        for j in range(peak_slots(study, site))
    ]
    if slots:  # else the study has no demand charges, and n.meta none
        n.meta = {**n.meta, DEMAND_CHARGES: slots}


class WindowPeaks:
    """Each site's billed peaks in a window, written into the LP of
    :func:`record_peak_slots`: by default the window study's own.

    Parameters
    ----------
    positions
        Where the model's variables and constraints sit in HiGHS.
    study
        The window's study (its snapshots and tariffs).
    """

    def __init__(self, positions: LpPositions, study: Study) -> None:
        self._study = study
        self._columns: dict[str, np.ndarray] = {}
        self._rows: dict[str, list[np.ndarray]] = {}
        self._peaks: dict[str, list[BilledPeak]] = {}
        model = positions.model
        for site in study.sites:
            slots = [f"{site} billed peak {j}" for j in range(peak_slots(study, site))]
            if not slots:
                continue
            peaks = model.variables[DEMAND_PEAK].labels.sel(charge=slots).values
            rows = model.constraints[DEMAND_PEAK_CONSTRAINT].labels.sel(charge=slots).values
            self._columns[site] = positions.column_of[peaks]
            self._rows[site] = [positions.row_of[rows[:, j]] for j in range(len(slots))]
            self._peaks[site] = own_billed_peaks(study, site)

    def set(self, site: str, peaks: Sequence[BilledPeak]) -> None:
        """Give ``site`` the billed peaks ``peaks`` (checked) from the next solve on."""
        study, source = self._study, str(self._study.source)
        field = f"sites.{site}.grid.tariff.demand_charges"
        slots = len(self._columns.get(site, ()))
        if len(peaks) > slots:
            raise ScenarioError(
                source, field, f"{len(peaks)} billed peaks, the window holds at most {slots}"
            )
        for peak in peaks:
            steps = np.asarray(peak.steps)
            problem = None
            if steps.shape != (len(study.snapshots),) or steps.dtype != bool:
                problem = f"a billed peak needs one bool per step ({len(study.snapshots)})"
            elif not (np.isfinite(peak.cost_per_mw) and peak.cost_per_mw >= 0):
                problem = f"billed peak cost is {peak.cost_per_mw}, must be >= 0"
            elif not (np.isfinite(peak.floor_mw) and peak.floor_mw >= 0):
                problem = f"billed peak floor is {peak.floor_mw} MW, must be >= 0"
            if problem is not None:
                raise ScenarioError(source, field, problem)
        self._peaks[site] = list(peaks)

    def write(self, lp: LpChanges) -> float:
        """Write every site's billed peaks: rows of a peak's steps ``import - peak <=
        0``, the others relaxed; the peak's lower bound its floor and its cost its
        charge (unused slots: cost 0, floor 0, every row relaxed). Returns the
        objective's constant, minus each charge times its floor, so that the objective
        counts cost x (peak - floor) [currency]."""
        constant = 0.0
        for site, columns in self._columns.items():
            peaks = self._peaks[site]
            costs, floors = np.zeros(len(columns)), np.zeros(len(columns))
            for j, rows in enumerate(self._rows[site]):
                inside = peaks[j].steps if j < len(peaks) else np.zeros(len(rows), dtype=bool)
                if j < len(peaks):
                    costs[j], floors[j] = peaks[j].cost_per_mw, peaks[j].floor_mw
                lp.rows.append((rows, np.where(inside, 0.0, np.inf)))
            lp.column_bounds(columns, floors, np.full(len(columns), np.inf))
            lp.column_costs(columns, costs)
            constant -= float(costs @ floors)
        return constant
