"""Columns that equality rows determine, eliminated before HiGHS's run of a whole LP.

HiGHS's dual simplex holds about half a kilobyte per row of the LP it solves, so the
last stage of the staged solve (:mod:`dispatch.optimization.staged`), one run over
the whole LP, sets the peak memory of a large study. Many of its rows only pass a
flow along: a store's energy balance fixes its power, a free column, from its
levels; a bus with one Link in and one out (a data centre's IT bus) fixes one Link's
flow from the other's. Each such equality row and the column it fixes are taken out
by substitution, as HiGHS's presolve would (which a warm start skips):

``x_j = (b_r - sum_k a_rk x_k) / a_rj``

replaces the pivot column ``x_j`` in every other row and in the cost; a bounded
``x_j`` (only in a row of two columns) passes its bounds on to its partner. With the
pivot column basic and the pivot row nonbasic in the starting basis, the rest of the
basis is a basis of the reduced LP with the same duals, so a dual-feasible start
stays dual feasible. The solution of the reduced LP is mapped back exactly: the
pivot column's value from its row, the pivot row's dual from the pivot column's
reduced cost (zero unless the column lies on a bound that it passed on).

Pivots do not interact: no pivot row holds another pivot's column, so every
substitution is in terms of columns that stay.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from dispatch.optimization.highs_arrays import BASIC, LOWER, UPPER

_MAX_FREE_PIVOT_ROW = 3
"""Most columns in the row of a free pivot column [-]: each of the others enters
the pivot column's other row (a store's levels at two hours and its power)."""

_MIN_PIVOT_RATIO = 1e-2
"""Smallest pivot coefficient relative to the largest of its row [-], against
round-off in the substituted rows."""

_BOUND_TOLERANCE = 1e-9
"""Relative distance of a value from a bound that counts as on it [-]."""


@dataclasses.dataclass
class LinearProgram:
    """An LP ``min cost x`` with ``row_lower <= matrix x <= row_upper`` and
    ``col_lower <= x <= col_upper``, and a basis to start it from."""

    matrix: sp.csr_matrix
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_status: np.ndarray
    """HiGHS basis status codes of the columns."""
    row_status: np.ndarray


@dataclasses.dataclass
class Reduction:
    """How a reduced LP came from an LP, and how its solution maps back."""

    kept_cols: np.ndarray
    kept_rows: np.ndarray
    pivot_cols: np.ndarray
    pivot_rows: np.ndarray
    coefficient: np.ndarray
    """Of each pivot column in its row."""
    pivot_cost: np.ndarray
    substitution: sp.csr_matrix
    """Pivot columns in terms of the kept columns (their positions among them)."""
    offset: np.ndarray
    """``x_pivot = substitution @ x_kept + offset``."""
    partner: np.ndarray
    """Of each pivot: the position among the kept columns of its partner, the other
    column of its row, if the pivot is bounded; -1 if free."""
    partner_bounds: tuple[np.ndarray, np.ndarray]
    """Of each bounded pivot's partner: its own bounds, before the pivot's."""

    def restore(
        self, value: np.ndarray, col_dual: np.ndarray, row_dual: np.ndarray, matrix: sp.spmatrix
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The original LP's primal values, reduced costs and row duals from those of
        the reduced LP's optimum; ``matrix`` is the original LP's (not kept here, so
        that it need not be held while HiGHS runs)."""
        full_value = np.empty(len(self.kept_cols) + len(self.pivot_cols))
        full_value[self.kept_cols] = value
        pivot_value = self.substitution @ value + self.offset
        full_value[self.pivot_cols] = pivot_value
        pivot_dual = np.zeros(len(self.pivot_cols))
        # A bounded pivot on a bound it passed on to its partner takes over the
        # partner's reduced cost: the partner, off its own bounds, has none.
        bounded = np.flatnonzero(self.partner >= 0)
        partner = self.partner[bounded]
        partner_value, partner_dual = value[partner], col_dual[partner]
        partner_lower, partner_upper = self.partner_bounds
        on_own = (_on(partner_value, partner_lower) & (partner_dual >= 0)) | (
            _on(partner_value, partner_upper) & (partner_dual <= 0)
        )
        moved = bounded[~on_own & (partner_dual != 0)]
        moved_partner = self.partner[moved]
        # d_partner = d~_partner - d_pivot * (x_pivot per x_partner) = 0
        slope = self.substitution.data[self.substitution.indptr[moved]]
        pivot_dual[moved] = col_dual[moved_partner] / slope
        full_col_dual = np.empty(len(full_value))
        full_col_dual[self.kept_cols] = col_dual
        full_col_dual[self.kept_cols[moved_partner]] = 0.0
        full_col_dual[self.pivot_cols] = pivot_dual
        full_row_dual = np.zeros(matrix.shape[0])
        full_row_dual[self.kept_rows] = row_dual
        # The pivot column is in no other pivot row: its reduced cost gives its row's dual.
        others = matrix.T @ full_row_dual
        full_row_dual[self.pivot_rows] = (
            self.pivot_cost - others[self.pivot_cols] - pivot_dual
        ) / self.coefficient
        return full_value, full_col_dual, full_row_dual


def reduce_lp(lp: LinearProgram) -> tuple[LinearProgram, Reduction] | None:
    """The LP with the columns that its equality rows determine eliminated, and how
    to map its solution back; None if there is nothing to eliminate."""
    pivot_rows, pivot_cols = _pivots(lp)
    if not len(pivot_rows):
        return None
    matrix = lp.matrix
    is_pivot_col = np.zeros(matrix.shape[1], dtype=bool)
    is_pivot_col[pivot_cols] = True
    kept_cols = np.flatnonzero(~is_pivot_col)
    is_pivot_row = np.zeros(matrix.shape[0], dtype=bool)
    is_pivot_row[pivot_rows] = True
    kept_rows = np.flatnonzero(~is_pivot_row)
    position = np.full(matrix.shape[1], -1)
    position[kept_cols] = np.arange(len(kept_cols))

    # x_j = b_r / a_rj - sum_k (a_rk / a_rj) x_k over the other columns k of row r.
    pivot_part = matrix[pivot_rows]
    coefficient = _entries(matrix, pivot_rows, pivot_cols)
    owner = np.repeat(np.arange(len(pivot_rows)), np.diff(pivot_part.indptr))
    others = pivot_part.indices != pivot_cols[owner]
    substitution = sp.csr_matrix(
        (
            -pivot_part.data[others] / coefficient[owner[others]],
            (owner[others], position[pivot_part.indices[others]]),
        ),
        shape=(len(pivot_rows), len(kept_cols)),
    )
    offset = lp.row_lower[pivot_rows] / coefficient
    del pivot_part, owner, others

    rest = matrix[kept_rows]
    into = rest[:, pivot_cols]
    reduced_matrix = (rest[:, kept_cols] + into @ substitution).tocsr()
    reduced_matrix.eliminate_zeros()
    shift = into @ offset
    del rest, into
    reduced_cost = lp.cost[kept_cols] + substitution.T @ lp.cost[pivot_cols]

    # A bounded pivot column is alone with its partner in its row: its bounds bound
    # the partner through x_j = slope x_partner + offset.
    partner = np.full(len(pivot_cols), -1)
    bounded = np.flatnonzero(
        np.isfinite(lp.col_lower[pivot_cols]) | np.isfinite(lp.col_upper[pivot_cols])
    )
    col_lower, col_upper = lp.col_lower[kept_cols], lp.col_upper[kept_cols]
    by_row = substitution[bounded]
    partner[bounded] = by_row.indices
    own_bounds = (col_lower[by_row.indices], col_upper[by_row.indices])
    if len(bounded):
        slope = by_row.data
        low = (lp.col_lower[pivot_cols[bounded]] - offset[bounded]) / slope
        high = (lp.col_upper[pivot_cols[bounded]] - offset[bounded]) / slope
        rising = slope > 0
        col_lower[partner[bounded]] = np.maximum(
            col_lower[partner[bounded]], np.where(rising, low, high)
        )
        col_upper[partner[bounded]] = np.minimum(
            col_upper[partner[bounded]], np.where(rising, high, low)
        )
    reduced = LinearProgram(
        reduced_matrix,
        reduced_cost,
        col_lower,
        col_upper,
        lp.row_lower[kept_rows] - shift,
        lp.row_upper[kept_rows] - shift,
        lp.col_status[kept_cols],
        lp.row_status[kept_rows],
    )
    reduction = Reduction(
        kept_cols,
        kept_rows,
        pivot_cols,
        pivot_rows,
        coefficient,
        lp.cost[pivot_cols],
        substitution,
        offset,
        partner,
        own_bounds,
    )
    return reduced, reduction


@dataclasses.dataclass
class SlackColumns:
    """Columns alone in an equality row, taken out as that row's slack: the row
    keeps their range, the other columns of the row take over their cost."""

    kept_cols: np.ndarray
    cols: np.ndarray
    """The columns taken out."""
    rows: np.ndarray
    """Their rows."""
    coefficient: np.ndarray
    """Of each column in its row."""
    rhs: np.ndarray
    """Of each row, before it took over its column's range."""
    cost: np.ndarray
    """Of each column taken out."""

    def restore(
        self, value: np.ndarray, col_dual: np.ndarray, row_dual: np.ndarray, row_value: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The LP's primal values, reduced costs and row duals from those of the
        optimum without the slack columns, and its rows' activities."""
        full_value = np.empty(len(self.kept_cols) + len(self.cols))
        full_value[self.kept_cols] = value
        full_value[self.cols] = (self.rhs - row_value[self.rows]) / self.coefficient
        full_col_dual = np.empty(len(full_value))
        full_col_dual[self.kept_cols] = col_dual
        full_col_dual[self.cols] = -self.coefficient * row_dual[self.rows]
        full_row_dual = row_dual.copy()
        full_row_dual[self.rows] += self.cost / self.coefficient
        return full_value, full_col_dual, full_row_dual


def drop_slack_columns(lp: LinearProgram) -> tuple[LinearProgram, SlackColumns] | None:
    """The LP without the columns that are alone in a nonbasic equality row (one
    per row), and how to map its solution back; None if there are none.

    With ``a x_j + sum_k a_k x_k = b``, the row's activity without ``x_j`` ranges
    over ``b - a [l_j, u_j]`` and the other columns take over ``x_j``'s cost,
    ``c_k - c_j a_k / a``. The row is basic where ``x_j`` was, else on the bound
    that ``x_j``'s bound becomes: the duals, hence dual feasibility, stay.
    """
    matrix = lp.matrix
    by_col = matrix.tocsc()
    single = np.flatnonzero(np.diff(by_col.indptr) == 1)
    rows = by_col.indices[by_col.indptr[single]]
    coefficient = by_col.data[by_col.indptr[single]]
    largest = abs(matrix).max(axis=1).toarray().ravel()
    usable = (
        (lp.row_lower[rows] == lp.row_upper[rows])
        & (lp.row_status[rows] != BASIC)
        & (np.abs(coefficient) >= _MIN_PIVOT_RATIO * largest[rows])
    )
    status = lp.col_status[single]
    bound = np.where(status == UPPER, lp.col_upper[single], lp.col_lower[single])
    usable &= (status == BASIC) | (np.isin(status, (LOWER, UPPER)) & np.isfinite(bound))
    single, rows, coefficient = single[usable], rows[usable], coefficient[usable]
    _, first = np.unique(rows, return_index=True)
    cols, rows, coefficient = single[first], rows[first], coefficient[first]
    if not len(cols):
        return None
    kept_cols = np.flatnonzero(~np.isin(np.arange(matrix.shape[1]), cols))
    rhs = lp.row_lower[rows]
    # Each row's other columns take over the cost: c_k - c_j a_k / a.
    shares = sp.csr_matrix(
        (-lp.cost[cols] / coefficient, (rows, np.zeros(len(rows), dtype=int))),
        shape=(matrix.shape[0], 1),
    )
    cost = lp.cost + (matrix.T @ shares).toarray().ravel()
    row_lower, row_upper = lp.row_lower.copy(), lp.row_upper.copy()
    below, above = rhs - coefficient * lp.col_lower[cols], rhs - coefficient * lp.col_upper[cols]
    rising = coefficient > 0
    row_lower[rows], row_upper[rows] = (
        np.where(rising, above, below),
        np.where(rising, below, above),
    )
    status = lp.col_status[cols]
    row_status = lp.row_status.copy()
    at_lower_activity = (status == UPPER) == rising
    row_status[rows] = np.where(status == BASIC, BASIC, np.where(at_lower_activity, LOWER, UPPER))
    reduced = LinearProgram(
        matrix[:, kept_cols],
        cost[kept_cols],
        lp.col_lower[kept_cols],
        lp.col_upper[kept_cols],
        row_lower,
        row_upper,
        lp.col_status[kept_cols],
        row_status,
    )
    return reduced, SlackColumns(kept_cols, cols, rows, coefficient, rhs, lp.cost[cols])


def _pivots(lp: LinearProgram) -> tuple[np.ndarray, np.ndarray]:
    """Pivot rows and their columns: a basic column in two rows at most, fixed by a
    nonbasic equality row, either free (in a row of up to three columns) or alone
    with one partner in its row; no pivot row holds another pivot's column, and no
    column is the partner of two pivots."""
    matrix = lp.matrix
    by_col = matrix.tocsc()
    row_count = np.diff(matrix.indptr)
    col_count = np.diff(by_col.indptr)
    free = np.isinf(lp.col_lower) & np.isinf(lp.col_upper)
    equality = (lp.row_lower == lp.row_upper) & (lp.row_status != BASIC)
    row_of = np.repeat(np.arange(matrix.shape[0]), row_count)
    col_of, coefficient = matrix.indices, np.abs(matrix.data)
    largest = np.zeros(matrix.shape[0])
    np.maximum.at(largest, row_of, coefficient)
    candidate = (
        equality[row_of]
        & (lp.col_status[col_of] == BASIC)
        & (col_count[col_of] <= 2)
        & (coefficient >= _MIN_PIVOT_RATIO * largest[row_of])
        & np.where(free[col_of], row_count[row_of] <= _MAX_FREE_PIVOT_ROW, row_count[row_of] == 2)
    )
    entries = np.flatnonzero(candidate)
    # One pivot per row (its first candidate), one per column (its shortest row).
    entries = entries[np.unique(row_of[entries], return_index=True)[1]]
    entries = entries[np.lexsort((row_count[row_of[entries]], col_of[entries]))]
    entries = entries[np.unique(col_of[entries], return_index=True)[1]]
    rows, cols = row_of[entries], col_of[entries]
    # Drop pivots whose row holds another pivot's column, or whose bounded column
    # shares its partner with another, until none is left.
    while True:
        is_pivot = np.zeros(matrix.shape[1], dtype=bool)
        is_pivot[cols] = True
        part = matrix[rows]
        hits = np.add.reduceat(is_pivot[part.indices], part.indptr[:-1]) if len(rows) else []
        clash = np.asarray(hits) > 1
        bounded = ~free[cols]
        partner = np.where(bounded, _partner(part, cols), -1)
        taken = partner[bounded]
        shared = np.zeros(len(rows), dtype=bool)
        shared[bounded] = np.isin(taken, _duplicated(taken))
        drop = clash | shared
        if not drop.any():
            return rows, cols
        rows, cols = rows[~drop], cols[~drop]


def _partner(part: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
    """Of rows of two columns each (``part``), the column other than ``cols``."""
    first = part.indices[part.indptr[:-1]]
    second = part.indices[np.minimum(part.indptr[:-1] + 1, len(part.indices) - 1)]
    return np.where(first == cols, second, first)


def _duplicated(values: np.ndarray) -> np.ndarray:
    """Which ``values`` occur more than once."""
    unique, counts = np.unique(values, return_counts=True)
    return unique[counts > 1]


def _entries(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows[i], cols[i]]`` for each i."""
    return np.asarray(matrix[rows, cols]).ravel()


def _on(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Which ``values`` lie on their ``bounds`` (an infinite bound never)."""
    return np.abs(values - bounds) <= _BOUND_TOLERANCE * np.maximum(1.0, np.abs(values))
