"""Forecast files of a grid partner or a forecast provider: read and checked like every
partner file, operated with (``FileForecast``), imported into a new study.

The study ``tests/data/forecasts/study`` has four daily steps: 24 MWh of deferrable work
arrive on days 0 and 2, each due within a day (by the end of the next day), and the grid
price is 50, 40, 30, 60 EUR/MWh. The optimum serves the work of day 0 on day 1 (40) and
that of day 2 on day 2 (30): 960 + 720 = 1680 EUR.

``prices.csv`` forecasts the price with known errors, issued daily for that day and the
next (times at 03:00 East Africa Time, +03:00 = 00:00 UTC). Operated 48 h ahead every
24 h, other series perfect:

- day 0 forecasts [50, 60]: the work of day 0 is served on day 0, at 50: 1200 EUR;
- day 1 forecasts [40, 30]: nothing waits; day 2's work may wait beyond the window;
- day 2 forecasts [70, 20]: day 2's work is planned for day 3, nothing served on day 2;
- day 3 forecasts [60]: the work is served on day 3, at 60: 1440 EUR.

Realised: 2640 EUR, 960 above the optimum. ``perfect.csv`` holds the actual prices.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from conftest import DATA
from dispatch import ScenarioError, import_forecasts, load_study, operate, solve
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.operation.file_forecast import FileForecast
from dispatch.operation.forecast_files import read_forecast_file, write_forecast_file
from dispatch.operation.forecasts import PerfectForecast, PerSeriesForecast
from dispatch.testing import assert_invariants

FORECASTS = DATA / "forecasts"
STUDY = FORECASTS / "study"
PRICE = "s/grid.import_price"
runner = CliRunner()


def copy_forecast(tmp_path: Path, name: str, edit_csv=None, edit_meta=None) -> Path:
    """A copy of ``FORECASTS/name.csv`` and its ``.json`` in ``tmp_path``, the CSV's
    text and the metadata mapping changed by ``edit_csv`` and ``edit_meta``."""
    text = (FORECASTS / f"{name}.csv").read_text()
    meta = json.loads((FORECASTS / f"{name}.json").read_text())
    path = tmp_path / f"{name}.csv"
    path.write_text(edit_csv(text) if edit_csv else text)
    path.with_suffix(".json").write_text(json.dumps(edit_meta(meta) if edit_meta else meta))
    return path


def price_forecast(path: Path) -> PerSeriesForecast:
    """The price from the forecast file ``path``, every other series perfect."""
    table = read_forecast_file(path, load_study(STUDY))
    return PerSeriesForecast(PerfectForecast(), {PRICE: FileForecast(table, PerfectForecast())})


def test_a_file_of_the_actual_prices_reproduces_perfect_forecasts(tmp_path: Path) -> None:
    study = load_study(STUDY)
    perfect = operate(study, 48, 24)
    from_file = operate(study, 48, 24, forecast=price_forecast(FORECASTS / "perfect.csv"))
    assert from_file.summary["objective"] == pytest.approx(
        perfect.summary["objective"], rel=1e-6, abs=1e-6
    )
    assert from_file.summary["total_cost"] == pytest.approx(1680.0, abs=1e-6)
    assert_invariants(from_file)
    # One forecast of the whole horizon, lookahead = horizon: dispatch run's optimum.
    whole = tmp_path / "whole.csv"
    whole.write_text(
        "issue_time,valid_time,s/grid.import_price\n"
        + "".join(
            f"2025-03-01T00:00:00Z,2025-03-0{day + 1}T00:00:00Z,{price}\n"
            for day, price in enumerate([50, 40, 30, 60])
        )
    )
    shutil.copy(FORECASTS / "perfect.json", whole.with_suffix(".json"))
    once = operate(study, 96, 96, forecast=price_forecast(whole))
    assert once.summary["objective"] == pytest.approx(solve(study).summary["objective"], rel=1e-6)


def test_a_forecast_with_known_errors_gives_the_hand_worked_operation() -> None:
    result = operate(load_study(STUDY), 48, 24, forecast=price_forecast(FORECASTS / "prices.csv"))
    realised = result.flexible["s"]
    assert realised.deferred_served == pytest.approx([1, 0, 0, 1], abs=1e-6)  # [MW]: 24 MWh
    assert result.summary["total_cost"] == pytest.approx(2640.0, abs=1e-6)
    assert result.summary["foresight"]["cost_of_imperfect_foresight"] == pytest.approx(960.0)
    assert result.summary["operation"]["late_mwh"] == 0.0
    # The plan issued on day 2 put the work on day 3, where the forecast was 20.
    plan = result.plans["deferred_served"].sel(site="s").values
    assert plan[2, :2] == pytest.approx([0, 1], abs=1e-6)  # [MW]: 24 MWh over day 3
    assert_invariants(result)  # wrong forecasts cost more than the baseline's 1920


def hand_written_netcdf(path: Path) -> None:
    """``prices.csv`` as a provider might write it in netCDF: prices in EUR/kWh, issue
    times in hours since a local time with its offset, lead times in minutes."""
    prices = np.array([[50, 60], [40, 30], [70, 20], [60, 60]]) / 1000
    ds = xr.Dataset(
        {
            "price": (
                ("issue_time", "lead_time"),
                prices,
                {"series": PRICE, "units": "EUR/kWh"},
            )
        },
        coords={
            "issue_time": (
                "issue_time",
                np.array([0, 24, 48, 72]),
                {"units": "hours since 2025-03-01 03:00:00+03:00", "calendar": "standard"},
            ),
            "lead_time": ("lead_time", np.array([0, 1440]), {"units": "minutes"}),
        },
        attrs={
            "schema": "dispatch-forecast",
            "schema_version": "1.0",
            "time_step": "PT24H",
            "issue_step": "P1D",
        },
    )
    ds.to_netcdf(path)


def test_csv_and_netcdf_give_the_same_forecasts(tmp_path: Path) -> None:
    study = load_study(STUDY)
    nc = tmp_path / "prices.nc"
    hand_written_netcdf(nc)
    from_csv = read_forecast_file(FORECASTS / "prices.csv", study)
    from_netcdf = read_forecast_file(nc, study)
    assert from_netcdf.issue_times.equals(from_csv.issue_times)
    assert from_netcdf.first_lead == from_csv.first_lead
    np.testing.assert_allclose(from_netcdf.values[PRICE], from_csv.values[PRICE], rtol=1e-12)
    canonical = tmp_path / "canonical.nc"
    write_forecast_file(from_csv, canonical, "EUR")
    again = read_forecast_file(canonical, study)
    assert again.issue_times.equals(from_csv.issue_times)
    np.testing.assert_array_equal(again.values[PRICE], from_csv.values[PRICE])
    costs = [operate(study, 48, 24, forecast=price_forecast(p)).summary for p in (nc, canonical)]
    assert [c["total_cost"] for c in costs] == pytest.approx([2640.0, 2640.0], abs=1e-6)


def _drop_issue(text: str, day: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith(day))


@pytest.mark.parametrize(
    ("edit_csv", "edit_meta", "field", "problem"),
    [
        (lambda t: t.replace("+03:00", ""), None, "issue_time", "no UTC offset"),
        (
            lambda t: t.replace("+03:00", ""),
            lambda m: {**m, "time_zone": "Europe/Madrid"},
            "issue_time",
            "valid time 2025-03-01T02:00:00Z lies between two study steps",
        ),
        (None, lambda m: {**m, "time_zone": "Mars/Olympus"}, "time_zone", "unknown IANA"),
        (None, lambda m: {**m, "time_zone": "localtime"}, "time_zone", "unknown IANA"),
        (
            lambda t: _drop_issue(t, "2025-03-03"),
            None,
            "issue_time",
            "gap: no value for 2025-03-03T00:00:00Z",
        ),
        (
            lambda t: t.replace(
                "2025-03-02T03:00:00+03:00,2025-03-03", "2025-03-02T03:00:00+03:00,2025-03-04"
            ),
            None,
            "valid_time",
            "gap: no value for 2025-03-03T00:00:00Z",
        ),
        (
            None,
            lambda m: {**m, "series": {PRICE: {"units": "EUR/m3"}}},
            f"series.{PRICE}",
            'units "EUR/m3" are not a price per energy (per MW h)',
        ),
        (
            None,
            lambda m: {**m, "series": {PRICE: {"units": "USD/MWh"}}},
            f"series.{PRICE}",
            "prices in USD, the study's currency is EUR",
        ),
        (
            lambda t: t.replace(PRICE, "s/grid.import_prise"),
            lambda m: {**m, "series": {"s/grid.import_prise": {"units": "EUR/MWh"}}},
            "s/grid.import_prise",
            "'s/grid.import_prise' is not a series of the study",
        ),
        (
            lambda t: t.replace(",40\n", ",nan\n", 1),
            None,
            PRICE,
            "is NaN at 2025-03-02T00:00:00Z (issued 2025-03-02T00:00:00Z)",
        ),
        (lambda t: t.replace(",30\n", ",\n", 1), None, PRICE, "is empty at"),
        (None, lambda m: {**m, "time_step": "PT12H"}, "time_step", "the study's step (P1D)"),
        (None, lambda m: {**m, "schema": "dispatch-exchange"}, "schema", "dispatch-forecast"),
    ],
)
def test_a_bad_forecast_file_is_refused_in_one_line(
    tmp_path: Path, edit_csv, edit_meta, field: str, problem: str
) -> None:
    path = copy_forecast(tmp_path, "prices", edit_csv, edit_meta)
    with pytest.raises(ScenarioError) as caught:
        read_forecast_file(path, load_study(STUDY))
    message = str(caught.value)
    assert "\n" not in message
    assert f": {field}: " in message and problem in message, message
    assert message.startswith(str(tmp_path))


def test_a_forecast_file_too_large_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = load_study(STUDY)
    monkeypatch.setattr("dispatch.core.untrusted_input.MAX_FILE_BYTES", 200)
    with pytest.raises(ScenarioError, match=r"prices\.json: is 0\.0 MB, above the 0 MB limit"):
        read_forecast_file(FORECASTS / "prices.csv", study)
    monkeypatch.undo()
    monkeypatch.setattr("dispatch.operation.forecast_files.MAX_FORECAST_VALUES", 7)
    nc = tmp_path / "prices.nc"
    hand_written_netcdf(nc)
    with pytest.raises(ScenarioError, match="4 issue times x 2 lead times x 1 series, more than 7"):
        read_forecast_file(nc, study)


def test_a_netcdf_variable_of_no_series_is_named(tmp_path: Path) -> None:
    nc = tmp_path / "prices.nc"
    hand_written_netcdf(nc)
    with xr.open_dataset(nc, decode_times=False) as ds:
        ds = ds.load()
    ds["price"].attrs["series"] = "s/solar.availability"
    ds.to_netcdf(tmp_path / "unknown.nc")
    with pytest.raises(ScenarioError, match=r"unknown.nc: price: 's/solar.availability' is not a"):
        read_forecast_file(tmp_path / "unknown.nc", load_study(STUDY))


def test_a_file_not_covering_a_decision_is_refused_before_operating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy_forecast(
        tmp_path, "prices", lambda t: _drop_issue(_drop_issue(t, "2025-03-04"), "2025-03-03")
    )
    forecast = price_forecast(path)

    def no_solve(*args, **kwargs):
        raise AssertionError("the operation started")

    monkeypatch.setattr("dispatch.operation.operate.solve", no_solve)
    with pytest.raises(ScenarioError) as caught:
        operate(load_study(STUDY), 48, 24, forecast=forecast)
    assert str(caught.value) == (
        f"{path}: {PRICE}: no forecast issued by the decision time 2025-03-03T00:00:00Z "
        "covers its window to 2025-03-05T00:00:00Z (the one issued at 2025-03-02T00:00:00Z "
        "covers 2025-03-02T00:00:00Z to 2025-03-04T00:00:00Z)"
    )


def test_the_scenario_names_the_file_and_the_series_it_forecasts(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(STUDY, tmp_path / "study"))
    shutil.copy(FORECASTS / "prices.csv", folder)
    shutil.copy(FORECASTS / "prices.json", folder)
    scenario = yaml.safe_load((folder / "scenario.yaml").read_text())

    def with_forecast(forecast: dict) -> Path:
        scenario["operation"]["forecast"] = forecast
        (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario))
        return folder

    forecast = {"file": "prices.csv", "series": {"grid.import_price": {"method": "file"}}}
    result = operate(load_study(with_forecast(forecast)))
    assert result.summary["total_cost"] == pytest.approx(2640.0, abs=1e-6)
    with pytest.raises(
        ScenarioError, match="operation.forecast.file: the forecast method 'file' needs a file"
    ):
        load_study(with_forecast({"method": "file"}))
    with pytest.raises(
        ScenarioError,
        match=r"prices.csv: s/grid.import_limit_mw: the file holds no forecast",
    ):
        operate(load_study(with_forecast({"method": "file", "file": "prices.csv"})))
    (tmp_path / "outside.csv").write_text("")
    with pytest.raises(ScenarioError, match="'../outside.csv' lies outside the study folder"):
        operate(load_study(with_forecast({"method": "file", "file": "../outside.csv"})))


def test_the_command_imports_a_forecast_file_and_operates_with_it(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in STUDY.iterdir()}
    new = tmp_path / "new"
    args = ["exchange", "import", str(FORECASTS / "prices.csv"), "--scenario", str(STUDY)]
    imported = runner.invoke(app, [*args, "--out", str(new)])
    assert imported.exit_code == 0, imported.output
    assert {p.name: p.read_bytes() for p in STUDY.iterdir()} == before
    assert {p.name for p in new.iterdir()} >= {"scenario.yaml", "forecasts.nc", "profiles.csv"}
    scenario = yaml.safe_load((new / "scenario.yaml").read_text())
    assert scenario["operation"]["forecast"]["series"] == {PRICE: {"method": "file"}}
    operated = runner.invoke(app, ["operate", str(new), "--out", str(tmp_path / "out")])
    assert operated.exit_code == 0, operated.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["total_cost"] == pytest.approx(2640.0, abs=1e-6)
    refused = runner.invoke(app, [*args, "--out", str(tmp_path / "other"), "--site", "s"])
    assert refused.exit_code == EXIT_BAD_INPUT
    assert len(refused.output.strip().splitlines()) == 1 and "--site" not in refused.output
    assert not (tmp_path / "other").exists()


def test_the_python_import_returns_the_new_study(tmp_path: Path) -> None:
    study = import_forecasts(FORECASTS / "prices.csv", STUDY, tmp_path / "new", hours=48)
    assert len(study.snapshots) == 2
    assert study.scenario.operation.forecast.file == "forecasts.nc"
    assert pd.Timestamp(
        read_forecast_file(tmp_path / "new" / "forecasts.nc", study).issue_times[0]
    ) == pd.Timestamp("2025-03-01T00:00:00Z")


def test_a_file_forecast_alone_needs_every_series(monkeypatch: pytest.MonkeyPatch) -> None:
    study = load_study(STUDY)
    table = read_forecast_file(FORECASTS / "prices.csv", study)
    monkeypatch.setattr("dispatch.operation.operate.solve", pytest.fail)
    with pytest.raises(ScenarioError, match="prices.csv: s/grid.import_limit_mw: the file holds"):
        operate(study, 48, 24, forecast=FileForecast(table))


def test_a_netcdf_forecast_file_that_is_none_is_refused(tmp_path: Path) -> None:
    study = load_study(STUDY)
    (tmp_path / "noise.nc").write_bytes(b"CDF\x01" + bytes(range(256)) * 4)
    with pytest.raises(ScenarioError, match=r"noise.nc: not a readable netCDF file"):
        read_forecast_file(tmp_path / "noise.nc", study)
    nc = tmp_path / "prices.nc"
    hand_written_netcdf(nc)
    with xr.open_dataset(nc, decode_times=False) as ds:
        ds = ds.load()
    del ds["price"].attrs["series"]
    ds.to_netcdf(tmp_path / "nameless.nc")
    with pytest.raises(ScenarioError, match=r"nameless.nc: price: has no attribute 'series'"):
        read_forecast_file(tmp_path / "nameless.nc", study)
