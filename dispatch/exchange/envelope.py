"""The flexibility envelope: how far a site's grid import could move from its plan.

Definition. Let x* be the flexible run's solution (the plan) of the study's LP, the
linopy model PyPSA builds from the network. For each step t and a window half-width
H, the envelope's edges are

    import_max_t = max import_t     and     import_min_t = min import_t

over every x that satisfies every constraint of that LP and equals x* at each step
outside the window [t - H, t + H] (and in every variable without a step, such as
optimised capacities). Inside the window everything may adapt: work served and
deferred, interruptible work, storage, geothermal, local curtailment and export.
States at the window's edges (backlog, storage levels, the output that ramp limits
start from) are thus held at the plan's values, and the window's solution spliced
into x* is a feasible solution of the whole study: each edge can be delivered without
changing the plan outside the window. Costs play no part; an edge is what is
possible, not what is cheap. ``import_up = import_max - plan`` and ``import_down =
plan - import_min`` are the headroom reported to the partner; each holds for one step
at a time (two steps' headroom need not be available together).

Computation: each edge is a small LP over the columns of the window, with the rows of
the model's constraint matrix that touch them and every other variable fixed to x*
(moved into the row bounds), solved with HiGHS's primal simplex. The steps are cut
into one run of consecutive steps per core, solved side by side. A run holds its
window's LP in one HiGHS instance and moves it a step at a time, in place (the
columns of the step that leaves are deleted, those of the step that enters added, the
bounds of the rows they touch changed), so that each window starts from the basis
HiGHS ends the previous one with.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse

from dispatch.core.errors import ScenarioError
from dispatch.core.processes import quiet_stdout, usable_cores
from dispatch.model.flexibility import is_offer_variable
from dispatch.model.tariff import DEMAND_PEAK, billed_peaks
from dispatch.optimization.highs_arrays import pass_lp

if TYPE_CHECKING:
    import highspy
    import linopy
    import pypsa

    from dispatch.scenario.study import Study

DEFAULT_WINDOW_H = 24.0
"""Default window half-width H [h]."""
TOLERANCE = 1e-6
"""Largest violation of a row by the plan, relative to 1 + |right-hand side|, or of a
column bound, accepted [-]."""


def envelope_of_network(
    n: pypsa.Network,
    site: str,
    window_h: float = DEFAULT_WINDOW_H,
    source: str = "network",
    study: Study | None = None,
) -> pd.DataFrame:
    """The flexibility envelope of a site's grid import around a solved network's plan.

    Parameters
    ----------
    n
        The solved network of the flexible run; its linopy model is rebuilt (replacing
        any ``n.model``).
    site
        The site whose import is moved.
    window_h
        Half-width H of the window the plan may adapt in [h]; a multiple of the step.
    source
        Name of the network's file or origin, for errors.
    study
        The study solved: adds the constraints :func:`dispatch.solve` puts on the
        model beyond the network (sized idle draw, carbon targets).

    Returns
    -------
    pandas.DataFrame
        Indexed by snapshot (UTC): ``grid_import`` (the plan), ``import_min``,
        ``import_max``, ``import_up`` and ``import_down`` [MW].
    """
    step_h = float(n.snapshot_weightings.objective.iloc[0])
    half = window_h / step_h
    if half < 0 or half != int(half):
        raise ScenarioError(
            source, "window_h", f"{window_h:g} h is not a whole number of {step_h:g} h steps"
        )
    names = n.links.index[(n.links.carrier == "grid_import") & (n.links.bus1 == site)]
    if not len(names):
        raise ScenarioError(source, f"sites.{site}.grid", "the site has no grid connection")
    from dispatch.model.linopy_model import build_model  # linopy: only when computed

    m = build_model(n, study)
    lp = _WindowedLP(m, n, source)
    imports = lp.positions("Link-p", names[0])
    edges = lp.edges(imports, int(half), usable_cores())
    plan = lp.x[imports] / lp.scaling[imports] + 0.0  # no -0
    upper = np.maximum(edges[:, 0] / lp.scaling[imports], plan)
    lower = np.minimum(edges[:, 1] / lp.scaling[imports], plan) + 0.0
    return pd.DataFrame(
        {
            "grid_import": plan,
            "import_min": lower,
            "import_max": upper,
            "import_up": upper - plan,
            "import_down": plan - lower,
        },
        index=pd.DatetimeIndex(n.snapshots).tz_localize("UTC").rename("time"),
    )


class _WindowedLP:
    """The model's LP in matrix form with the plan as a point, cut into windows of steps.

    Columns are ordered by step (those without a step first: they never enter a
    window), so that each window is a contiguous range of columns.

    Attributes
    ----------
    x
        The plan, one value per column (solver-scaled).
    scaling
        Column scaling of the solver's units [-].
    first
        First column of each step; ``first[T]`` is the number of columns.
    columns, row_wise
        The rows of more than one entry (the others are column bounds), by column
        and by row.
    """

    def __init__(self, m: linopy.Model, n: pypsa.Network, source: str) -> None:
        matrices = m.matrices
        self.model = m
        x, step = _plan(m, n, source)
        order = np.argsort(step, kind="stable")
        self.rank = np.empty_like(order)
        self.rank[order] = np.arange(len(order))
        self.first = np.searchsorted(step[order], np.arange(len(n.snapshots) + 1))
        self.scaling = matrices.var_scaling[order]
        self.x = (x * matrices.var_scaling)[order]
        rows = scipy.sparse.csr_array(matrices.A)[:, order]
        lower = np.where(matrices.sense == "<", -np.inf, matrices.b)
        upper = np.where(matrices.sense == ">", np.inf, matrices.b)
        col_lower, col_upper = matrices.lb[order], matrices.ub[order]
        activity = rows @ self.x
        violation = np.maximum(lower - activity, activity - upper)
        if np.any(violation > TOLERANCE * (1 + np.abs(matrices.b))) or np.any(
            np.maximum(col_lower - self.x, self.x - col_upper) > TOLERANCE
        ):
            raise ScenarioError(
                source, "", "its solution does not satisfy its own model (edited or not solved?)"
            )
        # Rows of one entry are bounds (PyPSA writes fixed capacities so): as column
        # bounds they leave each window's LP about half the rows.
        single = np.flatnonzero(np.diff(rows.indptr) == 1)
        col, coef = rows.indices[rows.indptr[single]], rows.data[rows.indptr[single]]
        ends = np.sort(np.stack([lower[single] / coef, upper[single] / coef]), axis=0)
        self.col_lower, self.col_upper = col_lower.copy(), col_upper.copy()
        np.maximum.at(self.col_lower, col, ends[0])
        np.minimum.at(self.col_upper, col, ends[1])
        keep = np.diff(rows.indptr) > 1
        self.columns = scipy.sparse.csc_array(rows[keep])
        self.row_wise = scipy.sparse.csr_array(rows[keep])
        self.row_lower, self.row_upper = lower[keep], upper[keep]
        self.activity = activity[keep]

    def positions(self, variable: str, name: str) -> np.ndarray:
        """Column of a variable of component ``name`` at every step."""
        labels = self.model.variables[variable].labels.sel(name=name).values
        return self.rank[self.model.variables.label_index.label_to_pos[labels]]

    def edges(self, targets: np.ndarray, half: int, threads: int = 1) -> np.ndarray:
        """Largest and smallest value of column ``targets[t]`` in the window of each t.

        The steps are cut into up to ``threads`` runs of consecutive steps, solved
        side by side (HiGHS runs without the GIL), one HiGHS instance each.

        Returns
        -------
        numpy.ndarray
            Shape (T, 2): maximum and minimum, solver-scaled.
        """
        import highspy

        found = np.empty((len(targets), 2))
        cuts = np.linspace(0, len(targets), max(1, min(threads, len(targets))) + 1).astype(int)
        runs = [range(start, stop) for start, stop in zip(cuts[:-1], cuts[1:], strict=True)]
        with quiet_stdout():
            solvers = [highspy.Highs() for _ in runs]
        stop = threading.Event()  # a failed or interrupted run ends the others

        def solve(solver: highspy.Highs, steps: range) -> None:
            try:
                self._edges_of(solver, targets, half, steps, found, stop)
            except BaseException:
                stop.set()
                raise

        if len(runs) == 1:
            solve(solvers[0], runs[0])
            return found
        with ThreadPoolExecutor(len(runs)) as pool:
            try:
                list(pool.map(solve, solvers, runs))
            except BaseException:
                stop.set()
                raise
        return found

    def _edges_of(
        self,
        highs: highspy.Highs,
        targets: np.ndarray,
        half: int,
        steps: range,
        found: np.ndarray,
        stop: threading.Event,
    ) -> None:
        """:meth:`edges` of the ``steps`` into ``found``, one after the other in
        ``highs``, each window moved on from the previous one, until ``stop``."""
        import highspy

        highs.setOptionValue("output_flag", False)
        # From the previous window's basis, or the other edge's optimum, the primal
        # simplex needs less than half the dual simplex's iterations.
        highs.setOptionValue("simplex_strategy", 4)
        window = _MovingWindow(self, highs)
        for t in steps:
            if stop.is_set():
                return
            lo, hi = self.first[max(0, t - half)], self.first[min(len(targets), t + half + 1)]
            window.move(lo, hi, targets[t])
            for k, sense in enumerate((highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize)):
                highs.changeObjectiveSense(sense)
                highs.run()
                model_status = highs.getModelStatus()
                if model_status != highspy.HighsModelStatus.kOptimal:
                    raise RuntimeError(
                        f"envelope LP of step {t}: {highs.modelStatusToString(model_status)}"
                    )
                found[t, k] = highs.getInfo().objective_function_value

    def _window(self, lo: int, hi: int, target: int) -> tuple:
        """The LP of columns lo..hi-1, the rest fixed to the plan; cost 1 on ``target``.

        Returns its matrix, cost, column and row bounds (as
        :func:`~dispatch.optimization.highs_arrays.pass_lp` takes them) and its rows'
        positions in the model's rows (ascending).
        """
        indptr = self.columns.indptr[lo : hi + 1]
        entries = slice(indptr[0], indptr[-1])
        rows, local = np.unique(self.columns.indices[entries], return_inverse=True)
        data = self.columns.data[entries]
        inside = np.bincount(
            local, weights=data * np.repeat(self.x[lo:hi], np.diff(indptr)), minlength=len(rows)
        )
        fixed = self.activity[rows] - inside
        cost = np.zeros(hi - lo)
        cost[target - lo] = 1.0
        matrix = scipy.sparse.csc_array(
            (data, local.astype(np.int32), (indptr - indptr[0]).astype(np.int32)),
            shape=(len(rows), hi - lo),
        )
        col_bounds = self.col_lower[lo:hi], self.col_upper[lo:hi]
        row_bounds = self.row_lower[rows] - fixed, self.row_upper[rows] - fixed
        return matrix, cost, col_bounds, row_bounds, rows


class _MovingWindow:
    """The LP of a window of columns (:meth:`_WindowedLP._window`) held in one HiGHS
    instance and moved forward in place, so that HiGHS keeps its basis of the columns
    and rows the windows share.

    Attributes
    ----------
    rows
        The model rows HiGHS holds, in HiGHS's order.
    position
        HiGHS's position of each model row, -1 where it holds none.
    """

    def __init__(self, lp: _WindowedLP, highs: highspy.Highs) -> None:
        self.lp, self.highs = lp, highs
        self.lo = self.hi = self.target = 0
        self.rows = np.empty(0, dtype=np.int64)
        self.position = np.full(len(lp.row_lower), -1, dtype=np.int64)

    def move(self, lo: int, hi: int, target: int) -> None:
        """Hold the LP of columns lo..hi-1 with cost 1 on ``target``; ``lo`` and ``hi``
        no lower than the last window's."""
        import highspy

        lp, highs, columns = self.lp, self.highs, self.lp.columns
        if lo >= self.hi:  # nothing shared: the window's LP given whole
            matrix, cost, col_bounds, row_bounds, rows = lp._window(lo, hi, target)
            pass_lp(highs, matrix, cost, col_bounds, row_bounds)
            self._hold(rows)
            self.lo, self.hi, self.target = lo, hi, target
            return
        changed, held, fixed = self._changed_rows(lo, hi)
        leaving = changed[~held & (self.position[changed] >= 0)]
        entering = changed[held & (self.position[changed] < 0)]
        none = np.empty(0, dtype=np.int32)
        infinite = np.full(len(entering), np.inf)
        entries = slice(columns.indptr[self.hi], columns.indptr[hi])
        statuses = [
            highs.deleteCols(lo - self.lo, np.arange(lo - self.lo, dtype=np.int32)),
            highs.deleteRows(len(leaving), np.sort(self.position[leaving]).astype(np.int32)),
            highs.addRows(len(entering), -infinite, infinite, 0, none, none, np.empty(0)),
        ]
        self.position[leaving] = -1
        self._hold(np.concatenate([self.rows[self.position[self.rows] >= 0], entering]))
        statuses.append(
            highs.addCols(
                hi - self.hi,
                np.zeros(hi - self.hi),
                lp.col_lower[self.hi : hi],
                lp.col_upper[self.hi : hi],
                entries.stop - entries.start,
                (columns.indptr[self.hi : hi] - entries.start).astype(np.int32),
                self.position[columns.indices[entries]].astype(np.int32),
                columns.data[entries],
            )
        )
        rows = changed[held]
        order = np.argsort(self.position[rows])  # HiGHS takes a set in ascending order
        statuses.append(
            highs.changeRowsBounds(
                len(rows),
                self.position[rows][order].astype(np.int32),
                (lp.row_lower[rows] - fixed[held])[order],
                (lp.row_upper[rows] - fixed[held])[order],
            )
        )
        if lo <= self.target:
            statuses.append(highs.changeColCost(int(self.target - lo), 0.0))
        statuses.append(highs.changeColCost(int(target - lo), 1.0))
        if any(status != highspy.HighsStatus.kOk for status in statuses):
            raise RuntimeError(f"HiGHS refused to move the envelope's window LP: {statuses}")
        self.lo, self.hi, self.target = lo, hi, target

    def _changed_rows(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows whose columns in the window change when it moves to lo..hi-1 (those
        of the columns that leave or enter it; every other row keeps its columns and its
        bounds), whether each has a column in the new window, and the activity of its
        columns outside it at the plan."""
        lp, columns, rows = self.lp, self.lp.columns, self.lp.row_wise
        changed = np.unique(
            np.concatenate(
                [
                    columns.indices[columns.indptr[self.lo] : columns.indptr[lo]],
                    columns.indices[columns.indptr[self.hi] : columns.indptr[hi]],
                ]
            )
        )
        start, count = rows.indptr[changed], np.diff(rows.indptr)[changed]
        entries = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
        column = rows.indices[entries]
        inside = (column >= lo) & (column < hi)
        of_row = np.repeat(np.arange(len(changed)), count)[inside]
        held = np.bincount(of_row, minlength=len(changed)) > 0
        # Summed in the order of the model's columns, as _window sums: the same bounds.
        inner = rows.data[entries][inside] * lp.x[column[inside]]
        fixed = lp.activity[changed] - np.bincount(of_row, inner, minlength=len(changed))
        return changed, held, fixed

    def _hold(self, rows: np.ndarray) -> None:
        """Record that HiGHS holds ``rows``, in this order."""
        self.position[self.rows] = -1
        self.rows = rows
        self.position[rows] = np.arange(len(rows))


def _plan(m: linopy.Model, n: pypsa.Network, source: str) -> tuple[np.ndarray, np.ndarray]:
    """The solved network's value of every model column, and the column's step (-1: none).

    PyPSA writes variable ``Component-attr`` to the component's time series ``attr``
    (``p0`` for the ``p`` of branches) or, without a snapshot dimension, to the static
    ``attr_opt``. A network read from netCDF lacks the series its export left out,
    those equal to the attribute's default at every step (a reservoir that never
    pumps, a link that never runs): they read as that default. A network without an
    objective was never solved and has no plan.
    """
    if not n.is_solved:
        raise ScenarioError(source, "", "holds no solution of its model (not solved)")
    label_to_pos = m.variables.label_index.label_to_pos
    size = len(m.matrices.vlabels)
    x, step = np.full(size, np.nan), np.full(size, -1)
    for name, variable in m.variables.items():
        labels = variable.labels
        if name == DEMAND_PEAK:
            active = labels.values != -1
            x[label_to_pos[labels.values[active]]] = billed_peaks(n)[active]
            continue
        if is_offer_variable(n, name):  # 0 at every step, held outside the windows
            x[label_to_pos[labels.values[labels.values != -1]]] = 0.0
            continue
        component, attr = name.split("-", 1)
        others = [d for d in labels.dims if d != "snapshot"]
        if len(others) != 1:
            raise ScenarioError(source, name, f"cannot read the plan of dimensions {labels.dims}")
        data = n.components[component]
        if "snapshot" in labels.dims:
            labels = labels.transpose("snapshot", others[0])
            series = "p0" if attr == "p" and component in n.branch_components else attr
            values = (
                data.dynamic[series]
                .reindex(index=labels.indexes["snapshot"])
                .reindex(
                    columns=labels.indexes[others[0]],
                    fill_value=data.defaults.at[series, "default"],
                )
                .to_numpy(dtype=float)
            )
            steps = np.broadcast_to(np.arange(labels.shape[0])[:, None], labels.shape)
        else:
            values = data.static[f"{attr}_opt"].reindex(labels.indexes[others[0]]).to_numpy(float)
            steps = np.full(labels.shape, -1)
        active = labels.values != -1
        positions = label_to_pos[labels.values[active]]
        x[positions], step[positions] = values[active], steps[active]
    if np.isnan(x).any():
        raise ScenarioError(source, "", "holds no complete solution of its model (not solved?)")
    return x, step
