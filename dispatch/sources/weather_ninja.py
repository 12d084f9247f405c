"""renewables.ninja CSV exports: weather, and PV or wind output (capacity factors).

The layout, as https://www.renewables.ninja/documentation/datasets publishes it:
comment lines starting with ``#`` (the dataset's name, version, licence and
reference; the units in words; the units and the request's parameters as one JSON
object), then the header row ``time,local_time,...`` and the hourly rows, ``time``
being the UTC start of the hour the values average.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import in_range
from dispatch.core.untrusted_input import load_json, short_repr
from dispatch.sources.weather_formats import RawWeather, number, numeric_columns

GAS_CONSTANT_DRY_AIR = 287.05
"""Specific gas constant of dry air [J kg-1 K-1]."""
_NAMES = {
    "temp_air": ("temperature", "t2m"),
    "ghi": ("irradiance_surface", "swgdn"),
    "air_density": ("air_density", "rhoa"),
    "wind_speed": ("wind_speed",),
}
_UNITS = {
    "temp_air": ("°C", "degC", "C"),
    "ghi": ("W/m²", "W/m2", "Wm-2"),
    "air_density": ("kg/m³", "kg/m3", "kgm-3"),
    "wind_speed": ("m/s", "ms-1"),
}
"""The units read, spaces left out (the first is the one renewables.ninja writes)."""


@dataclass(frozen=True)
class NinjaFile:
    """A renewables.ninja export as read: what it is, its metadata and its rows."""

    kind: str
    """``"solar"``, ``"wind"`` or ``"weather"`` [-]."""
    description: str
    """The first comment line (dataset, version, licence, reference) [-]."""
    units: dict[str, Any]
    """Units of the columns, from the JSON comment line [-]."""
    params: dict[str, Any]
    """The request's parameters (lat, lon, capacity, height, ...) [-]."""
    table: pd.DataFrame
    """The rows as text, indexed by UTC hour start (``time``) [-]."""


def is_ninja(head: str) -> bool:
    """Whether a file starting with ``head`` is a renewables.ninja export."""
    return head.lstrip("\ufeff").startswith("#") and "renewables.ninja" in head[:500].lower()


def parse_ninja(text: str, file: str) -> NinjaFile:
    """The comment lines, the header row and the rows of a renewables.ninja export."""
    lines = text.splitlines()
    comments = []
    for line in lines:
        if not line.startswith("#"):
            break
        comments.append(line.lstrip("#").strip())
    meta = next((line for line in comments if line.startswith("{")), None)
    if not comments or meta is None:
        raise ScenarioError(
            file, "", "renewables.ninja export without its JSON metadata line (# {...})"
        )
    document = load_json(meta.encode(), file)
    if not isinstance(document, dict):
        raise ScenarioError(file, "metadata", "the JSON metadata line is not an object")
    units, params = document.get("units", {}), document.get("params", {})
    if not isinstance(units, dict) or not isinstance(params, dict):
        raise ScenarioError(file, "metadata", "units and params must be JSON objects")
    body = "\n".join(lines[len(comments) :])
    try:
        table = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        first = (str(exc).splitlines() or ["?"])[0]
        raise ScenarioError(file, "", f"rows not readable as CSV ({short_repr(first)})") from None
    if "time" not in table.columns:
        raise ScenarioError(file, "time", "required column is missing")
    times = pd.to_datetime(table["time"].str.strip(), format="ISO8601", utc=True, errors="coerce")
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ScenarioError(
            file, "time", f"row {row + 1}: {short_repr(table['time'].iloc[row])} is not a time"
        )
    table.index = in_range(pd.DatetimeIndex(times), file, "time").rename("time")
    return NinjaFile(kind_of(comments[0], params), comments[0], units, params, table)


def kind_of(description: str, params: dict[str, Any]) -> str:
    """What an export holds, from its first comment line and its parameters:
    ``"weather"``, ``"wind"``, ``"solar"`` or ``"unknown"``."""
    text = description.lower()
    if "weather" in text:
        return "weather"
    if "wind" in text or "turbine" in params:
        return "wind"
    if "pv" in text or "solar" in text or "tilt" in params:
        return "solar"
    return "unknown"


def location(ninja: NinjaFile, file: str) -> tuple[float, float]:
    """The export's latitude and longitude [deg], from its parameters."""
    for key in ("lat", "lon"):
        if key not in ninja.params:
            raise ScenarioError(file, f"params.{key}", "required field is missing")
    return number(ninja.params["lat"], file, "params.lat"), number(
        ninja.params["lon"], file, "params.lon"
    )


def _units(ninja: NinjaFile, column: str, ours: str, file: str) -> None:
    given = ninja.units.get(column)
    spelling = re.sub(r"\s+", "", str(given)).lower()
    if spelling not in [unit.lower() for unit in _UNITS[ours]]:
        raise ScenarioError(
            file, column, f"units {short_repr(given)}: dispatch reads {_UNITS[ours][0]}"
        )


def ninja_weather(ninja: NinjaFile, file: str) -> RawWeather:
    """A renewables.ninja weather export: temperature, ground-level irradiance (GHI),
    air density (pressure derived with the temperature) and, if it has one, a wind
    speed at the height its parameters state."""
    found = {}
    for ours, spellings in _NAMES.items():
        column = next((name for name in spellings if name in ninja.table.columns), None)
        if column is not None:
            _units(ninja, column, ours, file)
            found[column] = ours
    for ours in ("temp_air", "ghi"):
        if ours not in found.values():
            raise ScenarioError(
                file, _NAMES[ours][0], f"required column is missing (or {_NAMES[ours][1]})"
            )
    data = numeric_columns(ninja.table, found, file)
    notes = []
    if "air_density" in data:
        density = data.pop("air_density")
        data["pressure"] = density * GAS_CONSTANT_DRY_AIR * (data["temp_air"] + 273.15)
        notes.append("pressure from air density and temperature (ideal gas, dry air)")
    height = 10.0
    if "wind_speed" in data:
        if "height" not in ninja.params:
            raise ScenarioError(
                file, "params.height", "a wind_speed column needs the height it is at"
            )
        height = number(ninja.params["height"], file, "params.height")
        if not 0 < height <= 300:
            raise ScenarioError(file, "params.height", f"{height} m is not a wind height")
    latitude, longitude = location(ninja, file)
    return RawWeather(data, latitude, longitude, None, "ninja-weather", False, height, notes=notes)


def capacity_factor(ninja: NinjaFile, file: str) -> pd.Series:
    """``electricity`` [kW] of an output export over its ``capacity`` [kW], checked
    within [0, 1]."""
    if ninja.units.get("electricity") != "kW":
        raise ScenarioError(
            file, "electricity", f"units {short_repr(ninja.units.get('electricity'))}: not kW"
        )
    capacity = number(ninja.params.get("capacity"), file, "params.capacity")
    if capacity <= 0:
        raise ScenarioError(file, "params.capacity", f"{capacity} kW is not positive")
    values = numeric_columns(ninja.table, {"electricity": "electricity"}, file)["electricity"]
    availability = (values / capacity).rename("availability")
    bad = ~np.isfinite(availability) | (availability < 0) | (availability > 1)
    if bad.any():
        at = availability.index[int(np.flatnonzero(bad.to_numpy())[0])]
        raise ScenarioError(
            file,
            "electricity",
            f"at {at}: {values[at]} kW of {capacity} kW is not a capacity factor in [0, 1]",
        )
    return availability
