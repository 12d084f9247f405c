"""A contracted capacity sized by the optimisation (``grid.tariff.contracted_expansion``):
the import within it, the fixed charge a cost on it, worked by hand.

The hand case of ``test_tariffs`` (one site, firm work 1 MW, 6 MWh of deferrable work
arriving in the first hour of each month, due within 2 h; 3 h of January, 3 h of
February), with energy at 100 EUR/MWh but 40 EUR/MWh in the last hour of each month.
Serving x MWh of a month's work in its cheap hour saves 60 x; the rest, 6 - x, in the
two hours before; for x >= 2 the month's peak import is 1 + x.

The horizon bills B = 3/744 + 3/672 months. A fixed charge f per MW-month costs
F = f B per MW of contracted capacity C >= every import; a monthly demand charge d
costs D = d B per MW of both months' peaks moving together. Raising x by 1 MWh in both
months saves 2 x 60 = 120 EUR and raises both peaks (and C, above its smallest size)
by 1 MW.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from dispatch import Dispatcher, Result, ScenarioError, load_study, operate, solve
from dispatch.model.linopy_model import add_network_constraints
from dispatch.results.netcdf import export_network
from dispatch.testing import assert_invariants, assert_same_optimum
from independent_lp import independent_objectives
from test_tariffs import FEBRUARY, JANUARY, case, exactly

BILLED = JANUARY + FEBRUARY
"""Months the 6-hour horizon bills [-]."""
PROFILES = pd.DataFrame({"arrivals": [6.0, 0, 0, 6, 0, 0], "price": [100.0, 100, 40] * 2})
FIRM_ENERGY = 2 * (100 + 100 + 40)
"""Firm work's energy cost, 1 MW every hour [EUR]."""


def sized(name: str, tariff: dict) -> dict:
    return case(name, tariff, import_price="profiles.csv:price")


@pytest.fixture
def solve_sized(write_study: Callable[..., Path]) -> Callable[..., Result]:
    """Solve the hand case with ``tariff``, check its invariants; return its result."""

    def run(name: str, tariff: dict, profiles: pd.DataFrame = PROFILES) -> Result:
        result = solve(load_study(write_study(sized(name, tariff), profiles)))
        assert_invariants(result)
        return result

    return run


def test_the_fixed_charge_alone_lets_the_peak_rise(solve_sized: Callable[..., Result]) -> None:
    # F = 60 < 120: all work in the cheap hours, x = 6, import 1, 1, 7 | 1, 1, 7, C = 7.
    # Energy 480 + 2 x 6 x 40 = 960, fixed charge 60 x 7 = 420, objective 1380.
    tariff = {"contracted_expansion": {}, "fixed_charge_per_mw_month": 60 / BILLED}
    result = solve_sized("contract", tariff)
    assert result.flexible["s"].grid_import == exactly([1, 1, 7, 1, 1, 7])
    summary = result.summary
    assert summary["contracted_mw"] == exactly(7)
    assert summary["fixed_charge_cost"] == exactly(420)
    assert summary["objective"] == exactly(960 + 420)
    assert summary["total_cost"] == exactly(960 + 420)
    assert_same_optimum(result, independent_objectives(result.study))


def test_fixed_charge_demand_charge_and_smallest_size_trade_off(
    solve_sized: Callable[..., Result],
) -> None:
    # F = 60, D = 90 and C at least 5 MW. Up to a peak of 5 MW only the demand charge
    # counts: 120 > 90, so x rises to 4; above it F + D = 150 > 120: x = 4, peaks 5,
    # C = 5. Energy 480 + 2 (4 x 40 + 2 x 100) = 1200, fixed 60 x 5 = 300, demand
    # 90 x 5 = 450: 1950 (x = 2: 1440 + 300 + 270 = 2010; x = 6: 960 + 420 + 630 = 2010).
    tariff = {
        "contracted_expansion": {"min_mw": 5},
        "fixed_charge_per_mw_month": 60 / BILLED,
        "demand_charges": [{"price_per_mw_month": 90 / BILLED}],
    }
    result = solve_sized("trade-off", tariff)
    grid_import = result.flexible["s"].grid_import
    assert grid_import[[2, 5]] == exactly([5, 5])
    assert grid_import.max() == pytest.approx(5.0)
    summary = result.summary
    assert summary["contracted_mw"] == exactly(5)
    assert summary["fixed_charge_cost"] == exactly(300)
    assert summary["demand_charge_cost"] == exactly(450)
    assert summary["energy_cost"] == exactly(1200)
    assert summary["objective"] == exactly(1950)
    # Baseline: work served as it arrives, import 7 MW in each month's first hour.
    assert summary["baseline"]["contracted_mw"] == exactly(7)
    assert summary["baseline"]["objective"] == exactly(FIRM_ENERGY + 2 * 600 + 60 * 7 + 90 * 7)
    assert_same_optimum(result, independent_objectives(result.study))


def test_the_largest_size_caps_the_import(solve_sized: Callable[..., Result]) -> None:
    # test_tariffs' contracted case sized instead, free, at most 5 MW: 3 MWh arrive in
    # each of the first two hours of each month, energy 10 EUR/MWh in the last hour;
    # the cheap hour takes 4 MWh (import 5 MW), 2 MWh at 100: 2 x (5 x 10 + 4 x 100).
    profiles = pd.DataFrame({"arrivals": [3.0, 3, 0, 3, 3, 0], "price": [100.0, 100, 10] * 2})
    tariff = {"contracted_expansion": {"max_mw": 5}}
    result = solve_sized("largest", tariff, profiles)
    assert result.flexible["s"].grid_import[[2, 5]] == exactly([5, 5])
    assert result.summary["contracted_mw"] == exactly(5)
    assert result.summary["objective"] == exactly(900)
    assert result.summary["fixed_charge_cost"] == 0.0


def test_saved_network_resolves_to_the_same_optimum(
    write_study: Callable[..., Path], tmp_path: Path
) -> None:
    import pypsa

    tariff = {"contracted_expansion": {"min_mw": 2}, "fixed_charge_per_mw_month": 60 / BILLED}
    result = solve(load_study(write_study(sized("saved", tariff), PROFILES)))
    path = tmp_path / "network.nc"
    export_network(result.network, path)
    n = pypsa.Network(path)
    n.optimize(
        extra_functionality=add_network_constraints,
        include_objective_constant=False,
        log_to_console=False,
    )
    assert n.objective == pytest.approx(result.summary["objective"], rel=1e-7)


@pytest.mark.parametrize(
    ("tariff", "field", "problem"),
    [
        (
            {"contracted_mw": 5, "contracted_expansion": {}},
            "contracted_expansion",
            "not both",
        ),
        ({"contracted_expansion": {"min_mw": 5, "max_mw": 4}}, "max_mw", "at least min_mw"),
        ({"fixed_charge_per_mw_month": 10}, "fixed_charge_per_mw_month", "contracted_expansion"),
    ],
)
def test_bad_sizing_is_refused_in_one_line(
    write_study: Callable[..., Path], tariff: dict, field: str, problem: str
) -> None:
    with pytest.raises(ScenarioError) as error:
        load_study(write_study(sized("bad", tariff), PROFILES))
    message = str(error.value)
    assert "\n" not in message
    assert field in message and problem in message


def test_operation_refuses_a_sized_contracted_capacity(
    write_study: Callable[..., Path],
) -> None:
    study = load_study(write_study(sized("operated", {"contracted_expansion": {}}), PROFILES))
    field = "sites.s.grid.tariff.contracted_expansion"
    with pytest.raises(ScenarioError, match=field):
        operate(study, 4, 2)
    with pytest.raises(ScenarioError, match=field):
        Dispatcher(study)
