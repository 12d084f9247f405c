"""The demand charges of an operated study: each charge's month over the horizon, and
the peak its realised import has reached so far, the floor of the next window's."""

from __future__ import annotations

import numpy as np

from dispatch.model.tariff import BilledPeak
from dispatch.scenario.study import Study
from dispatch.scenario.tariff import demand_charge_windows


class PeaksSoFar:
    """Each site's billed peaks (demand charge and month) over the horizon and the
    highest realised import in each so far.

    Parameters
    ----------
    study
        The operated study: months, windows and each month's share billed are the
        horizon's.
    """

    def __init__(self, study: Study) -> None:
        self._charges: dict[str, list[tuple[np.ndarray, float]]] = {}
        for site, spec in study.sites.items():
            tariff = None if spec.grid is None else spec.grid.tariff
            if tariff is not None and tariff.demand_charges:
                self._charges[site] = [
                    (steps, cost) for _, steps, cost in demand_charge_windows(study, tariff)
                ]
        self.reached = {site: np.zeros(len(c)) for site, c in self._charges.items()}
        """Highest realised import of each billed peak so far, by site [MW]."""

    @property
    def sites(self) -> list[str]:
        """The sites with demand charges."""
        return list(self._charges)

    def window(
        self, site: str, start: int, steps: int, planned_mw: np.ndarray | None = None
    ) -> list[BilledPeak]:
        """The billed peaks the ``steps`` steps from ``start`` touch, each with its
        horizon charge per MW and the peak reached before ``start`` as its floor.

        Parameters
        ----------
        planned_mw
            A plan's import from ``start`` (as many steps as it planned) [MW]: each
            floor is then at least the plan's peak in the steps it covers, as a
            settled block keeps to the plan's peaks, which later steps reach anyway.
        """
        block = slice(start, start + steps)
        peaks = []
        for (inside, cost), reached in zip(self._charges[site], self.reached[site], strict=True):
            if not inside[block].any():
                continue
            floor = float(reached)
            if planned_mw is not None:
                planned = inside[start : start + len(planned_mw)]
                floor = max(floor, float(np.max(planned_mw[planned], initial=0.0)))
            peaks.append(BilledPeak(inside[block], cost, floor))
        return peaks

    def record(self, site: str, start: int, grid_import: np.ndarray) -> None:
        """Raise the peaks reached by the realised import [MW] of the steps from
        ``start``."""
        block = slice(start, start + len(grid_import))
        for k, (inside, _) in enumerate(self._charges.get(site, [])):
            part = inside[block]
            if part.any():
                self.reached[site][k] = max(self.reached[site][k], float(grid_import[part].max()))
