"""Grid tariffs: demand charges, a fixed charge on a contracted capacity and
time-of-use periods, in small studies worked out by hand.

The hand cases are one site ``s`` with IT capacity 10 MW, no idle draw and PUE 1,
firm work 1 MW and deferrable work due within 2 h, over 6 hours from
2025-01-31T21:00Z: three in January (a Friday), three in February (a Saturday).
January has 744 h and February 672 h, so a horizon of 3 h in each bills the
shares 3/744 and 3/672 of the monthly charges.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import DATA
from dispatch import Dispatcher, Result, ScenarioError, load_study, load_sweep, solve
from dispatch.exchange.envelope import envelope_of_network
from dispatch.model.linopy_model import add_network_constraints
from dispatch.optimization.variants import reusable
from dispatch.results.netcdf import export_network
from dispatch.scenario.load import study_from_scenario
from dispatch.scenario.tariff import billed_months
from dispatch.testing import assert_invariants, assert_same_optimum
from independent_lp import independent_objectives

NETWORKS = Path(__file__).parents[1] / "networks"

JANUARY, FEBRUARY = 3 / 744, 3 / 672
"""Shares of January and February the 6-hour horizon bills [-]."""


def exactly(value: object) -> object:
    """Expected value, or values per step, to solver precision."""
    return pytest.approx(np.asarray(value, float), rel=1e-9, abs=1e-6)


def case(name: str, tariff: dict, import_price: object = 100, periods: int = 6) -> dict:
    """The hand case with ``tariff`` on its grid."""
    grid = {"import_limit_mw": 20, "tariff": tariff}
    if import_price is not None:
        grid["import_price"] = import_price
    return {
        "name": name,
        "snapshots": {"start": "2025-01-31T21:00:00Z", "periods": periods},
        "sites": {
            "s": {
                "datacentre": {
                    "it_capacity_mw": 10,
                    "idle_fraction": 0.0,
                    "pue": 1.0,
                    "firm_mw": 1,
                    "deferrable": {"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 2},
                },
                "grid": grid,
            }
        },
    }


ARRIVALS = pd.DataFrame({"arrivals": [6.0, 0, 0, 6, 0, 0], "price": [100.0] * 6})
"""6 MWh of deferrable work arriving at the first hour of each month."""


@pytest.fixture
def solve_case(write_study: Callable[..., Path]) -> Callable[..., Result]:
    """Write, solve and check a hand case; return its result."""

    def run(scenario: dict, profiles: pd.DataFrame = ARRIVALS) -> Result:
        result = solve(load_study(write_study(scenario, profiles)))
        assert_invariants(result)
        return result

    return run


def test_monthly_demand_charge_flattens_each_months_peak(
    solve_case: Callable[..., Result],
) -> None:
    # Energy costs 100 EUR/MWh whenever it is imported: 18 MWh, 1800 EUR in any run.
    # Baseline: work served as it arrives, import 7, 1, 1 | 7, 1, 1: peaks 7 and 7.
    # Flexible: the 6 MWh of each month spread over its 3 hours (2 MW each, the only
    # way to a peak of 3 MW): import 3 MW throughout.
    result = solve_case(case("monthly", {"demand_charges": [{"price_per_mw_month": 1000}]}))
    assert result.flexible["s"].grid_import == exactly([3.0] * 6)
    assert result.baseline["s"].grid_import == exactly([7, 1, 1, 7, 1, 1])
    charges = {run: 1000 * (JANUARY + FEBRUARY) * peak for run, peak in (("f", 3), ("b", 7))}
    summary = result.summary
    assert summary["demand_charge_cost"] == exactly(charges["f"])
    assert summary["baseline"]["demand_charge_cost"] == exactly(charges["b"])
    assert summary["objective"] == exactly(1800 + charges["f"])
    assert summary["baseline"]["objective"] == exactly(1800 + charges["b"])
    assert summary["peak_import_mw"] == {"2025-01": exactly(3), "2025-02": exactly(3)}
    assert summary["fixed_charge_cost"] == 0.0


def test_window_charge_moves_work_out_of_the_window(solve_case: Callable[..., Result]) -> None:
    # A second charge of 3000 EUR/MW-month on weekdays 22:00-24:00 (UTC, the start's
    # offset): Friday 31 January 22:00 and 23:00 only. In January, with x the work
    # served in each of those two hours, import is 7 - 2x at 21:00 and 1 + x after:
    # cost 1000 J (7 - 2x) + 3000 J (1 + x), rising in x (3000 > 2 x 1000): x = 0,
    # all January work at 21:00. February (a Saturday) has no window: flat at 3 MW.
    result = solve_case(
        case(
            "window",
            {
                "demand_charges": [
                    {"price_per_mw_month": 1000},
                    {
                        "price_per_mw_month": 3000,
                        "weekdays": [1, 2, 3, 4, 5],
                        "start_hour": 22,
                        "end_hour": 24,
                    },
                ]
            },
        )
    )
    assert result.flexible["s"].grid_import == exactly([7, 1, 1, 3, 3, 3])
    charges = 1000 * JANUARY * 7 + 3000 * JANUARY * 1 + 1000 * FEBRUARY * 3
    assert result.summary["demand_charge_cost"] == exactly(charges)
    assert result.summary["objective"] == exactly(1800 + charges)
    assert result.summary["peak_import_mw"] == {"2025-01": exactly(7), "2025-02": exactly(3)}


def test_contracted_capacity_caps_import_and_bills_the_fixed_charge(
    solve_case: Callable[..., Result],
) -> None:
    # 3 MWh of deferrable work arrive in each of the first two hours of each month
    # (baseline import 4, 4, 1 | 4, 4, 1); energy at 100 EUR/MWh, but 10 in the last
    # hour of each month, where the flexible run would serve all 6 MWh (import 7 MW):
    # the contract caps import at 5 MW, so 4 MWh are served there and 2 MWh at 100.
    # Energy: 2 x (5 x 10 + 4 x 100) = 900 EUR. Fixed charge 500 EUR/MW-month x 5 MW
    # x (3/744 + 3/672), in no objective (no dispatch changes it).
    profiles = pd.DataFrame({"arrivals": [3.0, 3, 0, 3, 3, 0], "price": [100.0, 100, 10] * 2})
    result = solve_case(
        case(
            "contracted",
            {"contracted_mw": 5, "fixed_charge_per_mw_month": 500},
            import_price="profiles.csv:price",
        ),
        profiles,
    )
    grid_import = result.flexible["s"].grid_import
    assert grid_import[[2, 5]] == exactly([5, 5])
    assert grid_import.max() == pytest.approx(5.0)
    energy = 2 * (5 * 10 + 4 * 100)
    assert result.summary["objective"] == exactly(energy)
    fixed = 500 * 5 * (JANUARY + FEBRUARY)
    assert result.summary["fixed_charge_cost"] == exactly(fixed)
    assert result.summary["baseline"]["fixed_charge_cost"] == exactly(fixed)
    assert result.summary["total_cost"] == exactly(energy)


def test_energy_periods_expand_to_the_price_series_in_local_time(
    write_study: Callable[..., Path],
) -> None:
    # Berlin, 96 h from Friday 28 March 2025 00:00Z; summer time from Sunday 30 March
    # 01:00Z. Weekdays 08:00-20:00 local cost 150, other weekday hours 80, weekends
    # 60. Friday (UTC+1): 80 until 06:00Z, 150 from 07:00Z to 18:00Z, 80 to 22:00Z;
    # the weekend from Friday 23:00Z to Sunday 21:00Z (UTC+2 by then): 60; Monday
    # from Sunday 22:00Z: 80 until Monday 05:00Z, 150 from 06:00Z to 17:00Z, 80 after.
    scenario = case(
        "periods",
        {
            "time_zone": "Europe/Berlin",
            "energy_periods": [
                {
                    "weekdays": [1, 2, 3, 4, 5],
                    "start_hour": 8,
                    "end_hour": 20,
                    "price_per_mwh": 150,
                },
                {"weekdays": [1, 2, 3, 4, 5], "start_hour": 20, "end_hour": 8, "price_per_mwh": 80},
                {"weekdays": [6, 7], "price_per_mwh": 60},
            ],
        },
        import_price=None,
        periods=96,
    )
    scenario["snapshots"]["start"] = "2025-03-28T00:00:00Z"
    friday = [80] * 7 + [150] * 12 + [80] * 4
    monday = [80] * 2 + [80] * 6 + [150] * 12 + [80] * 6
    study = load_study(write_study(scenario, pd.DataFrame({"arrivals": [0.0] * 96})))
    expected = friday + [60] * 47 + monday
    assert study.values("s", "grid.import_price") == exactly(expected)


@pytest.mark.parametrize(
    ("tariff", "import_price", "field", "problem"),
    [
        (
            {"energy_periods": [{"price_per_mwh": 50}]},
            100,
            "grid.import_price",
            "not both",
        ),
        ({}, None, "grid.import_price", "required"),
        (
            {"energy_periods": [{"price_per_mwh": 50}, {"start_hour": 23, "price_per_mwh": 9}]},
            None,
            "energy_periods",
            "month 1, weekday 1, hour 23",
        ),
        (
            {"energy_periods": [{"start_hour": 1, "price_per_mwh": 50}]},
            None,
            "energy_periods",
            "lies in 0",
        ),
        ({"fixed_charge_per_mw_month": 5}, 100, "fixed_charge_per_mw_month", "contracted_mw"),
        ({"time_zone": "Mars/Olympus"}, 100, "time_zone", "IANA"),
        ({"time_zone": "localtime"}, 100, "time_zone", "IANA"),  # this host's zone
        ({"demand_charges": [{"price_per_mw_month": 1, "weekdays": [8]}]}, 100, "weekdays", "7"),
        (
            {"demand_charges": [{"price_per_mw_month": 1, "months": [1] * 10_000}]},
            100,
            "months",
            "at most 12 items after validation, not 10000 (got [1, 1, 1, 1, 1, 1, ...])",
        ),
    ],
)
def test_bad_tariffs_are_refused_in_one_line(
    write_study: Callable[..., Path],
    tariff: dict,
    import_price: object,
    field: str,
    problem: str,
) -> None:
    folder = write_study(case("bad", tariff, import_price), ARRIVALS)
    with pytest.raises(ScenarioError) as error:
        load_study(folder)
    message = str(error.value)
    assert "\n" not in message
    assert field in message and problem in message


def test_saved_network_resolves_to_the_same_optimum(tmp_path: Path) -> None:
    # Two independent parts (one behind a grid region), each with demand charges: the
    # merged network.nc holds all of them and re-solves to the objective.
    import pypsa

    result = solve(load_study(DATA / "tariff"))
    path = tmp_path / "network.nc"
    export_network(result.network, path)
    n = pypsa.Network(path)
    assert len(n.meta["demand_charges"]) == 4
    n.optimize(
        extra_functionality=add_network_constraints,
        include_objective_constant=False,
        log_to_console=False,
    )
    assert n.objective == pytest.approx(result.summary["objective"], rel=1e-7)


def test_a_dispatcher_reaches_the_optimum_and_variants_do_not_reuse_the_lp() -> None:
    # The Dispatcher bills its window's own months by default (two sites, both
    # tariffs, over the change to summer time): the optimum of solve(). A sweep builds
    # a study with demand charges anew (no LP reuse).
    study = load_study(DATA / "tariff", hours=24)
    sites, _ = Dispatcher(study).solve()
    objective = solve(study).summary["objective"]
    assert sites["a"].objective == pytest.approx(objective, rel=1e-9)
    assert not reusable(study, {})


def test_a_horizon_bills_each_month_its_share() -> None:
    # A whole January (744 steps) bills January in full; 12 h of February 1/56 of it.
    times = pd.date_range("2025-01-01T00:00Z", periods=744 + 12, freq="h")
    months = billed_months(times, 1.0)
    assert {month: share for month, (_, share) in months.items()} == {
        "2025-01": 1.0,
        "2025-02": pytest.approx(12 / 672),
    }


def test_shipped_demand_charges_match_the_independent_lp() -> None:
    # The solar-battery sweep's demand-charge variant, its first week (Madrid time,
    # two windows): the optimum of both runs is that of tests/independent_lp.py.
    sweep = load_sweep(NETWORKS / "solar-battery" / "tariff-sweep.yaml")
    variant = next(v for v in sweep.variants if v.name == "demand-charges")
    study = study_from_scenario(variant.scenario, sweep.base, 168)
    result = solve(study)
    assert_invariants(result)
    assert_same_optimum(result, independent_objectives(study))
    assert result.summary["demand_charge_cost"] > 0


def test_flexibility_envelope_keeps_the_billed_peaks() -> None:
    # The envelope fixes every variable without a step at the plan, the billed peaks
    # too: import may rise to the month's peak in the windows of a charge, not above.
    study = load_study(DATA / "tariff")
    result = solve(study)
    edges = envelope_of_network(result.network, "b", 3, "tariff", study)
    peak = result.summary["sites"]["b"]["peak_import_mw"]["2025-03"]
    assert edges["import_max"].max() == pytest.approx(peak)
    assert (edges["import_max"] >= edges["grid_import"] - 1e-9).all()
    assert (edges["import_up"] > 1e-6).any()


def test_demand_charges_with_routes_match_the_independent_lp(tmp_path: Path) -> None:
    # Routed sites are solved in stages (the peaks join every time window): the
    # optimum is still that of the independent LP.
    folder = tmp_path / "two_sites"
    shutil.copytree(DATA / "two_sites", folder)
    scenario = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    for site in ("sunny", "city"):
        scenario["sites"][site]["grid"]["tariff"] = {
            "demand_charges": [{"price_per_mw_month": 50_000}]
        }
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    study = load_study(folder)
    result = solve(study)
    assert_invariants(result)
    assert_same_optimum(result, independent_objectives(study))
    assert result.summary["demand_charge_cost"] > 0
