"""Variants of a study solved one after another, reusing the built LP where only numbers
change: the network of each variant is built and compared with the one whose model
is built; if they differ only in values the LP can take in place
(:mod:`dispatch.optimization.network_lp`), those values are written into the two
HiGHS instances kept (flexible run and baseline) and each is re-solved (from scratch
with presolve by default, or from its last basis). Otherwise the model is built anew.
The result is the :class:`Result` that :func:`dispatch.optimization.solve.solve`
gives."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.names import RUNS
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.baseline import to_baseline
from dispatch.model.carbon_targets import target_shadow_prices
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network
from dispatch.model.tariff import demand_charge_field
from dispatch.optimization.explain import check_hourly_balance
from dispatch.optimization.highs_lp import SOLVER_OPTIONS, LpChanges, LpPositions
from dispatch.optimization.network_lp import (
    WRITTEN,
    difference_not_written,
    network_inputs,
    write_changes,
)
from dispatch.optimization.parts import independent_parts
from dispatch.optimization.solve import solve
from dispatch.results.extract import Extracted, extract_all, extract_shadow_values
from dispatch.results.result import Result
from dispatch.scenario.flexibility import flexibility_market_field
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import highspy
    import pypsa


class VariantSolver:
    """Solves studies one after another as ``solve(study, parallel=False)`` does,
    keeping the LP of the last one built.

    A study whose network differs from the built one only in numbers the LP takes in
    place (capacities of fixed size, availability, limits, prices, costs, workload,
    PUE, the longest delay, initial levels ...) is solved by writing those numbers
    into the kept HiGHS instances of both runs and re-solving them (see ``warm_start``);
    any other study (another structure, or a change the writer does not handle) is
    built anew, and studies :func:`reusable` refuses go to
    :func:`~dispatch.optimization.solve.solve`. Either way the result is the same
    optimum, the same key figures and the same files.

    Parameters
    ----------
    solver_options
        Extra HiGHS options, as for :func:`~dispatch.optimization.solve.solve`.
    warm_start
        Re-solve from the last basis (True), or from scratch with presolve (False, the
        default): as fast on the benchmark's sweep (``benchmarks/bench_batch.py``),
        and where the optimum is not unique it finds the plan a fresh solve finds,
        so the result files are the same too.

    Attributes
    ----------
    reused
        Whether the last :meth:`solve` reused the built LP.
    """

    def __init__(self, solver_options: dict | None = None, warm_start: bool = False) -> None:
        self.options = {**SOLVER_OPTIONS, **(solver_options or {})}
        self.warm_start = warm_start
        self.reused = False
        self._built: _BuiltLp | None = None

    @pypsa_settings
    def solve(self, study: Study) -> Result:
        """Both runs of ``study``, reusing the built LP if only numbers changed.

        Raises
        ------
        InfeasibleError
            As :func:`~dispatch.optimization.solve.solve`.
        """
        self.reused = False
        if not reusable(study, self.options):
            self._built = None
            return solve(study, self.options, parallel=False)
        check_hourly_balance(study)
        start = time.perf_counter()
        n = build_network(study)
        timings = {"network_s": time.perf_counter() - start}
        built, self._built = self._built, None  # kept again once solved
        if built is None or difference_not_written(n, built.network) is not None:
            built = None  # its memory is free before the next model is built
            start = time.perf_counter()
            built = _BuiltLp(n, study, self.options)
            timings["model_s"] = time.perf_counter() - start
        else:
            built.take_inputs(n)
            self.reused = True
        runs = built.solve(study, self.warm_start, timings)
        if runs is None:  # not optimal: solve() explains it, or solves it cold
            self.reused = False
            return solve(study, self.options, parallel=False)
        self._built = built
        return Result(study, *runs, timings, built.shadow_values)


def reusable(study: Study, options: dict) -> bool:
    """Whether a study's LP can be kept for the next variant: one LP (one independent
    part) solved by HiGHS's default method, without routes or carbon targets (whose
    constraints are not PyPSA components), demand charges (or a sized contracted
    capacity) or flexibility markets."""
    scenario = study.scenario
    return (
        "solver" not in options
        and not study.routes
        and scenario.cfe_target is None
        and scenario.emission_cap_tco2 is None
        and all(site.cfe_target is None for site in study.sites.values())
        and len(independent_parts(study)) == 1
        and demand_charge_field(study) is None
        and flexibility_market_field(study) is None
    )


class _BuiltLp:
    """A network with its linopy model, and one HiGHS instance per run with the inputs
    written into it (both start as the flexible run's LP: :meth:`solve` writes the
    baseline's bounds like any other change)."""

    def __init__(self, n: pypsa.Network, study: Study, options: dict) -> None:
        self.network = n
        build_model(n, study)
        self.positions = LpPositions(n.model)
        inputs = network_inputs(n)
        self.highs = {run: self.positions.highs(options) for run in RUNS}
        self.written = {run: inputs for run in RUNS}
        self.shadow_values: dict = {}

    def take_inputs(self, n: pypsa.Network) -> None:
        """Make the network's :data:`WRITTEN` inputs those of ``n`` (of the same
        structure, differing in nothing else)."""
        self.network.name, self.network.meta = n.name, n.meta
        for component, attributes in WRITTEN.items():
            target, source = self.network.c[component], n.c[component]
            for attribute in attributes:
                if attribute in source.static:
                    target.static[attribute] = source.static[attribute]
                if attribute in source.dynamic:
                    target.dynamic[attribute] = source.dynamic[attribute]

    def solve(
        self, study: Study, warm_start: bool, timings: dict[str, float]
    ) -> tuple[Extracted, Extracted, pypsa.Network, pypsa.Network] | None:
        """Both runs from the network's inputs: dispatch and solved network of each;
        None if a run is not optimal (or cannot be written in place)."""
        n, solved = self.network, {}
        for run in RUNS:
            start = time.perf_counter()
            if run == "baseline":
                to_baseline(n)
            inputs = network_inputs(n)
            changes = LpChanges(self.positions, n.snapshot_weightings.objective.to_numpy())
            if not write_changes(changes, n, self.written[run], inputs):
                return None
            highs = self.highs[run]
            changes.apply(highs)
            self.written[run] = inputs
            if not warm_start:
                highs.clearSolver()
            highs.run()
            if highs.modelStatusToString(highs.getModelStatus()) != "Optimal":
                return None
            self._assign_solution(highs)
            solved[run] = extract_all(n, study), n.copy()
            if run == "flexible":
                self.shadow_values = {
                    **extract_shadow_values(n, study),
                    "targets": target_shadow_prices(n),
                }
            timings[f"solve_{run}_s"] = time.perf_counter() - start
        (flexible, network), (baseline, network_baseline) = solved["flexible"], solved["baseline"]
        return flexible, baseline, network, network_baseline

    def _assign_solution(self, highs: highspy.Highs) -> None:
        """Put HiGHS's solution into the model and the network, as PyPSA's
        ``solve_model`` does."""
        from linopy.constants import Result as LinopyResult
        from linopy.constants import Solution, Status, TerminationCondition

        n, model = self.network, self.network.model
        solution = highs.getSolution()
        primal = np.full(model._xCounter, np.nan)
        primal[model.matrices.vlabels] = solution.col_value
        dual = np.full(model._cCounter, np.nan)
        dual[model.matrices.clabels] = solution.row_dual
        status = Status.from_termination_condition(TerminationCondition.optimal)
        objective = highs.getInfo().objective_function_value
        model.assign_result(
            LinopyResult(status, Solution(primal, dual, objective), solver_name="highs")
        )
        n.optimize.assign_solution()
        n.optimize.assign_duals(False)
        n.optimize.post_processing()
