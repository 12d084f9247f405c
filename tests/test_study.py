"""Loading studies: series from CSV and netCDF, time zones, shortened horizons."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from dispatch import ScenarioError, load_study

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture
def study_folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TINY, tmp_path / "tiny"))


def test_series_from_netcdf_equal_those_from_csv(study_folder: Path) -> None:
    table = pd.read_csv(study_folder / "profiles.csv", index_col="time", parse_dates=True)
    ds = xr.Dataset.from_dataframe(table)
    ds = ds.assign_coords(time=table.index.tz_convert("UTC").tz_localize(None))
    ds["solar"].attrs["units"] = "1"
    ds.to_netcdf(study_folder / "profiles.nc")
    text = (study_folder / "scenario.yaml").read_text()
    (study_folder / "scenario.yaml").write_text(text.replace("profiles.csv:", "profiles.nc:"))
    from_nc = load_study(study_folder)
    from_csv = load_study(TINY)
    assert from_nc.series.keys() == from_csv.series.keys()
    for key, values in from_csv.series.items():
        np.testing.assert_array_equal(from_nc.series[key], values)


def test_times_with_another_offset_are_converted_to_utc(study_folder: Path) -> None:
    table = pd.read_csv(study_folder / "profiles.csv", index_col="time", parse_dates=True)
    table.index = table.index.tz_convert("Africa/Nairobi")  # +03:00
    table.to_csv(study_folder / "profiles.csv")
    assert "+03:00" in (study_folder / "profiles.csv").read_text()
    study = load_study(study_folder)
    np.testing.assert_array_equal(study.values("s", "solar.availability"), [0, 0, 0.8, 0])


def test_times_without_offset_are_rejected(study_folder: Path) -> None:
    path = study_folder / "profiles.csv"
    path.write_text(path.read_text().replace("Z,", ","))
    with pytest.raises(ScenarioError, match="profiles.csv: time: times need a UTC offset"):
        load_study(study_folder)


def test_hours_keeps_the_start_of_the_horizon() -> None:
    study = load_study(TINY, hours=2)
    assert len(study.snapshots) == 2
    np.testing.assert_array_equal(study.values("s", "grid.import_price"), [100, 100])
    with pytest.raises(ScenarioError, match="cannot shorten to 5"):
        load_study(TINY, hours=5)


def test_constant_series_fill_the_horizon() -> None:
    study = load_study(TINY)
    np.testing.assert_array_equal(study.values("s", "datacentre.pue"), np.full(4, 1.25))
    assert str(study.snapshots.tz) == "UTC"
