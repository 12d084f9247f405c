"""Weather files analysts download, read into one :class:`Weather`.

:func:`read_weather` detects the format by the file's content (PVGIS hourly and TMY
as CSV, JSON or EPW, EnergyPlus EPW, NSRDB PSM4, TMY2, TMY3, renewables.ninja weather
exports), reads it (:mod:`~dispatch.sources.weather_formats`,
:mod:`~dispatch.sources.weather_ninja`), puts every hour at its UTC start, refuses
gaps, repeats, non-numbers and unphysical values in one line, and derives what the
file lacks (DNI and DHI from GHI, pressure from altitude), saying so in
:attr:`Weather.provenance`. :func:`read_ninja_output` reads renewables.ninja PV and
wind output exports, which are capacity factors rather than weather.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.untrusted_input import load_json, read_bytes
from dispatch.sources import weather_formats as formats
from dispatch.sources.weather_ninja import (
    capacity_factor,
    is_ninja,
    kind_of,
    location,
    ninja_weather,
    parse_ninja,
)

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure")
"""Columns of :attr:`Weather.data` [-]."""
UNITS = {
    "ghi": "W m-2",
    "dni": "W m-2",
    "dhi": "W m-2",
    "temp_air": "degC",
    "wind_speed": "m s-1",
    "pressure": "Pa",
}
"""Units of the columns of :attr:`Weather.data` (UDUNITS-2 spellings) [-]."""
LIMITS = {
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1500.0),
    "dhi": (0.0, 1500.0),
    "temp_air": (-90.0, 60.0),
    "wind_speed": (0.0, 100.0),
    "pressure": (30_000.0, 110_000.0),
}
"""Physical range of each column, in its units: values outside are refused [-]."""
FORMATS = "PVGIS, EPW, NSRDB PSM4, TMY2/TMY3, renewables.ninja"
_HEAD_BYTES = 4096
_TMY2_HEADER = re.compile(r"^ ?\d{5} .* -?\d+ [NS] +\d+ +\d+ [EW] +\d+ +\d+ +-?\d+\s*$")


@dataclass(frozen=True)
class Weather:
    """Hourly weather at a site, whatever file it came from.

    Attributes
    ----------
    data
        Hourly, contiguous, UTC index named ``time`` whose labels are the start of
        the hour the values stand for; columns :data:`COLUMNS` in :data:`UNITS`:
        ghi, dni, dhi [W m-2], temp_air [degC], wind_speed [m s-1] at
        ``wind_height_m`` (NaN throughout if ``has_wind`` is False), pressure [Pa].
    latitude
        [deg north].
    longitude
        [deg east].
    altitude_m
        Height above sea level [m]: the file's, else looked up by pvlib.
    wind_height_m
        Height above ground of ``wind_speed`` [m].
    source
        The file, as the caller named it [-].
    file_format
        ``"pvgis-hourly"``, ``"pvgis-tmy"``, ``"epw"``, ``"nsrdb-psm4"``,
        ``"tmy2"``, ``"tmy3"`` or ``"ninja-weather"`` [-].
    typical_year
        True for a typical year (TMY-like: months from different years), whose
        hours are put in 1990 and are to be mapped by month, day and hour [-].
    has_wind
        False if the file gives no wind speed [-].
    provenance
        What was converted, derived or assumed, one sentence each [-].
    """

    data: pd.DataFrame
    latitude: float
    longitude: float
    altitude_m: float
    wind_height_m: float
    source: str
    file_format: str
    typical_year: bool
    has_wind: bool = True
    provenance: tuple[str, ...] = ()


@dataclass(frozen=True)
class NinjaOutput:
    """A renewables.ninja PV or wind output export, as availability.

    Attributes
    ----------
    availability
        Capacity factor: output per unit of the export's capacity [p.u.], hourly,
        UTC, labels at the start of the hour; named ``availability``.
    kind
        ``"solar"`` or ``"wind"`` [-].
    latitude
        [deg north].
    longitude
        [deg east].
    source
        The file, as the caller named it [-].
    metadata
        The export's description (``description``) and request parameters
        (capacity, tilt, turbine, height, ...) [-].
    """

    availability: pd.Series
    kind: str
    latitude: float
    longitude: float
    source: str
    metadata: dict[str, Any]


def read_weather(path: str | Path) -> Weather:
    """Read a weather file of any format dispatch reads (see ``docs/sources.md``).

    Parameters
    ----------
    path
        The file; its format is detected by its content.

    Returns
    -------
    Weather
        Hourly UTC weather, components derived where the file lacks them.

    Raises
    ------
    ScenarioError
        One line naming the file (and column): not a weather file dispatch reads,
        a malformed layout, a text that is not a number, NaN or infinite values,
        missing or repeated hours, values outside :data:`LIMITS`, wrong units.
    """
    file = str(path)
    raw = _read_raw(Path(path), file)
    return _finish(raw, file)


def is_ninja_output(path: str | Path) -> bool:
    """Whether ``path`` is a renewables.ninja PV or wind output export (by its comment
    lines); False for any other file, or one that cannot be read."""
    try:
        data = read_bytes(Path(path), str(path))
    except ScenarioError:
        return False
    head = data[:_HEAD_BYTES].decode("utf-8", errors="replace")
    if not is_ninja(head):
        return False
    first = head.lstrip("\ufeff#").splitlines()[0]
    return kind_of(first, {}) in ("solar", "wind")


def read_ninja_output(path: str | Path) -> NinjaOutput:
    """Read a renewables.ninja PV or wind output export as availability [p.u.].

    Raises
    ------
    ScenarioError
        One line: not a renewables.ninja output export, units other than kW, a
        capacity factor outside [0, 1], missing or repeated hours.
    """
    file = str(path)
    text = _text(read_bytes(Path(path), file))
    if not is_ninja(text[:_HEAD_BYTES]):
        raise ScenarioError(file, "", "not a renewables.ninja export (no '# Renewables.ninja')")
    ninja = parse_ninja(text, file)
    if ninja.kind not in ("solar", "wind"):
        raise ScenarioError(
            file, "", f"a renewables.ninja {ninja.kind} export, not PV or wind output"
        )
    availability = capacity_factor(ninja, file)
    _check_hours(availability.index, file)
    latitude, longitude = location(ninja, file)
    metadata = {"description": ninja.description, **ninja.params}
    return NinjaOutput(availability, ninja.kind, latitude, longitude, file, metadata)


def _text(data: bytes) -> str:
    """UTF-8 text, else Latin-1 (TMY3 and EPW files of older tools)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_raw(path: Path, file: str) -> formats.RawWeather:
    data = read_bytes(path, file)
    if b"\x00" in data[:_HEAD_BYTES]:
        raise ScenarioError(file, "", f"not a weather file dispatch reads ({FORMATS})")
    text = _text(data)
    head = text[:_HEAD_BYTES]
    lines = head.splitlines() or [""]
    first = lines[0]
    if head.lstrip().startswith("{"):
        document = load_json(data, file)
        if isinstance(document, dict) and isinstance(document.get("outputs"), dict):
            outputs = document["outputs"]
            if "hourly" in outputs or "tmy_hourly" in outputs:
                return formats.read_pvgis_json(document, file)
    elif first.startswith("Latitude (decimal degrees):"):
        return formats.read_pvgis_csv(text, file)
    elif first.startswith("LOCATION,"):
        return formats.read_epw(text, file)
    elif first.startswith("Source,") and "Location ID" in first:
        return formats.read_psm4(text, file)
    elif len(lines) > 1 and lines[1].startswith("Date (MM/DD/YYYY),Time (HH:MM)"):
        return formats.read_tmy3(text, file)
    elif len(lines) > 1 and _is_tmy2(lines):
        return formats.read_tmy2(str(path.resolve()), file)
    elif is_ninja(head):
        ninja = parse_ninja(text, file)
        if ninja.kind != "weather":
            raise ScenarioError(
                file,
                "",
                f"a renewables.ninja {ninja.kind} output export (capacity factors), not "
                "weather: read it with read_ninja_output",
            )
        return ninja_weather(ninja, file)
    raise ScenarioError(file, "", f"not a weather file dispatch reads ({FORMATS})")


def _is_tmy2(lines: list[str]) -> bool:
    """TMY2: a fixed-column header (WBAN number, city, state, time zone, latitude,
    longitude, elevation), then records starting with the two-digit year, month, day
    and hour."""
    record = lines[1]
    return bool(_TMY2_HEADER.match(lines[0])) and len(record) >= 140 and record[1:9].isdigit()


def _finish(raw: formats.RawWeather, file: str) -> Weather:
    """The checks and derivations every format shares."""
    if not -90 <= raw.latitude <= 90 or not -180 <= raw.longitude <= 180:
        raise ScenarioError(
            file, "latitude", f"({raw.latitude}, {raw.longitude}) is not a location"
        )
    data = raw.data.sort_index(kind="stable")
    data.index = data.index.as_unit("ns").rename("time")
    _check_values(data, file)
    notes = list(raw.notes)
    if raw.sub_hourly:
        data = formats.hourly_means(data, file)
        notes.append("values below the hour averaged over each hour")
    _check_hours(data.index, file)
    altitude = raw.altitude_m
    if altitude is None:
        from pvlib.location import lookup_altitude

        altitude = float(lookup_altitude(raw.latitude, raw.longitude))
        notes.append(f"altitude {altitude:g} m looked up by pvlib (not in the file)")
    if "pressure" not in data:
        from pvlib.atmosphere import alt2pres

        data["pressure"] = float(alt2pres(altitude))
        notes.append(f"pressure: standard atmosphere at {altitude:g} m")
    data, derived = _irradiance(data, raw.latitude, raw.longitude, altitude)
    notes.extend(derived)
    has_wind = "wind_speed" in data
    if not has_wind:
        data["wind_speed"] = np.nan
        notes.append("no wind speed in the file")
    return Weather(
        data=data[list(COLUMNS)].astype(float) + 0.0,  # + 0.0: no -0.0 from the files
        latitude=float(raw.latitude),
        longitude=float(raw.longitude),
        altitude_m=float(altitude),
        wind_height_m=float(raw.wind_height_m),
        source=file,
        file_format=raw.file_format,
        typical_year=raw.typical_year,
        has_wind=has_wind,
        provenance=tuple(notes),
    )


def _check_hours(index: pd.DatetimeIndex, file: str) -> None:
    if len(index) == 0:
        raise ScenarioError(file, "time", "no hourly values")
    if index.has_duplicates:
        raise ScenarioError(
            file, "time", f"the hour starting {index[index.duplicated()][0]} appears twice"
        )
    if (index != index.floor("h")).any():
        at = index[index != index.floor("h")][0]
        raise ScenarioError(file, "time", f"{at} is not the start of an hour")
    steps = np.diff(index.sort_values().asi8)
    gap = np.flatnonzero(steps != formats.HOUR.value)
    if len(gap):
        after = index.sort_values()[int(gap[0])]
        raise ScenarioError(file, "time", f"hours missing after {after}")


def _check_values(data: pd.DataFrame, file: str) -> None:
    for column in data.columns:
        values = data[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            at = data.index[int(np.flatnonzero(bad)[0])]
            raise ScenarioError(file, column, f"at {at}: {values[bad][0]} is not a number")
        low, high = LIMITS[column]
        outside = (values < low) | (values > high)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise ScenarioError(
                file,
                column,
                f"at {data.index[i]}: {values[i]:g} {UNITS[column]} is outside [{low:g}, {high:g}]",
            )


def _irradiance(
    data: pd.DataFrame, latitude: float, longitude: float, altitude: float
) -> tuple[pd.DataFrame, list[str]]:
    """DNI and DHI where the file lacks them: both from GHI with Erbs, or DNI from GHI
    and DHI; the sun's position at the middle of each hour."""
    if "dni" in data and "dhi" in data:
        return data, []
    from pvlib import irradiance, solarposition

    middle = data.index + pd.Timedelta(minutes=30)
    zenith = solarposition.get_solarposition(middle, latitude, longitude, altitude)[
        "apparent_zenith"
    ].to_numpy()
    if "dhi" not in data:
        erbs = irradiance.erbs(data["ghi"].to_numpy(), zenith, middle.day_of_year.to_numpy())
        data["dni"], data["dhi"] = erbs["dni"], erbs["dhi"]
        return data, ["dni, dhi derived from ghi with pvlib's Erbs model"]
    dni = irradiance.dni(data["ghi"], data["dhi"], pd.Series(zenith, index=data.index))
    data["dni"] = dni.fillna(0.0).clip(lower=0.0)
    return data, ["dni derived from ghi and dhi (pvlib.irradiance.dni)"]
