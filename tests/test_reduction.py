"""What makes the staged solve's last HiGHS run small: the reduction
(``dispatch.optimization.reduction``), whose columns fixed by equality rows are
eliminated and whose optimum maps back to an optimum of the LP, primal and dual; and
arrays spilled to disk meanwhile (``dispatch.optimization.spill``)."""

from __future__ import annotations

import types

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from dispatch.optimization import last_stage, spill
from dispatch.optimization.highs_arrays import (
    BASIC,
    UPPER,
    basis_after_run,
    highs_of,
    set_basis,
    solution_arrays,
)
from dispatch.optimization.last_stage import solve_whole
from dispatch.optimization.reduction import LinearProgram, drop_slack_columns, reduce_lp
from dispatch.optimization.spill import array_slots, spilled

HOURS = 48


def site_lp(facility_limit: float) -> LinearProgram:
    """A site over ``HOURS`` hours, as PyPSA writes it once bounds are folded.

    Columns per hour: grid supply ``g`` (priced), store level ``e``, store power
    ``p`` (free), facility ``f`` (up to ``facility_limit``) and compute ``c``
    (valued). Rows: the site's bus ``g + p - f = load``, the store's balance
    ``e_t - e_(t-1) + p_t = 0`` (cyclic) and the IT bus ``0.9 f - c = idle``,
    a row of two columns.
    """
    rng = np.random.default_rng(7)
    g, e, p, f, c = (np.arange(HOURS) + k * HOURS for k in range(5))
    hours = np.arange(HOURS)
    entries = [
        (hours, g, 1.0),
        (hours, p, 1.0),
        (hours, f, -1.0),
        (HOURS + hours, e, 1.0),
        (HOURS + hours, e[hours - 1], -1.0),
        (HOURS + hours, p, 1.0),
        (2 * HOURS + hours, f, 0.9),
        (2 * HOURS + hours, c, -1.0),
    ]
    rows = np.concatenate([row for row, _, _ in entries])
    cols = np.concatenate([col for _, col, _ in entries])
    values = np.concatenate([np.full(HOURS, value) for _, _, value in entries])
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(3 * HOURS, 5 * HOURS))
    price = 20 + 60 * rng.random(HOURS)
    cost = np.concatenate([price, np.zeros(2 * HOURS), np.zeros(HOURS), np.full(HOURS, -200.0)])
    lower = np.concatenate([np.zeros(2 * HOURS), np.full(HOURS, -np.inf), np.zeros(2 * HOURS)])
    upper = np.concatenate(
        [np.full(HOURS, 8.0), np.full(HOURS, 20.0), np.full(HOURS, np.inf)]
        + [np.full(HOURS, facility_limit), np.full(HOURS, 6.0)]
    )
    load = 1 + rng.random(HOURS)
    rhs = np.concatenate([load, np.zeros(HOURS), np.full(HOURS, 0.5)])
    statuses = np.zeros(5 * HOURS, dtype=np.int8), np.zeros(3 * HOURS, dtype=np.int8)
    return LinearProgram(matrix, cost, lower, upper, rhs, rhs.copy(), *statuses)


def solved(lp: LinearProgram, basis: bool) -> highspy.Highs:
    """HiGHS after solving ``lp`` (from its basis if ``basis``)."""
    solver = highs_of(
        {}, lp.matrix, lp.cost, (lp.col_lower, lp.col_upper), (lp.row_lower, lp.row_upper)
    )
    if basis:
        set_basis(solver, lp.col_status, lp.row_status)
    solver.run()
    assert solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return solver


def assert_optimal(
    lp: LinearProgram, value: np.ndarray, col_dual: np.ndarray, row_dual: np.ndarray
) -> None:
    """Primal and dual feasible and complementary (reduced cost = cost - A^T dual)."""
    activity = lp.matrix @ value
    assert np.all(activity >= lp.row_lower - 1e-7) and np.all(activity <= lp.row_upper + 1e-7)
    assert np.all(value >= lp.col_lower - 1e-7) and np.all(value <= lp.col_upper + 1e-7)
    np.testing.assert_allclose(col_dual, lp.cost - lp.matrix.T @ row_dual, atol=1e-7)
    above, below = value > lp.col_lower + 1e-7, value < lp.col_upper - 1e-7
    assert np.all(col_dual[above] <= 1e-7) and np.all(col_dual[below] >= -1e-7)
    inside_low, inside_high = activity > lp.row_lower + 1e-7, activity < lp.row_upper - 1e-7
    assert np.all(row_dual[inside_low] <= 1e-7) and np.all(row_dual[inside_high] >= -1e-7)


@pytest.mark.parametrize("facility_limit", [20.0, 4.0])
def test_reduced_optimum_maps_back_to_the_lps(facility_limit: float) -> None:
    # With a facility of 4 MW, its limit binds: HiGHS's basis holds compute basic
    # and the facility at its bound. Swapped, the facility is eliminated, compute lies
    # on the bound the facility passed on to it, and its reduced cost goes back to
    # the facility.
    lp = site_lp(facility_limit)
    cold = optimal_basis(lp)
    facility, compute = np.arange(3 * HOURS, 4 * HOURS), np.arange(4 * HOURS, 5 * HOURS)
    swap = (lp.col_status[facility] == UPPER) & (lp.col_status[compute] == BASIC)
    assert swap.any() == (facility_limit < 6)
    lp.col_status[facility[swap]], lp.col_status[compute[swap]] = BASIC, UPPER

    reduced, reduction = reduce_lp(lp)
    eliminated = 3 * HOURS - reduced.matrix.shape[0]
    assert eliminated >= HOURS  # at least the store's power, hour by hour
    assert reduced.matrix.shape[1] == 5 * HOURS - eliminated
    warm = solved(reduced, basis=True)
    assert warm.getInfo().simplex_iteration_count == 0  # the basis stays optimal
    value, col_dual, row_dual, _ = solution_arrays(warm)
    value, col_dual, row_dual = reduction.restore(value, col_dual, row_dual, lp.matrix)
    assert_optimal(lp, value, col_dual, row_dual)
    objective = cold.getInfo().objective_function_value
    assert lp.cost @ value == pytest.approx(objective, rel=1e-12)
    assert np.all(col_dual[facility[swap]] < -1e-6)  # the facility's bound binds


def optimal_basis(lp: LinearProgram) -> highspy.Highs:
    """HiGHS after a cold solve of ``lp``, whose basis it now starts from."""
    cold = solved(lp, basis=False)
    lp.col_status, lp.row_status = getbasis_codes(cold)
    return cold


def getbasis_codes(solver: highspy.Highs) -> tuple[np.ndarray, np.ndarray]:
    """The status codes of HiGHS's own ``getBasis``."""
    basis = solver.getBasis()
    return tuple(
        np.array([int(status) for status in statuses], dtype=np.int8)
        for statuses in (basis.col_status, basis.row_status)
    )


def varied_lp(seed: int) -> LinearProgram:
    """A random feasible LP with columns and rows of every kind of bounds: free,
    fixed, one-sided either way, boxed; equality and ranged rows."""
    rng = np.random.default_rng(seed)
    cols, rows = 60, 40
    matrix = sp.random(rows, cols, density=0.15, random_state=rng, format="csr")
    matrix = (matrix + sp.eye(rows, cols)).tocsr()
    point = rng.uniform(-1, 1, cols)
    kind = rng.integers(0, 5, cols)
    inf = np.inf
    col_lower = np.choose(kind, [-inf, point, point - 1, -inf, point - 2])
    col_upper = np.choose(kind, [inf, point, inf, point + 1, point + 2])
    activity = matrix @ point
    kind = rng.integers(0, 4, rows)
    row_lower = np.choose(kind, [activity, activity - 1, -inf, activity - 3])
    row_upper = np.choose(kind, [activity, inf, activity + 1, activity + 0.5])
    cost = rng.normal(size=cols)  # the objective bounded below:
    cost[np.isinf(col_upper)] = np.abs(cost[np.isinf(col_upper)])
    cost[np.isinf(col_lower)] = -np.abs(cost[np.isinf(col_lower)])
    cost[np.isinf(col_lower) & np.isinf(col_upper)] = 0.0
    statuses = np.zeros(cols, dtype=np.int8), np.zeros(rows, dtype=np.int8)
    return LinearProgram(matrix, cost, col_lower, col_upper, row_lower, row_upper, *statuses)


@pytest.mark.parametrize("facility_limit", [20.0, 4.0])
def test_slack_columns_map_back(facility_limit: float) -> None:
    # Grid supply is alone in the site's bus row, compute in the IT bus row: both
    # become those rows' slacks, whose ranges and costs the rows take over.
    lp = site_lp(facility_limit)
    cold = optimal_basis(lp)
    reduced, slack = drop_slack_columns(lp)
    assert reduced.matrix.shape == (3 * HOURS, 3 * HOURS)
    warm = solved(reduced, basis=True)
    assert warm.getInfo().simplex_iteration_count == 0  # the basis stays optimal
    value, col_dual, row_dual = slack.restore(*solution_arrays(warm))
    assert_optimal(lp, value, col_dual, row_dual)
    assert lp.cost @ value == pytest.approx(cold.getInfo().objective_function_value, rel=1e-12)


def test_whole_lp_is_solved_reduced() -> None:
    lp = site_lp(4.0)
    objective = optimal_basis(lp).getInfo().objective_function_value
    idle = types.SimpleNamespace(levels=np.arange(300_000.0))
    value, col_dual, row_dual = solve_whole(lp, {}, [(idle, "levels")])
    assert_optimal(lp, value, col_dual, row_dual)
    assert lp.cost @ value == pytest.approx(objective, rel=1e-12)
    np.testing.assert_array_equal(idle.levels, np.arange(300_000.0))


@pytest.mark.parametrize(
    ("options", "pricing"), [({}, 1), ({"simplex_dual_edge_weight_strategy": 2}, 2)]
)
def test_whole_lp_prices_with_devex_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, options: dict, pricing: int
) -> None:
    """The last run prices with Devex (``LAST_RUN_OPTIONS``); the caller's options go
    over it, and either way it reaches the optimum."""
    given = []

    def recorded(*args, **kwargs) -> highspy.Highs:
        solver = highs_of(*args, **kwargs)
        _, value = solver.getOptionValue("simplex_dual_edge_weight_strategy")
        given.append(value)
        return solver

    monkeypatch.setattr(last_stage, "highs_of", recorded)
    lp = site_lp(4.0)
    objective = optimal_basis(lp).getInfo().objective_function_value
    value, col_dual, row_dual = last_stage.solve_whole(lp, options, [])
    assert given == [pricing]
    assert_optimal(lp, value, col_dual, row_dual)
    assert lp.cost @ value == pytest.approx(objective, rel=1e-12)


def test_nothing_to_eliminate_without_a_basic_pivot_column() -> None:
    lp = site_lp(20.0)  # every column nonbasic
    assert reduce_lp(lp) is None


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("presolve", ["on", "off"])
def test_basis_after_run_is_highs_own(seed: int, presolve: str) -> None:
    """The basis read without HiGHS's lists is the one ``getBasis`` gives, code for
    code, with and without presolve (whose postsolved basis may lack a factored one)."""
    lp = varied_lp(seed)
    solver = highs_of(
        {"presolve": presolve},
        lp.matrix,
        lp.cost,
        (lp.col_lower, lp.col_upper),
        (lp.row_lower, lp.row_upper),
    )
    solver.run()
    assert solver.getModelStatus() == highspy.HighsModelStatus.kOptimal
    expected_cols, expected_rows = getbasis_codes(solver)
    cols, rows = basis_after_run(
        solver,
        (lp.col_lower, lp.col_upper),
        (lp.row_lower, lp.row_upper),
        solution_arrays(solver),
    )
    np.testing.assert_array_equal(cols, expected_cols)
    np.testing.assert_array_equal(rows, expected_rows)


def test_set_basis_takes_a_basis_as_it_is_or_as_an_alien_one() -> None:
    """An optimal basis goes in as it is (no iteration left); one with a basic
    column too many goes in as an alien basis, which HiGHS trims and solves from."""
    lp = varied_lp(3)
    bounds = (lp.col_lower, lp.col_upper), (lp.row_lower, lp.row_upper)
    cold = highs_of({"presolve": "off"}, lp.matrix, lp.cost, *bounds)
    cold.run()
    col_status, row_status = basis_after_run(cold, *bounds, solution_arrays(cold))
    objective = cold.getInfo().objective_function_value
    warm = highs_of({}, lp.matrix, lp.cost, *bounds)
    set_basis(warm, col_status, row_status)
    warm.run()
    assert warm.getInfo().simplex_iteration_count == 0
    one_too_many = col_status.copy()
    one_too_many[np.flatnonzero(col_status != BASIC)[0]] = BASIC
    trimmed = highs_of({}, lp.matrix, lp.cost, *bounds)
    set_basis(trimmed, one_too_many, row_status)
    trimmed.run()
    assert trimmed.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert trimmed.getInfo().objective_function_value == pytest.approx(objective, rel=1e-9)


def test_basis_after_run_without_a_factored_basis_reads_highs_lists() -> None:
    """Where HiGHS holds no factored basis, its own lists are read after all."""
    lp = varied_lp(0)
    bounds = (lp.col_lower, lp.col_upper), (lp.row_lower, lp.row_upper)
    solver = highs_of({}, lp.matrix, lp.cost, *bounds)
    solver.run()

    class Unfactored:
        def getBasicVariables(self) -> tuple:  # noqa: N802 (HiGHS's name)
            return highspy.HighsStatus.kError, np.array([], dtype=np.int32)

        def getBasis(self) -> highspy.HighsBasis:  # noqa: N802
            return solver.getBasis()

    nothing = np.zeros(0)
    cols, rows = basis_after_run(Unfactored(), *bounds, (nothing,) * 4)
    expected_cols, expected_rows = getbasis_codes(solver)
    np.testing.assert_array_equal(cols, expected_cols)
    np.testing.assert_array_equal(rows, expected_rows)


def test_spilled_arrays_come_back_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrays held by their slot alone (or views of a base held by nothing else)
    wait on disk within the block; one held elsewhere too stays in memory."""
    # Written even where this machine's temporary folder is in memory (tmpfs).
    monkeypatch.setattr(spill, "_on_disk", lambda folder: True)
    lp = site_lp(20.0)
    held_elsewhere = np.arange(300_000.0)
    view_base = np.arange(600_000.0)
    slots = types.SimpleNamespace(
        alone=np.arange(200_000, dtype=np.int64),
        view=view_base[::2],
        shared=held_elsewhere,
        transposed=np.arange(240_000.0).reshape(20, 30, 400).transpose(2, 0, 1),
        fortran=np.asfortranarray(np.arange(200_000.0).reshape(400, 500)),
    )
    del view_base
    expected = {name: np.array(value) for name, value in vars(slots).items()}
    layouts = {name: value.strides for name, value in vars(slots).items()}
    matrix_data = lp.matrix.data.copy()
    names = ("alone", "view", "shared", "transposed", "fortran")
    with spilled([*((slots, name) for name in names), *array_slots(lp.matrix)]) as spilling:
        spilling.settled()
        assert slots.alone.strides == (0,) and slots.view.strides == (0,)
        assert slots.transposed.strides == (0, 0, 0) and slots.fortran.strides == (0, 0)
        assert slots.shared is held_elsewhere
    for name, value in expected.items():
        np.testing.assert_array_equal(getattr(slots, name), value)
    # Read back in the layout they had (the view's base was not kept: contiguous).
    assert slots.transposed.strides == layouts["transposed"]
    assert slots.fortran.strides == layouts["fortran"]
    np.testing.assert_array_equal(lp.matrix.data, matrix_data)
