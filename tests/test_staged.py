"""The staged solve of sites joined by routes (``dispatch.optimization.staged``): its primal and
dual solution is optimal for the LP as built (checked on the optimality conditions),
its optimum is the cold solve's, and where a site cannot stand alone the solve falls
back to a cold start."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from threading import get_ident

import linopy
import numpy as np
import pandas as pd
import pypsa
import pytest
import scipy.sparse as sp

import dispatch.optimization.solve
from conftest import DATA
from dispatch import load_study, solve
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network
from dispatch.optimization.highs_arrays import BASIC, LOWER, UPPER
from dispatch.optimization.solve import (
    SOLVER_OPTIONS,
    _solve_run,
    _solve_staged,
    _to_baseline,
)
from dispatch.optimization.staged import (
    FoldedLp,
    Vertex,
    solve_staged,
)
from dispatch.scenario.load import read_scenario, study_from_scenario
from dispatch.scenario.study import Study
from dispatch.testing import assert_invariants

EXAMPLE = Path(__file__).parents[1] / "networks" / "multi-site"

COLD = {**SOLVER_OPTIONS, "solver": "simplex"}
"""Options that name HiGHS's solver, which turns the staged start off."""


def built(study: Study, run: str) -> pypsa.Network:
    """The network and model of one run of ``study``, not yet solved."""
    n = build_network(study)
    build_model(n, study)
    if run == "baseline":
        _to_baseline(n)
    return n


def by_label(items: Iterable, attribute: str, size: int) -> np.ndarray:
    """Values of linopy variables or constraints (``attribute``) by their labels."""
    values = np.full(size, np.nan)
    for _, item in items.items():
        labels = item.labels.values.ravel()
        values[labels[labels >= 0]] = getattr(item, attribute).values.ravel()[labels >= 0]
    return values


def assert_optimal(n: pypsa.Network) -> None:
    """Assert that the solution on ``n.model`` is optimal for the LP as built: primal
    and dual feasible, complementary, with the dual's objective equal to the primal's
    (HiGHS's sign convention: reduced cost = cost - A^T dual)."""
    model = n.model
    lp = model.to_highspy().getLp()
    shape = (lp.num_row_, lp.num_col_)
    arrays = (lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_)
    matrix = sp.csr_matrix(arrays, shape=shape)
    x = by_label(model.variables, "solution", model._xCounter)
    x = x[model.variables.label_index.vlabels]
    y = by_label(model.constraints, "dual", model._cCounter)
    y = y[model.constraints.label_index.clabels]
    cost, activity = np.asarray(lp.col_cost_), matrix @ x
    row_lower, row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    scale = 1e-6 * np.maximum(1.0, np.abs(activity))
    assert np.all(activity >= row_lower - scale) and np.all(activity <= row_upper + scale)
    assert np.all(x >= col_lower - 1e-6) and np.all(x <= col_upper + 1e-6)
    on_lower, on_upper = activity <= row_lower + scale, activity >= row_upper - scale
    assert np.all(y[~on_lower] <= 1e-7) and np.all(y[~on_upper] >= -1e-7)
    reduced = cost - matrix.T @ y
    free = (x > col_lower + 1e-6) & (x < col_upper - 1e-6)
    assert np.abs(reduced[free]).max(initial=0) <= 1e-6
    y, reduced = np.where(np.abs(y) > 1e-7, y, 0.0), np.where(np.abs(reduced) > 1e-6, reduced, 0)
    bound_part = col_lower[reduced > 0] @ reduced[reduced > 0]
    bound_part += col_upper[reduced < 0] @ reduced[reduced < 0]
    row_part = row_lower[y > 0] @ y[y > 0] + row_upper[y < 0] @ y[y < 0]
    assert row_part + bound_part == pytest.approx(cost @ x, rel=1e-9)


@pytest.mark.parametrize("run", ["flexible", "baseline"])
@pytest.mark.parametrize(("folder", "hours"), [(DATA / "two_sites", None), (EXAMPLE, 72)])
def test_staged_solution_is_optimal_for_the_whole_lp(
    folder: Path, hours: int | None, run: str
) -> None:
    study = load_study(folder, hours=hours)
    staged, cold = built(study, run), built(study, run)
    assert _solve_staged(staged, study, SOLVER_OPTIONS)
    assert not _solve_staged(cold, study, COLD)
    _solve_run(cold, study, run, COLD)

    assert_optimal(staged)
    assert staged.objective == pytest.approx(cold.objective, rel=1e-9)


def blocks_per_stage(study: Study, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Solve the flexible run of ``study`` staged, check it against a cold solve and
    the optimality conditions, and return how many blocks each stage solved."""
    staged, cold = built(study, "flexible"), built(study, "flexible")
    with caplog.at_level(logging.DEBUG, logger="dispatch.optimization"):
        assert _solve_staged(staged, study, SOLVER_OPTIONS)
    _solve_run(cold, study, "flexible", COLD)
    assert_optimal(staged)
    assert staged.objective == pytest.approx(cold.objective, rel=1e-9)
    messages = [record.getMessage() for record in caplog.records]
    return [message.split(";")[0] for message in messages if "blocks solved" in message]


def test_routes_released_window_by_window(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Windows of 24 h in the example's 72 h: the routes are released in three
    # windows side by side (hours 23 and 47 held, and 71, which a cyclic store joins
    # to hour 0), then the whole LP is solved from their basis.
    monkeypatch.setattr(dispatch.optimization.solve, "HOURS_PER_WINDOW", 24)
    study = load_study(EXAMPLE, hours=72)
    assert blocks_per_stage(study, caplog) == [
        "5 blocks solved of 5",
        "3 blocks solved of 3",
        "1 blocks solved of 1",
    ]
    assert_invariants(solve(study))


def test_windows_that_do_not_split_are_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A site's CFE target is one row over all its hours: the sites stand alone, but
    # no window does, so the routes are released on the whole LP at once.
    source = EXAMPLE / "scenario.yaml"
    scenario = read_scenario(source)
    sites = {
        name: site.model_copy(update={"cfe_target": 0.1}) for name, site in scenario.sites.items()
    }
    study = study_from_scenario(scenario.model_copy(update={"sites": sites}), source, hours=72)
    monkeypatch.setattr(dispatch.optimization.solve, "HOURS_PER_WINDOW", 24)
    assert blocks_per_stage(study, caplog) == ["5 blocks solved of 5", "1 blocks solved of 1"]


def test_two_sites_staged_optimum_is_the_hand_worked_one() -> None:
    # tests/test_multisite.py works out the flexible optimum of two_sites: 612 EUR.
    study = load_study(DATA / "two_sites")
    n = built(study, "flexible")
    assert _solve_staged(n, study, SOLVER_OPTIONS)
    assert n.objective == pytest.approx(612, rel=1e-9)


def test_a_site_that_needs_its_routes_is_solved_cold(tmp_path: Path) -> None:
    # city's grid (1 MW) cannot carry its 2 MW of firm work: without the route to
    # sunny the LP has no solution, so the first stage fails and HiGHS starts cold.
    folder = Path(shutil.copytree(DATA / "two_sites", tmp_path / "two_sites"))
    scenario = folder / "scenario.yaml"
    text = scenario.read_text()
    old = "grid: {import_limit_mw: 10, import_price: 100}"
    assert old in text
    scenario.write_text(text.replace(old, "grid: {import_limit_mw: 1, import_price: 100}"))
    study = load_study(folder)
    n = built(study, "flexible")
    routes = n.links.index[n.links.carrier == "route"]
    joining = n.model.variables["Link-p"].labels.sel(name=list(routes)).values.ravel()
    assert solve_staged(n.model, [joining], SOLVER_OPTIONS) is None

    _solve_run(n, study, "flexible", SOLVER_OPTIONS)
    assert_optimal(n)
    assert n.links_t.p[routes].sum(axis=1).min() >= 1 - 1e-6  # firm work moved each hour


def test_topology_found_beside_the_last_stage_is_post_processing_own() -> None:
    # The staged solve finds the network's sub-networks while its last HiGHS run
    # goes; post-processing then keeps them: the same as a cold solve finds after.
    study = load_study(EXAMPLE, hours=72)
    staged, cold = built(study, "flexible"), built(study, "flexible")
    assert _solve_staged(staged, study, SOLVER_OPTIONS)
    _solve_run(cold, study, "flexible", COLD)
    found, expected = staged.c.sub_networks.static, cold.c.sub_networks.static
    assert len(found) == len(staged.buses) > 1
    pd.testing.assert_frame_equal(found.drop(columns="obj"), expected.drop(columns="obj"))
    pd.testing.assert_series_equal(staged.buses.sub_network, cold.buses.sub_network)
    pd.testing.assert_frame_equal(staged.buses_t.v_ang, cold.buses_t.v_ang)
    # Known already (the baseline on the same network, without a fork): kept.
    kept = list(found.obj)
    assert _solve_staged(staged, study, SOLVER_OPTIONS)
    assert all(a is b for a, b in zip(staged.c.sub_networks.static.obj, kept, strict=True))


def test_work_meanwhile_runs_once_on_its_own_thread_and_its_error_is_raised() -> None:
    study = load_study(DATA / "two_sites")
    n = built(study, "flexible")
    routes = n.links.index[n.links.carrier == "route"]
    joining = n.model.variables["Link-p"].labels.sel(name=list(routes)).values.ravel()
    threads: list[int] = []
    result = solve_staged(
        n.model, [joining], SOLVER_OPTIONS, meanwhile=lambda: threads.append(get_ident())
    )
    assert result is not None and result.solution.objective == pytest.approx(612, rel=1e-9)
    assert len(threads) == 1 and threads[0] != get_ident()

    def fails() -> None:
        raise RuntimeError("topology failed")

    with pytest.raises(RuntimeError, match="topology failed"):
        solve_staged(built(study, "flexible").model, [joining], SOLVER_OPTIONS, meanwhile=fails)


def test_one_site_is_solved_cold() -> None:
    study = load_study(Path(__file__).parents[1] / "networks" / "olkaria", hours=24)
    assert not _solve_staged(built(study, "flexible"), study, SOLVER_OPTIONS)


def test_folded_bounds_are_the_tightest_of_each_column() -> None:
    """Single-variable rows fold into the tightest bounds of their column, whatever
    the sign of the coefficient; rows of two variables stay rows."""
    model = linopy.Model()
    items = pd.RangeIndex(3, name="item")
    x = model.add_variables(0, 10, coords=[items], name="x")
    y = model.add_variables(-np.inf, np.inf, name="y")
    model.add_constraints(x >= 1, name="at_least_1")
    model.add_constraints(2 * x >= pd.Series([4, 0, 12], index=items), name="at_least")
    model.add_constraints(-x >= -7, name="at_most_7")
    model.add_constraints(-4 * y <= 8, name="y_at_least_minus_2")
    model.add_constraints(x.sum() + y <= 20, name="joint")
    model.add_objective(x.sum() + y)
    folded = FoldedLp.of(model)
    positions = model.variables.label_index.label_to_pos
    cols = positions[np.append(x.labels.values, y.labels.item())]
    np.testing.assert_array_equal(folded.lower[cols], [2, 1, 6, -2])
    np.testing.assert_array_equal(folded.upper[cols], [7, 7, 7, np.inf])
    assert folded.matrix.shape[0] == 1  # the joint row alone


def test_only_held_columns_that_join_windows_stay_held() -> None:
    """Of the columns of the hour between two windows, only the storage level joins
    them: the power and spill of that hour are in rows of one window and of that
    hour alone, so the windows stay apart without holding them."""
    model = linopy.Model()
    hours = pd.RangeIndex(4, name="snapshot")
    level = model.add_variables(0, 10, coords=[hours], name="level")
    power = model.add_variables(0, 5, coords=[hours], name="power")
    spill = model.add_variables(0, 5, coords=[hours], name="spill")
    model.add_constraints(power + spill == 3, name="inflow")
    model.add_constraints(level.isel(snapshot=0) - power.isel(snapshot=0) == 1, name="initial")
    later = hours[1:]
    model.add_constraints(
        level.sel(snapshot=later)
        - level.shift(snapshot=1).sel(snapshot=later)
        - power.sel(snapshot=later)
        == 0,
        name="balance",
    )
    model.add_objective(spill.sum())
    folded = FoldedLp.of(model)
    positions = model.variables.label_index.label_to_pos
    between = [variable.labels.sel(snapshot=1).item() for variable in (level, power, spill)]
    joining = folded.joining(positions[np.array(between)])
    np.testing.assert_array_equal(joining, positions[[level.labels.sel(snapshot=1).item()]])


def test_last_stage_starts_dual_feasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The basis the last stage starts from is dual feasible: every nonbasic column
    at the bound its reduced cost prefers, every basic one of zero reduced cost."""
    monkeypatch.setattr(dispatch.optimization.solve, "HOURS_PER_WINDOW", 24)
    starts = []
    solve_components = FoldedLp.solve_components

    def recorded(self: FoldedLp, held: np.ndarray, start: Vertex | None, *args, **kwargs):
        if start is not None and not len(held):
            movable = self.lower != self.upper
            starts.append((start.col_status[movable], start.col_dual[movable]))
        return solve_components(self, held, start, *args, **kwargs)

    monkeypatch.setattr(FoldedLp, "solve_components", recorded)
    study = load_study(EXAMPLE, hours=72)
    assert _solve_staged(built(study, "flexible"), study, SOLVER_OPTIONS)
    [(status, reduced)] = starts
    assert np.all(reduced[status == LOWER] >= -1e-7)
    assert np.all(reduced[status == UPPER] <= 1e-7)
    assert np.abs(reduced[status == BASIC]).max() <= 1e-7
