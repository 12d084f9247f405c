"""A battery's throughput cost and a geothermal steam field that vents and may raise
flexible steam at a cost: hand-worked optima, the scenario's refusals, the network
file re-solved natively, an emission cap, the Dispatcher and ``operate``.

Each hand case is one site ``s`` in hourly steps with IT capacity 10 MW, no idle
draw and PUE 1 (facility power = work served); the arithmetic is in each test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

import test_hand_cases
from conftest import DATA
from dispatch import Dispatcher, Result, load_study, solve
from dispatch.core.errors import ScenarioError
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.operation.operate import operate
from dispatch.testing import assert_invariants
from test_hand_cases import datacentre, exactly, scenario

solve_case = test_hand_cases.solve_case
"""Fixture: write, solve and check a hand case; return its result."""


def battery_case(throughput_cost: float) -> dict:
    """2 h, firm 2 MW; grid at 10 then 100 USD/MWh; an empty battery of 4 MW and
    2.5 MWh, charging losslessly, discharging at 0.8."""
    return scenario(
        f"throughput_{throughput_cost:g}",
        2,
        {
            "datacentre": datacentre(firm_mw=2),
            "battery": {
                "power_mw": 4,
                "energy_mwh": 2.5,
                "charge_efficiency": 1.0,
                "discharge_efficiency": 0.8,
                "initial_level_pu": 0.0,
                "throughput_cost_per_mwh": throughput_cost,
            },
            "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
        },
    )


BATTERY_PRICES = pd.DataFrame({"price": [10.0, 100.0]})


def test_throughput_cost_is_paid_per_mwh_discharged_at_the_bus(
    solve_case: Callable[..., Result],
) -> None:
    # One MWh at the bus in hour 1 takes 1 / 0.8 = 1.25 MWh charged in hour 0
    # (12.5 USD) plus the throughput cost 30: 42.5 < 100, so the battery is used
    # to the full: 2.5 MWh charged in hour 0 (within 4 MW), 2.5 x 0.8 = 2 MW
    # discharged in hour 1, exactly the firm load. Import 4.5 MW, then 0.
    # Cost: 4.5 x 10 + 30 x 2 = 45 + 60 = 105 USD (without the battery 220).
    result = solve_case(battery_case(30.0), BATTERY_PRICES)
    flexible, summary = result.flexible["s"], result.summary
    assert flexible.battery_charge == exactly([2.5, 0])
    assert flexible.output["battery"] == exactly([-2.5, 2])
    assert flexible.grid_import == exactly([4.5, 0])
    assert summary["objective"] == exactly(105)
    assert summary["battery_throughput_cost"] == exactly(60)
    assert summary["energy_cost"] == exactly(105)
    # PyPSA's discharger pays per MWh at its input (the battery bus): 30 x 0.8.
    discharger = result.network.links.loc["s battery discharger"]
    assert discharger.marginal_cost == exactly(24)


def test_throughput_cost_above_the_spread_leaves_the_battery_idle(
    solve_case: Callable[..., Result],
) -> None:
    # 12.5 + 90 = 102.5 USD per MWh at the bus in hour 1 exceeds the 100 it saves:
    # firm 2 MW bought in each hour, 20 + 200 = 220 USD, nothing discharged.
    result = solve_case(battery_case(90.0), BATTERY_PRICES)
    summary = result.summary
    assert result.flexible["s"].battery_charge == exactly([0, 0])
    assert summary["objective"] == exactly(220)
    assert summary["battery_throughput_cost"] == exactly(0)


def geothermal_case(steam_pu: float | None) -> dict:
    """3 h, firm 4 MW; 6 MWh of deferrable work arrive in hour 0 (D = 2 h);
    geothermal 10 MW at 5 USD/MWh, turbine minimum 0.4; grid at 100 USD/MWh."""
    geothermal = {"capacity_mw": 10, "min_stable_pu": 0.4, "marginal_cost": 5}
    if steam_pu is not None:
        geothermal["steam_pu"] = steam_pu
    return scenario(
        "steam",
        3,
        {
            "datacentre": datacentre(
                firm_mw=4, deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 2}
            ),
            "geothermal": geothermal,
            "grid": {"import_limit_mw": 10, "import_price": 100},
        },
    )


ARRIVALS = pd.DataFrame({"arrivals": [6.0, 0, 0]})


def test_steam_the_turbine_leaves_is_vented_and_counted_as_curtailment(
    solve_case: Callable[..., Result],
) -> None:
    # The field delivers 0.8 x 10 = 8 MW of steam every hour; the turbine takes
    # between 4 and 8 MW of it. Baseline (work served on arrival): load 10, 4, 4
    # MW; geothermal 8, 4, 4 and 2 MW imported in hour 0; vented 0, 4, 4 = 8 MWh.
    # Cost 5 x 16 + 100 x 2 = 280 USD. Flexible: enough of the arrivals wait that
    # no hour needs more than 8 MW (how they spread is not unique), all 18 MWh from
    # geothermal: 5 x 18 = 90 USD, vented 24 - 18 = 6 MWh. Absorbed: 8 - 6 = 2 MWh.
    result = solve_case(geothermal_case(0.8), ARRIVALS)
    summary = result.summary
    assert result.baseline["s"].curtailment["geothermal"] == exactly([0, 4, 4])
    assert result.flexible["s"].grid_import == exactly([0, 0, 0])
    assert summary["objective"] == exactly(90)
    assert summary["baseline"]["objective"] == exactly(280)
    assert summary["vented_geothermal_mwh"] == exactly(6)
    assert summary["curtailment_by_carrier_mwh"]["geothermal"] == exactly(6)
    assert summary["curtailment_baseline_mwh"] == exactly(8)
    assert summary["absorbed_by_carrier_mwh"]["geothermal"] == exactly(2)
    assert summary["absorbed_share"] == exactly(2 / 8)


def test_without_a_steam_field_backing_off_is_not_curtailment(
    solve_case: Callable[..., Result],
) -> None:
    # The same site whose field follows the turbine (up to 10 MW): the baseline
    # serves hour 0's 10 MW from geothermal too, 5 x 18 = 90 USD in both runs, and
    # no geothermal curtailment is counted.
    result = solve_case(geothermal_case(None), ARRIVALS)
    summary = result.summary
    assert summary["objective"] == exactly(90)
    assert summary["baseline"]["objective"] == exactly(90)
    assert summary["vented_geothermal_mwh"] == exactly(0)
    assert "geothermal" not in summary["curtailment_by_carrier_mwh"]


def flexible_case(price_hour_1: float) -> dict:
    """2 h, firm 5 then 9 MW; geothermal 10 MW at 5 USD/MWh, turbine minimum 0.3,
    steady steam 0.6, flexible steam 0.3 more at 20 USD/MWh; grid at 100 then
    ``price_hour_1`` USD/MWh."""
    return scenario(
        "flexible_steam",
        2,
        {
            "datacentre": datacentre(firm_mw="profiles.csv:firm"),
            "geothermal": {
                "capacity_mw": 10,
                "min_stable_pu": 0.3,
                "marginal_cost": 5,
                "steam_pu": 0.6,
                "flexible_steam_pu": 0.3,
                "flexible_steam_cost_per_mwh": 20,
            },
            "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
        },
    )


@pytest.mark.parametrize(
    ("price_hour_1", "flexible_mwh", "objective"),
    [
        # Hour 0: 5 MW from the steady 6 (1 vented). Hour 1: 9 MW; the steady steam
        # gives 6 and the other 3 cost 5 + 20 = 25 from flexible steam or the price
        # from the grid. At 100 flexible steam: 5 x (5 + 9) + 20 x 3 = 130 USD.
        (100.0, 3.0, 130.0),
        # At 20 the grid: 5 x (5 + 6) + 20 x 3 = 115 USD, no flexible steam.
        (20.0, 0.0, 115.0),
    ],
)
def test_flexible_steam_is_raised_when_it_is_the_cheaper_supply(
    solve_case: Callable[..., Result], price_hour_1: float, flexible_mwh: float, objective: float
) -> None:
    profiles = pd.DataFrame({"firm": [5.0, 9.0], "price": [100.0, price_hour_1]})
    result = solve_case(flexible_case(price_hour_1), profiles)
    summary = result.summary
    assert summary["objective"] == exactly(objective)
    assert summary["flexible_steam_mwh"] == exactly(flexible_mwh)
    # Steady steam not taken: 1 MW in hour 0, none in hour 1 either way.
    assert summary["vented_geothermal_mwh"] == exactly(1)
    assert result.flexible["s"].curtailment["geothermal"] == exactly([1, 0])


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"steam_pu": 0.3}, r"steam_pu.*is below min_stable_pu"),
        ({"flexible_steam_pu": 0.2}, r"flexible_steam_pu.*needs steam_pu"),
        (
            {"steam_pu": 0.9, "flexible_steam_pu": 0.2, "flexible_steam_cost_per_mwh": 9},
            r"flexible_steam_pu.*steam_pu \+ flexible_steam_pu <= 1",
        ),
        (
            {"steam_pu": 0.6, "flexible_steam_pu": 0.2},
            r"flexible_steam_pu.*flexible_steam_cost_per_mwh > 0",
        ),
        (
            {
                "steam_pu": 0.6,
                "flexible_steam_pu": 0.2,
                "flexible_steam_cost_per_mwh": 9,
                "ramp_pu_per_h": 0.1,
            },
            r"flexible_steam_pu.*cannot be combined with ramp_pu_per_h",
        ),
    ],
)
def test_steam_fields_that_do_not_fit_are_refused_in_one_line(
    write_study: Callable[..., Path], fields: dict, problem: str
) -> None:
    case = geothermal_case(None)
    case["sites"]["s"]["geothermal"].update(fields)
    with pytest.raises(ScenarioError, match=r"sites\.s\.geothermal\." + problem) as error:
        load_study(write_study(case, ARRIVALS))
    assert "\n" not in str(error.value)


def test_an_emission_cap_counts_flexible_steam(tmp_path: Path) -> None:
    # Geothermal CO2 (0.04 t/MWh) is emitted by flexible steam too: with a cap that
    # binds, the flexible run's emissions, flexible steam's included, stay within it.
    folder = tmp_path / "capped"
    folder.mkdir()
    case = yaml.safe_load((DATA / "flexible_steam" / "scenario.yaml").read_text())
    case["emission_cap_tco2"] = 40.0
    (folder / "scenario.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")
    (folder / "data.csv").write_bytes((DATA / "flexible_steam" / "data.csv").read_bytes())
    result = solve(load_study(folder))
    assert_invariants(result)
    summary = result.summary
    assert summary["flexible_steam_mwh"] > 1.0
    assert summary["emissions_tco2"] == pytest.approx(40.0, rel=1e-6)
    (cap,) = summary["targets"].values()
    assert cap["shadow_price"] > 0


def test_network_file_resolves_natively(tmp_path: Path) -> None:
    # Throughput cost and venting are native PyPSA (a Link's marginal cost, a
    # Generator's p_max_pu): a plain n.optimize() of network.nc finds the optimum.
    result = solve(load_study(DATA / "vent_throughput", hours=24))
    path = tmp_path / "network.nc"
    result.network.export_to_netcdf(path)
    with pypsa_settings as pypsa:
        n = pypsa.Network(path)
        status = n.optimize(
            solver_name="highs", include_objective_constant=False, log_to_console=False
        )
    assert status == ("ok", "optimal")
    assert n.objective == pytest.approx(result.summary["objective"], rel=1e-6)


@pytest.mark.parametrize("name", ["vent_throughput", "flexible_steam"])
def test_operate_with_perfect_forecasts_reaches_the_optimum(name: str) -> None:
    # Rolling 24 h windows committed every 12 h with perfect forecasts: the realised
    # cost is the perfect-foresight optimum's or above, and MODEL.md §7 holds on the
    # realised dispatch (the flexible steam's part put back on its own Generator).
    result = operate(load_study(DATA / name, hours=48), lookahead_h=24, commit_h=12)
    summary = result.summary
    optimum = summary["perfect_foresight"]["total_cost"]
    assert summary["foresight"]["realised_cost"] >= optimum - 1e-6 * abs(optimum)
    assert_invariants(result)


def test_dispatcher_carries_throughput_cost_and_venting() -> None:
    # The rolling-horizon Dispatcher writes only series into its LP: the discharger's
    # cost and the steam bound stay, so one window equals dispatch.solve's optimum.
    study = load_study(DATA / "vent_throughput", hours=24)
    sites, _ = Dispatcher(study).solve()
    solved = solve(study)
    assert sites["ke"].objective == pytest.approx(solved.summary["objective"], rel=1e-9)
    assert sites["ke"].curtailment["geothermal"] == pytest.approx(
        solved.flexible["ke"].curtailment["geothermal"], abs=1e-6
    )
