"""Every netCDF file dispatch writes meets the CF conventions (``assert_cf_compliant``):
results of the shipped examples, a sweep's summary, each exchange export, an operation
and its export, forecast files, the shipped partner files; and the assertion itself
catches what breaks them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from conftest import DATA
from dispatch import export_plan, load_study, operate
from dispatch.cli import app
from dispatch.operation.forecast_files import read_forecast_file, write_forecast_file
from dispatch.results.result import LEVELS
from dispatch.testing import assert_cf_compliant

NETWORKS = Path(__file__).parents[1] / "networks"
EXAMPLES = sorted(p.name for p in NETWORKS.iterdir() if (p / "scenario.yaml").is_file())
PARTNER_FILES = sorted(p for p in NETWORKS.rglob("*.nc") if p.name != "network.nc")
SIGNALS = NETWORKS / "solar-battery" / "partner" / "signals.nc"
runner = CliRunner()


@pytest.fixture(scope="module", params=EXAMPLES)
def example_result(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``dispatch run`` of a shipped example on its first 24 hours: the result folder."""
    out = tmp_path_factory.mktemp(request.param) / "result"
    command = ["run", str(NETWORKS / request.param), "--hours", "24", "--out", str(out), "-q"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    return out


def test_the_results_of_every_example_are_cf(example_result: Path) -> None:
    assert_cf_compliant(example_result / "dispatch.nc")
    with xr.open_dataset(example_result / "dispatch.nc") as ds:
        assert ds["grid_import"].attrs["units"] == "MW"
        for name, variable in ds.data_vars.items():  # levels at the end of the step
            if name != "time_bnds":
                expected = None if name in LEVELS else "time: mean"
                if name == "deferrable_arrivals":  # MWh arriving in the step
                    expected = "time: sum"
                assert variable.attrs.get("cell_methods") == expected, name
        assert ds["import_price"].attrs["units"] == "MW-1 h-1"
        assert ds["import_price"].attrs["currency"] == ds.attrs["currency"]
        bounds = ds["time_bnds"].values
        np.testing.assert_array_equal(bounds[:, 0], ds["snapshot"].values)
        np.testing.assert_array_equal(bounds[:-1, 1], ds["snapshot"].values[1:])


@pytest.mark.parametrize("kind", ["netcdf"])
def test_the_plan_export_of_every_example_is_cf(
    example_result: Path, tmp_path: Path, kind: str
) -> None:
    with xr.open_dataset(example_result / "dispatch.nc") as ds:
        site = str(ds["site"].values[0])
    out = tmp_path / "plan.nc"
    assert export_plan(example_result, kind, out, site=site) == [out]
    assert_cf_compliant(out)
    assert_cf_compliant(example_result / "envelope.nc")  # kept beside the result
    with xr.open_dataset(out) as ds:
        assert ds.attrs["envelope_window_h"] == 24.0  # a number, not the text "24"
        assert ds["emissions_tco2"].attrs["units"] == "t"
        assert ds["grid_import_mwh"].attrs["units"] == "MW h"
        assert ds["total_cost"].attrs["units"] == "1"
        assert ds["total_cost"].attrs["currency"] in ("EUR", "USD")


def test_an_operation_and_its_export_are_cf(tmp_path: Path) -> None:
    folder = tmp_path / "operated"
    operate(load_study(NETWORKS / "olkaria", hours=48), lookahead_h=24, commit_h=12).write(folder)
    for name in ("dispatch.nc", "plans.nc"):
        assert_cf_compliant(folder / name)
    out = tmp_path / "issued.nc"
    assert export_plan(folder, "netcdf", out) == [out]
    assert_cf_compliant(out)
    with xr.open_dataset(out) as ds:
        assert ds["issue_time"].attrs["standard_name"] == "forecast_reference_time"
        assert ds["valid_time"].attrs["bounds"] == "valid_time_bnds"


def test_a_sweep_summary_is_cf(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"base: {DATA / 'tiny'}\nproduct:\n  sites.s.solar.capacity_mw: [10, 20]\n"
        "variants:\n  - name: small-battery\n    set: {sites.s.battery.energy_mwh: 1}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(sweep), "--out", str(out), "-w", "1"])
    assert result.exit_code == 0, result.output
    assert_cf_compliant(out / "summary.nc")
    with xr.open_dataset(out / "summary.nc") as ds:
        assert ds["sites.s.solar.capacity_mw"].attrs["units"] == "MW"  # the field's unit
        assert ds["capacities_battery_energy"].attrs["units"] == "MW h"
        assert ds["objective"].attrs == {
            "long_name": "Key figure objective of summary.json",
            "units": "1",
            "currency": "EUR",
        }


def test_forecast_files_dispatch_writes_are_cf(tmp_path: Path) -> None:
    study = load_study(DATA / "forecasts" / "study")
    table = read_forecast_file(DATA / "forecasts" / "prices.csv", study)
    out = tmp_path / "forecasts.nc"
    write_forecast_file(table, out, "EUR")
    assert_cf_compliant(out)
    again = read_forecast_file(out, study)  # and it reads back as it was
    assert again.issue_times.equals(table.issue_times)
    for key, values in table.values.items():
        np.testing.assert_array_equal(again.values[key], values)


@pytest.mark.parametrize("path", PARTNER_FILES, ids=lambda p: str(p.relative_to(NETWORKS)))
def test_the_shipped_partner_files_are_cf(path: Path) -> None:
    assert_cf_compliant(path)


@pytest.fixture
def signals(tmp_path: Path) -> Path:
    """A copy of the shipped CF partner file, to break."""
    path = tmp_path / "signals.nc"
    shutil.copyfile(SIGNALS, path)
    return path


def changed(path: Path, change: Callable[[netCDF4.Dataset], None]) -> Path:
    """``path`` after ``change`` of its netCDF dataset in place."""
    with netCDF4.Dataset(path, "a") as ds:
        change(ds)
    return path


def unbound(ds: netCDF4.Dataset, bounds: str | None = None) -> None:
    """``time`` without its ``time_bnds`` (left as a variable of its own), or with
    ``bounds`` named instead."""
    ds["time_bnds"].setncatts({"units": ds["time"].units, "long_name": "Former bounds"})
    if bounds is None:
        ds["time"].delncattr("bounds")
    else:
        ds["time"].setncattr("bounds", bounds)


BREAKS = {
    "MWh": (
        lambda ds: ds["import_limit"].setncattr("units", "MWh"),
        "units 'MWh' do not parse",
    ),
    "currency in units": (
        lambda ds: ds["import_price"].setncattr("units", "EUR/MWh"),
        "units 'EUR/MWh' do not parse",
    ),
    "no conventions": (lambda ds: ds.delncattr("Conventions"), "expected CF-1.8 or later"),
    "old conventions": (
        lambda ds: ds.setncattr("Conventions", "CF-1.6"),
        "expected CF-1.8 or later",
    ),
    "no axis": (lambda ds: ds["time"].delncattr("axis"), "axis is None, not 'T'"),
    "no standard name": (
        lambda ds: ds["time"].delncattr("standard_name"),
        "no variable of standard_name 'time'",
    ),
    "time not a reference": (
        lambda ds: ds["time"].setncattr("units", "minutes"),
        "no time reference",
    ),
    "bounds missing": (
        lambda ds: unbound(ds, "time_bounds"),
        "bounds 'time_bounds' of 'time': missing",
    ),
    "gap in bounds": (
        lambda ds: ds["time_bnds"].__setitem__((5, 1), ds["time_bnds"][5, 1] + 30),
        "end of cell 5 is not the next cell's start",
    ),
    "start not the time": (
        lambda ds: ds["time_bnds"].__setitem__((0, 0), -60),
        "a start is not the coordinate's value",
    ),
    "end before start": (
        lambda ds: ds["time_bnds"].__setitem__((167, 1), ds["time_bnds"][167, 0]),
        "an end is not after its start",
    ),
    "bounds in other units": (
        lambda ds: ds["time_bnds"].setncattr("units", "hours since 2025-01-01"),
        "units 'hours since 2025-01-01' differ",
    ),
    "cell methods syntax": (
        lambda ds: ds["surplus"].setncattr("cell_methods", "time mean"),
        "does not parse",
    ),
    "cell method unknown": (
        lambda ds: ds["surplus"].setncattr("cell_methods", "time: average"),
        "unknown method 'average'",
    ),
    "cell method of no dimension": (
        lambda ds: ds["surplus"].setncattr("cell_methods", "depth: mean"),
        "'depth' is neither a dimension",
    ),
    "mean without bounds": (
        lambda ds: unbound(ds),
        "mean over 'time', whose coordinate has no bounds",
    ),
    "no currency": (
        lambda ds: ds["import_price"].delncattr("currency"),
        "its currency attribute is None",
    ),
    "no units": (lambda ds: ds["surplus"].delncattr("units"), "numeric, but has no units"),
    "no long name": (
        lambda ds: ds["surplus"].delncattr("long_name"),
        "neither long_name nor standard_name",
    ),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_the_assertion_catches_what_breaks_cf(signals: Path, name: str) -> None:
    assert_cf_compliant(signals)  # the file as shipped passes
    change, message = BREAKS[name]
    with pytest.raises(AssertionError, match=re.escape(message)):
        assert_cf_compliant(changed(signals, change))


def test_the_assertion_catches_text_without_a_long_name(tmp_path: Path) -> None:
    path = tmp_path / "sites.nc"
    xr.Dataset(
        {"power": ("site", [1.0, 2.0], {"units": "MW", "long_name": "Power"})},
        coords={"site": ["a", "b"]},
        attrs={"Conventions": "CF-1.11"},
    ).to_netcdf(path)
    with pytest.raises(AssertionError, match="'site': strings without a long_name"):
        assert_cf_compliant(path)
    changed(path, lambda ds: ds["site"].setncattr("long_name", "Site"))
    assert_cf_compliant(path)
