"""HiGHS given an LP as NumPy arrays: the LP passed in one call, a basis by its
status codes and read back as codes after a run, and the memory HiGHS frees handed
back to the system.

Used by the staged solve (:mod:`dispatch.optimization.staged`), whose blocks and
reduced LPs are cut from one matrix and passed as arrays (assigning them to a
``HighsLp`` converts them element by element, and HiGHS's own basis comes as a list
of Python objects), and by the flexibility envelope
(:mod:`dispatch.exchange.envelope`), which passes the first window LP of each run
with :func:`pass_lp` and then moves it inside HiGHS.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import highspy

LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3
"""HiGHS's basis status codes (``highspy.HighsBasisStatus``)."""


def highs_of(
    options: dict,
    matrix: sp.spmatrix,
    cost: np.ndarray,
    col_bounds: tuple[np.ndarray, np.ndarray],
    row_bounds: tuple[np.ndarray, np.ndarray],
) -> highspy.Highs:
    """HiGHS holding the LP ``min cost x`` over ``matrix``, with its options, output off."""
    import highspy

    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    for name, value in options.items():
        solver.setOptionValue(name, value)
    pass_lp(solver, matrix, cost, col_bounds, row_bounds)
    return solver


def pass_lp(
    solver: highspy.Highs,
    matrix: sp.spmatrix,
    cost: np.ndarray,
    col_bounds: tuple[np.ndarray, np.ndarray],
    row_bounds: tuple[np.ndarray, np.ndarray],
) -> None:
    """Give ``solver`` the LP ``min cost x`` over ``matrix`` in place of the one it holds."""
    import highspy

    matrix = matrix.tocsc()
    solver.passModel(
        matrix.shape[1],
        matrix.shape[0],
        matrix.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        *col_bounds,
        *row_bounds,
        matrix.indptr.astype(np.int32, copy=False),
        matrix.indices.astype(np.int32, copy=False),
        matrix.data,
        np.zeros(matrix.shape[1], dtype=np.int32),  # every column continuous
    )


def basis_after_run(
    solver: highspy.Highs,
    col_bounds: tuple[np.ndarray, np.ndarray],
    row_bounds: tuple[np.ndarray, np.ndarray],
    solution: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """The status codes of HiGHS's basis after a run, as ``getBasis`` gives them,
    of the columns and the rows, without its lists of enum members (a Python object
    per row and column, about half a microsecond each, holding the lock).

    Which columns and rows are basic, HiGHS says (``getBasicVariables``, where it
    holds a factored basis; else its lists are read after all); a nonbasic
    one lies on the bound it is at, and one whose bounds are equal is at its lower
    unless its dual is negative (a row's: positive), as HiGHS reports it; a free
    one is ``ZERO``. ``solution`` is as :func:`solution_arrays` returns it.
    """
    import highspy

    status, basic = solver.getBasicVariables()
    if status != highspy.HighsStatus.kOk:
        statuses = solver.getBasis()
        return _codes(statuses.col_status), _codes(statuses.row_status)
    col_value, col_dual, row_dual, row_value = solution
    col_status = _nonbasic(col_value, *col_bounds, col_dual < 0)
    row_status = _nonbasic(row_value, *row_bounds, row_dual > 0)
    basic = np.asarray(basic)
    col_status[basic[basic >= 0]] = BASIC
    row_status[-1 - basic[basic < 0]] = BASIC
    return col_status, row_status


def _codes(statuses: list) -> np.ndarray:
    """HiGHS's basis statuses (enum members) as their codes."""
    return np.fromiter(map(int, statuses), dtype=np.int8, count=len(statuses))


def _nonbasic(
    value: np.ndarray, lower: np.ndarray, upper: np.ndarray, fixed_at_upper: np.ndarray
) -> np.ndarray:
    """The status of nonbasic columns or rows by the bound their ``value`` lies on."""
    status = np.where(np.abs(value - upper) < np.abs(value - lower), UPPER, LOWER)
    status[lower == upper] = np.where(fixed_at_upper, UPPER, LOWER)[lower == upper]
    status[np.isinf(lower) & np.isinf(upper)] = ZERO
    return status.astype(np.int8)


def set_basis(solver: highspy.Highs, col_status: np.ndarray, row_status: np.ndarray) -> None:
    """Start ``solver`` from the basis of the columns' and rows' status codes.

    With one basic column or row per row, HiGHS takes it as it is (and factors it
    when it runs); else, or if HiGHS refuses it, as an alien basis, which HiGHS
    completes or trims first, at the cost of a factorisation of its own (0.7 s of
    the 20-site ring's last run).
    """
    import highspy

    by_code = np.empty(len(highspy.HighsBasisStatus.__members__), dtype=object)
    for member in highspy.HighsBasisStatus.__members__.values():
        by_code[int(member)] = member
    basis = highspy.HighsBasis()
    basis.col_status = by_code[col_status].tolist()
    basis.row_status = by_code[row_status].tolist()
    basic = np.count_nonzero(col_status == BASIC) + np.count_nonzero(row_status == BASIC)
    basis.alien = basic != len(row_status)
    if not basis.alien and solver.setBasis(basis) == highspy.HighsStatus.kOk:
        return
    basis.alien = True
    solver.setBasis(basis)


def return_freed_memory() -> None:
    """Hand memory freed by HiGHS back to the system (glibc keeps it otherwise), so
    that the next stage's LP does not come on top of the last one's."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def solution_arrays(solver: highspy.Highs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """HiGHS's solution: the columns' values and reduced costs, the rows' duals and
    activities (one list from HiGHS at a time: for a large LP each is big)."""
    solution = solver.getSolution()
    return (
        np.asarray(solution.col_value),
        np.asarray(solution.col_dual),
        np.asarray(solution.row_dual),
        np.asarray(solution.row_value),
    )
