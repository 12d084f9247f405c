"""Planning features solved by hand: sizing, heat reuse, water, carbon targets, the
value of flexibility, and the one-line errors of bad planning inputs.

Cases are one site ``s`` (unless stated) in hourly steps from 2025-06-01T00:00Z with
zero-cost renewables, built with the helpers of ``test_hand_cases``. Capital costs
are given per MW over the study's horizon: capex x annuity factor x hours / 8760.
Every solved case also satisfies all invariants.
"""

# ruff: noqa: F811 (the fixture solve_case of test_hand_cases is a parameter by name)
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import DATA
from dispatch import Result, load_study
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.model.network import build_network
from dispatch.model.sizing import annuity_factor
from dispatch.testing import assert_invariants
from test_hand_cases import datacentre, exactly, scenario, solve_case  # noqa: F401
from test_invariants import with_dispatch

HOURS_PER_YEAR = 8760


def expansion(cost_per_mw: float, hours: float, **fields: object) -> dict:
    """Sizing at ``cost_per_mw`` per MW over a horizon of ``hours`` (r = 0, n = 1 a).

    With r = 0 and n = 1 the annuity factor is 1, so capex = cost x 8760 / hours.
    """
    capex = cost_per_mw * HOURS_PER_YEAR / hours
    return {"capex_per_mw": capex, "lifetime_years": 1, "discount_rate": 0, **fields}


@pytest.mark.parametrize(("rate", "years"), [(0.07, 25), (0.0, 20), (0.05, 1)])
def test_annuity_factor_is_the_closed_form(rate: float, years: float) -> None:
    # r (1 + r)^n / ((1 + r)^n - 1) = r / (1 - (1 + r)^-n); 1/n at r = 0.
    expected = rate * (1 + rate) ** years / ((1 + rate) ** years - 1) if rate else 1 / years
    assert annuity_factor(rate, years) == pytest.approx(expected, rel=1e-12)


def test_annuity_factor_at_seven_percent_over_25_years() -> None:
    # 1.07^25 = 5.427433; 0.07 x 5.427433 / 4.427433 = 0.0858105.
    assert annuity_factor(0.07, 25) == pytest.approx(0.0858105, abs=1e-7)


def test_sizing_study_builds_solar_up_to_the_sunny_hours_load(solved: Callable) -> None:
    result = solved(DATA / "sizing")
    assert_invariants(result)
    summary = result.summary
    # capex 219000 EUR/MW, r = 0, n = 1 a: 219000 x 2 h / 8760 h = 50 EUR/MW over the
    # horizon. Firm 4 MW at PUE 1; solar availability 0, 1; grid 100 EUR/MWh. Each MW
    # of solar saves 100 EUR in hour 1 up to its 4 MW load, so 4 MW are built.
    for figures in (summary, summary["baseline"]):  # the baseline sizes the same here
        assert figures["capacities"] == {"solar": exactly(4), "it": exactly(5)}
        assert figures["capital_cost"] == exactly(4 * 50)
        assert figures["energy_cost"] == exactly(4 * 100)  # hour 0 from the grid
        assert figures["objective"] == exactly(400 + 200)
        assert figures["total_cost"] == exactly(600)
    assert summary["curtailment_mwh"] == exactly(0)


def battery_sizing(cost: float, rate: float, years: float, unit: str, hours: float) -> dict:
    """Sizing of battery power (``unit`` "mw") or energy ("mwh") at ``cost`` per MW or
    MWh over a horizon of ``hours``, at discount rate ``rate`` over ``years``."""
    capex = cost * HOURS_PER_YEAR / hours / annuity_factor(rate, years)
    return {f"capex_per_{unit}": capex, "lifetime_years": years, "discount_rate": rate}


@pytest.mark.parametrize(
    ("power_cost", "energy_cost", "power", "energy", "grid_import", "capital_cost", "objective"),
    [
        # Power dear, energy cheap: a 2 h battery, charged in hours 0 and 1.
        (60, 20, 2, 4, [4, 4, 0, 0], 2 * 60 + 4 * 20, 480),
        # Energy dear, power cheap: a 1 h battery, charged in hour 0 only.
        (20, 60, 4, 4, [6, 2, 0, 0], 4 * 20 + 4 * 60, 500),
        # Power given (1 MW), energy sized: E = 2P.
        (None, 20, 1, 2, [3, 3, 1, 1], 2 * 20, 470),
        # Energy given (1 MWh), power sized: P = E / 2.
        (60, None, 0.5, 1, [2.5, 2.5, 1.5, 1.5], 0.5 * 60, 535),
    ],
)
def test_battery_power_and_energy_are_sized_independently(
    solve_case: Callable[..., Result],
    power_cost: float | None,
    energy_cost: float | None,
    power: float,
    energy: float,
    grid_import: list[float],
    capital_cost: float,
    objective: float,
) -> None:
    """Firm 2 MW for 4 h; grid at 10, 60, 110, 110 EUR/MWh (import up to 10 MW, no
    export); battery with efficiencies 1, no standing loss, cyclic. Costs over the
    horizon: power_cost per MW (r = 0.07, n = 15 a), energy_cost per MWh (r = 0.05,
    n = 10 a); None: given at 1 MW or 1 MWh.

    Charged a in hour 0 and b in hour 1 (each <= P), discharged in hours 2 and 3
    (each <= P and <= the 2 MW load), the battery saves 100 a + 50 b with a + b <= E
    and a + b <= 4. So a = min(P, E) and b = min(E, 2P) - a: savings
    100 min(P, E) + 50 max(0, min(E, 2P) - P), concave in (P, E), with vertices
    (P, E) = (2, 2): 200, (2, 4): 300, (4, 4): 400.

    * 60/MW, 20/MWh: net savings (2, 2) 200 - 160 = 40, (2, 4) 300 - 200 = 100,
      (4, 4) 400 - 320 = 80. From (2, 4), one more MW moves 1 MWh from b to a: +50
      for 60; 1 MWh less loses 50 and saves 20: P = 2 MW, E = 4 MWh. Import 2 + 2 in
      hours 0 and 1: 4 x 10 + 4 x 60 = 280, plus capital 200: 480.
    * 20/MW, 60/MWh: (2, 2) 200 - 160 = 40, (2, 4) 300 - 280 = 20, (4, 4) 400 - 320
      = 80; along E = P each MW and MWh together earn 100 for 80: P = E = 4. Import
      2 + 4 in hour 0: 60 + 2 x 60 = 180, plus capital 320: 500.
    * P = 1 MW: savings 100 min(1, E) + 50 max(0, min(E, 2) - 1); the second MWh
      still earns 50 for 20: E = 2 MWh. Import (3, 3, 1, 1): 430, plus 40: 470.
    * E = 1 MWh: savings 150 P up to P = 0.5 (a = b = P), then 50 + 50 P: 0.5 MW
      earns 75 for 30, 1 MW 100 for 60: P = 0.5 MW. Import (2.5, 2.5, 1.5, 1.5):
      25 + 150 + 330 = 505, plus 30: 535.

    Without a battery the study costs 2 x (10 + 60 + 110 + 110) = 580; there is no
    flexible work, so the baseline sizes the same battery.
    """
    battery = {
        "power_mw": 1,
        "energy_mwh": 1,
        "charge_efficiency": 1,
        "discharge_efficiency": 1,
    }
    if power_cost is not None:
        battery["expansion"] = {**battery_sizing(power_cost, 0.07, 15, "mw", 4), "max_mw": 10}
    if energy_cost is not None:
        battery["energy_expansion"] = battery_sizing(energy_cost, 0.05, 10, "mwh", 4)
    result = solve_case(
        scenario(
            "battery_sizing",
            4,
            {
                "datacentre": datacentre(firm_mw=2),
                "battery": battery,
                "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
            },
        ),
        pd.DataFrame({"price": [10.0, 60, 110, 110]}),
    )
    summary = result.summary
    for figures in (summary, summary["baseline"]):
        assert figures["capacities"]["battery"] == exactly(power)
        assert figures["capacities"]["battery_energy"] == exactly(energy)
        assert figures["capital_cost"] == exactly(capital_cost)
        assert figures["energy_cost"] == exactly(objective - capital_cost)
        assert figures["objective"] == exactly(objective)
    assert result.flexible["s"].grid_import == exactly(grid_import)


def test_sized_it_capacity_covers_the_peak_work_and_its_idle_draw_follows(
    solve_case: Callable[..., Result],
) -> None:
    # C at 10 EUR/MW over 2 h; idle 0.2; grid 100 EUR/MWh. Firm 2 MW in both hours,
    # 4 MWh deferrable arrive in hour 0 (D = 1 h). Each MW of C costs 10 + idle draw
    # 0.2 MW x 2 h x 100 = 50 EUR, so C is the peak work. Work energy 8 MWh costs
    # (1 - idle) x 8 x 100 = 640 EUR either way.
    result = solve_case(
        scenario(
            "it_sizing",
            2,
            {
                "datacentre": datacentre(
                    it_capacity_mw=1,
                    idle_fraction=0.2,
                    firm_mw=2,
                    deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 1},
                    it_expansion=expansion(10, 2, max_mw=10),
                    cooling="evaporative",
                    water_m3_per_mwh=0.5,
                ),
                "grid": {"import_limit_mw": 20, "import_price": 100},
            },
        ),
        pd.DataFrame({"arrivals": [4.0, 0]}),
    )
    summary = result.summary
    # Flexible: 2 MWh deferred to hour 1, work 4 MW in both hours: C = 4 MW, idle
    # draw 0.8 MW, IT power 0.8 + 0.8 x 4 = 4 MW; 50 x 4 + 640 = 840 EUR.
    assert summary["capacities"]["it"] == exactly(4)
    assert result.flexible["s"].it_power["idle"] == exactly([0.8, 0.8])
    assert sum(result.flexible["s"].it_power.values()) == exactly([4, 4])
    assert summary["capital_cost"] == exactly(40)
    assert summary["objective"] == exactly(840)
    # Baseline: work 6 then 2 MW: C = 6 MW, idle draw 1.2 MW, IT power 1.2 + 0.8 x
    # (6, 2) = (6, 2.8) MW; 50 x 6 + 640 = 940 EUR.
    base = summary["baseline"]
    assert base["capacities"]["it"] == exactly(6)
    assert result.baseline["s"].it_power["idle"] == exactly([1.2, 1.2])
    assert sum(result.baseline["s"].it_power.values()) == exactly([6, 2.8])
    assert base["objective"] == exactly(940)
    # Water at the given 0.5 m3/MWh of IT energy: 8 and 6 + 2.8 = 8.8 MWh.
    assert summary["water_m3"] == exactly(0.5 * 8)
    assert base["water_m3"] == exactly(0.5 * 8.8)


@pytest.mark.parametrize(
    ("cop", "delivered", "electricity", "objective"),
    [
        # Heat exchanger: waste heat 0.5 x 4 = 2 MW passes on one to one; delivered
        # min(demand, 2) = (1, 2): 3 MWh x 50 = 150 EUR; 800 - 150.
        (None, [1, 2], [0, 0], 800 - 150),
        # Heat pump, COP 3: e MW of electricity draws 2e of waste heat and delivers
        # 3e. Heat 3 x 50 = 150 EUR per MWh of electricity at 100: worth it. Hour 0:
        # demand 1, e = 1/3; hour 1: waste heat 2e <= 2, e = 1, heat 3 < demand 4.
        # 800 + (4/3) x 100 - 4 x 50.
        (3.0, [1, 3], [1 / 3, 1], 800 + 400 / 3 - 200),
    ],
)
def test_heat_reuse_sells_waste_heat_within_its_limits(
    solve_case: Callable[..., Result],
    cop: float | None,
    delivered: list[float],
    electricity: list[float],
    objective: float,
) -> None:
    # Firm 4 MW at PUE 1 for 2 h from the grid at 100 EUR/MWh (800 EUR); recoverable
    # share 0.5 of IT power; heat demand (1, 4) MW at 50 EUR/MWh.
    heat = {"recoverable_fraction": 0.5, "demand_mw": "profiles.csv:demand", "price": 50}
    if cop is not None:
        heat["heat_pump_cop"] = cop
    result = solve_case(
        scenario(
            "heat_reuse",
            2,
            {
                "datacentre": datacentre(firm_mw=4, heat_reuse=heat, cooling="evaporative"),
                "grid": {"import_limit_mw": 10, "import_price": 100},
            },
        ),
        pd.DataFrame({"demand": [1.0, 4]}),
    )
    run, summary = result.flexible["s"], result.summary
    assert run.heat_delivered == exactly(delivered)
    assert run.heat_pump_power == exactly(electricity)
    # The waste heat limit binds in hour 1: 2 MW used (exchanger: 2; pump: 2 x 1).
    waste_heat_used = run.heat_delivered - run.heat_pump_power
    assert waste_heat_used[1] == exactly(0.5 * 4)
    assert run.grid_import == exactly(4 + np.asarray(electricity))
    assert summary["heat_revenue"] == exactly(50 * sum(delivered))
    assert summary["heat_delivered_mwh"] == exactly(sum(delivered))
    assert summary["heat_pump_energy_mwh"] == exactly(sum(electricity))
    assert summary["objective"] == exactly(objective)
    assert summary["total_cost"] == exactly(objective)
    # Evaporative cooling without a given WUE: 1.8 m3 per MWh of IT energy (8 MWh).
    assert summary["water_m3"] == exactly(1.8 * 8)
    ds = result.dispatch.sel(site="s")
    assert ds["heat_delivered"].sel(run="flexible").values.tolist() == exactly(delivered)
    assert ds["heat_demand"].values.tolist() == [1.0, 4.0]
    assert ds["heat_price"].values.tolist() == [50.0, 50.0]
    assert ds["firm_work"].values.tolist() == [4.0, 4.0]


def test_hourly_dataset_has_the_workload_inputs_and_heat_only_with_heat_reuse(
    solved: Callable[..., Result],
) -> None:
    result = solved(DATA / "tiny")
    ds, study = result.dispatch.sel(site="s"), result.study
    for name, field in [
        ("firm_work", "datacentre.firm_mw"),
        ("deferrable_arrivals", "datacentre.deferrable.arrivals_mwh"),
        ("interruptible_offered", "datacentre.interruptible.offered_mw"),
    ]:
        assert ds[name].values.tolist() == study.values("s", field).tolist(), name
    assert ds["deferrable_arrivals"].values.tolist() == [4, 4, 0, 0]  # profiles.csv
    assert ds["deferrable_arrivals"].attrs["cell_methods"] == "time: sum"
    assert not {"heat_delivered", "heat_pump_power", "heat_demand"} & set(ds.data_vars)


def test_heat_exchanger_has_no_missing_inputs(write_study: Callable[..., Path]) -> None:
    heat = {"recoverable_fraction": 0.5, "demand_mw": 1, "price": 50}
    site = {
        "datacentre": datacentre(firm_mw=4, heat_reuse=heat),
        "grid": {"import_limit_mw": 10, "import_price": 100},
    }
    n = build_network(load_study(write_study(scenario("exchanger", 2, site))))
    assert n.links.at["s heat exchanger", "efficiency2"] == 1.0


def test_heat_study_satisfies_the_invariants(solved: Callable) -> None:
    assert_invariants(solved(DATA / "heat"))


def carbon_case(**targets: object) -> dict:
    """Firm 4 MW for 2 h; solar 4 MW (availability 1, 0.5) at 50 EUR/MWh; grid at 30
    EUR/MWh with clean share 0.25 and 0.5 tCO2/MWh. Cost-optimal: all from the grid,
    240 EUR, 4 tCO2, CFE (8 - 0.75 x 8) / 8 = 0.25. ``targets``: scenario fields, or
    ``site_cfe_target`` for the site's target."""
    site = {
        "datacentre": datacentre(firm_mw=4),
        "solar": {"capacity_mw": 4, "availability": "profiles.csv:solar", "marginal_cost": 50},
        "grid": {
            "import_limit_mw": 10,
            "import_price": 30,
            "clean_share": 0.25,
            "carbon_intensity_t_per_mwh": 0.5,
        },
    }
    if "site_cfe_target" in targets:
        site["cfe_target"] = targets.pop("site_cfe_target")
    return {**scenario("carbon", 2, site), **targets}


CARBON_PROFILES = pd.DataFrame({"solar": [1.0, 0.5]})


@pytest.mark.parametrize(
    ("field", "shadow_price_name"),
    [("site_cfe_target", "cfe_target s"), ("cfe_target", "cfe_target")],
)
def test_binding_cfe_target_is_met_exactly(
    solve_case: Callable[..., Result], field: str, shadow_price_name: str
) -> None:
    # Target 0.625 of 8 MWh: clean = 8 - 0.75 (8 - S) = 2 + 0.75 S = 5 MWh, so S = 4
    # MWh of solar (of 6 available) at 50 - 30 = 20 EUR extra each: 240 + 80 = 320.
    # Each MWh of solar adds 0.75 MWh clean: 20 / 0.75 = 80/3 EUR per MWh of CFE.
    # Import (4 MWh) never exceeds facility power, so the score is the linear form.
    result = solve_case(carbon_case(**{field: 0.625}), CARBON_PROFILES)
    summary = result.summary
    assert summary["cfe_score"] == pytest.approx(0.625, abs=1e-6)
    assert summary["sites"]["s"]["cfe_score"] == pytest.approx(0.625, abs=1e-6)
    assert summary["grid_import_mwh"] == exactly(4)
    assert summary["objective"] == exactly(320)
    target = summary["targets"][shadow_price_name]
    assert target == {"shadow_price": exactly(80 / 3), "unit": "EUR/MWh"}
    # The baseline ignores the target: all from the grid, CFE 0.25, 240 EUR.
    assert summary["baseline"]["cfe_score"] == exactly(0.25)
    assert summary["baseline"]["objective"] == exactly(240)


def test_cfe_target_below_the_optimum_has_no_shadow_price(
    solve_case: Callable[..., Result],
) -> None:
    # The cost-optimal plan already reaches 0.25 >= 0.2: nothing changes.
    result = solve_case(carbon_case(site_cfe_target=0.2), CARBON_PROFILES)
    summary = result.summary
    assert summary["cfe_score"] == exactly(0.25)
    assert summary["objective"] == exactly(240)
    assert summary["targets"]["cfe_target s"]["shadow_price"] == exactly(0)


def test_binding_emission_cap_is_priced_per_tonne(solve_case: Callable[..., Result]) -> None:
    # Cap 3 tCO2 at 0.5 tCO2/MWh: import <= 6 MWh, so 2 MWh of solar at 20 EUR extra:
    # 240 + 40 = 280 EUR. One more tCO2 lets 2 MWh more import save 2 x 20 = 40 EUR.
    result = solve_case(carbon_case(emission_cap_tco2=3), CARBON_PROFILES)
    summary = result.summary
    assert summary["emissions_tco2"] == exactly(3)
    assert summary["objective"] == exactly(280)
    assert summary["targets"]["emission_cap"] == {"shadow_price": exactly(40), "unit": "EUR/tCO2"}
    assert summary["baseline"]["emissions_tco2"] == exactly(4)
    assert summary["water_m3"] == exactly(0)  # dry cooling (the default) uses none
    # The invariants reject a negative shadow price.
    planted = Result(
        result.study,
        (result.flexible, result.routes["flexible"]),
        (result.baseline, result.routes["baseline"]),
        result.network,
        result.network_baseline,
        result.timings,
        {**result.shadow_values, "targets": {"emission_cap": -40.0}},
    )
    with pytest.raises(AssertionError, match="emission_cap: shadow price >= 0"):
        assert_invariants(planted)


def test_it_capacity_value_is_the_price_difference(solve_case: Callable[..., Result]) -> None:
    # C = 4 MW; 4 MWh deferrable arrive in hour 0 (D = 1 h); firm 0 then 2 MW; grid at
    # 100 then 20 EUR/MWh. Hour 1 has room for 2 MWh of the deferrable work, the rest
    # is served in hour 0: 2 x 100 + 4 x 20 = 280 EUR. One more MW of C moves 1 MWh
    # from 100 to 20 EUR/MWh: worth 80 EUR. The backlog (2 MWh after hour 0) stays
    # below its bound (4 MWh): worth 0.
    result = solve_case(
        scenario(
            "capacity_value",
            2,
            {
                "datacentre": datacentre(
                    it_capacity_mw=4,
                    firm_mw="profiles.csv:firm",
                    deferrable={"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 1},
                ),
                "grid": {"import_limit_mw": 10, "import_price": "profiles.csv:price"},
            },
        ),
        pd.DataFrame({"firm": [0.0, 2], "arrivals": [4.0, 0], "price": [100.0, 20]}),
    )
    site = result.summary["sites"]["s"]
    assert result.summary["objective"] == exactly(280)
    assert site["it_capacity_value_per_mw"] == exactly(80)
    assert site["backlog_bound_value_per_mwh"] == exactly(0)


def test_route_capacity_value_is_the_cost_difference(
    solve_case: Callable[..., Result],
) -> None:
    # One hour. Site a: firm 3 MW, grid 100 EUR/MWh; site b: grid 20 EUR/MWh. Route
    # a -> b: 1 MW at 5 EUR/MWh. 1 MW of a's firm work moves: 2 x 100 + 20 + 5 = 225
    # EUR (baseline 300). One more MW of route saves 100 - (20 + 5) = 75 EUR.
    grid = {"import_limit_mw": 10}
    study = {
        "name": "route_value",
        "snapshots": {"start": "2025-06-01T00:00:00Z", "periods": 1, "step_h": 1},
        "sites": {
            "a": {"datacentre": datacentre(firm_mw=3), "grid": {**grid, "import_price": 100}},
            "b": {"datacentre": datacentre(), "grid": {**grid, "import_price": 20}},
        },
        "routing": {
            "latency": {"sites": ["a", "b"], "matrix_ms": [[0, 5], [5, 0]]},
            "firm_latency_budget_ms": 10,
            "routes": [{"origin": "a", "destination": "b", "capacity_mw": 1, "cost_per_mwh": 5}],
        },
    }
    summary = solve_case(study).summary
    assert summary["objective"] == exactly(225)
    assert summary["baseline"]["objective"] == exactly(300)
    assert summary["routes"]["a->b"]["capacity_value_per_mw"] == exactly(75)


runner = CliRunner()


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("solar", "expansion", "capex_per_mw"), -1, "greater than or equal to 0"),
        (("solar", "expansion", "min_mw"), 11, "exceeds max_mw"),
        (("datacentre", "it_expansion"), expansion(1, 2), "max_mw: is required"),
        (("battery", "expansion", "min_mw"), 3, "exceeds max_mw"),
        (("battery", "energy_expansion", "capex_per_mwh"), -1, "greater than or equal to 0"),
        (("battery", "energy_expansion", "min_mwh"), 9, "exceeds max_mwh"),
        (("battery", "expansion", "capex_per_mwh"), 5, "unknown field"),
        (("battery", "initial_level_pu"), 0.5, "cannot be combined with energy_expansion"),
        (("cfe_target",), 1.5, "less than or equal to 1"),
    ],
)
def test_bad_planning_values_give_one_line_errors(
    write_study: Callable[..., Path], path: tuple[str, ...], value: object, words: str
) -> None:
    # The sizing study (solar up to 10 MW) and a battery (power up to 2 MW, energy up
    # to 8 MWh) with the value at ``path`` made bad.
    energy_expansion = {"capex_per_mwh": 1000, "lifetime_years": 10, "max_mwh": 8}
    site = {
        "datacentre": datacentre(it_capacity_mw=5, firm_mw=4),
        "solar": {"capacity_mw": 0, "availability": 1, "expansion": expansion(50, 2, max_mw=10)},
        "battery": {
            "power_mw": 1,
            "energy_mwh": 2,
            "expansion": expansion(20, 2, max_mw=2),
            "energy_expansion": energy_expansion,
        },
        "grid": {"import_limit_mw": 10, "import_price": 100},
    }
    *parents, last = path
    parent = site
    for key in parents:
        parent = parent[key]
    parent[last] = value
    result = runner.invoke(app, ["validate", str(write_study(scenario("bad", 2, site)))])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    message = result.output.strip()
    assert "\n" not in message and message.startswith("error: ")
    assert f"sites.s.{'.'.join(path)}" in message and words in message


def test_invariants_catch_a_sized_capacity_above_max_mw(solved: Callable) -> None:
    result = solved(DATA / "sizing")
    capacities = {**result.flexible["s"].capacities, "solar": 11.0}
    with pytest.raises(AssertionError, match=r"sized solar capacity in \[min_mw, max_mw\]"):
        assert_invariants(with_dispatch(result, "flexible", capacities=capacities))


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        ("battery", r"battery (charge|discharge) in \[0, P\] \(upper bound\)"),
        ("battery_energy", r"battery level in \[0, E\] \(upper bound\)"),
    ],
)
def test_invariants_hold_a_battery_to_its_sized_power_and_energy(
    solved: Callable, capacity: str, message: str
) -> None:
    # tests/data/battery_sizing sizes both; its flexible run uses each to the full.
    result = solved(DATA / "battery_sizing")
    capacities = dict(result.flexible["s"].capacities)
    capacities[capacity] *= 0.9
    with pytest.raises(AssertionError, match=message):
        assert_invariants(with_dispatch(result, "flexible", capacities=capacities))


def test_invariants_catch_heat_above_the_demand(solved: Callable) -> None:
    # The heat study's demand is 2 MW; 2.5 MW delivered in hour 0.
    result = solved(DATA / "heat")
    delivered = result.flexible["s"].heat_delivered.copy()
    delivered[0] = 2.5
    with pytest.raises(AssertionError, match=r"heat delivered in \[0, demand_t\].*step 0"):
        assert_invariants(with_dispatch(result, "flexible", heat_delivered=delivered))
