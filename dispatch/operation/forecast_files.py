"""Forecast files of a grid partner or a forecast provider: read, checked against a
study, and written in canonical form (``docs/exchange.md``, section Forecast files).

A forecast file holds forecasts of some of a study's series, each issued at a series
of *issue times* for a run of *lead times* after each (netCDF: dimensions
``issue_time`` x ``lead_time``; CSV: one row per issue time and valid time, with its
``.json`` metadata). The files are untrusted: size-checked, netCDF headers probed
before netCDF-C opens them, JSON parsed within bounds; every problem is one line
naming the file, the field and, for values, the times.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
from pydantic import Field

from dispatch.core.errors import ScenarioError
from dispatch.core.files import write_file_atomic
from dispatch.core.times import (
    cf_times,
    check_grid,
    format_duration,
    iso,
    parse_duration,
    parse_times,
    time_zone,
)
from dispatch.core.units import QUANTITY_UNITS, Conversion, cf_attributes, parse_units
from dispatch.core.untrusted_input import (
    MAX_STEPS,
    ColumnMetadata,
    MetadataModel,
    csv_numbers,
    load_json,
    netcdf_numbers,
    open_netcdf,
    read_bytes,
    short_name,
    short_repr,
    validation_error,
)
from dispatch.operation.forecast_limits import series_field
from dispatch.results.netcdf import (
    CONVENTIONS,
    INTERVAL_MEAN,
    INTERVAL_SUM,
    TIME_BOUNDS,
    add_time_bounds,
    time_encoding,
    write_netcdf4,
)
from dispatch.scenario.series import QUANTITIES
from dispatch.scenario.study import Study

FORECAST_SCHEMA = "dispatch-forecast"
"""Value of the ``schema`` of every forecast file."""
FORECAST_SCHEMA_VERSION = "1.0"
"""The only ``schema_version`` of forecast files this release reads and writes."""
MAX_FORECAST_VALUES = 20_000_000
"""Most values of a forecast file (issue times x lead times x series) read [-]."""


@dataclass(frozen=True)
class ForecastTable:
    """Forecasts read from a file, checked against a study, in canonical units.

    Attributes
    ----------
    file
        The file, as named by the user (errors name it).
    issue_times
        When each forecast was issued (UTC), ascending in steps of ``issue_step``.
    issue_step
        Time between issue times.
    first_lead
        Lead time of each forecast's first value: its valid time minus its issue time.
    step
        Time between the values of one forecast: the study's step.
    values
        By series key (``SITE/FIELD``, ``grid_regions.REGION/FIELD``), an array of
        issue times x lead times [field's unit].
    """

    file: str
    issue_times: pd.DatetimeIndex
    issue_step: pd.Timedelta
    first_lead: pd.Timedelta
    step: pd.Timedelta
    values: dict[str, np.ndarray]

    @property
    def leads(self) -> int:
        """Number of values of each forecast [-]."""
        return next(iter(self.values.values())).shape[1]

    def window(self, time: pd.Timestamp, steps: int) -> tuple[int, int] | None:
        """Position of the ``steps`` values from ``time`` on in the forecast issued
        last at or before ``time``: (issue index, first lead index); None if that
        forecast does not hold all of them (or none was issued by then)."""
        issue = int(self.issue_times.searchsorted(time, side="right")) - 1
        if issue < 0:
            return None
        lead = (time - self.issue_times[issue] - self.first_lead) / self.step
        if lead < 0 or lead + steps > self.leads:
            return None
        return issue, int(lead)


def read_forecast_file(path: str | Path, study: Study) -> ForecastTable:
    """Read a forecast file and check it against ``study``.

    Parameters
    ----------
    path
        A netCDF file (``.nc``) or a CSV file (``.csv``, with its metadata in the
        ``.json`` of the same name).
    study
        The study forecast: its series, step and currency.

    Returns
    -------
    ForecastTable
        The forecasts in the fields' units, on UTC times.

    Raises
    ------
    ScenarioError
        One line naming the file, the field (the variable or column) and, for values,
        the issue time and valid time: an unknown series, units not accepted, a time
        without a time zone, gaps or repeats in the times, a step other than the
        study's, NaN or infinite values, a file too large.
    """
    path = Path(path)
    readers = {".nc": _read_netcdf, ".csv": _read_csv}
    if path.suffix.lower() not in readers:
        raise ScenarioError(
            str(path), "", "unknown forecast file format: expected .nc or .csv (with .json)"
        )
    return readers[path.suffix.lower()](path, str(path), study)


def is_forecast_file(path: str | Path) -> bool:
    """Whether ``path`` says it is a forecast file (schema ``dispatch-forecast``): a
    readable netCDF file with that ``schema`` attribute, or a CSV file whose ``.json``
    metadata names it; anything else is left to the readers of other files."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".nc":
            with open_netcdf(path, str(path)) as ds:
                return ds.attrs.get("schema") == FORECAST_SCHEMA
        if path.suffix.lower() == ".csv":
            meta = load_json(read_bytes(path.with_suffix(".json"), str(path)), str(path))
            return isinstance(meta, dict) and meta.get("schema") == FORECAST_SCHEMA
    except (ScenarioError, OSError, ValueError, RuntimeError):
        return False
    return False


def _check_schema(file: str, schema: Any, version: Any) -> None:
    if schema != FORECAST_SCHEMA:
        raise ScenarioError(
            file,
            "schema",
            f"is {short_repr(schema)}, expected {FORECAST_SCHEMA!r} (see docs/exchange.md)",
        )
    if str(version) != FORECAST_SCHEMA_VERSION:
        raise ScenarioError(
            file,
            "schema_version",
            f"is {short_repr(version)}; this release reads version {FORECAST_SCHEMA_VERSION} only",
        )


def _series_key(key: Any, study: Study, file: str, name: str) -> str:
    """``key`` if it names a series of ``study``; errors name the variable ``name``."""
    if not isinstance(key, str) or key not in study.series:
        known = sorted(study.series)
        listed = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        raise ScenarioError(
            file,
            short_name(name),
            f"{short_repr(key)} is not a series of the study (SITE/FIELD: {listed})",
        )
    return key


def _conversion(
    units: Any, currency: Any, key: str, study: Study, file: str, name: str
) -> Conversion:
    """How values in ``units`` (and, for prices, ``currency``) become values of series
    ``key`` in its canonical unit; a price must be in the study's currency."""
    quantity = QUANTITIES[series_field(key)]
    return parse_units(
        units, quantity, file, name, currency=currency, study_currency=study.scenario.currency
    )


def _check_finite(
    values: np.ndarray, issues: pd.DatetimeIndex, valid: pd.DatetimeIndex, file: str, name: str
) -> None:
    """NaN and infinite values, named with the issue and valid time of the first.

    ``valid`` holds the valid times of the first issue; the others follow by issue."""
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        i, j = bad[0]
        what = "NaN" if np.isnan(values[i, j]) else f"{values[i, j]:g}"
        when = valid[j] + (issues[i] - issues[0])
        raise ScenarioError(
            file,
            name,
            f"is {what} at {iso(when)} (issued {iso(issues[i])}), must be a finite number",
        )


def _table(
    file: str,
    study: Study,
    issue_times: pd.DatetimeIndex,
    issue_step: pd.Timedelta,
    first_lead: pd.Timedelta,
    step: pd.Timedelta,
    values: dict[str, np.ndarray],
) -> ForecastTable:
    """The forecast table, checked against the study's step and snapshots."""
    if first_lead < pd.Timedelta(0):
        raise ScenarioError(
            file, "lead_time", f"starts at {format_duration(-first_lead)} before the issue time"
        )
    off_grid = np.flatnonzero((issue_times + first_lead - study.snapshots[0]) % step)
    if len(off_grid):
        time = issue_times[off_grid[0]] + first_lead
        raise ScenarioError(
            file, "issue_time", f"valid time {iso(time)} lies between two study steps"
        )
    if not values:
        raise ScenarioError(file, "", "holds no forecast")
    return ForecastTable(file, issue_times, issue_step, first_lead, step, values)


def _study_step(text: Any, study: Study, file: str) -> pd.Timedelta:
    """The ``time_step`` of a forecast file, which must be the study's step."""
    step = parse_duration(text, file, "time_step")
    study_step = pd.Timedelta(hours=study.step_h)
    if step != study_step:
        raise ScenarioError(
            file,
            "time_step",
            f"is {format_duration(step)}: forecasts need the study's step "
            f"({format_duration(study_step)})",
        )
    return step


def _check_count(file: str, issues: int, leads: int, series: int) -> None:
    """Refuse a file of more than :data:`MAX_FORECAST_VALUES` values."""
    if issues * leads * series > MAX_FORECAST_VALUES:
        raise ScenarioError(
            file,
            "",
            f"holds {issues} issue times x {leads} lead times x {series} series, more than "
            f"{MAX_FORECAST_VALUES} values read",
        )


def _read_netcdf(path: Path, file: str, study: Study) -> ForecastTable:
    with open_netcdf(path, file) as ds:
        _check_schema(file, ds.attrs.get("schema"), ds.attrs.get("schema_version"))
        step = _study_step(ds.attrs.get("time_step"), study, file)
        issue_step = parse_duration(ds.attrs.get("issue_step"), file, "issue_step")
        if "lead_time" not in ds.variables:
            raise ScenarioError(file, "lead_time", "missing lead time coordinate")
        issues = cf_times(ds, "issue_time", file)
        check_grid(issues, issue_step, file, "issue_time")
        first_lead = _lead_times(ds.variables["lead_time"], step, file)
        # CF bounds of the time coordinates (e.g. time_bnds) are no forecasts
        bounds = {v.attrs.get("bounds", v.encoding.get("bounds")) for v in ds.variables.values()}
        skipped = {"issue_time", "lead_time", *bounds}
        names = [name for name in ds.data_vars if name not in skipped]
        _check_count(file, len(issues), ds.sizes.get("lead_time", 0), len(names))
        values = {}
        for name in names:
            variable = ds[name]
            if "series" not in variable.attrs:
                raise ScenarioError(
                    file, str(name), "has no attribute 'series' naming its series (SITE/FIELD)"
                )
            key = _series_key(variable.attrs["series"], study, file, str(name))
            if key in values:
                raise ScenarioError(file, str(name), f"a second forecast of {key}")
            if variable.dims != ("issue_time", "lead_time"):
                raise ScenarioError(
                    file,
                    str(name),
                    f"has dimensions {variable.dims}, expected (issue_time, lead_time)",
                )
            if variable.dtype.kind not in "iuf":
                raise ScenarioError(
                    file, str(name), f"has values of type {variable.dtype}, expected numbers"
                )
            conversion = _conversion(
                variable.attrs.get("units"),
                variable.attrs.get("currency"),
                key,
                study,
                file,
                str(name),
            )
            raw = netcdf_numbers(variable, file, str(name))
            valid = issues[0] + first_lead + step * np.arange(raw.shape[1])
            _check_finite(raw, issues, pd.DatetimeIndex(valid), file, str(name))
            values[key] = conversion.apply(raw)
    return _table(file, study, issues, issue_step, first_lead, step, values)


def _lead_times(variable: Any, step: pd.Timedelta, file: str) -> pd.Timedelta:
    """The first lead time of a ``lead_time`` coordinate in units of time (``hours``,
    ``minutes``, ``s`` ...), checked to run in steps of ``step``."""
    units = variable.attrs.get("units")
    if variable.ndim != 1 or variable.dtype.kind not in "iuf":
        raise ScenarioError(file, "lead_time", "must be one-dimensional numbers")
    hours = parse_units(units, "duration", file, "lead_time")
    raw = variable.values.astype(float)
    if not len(raw) or not np.isfinite(raw).all():
        raise ScenarioError(file, "lead_time", "needs finite lead times")
    leads = pd.to_timedelta(hours.apply(raw), unit="h").round("s")
    wrong = np.flatnonzero(leads != leads[0] + step * np.arange(len(leads)))
    if len(wrong):
        raise ScenarioError(
            file,
            "lead_time",
            f"lead time {raw[wrong[0]]:g} {units} is not {wrong[0]} steps "
            f"({format_duration(step)}) after the first, {raw[0]:g} {units}",
        )
    return leads[0]


class ForecastMetadata(MetadataModel):
    """The JSON file describing a CSV forecast file (same name, suffix ``.json``)."""

    schema_name: str = Field(alias="schema")
    """Always ``dispatch-forecast`` [-]."""
    schema_version: str
    """Version of the format: ``1.0`` [-]."""
    title: str = ""
    """What the file holds and where it comes from [-]."""
    time_zone: str | None = None
    """IANA time zone of times without a UTC offset, e.g. ``Europe/Madrid`` [-]."""
    time_step: str
    """Step of the valid times of one forecast: the study's step, ISO 8601 [-]."""
    issue_step: str
    """Time between issue times, ISO 8601 duration, e.g. ``P1D`` [-]."""
    series: dict[str, ColumnMetadata]
    """Every column besides ``issue_time`` and ``valid_time``: a series key
    ``SITE/FIELD`` with its units [-]."""


def _read_csv(path: Path, file: str, study: Study) -> ForecastTable:
    meta_file = str(Path(file).with_suffix(".json"))
    raw_meta = load_json(read_bytes(path.with_suffix(".json"), meta_file), meta_file)
    if not isinstance(raw_meta, dict):
        raise ScenarioError(meta_file, "", "expected a JSON object")
    _check_schema(meta_file, raw_meta.get("schema"), raw_meta.get("schema_version"))
    try:
        meta = ForecastMetadata.model_validate(raw_meta)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, meta_file) from None
    zone = None if meta.time_zone is None else time_zone(meta.time_zone, meta_file)
    step = _study_step(meta.time_step, study, meta_file)
    issue_step = parse_duration(meta.issue_step, meta_file, "issue_step")
    data = read_bytes(path, file)
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, "", f"not a readable CSV file ({exc})") from None
    del data
    columns = list(table.columns)
    if columns[:2] != ["issue_time", "valid_time"]:
        raise ScenarioError(file, "issue_time", "the first columns must be issue_time, valid_time")
    for name in columns[2:]:
        if name not in meta.series:
            raise ScenarioError(meta_file, f"series.{short_name(name)}", "missing: give its units")
    for name in meta.series:
        if name not in columns:
            raise ScenarioError(file, name, "is described in the metadata but has no column")
    if not len(table) or len(table) > MAX_STEPS:
        raise ScenarioError(file, "", f"needs 1 to {MAX_STEPS} rows, has {len(table)}")
    issued = parse_times(table["issue_time"], zone, file, "issue_time")
    valid = parse_times(table["valid_time"], zone, file, "valid_time")
    issues, leads = _issue_grid(issued, valid, step, issue_step, file)
    _check_count(file, len(issues), leads, len(columns) - 2)
    values = {}
    for name in columns[2:]:
        key = _series_key(name, study, file, name)
        column = meta.series[name]
        conversion = _conversion(
            column.units, column.currency, key, study, meta_file, f"series.{name}"
        )
        raw = csv_numbers(
            table[name], file, name, lambda i: f"at {iso(valid[i])} (issued {iso(issued[i])})"
        ).reshape(len(issues), leads)
        _check_finite(raw, issues, valid[:leads], file, name)
        values[key] = conversion.apply(raw)
    return _table(file, study, issues, issue_step, valid[0] - issued[0], step, values)


def _issue_grid(
    issued: pd.DatetimeIndex,
    valid: pd.DatetimeIndex,
    step: pd.Timedelta,
    issue_step: pd.Timedelta,
    file: str,
) -> tuple[pd.DatetimeIndex, int]:
    """The issue times of rows grouped by issue time, and the number of valid times of
    each; every issue's valid times must run in steps of ``step`` from the same lead."""
    first_rows = np.flatnonzero(np.r_[True, issued[1:] != issued[:-1]])
    issues = issued[first_rows]
    check_grid(issues, issue_step, file, "issue_time")
    counts = np.diff(np.r_[first_rows, len(issued)])
    leads = int(counts[0])
    uneven = np.flatnonzero(counts != leads)
    if len(uneven):
        i = uneven[0]
        raise ScenarioError(
            file,
            "valid_time",
            f"issue time {iso(issues[i])} has {counts[i]} valid times, "
            f"{iso(issues[0])} has {leads}: every forecast needs the same lead times",
        )
    first_lead = valid[0] - issued[0]
    lead_times = (valid - issued).to_numpy().reshape(len(issues), leads)
    expected = (first_lead + pd.to_timedelta(np.arange(leads) * step)).to_numpy()
    wrong = np.flatnonzero((lead_times != expected).any(axis=1))
    if len(wrong):
        i = wrong[0]
        times = valid[first_rows[i] : first_rows[i] + leads]
        check_grid(times, step, file, "valid_time")  # a gap or repeat, named
        raise ScenarioError(
            file,
            "valid_time",
            f"the forecast issued {iso(issues[i])} starts at {iso(times[0])}: every "
            f"forecast must start {format_duration(first_lead)} after its issue time",
        )
    return issues, leads


def write_forecast_file(table: ForecastTable, path: Path, currency: str) -> None:
    """Write forecasts as a canonical netCDF forecast file (CF-1.8, UTC, canonical
    units), atomically.

    Parameters
    ----------
    table
        The forecasts.
    path
        The file to write.
    currency
        The study's currency, for the units of prices [-].
    """
    import xarray as xr

    data = {}
    for key, values in table.values.items():
        quantity = QUANTITIES[series_field(key)]
        units = cf_attributes(QUANTITY_UNITS[quantity], currency)
        cells = INTERVAL_SUM if quantity == "energy" else INTERVAL_MEAN  # arrivals: per step
        data[key.replace("/", ".")] = (
            ("issue_time", "lead_time"),
            values,
            {"series": key, "long_name": f"Forecast of {key}", **units, **cells},
        )
    leads = pd.TimedeltaIndex(table.first_lead + table.step * np.arange(table.leads))
    issues = table.issue_times.tz_localize(None)
    ds = xr.Dataset(
        data,
        coords={
            "issue_time": issues,
            "lead_time": ("lead_time", (leads / pd.Timedelta(hours=1)).to_numpy()),
            "time": (("issue_time", "lead_time"), issues.to_numpy()[:, None] + leads.to_numpy()),
        },
    )
    ds["issue_time"].attrs.update(
        standard_name="forecast_reference_time",
        long_name="Issue time of the forecast (UTC)",
        axis="T",
    )
    ds["lead_time"].attrs.update(
        standard_name="forecast_period",
        long_name="Start of the step after the issue time",
        units="hours",
    )
    ds = add_time_bounds(ds, "time", table.step, "Start of the step forecast (UTC)")
    ds.attrs.update(
        Conventions=CONVENTIONS,
        schema=FORECAST_SCHEMA,
        schema_version=FORECAST_SCHEMA_VERSION,
        time_step=format_duration(table.step),
        issue_step=format_duration(table.issue_step),
        title=f"Forecasts read from {Path(table.file).name}",
    )
    names = ["issue_time", "time", TIME_BOUNDS]
    encoding = time_encoding(names, table.issue_times[0], table.step)
    encoding.update({name: {"zlib": True, "complevel": 4} for name in data})
    write_file_atomic(path, lambda temporary: write_netcdf4(ds, temporary, encoding))
