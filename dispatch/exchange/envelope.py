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
(moved into the row bounds), solved with HiGHS's primal simplex; the steps reuse one
solver instance, each window starting from the previous window's basis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.processes import quiet_stdout
from dispatch.model.flexibility import is_offer_variable
from dispatch.model.tariff import DEMAND_PEAK, billed_peaks

if TYPE_CHECKING:
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
    edges = lp.edges(imports, int(half))
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
    """

    def __init__(self, m: linopy.Model, n: pypsa.Network, source: str) -> None:
        import scipy.sparse

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
        self.row_lower, self.row_upper = lower[keep], upper[keep]
        self.activity = activity[keep]

    def positions(self, variable: str, name: str) -> np.ndarray:
        """Column of a variable of component ``name`` at every step."""
        labels = self.model.variables[variable].labels.sel(name=name).values
        return self.rank[self.model.variables.label_index.label_to_pos[labels]]

    def edges(self, targets: np.ndarray, half: int) -> np.ndarray:
        """Largest and smallest value of column ``targets[t]`` in the window of each t.

        Returns
        -------
        numpy.ndarray
            Shape (T, 2): maximum and minimum, solver-scaled.
        """
        import highspy

        with quiet_stdout():
            highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        # From the previous window's basis, or the other edge's optimum, the primal
        # simplex needs less than half the dual simplex's iterations.
        highs.setOptionValue("simplex_strategy", 4)
        steps = len(targets)
        found = np.empty((steps, 2))
        status = np.array([highspy.HighsBasisStatus(k) for k in range(5)], dtype=object)
        previous = None
        for t, target in enumerate(targets):
            window = self.first[max(0, t - half)], self.first[min(steps, t + half + 1)]
            lp, rows = self._window(*window, target)
            highs.passModel(*lp)
            if previous is not None:
                bounds = self.col_lower[slice(*window)], self.col_upper[slice(*window)]
                highs.setBasis(_shifted_basis(previous, window, rows, bounds, status))
            for k, sense in enumerate((highspy.ObjSense.kMaximize, highspy.ObjSense.kMinimize)):
                highs.changeObjectiveSense(sense)
                highs.run()
                model_status = highs.getModelStatus()
                if model_status != highspy.HighsModelStatus.kOptimal:
                    raise RuntimeError(
                        f"envelope LP of step {t}: {highs.modelStatusToString(model_status)}"
                    )
                found[t, k] = highs.getInfo().objective_function_value
            basis = highs.getBasis()
            previous = (
                window,
                rows,
                np.array(basis.col_status, dtype=object),
                np.array(basis.row_status, dtype=object),
            )
        return found

    def _window(self, lo: int, hi: int, target: int) -> tuple[tuple, np.ndarray]:
        """The LP of columns lo..hi-1, the rest fixed to the plan; cost 1 on ``target``.

        Returns the arguments of ``Highs.passModel`` for it (column-wise, minimised)
        and its rows' positions in the model's rows (ascending).
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
        lp = (
            *(hi - lo, len(rows), len(data), _COLUMN_WISE, _MINIMISE, 0.0),
            cost,
            self.col_lower[lo:hi],
            self.col_upper[lo:hi],
            self.row_lower[rows] - fixed,
            self.row_upper[rows] - fixed,
            (indptr - indptr[0]).astype(np.int32),
            local.astype(np.int32),
            data,
            np.zeros(hi - lo, dtype=np.int32),  # continuous
        )
        return lp, rows


_COLUMN_WISE, _MINIMISE = 1, 1
"""``highspy.MatrixFormat.kColwise`` and ``highspy.ObjSense.kMinimize``."""


def _shifted_basis(
    previous: tuple,
    window: tuple[int, int],
    rows: np.ndarray,
    col_bounds: tuple[np.ndarray, np.ndarray],
    status: np.ndarray,
) -> object:
    """A start for a window's LP from the basis of the previous window's LP.

    Columns and rows both windows hold keep their status; new rows are basic and new
    columns sit at a finite bound. The count of basic variables may then be off: HiGHS
    repairs such an "alien" basis. ``status`` holds the ``HighsBasisStatus`` by value.
    """
    import highspy

    (lo_p, hi_p), rows_p, col_p, row_p = previous
    lo, hi = window
    lower, upper = col_bounds
    col = status[np.where(np.isfinite(lower), 0, np.where(np.isfinite(upper), 2, 3))]
    shared = slice(max(lo, lo_p), min(hi, hi_p))
    col[shared.start - lo : shared.stop - lo] = col_p[shared.start - lo_p : shared.stop - lo_p]
    kept = np.isin(rows, rows_p, assume_unique=True)
    row = np.full(len(rows), status[1])
    row[kept] = row_p[np.searchsorted(rows_p, rows[kept])]
    basis = highspy.HighsBasis()
    basis.col_status = list(col)
    basis.row_status = list(row)
    basis.alien = True
    basis.valid = True
    return basis


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
