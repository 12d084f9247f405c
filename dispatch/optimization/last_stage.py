"""The last stage of the staged solve: the whole LP in one HiGHS run, made small.

This run (:mod:`dispatch.optimization.staged`, step 3) sets the peak memory of a
large study: HiGHS's working memory, about half a kilobyte per row and column, comes
on top of everything the process holds. So HiGHS gets a smaller LP: the columns
that equality rows determine are eliminated, and those alone in one such row become
its slack (:mod:`dispatch.optimization.reduction`). What nothing reads while HiGHS
runs waits on disk (:mod:`dispatch.optimization.spill`): the linopy model's arrays
from the start, the LP's own once HiGHS holds its copy. HiGHS is gone before they
come back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dispatch.optimization.highs_arrays import (
    highs_of,
    return_freed_memory,
    set_basis,
    solution_arrays,
)
from dispatch.optimization.reduction import LinearProgram, drop_slack_columns, reduce_lp
from dispatch.optimization.spill import Slot, array_slots, spilled

_log = logging.getLogger(__name__)

LAST_RUN_OPTIONS = {"simplex_dual_edge_weight_strategy": 1}
"""HiGHS options of the last run, beneath the caller's: Devex pricing instead of dual
steepest edge. From a basis that is not all slack, steepest edge first computes each
row's exact weight and then costs an extra FTRAN per iteration; on the 20-site ring's
last run (1.5 M rows, 2.6 M columns) Devex took 10.9-12.7 s in 22,715 iterations
against 11.9-16.4 s in 24,093 (seven runs each, in turns). Stage 2's windows (38 k
rows each) are faster with steepest edge, so they keep HiGHS's default
(benchmarks/README.md, "Devex for the last run")."""


def solve_whole(
    whole: LinearProgram,
    options: dict,
    idle: Iterable[Slot],
    beside: Callable[[], object] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The optimum of ``whole`` in one HiGHS run from its basis.

    Parameters
    ----------
    whole
        The LP and its starting basis (dual feasible, so that HiGHS starts in the
        second phase of its dual simplex).
    options
        HiGHS options, over :data:`LAST_RUN_OPTIONS`.
    idle
        Arrays that nothing reads until this returns; they wait on disk meanwhile.
    beside
        Work done on a thread of its own while HiGHS runs (which holds no lock),
        its exception raised after the run.

    Returns
    -------
    tuple of numpy.ndarray or None
        The columns' values, their reduced costs and the rows' duals; None if HiGHS
        found no optimum.
    """
    import highspy

    with spilled(idle):
        reduced = reduce_lp(whole)
        lp, substitution = (whole, None) if reduced is None else reduced
        reduced = drop_slack_columns(lp)
        lp, slack = (lp, None) if reduced is None else reduced
        del reduced  # the LPs go with the last name for them, once HiGHS has its copy
        solver = highs_of(
            {**LAST_RUN_OPTIONS, **options},
            lp.matrix,
            lp.cost,
            (lp.col_lower, lp.col_upper),
            (lp.row_lower, lp.row_upper),
        )
        set_basis(solver, lp.col_status, lp.row_status)
        _log.debug(
            "1 blocks solved of 1; the whole LP, %d columns and %d rows of %d and %d",
            len(lp.cost),
            len(lp.row_lower),
            len(whole.cost),
            len(whole.row_lower),
        )
        del lp
        with spilled(array_slots(whole, whole.matrix)), ThreadPoolExecutor(1) as aside:
            pending = None if beside is None else aside.submit(beside)
            solver.run()
            _log.debug(
                "whole LP: %.1f s, %d iterations",
                solver.getRunTime(),
                solver.getInfo().simplex_iteration_count,
            )
            optimal = solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
            value, col_dual, row_dual, row_value = solution_arrays(solver)
            del solver
            return_freed_memory()
            if pending is not None:
                pending.result()
    if not optimal:
        return None
    if slack is not None:
        value, col_dual, row_dual = slack.restore(value, col_dual, row_dual, row_value)
    if substitution is not None:
        value, col_dual, row_dual = substitution.restore(value, col_dual, row_dual, whole.matrix)
    return value, col_dual, row_dual
