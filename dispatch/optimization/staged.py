"""Staged solve of sites joined by routes: the sites apart first, then the routes released.

HiGHS's dual simplex grows much faster than linearly with the LP, so one LP of
sites joined by routes takes far longer than its sites one by one. A warm start
does not help as such, because HiGHS then skips its presolve, and PyPSA writes
every capacity limit as a row of its own. Folding those single-variable rows into
column bounds (what presolve does first) makes a warm start cheap again, and gives
an exact scheme:

1. with the joining columns (route flows) held at zero, the folded LP falls apart
   into blocks (a site, or the sites of a grid region), each solved on its own with
   presolve, side by side on threads;
2. their solutions join into a basic solution of the whole folded LP, which is
   feasible. The joining columns are released while the columns of a few hours
   that join them to the next hours (storage levels, ramped outputs) are held at
   their values: the LP then falls apart into time windows of all sites, each
   solved from its part of the basis, side by side; most of what the routes
   change is local in time, and a simplex iteration on a window is far cheaper
   than on the whole LP;
3. everything is released and the dual simplex goes on from that basis to the
   optimum of the whole LP (what is left to do is mostly moving storage between
   windows). The columns held in step 2 start it nonbasic, each at the bound its
   reduced cost prefers, so that the basis is dual feasible and HiGHS starts in
   the second phase of its dual simplex. This run sets the peak memory of a large
   study: HiGHS gets the LP with the columns that equality rows fix eliminated,
   and what it does not need waits on disk (:mod:`dispatch.optimization.last_stage`).
   Nothing is done after step 1 when the joining columns are fixed anyway, as in
   the baseline;
4. the solution is unfolded: the dual of a column held at a bound that a
   single-variable row set is that row's dual, as a cold solve reports it.

Which blocks a stage falls apart into, and which of its held columns join them,
depends only on which columns it holds, not on their values: both are found
(:mod:`dispatch.optimization.partition`) on the calling thread while the threads
of the stage before run HiGHS.

The optimum is the whole LP's. Where a stage cannot finish (e.g. a site that needs
its routes to be feasible), :func:`solve_staged` returns None and the caller
solves cold.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from dispatch.optimization.highs_arrays import (
    BASIC,
    LOWER,
    UPPER,
    basis_after_run,
    highs_of,
    return_freed_memory,
    set_basis,
    solution_arrays,
)
from dispatch.optimization.last_stage import solve_whole
from dispatch.optimization.partition import Partition, components
from dispatch.optimization.reduction import LinearProgram
from dispatch.optimization.spill import Slot, array_slots, model_slots

if TYPE_CHECKING:
    import highspy
    import linopy
    from linopy.constants import Result

_log = logging.getLogger(__name__)

_DUAL_TOLERANCE = 1e-7
"""HiGHS's default dual feasibility tolerance [-]."""

_BOUND_TOLERANCE = 1e-9
"""Relative distance of a value from a bound that counts as on it [-]."""

_PRIMAL_TOLERANCE = 1e-7
"""HiGHS's default primal feasibility tolerance [-]: the rows of columns held at
values HiGHS found may miss their bounds by this much."""


def solve_staged(
    model: linopy.Model,
    held: list[np.ndarray],
    options: dict,
    threads: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> Result | None:
    """Solve ``model`` in stages, as a linopy result to assign to it.

    Parameters
    ----------
    model
        A linopy model as built by PyPSA, to be minimised, not yet solved.
    held
        Labels of the variables held in each stage but the last [-]: in the first
        at zero (which they must admit), e.g. every route; in each later one at
        their values in the stage before, e.g. the variables of the hours between
        time windows, of which only those that join the blocks the others fall
        apart into are held (:meth:`FoldedLp.joining`). A stage whose held columns
        do not split the LP is skipped.
    options
        HiGHS options for each solve.
    threads
        How many blocks of a stage are solved at once [-].
    meanwhile
        Work that needs no solution (e.g. PyPSA's network topology), done on a
        thread of its own while the last of two or more stages runs HiGHS (one run,
        which holds no lock and leaves the other cores idle), else on this thread
        after the stages; always done, and its exception raised, before this returns.

    Returns
    -------
    linopy.constants.Result or None
        The optimal primal and dual solution, labelled as linopy's own solve labels
        it; None if the stages do not apply (then solve the model cold).
    """
    from linopy.constants import Result, Solution, Status, TerminationCondition

    if model.objective.sense != "min":
        return None
    folded = FoldedLp.of(model)
    positions = model.variables.label_index.label_to_pos
    first = positions[held[0]]
    if folded.any_free(first):
        # Later stages hold only the columns that join (found, with their blocks,
        # while the stage before is solved).
        stages = [first, *(positions[labels] for labels in held[1:]), np.array([], dtype=int)]
        joins = [False, *([True] * (len(held) - 1)), False]
    else:
        stages, joins = [first], [False]  # the first stage's optimum is the whole LP's
    partitions: dict[int, Partition] = {}

    def prepare(index: int) -> None:
        """Stage ``index``'s held columns (those that join) and blocks, if not yet."""
        if joins[index]:
            stages[index], joins[index] = folded.joining(stages[index]), False
            if len(stages[index]):
                partitions[index] = folded.partition(stages[index])

    vertex, ever_held, beside = None, np.zeros(len(folded.cost), dtype=bool), None
    for index in range(len(stages)):
        prepare(index)
        held_now, stage, last = stages[index], index + 1, index == len(stages) - 1
        if not last and index > 0 and not len(held_now):
            continue  # nothing joins: the held columns do not split the LP
        start = time.perf_counter()
        held_mask = np.zeros(len(folded.cost), dtype=bool)
        held_mask[held_now] = True
        released = None if vertex is None else np.flatnonzero(ever_held & ~held_mask)
        if last and stage > 1:
            beside = meanwhile  # the last stage is one HiGHS run (_solve_whole)
        vertex = folded.solve_components(
            held_now,
            vertex,
            options,
            threads,
            released,
            not last,
            model_slots(model) if last else (),
            beside,
            partitions.pop(index, None),
            None if last else functools.partial(prepare, index + 1),
        )
        seconds = time.perf_counter() - start
        _log.debug("stage %d: %.1f s, %d columns held", stage, seconds, len(held_now))
        if vertex is None:
            break
        ever_held |= held_mask
    if beside is None and meanwhile is not None:
        meanwhile()
    unfolded = None if vertex is None else folded.unfold(vertex)
    if unfolded is None:
        return None
    value, row_dual = unfolded
    primal = np.full(model._xCounter, np.nan)
    primal[model.variables.label_index.vlabels] = value
    dual = np.full(model._cCounter, np.nan)
    dual[model.constraints.label_index.clabels] = row_dual
    objective = float(folded.cost @ value)
    status = Status.from_termination_condition(TerminationCondition.optimal)
    return Result(status, Solution(primal, dual, objective), solver_name="highs")


@dataclasses.dataclass
class Vertex:
    """A solution of a folded LP, and the basis to start the next stage from."""

    col_status: np.ndarray
    """The columns' basis status (``LOWER``, ``BASIC``, ``UPPER``); a column held
    in the stage is nonbasic, at the bound its reduced cost prefers (basic where
    that bound is infinite), whatever its value; with a reduced cost of zero, at
    the bound it lies on, else at its lower one."""
    row_status: np.ndarray
    """Of the folded LP's rows."""
    value: np.ndarray
    col_dual: np.ndarray
    """Reduced costs: cost minus the rows' duals times the column [currency/unit]."""
    row_dual: np.ndarray
    """Of the folded LP's rows [currency/unit]."""


@dataclasses.dataclass
class FoldedLp:
    """An LP whose single-variable rows are folded into its column bounds."""

    matrix: sp.csr_matrix
    """The folded LP's constraint matrix: the rows of two or more variables."""
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    kept: np.ndarray
    """Rows with two or more variables, in order: the folded LP's rows."""
    single: np.ndarray
    """Rows with one variable."""
    single_col: np.ndarray
    single_coef: np.ndarray
    lower: np.ndarray
    """Column lower bounds with the single-variable rows folded in."""
    upper: np.ndarray

    @classmethod
    def of(cls, model: linopy.Model) -> FoldedLp:
        """The folded LP of a linopy model, its columns and rows in linopy's order."""
        matrices = model.matrices
        rows = sp.csr_matrix(matrices.A)
        col_lower, col_upper = matrices.lb, matrices.ub
        rhs, sense = matrices.b, matrices.sense
        row_lower = np.where(sense != "<", rhs, -np.inf)
        row_upper = np.where(sense != ">", rhs, np.inf)
        count = np.diff(rows.indptr)
        single = np.flatnonzero(count == 1)
        single_col = rows.indices[rows.indptr[single]]
        single_coef = rows.data[rows.indptr[single]]
        positive, lowest, highest = single_coef > 0, row_lower[single], row_upper[single]
        from_below = np.where(positive, lowest, highest) / single_coef
        from_above = np.where(positive, highest, lowest) / single_coef
        kept = np.flatnonzero(count > 1)
        lower, upper = col_lower.copy(), col_upper.copy()
        np.maximum.at(lower, single_col, from_below)
        np.minimum.at(upper, single_col, from_above)
        return cls(
            rows[kept],
            matrices.c,
            col_lower,
            col_upper,
            row_lower,
            row_upper,
            kept,
            single,
            single_col,
            single_coef,
            lower,
            upper,
        )

    def solve_components(
        self,
        held: np.ndarray,
        start: Vertex | None,
        options: dict,
        threads: int,
        released: np.ndarray | None = None,
        basis: bool = True,
        idle: Iterable[Slot] = (),
        beside: Callable[[], object] | None = None,
        partition: Partition | None = None,
        ahead: Callable[[], object] | None = None,
    ) -> Vertex | None:
        """The optimum of the folded LP with the ``held`` columns at their values in
        ``start`` (without one, at zero), solved as the blocks it then falls apart
        into, each from its part of the basis of ``start`` (which it takes over) or,
        without one, cold with presolve. With ``start``, only blocks holding a
        column ``released`` since are solved: the others are optimal.
        Without ``basis``, the blocks' bases are not kept (for the last stage).

        With ``start`` and no ``held`` columns, the whole LP is solved in one HiGHS
        run from the basis of ``start`` (:meth:`_solve_whole`), while the ``idle``
        arrays wait on disk and ``beside`` runs on a thread of its own.

        ``partition`` is the blocks of :meth:`partition` for ``held``, if found
        already; ``ahead`` is work done on this thread while the blocks are solved
        (e.g. the next stage's partition).

        None if a held column cannot be zero, a block has no optimum or, without
        ``start``, the LP does not fall apart into two or more blocks. With
        ``start``, if the held columns do not split the LP, ``start`` unchanged.
        """
        if start is not None and not len(held):
            return self._solve_whole(options, start, idle, beside)
        if start is None:
            value = np.zeros(len(held))
            if np.any(self.lower[held] > 0) or np.any(self.upper[held] < 0):
                return None
        else:  # within HiGHS's feasibility tolerance of its bounds: onto them
            value = np.clip(start.value[held], self.lower[held], self.upper[held])
        lower, upper = self.lower.copy(), self.upper.copy()
        lower[held] = upper[held] = value
        fixed = np.flatnonzero(lower == upper)
        shift = self.matrix @ np.where(lower == upper, lower, 0.0)
        part = self.partition(held) if partition is None else partition
        free, graph, col_label = part.free, part.graph, part.col_label
        empty = ~part.occupied
        if not self._within_bounds(np.flatnonzero(empty), shift):
            return None
        with_rows = part.with_rows
        if with_rows.sum() < 2 and (start is None or len(held)):
            return start

        if start is None:
            vertex = Vertex(
                col_status=np.full(len(self.cost), LOWER, dtype=np.int8),
                row_status=np.full(len(self.kept), BASIC, dtype=np.int8),
                value=lower.copy(),
                col_dual=self.cost.copy(),
                row_dual=np.zeros(len(self.kept)),
            )
        else:
            vertex = start  # taken over: the caller goes on with the result
        # A column in no row goes to the bound its cost prefers.
        alone = free[~with_rows[col_label]]
        toward_upper = self.cost[alone] < 0
        bound = np.where(toward_upper, upper[alone], lower[alone])
        if not np.all(np.isfinite(bound)):
            return None
        vertex.value[alone] = bound
        vertex.col_status[alone] = np.where(toward_upper, UPPER, LOWER)
        vertex.col_dual[alone] = self.cost[alone]

        def solve(block: int) -> bool:
            """Solve one block into ``vertex``; whether it has an optimum."""
            cols, rows = free[part.col_members[block]], part.row_members[block]
            entries = graph[rows]
            matrix = sp.csr_matrix(
                (entries.data, part.place[entries.indices], entries.indptr),
                shape=(len(rows), len(cols)),
            )
            del entries
            kept = self.kept[rows]
            col_bounds = (lower[cols], upper[cols])
            row_bounds = (self.row_lower[kept] - shift[rows], self.row_upper[kept] - shift[rows])
            solver = highs_of(options, matrix, self.cost[cols], col_bounds, row_bounds)
            del matrix
            return self._run(solver, vertex, start, (cols, col_bounds), (rows, row_bounds), basis)

        to_solve = with_rows.copy()
        if start is not None and released is not None:
            position = np.full(len(self.cost), -1)
            position[free] = np.arange(len(free))
            moved = position[released][position[released] >= 0]
            to_solve &= np.isin(np.arange(part.blocks), col_label[moved])
        if to_solve.sum() > 1 and threads > 1:
            with ThreadPoolExecutor(threads) as pool:  # HiGHS runs without the GIL
                solving = pool.map(solve, np.flatnonzero(to_solve))
                if ahead is not None:
                    ahead()
                optimal = list(solving)
        else:
            optimal = [solve(block) for block in np.flatnonzero(to_solve)]
            if ahead is not None:
                ahead()
        return_freed_memory()
        _log.debug(
            "%d blocks solved of %d; largest %d columns",
            to_solve.sum(),
            with_rows.sum(),
            np.bincount(col_label[with_rows[col_label]]).max(initial=0),
        )
        if not all(optimal):
            return None
        vertex.row_status[empty] = BASIC
        vertex.row_dual[empty] = 0.0
        return self._hold(vertex, lower, fixed)

    def _solve_whole(
        self,
        options: dict,
        vertex: Vertex,
        idle: Iterable[Slot],
        beside: Callable[[], object] | None,
    ) -> Vertex | None:
        """The last stage: the whole folded LP in one HiGHS run from the basis of
        ``vertex``, into it (without its basis), while the folded LP, ``vertex`` and
        the ``idle`` arrays wait on disk and ``beside`` runs (:func:`solve_whole`);
        None if it has no optimum."""
        movable = self.lower != self.upper
        free = np.flatnonzero(movable)
        shift = self.matrix @ np.where(movable, 0.0, self.lower)
        whole = LinearProgram(
            self.matrix[:, free].tocsr(),
            self.cost[free],
            self.lower[free],
            self.upper[free],
            self.row_lower[self.kept] - shift,
            self.row_upper[self.kept] - shift,
            vertex.col_status[free],
            vertex.row_status,
        )
        del shift
        idle = [*idle, *array_slots(self, self.matrix, vertex)]
        solution = solve_whole(whole, options, idle, beside)
        if solution is None:
            return None
        vertex.value[free], vertex.col_dual[free], vertex.row_dual[:] = solution
        return self._hold(vertex, self.lower, np.flatnonzero(~movable))

    def _run(
        self,
        solver: highspy.Highs,
        vertex: Vertex,
        start: Vertex | None,
        cols: tuple[np.ndarray, tuple[np.ndarray, np.ndarray]],
        rows: tuple[np.ndarray, tuple[np.ndarray, np.ndarray]],
        basis: bool,
    ) -> bool:
        """Run HiGHS on the block of ``cols`` and ``rows`` (each positions and their
        bounds in the block) it holds, from their part of the basis of ``start`` if
        any, into ``vertex`` (with its basis if ``basis``); whether it found an
        optimum."""
        import highspy

        (cols, col_bounds), (rows, row_bounds) = cols, rows
        if start is not None:
            set_basis(solver, start.col_status[cols], start.row_status[rows])
        solver.run()
        _log.debug(
            "block of %d columns: %.1f s, %d iterations",
            len(cols),
            solver.getRunTime(),
            solver.getInfo().simplex_iteration_count,
        )
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        solution = solution_arrays(solver)
        if basis:
            col_status, row_status = basis_after_run(solver, col_bounds, row_bounds, solution)
            vertex.col_status[cols], vertex.row_status[rows] = col_status, row_status
        vertex.value[cols], vertex.col_dual[cols], vertex.row_dual[rows], _ = solution
        return True

    def _hold(self, vertex: Vertex, lower: np.ndarray, fixed: np.ndarray) -> Vertex:
        """``vertex`` with the ``fixed`` columns at ``lower``, their reduced costs
        and their basis status for the next stage."""
        vertex.value[fixed] = lower[fixed]
        reduced = self.cost[fixed] - (self.matrix.T @ vertex.row_dual)[fixed]
        vertex.col_dual[fixed] = reduced
        # A held column starts the next stage nonbasic at the bound its reduced cost
        # prefers, even if it lies on the other one: then the basis is dual feasible
        # and HiGHS's dual simplex starts in its second phase (a column on the
        # wrong bound sends it into its first). A column of zero reduced cost stays
        # on the bound it lies on, or goes to its lower one. Where the chosen bound
        # is infinite the column is basic, one too many, which HiGHS mends (an
        # alien basis).
        col_lower, col_upper = self.lower[fixed], self.upper[fixed]
        indifferent = np.abs(reduced) <= _DUAL_TOLERANCE
        to_upper = np.where(
            indifferent, _on(lower[fixed], col_upper) | np.isinf(col_lower), reduced < 0
        )
        vertex.col_status[fixed] = np.where(
            to_upper,
            np.where(np.isfinite(col_upper), UPPER, BASIC),
            np.where(np.isfinite(col_lower), LOWER, BASIC),
        )
        return vertex

    def partition(self, held: np.ndarray) -> Partition:
        """The blocks the folded LP falls apart into with the ``held`` columns (and
        those fixed by their own bounds) at values, whatever the values."""
        movable = self.lower != self.upper
        movable[held] = False
        return Partition.of(self.matrix, np.flatnonzero(movable))

    def joining(self, held: np.ndarray) -> np.ndarray:
        """Those of the ``held`` columns that join the blocks the folded LP falls
        apart into without them all: holding only these, it falls apart into as
        many blocks, each grown by some of the others (e.g. of the hours between
        time windows, the storage levels and ramped outputs, not the power of
        every asset). Columns fixed by their own bounds are left out."""
        held = np.unique(held)
        movable = held[self.lower[held] != self.upper[held]]
        free = np.ones(len(self.cost), dtype=bool)
        free[held] = False
        free &= self.lower != self.upper
        blocks, row_label, col_label = components(self.matrix[:, np.flatnonzero(free)].tocsr())
        # A held column is released into the one block with free columns that its
        # rows reach, if no more than one, with the rows of held columns only that
        # it reaches: blocks are merged as columns are released (union-find), so
        # that no such row joins two blocks through two released columns.
        parent = np.arange(blocks)
        owner = np.full(blocks, -1)  # the block with free columns merged into each
        owner[col_label] = col_label

        def root(block: int) -> int:
            while parent[block] != block:
                parent[block] = parent[parent[block]]
                block = parent[block]
            return block

        by_col = self.matrix[:, movable].tocsc()
        keep = np.zeros(len(movable), dtype=bool)
        for j in range(len(movable)):
            rows = by_col.indices[by_col.indptr[j] : by_col.indptr[j + 1]]
            roots = {root(b) for b in row_label[rows].tolist()}
            owners = {owner[b] for b in roots} - {-1}
            if len(owners) > 1:
                keep[j] = True
                continue
            if roots:
                target = roots.pop()
                for b in roots:
                    parent[b] = target
                owner[target] = owners.pop() if owners else -1
        return movable[keep]

    def any_free(self, cols: np.ndarray) -> bool:
        """Whether any of ``cols`` may move within its folded bounds."""
        return bool(np.any(self.upper[cols] > self.lower[cols]))

    def _within_bounds(self, rows: np.ndarray, activity: np.ndarray) -> bool:
        """Whether ``activity`` [-] of the folded LP's ``rows`` is within their bounds."""
        kept = self.kept[rows]
        slack = _PRIMAL_TOLERANCE * np.maximum(1.0, np.abs(activity[rows]))
        return bool(
            np.all(activity[rows] >= self.row_lower[kept] - slack)
            and np.all(activity[rows] <= self.row_upper[kept] + slack)
        )

    def unfold(self, vertex: Vertex) -> tuple[np.ndarray, np.ndarray] | None:
        """The last step: values of the columns and duals of all rows of the LP as built.

        A column's reduced cost becomes the dual of a single-variable row that holds
        it at its bound, with the sign of that bound; a column held by a bound of
        its own keeps it. None if a reduced cost finds neither.
        """
        value, col_dual = vertex.value, vertex.col_dual
        row_dual = np.zeros(len(self.row_lower))
        row_dual[self.kept] = vertex.row_dual
        col = self.single_col
        activity = self.single_coef * value[col]
        dual = col_dual[col] / self.single_coef
        holds = (_on(activity, self.row_lower[self.single]) & (dual >= -_DUAL_TOLERANCE)) | (
            _on(activity, self.row_upper[self.single]) & (dual <= _DUAL_TOLERANCE)
        )
        holding = np.flatnonzero(holds)
        _, first = np.unique(col[holding], return_index=True)
        chosen = holding[first]
        row_dual[self.single[chosen]] = dual[chosen]
        held_by_row = np.zeros(len(value), dtype=bool)
        held_by_row[col[chosen]] = True
        own = (_on(value, self.col_lower) & (col_dual >= -_DUAL_TOLERANCE)) | (
            _on(value, self.col_upper) & (col_dual <= _DUAL_TOLERANCE)
        )
        if np.any((np.abs(col_dual) > _DUAL_TOLERANCE) & ~held_by_row & ~own):
            return None
        return value, row_dual


def _on(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Which ``values`` lie on their ``bounds`` (an infinite bound never)."""
    return np.abs(values - bounds) <= _BOUND_TOLERANCE * np.maximum(1.0, np.abs(values))
