"""A committed block executed against the actual series: the plan's workload schedule
as far as the actual work allows, and the energy side settled by a small LP."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dispatch.core.errors import InfeasibleError
from dispatch.model.sizing import it_capacity_bound
from dispatch.model.tariff import BilledPeak
from dispatch.operation.backlog import BacklogQueue
from dispatch.operation.studies import WORK_FIELD, settlement_study, window_study
from dispatch.optimization.dispatcher import Dispatcher
from dispatch.results.extract import RunDispatch
from dispatch.scenario.schema import DataCentre
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
    facility_mw
        Facility power in the last realised step [MW]; None before the first step.
    """

    battery_mwh: float | None
    reservoir_mwh: float | None
    geothermal_mw: float | None
    backlog: BacklogQueue
    facility_mw: float | None = None

    def start_outputs(self) -> dict[str, float | None]:
        """The outputs ramps start from, as keywords of
        ``Dispatcher.set_initial_output`` [MW]."""
        return {"geothermal_mw": self.geothermal_mw, "facility_mw": self.facility_mw}


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
    facility_before_mw: float | None = None,
) -> BlockWork:
    """The plan's workload schedule for the steps from ``start``, executed against the
    actual series.

    Firm work is the actual firm work. Deferrable work is served as planned, and at
    least what the work waiting needs so that it, and the block's later arrivals,
    meet their deadlines within the block (all of it by the horizon's last step) in
    the IT capacity the later steps leave after firm work (forecasts of fewer
    arrivals may have planned less), but never more than is actually waiting.
    Interruptible work is served as planned, but never more than is actually
    offered. All of it within the IT capacity: firm work first, then
    deferrable, then interruptible. Where that work would take IT power below its
    minimum, or facility power beyond its ramp limit from the step before, more (or
    less) interruptible, then deferrable work is served, as far as there is.

    Parameters
    ----------
    planned
        The work the plan serves in each step of the block [MW] (its firm work is
        the forecast's and not used).
    backlog
        The site's backlog at ``start``; not changed.
    facility_before_mw
        Facility power in the step before the block [MW]; None: none (the first
        block).
    """
    dc, w = study.sites[site].datacentre, study.step_h
    steps = len(planned.deferred)
    block = slice(start, start + steps)
    capacity, last = it_capacity_bound(dc), len(study.snapshots) - 1
    firm = np.minimum(study.values(site, "datacentre.firm_mw")[block], capacity)
    room_mwh = (capacity - firm) * w  # for deferrable work, after firm work
    offered = np.zeros(steps)
    if dc.interruptible is not None:
        offered = study.values(site, "datacentre.interruptible.offered_mw")[block]
    pue = study.values(site, "datacentre.pue")[block]
    deferred, interruptible = np.zeros(steps), np.zeros(steps)
    if dc.deferrable is not None:
        arrivals = study.values(site, "datacentre.deferrable.arrivals_mwh")
    waiting, before = backlog.copy(), facility_before_mw
    for j in range(steps):
        needed = 0.0
        if dc.deferrable is not None:
            waiting.arrive(start + j, arrivals[start + j])
            later = slice(start + j + 1, start + steps)
            needed = waiting.needed_mwh(start + j, arrivals[later], room_mwh[j + 1 :], last) / w
            wanted = max(planned.deferred[j], needed)
            deferred[j] = max(0.0, min(wanted, waiting.total_mwh / w, capacity - firm[j]))
        interruptible[j] = max(
            0.0, min(planned.interruptible[j], offered[j], capacity - firm[j] - deferred[j])
        )
        low, high = _work_range(dc, pue[j], before, w)
        room = capacity - firm[j] - deferred[j] - interruptible[j]
        more = max(0.0, min(low - firm[j] - deferred[j] - interruptible[j], room))
        extra = min(more, offered[j] - interruptible[j])
        interruptible[j] += max(0.0, extra)
        deferred[j] += max(0.0, min(more - extra, waiting.total_mwh / w - deferred[j]))
        less = max(0.0, firm[j] + deferred[j] + interruptible[j] - high)
        cut = min(less, interruptible[j])
        interruptible[j] -= cut
        deferred[j] -= max(0.0, min(less - cut, deferred[j] - needed))
        if dc.deferrable is not None:
            waiting.serve(start + j, deferred[j] * w)
        it_power = dc.idle_fraction * capacity + (1 - dc.idle_fraction) * (
            firm[j] + deferred[j] + interruptible[j]
        )
        before = pue[j] * it_power
    return BlockWork(firm, deferred, interruptible)


def _work_range(dc: DataCentre, pue: float, before_mw: float | None, step_h: float) -> tuple:
    """The work a step may serve [MW]: at least what the minimum IT power takes, and
    within the facility's ramp limit of ``before_mw``, the facility power of the step
    before [MW] (None: no ramp to keep)."""
    capacity, idle = it_capacity_bound(dc), dc.idle_fraction
    low, high = max(0.0, dc.min_it_pu - idle) * capacity / (1 - idle), np.inf
    ramp = dc.facility_ramp_mw_per_h
    if ramp is not None and before_mw is not None:

        def work(facility: float) -> float:
            return (facility / pue - idle * capacity) / (1 - idle)

        low = max(low, work(before_mw - ramp * step_h))
        high = work(before_mw + ramp * step_h)
    return low, high


class Settlement:
    """The LP that settles committed blocks of one length against the actual series.

    A :class:`~dispatch.optimization.dispatcher.Dispatcher` of
    :func:`~dispatch.operation.studies.settlement_study`: each site's work is fixed,
    shed only at the shortfall penalty; supply, storage and grid are re-dispatched at
    least cost from the carried levels, geothermal output and facility power (within
    their ramp limits), and the storages end the block at the levels asked for where
    the actual series allow it without shedding work; where the work cannot follow
    the facility's ramp from the step before, the block starts free of it.

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
        end_values: dict[str, dict[str, float]] | None = None,
        billed_peaks: dict[str, list[BilledPeak]] | None = None,
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
            Levels the block ends at or above, by site then
            ``"battery"``/``"reservoir"`` [MWh]; dropped if the actual series cannot
            reach them.
        end_values
            Value of the energy stored after the block's last step, by site then
            storage [currency/MWh]: what keeps more (surplus inflow) or frees less
            where the levels are dropped; none: no value (the horizon's end).
        billed_peaks
            The demand charges' billed peaks the block touches, by site, each with
            its floor (``Dispatcher.set_billed_peaks``); ``operate`` gives the
            month's peak so far or the plan's, the higher. A site not named keeps
            what it had (at first the peaks of the steps the Settlement was built
            for, the horizon's first block).

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
            dispatcher.set_initial_output(site, **state.start_outputs())
            dispatcher.set_final_levels(
                site, **level_arguments(end_levels.get(site, {})), at_least=True
            )
            values = (end_values or {}).get(site, {})
            dispatcher.set_final_value(site, **level_arguments(values, "_per_mwh"))
        for site, peaks in (billed_peaks or {}).items():
            dispatcher.set_billed_peaks(site, peaks)
        sites = _solved(dispatcher)
        if sites is None or _shed_mw(sites) > SHED_TOLERANCE_MW:
            # Work comes before the plan's levels: free them where they cost work.
            for site in states:
                dispatcher.set_final_levels(site)
            free = _solved(dispatcher)
            if sites is None or (free is not None and _shed_mw(free) < _shed_mw(sites)):
                sites = free
        if sites is None:
            # The committed work cannot follow the facility's ramp down from the last
            # realised step (work forecast higher than it came): the block starts free.
            for site, state in states.items():
                dispatcher.set_initial_output(site, geothermal_mw=state.geothermal_mw)
            sites, _ = dispatcher.solve()
        return sites


def _solved(dispatcher: Dispatcher) -> dict[str, RunDispatch] | None:
    """The dispatcher's optimum by site, or None if it has none."""
    try:
        return dispatcher.solve()[0]
    except InfeasibleError:
        return None


SHED_TOLERANCE_MW = 1e-6
"""Work shed below this, summed over a block's steps, is the solver's rounding [MW]."""


def _shed_mw(sites: dict[str, RunDispatch]) -> float:
    """Work shed in a settlement, all sites and steps summed [MW]."""
    return float(sum(run.unserved.sum() for run in sites.values()))


def level_arguments(levels: dict[str, float], unit: str = "_mwh") -> dict[str, float]:
    """Levels [MWh] (or values [currency/MWh], ``unit="_per_mwh"``) by
    ``"battery"``/``"reservoir"`` as the keywords of ``Dispatcher.set_final_levels``
    (``set_final_value``)."""
    return {f"{asset}{unit}": level for asset, level in levels.items()}
