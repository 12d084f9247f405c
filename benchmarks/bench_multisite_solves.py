"""The child processes of ``bench_multisite.py``: one study's LP, or ``dispatch.solve``.

Each runs in a fresh process (``bench_multisite.py --child-joint`` or
``--child-solve``), so that its peak memory is its own; not a script of its own. The
``dispatch`` internals called are listed in :mod:`internals`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import internals
from harness import peak_rss_mib
from timers import patched


def _rss_mib() -> float:
    """Current resident set size of this process [MiB]."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


@contextlib.contextmanager
def counted_runs(runs: dict[str, float]) -> Iterator[None]:
    """Add every HiGHS solve of the block to ``runs``: ``calls``, ``seconds`` [s] and
    ``simplex``, ``ipm`` and ``crossover`` iterations."""
    import highspy

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: highspy.Highs) -> Any:
            start = time.perf_counter()
            try:
                return original(self)
            finally:
                info = self.getInfo()
                runs["calls"] = runs.get("calls", 0) + 1
                runs["seconds"] = runs.get("seconds", 0.0) + time.perf_counter() - start
                for key, count in (
                    ("simplex", info.simplex_iteration_count),
                    ("ipm", info.ipm_iteration_count),
                    ("crossover", info.crossover_iteration_count),
                ):
                    runs[key] = runs.get(key, 0) + max(int(count), 0)

        return run

    with patched(highspy.Highs, "run", make):
        yield


def solve_study(
    scenario: str, hours: float | None, options: dict[str, Any], baseline: bool = False
) -> dict[str, Any]:
    """Build and solve one study's flexible (or baseline) run as ``dispatch.solve`` does.

    Parameters
    ----------
    scenario
        The scenario file.
    hours
        Keep only the first ``hours`` of the horizon [h]; all of it if None.
    options
        HiGHS options on top of ``dispatch``'s (output off).
    baseline
        Solve the baseline run (``to_baseline`` on the built model) instead.

    Returns
    -------
    dict
        ``load_s``, ``build_s``, ``model_s``, ``solve_s``, ``highs_run_s`` and
        ``solve_cpu_s`` [s]; RSS after each stage and the peak [MiB]; the LP size;
        HiGHS' status, objective [currency] and iterations.
    """
    import dispatch

    build_network, build_model = internals.get("build_network"), internals.get("build_model")
    solver_options = {**internals.get("solver_options"), **options}
    figures: dict[str, Any] = {"rss_mib": {}}
    start = time.perf_counter()
    study = dispatch.load_study(scenario, hours=hours)
    figures["load_s"] = time.perf_counter() - start
    figures["rss_mib"]["load"] = _rss_mib()
    start = time.perf_counter()
    n = build_network(study)
    figures["build_s"] = time.perf_counter() - start
    figures["rss_mib"]["build"] = _rss_mib()
    start = time.perf_counter()
    build_model(n, study)
    figures["model_s"] = time.perf_counter() - start
    figures["rss_mib"]["model"] = _rss_mib()
    if baseline:
        internals.get("to_baseline")(n)
    runs: dict[str, float] = {}
    cpu, start = time.process_time(), time.perf_counter()
    with counted_runs(runs):
        if not internals.get("solve_staged")(n, study, solver_options):
            n.optimize.solve_model(
                solver_name="highs",
                solver_options=solver_options,
                log_to_console=False,
                io_api="direct",
                progress=False,
            )
    figures["solve_s"] = time.perf_counter() - start
    figures["solve_cpu_s"] = time.process_time() - cpu
    figures["highs_run_s"] = runs.get("seconds", math.nan)
    figures["rss_mib"]["solve"] = _rss_mib()
    h = n.model.solver_model  # None after a staged solve, which assigns its own result
    optimal = n.model.termination_condition == "optimal"
    figures.update(
        {
            "sites": len(study.sites),
            "snapshots": len(study.snapshots),
            "variables": int(n.model.nvars),
            "constraints": int(n.model.ncons),
            "nonzeros": int(h.getNumNz()) if h is not None else None,
            "linopy_status": f"{n.model.status} ({n.model.termination_condition})",
            "status": h.modelStatusToString(h.getModelStatus()) if h is not None else "Optimal",
            "objective": float(n.objective) if optimal else None,
            "highs_runs": int(runs.get("calls", 0)),
            "simplex_iterations": int(runs.get("simplex", 0)),
            "ipm_iterations": int(runs.get("ipm", 0)),
            "crossover_iterations": int(runs.get("crossover", 0)),
        }
    )
    figures["peak_rss_mib"] = peak_rss_mib()
    return figures


def child_joint(
    scenario: str, hours: float | None, options: dict[str, Any], baseline: bool = False
) -> dict[str, Any]:
    """Solve one study in this fresh process (see :func:`solve_study`).

    Returns
    -------
    dict
        The figures of :func:`solve_study` plus ``import_s`` [s] (dispatch, PyPSA).
    """
    start = time.perf_counter()
    import dispatch  # noqa: F401

    internals.get("import_pypsa")()
    import_s = time.perf_counter() - start
    return {"import_s": import_s, **solve_study(scenario, hours, options, baseline)}


def child_solve(
    scenario: str, hours: float | None, options: dict[str, Any], site: str | None = None
) -> dict[str, Any]:
    """``dispatch.solve`` of one study (or of its ``site`` alone) in this fresh process:
    both runs, as users get it.

    Returns
    -------
    dict
        ``import_s``, ``load_s`` and ``solve_s`` (the call) [s]; ``timings`` (the
        result's own: per stage, summed over parts); ``parts``; the flexible and
        baseline objectives [currency].
    """
    start = time.perf_counter()
    import dispatch

    internals.get("import_pypsa")()
    import_s = time.perf_counter() - start
    start = time.perf_counter()
    study = dispatch.load_study(scenario, hours=hours)
    if site is not None:
        study = study.subset([site])
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    result = dispatch.solve(study, solver_options=options)
    solve_s = time.perf_counter() - start
    return {
        "import_s": import_s,
        "load_s": load_s,
        "solve_s": solve_s,
        "sites": len(study.sites),
        "parts": int(result.timings.get("parts", 1)),
        "timings": result.timings,
        "objective": result.summary["objective"],
        "baseline_objective": result.summary["baseline"]["objective"],
    }
