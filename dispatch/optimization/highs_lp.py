"""A linopy model's LP in HiGHS, changed in place: where each PyPSA variable and
constraint of a component sits among HiGHS's columns and rows, and new costs, bounds,
right-hand sides and coefficients written there."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch.core.processes import quiet_stdout

if TYPE_CHECKING:
    import highspy
    import linopy

SOLVER_OPTIONS = {"output_flag": False, "dual_simplex_cost_perturbation_multiplier": 0.0}
"""HiGHS options of every solve unless the caller's options say otherwise: silent, and
the dual simplex without cost perturbation. The perturbation made HiGHS's pivot rows
dense on a reservoir with a backlog (each iteration took 2.4 times as long with it:
nordic's year 5.8 -> 2.3 s, the 20-site ring's first stage 40 -> 21 s); elsewhere it
changed little either way (benchmarks/README.md, "Cost perturbation")."""


class LpPositions:
    """Columns and rows of a linopy model in the HiGHS instances made from it.

    Parameters
    ----------
    model
        The linopy model; every :meth:`highs` instance of it shares these positions.
    """

    def __init__(self, model: linopy.Model) -> None:
        self.model = model
        matrices = model.matrices
        self.column_of = _inverse(matrices.vlabels)
        self.row_of = _inverse(matrices.clabels)
        self.column_lower = matrices.lb
        self.column_upper = matrices.ub
        self.column_cost = matrices.c
        self.row_sense = matrices.sense
        self._positions: dict[tuple[str, str], np.ndarray] = {}

    def highs(self, options: dict | None = None) -> highspy.Highs:
        """A new HiGHS instance holding the model's LP as it stands, with
        :data:`SOLVER_OPTIONS` and ``options`` over them."""
        with quiet_stdout():  # HiGHS prints its banner on creation
            highs = self.model.to_highspy()
        for option, value in {**SOLVER_OPTIONS, **(options or {})}.items():
            highs.setOptionValue(option, value)
        return highs

    def of(self, item: str, name: str) -> np.ndarray:
        """HiGHS columns (of linopy variable ``item``) or rows (of constraint ``item``)
        of component ``name``, one per snapshot; -1 where the model has none (masked)."""
        key = (item, name)
        if key not in self._positions:
            if item in self.model.variables:
                labels, position = self.model.variables[item].labels, self.column_of
            else:
                labels, position = self.model.constraints[item].labels, self.row_of
            self._positions[key] = position[labels.sel(name=name).values]
        return self._positions[key]


class LpChanges:
    """New costs, column bounds, row bounds and coefficients of an LP, by linopy variable
    or constraint and component name, one value per snapshot; :meth:`apply` writes them.

    Parameters
    ----------
    positions
        Where the model's variables and constraints sit in HiGHS.
    weights
        Objective weight of each snapshot [h]: a marginal cost per MWh times it is a
        column's cost.
    """

    def __init__(self, positions: LpPositions, weights: np.ndarray | float) -> None:
        self.positions, self.weights = positions, weights
        self.costs: list[tuple[np.ndarray, np.ndarray]] = []
        self.bounds: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []
        self.coefficients: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __bool__(self) -> bool:
        return bool(self.costs or self.bounds or self.rows or self.coefficients)

    def cost(self, variable: str, name: str, per_mwh: np.ndarray) -> None:
        """Marginal cost [currency/MWh] of each step's column (weighted by the step)."""
        self.costs.append((self.positions.of(variable, name), per_mwh * self.weights))

    def column_costs(self, columns: np.ndarray, costs: np.ndarray) -> None:
        """Costs of HiGHS columns ``columns`` as they stand in the objective (unweighted)."""
        self.costs.append((columns, costs))

    def column_upper(self, variable: str, name: str, upper: np.ndarray) -> None:
        """Upper bound of each step's column (its lower bound kept)."""
        columns = self.positions.of(variable, name)
        self.column_bounds(columns, self.positions.column_lower[columns], upper)

    def column_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Lower and upper bounds of HiGHS columns ``columns``."""
        self.bounds.append((columns, lower, upper))

    def row_bound(self, constraint: str, name: str, rhs: np.ndarray) -> None:
        """Right-hand side of each step's row (its sense kept); steps without a row
        (masked, e.g. a ramp limit's first step) are left out."""
        rows = self.positions.of(constraint, name)
        rhs = np.broadcast_to(rhs, rows.shape)
        present = rows >= 0
        self.rows.append((rows[present], rhs[present]))

    def coefficient(
        self, constraint: str, row_name: str, variable: str, column_name: str, values: np.ndarray
    ) -> None:
        """Coefficient of each step's column of ``column_name`` in that step's row of
        ``row_name``."""
        self.coefficients.append(
            (
                self.positions.of(constraint, row_name),
                self.positions.of(variable, column_name),
                values,
            )
        )

    def apply(self, highs: highspy.Highs) -> None:
        """Write the changes into ``highs`` (its basis kept)."""
        if self.costs:
            columns, costs = (np.concatenate(parts) for parts in zip(*self.costs, strict=True))
            highs.changeColsCost(len(columns), columns, costs)
        for columns, lower, upper in self.bounds:
            highs.changeColsBounds(len(columns), columns, lower, upper)
        if self.rows:
            rows, rhs = (np.concatenate(parts) for parts in zip(*self.rows, strict=True))
            sense = self.positions.row_sense[rows]
            lower = np.where(sense == "<", -np.inf, rhs)
            upper = np.where(sense == ">", np.inf, rhs)
            highs.changeRowsBounds(len(rows), rows, lower, upper)
        for rows, columns, values in self.coefficients:
            for row, column, value in zip(rows, columns, values, strict=True):
                highs.changeCoeff(int(row), int(column), float(value))


def _inverse(labels: np.ndarray) -> np.ndarray:
    """Position of each linopy label in the solver's columns or rows; -1 for none, and
    for label -1 (masked) too: the last entry."""
    position = np.full(int(labels.max()) + 2, -1, dtype=np.int32)
    position[labels] = np.arange(len(labels), dtype=np.int32)
    return position
