"""Solve the flexible run and the baseline run of a study with HiGHS."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dispatch._errors import InfeasibleError
from dispatch._explain import check_hourly_balance, explain_infeasibility
from dispatch._extract import extract_run
from dispatch._network import build_network, to_baseline
from dispatch._results import Result
from dispatch._study import Study

if TYPE_CHECKING:
    import pypsa

SOLVER_OPTIONS = {"output_flag": False}


def solve(study: Study, solver_options: dict | None = None) -> Result:
    """Co-optimise a study: the flexible run, then the baseline of MODEL.md §5.

    Both runs share one network and one linopy model: the baseline only tightens
    the bounds of the backlog and of lost interruptible work, so the model is built
    once.

    Parameters
    ----------
    study
        A study from :func:`dispatch.load_study`.
    solver_options
        Extra HiGHS options (e.g. ``{"time_limit": 600}``).

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
    timings: dict[str, float] = {}
    start = time.perf_counter()
    n = build_network(study)
    timings["network_s"] = time.perf_counter() - start
    start = time.perf_counter()
    n.optimize.create_model(include_objective_constant=False)
    timings["model_s"] = time.perf_counter() - start

    options = {**SOLVER_OPTIONS, **(solver_options or {})}
    start = time.perf_counter()
    _solve_run(n, study, "flexible", options)
    timings["solve_flexible_s"] = time.perf_counter() - start
    flexible = {site: extract_run(n, study, site) for site in study.sites}
    n.model.solver_model = None  # n.copy() refuses a network holding a solver
    flexible_network = n.copy()

    to_baseline(n)
    start = time.perf_counter()
    _solve_run(n, study, "baseline", options)
    timings["solve_baseline_s"] = time.perf_counter() - start
    baseline = {site: extract_run(n, study, site) for site in study.sites}
    return Result(study, flexible, baseline, flexible_network, n, timings)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence output written straight to file descriptor 1 (the HiGHS banner)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (e.g. some notebook frontends)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve_run(n: pypsa.Network, study: Study, run: str, options: dict) -> None:
    with _quiet_stdout():
        status, condition = n.optimize.solve_model(
            solver_name="highs", solver_options=options, log_to_console=False
        )
    if status != "ok":
        raise InfeasibleError(explain_infeasibility(n, study, run, condition))
