"""A committed block executed against the actual series: the plan's workload schedule
as far as the actual work allows, and the energy side settled by a small LP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dispatch.core.errors import InfeasibleError
from dispatch.model.sizing import it_capacity_bound
from dispatch.operation.backlog import BacklogQueue
from dispatch.operation.studies import WORK_FIELD, settlement_study, window_study
from dispatch.optimization.dispatcher import Dispatcher
from dispatch.results.extract import RunDispatch
from dispatch.scenario.study import Study


@dataclass
class SiteState:
    """What one site carries from one decision time to the next.

    Attributes
    ----------
    battery_mwh, reservoir_mwh
        Levels after the last realised step [MWh] (reservoir: minimum level
        included); None where the site has no such storage.
    geothermal_mw
        Geothermal output in the last realised step [MW]; None before the first step
        or without geothermal.
    backlog
        The deferrable work waiting, piece by piece with its arrival step.
    """

    battery_mwh: float | None
    reservoir_mwh: float | None
    geothermal_mw: float | None
    backlog: BacklogQueue


@dataclass
class BlockWork:
    """The work one site serves in each step of a block [MW]."""

    firm: np.ndarray
    deferred: np.ndarray
    interruptible: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """All work served [MW]."""
        return self.firm + self.deferred + self.interruptible

    def shed(self, shortfall: np.ndarray) -> BlockWork:
        """The work served when ``shortfall`` [MW] cannot be: interruptible work is
        shed first, then deferrable work (which stays in the backlog), then firm."""
        shortfall = np.maximum(shortfall, 0.0)
        interruptible = np.minimum(shortfall, self.interruptible)
        deferred = np.minimum(shortfall - interruptible, self.deferred)
        firm = np.minimum(shortfall - interruptible - deferred, self.firm)
        return BlockWork(
            self.firm - firm, self.deferred - deferred, self.interruptible - interruptible
        )


def committed_work(
    study: Study,
    site: str,
    start: int,
    planned: BlockWork,
    backlog: BacklogQueue,
) -> BlockWork:
    """The plan's workload schedule for the steps from ``start``, executed against the
    actual series.

    Firm work is the actual firm work. Deferrable work is served as planned, and at
    least what the work waiting needs to meet its deadlines within the block (all of
    it by the horizon's last step) in the IT capacity the later steps leave
    (forecasts of fewer arrivals may have planned less), but never more than is
    actually waiting. Interruptible work is served as planned, but never more than
    is actually offered. All of it within the IT capacity: firm work first, then
    deferrable, then interruptible.

    Parameters
    ----------
    planned
        The work the plan serves in each step of the block [MW] (its firm work is
        the forecast's and not used).
    backlog
        The site's backlog at ``start``; not changed.
    """
    dc, w = study.sites[site].datacentre, study.step_h
    steps = len(planned.deferred)
    block = slice(start, start + steps)
    capacity, last = it_capacity_bound(dc), len(study.snapshots) - 1
    firm = np.minimum(study.values(site, "datacentre.firm_mw")[block], capacity)
    deferred, interruptible = np.zeros(steps), np.zeros(steps)
    if dc.deferrable is not None:
        arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh")
    waiting = backlog.copy()
    for j in range(steps):
        if dc.deferrable is not None:
            waiting.arrive(start + j, arrivals[start + j])
            needed = _needed_now(waiting, start, j, (capacity - firm) * w, last)
            wanted = max(planned.deferred[j], needed / w)
            deferred[j] = max(0.0, min(wanted, waiting.total_mwh / w, capacity - firm[j]))
            waiting.serve(start + j, deferred[j] * w)
        if dc.interruptible is not None:
            offered = study.values(site, "datacentre.interruptible.offered_mw")[start + j]
            interruptible[j] = max(
                0.0,
                min(planned.interruptible[j], offered, capacity - firm[j] - deferred[j]),
            )
    return BlockWork(firm, deferred, interruptible)


def _needed_now(
    waiting: BacklogQueue, start: int, j: int, room_mwh: np.ndarray, last: int
) -> float:
    """Work to serve in step ``j`` of the block from ``start`` so that the work
    waiting meets every deadline within the block, given the room for it in the later
    steps of the block [MWh]; all of it is due by the horizon's ``last`` step."""
    needed, later_room = 0.0, 0.0
    for k in range(j, len(room_mwh)):
        if k > j:
            later_room += room_mwh[k]
        due = waiting.due_mwh(start + k) if start + k < last else waiting.total_mwh
        needed = max(needed, due - later_room)
    return needed


class Settlement:
    """The LP that settles committed blocks of one length against the actual series.

    A :class:`~dispatch.optimization.dispatcher.Dispatcher` of
    :func:`~dispatch.operation.studies.settlement_study`: each site's work is fixed,
    shed only at the shortfall penalty; supply, storage and grid are re-dispatched at
    least cost from the carried levels and geothermal output, and the storages end
    the block at the levels asked for where the actual series allow it without
    shedding work.

    Parameters
    ----------
    study
        The operated study (actual series).
    steps
        Length of the blocks [steps].
    penalty
        Cost of work that cannot be served [currency/MWh].
    solver_options
        Extra HiGHS options.
    """

    def __init__(
        self, study: Study, steps: int, penalty: float, solver_options: dict | None
    ) -> None:
        self.steps = steps
        self._dispatcher = Dispatcher(
            settlement_study(window_study(study, 0, steps), penalty), solver_options
        )

    def settle(
        self,
        study: Study,
        start: int,
        work: dict[str, BlockWork],
        states: dict[str, SiteState],
        end_levels: dict[str, dict[str, float]],
    ) -> dict[str, RunDispatch]:
        """The energy side of the block from ``start`` with the work to serve.

        Parameters
        ----------
        study
            The operated study (actual series).
        work
            Work to serve by site [MW per step].
        states
            Each site's state before the block.
        end_levels
            Levels to end the block at, by site then ``"battery"``/``"reservoir"``
            [MWh]; dropped if the actual series cannot reach them.

        Returns
        -------
        dict
            Each site's settled dispatch; its ``unserved`` is the work shed [MW].
        """
        dispatcher, block = self._dispatcher, slice(start, start + self.steps)
        values = {}
        for key in dispatcher.window_study.series:
            owner, field = key.split("/", 1)
            if field == WORK_FIELD:
                values[key] = work[owner].total
            elif field == "datacentre.firm_mw":
                values[key] = np.zeros(self.steps)
            else:
                values[key] = study.series[key][block]
        dispatcher.set_series(values)
        for site, state in states.items():
            dispatcher.set_initial_levels(
                site, battery_mwh=state.battery_mwh, reservoir_mwh=state.reservoir_mwh
            )
            if state.geothermal_mw is not None:
                dispatcher.set_initial_output(site, geothermal_mw=state.geothermal_mw)
            dispatcher.set_final_levels(site, **level_arguments(end_levels.get(site, {})))
        try:
            sites, _ = dispatcher.solve()
        except InfeasibleError:
            sites = None
        if sites is None or _shed_mw(sites) > SHED_TOLERANCE_MW:
            # Work comes before the plan's levels: free them where they cost work.
            for site in states:
                dispatcher.set_final_levels(site)
            free, _ = dispatcher.solve()
            if sites is None or _shed_mw(free) < _shed_mw(sites):
                sites = free
        return sites


SHED_TOLERANCE_MW = 1e-6
"""Work shed below this, summed over a block's steps, is the solver's rounding [MW]."""


def _shed_mw(sites: dict[str, RunDispatch]) -> float:
    """Work shed in a settlement, all sites and steps summed [MW]."""
    return float(sum(run.unserved.sum() for run in sites.values()))


def level_arguments(levels: dict[str, float]) -> dict[str, float]:
    """Levels by ``"battery"``/``"reservoir"`` as the keywords of
    ``Dispatcher.set_final_levels`` [MWh]."""
    return {f"{asset}_mwh": level for asset, level in levels.items()}
