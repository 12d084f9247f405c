"""Weather files read into one Weather: each format to values checked by hand against
the sample files' lines, formats of one site agreeing, malformed files refused in one
line (samples: tests/data/sources/weather, see its README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dispatch.core.untrusted_input as untrusted_input
from dispatch.core.errors import ScenarioError
from dispatch.sources.weather import (
    COLUMNS,
    is_ninja_output,
    read_ninja_output,
    read_weather,
)

DATA = Path(__file__).parent / "data" / "sources" / "weather"
BAD = DATA / "malformed"
UTC = "UTC"


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def test_pvgis_tmy_csv_to_hand_checked_values():
    weather = read_weather(DATA / "pvgis_tmy_45.000_8.000.csv")
    assert (weather.file_format, weather.typical_year) == ("pvgis-tmy", True)
    assert (weather.latitude, weather.longitude, weather.altitude_m) == (45.0, 8.0, 250.0)
    assert weather.wind_height_m == 10.0 and weather.has_wind
    data = weather.data
    assert list(data.columns) == list(COLUMNS) and len(data) == 72
    assert data.index.name == "time" and str(data.index.tz) == UTC
    # "20180101:0000,2.04,94.38,0.0,-0.0,0.0,283.58,0.75,257.0,99870.0": UTC, start of
    # the hour, put in the typical year 1990.
    assert data.index[0] == at("1990-01-01 00:00")
    assert data.loc[at("1990-01-01 00:00"), "temp_air"] == 2.04
    # "20180101:0900,3.23,99.4,149.0,125.3,117.0,289.1,0.97,238.0,99600.0"
    row = data.loc[at("1990-01-01 09:00")]
    assert row.to_dict() == {
        "ghi": 149.0,
        "dni": 125.3,
        "dhi": 117.0,
        "temp_air": 3.23,
        "wind_speed": 0.97,
        "pressure": 99600.0,
    }
    assert weather.provenance == ()


def test_pvgis_tmy_json_and_epw_agree_with_csv():
    csv = read_weather(DATA / "pvgis_tmy_45.000_8.000.csv")
    json = read_weather(DATA / "pvgis_tmy_45.000_8.000.json")
    pd.testing.assert_frame_equal(json.data, csv.data)
    assert (json.latitude, json.longitude, json.altitude_m) == (45.0, 8.0, 250.0)
    # PVGIS's EPW says UTC+1 in its LOCATION line but holds UTC hours: "2018,1,1,1"
    # is the CSV's 20180101:0000.
    epw = read_weather(DATA / "pvgis_tmy_45.000_8.000.epw")
    assert (epw.file_format, epw.typical_year) == ("pvgis-tmy", True)
    pd.testing.assert_index_equal(epw.data.index, csv.data.index)
    same = ["ghi", "dni", "dhi", "temp_air", "pressure"]
    pd.testing.assert_frame_equal(epw.data[same], csv.data[same])
    # The EPW rounds the wind speed to 0.1 m/s.
    assert np.abs(epw.data["wind_speed"] - csv.data["wind_speed"]).max() <= 0.05 + 1e-12


def test_pvgis_hourly_csv_to_hand_checked_values():
    weather = read_weather(DATA / "pvgis_hourly_45.000_8.000_2018.csv")
    assert (weather.file_format, weather.typical_year) == ("pvgis-hourly", False)
    data = weather.data
    # "20180101:0010,...": the instant HH:10 stands for the hour starting HH:00.
    assert data.index[0] == at("2018-01-01 00:00") and len(data) == 72
    # "20180101:0910,32.0,117.0,0.0,14.75,3.23,0.97,0.0": horizontal plane, so
    # ghi = Gb(i) + Gd(i).
    row = data.loc[at("2018-01-01 09:00")]
    assert (row["ghi"], row["dhi"], row["temp_air"], row["wind_speed"]) == (
        149.0,
        117.0,
        3.23,
        0.97,
    )
    # No pressure in the file: standard atmosphere at 250 m, by hand.
    assert row["pressure"] == pytest.approx(101325 * (1 - 2.25577e-5 * 250) ** 5.25588, rel=1e-4)
    assert any("dni derived" in note for note in weather.provenance)
    assert any("standard atmosphere at 250 m" in note for note in weather.provenance)


def test_derived_dni_closes_the_irradiance_balance():
    weather = read_weather(DATA / "pvgis_hourly_45.000_8.000_2018.csv")
    from pvlib.solarposition import get_solarposition

    data = weather.data
    zenith = get_solarposition(data.index + pd.Timedelta(minutes=30), 45.0, 8.0, 250.0)[
        "apparent_zenith"
    ].to_numpy()
    day = zenith < 80
    closure = data["dni"].to_numpy() * np.cos(np.radians(zenith)) + data["dhi"].to_numpy()
    np.testing.assert_allclose(closure[day], data["ghi"].to_numpy()[day], atol=0.5)


def test_pvgis_hourly_json_agrees_with_csv_and_with_the_tmy_hours():
    csv = read_weather(DATA / "pvgis_hourly_45.000_8.000_2018.csv")
    json = read_weather(DATA / "pvgis_hourly_45.000_8.000_2018.json")
    pd.testing.assert_frame_equal(json.data, csv.data)
    # The sample's hours are the TMY's January 2018 hours: HH:10 and HH:00 both
    # land on the hour starting HH:00.
    tmy = read_weather(DATA / "pvgis_tmy_45.000_8.000.csv").data
    columns = ["ghi", "dhi", "temp_air", "wind_speed"]
    np.testing.assert_allclose(csv.data[columns].to_numpy(), tmy[columns].to_numpy())


def test_tmy3_hour_ending_local_standard_time():
    weather = read_weather(DATA / "tmy3_703165_sand_point.csv")
    assert (weather.file_format, weather.typical_year) == ("tmy3", True)
    assert (weather.latitude, weather.longitude, weather.altitude_m) == (55.317, -160.517, 7.0)
    # "01/01/1997,01:00": the hour ending 01:00 at UTC-9 starts 09:00 UTC.
    assert weather.data.index[0] == at("1990-01-01 09:00")
    # "01/01/1997,11:00,43,1144,5,...,6.0 (dry bulb),...,1012 (mbar),...,2.6 (m/s)"
    row = weather.data.loc[at("1990-01-01 19:00")]
    assert (row["ghi"], row["dni"], row["dhi"]) == (5.0, 0.0, 5.0)
    assert (row["temp_air"], row["pressure"], row["wind_speed"]) == (6.0, 101200.0, 2.6)


def test_tmy2_and_its_epw_agree():
    tmy2 = read_weather(DATA / "tmy2_12839_miami.tm2")
    assert (tmy2.file_format, tmy2.typical_year) == ("tmy2", True)
    assert tmy2.latitude == 25.8 and tmy2.longitude == pytest.approx(-(80 + 16 / 60))
    # " 62010101...": hour 1 at UTC-5 starts 05:00 UTC; dry bulb 200 tenths of degC.
    assert tmy2.data.index[0] == at("1990-01-01 05:00")
    assert tmy2.data["temp_air"].iloc[0] == 20.0
    # " 62010117032014150059C40000E40071...": GHI 59, DNI 0, DHI 71 Wh/m2.
    row = tmy2.data.loc[at("1990-01-01 21:00")]
    assert (row["ghi"], row["dni"], row["dhi"]) == (59.0, 0.0, 71.0)
    epw = read_weather(DATA / "epw_722020_miami_tmy2.epw")
    assert (epw.file_format, epw.typical_year) == ("epw", True)
    # "1962,1,1,18,0,...,17.8,16.7,93,101500,97,849,9999,14,0,15,...": hour 18 ends
    # 18:00 at UTC-5, so starts 22:00 UTC.
    assert epw.data.loc[at("1990-01-01 22:00"), "ghi"] == 14.0
    assert epw.data.loc[at("1990-01-01 22:00"), "pressure"] == 101500.0
    pd.testing.assert_frame_equal(epw.data, tmy2.data)


def test_nsrdb_psm4_half_hours_averaged_into_hours():
    weather = read_weather(DATA / "nsrdb_psm4_401182_2023.csv")
    assert (weather.file_format, weather.typical_year) == ("nsrdb-psm4", False)
    assert (weather.latitude, weather.longitude, weather.altitude_m) == (40.53, -108.54, 2168.0)
    # Time Zone -7: "2023,1,1,0,0" is 07:00 UTC.
    assert weather.data.index[0] == at("2023-01-01 07:00") and len(weather.data) == 72
    # "2023,1,1,9,0,0.4,...,29 (DHI),0,0,29 (GHI),...,780,1,187,4.4" and
    # "2023,1,1,9,30,0.8,...,44,0,0,44,...,780,1,188,4.5"
    row = weather.data.loc[at("2023-01-01 16:00")]
    assert row["ghi"] == (29 + 44) / 2 and row["dhi"] == (29 + 44) / 2
    assert row["temp_air"] == pytest.approx((0.4 + 0.8) / 2)
    assert row["wind_speed"] == pytest.approx((4.4 + 4.5) / 2)
    assert row["pressure"] == 78000.0
    assert any("averaged" in note for note in weather.provenance)


def test_ninja_weather_without_wind():
    weather = read_weather(DATA / "ninja_weather_chennai_2019.csv")
    assert (weather.file_format, weather.typical_year) == ("ninja-weather", False)
    assert (weather.latitude, weather.longitude) == (13.0827, 80.2707)
    assert not weather.has_wind and weather.data["wind_speed"].isna().all()
    # "2019-03-01 06:00,2019-03-01 11:30,29.743,0.000,867.1,1.1616,0.1194": time is
    # the UTC start of the hour.
    assert weather.data.index[0] == at("2019-03-01 00:00")
    row = weather.data.loc[at("2019-03-01 06:00")]
    assert (row["ghi"], row["temp_air"]) == (867.1, 29.743)
    assert row["pressure"] == pytest.approx(1.1616 * 287.05 * (29.743 + 273.15))
    # Erbs: the components sum to the global irradiance on the horizontal.
    from pvlib.solarposition import get_solarposition

    zenith = get_solarposition(at("2019-03-01 06:30"), 13.0827, 80.2707)["apparent_zenith"]
    assert row["dni"] * np.cos(np.radians(zenith.iloc[0])) + row["dhi"] == pytest.approx(867.1)
    assert any("Erbs" in note for note in weather.provenance)
    assert any("looked up" in note for note in weather.provenance)


def test_ninja_outputs_as_availability():
    pv = read_ninja_output(DATA / "ninja_pv_chennai_2019.csv")
    assert (pv.kind, pv.latitude, pv.longitude) == ("solar", 13.0827, 80.2707)
    assert pv.availability[at("2019-03-01 06:00")] == 0.723
    assert pv.metadata["tilt"] == "13" and len(pv.availability) == 72
    wind = read_ninja_output(DATA / "ninja_wind_chennai_2019.csv")
    assert wind.kind == "wind" and wind.metadata["turbine"] == "Vestas V90 2000"
    # "2019-03-01 06:00,2019-03-01 11:30,630.0" kW of 2000 kW.
    assert wind.availability[at("2019-03-01 06:00")] == 630.0 / 2000
    assert is_ninja_output(DATA / "ninja_pv_chennai_2019.csv")
    assert not is_ninja_output(DATA / "ninja_weather_chennai_2019.csv")
    assert not is_ninja_output(DATA / "pvgis_tmy_45.000_8.000.csv")
    assert not is_ninja_output(BAD / "no_such_file.csv")


def _message(path: Path, read=read_weather) -> str:
    with pytest.raises(ScenarioError) as caught:
        read(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message[len(str(path)) + 2 :]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("weather.csv", "not a weather file dispatch reads (PVGIS, EPW, NSRDB PSM4, TMY2/TMY3"),
        ("binary.epw", "not a weather file dispatch reads"),
        ("empty.csv", "not a weather file dispatch reads"),
        ("pvgis_hourly_missing_hour.csv", "time: hours missing after 2018-01-01 04:00:00+00:00"),
        ("pvgis_hourly_tilted.csv", "Slope: irradiance on a plane of slope '30 deg.'"),
        ("pvgis_tmy_repeated_hour.csv", "time: the hour starting 1990-01-01 12:00:00+00:00"),
        ("pvgis_tmy_wrong_columns.csv", "T2m: required column is missing"),
        ("pvgis_tmy_text_in_number.csv", "T2m: row 11: '4.2 7' is not a number"),
        ("pvgis_tmy_nan.json", "temp_air: at 1990-01-01 03:00:00+00:00: nan is not a number"),
        ("epw_ghi_unphysical.epw", "ghi: at 1990-01-01 17:00:00+00:00: 1600 W m-2 is outside"),
        ("tmy3_too_hot.csv", "temp_air: at 1990-01-01 14:00:00+00:00: 75 degC is outside"),
        ("nsrdb_psm4_fahrenheit.csv", "Temperature Units: 'f': dispatch reads c only"),
        ("nsrdb_psm4_negative_wind.csv", "wind_speed: at 2023-01-01 12:00:00+00:00: -2.5 m s-1"),
        ("ninja_weather_kelvin.csv", "temperature: units 'K': dispatch reads °C"),
        ("no_such_file.epw", "no such file"),
    ],
)
def test_malformed_files_refused_in_one_line(name, expected):
    assert _message(BAD / name).startswith(expected)


def test_ninja_output_is_not_weather_and_over_capacity_refused():
    message = _message(DATA / "ninja_pv_chennai_2019.csv")
    assert message.startswith("a renewables.ninja solar output export (capacity factors)")
    message = _message(BAD / "ninja_pv_over_capacity.csv", read_ninja_output)
    assert message == (
        "electricity: at 2019-03-01 06:00:00+00:00: 1.5 kW of 1.0 kW is not a capacity "
        "factor in [0, 1]"
    )
    message = _message(DATA / "pvgis_tmy_45.000_8.000.csv", read_ninja_output)
    assert message.startswith("not a renewables.ninja export")


def test_size_checked_before_reading(monkeypatch):
    monkeypatch.setattr(untrusted_input, "MAX_FILE_BYTES", 1000)
    assert "above the 0 MB limit" in _message(DATA / "pvgis_tmy_45.000_8.000.epw")


def test_full_tmy3_with_february_of_a_leap_year():
    """pvlib's Greensboro TMY3 takes February from 1996: "02/28/1996,24:00" is the
    hour starting 23:00 on 28 February, not one on 29 February."""
    import pvlib

    weather = read_weather(Path(pvlib.__path__[0]) / "data" / "723170TYA.CSV")
    index = weather.data.index
    assert len(index) == 8760 and (np.diff(index.asi8) == 3_600 * 10**9).all()
    # UTC-5: the hour starting 23:00 local on 28 February starts 04:00 UTC on 1 March.
    assert index[0] == at("1990-01-01 05:00") and at("1990-03-01 04:00") in index


def test_ninja_wind_speed_at_the_height_the_export_states(tmp_path):
    lines = (DATA / "ninja_weather_chennai_2019.csv").read_text().splitlines()
    lines[2] = lines[2].replace(
        '"cloud_cover": "0-1"}', '"cloud_cover": "0-1", "wind_speed": "m/s"}'
    )
    with_height = lines[2].replace('"format": "csv"', '"format": "csv", "height": 50')
    rows = [line + ",4.25" for line in lines[4:]]
    header = lines[3] + ",wind_speed"
    path = tmp_path / "ninja_weather_wind.csv"
    path.write_text("\n".join([*lines[:2], with_height, header, *rows]) + "\n")
    weather = read_weather(path)
    assert weather.has_wind and weather.wind_height_m == 50.0
    assert (weather.data["wind_speed"] == 4.25).all()
    path.write_text("\n".join([*lines[:3], header, *rows]) + "\n")
    assert _message(path) == "params.height: a wind_speed column needs the height it is at"
