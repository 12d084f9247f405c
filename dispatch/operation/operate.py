"""Operate a study as an operator would: re-plan on a rolling horizon from forecasts,
commit the first hours of each plan, settle them against the actual series, and carry
the realised state to the next decision."""

from __future__ import annotations

import time

import numpy as np

from dispatch.core.errors import InfeasibleError, ScenarioError
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.operation.backlog import BacklogQueue
from dispatch.operation.forecasts import Forecast, check_forecast, forecast_from_scenario
from dispatch.operation.operation_result import OperationResult, Plan
from dispatch.operation.peaks import PeaksSoFar
from dispatch.operation.realised import (
    RealisedSite,
    extract_realised,
    join_runs,
    realised_network,
)
from dispatch.operation.settlement import (
    BlockWork,
    Settlement,
    SiteState,
    committed_work,
    level_arguments,
)
from dispatch.operation.studies import (
    check_operable,
    shortfall_penalty,
    window_study,
    with_start_levels,
)
from dispatch.optimization.dispatcher import Dispatcher
from dispatch.optimization.solve import solve
from dispatch.optimization.window_state import output_range
from dispatch.results.extract import RunDispatch
from dispatch.results.result import Result
from dispatch.scenario.checks import check_rolling_horizon
from dispatch.scenario.schema import Site
from dispatch.scenario.study import Study

STORAGES = ("battery", "reservoir")

SHORTFALLS = ("firm_unserved_mwh", "late_mwh", "storage_end_shortfall_mwh")
"""What the realised operation could not do, valued at the shortfall penalty [MWh]:
firm work not served, deferrable work late, cyclic storages below their start level
at the horizon's end."""


@pypsa_settings
def operate(
    study: Study,
    lookahead_h: float | None = None,
    commit_h: float | None = None,
    forecast: Forecast | str | None = None,
    seed: int | None = None,
    solver_options: dict | None = None,
    parallel: bool | None = None,
) -> OperationResult:
    """Operate a study on a rolling horizon from forecasts (MODEL.md §8).

    At each decision time (every ``commit_h``) the next ``lookahead_h`` (cut at the
    horizon's end) are planned with the forecasts issued then, from the realised
    state; the first ``commit_h`` of the plan's workload schedule are committed and
    executed against the actual series, the energy side settled at least cost
    (:mod:`dispatch.operation.settlement`). The perfect-foresight solve of the same
    horizon (:func:`dispatch.solve`) is the benchmark, and gives the baseline run and,
    unless the scenario's ``operation.storage_value`` is ``none``, the value of the
    energy stored at the end of each plan that ends before the horizon (its marginal
    value in that optimum, :mod:`dispatch.optimization.storage_value`).

    Parameters
    ----------
    study
        A study with given capacities, no carbon targets and no routes.
    lookahead_h
        Hours each plan looks ahead [h]; default the scenario's ``operation``.
    commit_h
        Hours committed from each plan, the time between decisions [h]; default the
        scenario's ``operation``.
    forecast
        The forecasts issued at each decision time, or the name of the scenario's
        default method to use instead (``"perfect"``, ``"persistence"``,
        ``"error"``; overrides per series stay); default the scenario's
        (:func:`~dispatch.operation.forecasts.forecast_from_scenario`).
    seed
        Seed of the error model in place of the scenario's; only with a forecast
        stated by the scenario or by name.
    solver_options
        Extra HiGHS options for every LP.
    parallel
        Solve the perfect-foresight runs side by side in forked processes, as
        :func:`dispatch.solve` does by default; False in a batch worker.

    Returns
    -------
    OperationResult
        The realised operation as a :class:`~dispatch.Result` (flexible run: the
        realised dispatch; baseline: the perfect-foresight solve's), with the plans
        as issued and the perfect-foresight figures.

    Raises
    ------
    ScenarioError
        For a study operation does not handle, or lookahead and commit hours that
        are not whole steps with ``0 < commit_h <= lookahead_h`` and both at most
        :data:`~dispatch.scenario.quantities.MAX_ROLLING_H`. A lookahead beyond the
        horizon's end plans to that end: its plans are no longer.
    InfeasibleError
        If the perfect-foresight study, or a window planned from forecasts, has no
        solution.

    Examples
    --------
    >>> from dispatch import load_study, operate
    >>> result = operate(load_study("networks/olkaria", hours=72), 48, 24)
    >>> result.summary["operation"]["late_mwh"]
    0.0
    """
    check_operable(study)
    settings = study.scenario.operation
    lookahead_h = settings.lookahead_h if lookahead_h is None else lookahead_h
    commit_h = settings.commit_h if commit_h is None else commit_h
    lookahead, commit = _steps(study, lookahead_h, commit_h)
    planned = min(lookahead, len(study.snapshots))  # no plan reaches beyond the horizon
    forecast, described = _forecast(study, forecast, seed)
    check_forecast(forecast, study, planned, commit)
    started = time.perf_counter()
    perfect = solve(study, solver_options=solver_options, parallel=parallel)
    perfect_s = time.perf_counter() - started
    rolling = _RollingHorizon(study, perfect, planned, commit, forecast, solver_options)
    rolling.run()
    result = rolling.result(
        {
            "lookahead_h": lookahead * study.step_h,
            "commit_h": commit * study.step_h,
            "forecast": described,
        }
    )
    result.timings.update(
        perfect_foresight_s=perfect_s, operation_s=time.perf_counter() - started - perfect_s
    )
    return result


def check_options(study: Study, lookahead_h: float | None, commit_h: float | None) -> None:
    """Refuse the lookahead and commit hours of an operation before it starts, as
    :func:`operate` would, naming where they come from.

    Parameters
    ----------
    study
        The study to operate.
    lookahead_h, commit_h
        The command line's ``--lookahead-h`` and ``--commit-h``, named in place of a
        file; None: the scenario's, named by its file and field [h].

    Raises
    ------
    ScenarioError
        One line naming the option, or the scenario file and its field.
    """
    settings = study.scenario.operation
    try:
        check_rolling_horizon(
            study,
            settings.lookahead_h if lookahead_h is None else lookahead_h,
            settings.commit_h if commit_h is None else commit_h,
            (
                "operation.lookahead_h" if lookahead_h is None else "--lookahead-h",
                "operation.commit_h" if commit_h is None else "--commit-h",
            ),
        )
    except ScenarioError as exc:
        if not exc.field.startswith("--"):
            raise
        raise ScenarioError(exc.field, "", exc.problem) from None


def _steps(study: Study, lookahead_h: float, commit_h: float) -> tuple[int, int]:
    """Lookahead and commit interval in steps, checked."""
    check_rolling_horizon(study, lookahead_h, commit_h)
    return round(lookahead_h / study.step_h), round(commit_h / study.step_h)


FORECAST_METHODS = ("perfect", "persistence", "error", "file")


def _forecast(
    study: Study, forecast: Forecast | str | None, seed: int | None
) -> tuple[Forecast, dict]:
    """The forecast to operate with, and how the summary states it."""
    source = str(study.source)
    if forecast is not None and not isinstance(forecast, str):
        if seed is not None:
            raise ScenarioError(source, "seed", "applies only to a forecast the scenario states")
        return forecast, {"method": type(forecast).__name__}
    if forecast is not None and forecast not in FORECAST_METHODS:
        raise ScenarioError(
            source,
            "operation.forecast.method",
            f"is {forecast!r}, must be one of {', '.join(FORECAST_METHODS)}",
        )
    settings = study.scenario.operation.forecast
    if seed is not None:
        settings = settings.model_copy(update={"seed": seed})
        operation = study.scenario.operation.model_copy(update={"forecast": settings})
        scenario = study.scenario.model_copy(update={"operation": operation})
        study = Study(scenario, study.source, study.snapshots, study.series)
    described = {"method": forecast or settings.method, "seed": settings.seed}
    if settings.series:
        described["series"] = {key: value.model_dump() for key, value in settings.series.items()}
    return forecast_from_scenario(study, method=forecast), described


class _RollingHorizon:
    """The decisions, plans and settlements of one operation."""

    def __init__(
        self,
        study: Study,
        perfect: Result,
        lookahead: int,
        commit: int,
        forecast: Forecast,
        solver_options: dict | None,
    ) -> None:
        self.study, self.perfect, self.forecast = study, perfect, forecast
        self.lookahead, self.commit, self.solver_options = lookahead, commit, solver_options
        self.end_levels = _cyclic_levels(study, perfect)
        self.storage_values = (
            perfect.shadow_values.get("storage", {})
            if study.scenario.operation.storage_value == "perfect_foresight"
            else {}
        )
        self.operated = with_start_levels(study, self.end_levels)
        self.penalty = shortfall_penalty(study)
        self._planners: dict[int, Dispatcher] = {}
        self._settlements: dict[int, Settlement] = {}
        self.states = {site: self._start_state(site) for site in study.sites}
        self.plans: list[Plan] = []
        self.blocks: dict[str, list[tuple[RunDispatch, BlockWork, np.ndarray]]] = {
            site: [] for site in study.sites
        }
        self.late_mwh = dict.fromkeys(study.sites, 0.0)
        self.peaks = PeaksSoFar(study)

    def _start_state(self, site: str) -> SiteState:
        spec, w = self.operated.sites[site], self.study.step_h
        levels = {
            asset: getattr(spec, asset).initial_level_pu * getattr(spec, asset).energy_mwh
            for asset in STORAGES
            if getattr(spec, asset) is not None
        }
        deferrable = spec.datacentre.deferrable
        backlog = BacklogQueue(0 if deferrable is None else round(deferrable.max_delay_h / w))
        if deferrable is not None:
            backlog.arrive(0, deferrable.initial_backlog_mwh)
        return SiteState(levels.get("battery"), levels.get("reservoir"), None, backlog)

    def run(self) -> None:
        """Every decision, plan and settlement, in order."""
        horizon = len(self.study.snapshots)
        for start in range(0, horizon, self.commit):
            steps = min(self.lookahead, horizon - start)
            block = min(self.commit, horizon - start)
            plan = self._plan(start, steps)
            self.plans.append(Plan(start, plan))
            self._realise(start, block, plan)

    def _plan(self, start: int, steps: int) -> dict[str, RunDispatch]:
        """The plan issued at ``start`` for ``steps`` steps, from the forecasts."""
        if steps not in self._planners:
            self._planners[steps] = Dispatcher(
                window_study(self.operated, start, steps), self.solver_options
            )
        dispatcher = self._planners[steps]
        dispatcher.set_series(self.forecast.issue(self.study, start, steps))
        at_end = start + steps == len(self.study.snapshots)
        for site, state in self.states.items():
            due = None
            if self.study.sites[site].datacentre.deferrable is not None:
                due = state.backlog.due_profile(start, steps)
            dispatcher.set_initial_levels(
                site,
                battery_mwh=state.battery_mwh,
                reservoir_mwh=state.reservoir_mwh,
                backlog_due_mwh=due,
            )
            dispatcher.set_initial_output(
                site, **_within_window(dispatcher.window_study, site, state.start_outputs())
            )
            final = self.end_levels.get(site, {}) if at_end else {}
            dispatcher.set_final_levels(site, **level_arguments(final))
            dispatcher.set_final_value(
                site, **level_arguments(self._end_values(site, start + steps), "_per_mwh")
            )
            if due is not None:  # work may wait beyond a window that is not the last
                dispatcher.set_backlog_end(site, empty=at_end)
        for site in self.peaks.sites:
            dispatcher.set_billed_peaks(site, self.peaks.window(site, start, steps))
        error = None
        relaxations = (self._due_by_window_end, self._reachable_final_levels)
        for relax in (None, *relaxations, self._free_final_levels, self._free_facility_start):
            if relax is not None:
                relax(dispatcher, steps)
            try:
                return dispatcher.solve()[0]
            except InfeasibleError as infeasible:
                error = infeasible
        raise error

    def _due_by_window_end(self, dispatcher: Dispatcher, steps: int) -> None:
        """Let the carried backlog be served by the window's end: work already late
        may not fit the window's first step; it is reported late all the same."""
        for site, state in self.states.items():
            if self.study.sites[site].datacentre.deferrable is not None:
                due = np.zeros(steps)
                due[-1] = state.backlog.total_mwh
                dispatcher.set_initial_levels(site, backlog_due_mwh=due)

    def _reachable_final_levels(self, dispatcher: Dispatcher, steps: int) -> None:
        """End a reservoir no higher than its forecast inflow and its pump at full power
        can fill it: forecasts of less inflow than it needs to get back to its start
        level cannot reach that; the shortfall is reported."""
        inflows = dispatcher.window_study
        for site, levels in self.end_levels.items():
            if "reservoir" in levels:
                state, res = self.states[site], self.study.sites[site].reservoir
                pumped = steps * res.pump_efficiency * res.pump_mw
                filled = state.reservoir_mwh + self.study.step_h * (
                    float(inflows.values(site, "reservoir.inflow_mw").sum()) + pumped
                )
                lowered = {**levels, "reservoir": min(levels["reservoir"], filled)}
                dispatcher.set_final_levels(site, **level_arguments(lowered))

    def _free_final_levels(self, dispatcher: Dispatcher, steps: int) -> None:
        """Drop the end condition of cyclic storages where nothing else helps; the
        shortfall is reported."""
        for site in self.states:
            dispatcher.set_final_levels(site)

    def _free_facility_start(self, dispatcher: Dispatcher, steps: int) -> None:
        """Let the first step's facility power leave the ramp from the last realised
        step: where the work forecast cannot follow it (the settlement reports it)."""
        for site, state in self.states.items():
            dispatcher.set_initial_output(site, geothermal_mw=state.geothermal_mw)

    def _realise(self, start: int, steps: int, plan: dict[str, RunDispatch]) -> None:
        """Execute the first ``steps`` of ``plan`` against the actual series."""
        if steps not in self._settlements:
            self._settlements[steps] = Settlement(
                self.operated, steps, self.penalty, self.solver_options
            )
        work, end_levels = {}, {}
        for site, run in plan.items():
            planned = BlockWork(
                np.zeros(steps), run.deferred_served[:steps], run.interruptible_served[:steps]
            )
            state = self.states[site]
            work[site] = committed_work(
                self.operated, site, start, planned, state.backlog, state.facility_mw
            )
            end_levels[site] = _levels_after(self.study.sites[site], run, steps - 1)
        end_values = {site: self._end_values(site, start + steps) for site in plan}
        peaks = {
            site: self.peaks.window(site, start, steps, plan[site].grid_import)
            for site in self.peaks.sites
        }
        settled = self._settlements[steps].settle(
            self.operated, start, work, self.states, end_levels, end_values, peaks
        )
        for site, energy in settled.items():
            self.peaks.record(site, start, energy.grid_import)
            self._carry(site, start, energy, work[site].shed(energy.unserved))

    def _end_values(self, site: str, end: int) -> dict[str, float]:
        """Value of the energy a site stores when a window or block ends before step
        ``end``, by storage: none at the horizon's end [currency/MWh]."""
        if end == len(self.study.snapshots):
            return {}
        return {asset: float(v[end - 1]) for asset, v in self.storage_values.get(site, {}).items()}

    def _carry(self, site: str, start: int, energy: RunDispatch, served: BlockWork) -> None:
        """Serve the backlog as realised and carry the state to the next decision."""
        state, dc, w = self.states[site], self.study.sites[site].datacentre, self.study.step_h
        backlog = np.zeros(len(served.deferred))
        if dc.deferrable is not None:
            arrivals = self.study.values(site, "datacentre.deferrable.arrivals_mwh")
            for j, deferred in enumerate(served.deferred):
                state.backlog.arrive(start + j, arrivals[start + j])
                self.late_mwh[site] += state.backlog.serve(start + j, deferred * w)
                backlog[j] = state.backlog.total_mwh
        self.blocks[site].append((energy, served, backlog))
        levels = _levels_after(self.study.sites[site], energy, -1)
        state.battery_mwh = levels.get("battery")
        state.reservoir_mwh = levels.get("reservoir")
        if "geothermal" in energy.output:
            state.geothermal_mw = float(energy.output["geothermal"][-1])
        state.facility_mw = float(sum(power[-1] for power in energy.facility_power.values()))

    def result(self, settings: dict) -> OperationResult:
        """The realised operation, its plans and the perfect-foresight benchmark."""
        study, w = self.study, self.study.step_h
        realised, shortfalls = {}, {}
        for site, blocks in self.blocks.items():
            energy = join_runs([energy for energy, _, _ in blocks])
            served = BlockWork(
                *(
                    np.concatenate([getattr(work, name) for _, work, _ in blocks])
                    for name in ("firm", "deferred", "interruptible")
                )
            )
            realised[site] = RealisedSite(
                energy, served, np.concatenate([backlog for _, _, backlog in blocks])
            )
            final = _levels_after(study.sites[site], energy, -1)
            shortfalls[site] = {
                "firm_unserved_mwh": float(
                    np.sum(study.values(site, "datacentre.firm_mw") - served.firm) * w
                ),
                # never served, or served after the deadline
                "late_mwh": self.late_mwh[site] + self.states[site].backlog.total_mwh,
                "storage_end_shortfall_mwh": sum(
                    max(0.0, level - final[asset])
                    for asset, level in self.end_levels.get(site, {}).items()
                ),
                "facility_ramp_excess_mw": _facility_ramp_excess(study, site, energy),
            }
        realised_study = _with_firm_served(study, realised)
        network = realised_network(realised_study, realised, self.perfect.network)
        operation = {
            **settings,
            "decisions": len(self.plans),
            **{name: sum(by_site[name] for by_site in shortfalls.values()) for name in SHORTFALLS},
            "facility_ramp_excess_mw": max(
                by_site["facility_ramp_excess_mw"] for by_site in shortfalls.values()
            ),
            "shortfall_penalty_per_mwh": self.penalty,
            "sites": shortfalls,
        }
        return OperationResult(
            realised_study,
            extract_realised(network, realised_study),
            self.perfect,
            network,
            self.plans,
            self.lookahead,
            operation,
        )


def _levels_after(spec: Site, run: RunDispatch, step: int) -> dict[str, float]:
    """Battery and reservoir levels of a run after ``step``, by storage, each put back
    within its range where the solver left it a rounding error outside [MWh]."""
    levels = {}
    for asset in STORAGES:
        holder = getattr(spec, asset)
        if holder is not None:
            low = getattr(holder, "min_level_pu", 0.0) * holder.energy_mwh
            high = getattr(holder, "max_level_pu", 1.0) * holder.energy_mwh
            level = float(getattr(run, f"{asset}_level")[step])
            levels[asset] = min(max(level, low), high)
    return levels


def _within_window(window: Study, site: str, outputs: dict[str, float | None]) -> dict:
    """The outputs a plan's ramps start from, the facility power held within what the
    window's forecast PUE lets the facility draw: realised at the actual PUE, it may
    exceed that [MW]. The plan then ramps from the limit; the settlement keeps the
    actual ramp."""
    facility = outputs.get("facility_mw")
    if facility is None:
        return outputs
    return {**outputs, "facility_mw": min(facility, output_range(window, site, "facility")[1])}


def _facility_ramp_excess(study: Study, site: str, run: RunDispatch) -> float:
    """How far the realised facility power moved beyond its ramp limit in any step:
    0 unless work forecast wrongly could not follow it at a block's start [MW]."""
    ramp = study.sites[site].datacentre.facility_ramp_mw_per_h
    power = sum(run.facility_power.values())
    if ramp is None or len(power) < 2:
        return 0.0
    excess = float(np.abs(np.diff(power)).max()) - ramp * study.step_h
    return max(0.0, excess) if excess > 1e-6 * max(1.0, ramp) else 0.0


def _cyclic_levels(study: Study, perfect: Result) -> dict[str, dict[str, float]]:
    """Start (and end) levels of the cyclic storages: where the perfect-foresight
    optimum has them before the first step (after the last) [MWh]."""
    levels: dict[str, dict[str, float]] = {}
    for site, spec in study.sites.items():
        last = _levels_after(spec, perfect.flexible[site], -1)
        cyclic = {
            asset: level
            for asset, level in last.items()
            if getattr(spec, asset).initial_level_pu is None
        }
        if cyclic:
            levels[site] = cyclic
    return levels


def _with_firm_served(study: Study, realised: dict[str, RealisedSite]) -> Study:
    """``study`` whose firm work is the firm work served: the same study unless some
    could not be served."""
    series = dict(study.series)
    for site, operation in realised.items():
        key = f"{site}/datacentre.firm_mw"
        if not np.allclose(series[key], operation.work.firm, rtol=0, atol=1e-9):
            series[key] = operation.work.firm
    return Study(study.scenario, study.source, study.snapshots, series)
