"""Variants solved one after another by a VariantSolver, which keeps the built LP and
writes only the numbers that change, reach what a fresh ``solve`` of each reaches:
the same key figures (to 1e-6), the same LP (every cost, bound, right-hand side and
coefficient), the invariants of MODEL.md §7, the same result files; a change of
structure falls back to building anew."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import xarray as xr
import yaml

from dispatch import InfeasibleError, load_sweep, solve
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.model.linopy_model import build_model
from dispatch.model.network import build_network
from dispatch.optimization.highs_lp import LpChanges, LpPositions
from dispatch.optimization.network_lp import (
    difference_not_written,
    network_inputs,
    write_changes,
)
from dispatch.optimization.variants import VariantSolver
from dispatch.scenario.load import study_from_scenario
from dispatch.scenario.study import Study
from dispatch.testing import assert_invariants

REPO = Path(__file__).resolve().parent.parent
OLKARIA_SWEEP = {
    "product": {
        "sites.olkaria.solar.capacity_mw": [20, 60],
        "sites.olkaria.datacentre.deferrable.max_delay_h": [4, 12],
        "sites.olkaria.grid.export_limit_mw": [5, 2],
    }
}
OLKARIA_NUMBERS = {
    "variants": [
        {"name": "geothermal", "set": {"sites.olkaria.geothermal.capacity_mw": 30}},
        {
            "name": "battery",
            "set": {"sites.olkaria.battery.power_mw": 8, "sites.olkaria.battery.energy_mwh": 30},
        },
        {
            "name": "lost-work",
            "set": {"sites.olkaria.datacentre.interruptible.value_of_lost_work": 90},
        },
        {"name": "carbon-price", "set": {"carbon_price": 50}},
        {"name": "pue", "set": {"sites.olkaria.datacentre.pue": 1.3}},
        {
            "name": "grid",
            "set": {
                "sites.olkaria.grid.export_price": 20,
                "sites.olkaria.grid.import_limit_mw": 25,
            },
        },
        {"name": "it-capacity", "set": {"sites.olkaria.datacentre.it_capacity_mw": 50}},
        {
            "name": "geothermal-cost",
            "set": {
                "sites.olkaria.geothermal.marginal_cost": 9,
                "sites.olkaria.geothermal.min_stable_pu": 0.5,
            },
        },
    ]
}
CHAINS = {
    "olkaria-sweep": ("networks/olkaria", 24, OLKARIA_SWEEP),
    "olkaria-numbers": ("networks/olkaria", 24, OLKARIA_NUMBERS),
    "nordic": (
        "networks/nordic",
        48,
        {
            "product": {
                "sites.nordic.wind.capacity_mw": [100, 60],
                "sites.nordic.datacentre.deferrable.max_delay_h": [12, 4],
            }
        },
    ),
    "solar-battery": (
        "networks/solar-battery",
        72,
        {
            "product": {
                "sites.seville.battery.power_mw": [20, 10],
                "sites.seville.datacentre.deferrable.max_delay_h": [6, 2],
            }
        },
    ),
    "geothermal-solar": (
        "tests/data/geothermal_solar",
        None,
        {
            "product": {
                "sites.ke.geothermal.capacity_mw": [30, 25],
                "sites.ke.grid.export_limit_mw": [10, 0],
            }
        },
    ),
    "facility-ramp": (
        "tests/data/min_it_ramp",
        None,
        {
            "product": {
                "sites.de.datacentre.min_it_pu": [0.3, 0.2],
                "sites.de.solar.capacity_mw": [30, 10],
            }
        },
    ),
    "grid-region": (
        "tests/data/shared_grid",
        None,
        {
            "product": {
                "grid_regions.west.import_limit_mw": [7, 9],
                "sites.sunny.solar.capacity_mw": [10, 4],
            }
        },
    ),
    "heat": (
        "tests/data/heat",
        None,
        {
            "product": {
                "sites.s.datacentre.heat_reuse.demand_mw": [2, 3],
                "sites.s.datacentre.pue": [1.25, 1.4],
            }
        },
    ),
}


def _studies(tmp: Path, base: str, hours: float | None, changes: dict) -> list[Study]:
    """The studies of a sweep of ``base`` with ``changes`` (product or named variants)."""
    sweep = tmp / "sweep.yaml"
    spec = {"base": str(REPO / base), **changes}
    if hours is not None:
        spec["hours"] = hours
    sweep.write_text(yaml.safe_dump(spec), encoding="utf-8")
    loaded = load_sweep(sweep)
    return [study_from_scenario(v.scenario, loaded.base, hours) for v in loaded.variants]


def _numbers(figures: object, path: str = "") -> dict[str, float]:
    """The numbers of nested key figures, by path."""
    if isinstance(figures, dict):
        return {
            k: v
            for key, value in figures.items()
            for k, v in _numbers(value, f"{path}/{key}").items()
        }
    if isinstance(figures, int | float) and not isinstance(figures, bool):
        return {path: float(figures)}
    return {}


def _assert_same_figures(ours: dict, fresh: dict) -> None:
    ours, fresh = _numbers(ours), _numbers(fresh)
    assert ours.keys() == fresh.keys()
    for key, value in fresh.items():
        assert ours[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key


@pytest.mark.parametrize("chain", CHAINS)
def test_chain_of_variants_as_fresh_solves(tmp_path: Path, chain: str) -> None:
    studies = _studies(tmp_path, *CHAINS[chain])
    solver = VariantSolver()
    for position, study in enumerate(studies):
        result = solver.solve(study)
        assert solver.reused == (position > 0), position
        _assert_same_figures(result.summary, solve(study, parallel=False).summary)
        assert_invariants(result)


def _lp(highs: object) -> dict[str, np.ndarray]:
    """Costs, bounds and matrix of a HiGHS LP."""
    lp = highs.getLp()
    a = lp.a_matrix_
    kind = sp.csc_matrix if a.format_ == type(a.format_).kColwise else sp.csr_matrix
    matrix = kind((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_))
    return {
        "cost": np.array(lp.col_cost_),
        "col_lower": np.array(lp.col_lower_),
        "col_upper": np.array(lp.col_upper_),
        "row_lower": np.array(lp.row_lower_),
        "row_upper": np.array(lp.row_upper_),
        "matrix": matrix.toarray(),
    }


@pytest.mark.parametrize("chain", ["olkaria-sweep", "olkaria-numbers", "nordic", "heat"])
def test_written_lp_is_the_fresh_lp(tmp_path: Path, chain: str) -> None:
    studies = _studies(tmp_path, *CHAINS[chain])
    with pypsa_settings:
        built = build_network(studies[0])
        positions = LpPositions(build_model(built, studies[0]))
        highs, written = positions.highs(), network_inputs(built)
        for study in [*studies[1:], studies[0]]:
            n = build_network(study)
            assert difference_not_written(n, built) is None
            inputs = network_inputs(n)
            changes = LpChanges(positions, n.snapshot_weightings.objective.to_numpy())
            assert write_changes(changes, n, written, inputs)
            changes.apply(highs)
            written = inputs
            fresh = _lp(LpPositions(build_model(n, study)).highs())
            for part, values in _lp(highs).items():
                np.testing.assert_array_equal(values, fresh[part], err_msg=part)


@pytest.mark.parametrize(
    "change",
    [
        {"sites.olkaria.battery.initial_level_pu": 0.5},  # cyclic -> from a level
        {"sites.olkaria.battery": None},  # a component less
        {"sites.olkaria.geothermal.ramp_pu_per_h": 0.2},  # a ramp limit (not written)
    ],
    ids=["cyclic-battery", "no-battery", "ramp-limit"],
)
def test_structural_change_builds_anew(tmp_path: Path, change: dict) -> None:
    named = {"variants": [{"name": "base", "set": {}}, {"name": "changed", "set": change}]}
    base, changed = _studies(tmp_path, "networks/olkaria", 24, named)
    solver = VariantSolver()
    solver.solve(base)
    result = solver.solve(changed)
    assert not solver.reused
    _assert_same_figures(result.summary, solve(changed, parallel=False).summary)
    solver.solve(base)
    assert not solver.reused  # the changed variant's LP is the one kept


def test_result_files_as_a_fresh_solve(tmp_path: Path) -> None:
    first, second = _studies(tmp_path, *CHAINS["olkaria-sweep"])[:2]
    solver = VariantSolver()
    solver.solve(first)
    ours = solver.solve(second).write(tmp_path / "reused")
    assert solver.reused
    fresh = solve(second, parallel=False).write(tmp_path / "fresh")
    assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in fresh.iterdir())
    _assert_same_figures(
        json.loads((ours / "summary.json").read_text()),
        json.loads((fresh / "summary.json").read_text()),
    )
    for name in ("dispatch.nc", "network.nc", "network_baseline.nc"):
        with xr.open_dataset(ours / name) as a, xr.open_dataset(fresh / name) as b:
            assert sorted(a.data_vars) == sorted(b.data_vars), name
            for variable in b.data_vars:
                if np.issubdtype(b[variable].dtype, np.number):
                    np.testing.assert_allclose(
                        a[variable].values,
                        b[variable].values,
                        rtol=1e-6,
                        atol=1e-6,
                        err_msg=f"{name}: {variable}",
                    )
                else:
                    assert (a[variable].values == b[variable].values).all(), (name, variable)
            assert a.attrs == b.attrs, name


def test_infeasible_variant_then_the_next(tmp_path: Path) -> None:
    named = {
        "variants": [
            {"name": "base", "set": {}},
            {
                "name": "no-grid",
                "set": {
                    "sites.olkaria.grid.import_limit_mw": 0,
                    "sites.olkaria.solar.capacity_mw": 0,
                },
            },
            {"name": "more-solar", "set": {"sites.olkaria.solar.capacity_mw": 60}},
        ]
    }
    base, infeasible, later = _studies(tmp_path, "networks/olkaria", 24, named)
    solver = VariantSolver()
    solver.solve(base)
    with pytest.raises(InfeasibleError) as raised:
        solver.solve(infeasible)
    with pytest.raises(InfeasibleError) as expected:
        solve(infeasible, parallel=False)
    assert str(raised.value) == str(expected.value)
    _assert_same_figures(solver.solve(later).summary, solve(later, parallel=False).summary)


def test_studies_with_routes_are_solved_by_solve(tmp_path: Path) -> None:
    study = _studies(tmp_path, "networks/multi-site", 24, {"variants": [{"name": "b", "set": {}}]})[
        0
    ]
    solver = VariantSolver()
    for _ in range(2):
        result = solver.solve(study)
        assert not solver.reused
    _assert_same_figures(result.summary, solve(study, parallel=False).summary)
