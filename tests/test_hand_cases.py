"""Small studies whose optimum is worked out by hand; exact numbers asserted.

Every case is one site ``s`` starting at 2025-06-01T00:00Z in hourly steps, with
zero-cost renewables unless stated. The arithmetic is in each test; every solved
case must also satisfy all invariants.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.typing import ArrayLike

from dispatch import Result, load_study, solve
from dispatch.testing import assert_invariants

START = "2025-06-01T00:00:00Z"


def exactly(value: ArrayLike) -> object:
    """Expected value, or values per step, to solver precision [unit of the value]."""
    return pytest.approx(np.asarray(value, float), rel=1e-9, abs=1e-6)


def scenario(name: str, periods: int, site: dict, carbon_price: float = 0.0) -> dict:
    """A one-site scenario mapping in hourly steps."""
    return {
        "name": name,
        "snapshots": {"start": START, "periods": periods, "step_h": 1},
        "carbon_price": carbon_price,
        "sites": {"s": site},
    }


def datacentre(**fields: object) -> dict:
    """A data centre with IT capacity 10 MW, no idle draw and PUE 1 unless given."""
    return {"it_capacity_mw": 10, "idle_fraction": 0.0, "pue": 1.0, **fields}


@pytest.fixture
def solve_case(write_study: Callable[..., Path]) -> Callable[..., Result]:
    """Write, solve and check a hand case; return its result."""

    def run(case: dict, profiles: pd.DataFrame | None = None) -> Result:
        result = solve(load_study(write_study(case, profiles)))
        assert_invariants(result)
        return result

    return run


def test_deferral_moves_work_into_the_solar_hour(solve_case: Callable[..., Result]) -> None:
    # 4 h, firm 1 MW, 4 MWh deferrable arrive in hour 0 (D = 3 h); solar 10 MW at
    # availability 0.6 in hour 2 only; grid at 100 EUR/MWh.
    result = solve_case(
        scenario(
            "solar_hour",
            4,
            {
                "datacentre": datacentre(
                    firm_mw=1,
                    deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 3},
                ),
                "solar": {"capacity_mw": 10, "availability": "profiles.csv:solar"},
                "grid": {"import_limit_mw": 10, "import_price": 100},
            },
        ),
        pd.DataFrame({"arrivals": [4.0, 0, 0, 0], "solar": [0, 0, 0.6, 0]}),
    )
    flexible = result.flexible["s"]
    summary = result.summary
    # Flexible: the 4 MWh wait (backlog 4, 4) and are served in hour 2 from solar
    # (6 MW = firm 1 + deferred 4, 1 MW curtailed). Grid: firm 1 MW in hours 0, 1, 3.
    assert flexible.backlog == exactly([4, 4, 0, 0])
    assert flexible.deferred_served == exactly([0, 0, 4, 0])
    assert summary["objective"] == exactly(3 * 1 * 100)
    assert summary["curtailment_mwh"] == exactly(6 - 5)
    # Served 2 h after arrival; deferred energy = min(4, 4) + min(0, 4) = 4 MWh.
    assert summary["max_delay_h"] == exactly(2)
    assert summary["deferred_energy_mwh"] == exactly(4)
    # Baseline: 5 MW from the grid in hour 0, 1 MW in hours 1 and 3: 700 EUR; solar
    # serves only firm 1 MW in hour 2 and 5 MW are curtailed.
    assert summary["baseline"]["objective"] == exactly(500 + 100 + 100)
    assert summary["curtailment_baseline_mwh"] == exactly(5)
    # Absorbed 5 - 1 = 4 MWh of the baseline's 5: share 0.8.
    assert summary["absorbed_mwh"] == exactly(4)
    assert summary["absorbed_share"] == exactly(0.8)


@pytest.mark.parametrize(
    ("max_delay_h", "served_in", "objective"),
    [
        # 4 MWh arrive in hour 0 at prices 200, 150, 10, 10 EUR/MWh.
        (0, 0, 4 * 200),  # no delay: served on arrival
        (1, 1, 4 * 150),  # the deadline ends before the cheap hours: hour 1 at 150
        (2, 2, 4 * 10),  # the first cheap hour is within reach
    ],
)
def test_deadline_forces_service_before_the_cheap_hour(
    solve_case: Callable[..., Result], max_delay_h: float, served_in: int, objective: float
) -> None:
    result = solve_case(
        scenario(
            "deadline",
            4,
            {
                "datacentre": datacentre(
                    deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": max_delay_h}
                ),
                "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
            },
        ),
        pd.DataFrame({"arrivals": [4.0, 0, 0, 0], "price": [200.0, 150, 10, 10]}),
    )
    expected = np.zeros(4)
    expected[served_in] = 4
    assert result.flexible["s"].deferred_served == exactly(expected)
    assert result.summary["objective"] == exactly(objective)
    assert result.summary["max_delay_h"] == exactly(served_in)
    # Baseline: served on arrival at 200 EUR/MWh.
    assert result.summary["baseline"]["objective"] == exactly(800)


def test_interruptible_work_dropped_only_above_its_value(
    solve_case: Callable[..., Result],
) -> None:
    # 2 h, C = 4 MW, idle 0.25, PUE 1.2; 2 MW interruptible offered each hour at a value
    # of lost work of 60 EUR/MWh; grid at 40 then 90 EUR/MWh.
    result = solve_case(
        scenario(
            "interruptible",
            2,
            {
                "datacentre": datacentre(
                    it_capacity_mw=4,
                    idle_fraction=0.25,
                    pue=1.2,
                    interruptible={"offered_mw": 2, "value_of_lost_work": 60},
                ),
                "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
            },
        ),
        pd.DataFrame({"price": [40.0, 90]}),
    )
    # Serving 1 MWh of work draws (1 - 0.25) x 1.2 = 0.9 MWh: it costs 0.9 x 40 = 36 < 60
    # in hour 0 (served) and 0.9 x 90 = 81 > 60 in hour 1 (dropped).
    summary = result.summary
    assert result.flexible["s"].interruptible_served == exactly([2, 0])
    assert summary["unserved_mwh"] == exactly(2)
    assert summary["lost_work_cost"] == exactly(2 * 60)
    # Idle draw 0.25 x 4 x 1.2 = 1.2 MW both hours; hour 0 adds 2 x 0.9 = 1.8 MW:
    # energy 3.0 x 40 + 1.2 x 90 = 228 EUR, plus 120 EUR of lost work.
    assert summary["energy_cost"] == exactly(3.0 * 40 + 1.2 * 90)
    assert summary["objective"] == exactly(228 + 120)
    # Baseline serves both hours: 3.0 x 40 + 3.0 x 90 = 390 EUR.
    assert summary["baseline"]["objective"] == exactly(390)
    assert summary["baseline"]["unserved_mwh"] == exactly(0)


def test_absorption_by_carrier(solve_case: Callable[..., Result]) -> None:
    # 3 h, firm 2 MW; deferrable 3 MWh arrive in hours 0 and 2 (D = 1 h). Wind 4 MW
    # every hour at 1 EUR/MWh, solar 10 MW in hour 1 only at 0 EUR/MWh, grid at 50.
    result = solve_case(
        scenario(
            "absorption",
            3,
            {
                "datacentre": datacentre(
                    firm_mw=2,
                    deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 1},
                ),
                "solar": {"capacity_mw": 10, "availability": "profiles.csv:solar"},
                "wind": {"capacity_mw": 4, "availability": 1, "marginal_cost": 1},
                "grid": {"import_limit_mw": 10, "import_price": 50},
            },
        ),
        pd.DataFrame({"arrivals": [3.0, 0, 3], "solar": [0.0, 1, 0]}),
    )
    summary = result.summary
    # Baseline loads 5, 2, 5 MW. Hour 0: wind 4 + grid 1; hour 1: solar 2 (solar 8 and
    # wind 4 curtailed); hour 2: wind 4 + grid 1. Cost 54 + 0 + 54 = 108 EUR.
    assert summary["baseline"]["objective"] == exactly(108)
    assert summary["curtailment_baseline_by_carrier_mwh"] == {
        "solar": exactly(8),
        "wind": exactly(4),
    }
    # Flexible: hour 0's work moves to hour 1 (hour 2's cannot move: b_T = 0). Loads
    # 2, 5, 5 MW. Hour 0: wind 2 (2 curtailed); hour 1: solar 5 (solar 5 and wind 4
    # curtailed); hour 2 as before. Cost 2 + 0 + 54 = 56 EUR.
    assert summary["objective"] == exactly(56)
    assert summary["curtailment_by_carrier_mwh"] == {"solar": exactly(5), "wind": exactly(6)}
    # Absorbed: solar 8 - 5 = 3, wind 4 - 6 = -2 MWh; total 12 - 11 = 1 MWh, share 1/12.
    assert summary["absorbed_by_carrier_mwh"] == {"solar": exactly(3), "wind": exactly(-2)}
    assert summary["absorbed_mwh"] == exactly(1)
    assert summary["absorbed_share"] == exactly(1 / 12)
    # Per hour: wind -2 in hour 0, solar +3 in hour 1.
    absorbed = result.dispatch["absorbed"].sel(site="s", curtailable=["solar", "wind"]).to_numpy()
    assert absorbed == exactly([[0, -2], [3, 0], [0, 0]])


def test_emissions_and_clean_shares(solve_case: Callable[..., Result]) -> None:
    # 2 h, firm 4 MW at PUE 1.25: facility 5 MW each hour. Solar 5 MW at availability
    # 0.6 in hour 0; must-run geothermal 1 MW (0.05 tCO2/MWh, 10 EUR/MWh); grid at
    # 50 EUR/MWh, 0.4 tCO2/MWh, clean share 0.5 then 0.2; carbon price 20 EUR/tCO2.
    result = solve_case(
        scenario(
            "emissions",
            2,
            {
                "datacentre": datacentre(pue=1.25, firm_mw=4),
                "solar": {"capacity_mw": 5, "availability": "profiles.csv:solar"},
                "geothermal": {
                    "capacity_mw": 1,
                    "min_stable_pu": 1,
                    "marginal_cost": 10,
                    "co2_t_per_mwh": 0.05,
                },
                "grid": {
                    "import_limit_mw": 10,
                    "import_price": 50,
                    "carbon_intensity_t_per_mwh": 0.4,
                    "clean_share": "profiles.csv:clean",
                },
            },
            carbon_price=20,
        ),
        pd.DataFrame({"solar": [0.6, 0], "clean": [0.5, 0.2]}),
    )
    # Hour 0: 5 = solar 3 + geothermal 1 + import 1; hour 1: 5 = geothermal 1 + import 4.
    # No workload is flexible: both runs are the same.
    for figures in (result.summary, result.summary["baseline"]):
        assert figures["grid_import_mwh"] == exactly(1 + 4)
        assert figures["facility_energy_mwh"] == exactly(10)
        assert figures["it_energy_mwh"] == exactly(8)
        # 0.4 x (1 + 4) + 0.05 x (1 + 1) = 2.1 tCO2
        assert figures["emissions_tco2"] == exactly(2.1)
        # (max(0, 5 - 1) + max(0, 5 - 4)) / 10 = 0.5
        assert figures["renewable_share"] == exactly(0.5)
        # ((5 - (1 - 0.5) x 1) + (5 - (1 - 0.2) x 4)) / 10 = (4.5 + 1.8) / 10 = 0.63
        assert figures["cfe_score"] == exactly(0.63)
        # carbon 20 x 2.0 = 40; energy 10 x 2 + 50 x 5 = 270 EUR
        assert figures["carbon_cost"] == exactly(40)
        assert figures["energy_cost"] == exactly(270)
        assert figures["total_cost"] == exactly(310)


def test_grid_surplus_absorbed(solve_case: Callable[..., Result]) -> None:
    # 3 h grid-only, firm 1 MW; 4 MWh deferrable arrive in hour 0 (D = 2 h); prices
    # 100, 60, 80 EUR/MWh; the grid partner signals 3 MW of surplus in hour 1.
    result = solve_case(
        scenario(
            "surplus",
            3,
            {
                "datacentre": datacentre(
                    firm_mw=1,
                    deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 2},
                ),
                "grid": {
                    "import_limit_mw": 10,
                    "import_price": "profiles.csv:price",
                    "surplus_mw": "profiles.csv:surplus",
                },
            },
        ),
        pd.DataFrame({"arrivals": [4.0, 0, 0], "price": [100.0, 60, 80], "surplus": [0, 3, 0]}),
    )
    summary = result.summary
    # Flexible: the work waits for hour 1 (60 EUR/MWh); import 1, 5, 1 MW: 480 EUR.
    # Taken from the surplus: min(1, 0) + min(5, 3) + min(1, 0) = 3 MWh.
    assert result.flexible["s"].grid_import == exactly([1, 5, 1])
    assert summary["objective"] == exactly(100 + 300 + 80)
    assert summary["grid_surplus_absorbed_mwh"] == exactly(3)
    # Baseline: import 5, 1, 1 MW: 640 EUR; surplus taken min(1, 3) = 1 MWh.
    assert summary["baseline"]["objective"] == exactly(500 + 60 + 80)
    assert summary["grid_surplus_absorbed_baseline_mwh"] == exactly(1)


def test_minimum_it_power_counts_the_idle_draw(solve_case: Callable[..., Result]) -> None:
    # 1 h, C = 10 MW, idle 0.2, minimum IT power 0.5 C = 5 MW; 5 MW interruptible
    # work offered, worth nothing (V = 0); grid at 100 EUR/MWh.
    result = solve_case(
        scenario(
            "min_it",
            1,
            {
                "datacentre": datacentre(
                    idle_fraction=0.2,
                    min_it_pu=0.5,
                    interruptible={"offered_mw": 5, "value_of_lost_work": 0},
                ),
                "grid": {"import_limit_mw": 20, "import_price": 100},
            },
        ),
    )
    # IT power 0.2 x 10 + 0.8 v >= 5 MW needs v >= 3.75 MW of work; dropping work is
    # free, so exactly 5 MW is drawn: 500 EUR.
    assert result.flexible["s"].interruptible_served == exactly([3.75])
    assert result.summary["objective"] == exactly(500)
    # Baseline serves all 5 MW: IT power 2 + 0.8 x 5 = 6 MW, 600 EUR.
    assert result.summary["baseline"]["objective"] == exactly(600)


def test_standing_loss_applies_to_the_initial_level(solve_case: Callable[..., Result]) -> None:
    # 2 h, firm 5 MW, grid at 100 EUR/MWh; a lossless-in-transit battery of 10 MWh starts
    # full and loses half its energy per hour. MODEL.md: the level before the first step
    # loses (1 - 0.5)^1 like any other, so only 5 MWh are left to serve hour 0, and
    # hour 1 imports 5 MW (PyPSA's Store alone would keep the first step's loss off the
    # initial level: 10 MWh, 5 MW served in hour 0 and 2.5 MW in hour 1).
    result = solve_case(
        scenario(
            "initial_level_loss",
            2,
            {
                "datacentre": datacentre(firm_mw=5),
                "battery": {
                    "power_mw": 10,
                    "energy_mwh": 10,
                    "charge_efficiency": 1,
                    "discharge_efficiency": 1,
                    "standing_loss_per_h": 0.5,
                    "initial_level_pu": 1,
                },
                "grid": {"import_limit_mw": 10, "import_price": 100},
            },
        )
    )
    flexible = result.flexible["s"]
    assert flexible.output["battery"] == exactly([5, 0])
    assert flexible.battery_level == exactly([0, 0])
    assert result.summary["objective"] == exactly(5 * 100)
