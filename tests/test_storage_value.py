"""The value of stored energy at a window's end: the marginal values read from a
perfect-foresight solve (``stored_energy_values``), the Dispatcher's final value
(``Dispatcher.set_final_value``) on hand-worked cases, and rolling operation with them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from dispatch import Dispatcher, ScenarioError, load_study, operate, solve
from dispatch.scenario.study import Study
from dispatch.testing import assert_invariants
from test_hand_cases import datacentre, exactly, scenario

NORDIC = Path(__file__).parents[1] / "networks" / "nordic"


def battery_case(prices: list[float], battery: dict, firm_mw: float) -> tuple[dict, pd.DataFrame]:
    """One site, 3 h: firm work, a lossless-in-transit battery, grid at ``prices``."""
    case = scenario(
        "stored_value",
        len(prices),
        {
            "datacentre": datacentre(firm_mw=firm_mw),
            "battery": {
                "power_mw": 10,
                "energy_mwh": 10,
                "charge_efficiency": 1,
                "discharge_efficiency": 1,
                **battery,
            },
            "grid": {"import_limit_mw": 20, "import_price": "profiles.csv:price"},
        },
    )
    return case, pd.DataFrame({"price": prices})


@pytest.mark.parametrize(
    ("value", "imports", "levels", "objective"),
    [
        # No value: 2 MWh bought at 10 in hour 0 serve hours 1 and 2; 30 EUR.
        (None, [3, 0, 0], [2, 1, 0], 30.0),
        # 20 EUR/MWh: filling at 10 is worth it, serving hours 1 (50) and 2 (30) from
        # the battery too; 110 EUR - 20 * 8 MWh = -50.
        (20.0, [11, 0, 0], [10, 9, 8], 110.0 - 20 * 8),
        # 40 EUR/MWh: fill in hour 0, serve hour 1 (50 > 40) from the battery, buy hour
        # 2 (30 < 40) and refill 1 MWh; 110 + 60 EUR - 40 * 10 MWh = -230.
        (40.0, [11, 0, 2], [10, 9, 10], 170.0 - 40 * 10),
    ],
)
def test_a_final_value_keeps_energy_stored_as_worked_by_hand(
    write_study: Callable[..., Path],
    value: float | None,
    imports: list[float],
    levels: list[float],
    objective: float,
) -> None:
    # 3 h, firm 1 MW, grid 10, 50, 30 EUR/MWh; battery 10 MW / 10 MWh, lossless,
    # empty at the start; the level after hour 2 is worth ``value`` per MWh.
    case, profiles = battery_case([10, 50, 30], {"initial_level_pu": 0}, firm_mw=1)
    dispatcher = Dispatcher(load_study(write_study(case, profiles)))
    dispatcher.set_final_value("s", battery_per_mwh=value)
    run = dispatcher.solve()[0]["s"]
    assert run.grid_import == exactly(imports)
    assert run.battery_level == exactly(levels)
    assert run.objective == exactly(objective)


def test_a_final_value_is_taken_away_again(write_study: Callable[..., Path]) -> None:
    case, profiles = battery_case([10, 50, 30], {"initial_level_pu": 0}, firm_mw=1)
    dispatcher = Dispatcher(load_study(write_study(case, profiles)))
    dispatcher.set_final_value("s", battery_per_mwh=40.0)
    dispatcher.solve()
    dispatcher.set_final_value("s")
    assert dispatcher.solve()[0]["s"].objective == exactly(30.0)


def test_a_reservoir_value_counts_its_whole_level() -> None:
    # The objective with a value v is the cost of the same dispatch minus v times the
    # level after the last step as reported, minimum level included: the cost is that
    # of the window with its final level fixed there and no value.
    dispatcher = Dispatcher(load_study(NORDIC, hours=48))
    value = 45.0
    dispatcher.set_final_value("nordic", reservoir_per_mwh=value)
    valued = dispatcher.solve()[0]["nordic"]
    level = float(valued.reservoir_level[-1])
    dispatcher.set_final_value("nordic")
    dispatcher.set_final_levels("nordic", reservoir_mwh=level)
    cost = dispatcher.solve()[0]["nordic"].objective
    assert valued.objective == pytest.approx(cost - value * level, rel=1e-9)


def test_a_bad_final_value_is_refused(write_study: Callable[..., Path]) -> None:
    case, profiles = battery_case([10, 50, 30], {"initial_level_pu": 0}, firm_mw=1)
    dispatcher = Dispatcher(load_study(write_study(case, profiles)))
    with pytest.raises(ScenarioError, match="sites.s.reservoir: the site has no reservoir"):
        dispatcher.set_final_value("s", reservoir_per_mwh=1.0)
    with pytest.raises(ScenarioError, match="sites.s.battery: final value is nan"):
        dispatcher.set_final_value("s", battery_per_mwh=float("nan"))


def test_stored_energy_is_worth_the_price_it_saves_later(
    write_study: Callable[..., Path],
) -> None:
    # 3 h, firm 10 MW, grid 50, 40, 30 EUR/MWh; battery lossless in transit, 5 MWh at
    # the start, losing 10 % per hour. The optimum serves hour 0 from the 4.5 MWh left
    # and then buys. One more MWh after hour 0 keeps 0.9 MWh for hour 1, saving
    # 0.9 * 40; after hour 1, 0.9 * 30; after the last hour nothing (not cyclic).
    # Charging and discharging at the grid price pin the values: no other optimum.
    case, profiles = battery_case(
        [50, 40, 30], {"initial_level_pu": 0.5, "standing_loss_per_h": 0.1}, firm_mw=10
    )
    result = solve(load_study(write_study(case, profiles)), parallel=False)
    assert result.flexible["s"].battery_level == exactly([0, 0, 0])
    values = result.shadow_values["storage"]["s"]
    assert values["battery"] == exactly([0.9 * 40, 0.9 * 30, 0])


def test_perfect_forecasts_keep_the_reservoir_with_its_value() -> None:
    # nordic's seasonal reservoir over 10 days: with the perfect-foresight value each
    # 48 h plan keeps what the optimum keeps, so perfect forecasts give the optimum
    # (1e-6 relative); without it the plans spend water the optimum saves.
    study = load_study(NORDIC, hours=240)
    valued = operate(study, 48, 24, forecast="perfect")
    operation = study.scenario.operation.model_copy(update={"storage_value": "none"})
    scenario_none = study.scenario.model_copy(update={"operation": operation})
    unvalued = operate(
        Study(scenario_none, study.source, study.snapshots, study.series),
        48,
        24,
        forecast="perfect",
    )
    optimum = valued.summary["perfect_foresight"]["total_cost"]
    assert valued.summary["operation"]["storage_end_shortfall_mwh"] == pytest.approx(0, abs=1e-6)
    assert valued.summary["foresight"]["realised_cost"] == pytest.approx(optimum, rel=1e-6)
    assert unvalued.summary["foresight"]["realised_cost"] > optimum + 1e-3 * abs(optimum)
    assert_invariants(valued)
