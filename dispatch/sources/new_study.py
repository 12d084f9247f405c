"""A new study of a site from the files an analyst has (``dispatch new``).

A weather file gives the horizon and the solar (and wind) availability; a day-ahead
price export, a grid carbon-intensity export and a workload trace, where given, give
the grid's and the data centre's series, and flat placeholders or a parametric
workload stand in for those not given. Every number the command chooses is a default
whose basis is a comment line above it in the study's ``scenario.yaml`` (and in
``docs/sources.md``). The folder is written as a whole, atomically, only where
nothing is: a new or empty folder.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.files import staged_folder, write_file_atomic
from dispatch.core.times import iana_zone
from dispatch.core.untrusted_input import not_a_file
from dispatch.scenario.load import SCENARIO_FILE, load_study
from dispatch.scenario.quantities import MAX_NAME
from dispatch.sources.study_files import (
    BASIS,
    BATCH_DEADLINE_H,
    EARTH_RADIUS_KM,
    FLAT_CARBON,
    FLAT_CLEAN_SHARE,
    FLAT_PRICE,
    IDLE_FRACTION,
    IT_CAPACITY_MW,
    LOST_WORK_PER_PRICE,
    MAX_DISTANCE_KM,
    PROFILES_FILE,
    PUE,
    SERIES_FILE,
    SOLAR_PER_IT,
    TRACE_SHARES,
    TYPICAL_YEAR,
    WH_PER_REQUEST,
    WIND_PER_IT,
    WORK_SHARES,
    commented_yaml,
    header,
    write_series,
)

if TYPE_CHECKING:
    from dispatch.sources.solar import SolarModel
    from dispatch.sources.weather import Weather
    from dispatch.sources.wind import WindModel

_log = logging.getLogger(__name__)

REPEATS = ("none", "daily", "weekly")
"""How a workload trace may fill the horizon beyond it (``WorkloadAssumptions.repeat``)."""


@dataclass
class _Parts:
    """What a new study is made of, gathered before anything is written."""

    columns: dict[str, pd.Series] = field(default_factory=dict)
    """The series of ``series.csv`` by column."""
    datacentre: dict[str, Any] = field(default_factory=dict)
    """The site's ``datacentre`` fields."""
    plants: dict[str, Any] = field(default_factory=dict)
    """The site's ``solar`` and ``wind`` fields."""
    grid: dict[str, Any] = field(default_factory=dict)
    """The site's ``grid`` fields."""
    comments: dict[str, str] = field(default_factory=dict)
    """The basis of each field, by its path in the site (``grid.import_price``)."""
    notes: list[str] = field(default_factory=list)
    """What the study is made of, for its description."""
    warnings: list[str] = field(default_factory=list)
    """Placeholders standing in for files not given, one line each."""


def new_study(
    folder: str | Path,
    *,
    site: str,
    latitude: float,
    longitude: float,
    weather: str | Path,
    prices: str | Path | None = None,
    carbon: str | Path | None = None,
    workload: str | Path | None = None,
    year: int | None = None,
    hours: float | None = None,
    it_mw: float | None = None,
    solar_mw: float | None = None,
    wind_mw: float | None = None,
    wind_turbine: str | None = None,
    currency: str = "EUR",
    rate: float | None = None,
    pue: float | None = None,
    time_zone: str | None = None,
    seed: int = 0,
    repeat: str = "none",
    wh_per_request: float | None = None,
) -> Path:
    """Write a new study of a site from its weather file and, where given, its price,
    carbon and workload files.

    Parameters
    ----------
    folder
        The study folder to write: new or empty.
    site
        Name of the site (letters, digits, ``_`` and ``-``).
    latitude, longitude
        The site, north and east positive; the weather file must be for a place
        within :data:`MAX_DISTANCE_KM` of it [deg].
    weather
        Weather file (``docs/sources.md``: PVGIS, EPW, NSRDB PSM4, TMY2/TMY3,
        renewables.ninja weather).
    prices
        Day-ahead price export; None: a flat :data:`FLAT_PRICE`.
    carbon
        Grid carbon-intensity export; None: a flat :data:`FLAT_CARBON`.
    workload
        Request-rate or utilisation trace; None: a parametric workload (seeded).
    year
        Year of the study: a typical-year file is mapped onto it (default
        :data:`TYPICAL_YEAR`); of a file of real years, its hours in that year
        (default: its first whole year, else all its hours) [-].
    hours
        Keep only the first ``hours`` of that horizon [h].
    it_mw
        IT capacity (default :data:`IT_CAPACITY_MW`) [MW].
    solar_mw
        Solar capacity (default :data:`SOLAR_PER_IT` times the IT capacity; 0: none)
        [MW].
    wind_mw
        Wind capacity (default :data:`WIND_PER_IT` times the IT capacity if
        ``wind_turbine`` is given, else none; 0: none) [MW].
    wind_turbine
        Turbine type of windpowerlib's library (default: the wind model's) [-].
    currency
        The study's currency (ISO 4217) [-].
    rate
        Study currency per unit of the price file's currency: needed where they
        differ, refused elsewhere; positive and finite [-].
    pue
        Power usage effectiveness (default :data:`PUE`) [-].
    time_zone
        IANA time zone of the site's users (default: the whole-hour offset of the
        longitude, ``Etc/GMT-3`` at 45 E) [-].
    seed
        Seed of the parametric workload [-].
    repeat
        ``none``, ``daily`` or ``weekly``: fill the horizon outside the workload trace
        with its first whole day or week [-].
    wh_per_request
        IT energy per request of a request-count trace (default
        :data:`WH_PER_REQUEST`) [Wh].

    Returns
    -------
    pathlib.Path
        The study folder, which ``dispatch validate`` accepts and ``dispatch run``
        solves.

    Raises
    ------
    ScenarioError
        One line naming the file or option and what is wrong; nothing is written.
    """
    from dispatch.sources.weather import read_weather

    folder = Path(folder)
    _check_site(site, latitude, longitude)
    it_mw = _positive("--it-mw", IT_CAPACITY_MW if it_mw is None else it_mw)
    pue = _positive("--pue", PUE if pue is None else pue)
    if pue < 1:
        raise ScenarioError("--pue", "", f"is {pue:g}, must be at least 1")
    if rate is not None:
        rate = _positive("--rate", rate)
        if prices is None:
            raise ScenarioError("--rate", "", "converts the prices of --prices: give no rate")
    zone = time_zone or _zone_of_longitude(longitude)
    _check_zone(zone)
    _check_new_folder(folder)
    inputs = [Path(p) for p in (weather, prices, carbon, workload) if p is not None]
    for path in inputs:
        problem = not_a_file(path)
        if problem is not None:
            raise ScenarioError(str(path), "", problem)
    site_weather = read_weather(weather)
    _check_distance(site_weather, latitude, longitude, str(weather))
    snapshots, horizon = study_snapshots(site_weather, year, hours)
    solar_model, wind_model, capacities = _plants(it_mw, solar_mw, wind_mw, wind_turbine)
    if wind_model is not None and not site_weather.has_wind:
        raise ScenarioError(
            str(weather), "wind_speed", "gives no wind speed: give --wind-mw 0 or other weather"
        )
    if repeat not in REPEATS:
        raise ScenarioError("--repeat", "", f"is {repeat!r}, must be one of {', '.join(REPEATS)}")
    parts = _Parts(notes=[horizon])
    parts.datacentre.update(it_capacity_mw=it_mw, idle_fraction=IDLE_FRACTION, pue=pue)
    for name in ("it_capacity_mw", "idle_fraction", "pue"):
        parts.comments[f"datacentre.{name}"] = BASIS[name]
    for name, mw in capacities.items():
        parts.plants[name] = {"capacity_mw": mw, "availability": f"{PROFILES_FILE}:{name}"}
        parts.comments[name] = BASIS[name]
    mean_price = _grid_parts(parts, snapshots, prices, carbon, currency, rate, pue * it_mw)
    wh = WH_PER_REQUEST if wh_per_request is None else wh_per_request
    wh = _positive("--wh-per-request", wh)
    _workload_parts(parts, snapshots, workload, it_mw, zone, seed, (repeat, wh), mean_price)
    text = _scenario_text(site, latitude, longitude, site_weather, snapshots, currency, parts)
    with staged_folder(folder, "study", inputs) as staging:
        if capacities:
            from dispatch.sources.profiles import write_profiles

            write_profiles(
                site_weather,
                staging / PROFILES_FILE,
                snapshots,
                solar=solar_model,
                wind=wind_model,
            )
        write_file_atomic(staging / SERIES_FILE, lambda path: write_series(parts.columns, path))
        write_file_atomic(
            staging / SCENARIO_FILE, lambda path: path.write_text(text, encoding="utf-8")
        )
        load_study(staging)  # the study is valid before it takes the folder's place
    for warning in parts.warnings:
        _log.warning("%s: %s", folder, warning)
    return folder


def study_snapshots(
    weather: Weather, year: int | None = None, hours: float | None = None
) -> tuple[pd.DatetimeIndex, str]:
    """The hourly snapshots of a new study from its weather, and how they were chosen.

    A typical-year file is mapped onto ``year`` (default :data:`TYPICAL_YEAR`): the
    whole year if the file holds 8760 hours or more, else the hours it holds. Of a
    file of real years, its hours in ``year`` (default: its first whole UTC year, else
    all its hours) are taken as they are.

    Parameters
    ----------
    weather
        The site's weather.
    year
        Year of the study [-].
    hours
        Keep only the first ``hours`` [h].

    Returns
    -------
    pandas.DatetimeIndex
        Snapshot start times, UTC, hourly, named ``snapshot`` as a study has them.
    str
        How they were chosen, one sentence.
    """
    index = weather.data.index
    if year is not None and not (1901 <= year <= 2200):
        raise ScenarioError("--year", "", f"is {year}, must lie between 1901 and 2200")
    if weather.typical_year:
        year = TYPICAL_YEAR if year is None else year
        if len(index) >= 8760:
            start = pd.Timestamp(f"{year}-01-01", tz="UTC")
            periods = len(pd.date_range(start, start + pd.DateOffset(years=1), freq="h")) - 1
        else:
            first = index[0]
            day = min(first.day, 28) if first.month == 2 and first.day == 29 else first.day
            start = pd.Timestamp(year, first.month, day, first.hour, tz="UTC")
            periods = len(index)
        how = f"typical year of {Path(weather.source).name} mapped onto {year}"
    else:
        if year is None:
            whole = [
                y
                for y in sorted(set(index.year))
                if index[0] <= pd.Timestamp(f"{y}-01-01", tz="UTC")
                and pd.Timestamp(f"{y}-12-31T23:00", tz="UTC") <= index[-1]
            ]
            inside = index[index.year == whole[0]] if whole else index
        else:
            inside = index[index.year == year]
            if not len(inside):
                raise ScenarioError(
                    "--year",
                    "",
                    f"{weather.source} holds no hour of {year} (it runs from "
                    f"{index[0].isoformat()} to {index[-1].isoformat()}); a typical-year file "
                    "can be mapped onto any year",
                )
        start, periods = inside[0], len(inside)
        how = f"the hours of {Path(weather.source).name} from {start.isoformat()}"
    if hours is not None:
        keep = _positive("--hours", hours)
        if not (keep.is_integer() and keep <= periods):
            raise ScenarioError(
                "--hours", "", f"is {hours:g}, must be a whole number of hours up to {periods}"
            )
        periods = int(keep)
    snapshots = pd.date_range(start, periods=periods, freq=pd.Timedelta(hours=1), name="snapshot")
    return snapshots, f"{how}, {periods} h"


def _check_site(site: str, latitude: float, longitude: float) -> None:
    """Refuse a site name the schema refuses, and a place off the globe."""
    if not (re.fullmatch(r"[A-Za-z0-9_\-]+", site) and len(site) <= MAX_NAME):
        raise ScenarioError(
            "--site",
            "",
            f"is {site!r}: a name of letters, digits, '_' and '-', at most {MAX_NAME} characters",
        )
    for option, value, limit in (("--lat", latitude, 90.0), ("--lon", longitude, 180.0)):
        if not (math.isfinite(value) and -limit <= value <= limit):
            raise ScenarioError(
                option, "", f"is {value:g}, must lie between {-limit:g} and {limit:g}"
            )


def _positive(option: str, value: float) -> float:
    """``value`` as a float, refused unless positive and finite."""
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ScenarioError(option, "", f"is {value:g}, must be a positive finite number")
    return value


def _non_negative(option: str, value: float) -> float:
    """``value`` as a float, refused unless zero or positive and finite."""
    return 0.0 if value == 0 else _positive(option, value)


def _zone_of_longitude(longitude: float) -> str:
    """The IANA zone of the whole-hour offset nearest to solar time at ``longitude``
    (``Etc/GMT-3`` is UTC+3)."""
    offset = round(longitude / 15)
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def _check_zone(zone: str) -> None:
    try:
        iana_zone(zone)
    except ValueError:
        raise ScenarioError("--tz", "", f"{zone!r} is not an IANA time zone") from None


def _check_new_folder(folder: Path) -> None:
    """Refuse a folder that exists and is not empty: a new study replaces nothing."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ScenarioError(str(folder), "", "exists and is not a folder: give a new folder")
    if folder.is_dir() and os.listdir(folder):
        raise ScenarioError(str(folder), "", "exists and is not empty: give a new or empty folder")


def _check_distance(weather: Weather, latitude: float, longitude: float, file: str) -> None:
    """Refuse weather of a place farther than :data:`MAX_DISTANCE_KM` from the site."""
    lat1, lon1, lat2, lon2 = np.radians([latitude, longitude, weather.latitude, weather.longitude])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km = float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(h, 1.0))))
    if km > MAX_DISTANCE_KM:
        raise ScenarioError(
            file,
            "",
            f"is the weather at {weather.latitude:g}, {weather.longitude:g}, {km:,.0f} km from "
            f"the site ({latitude:g}, {longitude:g}; at most {MAX_DISTANCE_KM:g} km): give the "
            "site's weather",
        )


def _plants(
    it_mw: float, solar_mw: float | None, wind_mw: float | None, turbine: str | None
) -> tuple[SolarModel | None, WindModel | None, dict[str, float]]:
    """The solar and wind models and capacities of the site (a capacity 0: no plant)."""
    from dispatch.sources.solar import SolarModel
    from dispatch.sources.wind import wind_model, wind_turbine

    solar = SOLAR_PER_IT * it_mw if solar_mw is None else _non_negative("--solar-mw", solar_mw)
    if wind_mw is None:
        wind = WIND_PER_IT * it_mw if turbine is not None else 0.0
    else:
        wind = _non_negative("--wind-mw", wind_mw)
    wind_plant = None
    if wind > 0:
        wind_plant = wind_model(
            {} if turbine is None else {"turbine_type": turbine}, "--wind-turbine"
        )
        wind_turbine(wind_plant, "--wind-turbine")  # an unknown type refused before any work
    capacities = {name: mw for name, mw in (("solar", solar), ("wind", wind)) if mw > 0}
    return (SolarModel() if solar > 0 else None), wind_plant, capacities


def _grid_parts(
    parts: _Parts,
    snapshots: pd.DatetimeIndex,
    prices: str | Path | None,
    carbon: str | Path | None,
    currency: str,
    rate: float | None,
    peak_mw: float,
) -> float:
    """The grid connection's fields and series: from the files given, flat otherwise.

    Returns
    -------
    float
        The mean import price [currency/MWh].
    """
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ScenarioError(
            "--currency", "", f"is {currency!r}, must be an ISO 4217 code such as EUR"
        )
    grid = parts.grid
    grid["import_limit_mw"] = round(peak_mw, 3)
    parts.comments["grid.import_limit_mw"] = BASIS["import_limit_mw"]
    grid["export_limit_mw"] = 0.0
    parts.comments["grid.export_limit_mw"] = BASIS["export_limit_mw"]
    if prices is None:
        grid["import_price"] = FLAT_PRICE
        parts.comments["grid.import_price"] = BASIS["flat_price"]
        _placeholder(parts, "--prices", f"import price of {FLAT_PRICE:g} {currency}/MWh")
    else:
        from dispatch.sources.market import read_prices

        price = read_prices(prices, snapshots, currency=currency, rate=rate)
        parts.columns["import_price"] = price
        grid["import_price"] = f"{SERIES_FILE}:import_price"
        parts.comments["grid.import_price"] = f"day-ahead prices of {Path(prices).name}"
        parts.notes.append(f"import price from {Path(prices).name}")
        if price.min() < 0:
            grid["export_price"] = float(price.min())
            parts.comments["grid.export_price"] = (
                "the lowest import price: never above it (nothing is exported)"
            )
    if carbon is None:
        grid["carbon_intensity_t_per_mwh"] = FLAT_CARBON
        grid["clean_share"] = FLAT_CLEAN_SHARE
        parts.comments["grid.carbon_intensity_t_per_mwh"] = BASIS["flat_carbon"]
        _placeholder(parts, "--carbon", f"grid carbon intensity of {FLAT_CARBON:g} tCO2/MWh")
    else:
        from dispatch.sources.market import read_carbon

        table = read_carbon(carbon, snapshots)
        parts.columns["carbon_intensity"] = table["carbon_intensity"]
        grid["carbon_intensity_t_per_mwh"] = f"{SERIES_FILE}:carbon_intensity"
        parts.comments["grid.carbon_intensity_t_per_mwh"] = f"grid carbon of {Path(carbon).name}"
        if "clean_share" in table:
            parts.columns["clean_share"] = table["clean_share"]
            grid["clean_share"] = f"{SERIES_FILE}:clean_share"
        else:
            grid["clean_share"] = 0.0
            parts.comments["grid.clean_share"] = BASIS["no_clean_share"]
        parts.notes.append(f"grid carbon from {Path(carbon).name}")
    price = grid["import_price"]
    return float(parts.columns["import_price"].mean() if isinstance(price, str) else price)


def _placeholder(parts: _Parts, option: str, what: str) -> None:
    """Say in the description and in a warning that a flat ``what`` stands in for the
    file of ``option``."""
    parts.warnings.append(f"no {option}: a flat {what} stands in, a placeholder")
    parts.notes.append(f"FLAT PLACEHOLDER {what} (no {option})")


def _workload_parts(
    parts: _Parts,
    snapshots: pd.DatetimeIndex,
    trace: str | Path | None,
    it_mw: float,
    zone: str,
    seed: int,
    trace_options: tuple[str, float],
    mean_price: float,
) -> None:
    """The three workload series and the data centre's workload fields into ``parts``."""
    from dispatch.sources.workload import WorkloadShape, workload_from_shape
    from dispatch.sources.workload_trace import (
        WorkloadAssumptions,
        workload_fields,
        workload_from_trace,
    )

    spec: WorkloadShape | WorkloadAssumptions
    shares = ", ".join(
        f"{name.removesuffix('_share').replace('_', '-')} {share:g}"
        for name, share in (WORK_SHARES if trace is None else TRACE_SHARES).items()
    )
    if trace is None:
        spec = WorkloadShape(
            **WORK_SHARES, time_zone=zone, seed=seed, batch_deadline_h=BATCH_DEADLINE_H
        )
        frame = workload_from_shape(snapshots, spec, it_mw)
        parts.warnings.append(
            f"no --workload: a parametric workload stands in (seed {seed}, time zone {zone})"
        )
        parts.notes.append(f"workload PARAMETRIC: {shares} of IT capacity on average")
        basis = (
            f"parametric workload (no --workload): {shares} of IT capacity on average, the "
            f"shipped single-site examples' shares; users' local time {zone} (--tz); seed {seed}"
        )
    else:
        spec = WorkloadAssumptions(
            **TRACE_SHARES,
            it_capacity_mw=it_mw,
            batch_deadline_h=BATCH_DEADLINE_H,
            repeat=trace_options[0],
            energy_per_request_wh=trace_options[1],
        )
        frame = workload_from_trace(trace, snapshots, spec)
        parts.notes.append(f"workload from {Path(trace).name}")
        basis = (
            f"workload of {Path(trace).name}: {shares} of the work (the shipped examples' "
            f"shares); {trace_options[1]:g} Wh per request of a request count (--wh-per-request; "
            f"default {WH_PER_REQUEST:g}, about a chat completion's, Epoch AI 2025)"
        )
    fields = workload_fields(spec, 1.0)
    lost_work = round(max(LOST_WORK_PER_PRICE * mean_price, 0.0), 2)
    for column in frame.columns:
        parts.columns[column] = frame[column]
    parts.datacentre["firm_mw"] = f"{SERIES_FILE}:firm_mw"
    parts.datacentre["deferrable"] = {
        "arrivals_mwh": f"{SERIES_FILE}:deferrable_mwh",
        "max_delay_h": fields["max_delay_h"],
    }
    parts.datacentre["interruptible"] = {
        "offered_mw": f"{SERIES_FILE}:interruptible_mw",
        "value_of_lost_work": fields.get("value_of_lost_work", lost_work),
    }
    parts.comments["datacentre.firm_mw"] = basis
    parts.comments["datacentre.deferrable.max_delay_h"] = BASIS["max_delay_h"]
    parts.comments["datacentre.interruptible.value_of_lost_work"] = BASIS["value_of_lost_work"]


def _scenario_text(
    site: str,
    latitude: float,
    longitude: float,
    weather: Weather,
    snapshots: pd.DatetimeIndex,
    currency: str,
    parts: _Parts,
) -> str:
    """The commented ``scenario.yaml`` of the new study."""
    from dispatch.core.version import __version__

    dc = parts.datacentre
    plants = ", ".join(f"{name} {p['capacity_mw']:g} MW" for name, p in parts.plants.items())
    description = (
        f"Site {site} at {abs(latitude):g} {'N' if latitude >= 0 else 'S'}, "
        f"{abs(longitude):g} {'E' if longitude >= 0 else 'W'}, a new study by dispatch new: "
        f"{'; '.join(parts.notes)}; {plants or 'no plant'} from {Path(weather.source).name} "
        f"({weather.file_format}); IT capacity {dc['it_capacity_mw']:g} MW, PUE {dc['pue']:g}. "
        "The basis of every default is in the comments of scenario.yaml."
    )
    tree = {
        "name": site,
        "description": description,
        "currency": currency,
        "snapshots": {
            "start": snapshots[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "periods": len(snapshots),
            "step_h": 1.0,
        },
        "sites": {site: {"datacentre": dc, **parts.plants, "grid": parts.grid}},
    }
    comments = {f"sites.{site}.{path}": text for path, text in parts.comments.items()}
    comments["snapshots"] = parts.notes[0]
    lines = [*header(site, weather.source, __version__), *commented_yaml(tree, comments)]
    return "\n".join(lines) + "\n"
