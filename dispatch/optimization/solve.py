"""Solve the flexible run and the baseline run of a study with HiGHS."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.errors import InfeasibleError
from dispatch.core.files import remove_stale, scratch_folder
from dispatch.core.names import route_link
from dispatch.core.processes import die_with_parent, quiet_stdout, usable_cores
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.baseline import to_baseline
from dispatch.model.carbon_targets import remove_carbon_targets, target_shadow_prices
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network
from dispatch.optimization.explain import check_hourly_balance, explain_infeasibility
from dispatch.optimization.highs_lp import SOLVER_OPTIONS
from dispatch.optimization.parts import independent_parts, merge_networks, merge_runs
from dispatch.optimization.progress import SolveProgress
from dispatch.optimization.staged import solve_staged
from dispatch.optimization.storage_value import stored_energy_values
from dispatch.results.extract import Extracted, extract_all, extract_shadow_values
from dispatch.results.netcdf import export_network
from dispatch.results.result import BaselineNetwork, Result
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import linopy
    import pandas as pd
    import pypsa


@pypsa_settings
def solve(
    study: Study,
    solver_options: dict | None = None,
    parallel: bool | None = None,
    progress: bool = False,
) -> Result:
    """Co-optimise a study: the flexible run and the baseline of MODEL.md §5.

    Both runs share one network and one linopy model: the baseline only tightens
    the bounds of the backlog and of lost interruptible work, so the model is built
    once. Where the machine allows, the baseline is solved in a forked process
    beside the flexible run. Sites that no route, shared grid region or study-wide
    target joins are solved as separate LPs (:func:`dispatch.optimization.parts.independent_parts`),
    side by side where the machine allows: the optimum is the same, the time grows
    linearly with the number of parts. Sites joined by routes are solved apart
    first, then their routes are released week by week, then all at once, each
    stage from the last one's solution (:mod:`dispatch.optimization.staged`): again the same
    optimum, found several times faster than by one cold solve.

    Parameters
    ----------
    study
        A study from :func:`dispatch.load_study`.
    solver_options
        HiGHS options over dispatch's (:data:`~dispatch.optimization.highs_lp.SOLVER_OPTIONS`,
        and for the staged solve's last run
        :data:`~dispatch.optimization.last_stage.LAST_RUN_OPTIONS`),
        e.g. ``{"time_limit": 600}``, which holds for each HiGHS run. Naming a
        ``solver`` (``"simplex"``, ``"ipm"``, ``"pdlp"``) solves each LP in one cold
        run of that solver.
    parallel
        Solve the two runs (and the independent parts) side by side in forked
        processes; by default whenever the platform can fork and has two or more
        cores.
    progress
        Show a progress bar (stage and time taken; parts done) on stderr, or in a
        notebook a widget.

    Returns
    -------
    Result
        Key figures, hourly dispatch, and both solved networks.

    Raises
    ------
    InfeasibleError
        Which constraints of the scenario conflict, and when.

    Examples
    --------
    >>> from dispatch import load_study, solve
    >>> result = solve(load_study("networks/olkaria", hours=48))
    >>> result.summary["max_delay_h"] <= 8
    True
    """
    check_hourly_balance(study)
    options = {**SOLVER_OPTIONS, **(solver_options or {})}
    if parallel is None:
        parallel = _can_fork()
    parts = independent_parts(study)
    if len(parts) > 1:
        return _solve_parts(study, parts, options, parallel, progress)
    with SolveProgress(len(STAGES), study.name, progress) as meter:
        return Result(study, *_solve_runs(study, options, parallel, meter))


STAGES = ("building the network", "building the model", "solving", "solving the baseline")
"""The stages of :func:`_solve_runs` that progress reports."""


def _solve_runs(
    study: Study, options: dict, fork_baseline: bool, meter: SolveProgress
) -> tuple[Extracted, Extracted, pypsa.Network, pypsa.Network | BaselineNetwork, dict, dict]:
    """Both runs of one LP: flexible and baseline dispatch, networks, timings, shadow values."""
    timings: dict[str, float] = {}
    meter.stage(STAGES[0])
    start = time.perf_counter()
    n = build_network(study)
    timings["network_s"] = time.perf_counter() - start
    meter.done()
    meter.stage(STAGES[1])
    start = time.perf_counter()
    build_model(n, study)
    timings["model_s"] = time.perf_counter() - start
    meter.done()
    baseline_job = _BaselineProcess(n, study, options) if fork_baseline else None

    meter.stage(STAGES[2])
    start = time.perf_counter()
    try:
        _solve_run(n, study, "flexible", options)
    except BaseException:
        if baseline_job is not None:
            baseline_job.cancel()
        raise
    timings["solve_flexible_s"] = time.perf_counter() - start
    meter.done()
    flexible = extract_all(n, study)
    shadow_values = {
        **extract_shadow_values(n, study),
        "targets": target_shadow_prices(n),
        "storage": stored_energy_values(n, study),
    }
    n.model.solver_model = None  # n.copy() refuses a network holding a solver

    meter.stage(STAGES[3])
    start = time.perf_counter()
    if baseline_job is not None:
        baseline, network_baseline = baseline_job.result()
    else:
        network_baseline, n = n, n.copy()
        _to_baseline(network_baseline)
        _solve_run(network_baseline, study, "baseline", options)
        baseline = extract_all(network_baseline, study)
    timings["baseline_wait_s"] = time.perf_counter() - start
    meter.done()
    return flexible, baseline, n, network_baseline, timings, shadow_values


def _solve_part(study: Study, sites: list[str], options: dict) -> tuple:
    """Both runs of the part of ``study`` made of ``sites``, as :func:`_solve_runs`."""
    flexible, baseline, n, network_baseline, timings, shadow_values = _solve_runs(
        study.subset(sites), options, False, SolveProgress(0, "", False)
    )
    network_baseline.model.solver_model = None
    network_baseline._model = None  # the parent needs the solution, not the model
    return flexible, baseline, n, network_baseline, timings, shadow_values


def _solve_parts(
    study: Study, parts: list[list[str]], options: dict, parallel: bool, progress: bool
) -> Result:
    """Solve each independent part, largest first, and join them into one result."""
    parts = sorted(parts, key=len, reverse=True)
    start = time.perf_counter()
    with SolveProgress(len(parts), study.name, progress, unit="part") as meter:
        meter.stage("solving")
        if parallel:
            solutions = _on_forked_workers(study, parts, options, meter)
        else:
            solutions = []
            for sites in parts:
                solutions.append(_solve_part(study, sites, options))
                meter.done()
    timings: dict[str, float] = {"parts": len(parts), "wall_s": time.perf_counter() - start}
    shadow_values: dict[str, dict] = {"sites": {}, "routes": {}, "targets": {}, "storage": {}}
    for *_, part_timings, part_shadow_values in solutions:
        for key, seconds in part_timings.items():
            timings[key] = timings.get(key, 0.0) + seconds
        for kind, values in part_shadow_values.items():
            shadow_values[kind].update(values)
    flexible, baseline, networks, networks_baseline = (
        [solution[i] for solution in solutions] for i in range(4)
    )
    return Result(
        study,
        merge_runs(study, flexible),
        merge_runs(study, baseline),
        merge_networks(study, networks),
        merge_networks(study, networks_baseline),
        timings,
        shadow_values,
    )


def _on_forked_workers(
    study: Study, parts: list[list[str]], options: dict, meter: SolveProgress
) -> list[tuple]:
    """Solve the parts on forked worker processes, one per core at most."""
    workers = min(len(parts), usable_cores())
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,  # no worker solves on for a killed parent
        initargs=(os.getpid(),),
    )
    try:
        futures = [pool.submit(_solve_part, study, sites, options) for sites in parts]
        for future in as_completed(futures):
            future.result()  # a failed part ends the solve at once
            meter.done()
        return [future.result() for future in futures]
    except BaseException:
        # Stop the other parts at once: the first failure decides the outcome.
        for process in list(pool._processes.values()):
            process.kill()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _to_baseline(n: pypsa.Network) -> None:
    to_baseline(n)
    remove_carbon_targets(n)


def _can_fork() -> bool:
    return (
        sys.platform.startswith("linux")
        and usable_cores() >= 2
        and "fork" in multiprocessing.get_all_start_methods()
    )


class _BaselineProcess:
    """The baseline run, solved in a forked copy of the process holding the model.

    The fork inherits the built network and linopy model, so nothing is rebuilt;
    the child sends back the hourly dispatch, then writes its solved network into a
    netCDF file, which :class:`~dispatch.results.result.Result` waits for when it
    needs it: meanwhile the parent goes on (e.g. writes the other result files).
    """

    def __init__(self, n: pypsa.Network, study: Study, options: dict) -> None:
        context = multiprocessing.get_context("fork")
        self.folder = scratch_folder("baseline")
        self.path = Path(self.folder.name) / "network_baseline.nc"
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_solve_baseline_child,
            args=(n, study, options, sender, self.path, os.getpid()),
            daemon=True,
        )
        self.process.start()
        sender.close()

    def result(self) -> tuple[Extracted, BaselineNetwork]:
        outcome, payload = self._receive()
        if outcome == "ok":
            return payload, BaselineNetwork(self.path, self.folder, self._written)
        self.process.join()
        if outcome == "infeasible":
            raise InfeasibleError(payload)
        raise RuntimeError(f"baseline run failed: {payload}")

    def _written(self) -> None:
        """Wait until the child has written the baseline network's file."""
        outcome, payload = self._receive()
        self.process.join()
        if outcome != "written":
            raise RuntimeError(f"baseline network not written: {payload}")

    def _receive(self) -> tuple[str, object]:
        try:
            return self.receiver.recv()
        except EOFError:
            return "error", "the baseline process ended without a result"
        except BaseException:  # interrupted: stop the child and remove its folder now
            self.cancel()
            raise

    def cancel(self) -> None:
        self.process.kill()
        self.process.join()
        self.folder.cleanup()
        remove_stale(Path(tempfile.gettempdir()))  # the child's own, e.g. its solver's folder


def _solve_baseline_child(
    n: pypsa.Network, study: Study, options: dict, sender: Connection, path: Path, parent: int
) -> None:
    die_with_parent(parent)  # a killed parent's temporary is removed by the next run
    # Terminated by the parent's exit (multiprocessing ends daemonic children so), the
    # child ends at once: a KeyboardInterrupt inside netCDF4's lock, which the CLI's
    # SIGTERM handler would raise, leaves the lock held and the parent joining forever.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        _to_baseline(n)
        _solve_run(n, study, "baseline", options)
        sender.send(("ok", extract_all(n, study)))
        n.model.solver_model = None
        export_network(n, path)
        sender.send(("written", None))
    except InfeasibleError as exc:
        sender.send(("infeasible", str(exc)))
    except BaseException as exc:  # reported by the parent, which owns the user's call
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


def _solve_run(n: pypsa.Network, study: Study, run: str, options: dict) -> None:
    if _solve_staged(n, study, options):
        return
    # linopy names a problem file even for the direct API: keep it where the next
    # run removes it if this one is killed.
    with quiet_stdout(), scratch_folder("solve") as solver_dir:
        n.model.solver_dir = Path(solver_dir)
        status, condition = n.optimize.solve_model(
            solver_name="highs",
            solver_options=options,
            log_to_console=False,
            io_api="direct",
            progress=False,
        )
    if status != "ok":
        raise InfeasibleError(explain_infeasibility(n, study, run, condition))


HOURS_PER_WINDOW = 168
"""Length of the time windows of the staged solve's second stage, in snapshots [h]
(a week; measured on rings of 5 and 20 sites, benchmarks/README.md)."""


def _solve_staged(n: pypsa.Network, study: Study, options: dict) -> bool:
    """Solve sites joined by routes in stages (:mod:`dispatch.optimization.staged`), as
    ``n.optimize.solve_model`` would; False (nothing done) if HiGHS was told which
    solver to use or the stages do not apply."""
    if "solver" in options or study.scenario.routing is None:
        return False
    links = [
        route_link(name, classes, workload)
        for name, (_, classes) in study.routes.items()
        for workload in classes
    ]
    if not links:
        return False
    held = [n.model.variables["Link-p"].labels.sel(name=links).values.ravel()]
    boundaries = n.snapshots[HOURS_PER_WINDOW - 1 :: HOURS_PER_WINDOW].union(n.snapshots[-1:])
    if len(boundaries) > 1:
        held.append(_between_windows(n.model, boundaries))
    # PyPSA's post-processing finds the network's topology unless it is known
    # (seconds for a study of many sites, one sub-network per bus): found meanwhile.
    unknown = n.c.sub_networks.static.empty
    with quiet_stdout():
        result = solve_staged(
            n.model,
            held,
            options,
            usable_cores(),
            meanwhile=n.determine_network_topology if unknown else None,
        )
    if result is None:
        return False
    n.model.assign_result(result)
    n.optimize.assign_solution()
    n.optimize.assign_duals(False)
    n.optimize.post_processing()
    return True


def _between_windows(model: linopy.Model, boundaries: pd.Index) -> np.ndarray:
    """Labels of the variables that may join time windows: those of the
    ``boundaries`` snapshots (the last of each window), and those of no snapshot
    (capacities); the staged solve holds those of them that do."""
    labels = []
    for _, variable in model.variables.items():
        at = variable.labels
        if "snapshot" in at.dims:
            at = at.sel(snapshot=boundaries)
        labels.append(at.values.ravel())
    joined = np.concatenate(labels)
    return joined[joined >= 0]
