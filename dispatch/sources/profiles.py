"""Weather file -> a study's series file of solar and wind availability.

:func:`write_profiles` reads a weather file (:func:`~dispatch.sources.weather.read_weather`)
and models the availability of the site's solar and wind
(:mod:`~dispatch.sources.solar`, :mod:`~dispatch.sources.wind`), or takes a
renewables.ninja PV or wind export as it is, puts the hourly series on the study's
snapshots (:func:`~dispatch.sources.timeline.on_snapshots`) and writes them into a CF
netCDF series file that a scenario refers to as ``profiles.nc:solar`` and
``profiles.nc:wind``. Each variable carries its provenance: the source file, its
format and place, every model parameter and the versions of pvlib and windpowerlib.

A file that exists is written only if ``dispatch profiles`` wrote it (its ``schema``
attribute), on the same snapshots: the variables written replace those of the same
name, the others are kept as they are. Anything else is refused, never overwritten.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.files import write_file_atomic
from dispatch.core.processes import interrupts_deferred
from dispatch.core.times import cf_times, parse_time
from dispatch.core.units import cf_attributes
from dispatch.core.untrusted_input import open_netcdf, validation_error
from dispatch.core.yaml_reader import read_yaml
from dispatch.scenario.quantities import MAX_PERIODS
from dispatch.sources.solar import STILL_AIR_MS, SolarModel, solar_availability
from dispatch.sources.wind import WindModel, wind_availability

if TYPE_CHECKING:
    import xarray as xr

    from dispatch.sources.weather import Weather

Model = TypeVar("Model", SolarModel, WindModel)

SCHEMA = "dispatch-profiles"
"""``schema`` attribute of the files :func:`write_profiles` writes."""
SCHEMA_VERSION = "1"
"""``schema_version`` attribute of the files :func:`write_profiles` writes."""
CONVENTIONS = "CF-1.8"
"""``Conventions`` of the files written, as every netCDF file of dispatch."""
LONG_NAMES = {
    "solar": "Solar availability: AC output per unit of AC rating",
    "wind": "Wind availability: output per unit of rated power, after losses",
}
"""``long_name`` of each variable written."""
NINJA_FORMAT = "renewables.ninja"
"""``source_format`` of series taken from a renewables.ninja export."""


def write_profiles(
    weather: str | Path | Weather,
    out: str | Path,
    snapshots: pd.DatetimeIndex,
    *,
    solar: SolarModel | None = None,
    wind: WindModel | None = None,
) -> dict[str, pd.Series]:
    """Write the solar and wind availability of a site into a study's series file.

    Parameters
    ----------
    weather
        A weather file :func:`~dispatch.sources.weather.read_weather` reads (or the
        :class:`~dispatch.sources.weather.Weather` it read), or a renewables.ninja PV
        or wind export (availability as it is, no model).
    out
        The netCDF series file (``.nc``): new, or one this function wrote on the same
        snapshots (its other variables are kept).
    snapshots
        The study's snapshot start times (naive ones are UTC), one fixed step (its
        whole horizon: a study reads a series file only if its times are the
        snapshots).
    solar, wind
        The plants to model from weather; at least one. None for a renewables.ninja
        export, whose kind names its variable.

    Returns
    -------
    dict of str to pandas.Series
        The series written by variable (``solar``, ``wind``), on ``snapshots`` [p.u.].

    Raises
    ------
    ScenarioError
        One line: the weather file unreadable or of another format, the snapshots
        not covered, a model not fit for the file, ``out`` not a ``.nc`` file or one
        dispatch did not write, or on other snapshots.
    """
    from dispatch.sources.timeline import on_snapshots
    from dispatch.sources.weather import Weather, is_ninja_output, read_weather

    out = Path(out)
    file = weather.source if isinstance(weather, Weather) else str(weather)
    if len(snapshots) == 0:
        raise ScenarioError(str(out), "time", "no snapshots to write")
    if snapshots.tz is None:  # as every series of dispatch: naive times are UTC
        snapshots = snapshots.tz_localize("UTC")
    if out.suffix != ".nc":
        raise ScenarioError(str(out), "", "must be a netCDF file named *.nc")
    kept = _kept_variables(out, snapshots)
    if not isinstance(weather, Weather) and is_ninja_output(Path(weather)):
        hourly, typical_year, where, provenance = _from_ninja(Path(weather), solar, wind)
    else:
        if solar is None and wind is None:
            raise ScenarioError(file, "", "nothing to write: give a solar or a wind model")
        if not isinstance(weather, Weather):
            weather = read_weather(weather)
        hourly, typical_year, where, provenance = _from_weather(weather, solar, wind)
    on_steps = on_snapshots(
        hourly, snapshots, file, ", ".join(hourly.columns), typical_year=typical_year
    )
    written = {name: on_steps[name].rename(name) for name in on_steps.columns}
    for attributes in provenance.values():
        attributes.update(
            source_file=Path(file).name, typical_year=str(typical_year).lower(), **where
        )
    ds = _dataset(written, provenance, kept, snapshots)
    with interrupts_deferred():  # as every netCDF write (dispatch.results.netcdf)
        write_file_atomic(out, lambda temporary: ds.to_netcdf(temporary, engine="netcdf4"))
    return written


_Hourly = tuple[pd.DataFrame, bool, dict[str, float], dict[str, dict[str, Any]]]
"""Hourly series by variable, whether from a typical year, the place, and the
provenance attributes by variable."""


def _from_ninja(path: Path, solar: SolarModel | None, wind: WindModel | None) -> _Hourly:
    """The availability of a renewables.ninja PV or wind export, as it is."""
    from dispatch.sources.weather import read_ninja_output

    ninja = read_ninja_output(path)
    given = [kind for kind, model in (("solar", solar), ("wind", wind)) if model is not None]
    if given:
        raise ScenarioError(
            str(path),
            given[0],
            f"is a renewables.ninja {ninja.kind} export: its availability is taken as it "
            f"is, give no {given[0]} model",
        )
    provenance = {
        "source_format": NINJA_FORMAT,
        "source_metadata": json.dumps(ninja.metadata, default=str),
    }
    where = {"latitude": ninja.latitude, "longitude": ninja.longitude}
    return ninja.availability.rename(ninja.kind).to_frame(), False, where, {ninja.kind: provenance}


def _from_weather(weather: Weather, solar: SolarModel | None, wind: WindModel | None) -> _Hourly:
    """The availability of the plants modelled from a site's weather."""
    columns, provenance = {}, {}
    if solar is not None:
        columns["solar"] = solar_availability(weather, solar)
        provenance["solar"] = _model_attributes(_solar_parameters(solar, weather.latitude))
        if not weather.has_wind:
            provenance["solar"]["model_wind_speed_ms"] = STILL_AIR_MS
        provenance["solar"]["pvlib_version"] = _version("pvlib")
    if wind is not None:
        columns["wind"] = wind_availability(weather, wind)
        provenance["wind"] = _model_attributes(wind.model_dump())
        provenance["wind"]["windpowerlib_version"] = _version("windpowerlib")
    for attributes in provenance.values():
        attributes["source_format"] = weather.file_format
        if weather.provenance:
            attributes["source_notes"] = "; ".join(weather.provenance)
    where = {
        "latitude": weather.latitude,
        "longitude": weather.longitude,
        "altitude_m": weather.altitude_m,
        "wind_height_m": weather.wind_height_m,
    }
    return pd.DataFrame(columns), weather.typical_year, where, provenance


def horizon_snapshots(start: str, hours: float, step_h: float = 1.0) -> pd.DatetimeIndex:
    """Snapshot start times of a study, UTC, from its first snapshot and length.

    Parameters
    ----------
    start
        First snapshot, ISO 8601 with a UTC offset.
    hours
        Length of the horizon, a whole number of steps [h].
    step_h
        Snapshot step [h].

    Raises
    ------
    ScenarioError
        One line naming the option (``--start``, ``--hours``) at fault.
    """
    first = parse_time(start, "--start", "")
    if not (math.isfinite(step_h) and step_h > 0):
        raise ScenarioError("--step-h", "", f"must be a positive number of hours, not {step_h}")
    periods = hours / step_h
    if not (math.isfinite(periods) and periods.is_integer() and 1 <= periods <= MAX_PERIODS):
        raise ScenarioError(
            "--hours",
            "",
            f"{hours:g} h is not a whole number of {step_h:g} h steps between 1 and {MAX_PERIODS}",
        )
    return pd.date_range(first, periods=int(periods), freq=pd.Timedelta(hours=step_h), name="time")


def plant_models(
    solar_file: Path | None = None,
    wind_file: Path | None = None,
    *,
    solar: dict[str, Any] | None = None,
    wind: dict[str, Any] | None = None,
) -> tuple[SolarModel | None, WindModel | None]:
    """The solar and wind models of the command line: each from its YAML or JSON file
    of fields, overridden by the options given.

    Parameters
    ----------
    solar_file, wind_file
        Files of :class:`SolarModel` and :class:`WindModel` fields; None: defaults.
    solar, wind
        Fields given as options (None values left out); a plant is modelled if its
        file or any of its options is given.

    Returns
    -------
    tuple
        The solar and the wind model, None for a plant not asked for.
    """
    models = []
    for path, options, kind, what in (
        (solar_file, solar, SolarModel, "solar"),
        (wind_file, wind, WindModel, "wind"),
    ):
        given = {name: value for name, value in (options or {}).items() if value is not None}
        if path is None and not given:
            models.append(None)
            continue
        fields = {}
        if path is not None:
            fields = read_yaml(path, f"{what} model")
            if not isinstance(fields, dict):
                raise ScenarioError(str(path), "", f"must be a mapping of {what} model fields")
            plant_model(kind, fields, str(path))  # its errors name the file
        models.append(plant_model(kind, {**fields, **given}, f"{what} options"))
    return models[0], models[1]


def plant_model(kind: type[Model], values: dict[str, Any], file: str) -> Model:
    """A :class:`SolarModel` or :class:`WindModel` from plain values (a YAML or JSON
    file, options).

    Raises
    ------
    ScenarioError
        One line naming ``file`` and the field at fault.
    """
    try:
        return kind.model_validate(values)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, file) from None


def describe(out: Path, written: dict[str, pd.Series]) -> str:
    """What :func:`write_profiles` wrote into ``out``, and the scenario fields that
    refer to it, in one line."""
    snapshots = next(iter(written.values())).index
    step_h = (snapshots[1] - snapshots[0]) / pd.Timedelta(hours=1) if len(snapshots) > 1 else 1
    means = ", ".join(f"{name} (mean {series.mean():.3f})" for name, series in written.items())
    fields = ", ".join(f"{name}.availability: {out.name}:{name}" for name in written)
    return (
        f"wrote {out}: {means} on {len(snapshots)} snapshots of {step_h:g} h from "
        f"{snapshots[0].isoformat()}; in scenario.yaml: {fields}"
    )


def _solar_parameters(model: SolarModel, latitude: float) -> dict[str, Any]:
    """The model's parameters as used: a fixed mount's orientation resolved, a
    tracker's only."""
    parameters = model.model_dump()
    if model.mount == "fixed":
        parameters["tilt_deg"], parameters["azimuth_deg"] = model.orientation(latitude)
        for name in ("axis_tilt_deg", "axis_azimuth_deg", "max_angle_deg", "backtrack", "gcr"):
            del parameters[name]
    else:
        del parameters["tilt_deg"], parameters["azimuth_deg"]
    return parameters


def _model_attributes(parameters: dict[str, Any]) -> dict[str, Any]:
    """netCDF attributes ``model_NAME`` of a model's parameters (booleans and None as
    text)."""
    return {
        f"model_{name}": str(value).lower() if value is None or isinstance(value, bool) else value
        for name, value in parameters.items()
    }


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _kept_variables(out: Path, snapshots: pd.DatetimeIndex) -> dict[str, xr.DataArray]:
    """The variables of an existing ``out`` that dispatch wrote, loaded; refuses any
    other file and one on other snapshots."""
    if not out.exists() and not out.is_symlink():
        return {}
    if out.is_symlink() or not out.is_file():
        raise ScenarioError(str(out), "", "is not a plain file: give a new file name")
    file = str(out)
    refusal = f"was not written by 'dispatch profiles': give a new file name ({out.name} is kept)"
    try:
        opened = open_netcdf(out, file)
    except ScenarioError:  # not netCDF, or not readable
        raise ScenarioError(file, "", refusal) from None
    with opened as ds:
        if ds.attrs.get("schema") != SCHEMA:
            raise ScenarioError(file, "", refusal)
        times = cf_times(ds, "time", file)
        if len(times) != len(snapshots) or not (times == snapshots).all():
            raise ScenarioError(
                file,
                "time",
                "holds series on other snapshots: give a new file name, or the same "
                "snapshots to add or replace series",
            )
        import xarray as xr

        decoded = xr.decode_cf(ds)
        return {
            name: variable.load()
            for name, variable in decoded.data_vars.items()
            if variable.dims == ("time",)
        }


def _dataset(
    written: dict[str, pd.Series],
    provenance: dict[str, dict[str, Any]],
    kept: dict[str, xr.DataArray],
    snapshots: pd.DatetimeIndex,
) -> xr.Dataset:
    """The CF dataset of the series written and those kept, on ``snapshots``."""
    import xarray as xr

    from dispatch.core.version import __version__

    times = snapshots.tz_convert("UTC").tz_localize(None).rename("time")
    step = times[1] - times[0] if len(times) > 1 else pd.Timedelta(snapshots.freq)
    variables = {
        name: (("time",), variable.values, variable.attrs) for name, variable in kept.items()
    }
    for name, series in written.items():
        attributes = {
            **cf_attributes("p.u.", ""),
            "long_name": LONG_NAMES[name],
            "cell_methods": "time: mean",
            "valid_min": 0.0,
            "valid_max": 1.0,
            **provenance[name],
        }
        variables[name] = (("time",), series.to_numpy(dtype=float), attributes)
    ds = xr.Dataset(
        dict(sorted(variables.items())),
        coords={
            "time": times,
            "time_bnds": (("time", "nv"), np.stack([times, times + step], axis=-1)),
        },
    )
    ds["time"].attrs.update(
        standard_name="time", long_name="Start of the snapshot (UTC)", axis="T", bounds="time_bnds"
    )
    ds.attrs.update(
        Conventions=CONVENTIONS,
        schema=SCHEMA,
        schema_version=SCHEMA_VERSION,
        title="Solar and wind availability of a study's site",
        history=f"written by dispatch {__version__} (dispatch profiles)",
    )
    units = f"hours since {times[0].isoformat(sep=' ')}"
    for name in ("time", "time_bnds"):
        ds[name].encoding.update(units=units, calendar="standard", dtype="float64")
    return ds
