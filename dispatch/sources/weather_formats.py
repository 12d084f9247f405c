"""The weather file formats dispatch reads, each into a :class:`RawWeather`.

EnergyPlus EPW, TMY2, TMY3 and NSRDB PSM4 are parsed by :mod:`pvlib.iotools`; PVGIS
CSV and JSON exports are parsed here, after the layout pvlib's readers document,
because pvlib's PVGIS TMY CSV reader takes exactly 8760 rows and its JSON reader
does not bound what it parses. Every reader turns the format's time convention into
UTC labels at the start of the hour the values stand for (see ``docs/sources.md``);
the checks shared by all formats (gaps, repeats, ranges) are made by the caller,
:func:`dispatch.sources.weather.read_weather`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import in_range
from dispatch.core.untrusted_input import short_name, short_repr

TYPICAL_YEAR = 1990
"""Year every hour of a typical (TMY-like) file is put in: not a leap year [-]."""
HOUR = pd.Timedelta(hours=1)
PVGIS_WIND_HEIGHT_M = 10.0
"""PVGIS, EPW, TMY2/TMY3 and NSRDB give the wind speed 10 m above ground [m]."""
_PVGIS_TIME = "%Y%m%d:%H%M"
_PVGIS_OFFSET = "Irradiance Time Offset"
_EPW_TYPICAL = re.compile(r"TMY|TYPICAL|IWEC|CWEC|TRY|TGY|TDY", re.IGNORECASE)


@dataclass
class RawWeather:
    """A weather file as read, before the checks and derivations all formats share.

    ``data`` has UTC labels at the start of each hour (or instants, ``sub_hourly``)
    and any of the columns ghi, dni, dhi [W m-2], temp_air [degC], wind_speed
    [m s-1], pressure [Pa].
    """

    data: pd.DataFrame
    latitude: float
    longitude: float
    altitude_m: float | None
    file_format: str
    typical_year: bool
    wind_height_m: float = PVGIS_WIND_HEIGHT_M
    notes: list[str] = field(default_factory=list)
    sub_hourly: bool = False
    """True if ``data`` holds instants at a step below an hour, to be averaged per hour
    after their values are checked."""


def number(value: Any, file: str, name: str) -> float:
    """A number from a file's header; one-line error naming the field otherwise."""
    try:
        result = float(str(value).strip())
    except ValueError:
        raise ScenarioError(file, name, f"{short_repr(value)} is not a number") from None
    if not np.isfinite(result):
        raise ScenarioError(file, name, f"{short_repr(value)} is not a finite number")
    return result


def numeric_columns(table: pd.DataFrame, columns: dict[str, str], file: str) -> pd.DataFrame:
    """``table``'s ``columns`` (file name -> dispatch name) as floats; a missing column
    or a text that is not a number is refused naming the column and the row."""
    missing = [name for name in columns if name not in table.columns]
    if missing:
        raise ScenarioError(file, short_name(missing[0]), "required column is missing")
    result = {}
    for name, ours in columns.items():
        values = pd.to_numeric(table[name], errors="coerce")
        bad = values.isna() & table[name].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            text = table[name].iloc[row]
            raise ScenarioError(
                file, short_name(name), f"row {row + 1}: {short_repr(text)} is not a number"
            )
        result[ours] = values.astype(float).to_numpy()
    return pd.DataFrame(result, index=table.index)


def in_typical_year(local: pd.DatetimeIndex, file: str) -> pd.DatetimeIndex:
    """Naive times of a typical year moved into :data:`TYPICAL_YEAR`, month, day and
    hour kept (the months of a TMY come from different years)."""
    if ((local.month == 2) & (local.day == 29)).any():
        raise ScenarioError(file, "", "a typical year with 29 February is not read")
    return pd.DatetimeIndex(
        pd.to_datetime(
            {
                "year": TYPICAL_YEAR,
                "month": local.month,
                "day": local.day,
                "hour": local.hour,
                "minute": local.minute,
            }
        )
    ).as_unit("ns")


def hour_labels(instants: pd.DatetimeIndex, file: str) -> pd.DatetimeIndex:
    """UTC instants within an hour (PVGIS HH:10, NSRDB HH:30) as the hour's start."""
    return in_range(instants.tz_convert("UTC").floor("h"), file, "time").rename("time")


def hourly_means(data: pd.DataFrame, file: str) -> pd.DataFrame:
    """Values at a regular step below an hour (NSRDB's 30 minutes) averaged per hour
    (label: the hour's start); every hour must be complete."""
    steps = np.unique(np.diff(data.index.asi8))
    step = pd.Timedelta(int(steps[0]), "ns") if len(steps) == 1 else None
    if step is None or step <= pd.Timedelta(0) or HOUR % step:
        raise ScenarioError(
            file, "time", "times below an hour must be at one step that divides the hour"
        )
    per_hour = HOUR // step
    hours = data.index.floor("h")
    counts = pd.Series(1, index=hours).groupby(level=0).size()
    if (counts != per_hour).any():
        first = counts.index[int(np.flatnonzero(counts.to_numpy() != per_hour)[0])]
        raise ScenarioError(file, "time", f"the hour starting {first} is incomplete")
    return data.groupby(hours).mean().rename_axis("time")


# --- PVGIS --------------------------------------------------------------------------

_PVGIS_TMY_COLUMNS = {
    "G(h)": "ghi",
    "Gb(n)": "dni",
    "Gd(h)": "dhi",
    "T2m": "temp_air",
    "WS10m": "wind_speed",
    "SP": "pressure",
}


def read_pvgis_csv(text: str, file: str) -> RawWeather:
    """A PVGIS CSV export: hourly radiation (``seriescalc``) or TMY.

    The layout: ``key: value`` lines (latitude, longitude, elevation, database,
    mounting), for a TMY the months selected, the header row (``time,...`` or
    ``time(UTC),...``), the rows up to a blank line, then the legend.
    """
    lines = text.splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("time")), None)
    if header is None:
        raise ScenarioError(file, "", "PVGIS CSV without its header row (time,...)")
    meta = {}
    for line in lines[:header]:
        key, colon, value = line.partition(":")
        if colon:
            meta[key.strip()] = value.strip()
    end = next((i for i in range(header + 1, len(lines)) if not lines[i].strip()), len(lines))
    rows = list(csv.reader(lines[header + 1 : end]))
    names = [name.strip() for name in lines[header].split(",")]
    if any(len(row) != len(names) for row in rows):
        i = next(i for i, row in enumerate(rows) if len(row) != len(names))
        raise ScenarioError(file, "", f"row {i + 1} has {len(rows[i])} fields, not {len(names)}")
    table = pd.DataFrame(rows, columns=names)
    latitude = number(meta.get("Latitude (decimal degrees)"), file, "Latitude (decimal degrees)")
    longitude = number(meta.get("Longitude (decimal degrees)"), file, "Longitude (decimal degrees)")
    altitude = number(meta.get("Elevation (m)"), file, "Elevation (m)")
    if names[0] == "time(UTC)":
        return _pvgis_tmy(table, "time(UTC)", latitude, longitude, altitude, file)
    slope = meta.get("Slope")
    return _pvgis_hourly(table, slope, latitude, longitude, altitude, file)


def read_pvgis_json(document: Any, file: str) -> RawWeather:
    """A PVGIS JSON export (hourly radiation or TMY), parsed by the caller."""
    try:
        location = document["inputs"]["location"]
        outputs = document["outputs"]
        latitude = number(location["latitude"], file, "inputs.location.latitude")
        longitude = number(location["longitude"], file, "inputs.location.longitude")
        altitude = number(location["elevation"], file, "inputs.location.elevation")
        if "tmy_hourly" in outputs:
            table = pd.DataFrame(outputs["tmy_hourly"])
            return _pvgis_tmy(table, "time(UTC)", latitude, longitude, altitude, file)
        table = pd.DataFrame(outputs["hourly"])
        fixed = document["inputs"].get("mounting_system", {}).get("fixed", {})
        slope = fixed.get("slope", {}).get("value") if isinstance(fixed, dict) else None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ScenarioError(
            file, "", f"not the layout of a PVGIS JSON export ({short_repr(str(exc))})"
        ) from None
    return _pvgis_hourly(table, slope, latitude, longitude, altitude, file)


def _pvgis_times(table: pd.DataFrame, name: str, file: str) -> pd.DatetimeIndex:
    if name not in table.columns:
        raise ScenarioError(file, name, "required column is missing")
    texts = table[name].astype(str).str.strip()
    times = pd.to_datetime(texts, format=_PVGIS_TIME, utc=True, errors="coerce")
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ScenarioError(
            file, name, f"row {row + 1}: {short_repr(texts.iloc[row])} is not a YYYYMMDD:HHMM time"
        )
    return pd.DatetimeIndex(times)


def _pvgis_tmy(
    table: pd.DataFrame, time: str, latitude: float, longitude: float, altitude: float, file: str
) -> RawWeather:
    times = _pvgis_times(table, time, file)
    labels = in_typical_year(times.tz_localize(None).floor("h"), file).tz_localize("UTC")
    data = numeric_columns(table, _PVGIS_TMY_COLUMNS, file).set_axis(labels)
    return RawWeather(data, latitude, longitude, altitude, "pvgis-tmy", True)


def _pvgis_hourly(
    table: pd.DataFrame,
    slope: Any,
    latitude: float,
    longitude: float,
    altitude: float,
    file: str,
) -> RawWeather:
    angle = re.match(r"\s*(-?[\d.]+)", str(slope)) if slope is not None else None
    if angle is None or float(angle[1]) != 0:
        raise ScenarioError(
            file,
            "Slope",
            f"irradiance on a plane of slope {short_repr(slope)}: download PVGIS hourly "
            "radiation with slope 0 (horizontal) and no tracking",
        )
    columns = {"T2m": "temp_air", "WS10m": "wind_speed"}
    notes = []
    if "G(i)" in table.columns:
        columns["G(i)"] = "ghi"
    else:
        columns |= {"Gb(i)": "beam_horizontal", "Gd(i)": "dhi"}
    data = numeric_columns(table, columns, file)
    if "beam_horizontal" in data:
        data["ghi"] = data.pop("beam_horizontal") + data["dhi"]
        notes.append("ghi = Gb(i) + Gd(i) on the horizontal plane")
    labels = hour_labels(_pvgis_times(table, "time", file), file)
    return RawWeather(
        data.set_axis(labels), latitude, longitude, altitude, "pvgis-hourly", False, notes=notes
    )


# --- formats pvlib reads --------------------------------------------------------------

_PVLIB_NAMES = {name: name for name in ("ghi", "dni", "dhi", "temp_air", "wind_speed", "pressure")}
"""The columns read, as pvlib names them (``map_variables``) [-]."""


def _utc(local: pd.DatetimeIndex, offset: Any, file: str) -> pd.DatetimeIndex:
    """Naive local standard times at a fixed UTC ``offset`` as UTC, named ``time``."""
    return in_range((local - offset).tz_localize("UTC"), file, "time").rename("time")


def pvlib_read(reader: Callable[..., Any], source: Any, description: str, file: str) -> Any:
    """``reader(source)`` with whatever pvlib raises on a malformed file as one line."""
    try:
        data, meta = reader(source)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ScenarioError(
            file, "", f"not a readable {description} file ({short_repr(first)})"
        ) from None
    if len(data) == 0:
        raise ScenarioError(file, "", f"{description} file without data rows")
    return data, meta


def read_epw(text: str, file: str) -> RawWeather:
    """An EnergyPlus EPW file (pvlib), or a PVGIS TMY in EPW.

    EPW hours end at the hour given, in local standard time (UTC offset in the
    LOCATION line); pvlib labels them by their start. PVGIS writes UTC hours into its
    EPW whatever the LOCATION line's offset says (its COMMENTS 2 give the irradiance
    time offset): these are read as UTC, as PVGIS's CSV and JSON give them.
    """
    from pvlib.iotools import read_epw as pvlib_read_epw

    data, meta = pvlib_read(pvlib_read_epw, io.StringIO(text), "EPW", file)
    pvgis = _PVGIS_OFFSET in "\n".join(text.splitlines()[:8])
    years = data["year"].to_numpy()
    typical = pvgis or bool(_EPW_TYPICAL.search(str(meta.get("data_type", ""))))
    typical = typical or len(np.unique(years)) > 1
    local = data.index.tz_localize(None)
    if typical:
        local = in_typical_year(local, file)
    offset = pd.Timedelta(0) if pvgis else data.index[0].utcoffset()
    labels = _utc(local, offset, file)
    columns = {name: name for name in _PVLIB_NAMES if name != "pressure"}
    columns["atmospheric_pressure"] = "pressure"
    values = numeric_columns(data, columns, file).set_axis(labels)
    latitude, longitude = meta["latitude"], meta["longitude"]
    return RawWeather(
        values,
        latitude,
        longitude,
        meta["altitude"],
        "pvgis-tmy" if pvgis else "epw",
        typical,
        notes=["PVGIS EPW: hours read as UTC"] if pvgis else [],
    )


def read_tmy3(text: str, file: str) -> RawWeather:
    """A TMY3 CSV file (pvlib): hour-ending local standard time, always a typical year.

    The hours are labelled from the file's date and hour-ending time (``24:00`` on
    28 February is the hour starting 23:00 that day), not from pvlib's index, which
    moves an hour ending at midnight into the next day.
    """
    from pvlib.iotools import read_tmy3 as pvlib_read_tmy3

    data, meta = pvlib_read(pvlib_read_tmy3, io.StringIO(text), "TMY3", file)
    dates = pd.to_datetime(data["Date (MM/DD/YYYY)"], format="%m/%d/%Y", errors="coerce")
    hours = pd.to_numeric(data["Time (HH:MM)"].str.split(":").str[0], errors="coerce")
    if dates.isna().any() or hours.isna().any() or not hours.between(1, 24).all():
        raise ScenarioError(file, "Date (MM/DD/YYYY)", "dates or hour-ending times not read")
    local = in_typical_year(pd.DatetimeIndex(dates + pd.to_timedelta(hours - 1, unit="h")), file)
    labels = _utc(local, data.index[0].utcoffset(), file)
    values = numeric_columns(data, _PVLIB_NAMES, file).set_axis(labels)
    values["pressure"] *= 100.0  # mbar
    return RawWeather(values, meta["latitude"], meta["longitude"], meta["altitude"], "tmy3", True)


def read_tmy2(path: str, file: str) -> RawWeather:
    """A TMY2 file (pvlib; fixed columns, tenths of degC and of m/s), hour-ending local
    standard time, always a typical year."""
    from pvlib.iotools import read_tmy2 as pvlib_read_tmy2

    data, meta = pvlib_read(pvlib_read_tmy2, path, "TMY2", file)
    local = in_typical_year(data.index.tz_localize(None), file)
    labels = _utc(local, data.index[0].utcoffset(), file)
    columns = {
        "GHI": "ghi",
        "DNI": "dni",
        "DHI": "dhi",
        "DryBulb": "temp_air",
        "Wspd": "wind_speed",
        "Pressure": "pressure",
    }
    values = numeric_columns(data, columns, file).set_axis(labels)
    values["temp_air"] /= 10.0
    values["wind_speed"] /= 10.0
    values["pressure"] *= 100.0
    return RawWeather(values, meta["latitude"], meta["longitude"], meta["altitude"], "tmy2", True)


_PSM4_UNITS = {
    "GHI Units": "w/m2",
    "DNI Units": "w/m2",
    "DHI Units": "w/m2",
    "Temperature Units": "c",
    "Wind Speed Units": "m/s",
    "Pressure Units": "mbar",
}


def read_psm4(text: str, file: str) -> RawWeather:
    """An NSRDB PSM4 CSV (pvlib): values at instants (HH:30 for hourly data, HH:00 and
    HH:30 for half-hourly) in the offset of its ``Time Zone`` field."""
    from pvlib.iotools import read_nsrdb_psm4

    data, meta = pvlib_read(read_nsrdb_psm4, io.StringIO(text), "NSRDB PSM4", file)
    for key, unit in _PSM4_UNITS.items():
        if str(meta.get(key, "")).strip().lower() != unit:
            raise ScenarioError(
                file, key, f"{short_repr(meta.get(key))}: dispatch reads {unit} only"
            )
    values = numeric_columns(data, _PVLIB_NAMES, file)
    values["pressure"] *= 100.0
    years = data.index.year
    typical = len(np.unique(years)) > 1 and not (np.diff(years) >= 0).all()
    local = data.index.tz_localize(None)
    if typical:
        local = in_typical_year(local, file)
    instants = _utc(local, data.index[0].utcoffset(), file)
    values = values.set_axis(instants.rename("time"))
    sub_hourly = len(values) > 1 and bool((np.diff(instants.asi8) < HOUR.value).any())
    if not sub_hourly:
        values = values.set_axis(hour_labels(instants, file))
    return RawWeather(
        values,
        meta["latitude"],
        meta["longitude"],
        float(meta["altitude"]),
        "nsrdb-psm4",
        typical,
        sub_hourly=sub_hourly,
    )
