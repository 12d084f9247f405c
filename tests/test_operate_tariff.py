"""Demand charges in operation: each window's billed peaks start from the month's peak
realised so far (``Dispatcher.set_billed_peaks``), carried from settlement to
settlement by ``operate``.

The hand case is one site ``s`` (IT capacity 50 MW, no idle draw, PUE 1), 48 hourly
steps from 2025-01-10T00:00Z, grid only, a monthly demand charge of 7440 EUR/MW on
all hours: the 48 h bill 48/744 of January, 480 EUR per MW of the month's peak.
Day 1: firm work 10 MW, import price 100 EUR/MWh. Day 2: no firm work; 48 MWh of
deferrable work arrive in its first hour, due within 23 h (by the horizon's end);
import costs 100 EUR/MWh except in the last 3 hours (0 EUR/MWh).

Worked by hand (the optimum, perfect foresight): day 1 imports 10 MW (24000 EUR,
peak 10 MW). On day 2 raising the peak above 10 MW costs 480 EUR/MW and saves at
most 3 x 100 = 300 EUR/MW in the free hours, so the peak stays 10: 30 MWh in the 3
free hours at 10 MW, 18 MWh at 100 EUR (1800 EUR). Objective 24000 + 1800 + 480 x 10
= 30600 EUR.

Day 2 planned alone (24 h windows) with the month's peak so far (10 MW) as the floor:
the same plan. Without the floor (peak from 0): a peak P costs 480 P and lets 3 P
MWh into the free hours; the other 21 hours carry 48 - 3 P <= 21 P, so P >= 2; the
window's cost 480 P + 100 (48 - 3 P) = 4800 + 180 P is least at P = 2: 2 MW in every
hour, 4200 EUR of energy; realised with day 1's peak of 10 MW, 24000 + 4200 + 4800 =
33000 EUR, 2400 EUR worse.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from dispatch import (
    BilledPeak,
    Dispatcher,
    ScenarioError,
    load_study,
    load_sweep,
    operate,
    run_sweep,
    solve,
)
from dispatch.operation.studies import window_study
from dispatch.scenario.load import study_from_scenario
from dispatch.testing import assert_invariants
from test_tariffs import NETWORKS, exactly

PER_MW = 7440 * 48 / 744
"""The monthly charge's cost per MW of peak for the 48 h horizon [EUR/MW]: 480."""

PEAK_CASE = {
    "name": "peak",
    "snapshots": {"start": "2025-01-10T00:00:00Z", "periods": 48},
    "sites": {
        "s": {
            "datacentre": {
                "it_capacity_mw": 50,
                "idle_fraction": 0.0,
                "pue": 1.0,
                "firm_mw": "profiles.csv:firm",
                "deferrable": {"arrivals_mwh": "profiles.csv:arrivals", "max_delay_h": 23},
            },
            "grid": {
                "import_limit_mw": 60,
                "import_price": "profiles.csv:price",
                "tariff": {"demand_charges": [{"price_per_mw_month": 7440}]},
            },
        }
    },
}
PROFILES = pd.DataFrame(
    {
        "firm": [10.0] * 24 + [0.0] * 24,
        "arrivals": [0.0] * 24 + [48.0] + [0.0] * 23,
        "price": [100.0] * 45 + [0.0] * 3,
    }
)


@pytest.fixture
def peak_study(write_study: Callable[..., Path]):
    return load_study(write_study(PEAK_CASE, PROFILES))


def test_operation_carries_the_months_peak_into_the_next_window(peak_study) -> None:
    assert PER_MW == 480
    assert solve(peak_study).summary["objective"] == pytest.approx(30600, rel=1e-9)
    realised = operate(peak_study, 24, 24, "perfect")
    assert_invariants(realised)
    summary = realised.summary
    assert summary["objective"] == pytest.approx(30600, rel=1e-9)
    assert summary["demand_charge_cost"] == pytest.approx(480 * 10, rel=1e-9)
    assert summary["energy_cost"] == pytest.approx(24000 + 1800, rel=1e-9)
    grid_import = realised.flexible["s"].grid_import
    assert grid_import[:24] == exactly([10.0] * 24)
    assert grid_import[45:] == exactly([10.0] * 3)
    assert grid_import.max() == pytest.approx(10.0, rel=1e-9)


def test_without_the_floor_the_second_day_is_planned_worse(peak_study) -> None:
    dispatcher = Dispatcher(window_study(peak_study, 24, 24))
    whole_day = np.ones(24, dtype=bool)
    dispatcher.set_billed_peaks("s", [BilledPeak(whole_day, PER_MW, 0.0)])
    run = dispatcher.solve()[0]["s"]
    assert run.grid_import == exactly([2.0] * 24)
    assert run.objective == pytest.approx(4200 + 480 * 2, rel=1e-9)
    dispatcher.set_billed_peaks("s", [BilledPeak(whole_day, PER_MW, 10.0)])
    run = dispatcher.solve()[0]["s"]
    assert run.grid_import[21:] == exactly([10.0] * 3)
    assert run.grid_import.max() == pytest.approx(10.0, rel=1e-9)
    # The window's objective counts the charge on the increase above the floor only.
    assert run.objective == pytest.approx(1800, rel=1e-9)
    # Realised after day 1's 10 MW peak: 33000 EUR without the floor, 30600 with it.
    assert 24000 + 4200 + PER_MW * 10 - (24000 + 1800 + PER_MW * 10) == 2400


def test_a_dispatcher_bills_its_own_window_by_default(peak_study) -> None:
    # Built for the whole horizon, it bills the horizon's month share like solve().
    sites, _ = Dispatcher(peak_study).solve()
    assert sites["s"].objective == pytest.approx(30600, rel=1e-9)


@pytest.mark.parametrize(
    ("peaks", "problem"),
    [
        ([BilledPeak(np.ones(24, dtype=bool), 1.0)] * 3, "3 billed peaks, the window holds"),
        ([BilledPeak(np.ones(23, dtype=bool), 1.0)], "one bool per step"),
        ([BilledPeak(np.ones(24, dtype=bool), -1.0)], "cost is -1.0, must be >= 0"),
        ([BilledPeak(np.ones(24, dtype=bool), 1.0, np.nan)], "floor is nan MW"),
    ],
)
def test_bad_billed_peaks_are_refused_in_one_line(peak_study, peaks, problem) -> None:
    dispatcher = Dispatcher(window_study(peak_study, 24, 24))
    with pytest.raises(ScenarioError, match=problem) as error:
        dispatcher.set_billed_peaks("s", peaks)
    assert "sites.s.grid.tariff.demand_charges" in str(error.value)
    assert "\n" not in str(error.value)


def shipped_tariff_study(hours: int, storage_value: str):
    """The solar-battery sweep's demand-charge variant (two charges, Madrid time)."""
    sweep = load_sweep(NETWORKS / "solar-battery" / "tariff-sweep.yaml")
    variant = next(v for v in sweep.variants if v.name == "demand-charges")
    scenario = copy.deepcopy(variant.scenario)
    operation = scenario.operation.model_copy(update={"storage_value": storage_value})
    scenario = scenario.model_copy(update={"operation": operation})
    return study_from_scenario(scenario, sweep.base, hours)


@pytest.mark.parametrize("storage_value", ["none", "perfect_foresight"])
def test_perfect_forecasts_reach_the_optimum_where_windows_see_the_rest(
    storage_value: str,
) -> None:
    # Three days of January: windows to the horizon's end re-plan the optimum's
    # continuation from the carried levels and peaks, so the realised cost is the
    # optimum; day-long windows cannot see enough and cost more.
    study = shipped_tariff_study(72, storage_value)
    optimum = solve(study).summary
    seeing = operate(study, 72, 24, "perfect")
    assert_invariants(seeing)
    assert seeing.summary["objective"] == pytest.approx(optimum["objective"], rel=1e-6)
    assert seeing.summary["demand_charge_cost"] > 0
    myopic = operate(study, 24, 24, "perfect")
    assert_invariants(myopic)
    assert myopic.summary["objective"] >= optimum["objective"] * (1 - 1e-6)
    assert myopic.summary["operation"]["late_mwh"] == 0


def test_windows_across_a_month_end_carry_each_months_peak() -> None:
    # tests/data/tariff: site a has two demand charges in Berlin time, whose last hour
    # is April's; windows of 48 h re-planned every 12 h each reach the horizon's end,
    # the later ones touching March and April (two peaks per charge), so the realised
    # operation is the optimum. Site b, behind a grid region, is a second part.
    study = load_study(DATA / "tariff")
    optimum = solve(study).summary
    assert len(optimum["peak_import_mw"]) == 2
    realised = operate(study, 48, 12, "perfect")
    assert_invariants(realised)
    assert realised.summary["objective"] == pytest.approx(optimum["objective"], rel=1e-6)
    assert realised.summary["demand_charge_cost"] == pytest.approx(
        optimum["demand_charge_cost"], rel=1e-6
    )


def test_an_operated_tariff_sweep_runs(tmp_path: Path) -> None:
    # The shipped sweep, operated over its first two days: each variant as operate().
    folder = tmp_path / "solar-battery"
    shutil.copytree(NETWORKS / "solar-battery", folder, ignore=shutil.ignore_patterns("partner"))
    text = (folder / "tariff-sweep.yaml").read_text(encoding="utf-8")
    sweep_file = folder / "tariff-sweep.yaml"
    operated = text.replace("hours: 743", "hours: 48\ncommand: operate")
    # A sized contracted power is not operated: the sweep is refused before any run.
    sweep_file.write_text(operated, encoding="utf-8")
    with pytest.raises(ScenarioError, match="variant 'contracted-power': operate needs given"):
        run_sweep(sweep_file, tmp_path / "refused", workers=1, progress=False)
    assert not (tmp_path / "refused").exists()
    sweep_file.write_text(operated.split("  - name: contracted-power")[0], encoding="utf-8")
    report = run_sweep(sweep_file, tmp_path / "out", workers=1, progress=False)
    assert report.errors == {}
    charged = json.loads(
        (tmp_path / "out" / "variants" / "demand-charges" / "summary.json").read_text()
    )
    sweep = load_sweep(sweep_file)
    variant = next(v for v in sweep.variants if v.name == "demand-charges")
    alone = operate(study_from_scenario(variant.scenario, sweep.base, 48))
    assert charged["objective"] == pytest.approx(alone.summary["objective"], rel=1e-6)
    assert charged["demand_charge_cost"] > 0
