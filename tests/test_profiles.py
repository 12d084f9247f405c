"""Weather to availability: solar (pvlib) and wind (windpowerlib) against hand
computations, the example generator reproduced, the series file a study reads, and
``dispatch profiles``."""

from __future__ import annotations

import importlib.util
import math
import socket
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from dispatch import load_study
from dispatch.cli import EXIT_BAD_INPUT, app
from dispatch.core.errors import ScenarioError
from dispatch.sources.profiles import SCHEMA, horizon_snapshots, plant_models, write_profiles
from dispatch.sources.solar import SolarModel, solar_availability
from dispatch.sources.weather import Weather
from dispatch.sources.wind import WindModel, turbine_types, wind_availability
from dispatch.testing import assert_cf_compliant

ROOT = Path(__file__).resolve().parents[1]
WEATHER = ROOT / "tests" / "data" / "sources" / "weather"
PVGIS_TMY = WEATHER / "pvgis_tmy_45.000_8.000.csv"
"""72 hours of a PVGIS TMY at 45 N 8 E, from 1 January 00:00 UTC."""
NINJA_PV = WEATHER / "ninja_pv_chennai_2019.csv"
NINJA_WEATHER = WEATHER / "ninja_weather_chennai_2019.csv"
PVLIB_TMY3 = Path(pvlib.__file__).parent / "data" / "703165TY.csv"
"""A whole typical year shipped with pvlib (Sand Point, Alaska)."""
# The V112/3300 power curve in windpowerlib's library: 0 up to 2.5 m/s, 22 kW at
# 3 m/s, 1950 kW at 9 m/s, 3300 kW (rated) from 14 m/s to 25 m/s, nothing beyond.
V112 = "V112/3300"
V112_RATED_W = 3.3e6
runner = CliRunner()


def weather_of(
    rows: dict[str, list[float]],
    start: str,
    *,
    latitude: float = 30.0,
    longitude: float = 0.0,
    altitude_m: float = 0.0,
    wind_height_m: float = 10.0,
) -> Weather:
    """Hourly weather from columns of values (missing columns: zero irradiance, 20 degC,
    2 m/s, standard pressure)."""
    n = len(next(iter(rows.values())))
    defaults = {"ghi": 0.0, "dni": 0.0, "dhi": 0.0, "temp_air": 20.0, "wind_speed": 2.0}
    data = pd.DataFrame(
        {name: rows.get(name, [value] * n) for name, value in defaults.items()},
        index=pd.date_range(start, periods=n, freq="h", tz="UTC", name="time"),
    )
    data["pressure"] = rows.get("pressure", [101325.0] * n)
    return Weather(data, latitude, longitude, altitude_m, wind_height_m, "hand", "tmy3", False)


# --- solar -------------------------------------------------------------------------------


def test_diffuse_light_on_a_tilted_plane_as_by_hand() -> None:
    # Overcast: 400 W/m2 all diffuse on a 30 deg plane, isotropic sky, albedo 0.2.
    weather = weather_of({"ghi": [400.0], "dhi": [400.0]}, "2025-06-01T10:00Z")
    model = SolarModel(
        tilt_deg=30,
        azimuth_deg=180,
        transposition="isotropic",
        albedo=0.2,
        gamma_pdc_per_c=-0.004,
        system_losses=0.1,
        dc_ac_ratio=1.0,
        inverter="ideal",
    )
    cos30 = math.cos(math.radians(30))
    poa = 400 * (1 + cos30) / 2 + 400 * 0.2 * (1 - cos30) / 2  # 378.56 W/m2
    cell = 20 + poa / (25 + 6.84 * 2)  # Faiman, 2 m/s
    expected = poa / 1000 * (1 - 0.004 * (cell - 25)) * 0.9
    assert solar_availability(weather, model).iloc[0] == pytest.approx(expected, rel=1e-12)


def test_clear_noon_on_a_plane_facing_the_sun_as_by_hand() -> None:
    # Equinox, 30 N, longitude chosen so the sun culminates at 12:30 UTC (equation of
    # time -7.5 min): the sun is 30 deg from zenith, square to a plane tilted 30 deg
    # south (within 1 deg: cos > 0.9998).
    weather = weather_of(
        {"ghi": [879.42], "dni": [900.0], "dhi": [100.0], "temp_air": [25.0], "wind_speed": [0]},
        "2025-03-20T12:00Z",
        longitude=-5.6,
    )
    model = SolarModel(
        tilt_deg=30, azimuth_deg=180, transposition="isotropic", albedo=0.2, dc_ac_ratio=1.0
    )
    cos30 = math.cos(math.radians(30))
    poa = 900 + 100 * (1 + cos30) / 2 + 879.42 * 0.2 * (1 - cos30) / 2
    cell = 25 + poa / 25
    dc = poa / 1000 * (1 - 0.0037 * (cell - 25)) * (1 - 0.14)
    # PVWatts inverter of nominal efficiency 0.96 at its DC input rating 1/0.96.
    zeta = dc * 0.96
    efficiency = 0.96 / 0.9637 * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    assert solar_availability(weather, model).iloc[0] == pytest.approx(efficiency * dc, rel=5e-4)


def test_single_axis_tracker_faces_the_sun_and_backtracks_at_low_sun() -> None:
    # Equator, equinox: the sun moves in the east-west plane; a north-south axis free
    # of backtracking turns square to it (poa = dni); at 07:30 UTC it is 69 deg east,
    # past the 60 deg stop, and backtracking on rows of GCR 0.5 turns the modules back
    # to about 25 deg.
    beam = {"ghi": [0.0, 0.0], "dni": [800.0, 800.0], "temp_air": [25.0] * 2, "wind_speed": [0] * 2}
    weather = weather_of(beam, "2025-03-20T07:00Z", latitude=0.0)
    free = SolarModel(
        mount="single_axis", backtrack=False, albedo=0, dc_ac_ratio=1.0, inverter="ideal", gcr=0.5
    )
    tracked = solar_availability(weather, free)
    poa = 800.0
    dc = poa / 1000 * (1 - 0.0037 * (25 + poa / 25 - 25)) * (1 - 0.14)
    assert tracked.iloc[1] == pytest.approx(dc, rel=1e-3)  # 08:30, sun 53 deg east
    backtracked = solar_availability(weather, free.model_copy(update={"backtrack": True}))
    assert backtracked.iloc[1] == pytest.approx(tracked.iloc[1], rel=1e-9)
    assert backtracked.iloc[0] < 0.8 * tracked.iloc[0]  # 07:30: cos 44 deg against cos 9 deg


def test_zero_at_night_for_every_mount() -> None:
    times = pd.date_range("2025-06-01", periods=48, freq="h", tz="UTC")
    site = pvlib.location.Location(45.0, 8.0, altitude=250)
    clear = site.get_clearsky(times + pd.Timedelta(minutes=30))
    weather = weather_of(
        {name: clear[name].tolist() for name in ("ghi", "dni", "dhi")},
        "2025-06-01",
        latitude=45.0,
        longitude=8.0,
    )
    night = site.get_solarposition(times + pd.Timedelta(minutes=30))["elevation"].to_numpy() < 0
    for model in (
        SolarModel(),
        SolarModel(mount="single_axis"),
        SolarModel(transposition="haydavies"),
    ):
        available = solar_availability(weather, model).to_numpy()
        assert (available[night] == 0).all()
        assert (available[~night & (clear["ghi"].to_numpy() > 200)] > 0.1).all()


def test_clipping_at_the_ac_rating() -> None:
    weather = weather_of(
        {"ghi": [879.42], "dni": [900.0], "dhi": [100.0]}, "2025-03-20T12:00Z", longitude=-5.6
    )
    fixed = {"tilt_deg": 30, "azimuth_deg": 180}
    assert solar_availability(weather, SolarModel(**fixed, dc_ac_ratio=1.0)).iloc[0] < 0.9
    for inverter in ("pvwatts", "ideal"):
        high = SolarModel(**fixed, dc_ac_ratio=2.0, inverter=inverter)
        assert solar_availability(weather, high).iloc[0] == 1.0


def test_default_orientation_and_fields_of_another_mount_or_profile() -> None:
    assert SolarModel().orientation(-33.9) == (33.9, 0.0)
    assert SolarModel().orientation(52.0) == (52.0, 180.0)
    with pytest.raises(ValueError, match="single-axis tracker takes axis_tilt_deg"):
        SolarModel(mount="single_axis", tilt_deg=20)
    with pytest.raises(ValueError, match="hellman_exponent is of wind_profile 'hellman'"):
        WindModel(hellman_exponent=0.2)


# --- wind --------------------------------------------------------------------------------


def hub_weather(speeds: list[float], **columns: list[float]) -> Weather:
    """Wind measured at the hub height of the tests' turbine (100 m)."""
    return weather_of({"wind_speed": speeds, **columns}, "2025-01-01", wind_height_m=100.0)


def test_power_curve_at_the_hub_as_by_hand() -> None:
    model = WindModel(turbine_type=V112, hub_height_m=100, density_correction=False)
    available = wind_availability(hub_weather([2.0, 9.0, 14.0, 20.0, 26.0]), model).to_numpy()
    expected = np.array([0.0, 1.95e6 / V112_RATED_W, 1.0, 1.0, 0.0]) * (1 - 0.1)
    np.testing.assert_allclose(available, expected, rtol=1e-12)


def test_hub_height_extrapolation_as_by_hand() -> None:
    # From 10 m to 100 m over z0 = 0.1 m: log profile ln(1000)/ln(100) = 1.5, Hellman
    # with the exponent of that roughness 1/ln(1000): 10**(1/ln 1000) = 1.3956.
    weather = weather_of({"wind_speed": [6.0]}, "2025-01-01")
    curve = [(8.0, 1.37e6), (8.5, 1.648e6), (9.0, 1.95e6)]
    loss = {"loss_factor": 0.0, "density_correction": False, "hub_height_m": 100}

    def on_curve(speed: float) -> float:
        return np.interp(speed, *zip(*curve, strict=True)) / V112_RATED_W

    log = wind_availability(weather, WindModel(roughness_length_m=0.1, **loss)).iloc[0]
    assert log == pytest.approx(on_curve(9.0), rel=1e-12)
    hellman = WindModel(wind_profile="hellman", roughness_length_m=0.1, **loss)
    speed = 6.0 * 10 ** (1 / math.log(1000))
    assert 8.0 < speed < 8.5
    assert wind_availability(weather, hellman).iloc[0] == pytest.approx(on_curve(speed), 1e-12)


def test_density_correction_lowers_output_in_thin_air_and_is_neutral_at_1_225() -> None:
    # 1.225 kg/m3 at the hub (100 m): windpowerlib's barometric formula and linear
    # temperature gradient give it from 102580 Pa and 288.15 K + 0.0065 K/m * 98 m.
    speeds = [9.0] * 3
    weather = hub_weather(
        speeds, pressure=[80000.0, 102580.0, 104000.0], temp_air=[30.0, 15.637, -10.0]
    )
    corrected = wind_availability(weather, WindModel(turbine_type=V112)).to_numpy()
    plain = wind_availability(weather, WindModel(turbine_type=V112, density_correction=False))
    assert corrected[0] < plain.iloc[0] < corrected[2]
    assert corrected[1] == pytest.approx(plain.iloc[1], rel=1e-4)
    ideal_gas = WindModel(turbine_type=V112, density_model="ideal_gas")
    assert wind_availability(weather, ideal_gas).iloc[0] < plain.iloc[0]


def test_unknown_turbine_is_refused_in_one_line_with_close_names() -> None:
    assert V112 in turbine_types() and len(turbine_types()) > 50
    with pytest.raises(ScenarioError, match=r"turbine_type: 'V112/330' is not in .*V112/3300"):
        wind_availability(hub_weather([9.0]), WindModel(turbine_type="V112/330"))
    with pytest.raises(ScenarioError, match="hub_height_m: is lower than half the rotor"):
        wind_availability(hub_weather([9.0]), WindModel(turbine_type=V112, hub_height_m=50))


def test_windpowerlib_reads_its_bundled_library_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    available = wind_availability(hub_weather([14.0]), WindModel(turbine_type="E-82/2350"))
    assert 0.8 < available.iloc[0] <= 0.9


# --- the example generator, reproduced ------------------------------------------------------


def test_make_profiles_reproduces_the_shipped_examples_exactly() -> None:
    # The shipped profiles.csv were written by networks/make_profiles.py's own PVWatts
    # and power-curve functions (isotropic sky, Faiman, PVWatts losses, DC rating,
    # no inverter; Hellman from 10 m, no density correction, no losses); it now calls
    # solar_availability and wind_availability with those parameters.
    path = ROOT / "networks" / "make_profiles.py"
    spec = importlib.util.spec_from_file_location("make_profiles_under_test", path)
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # dataclasses look their module up
    try:
        spec.loader.exec_module(generator)
        for region, example, carrier in (
            (generator.OLKARIA, "olkaria", "solar"),
            (generator.TRONDELAG, "nordic", "wind"),
        ):
            available = getattr(region, carrier)(region.weather())
            shipped = pd.read_csv(ROOT / "networks" / example / "profiles.csv")[carrier]
            assert shipped.max() > 0.8
            np.testing.assert_array_equal(generator.round_significant(available), shipped)
    finally:
        del sys.modules[spec.name]


# --- the series file ----------------------------------------------------------------------


def snapshots(hours: int = 48, start: str = "2025-01-01T00:00Z") -> pd.DatetimeIndex:
    return horizon_snapshots(start, hours)


def test_written_file_is_cf_with_provenance_and_a_study_reads_it(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    times = snapshots().rename("snapshot")  # as a Study names them
    written = write_profiles(
        PVGIS_TMY, study / "profiles.nc", times, solar=SolarModel(), wind=WindModel()
    )
    assert set(written) == {"solar", "wind"} and (written["solar"].index == times).all()
    assert written["solar"].max() > 0.2 and written["wind"].max() > 0
    assert_cf_compliant(study / "profiles.nc")
    with xr.open_dataset(study / "profiles.nc") as ds:
        assert ds.attrs["schema"] == SCHEMA
        solar = ds["solar"].attrs
        assert (solar["units"], solar["source_file"], solar["source_format"]) == (
            "1",
            PVGIS_TMY.name,
            "pvgis-tmy",
        )
        assert (solar["latitude"], solar["model_tilt_deg"], solar["model_azimuth_deg"]) == (
            45.0,
            45.0,
            180.0,
        )
        assert solar["pvlib_version"] == pvlib.__version__ and solar["typical_year"] == "true"
        assert ds["wind"].attrs["model_turbine_type"] == "V112/3300"
        assert ds["wind"].attrs["model_density_correction"] == "true"
    scenario = yaml.safe_load((ROOT / "tests" / "data" / "tiny" / "scenario.yaml").read_text())
    scenario["snapshots"] = {"start": "2025-01-01T00:00:00Z", "periods": 48, "step_h": 1}
    site = scenario["sites"]["s"]
    site["solar"]["availability"] = "profiles.nc:solar"
    site["wind"] = {"capacity_mw": 5, "availability": "profiles.nc:wind"}
    site["datacentre"]["deferrable"]["arrivals_mwh"] = 1.0
    site["grid"]["import_price"] = 50.0
    (study / "scenario.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    loaded = load_study(study)
    np.testing.assert_array_equal(loaded.values("s", "solar.availability"), written["solar"])
    np.testing.assert_array_equal(loaded.values("s", "wind.availability"), written["wind"])


def test_a_dispatch_file_gets_series_added_and_replaced(tmp_path: Path) -> None:
    out, times = tmp_path / "profiles.nc", snapshots()
    first = write_profiles(PVGIS_TMY, out, times, solar=SolarModel(tilt_deg=20))
    write_profiles(PVGIS_TMY, out, times, wind=WindModel())
    with xr.open_dataset(out) as ds:
        assert set(ds.data_vars) == {"solar", "wind"}
        np.testing.assert_array_equal(ds["solar"].to_numpy(), first["solar"])
        assert ds["solar"].attrs["model_tilt_deg"] == 20.0
    steeper = write_profiles(PVGIS_TMY, out, times, solar=SolarModel(tilt_deg=60))
    with xr.open_dataset(out) as ds:
        np.testing.assert_array_equal(ds["solar"].to_numpy(), steeper["solar"])
        assert ds["solar"].attrs["model_tilt_deg"] == 60.0 and "wind" in ds
    assert not np.array_equal(first["solar"], steeper["solar"])
    with pytest.raises(ScenarioError, match="time: holds series on other snapshots"):
        write_profiles(PVGIS_TMY, out, snapshots(24), solar=SolarModel())


def test_files_dispatch_did_not_write_are_refused_and_kept(tmp_path: Path) -> None:
    text = tmp_path / "profiles.nc"
    text.write_text("mine\n")
    other = tmp_path / "other.nc"
    xr.Dataset({"solar": ("time", [0.5])}, coords={"time": [0]}).to_netcdf(other)
    kept = other.read_bytes()
    for out in (text, other):
        with pytest.raises(ScenarioError, match="was not written by 'dispatch profiles'"):
            write_profiles(PVGIS_TMY, out, snapshots(), solar=SolarModel())
    assert text.read_text() == "mine\n" and other.read_bytes() == kept
    with pytest.raises(ScenarioError, match=r"must be a netCDF file named \*.nc"):
        write_profiles(PVGIS_TMY, tmp_path / "p.csv", snapshots(), solar=SolarModel())


def test_renewables_ninja_export_is_taken_as_it_is(tmp_path: Path) -> None:
    from dispatch.sources.weather import read_ninja_output

    times = snapshots(48, "2019-03-01T00:00Z")
    written = write_profiles(NINJA_PV, tmp_path / "p.nc", times)
    export = read_ninja_output(NINJA_PV).availability
    np.testing.assert_array_equal(written["solar"].to_numpy(), export.loc[times].to_numpy())
    with xr.open_dataset(tmp_path / "p.nc") as ds:
        assert ds["solar"].attrs["source_format"] == "renewables.ninja"
        assert '"tilt": "13"' in ds["solar"].attrs["source_metadata"]
    with pytest.raises(ScenarioError, match="solar: is a renewables.ninja solar export"):
        write_profiles(NINJA_PV, tmp_path / "q.nc", times, solar=SolarModel())


def test_a_typical_year_goes_onto_the_study_year_as_means_over_each_step(tmp_path: Path) -> None:
    from dispatch.sources.weather import read_weather

    hourly = solar_availability(read_weather(PVGIS_TMY), SolarModel()).to_numpy()[:48]
    times = horizon_snapshots("2025-01-01T00:00Z", 48, step_h=2)
    written = write_profiles(PVGIS_TMY, tmp_path / "p.nc", times, solar=SolarModel())
    np.testing.assert_allclose(written["solar"].to_numpy(), hourly.reshape(24, 2).mean(axis=1))
    with pytest.raises(ScenarioError, match=PVGIS_TMY.name):  # 72 hours: no 5 January
        write_profiles(
            PVGIS_TMY, tmp_path / "q.nc", snapshots(24, "2025-01-05T00:00Z"), solar=SolarModel()
        )
    assert not (tmp_path / "q.nc").exists()


def test_weather_without_wind_models_solar_in_still_air_and_refuses_wind(tmp_path: Path) -> None:
    times = snapshots(48, "2019-03-01T00:00Z")
    written = write_profiles(NINJA_WEATHER, tmp_path / "p.nc", times, solar=SolarModel())
    assert written["solar"].notna().all() and written["solar"].max() > 0.3
    with pytest.raises(ScenarioError, match="wind_speed: the file gives no wind speed"):
        write_profiles(NINJA_WEATHER, tmp_path / "q.nc", times, wind=WindModel())


def test_models_from_a_file_and_options(tmp_path: Path) -> None:
    path = tmp_path / "solar.yaml"
    path.write_text("mount: single_axis\ngcr: 0.4\n")
    solar, wind = plant_models(path, solar={"dc_ac_ratio": 1.3, "tilt_deg": None})
    assert (solar.mount, solar.gcr, solar.dc_ac_ratio, wind) == ("single_axis", 0.4, 1.3, None)
    path.write_text("gcr: 2\n")
    with pytest.raises(ScenarioError, match=r"solar.yaml: gcr: Input should be less than 1"):
        plant_models(path)
    with pytest.raises(ScenarioError, match="wind options: hub_height_m: Input should be"):
        plant_models(wind={"hub_height_m": -1.0})


# --- dispatch profiles --------------------------------------------------------------------


def profiles_command(*args: str) -> object:
    return runner.invoke(app, ["profiles", *map(str, args)])


def test_command_writes_and_names_the_scenario_references(tmp_path: Path) -> None:
    out = tmp_path / "profiles.nc"
    common = ["--out", out, "--start", "2025-01-01T00:00:00Z", "--hours", "48"]
    result = profiles_command(PVGIS_TMY, *common, "--solar", "single-axis", "--dc-ac-ratio", "1.3")
    assert result.exit_code == 0, result.output
    assert "solar.availability: profiles.nc:solar" in result.output
    assert "48 snapshots of 1 h" in result.output
    result = profiles_command(PVGIS_TMY, *common, "--wind-turbine", "E-82/2350", "--hub-height", 98)
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert ds["solar"].attrs["model_mount"] == "single_axis"
        assert ds["solar"].attrs["model_dc_ac_ratio"] == 1.3
        assert ds["wind"].attrs["model_hub_height_m"] == 98.0


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("unknown turbine", ["turbine_type: 'V112' is not in windpowerlib", "V112/3300"]),
        ("unreadable weather", ["weather.csv"]),
        ("foreign out", ["profiles.nc: was not written by 'dispatch profiles'"]),
        ("nothing asked", ["nothing to write"]),
        ("hours", ["--hours: 2.5 h is not a whole number of 1 h steps"]),
        ("start", ["--start", "no UTC offset"]),
    ],
)
def test_command_errors_are_one_line(case: str, words: list[str], tmp_path: Path) -> None:
    out, weather = tmp_path / "profiles.nc", PVGIS_TMY
    start, hours, extra = "2025-01-01T00:00Z", "24", ["--solar", "fixed"]
    if case == "unknown turbine":
        extra = ["--wind-turbine", "V112"]
    elif case == "unreadable weather":
        weather = tmp_path / "weather.csv"
        weather.write_text("time,sun\n2025-01-01,3\n")
    elif case == "foreign out":
        out.write_text("mine\n")
    elif case == "nothing asked":
        extra = []
    elif case == "hours":
        hours = "2.5"
    elif case == "start":
        start = "2025-01-01T00:00"
    result = profiles_command(weather, "--out", out, "--start", start, "--hours", hours, *extra)
    assert result.exit_code == EXIT_BAD_INPUT
    message = result.output.strip()
    assert "\n" not in message and message.startswith("error: "), message
    for word in words:
        assert word in message
    assert case == "foreign out" or not out.exists()
