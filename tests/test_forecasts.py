"""Forecasts of a study's series (dispatch.operation.forecasts) and the scenario's
``operation`` block."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dispatch import load_study
from dispatch.core.errors import ScenarioError
from dispatch.operation.forecast_errors import KIND_ERRORS, SERIES_KINDS, ErrorForecast
from dispatch.operation.forecasts import (
    PerfectForecast,
    PerSeriesForecast,
    PersistenceForecast,
    forecast_from_scenario,
)
from dispatch.scenario.checks import check_rolling_horizon
from dispatch.scenario.series import REGION_SERIES_FIELDS, SERIES_FIELDS
from dispatch.scenario.study import Study
from hostile import copy_study

OLKARIA = Path(__file__).parents[1] / "networks" / "olkaria"
SHARED_GRID = Path(__file__).parent / "data" / "shared_grid"


@functools.cache
def olkaria(hours: float) -> Study:
    return load_study(OLKARIA, hours=hours)


def test_perfect_forecast_is_the_actual_and_repeats_the_last_value_past_the_end() -> None:
    study = olkaria(72)
    forecast = PerfectForecast().issue(study, 50, 48)
    assert forecast.keys() == study.series.keys()
    for key, actual in study.series.items():
        assert np.array_equal(forecast[key][:22], actual[50:])
        assert np.all(forecast[key][22:] == actual[-1])
    forecast["olkaria/solar.availability"][0] = -1.0
    assert study.series["olkaria/solar.availability"][50] >= 0  # fresh arrays


def test_forecasts_refuse_a_window_outside_the_study() -> None:
    for start, steps in ((-1, 4), (72, 4), (0, 0)):
        with pytest.raises(ValueError, match="starts at a step"):
            PerfectForecast().issue(olkaria(72), start, steps)


def test_persistence_repeats_the_last_known_day_and_copies_the_first_day_before_it(
    write_study: Callable[..., Path],
) -> None:
    # Six-hour steps: a day is 4 steps. Solar availability of step i is i / 100.
    folder = write_study(
        {
            "name": "persist",
            "snapshots": {"start": "2025-01-01T00:00:00Z", "periods": 12, "step_h": 6.0},
            "sites": {
                "s": {
                    "datacentre": {"it_capacity_mw": 10.0, "firm_mw": 1.0},
                    "solar": {"capacity_mw": 5.0, "availability": "profiles.csv:solar"},
                }
            },
        },
        pd.DataFrame({"solar": np.arange(12) / 100}),
    )
    study = load_study(folder)
    persistence = PersistenceForecast()
    # Issued at step 6: steps 6..9 from the day before (2..5), 10..11 from 2..3 again.
    after = persistence.issue(study, 6, 6)["s/solar.availability"] * 100
    assert after.round(9).tolist() == [2, 3, 4, 5, 2, 3]
    # Issued at step 1: the first day stands in for the day before the study.
    first = persistence.issue(study, 1, 5)["s/solar.availability"] * 100
    assert first.round(9).tolist() == [1, 2, 3, 0, 1]
    assert persistence.issue(study, 0, 4)["s/solar.availability"].tolist() == [
        0,
        0.01,
        0.02,
        0.03,
    ]


def test_error_forecast_is_reproducible_and_the_same_however_windows_split() -> None:
    study = olkaria(240)
    forecast = ErrorForecast(seed=7)
    long = forecast.issue(study, 24, 72)
    again = ErrorForecast(seed=7).issue(study, 24, 72)
    short = forecast.issue(study, 24, 24)
    other_seed = ErrorForecast(seed=8).issue(study, 24, 72)
    for key in study.series:
        assert np.array_equal(long[key], again[key])
        assert np.array_equal(long[key][:24], short[key])
    key = "olkaria/solar.availability"
    assert not np.array_equal(long[key], other_seed[key])
    # Issued at another time: other draws.
    later = forecast.issue(study, 48, 24)
    assert not np.array_equal(long[key][24:48], later[key])


def test_error_forecast_without_error_is_the_actual() -> None:
    study = olkaria(96)
    exact = ErrorForecast(seed=3, sigma_pu=0.0, growth_pu_per_h=0.0).issue(study, 10, 48)
    perfect = PerfectForecast().issue(study, 10, 48)
    for key in study.series:
        assert np.array_equal(exact[key], perfect[key]), key


def test_error_forecast_stays_within_ranges_capacity_and_price_order() -> None:
    study = olkaria(240)
    wild = ErrorForecast(seed=1, sigma_pu=3.0, growth_pu_per_h=0.5, correlation=0.5)
    dc = study.sites["olkaria"].datacentre
    for start in range(0, 240, 24):
        forecast = wild.issue(study, start, 48)
        for key, values in forecast.items():
            low, high = SERIES_FIELDS[key.split("/", 1)[1]]
            assert np.all((values >= low) & (values <= high)), key
        work = (
            forecast["olkaria/datacentre.firm_mw"]
            + forecast["olkaria/datacentre.deferrable.arrivals_mwh"] / study.step_h
            + forecast["olkaria/datacentre.interruptible.offered_mw"]
        )
        assert np.all(work <= dc.it_capacity_mw * (1 + 1e-9))
        assert np.all(
            forecast["olkaria/grid.export_price"] <= forecast["olkaria/grid.import_price"]
        )
    assert np.ptp(forecast["olkaria/solar.availability"]) > 0


def test_forecasts_keep_export_below_every_import_price_of_a_grid_region() -> None:
    study = load_study(SHARED_GRID)
    members = study.region_sites("west")
    mixed = PerSeriesForecast(
        PerfectForecast(), {"sunny/grid.export_price": ErrorForecast(seed=2, sigma_pu=5.0)}
    )
    for forecast in (ErrorForecast(seed=2, sigma_pu=5.0), mixed):
        for start in range(4):
            issued = forecast.issue(study, start, 6)
            lowest = np.min([issued[f"{s}/grid.import_price"] for s in members], axis=0)
            for seller in members:
                assert np.all(issued[f"{seller}/grid.export_price"] <= lowest)
    raised = [mixed.issue(study, start, 6)["sunny/grid.export_price"] for start in range(4)]
    assert np.max(raised) == 50.0  # some draws above sunny's import price were held at it


def test_error_grows_with_lead_time_on_average() -> None:
    study = olkaria(24 * 40)
    forecast = ErrorForecast(seed=11)
    errors = []
    for start in range(0, 24 * 38, 24):
        issued = forecast.issue(study, start, 48)["olkaria/datacentre.firm_mw"]
        actual = study.series["olkaria/datacentre.firm_mw"][start : start + 48]
        errors.append(np.abs(issued / actual - 1))
    by_lead = np.mean(errors, axis=0)
    assert by_lead[:6].mean() < by_lead[18:24].mean() < by_lead[42:].mean()


def test_every_series_field_has_a_kind_with_an_error_model() -> None:
    assert set(SERIES_KINDS) == set(SERIES_FIELDS) | set(REGION_SERIES_FIELDS)
    assert set(SERIES_KINDS.values()) == set(KIND_ERRORS)


def test_per_series_forecast_takes_a_series_over_a_field_over_the_default() -> None:
    study = olkaria(96)
    forecast = PerSeriesForecast(
        PerfectForecast(),
        {
            "solar.availability": PersistenceForecast(),
            "olkaria/grid.import_price": PersistenceForecast(),
            "grid.import_price": ErrorForecast(seed=1),
        },
    )
    issued = forecast.issue(study, 30, 24)
    persisted = PersistenceForecast().issue(study, 30, 24)
    perfect = PerfectForecast().issue(study, 30, 24)
    for key in ("olkaria/solar.availability", "olkaria/grid.import_price"):
        assert np.array_equal(issued[key], persisted[key])
    assert np.array_equal(issued["olkaria/datacentre.pue"], perfect["olkaria/datacentre.pue"])
    assert not np.array_equal(
        issued["olkaria/solar.availability"], perfect["olkaria/solar.availability"]
    )


def _edited(tmp_path: Path, operation: str) -> Path:
    folder = copy_study(OLKARIA, tmp_path / "olkaria")
    with (folder / "scenario.yaml").open("a") as stream:
        stream.write(operation)
    return folder


def test_operation_block_defaults_to_a_day_ahead_operator_with_perfect_forecasts() -> None:
    operation = olkaria(48).scenario.operation
    assert (operation.lookahead_h, operation.commit_h) == (48.0, 24.0)
    assert operation.forecast.method == "perfect" and operation.forecast.series == {}
    assert isinstance(forecast_from_scenario(olkaria(48)), PerfectForecast)
    assert isinstance(forecast_from_scenario(olkaria(48), "persistence"), PersistenceForecast)


def test_forecast_from_scenario_follows_the_operation_block(tmp_path: Path) -> None:
    folder = _edited(
        tmp_path,
        "operation:\n"
        "  lookahead_h: 36\n"
        "  commit_h: 12\n"
        "  forecast:\n"
        "    method: error\n"
        "    seed: 5\n"
        "    sigma_pu: 0.1\n"
        "    series:\n"
        "      solar.availability: {method: persistence}\n"
        "      olkaria/grid.import_price: {growth_pu_per_h: 0.0, sigma_pu: 0.0}\n",
    )
    study = load_study(folder, hours=96)
    forecast = forecast_from_scenario(study)
    assert isinstance(forecast, PerSeriesForecast)
    assert isinstance(forecast.default, ErrorForecast)
    assert (forecast.default.seed, forecast.default.sigma_pu) == (5, 0.1)
    assert isinstance(forecast.method_of("olkaria/solar.availability"), PersistenceForecast)
    issued = forecast.issue(study, 24, 36)
    actual = study.series["olkaria/grid.import_price"][24:60]
    assert np.array_equal(issued["olkaria/grid.import_price"], actual)
    # The command line's method replaces the default, the overrides stay.
    perfect_default = forecast_from_scenario(study, "perfect")
    assert isinstance(perfect_default.default, PerfectForecast)
    assert isinstance(perfect_default.method_of("olkaria/solar.availability"), PersistenceForecast)


@pytest.mark.parametrize(
    ("operation", "field", "problem"),
    [
        ("  lookahead_h: 24\n  commit_h: 48\n", "operation.commit_h", "exceeds lookahead_h"),
        ("  lookahead_h: 36.5\n", "operation.lookahead_h", "multiple of the step"),
        ("  commit_h: 0\n", "operation.commit_h", "greater than 0"),
        ("  forecast:\n    method: oracle\n", "operation.forecast.method", "oracle"),
        ("  forecast:\n    sigma_pu: -0.1\n", "operation.forecast.sigma_pu", "greater than or"),
        ("  forecast:\n    correlation: 1.5\n", "operation.forecast.correlation", "less than or"),
        ("  forecast:\n    seed: 1.5\n", "operation.forecast.seed", "integer"),
        (
            "  forecast:\n    series:\n      wind.availability: {method: perfect}\n",
            "operation.forecast.series.wind.availability",
            "names no series",
        ),
        (
            "  forecast:\n    series:\n      solar.availability: {method: guess}\n",
            "operation.forecast.series.solar.availability.method",
            "guess",
        ),
        ("  horizon_h: 3\n", "operation.horizon_h", "unknown field"),
    ],
)
def test_bad_operation_block_gives_one_line_naming_file_and_field(
    tmp_path: Path, operation: str, field: str, problem: str
) -> None:
    folder = _edited(tmp_path, "operation:\n" + operation)
    with pytest.raises(ScenarioError) as caught:
        load_study(folder, hours=48)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / 'scenario.yaml'}: {field}: "), message
    assert problem in message, message


@pytest.mark.parametrize(
    ("lookahead_h", "commit_h", "field", "problem"),
    [
        (0.0, 24.0, "operation.lookahead_h", "must be positive"),
        (48.0, float("nan"), "operation.commit_h", "must be positive"),
        (48.0, 2.5, "operation.commit_h", "multiple of the step"),
        (12.0, 24.0, "operation.commit_h", "exceeds lookahead_h"),
    ],
)
def test_rolling_horizon_given_in_place_of_the_scenario_is_checked_the_same(
    lookahead_h: float, commit_h: float, field: str, problem: str
) -> None:
    check_rolling_horizon(olkaria(48), 72.0, 24.0)
    with pytest.raises(ScenarioError, match=f": {field}: .*{problem}"):
        check_rolling_horizon(olkaria(48), lookahead_h, commit_h)
