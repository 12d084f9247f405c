"""Grid-partner exchange files: fields, units, time rules, and the netCDF and CSV formats.

A partner file carries *signals* for one site (prices, carbon, limits, surplus,
demand-response calls); a plan file written by ``dispatch exchange export`` carries the
same signals plus the site's plan and flexibility envelope, so that it reads back as
signals. ``docs/exchange.md`` specifies the formats; OpenADR 3.0.1 lives in
:mod:`dispatch.exchange.openadr`.

Inbound files are untrusted: every file is size-checked before it is parsed, JSON is
parsed by :mod:`json` and pydantic only, netCDF by xarray with CF decoding of the time
coordinate only, and no format names other files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import reprlib
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pydantic
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from dispatch.core.errors import ScenarioError
from dispatch.core.files import csv_safe
from dispatch.core.files import write_file_atomic as write_atomically
from dispatch.core.netcdf_header import check_netcdf_header

SCHEMA = "dispatch-exchange"
"""Value of the ``schema`` attribute of every netCDF and CSV exchange file."""
SCHEMA_VERSION = "1.0"
"""The only ``schema_version`` this release reads and writes."""
MAX_FILE_BYTES = 50 * 2**20
"""Largest inbound file read [bytes]."""
MAX_STEPS = 1_000_000
"""Most time steps of one field read (about 28 years of 15-minute data) [-]."""
STEP_MINUTES = (15, 30, 60)
"""Signal steps accepted besides the study's own step [min]."""


@dataclass(frozen=True)
class ExchangeField:
    """One quantity exchanged with the partner.

    Attributes
    ----------
    name
        Variable (netCDF), column (CSV) and key name.
    long_name
        What it is, for CF ``long_name`` and the docs.
    quantity
        Key of :data:`UNITS`: the kind of unit it takes.
    grid_field
        The scenario's ``Grid`` field a signal sets; None for plan fields.
    combine
        How a signal enters the study: ``"replace"`` the study's values within its
        span, or ``"cap"`` them (the lower of both applies); resampling to a coarser
        study step takes the mean for replaced fields and the minimum for caps.
    check
        Range rule of the canonical values: ``"finite"``, ``">= 0"`` or ``"p.u."``.
    openadr
        OpenADR 3.0.1 payload type (enumerated or private, see docs/exchange.md).
    """

    name: str
    long_name: str
    quantity: str
    grid_field: str | None = None
    combine: str = "replace"
    check: str = "finite"
    openadr: str = ""


SIGNAL_FIELDS: dict[str, ExchangeField] = {
    f.name: f
    for f in (
        ExchangeField(
            "import_price", "Grid import price", "price", "import_price", openadr="PRICE"
        ),
        ExchangeField(
            "export_price", "Grid export price", "price", "export_price", openadr="EXPORT_PRICE"
        ),
        ExchangeField(
            "carbon_intensity",
            "Carbon intensity of grid electricity",
            "carbon",
            "carbon_intensity_t_per_mwh",
            check=">= 0",
            openadr="GHG",
        ),
        ExchangeField(
            "clean_share",
            "Carbon-free share of grid electricity",
            "share",
            "clean_share",
            check="p.u.",
            openadr="CLEAN_SHARE",
        ),
        ExchangeField(
            "import_limit",
            "Import capacity limit at the connection point",
            "power",
            "import_limit_mw",
            combine="cap",
            check=">= 0",
            openadr="IMPORT_CAPACITY_LIMIT",
        ),
        ExchangeField(
            "export_limit",
            "Export capacity limit at the connection point",
            "power",
            "export_limit_mw",
            combine="cap",
            check=">= 0",
            openadr="EXPORT_CAPACITY_LIMIT",
        ),
        ExchangeField(
            "surplus",
            "Grid surplus the partner offers the site to absorb",
            "power",
            "surplus_mw",
            check=">= 0",
            openadr="GRID_SURPLUS",
        ),
    )
}
"""Signals a partner sends, by name."""

PLAN_FIELDS: dict[str, ExchangeField] = {
    f.name: f
    for f in (
        ExchangeField("grid_import", "Planned grid import", "power", openadr="USAGE_FORECAST"),
        ExchangeField("grid_export", "Planned grid export", "power", openadr="EXPORT_FORECAST"),
        ExchangeField(
            "surplus_absorbed",
            "Planned import taken from the partner's surplus, min(import, surplus)",
            "power",
            openadr="SURPLUS_ABSORPTION_FORECAST",
        ),
        ExchangeField(
            "import_up",
            "Flexibility envelope: how far import could rise above the plan in the step",
            "power",
            openadr="DOWN_REGULATION_AVAILABLE",
        ),
        ExchangeField(
            "import_down",
            "Flexibility envelope: how far import could fall below the plan in the step",
            "power",
            openadr="UP_REGULATION_AVAILABLE",
        ),
    )
}
"""Fields of a plan file besides the signals; skipped when a plan file is read as signals."""

KEY_FIGURES: dict[str, str] = {
    "total_cost": "Total cost of the site's flexible run",
    "energy_cost": "Cost of local supply and imports minus export revenue",
    "emissions_tco2": "Emissions of grid imports and local carriers",
    "grid_import_mwh": "Grid import over the span",
    "grid_export_mwh": "Grid export over the span",
    "grid_surplus_absorbed_mwh": "Import taken from the partner's surplus",
    "absorbed_mwh": "Local curtailment absorbed against the baseline",
    "cfe_score": "Hourly carbon-free-energy score",
    "flexibility_up_mwh": "Sum over the steps of the envelope's import_up times the step",
    "flexibility_down_mwh": "Sum over the steps of the envelope's import_down times the step",
}
"""Key figures of a plan file, with their long names."""

CALL_VARIABLES = ("call_start", "call_end", "call_import_limit")
"""netCDF variables (dimension ``call``) of demand-response calls."""

UNITS: dict[str, dict[str, int]] = {
    "price": {"{currency}/MWh": 0, "{currency}/kWh": 3},
    "carbon": {"tCO2/MWh": 0, "kgCO2/MWh": -3, "gCO2/kWh": -3, "kgCO2/kWh": 0},
    "share": {"1": 0, "%": -2},
    "power": {"MW": 0, "kW": -3},
}
"""Accepted units by quantity, each with the power of ten that converts it to the
canonical (first) unit."""

_CURRENCY = re.compile(r"^([A-Z]{3})\s*/\s*(MWh|kWh)$")
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_DURATION = re.compile(
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)([DW]))?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class SignalSeries:
    """A signal on a regular UTC time grid, in its canonical unit.

    Attributes
    ----------
    start
        Start of the first step (UTC).
    step
        Step length.
    values
        One value per step [canonical unit of the field].
    """

    start: pd.Timestamp
    step: pd.Timedelta
    values: np.ndarray

    @property
    def times(self) -> pd.DatetimeIndex:
        """Start of every step (UTC)."""
        return pd.date_range(self.start, periods=len(self.values), freq=self.step)


@dataclass(frozen=True)
class Cap:
    """A demand-response call or capacity-limit window: a limit over a time span.

    Attributes
    ----------
    field
        ``"import_limit"`` or ``"export_limit"``.
    start, end
        The span [start, end) (UTC); every study step it overlaps is capped.
    value
        The limit [MW].
    """

    field: str
    start: pd.Timestamp
    end: pd.Timestamp
    value: float


@dataclass(frozen=True)
class Signals:
    """Signals read from a partner file, validated and in canonical units.

    Attributes
    ----------
    file
        The file, as named by the user (errors name it).
    series
        Signals by field name (keys of :data:`SIGNAL_FIELDS`).
    caps
        Demand-response calls and capacity-limit windows.
    currency
        Currency of the prices; None if the file has none.
    site
        Site the file says it is for; None if it does not say.
    """

    file: str
    series: dict[str, SignalSeries]
    caps: tuple[Cap, ...] = ()
    currency: str | None = None
    site: str | None = None


@dataclass(frozen=True)
class ExchangeTable:
    """What a writer puts in a file: fields on one time grid, calls and key figures.

    Attributes
    ----------
    start, step
        First step (UTC) and step length.
    fields
        Signal and plan fields by name, one value per step [canonical unit].
    currency
        Currency of prices and money figures.
    attrs
        ``study``, ``site`` and ``title`` of the file.
    caps
        Demand-response calls (written as calls, import limits only) or windows.
    key_figures
        Figures of the whole span: name -> (value, unit).
    """

    start: pd.Timestamp
    step: pd.Timedelta
    fields: dict[str, np.ndarray]
    currency: str
    attrs: dict[str, str]
    caps: tuple[Cap, ...] = ()
    key_figures: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def times(self) -> pd.DatetimeIndex:
        """Start of every step (UTC)."""
        length = len(next(iter(self.fields.values())))
        return pd.date_range(self.start, periods=length, freq=self.step, name="time")


# --- units, times and values -------------------------------------------------------

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def _short(value: Any) -> str:
    """``repr`` cut short: a partner's value may be megabytes long or deeply nested."""
    return _REPR.repr(value)


def _name(name: Any) -> str:
    """A name from a partner file as a field to report, cut short."""
    text = str(name)
    return text if len(text) <= 60 else text[:57] + "..."


def canonical_units(quantity: str, currency: str) -> str:
    """The unit a quantity is written in, e.g. ``"USD/MWh"`` for prices."""
    return next(iter(UNITS[quantity])).format(currency=currency)


def parse_units(quantity: str, units: Any, file: str, name: str) -> tuple[int, str | None]:
    """Power of ten to the canonical unit, and the currency of a price.

    Raises
    ------
    ScenarioError
        Units missing or not among those accepted for the quantity.
    """
    if not isinstance(units, str) or not units.strip():
        raise ScenarioError(file, name, "has no units attribute")
    units = units.strip()
    if quantity == "price":
        match = _CURRENCY.match(units)
        if match:
            return UNITS["price"][f"{{currency}}/{match.group(2)}"], match.group(1)
    elif units in UNITS[quantity]:
        return UNITS[quantity][units], None
    accepted = ", ".join(UNITS[quantity]).replace("{currency}", "CUR")
    raise ScenarioError(file, name, f"unknown units {_short(units)} (accepted: {accepted})")


def shift(values: np.ndarray, exponent: int) -> np.ndarray:
    """Multiply by 10**exponent as a decimal shift of each value's shortest repr.

    Exact for values of up to 15 significant digits (``0.12`` [EUR/kWh] becomes
    ``120.0`` [EUR/MWh], not ``120.00000000000001``), so unit conversions of values
    read from text files round-trip.
    """
    values = np.asarray(values, dtype=float)
    if exponent == 0:
        return values
    return np.array([float(Decimal(repr(float(v))).scaleb(exponent)) for v in values])


def parse_duration(text: Any, file: str, name: str) -> pd.Timedelta:
    """A positive ISO 8601 duration in weeks, days, hours, minutes or seconds.

    Years and months are rejected (their length depends on the calendar), as are
    negative and zero durations.
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ScenarioError(file, name, f"{_short(text)} is not an ISO 8601 duration such as PT1H")
    sign, years, months, count, unit, hours, minutes, seconds = match.groups()
    if years or months:
        raise ScenarioError(file, name, f"{text}: durations in years or months are not read")
    days = int(count or 0) * (7 if unit == "W" else 1)
    try:
        duration = pd.Timedelta(
            days=days, hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0)
        ).as_unit("ns")
    except (OverflowError, ValueError):
        raise ScenarioError(file, name, f"{text}: the duration is too long") from None
    if sign or duration <= pd.Timedelta(0):
        raise ScenarioError(file, name, f"{text}: the duration must be positive")
    return duration


def format_duration(duration: pd.Timedelta) -> str:
    """ISO 8601 form of a duration of whole minutes, e.g. ``PT1H``, ``PT15M``, ``PT168H``."""
    minutes = int(duration / pd.Timedelta(minutes=1))
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


def iso(time: pd.Timestamp) -> str:
    """ISO 8601 UTC time with a ``Z``, e.g. ``2025-01-01T00:00:00Z``."""
    return time.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(
    text: Any, file: str, name: str, zone: zoneinfo.ZoneInfo | None = None
) -> pd.Timestamp:
    """One ISO 8601 time as UTC: with a UTC offset, or local in ``zone``."""
    try:
        time = pd.Timestamp(text) if isinstance(text, str) and _ISO_TIME.match(text) else None
    except ValueError:
        time = None
    if time is None or pd.isna(time):
        raise ScenarioError(file, name, f"{_short(text)} is not an ISO 8601 time")
    if time.tzinfo is None:
        if zone is None:
            raise ScenarioError(
                file, name, f"{text} has no UTC offset (give one, or a time_zone for local times)"
            )
        return localize(pd.DatetimeIndex([time]), zone, file, name)[0]
    return in_range(time.tz_convert("UTC"), file, name)


_Times = TypeVar("_Times", pd.Timestamp, pd.DatetimeIndex)


def in_range(times: _Times, file: str, name: str) -> _Times:
    """UTC times in nanoseconds, the resolution of a study's snapshots."""
    try:
        return times.as_unit("ns")
    except (OverflowError, ValueError):
        raise ScenarioError(
            file, name, f"has times outside {pd.Timestamp.min.year}-{pd.Timestamp.max.year}"
        ) from None


def span_end(start: pd.Timestamp, length: pd.Timedelta, file: str, name: str) -> pd.Timestamp:
    """The end of the span ``[start, start + length)``, refused past the last time read."""
    if start > _LAST_TIME - length:
        raise ScenarioError(file, name, f"ends after {_LAST_TIME.year}: the span is too long")
    return start + length


_LAST_TIME = pd.Timestamp.max.tz_localize("UTC")
"""The last time a nanosecond timestamp holds, in 2262."""


def localize(
    times: pd.DatetimeIndex, zone: zoneinfo.ZoneInfo, file: str, name: str
) -> pd.DatetimeIndex:
    """Local wall-clock times in ``zone`` as UTC; DST gaps and repeats are rejected."""
    utc = times.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    bad = np.flatnonzero(utc.isna())
    if len(bad):
        local = times[bad[0]]
        try:
            local.tz_localize(zone, ambiguous=True, nonexistent="raise")
        except ValueError:
            problem = "does not exist (clocks go forward)"
        else:
            problem = "is ambiguous (clocks go back)"
        raise ScenarioError(
            file,
            name,
            f"local time {local.isoformat()} {problem} in {zone.key}: give times with a "
            "UTC offset around DST changes",
        )
    return in_range(utc.tz_convert("UTC"), file, name)


def time_zone(name: str, file: str) -> zoneinfo.ZoneInfo:
    """An IANA time zone by name."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ScenarioError(file, "time_zone", f"unknown IANA time zone {_short(name)}") from None


def check_grid(times: pd.DatetimeIndex, step: pd.Timedelta, file: str, name: str) -> None:
    """Times must run in steps of ``step``: ascending, no duplicates, no gaps."""
    if len(times) > MAX_STEPS:
        raise ScenarioError(file, name, f"has {len(times)} steps, more than {MAX_STEPS} read")
    if not len(times):
        raise ScenarioError(file, name, "has no time steps")
    gaps = times[1:] - times[:-1]
    wrong = np.flatnonzero(gaps != step)
    if not len(wrong):
        return
    i = wrong[0]
    before, after = times[i], times[i + 1]
    if after == before:
        problem = f"{iso(after)} appears twice"
    elif after < before:
        problem = f"{iso(after)} comes after {iso(before)}: times must ascend"
    elif after - before == 2 * step:
        problem = f"gap: no value for {iso(before + step)}"
    elif (after - before) % step == pd.Timedelta(0):
        problem = f"gap: no values from {iso(before + step)} to {iso(after - step)}"
    else:
        problem = f"{iso(after)} is not one step ({format_duration(step)}) after {iso(before)}"
    raise ScenarioError(file, name, problem)


def check_values(
    values: np.ndarray, times: pd.DatetimeIndex, rule: str, file: str, name: str
) -> None:
    """NaN, infinite and out-of-range values, named with the first time they occur."""
    finite = np.isfinite(values)
    ok = {
        "finite": finite,
        ">= 0": finite & (values >= 0),
        "p.u.": finite & (values >= 0) & (values <= 1),
    }[rule]
    bad = np.flatnonzero(~ok)
    if len(bad):
        i = bad[0]
        what = "NaN" if np.isnan(values[i]) else f"{values[i]:g}"
        need = {"finite": "a finite number", ">= 0": ">= 0", "p.u.": "in [0, 1]"}[rule]
        raise ScenarioError(file, name, f"is {what} at {iso(times[i])}, must be {need}")


def signal_series(
    file: str,
    name: str,
    times: pd.DatetimeIndex,
    step: pd.Timedelta,
    values: np.ndarray,
    exponent: int,
    time_field: str = "time",
    value_field: str | None = None,
) -> SignalSeries:
    """A validated signal from values in the file's units.

    Errors name the times ``time_field`` and the values ``value_field`` (default
    ``name``).
    """
    check_grid(times, step, file, time_field)
    span_end(times[-1], step, file, time_field)
    canonical = shift(values, exponent)
    check_values(canonical, times, SIGNAL_FIELDS[name].check, file, value_field or name)
    return SignalSeries(times[0], step, canonical)


def check_size(path: Path, file: str) -> None:
    """Refuse a missing file, a non-file, or one above :data:`MAX_FILE_BYTES`."""
    if not path.is_file():
        raise ScenarioError(file, "", "no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            file,
            "",
            f"is {size / 2**20:.1f} MB, above the {MAX_FILE_BYTES // 2**20} MB limit "
            "for exchange files",
        )


def read_bytes(path: Path, file: str) -> bytes:
    """The file's content, size-checked first."""
    check_size(path, file)
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:  # grew since it was checked
        raise ScenarioError(file, "", "grew beyond the size limit while read")
    return data


def load_json(data: bytes, file: str) -> Any:
    """A JSON document, refusing duplicate keys.

    Integers of more than :data:`_MAX_INT_DIGITS` digits are read as floats (``10**400``
    becomes infinity), so that the range checks of the fields name them; Python's own
    limit on digits would otherwise raise while parsing.
    """
    try:
        return json.loads(
            data.decode("utf-8-sig"),
            object_pairs_hook=lambda pairs: _unique_keys(pairs, file),
            parse_int=lambda text: int(text) if len(text) <= _MAX_INT_DIGITS else float(text),
        )
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ScenarioError(file, "", f"not valid JSON ({exc})") from None


_MAX_INT_DIGITS = 18


def _unique_keys(pairs: list[tuple[str, Any]], file: str) -> dict[str, Any]:
    unique = dict(pairs)
    if len(unique) < len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise ScenarioError(file, _name(twice), "the key appears twice in one object")
    return unique


def check_schema(file: str, schema: Any, version: Any) -> None:
    """The ``schema`` and ``schema_version`` of a netCDF or CSV exchange file."""
    if not isinstance(schema, str) or schema != SCHEMA:
        raise ScenarioError(
            file, "schema", f"is {_short(schema)}, expected {SCHEMA!r} (see docs/exchange.md)"
        )
    if str(version) != SCHEMA_VERSION:
        raise ScenarioError(
            file,
            "schema_version",
            f"is {_short(version)}; this release reads version {SCHEMA_VERSION} only",
        )


# --- netCDF ---------------------------------------------------------------------------

_CALENDARS = ("standard", "gregorian", "proleptic_gregorian")


def read_netcdf(path: Path, file: str) -> Signals:
    """Signals of a netCDF exchange file (CF time coordinate ``time``)."""
    import xarray as xr

    check_size(path, file)
    check_netcdf_header(path, file)
    try:
        # No default indexes: nothing is loaded before the sizes are checked.
        ds = xr.open_dataset(
            path, engine="netcdf4", decode_times=False, cache=False, create_default_indexes=False
        )
    except (OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError(file, "", f"not a readable netCDF file ({exc})") from None
    with ds:
        for dimension, size in ds.sizes.items():
            if size > MAX_STEPS:
                raise ScenarioError(
                    file, str(dimension), f"has {size} entries, more than {MAX_STEPS} read"
                )
        check_schema(file, ds.attrs.get("schema"), ds.attrs.get("schema_version"))
        site = ds.attrs.get("site")
        if site is not None and not isinstance(site, str):
            raise ScenarioError(file, "site", f"is {_short(site)}, expected a site name")
        step = parse_duration(ds.attrs.get("time_step"), file, "time_step")
        times = _cf_times(ds, "time", file)
        series: dict[str, SignalSeries] = {}
        currencies = set()
        for name, variable in ds.data_vars.items():
            if name in PLAN_FIELDS or name in CALL_VARIABLES or name in KEY_FIGURES:
                continue  # the plan, key figures and calls are not time-series signals
            if name not in SIGNAL_FIELDS:
                raise ScenarioError(file, _name(name), _unknown_field(name))
            if variable.dims != ("time",):
                raise ScenarioError(file, name, f"has dimensions {variable.dims}, expected (time,)")
            exponent, currency = parse_units(
                SIGNAL_FIELDS[name].quantity, variable.attrs.get("units"), file, name
            )
            currencies.add(currency)
            values = _numbers(variable, file, name)
            series[name] = signal_series(file, name, times, step, values, exponent)
        caps = _netcdf_calls(ds, file)
    return Signals(file, series, caps, _one_currency(currencies, file), site or None)


def _numbers(variable: Any, file: str, name: str) -> np.ndarray:
    """A netCDF variable's values as floats; text and booleans are refused."""
    if variable.dtype.kind not in "iuf":
        raise ScenarioError(file, name, f"has values of type {variable.dtype}, expected numbers")
    try:  # CF decoding applies _FillValue, scale_factor and add_offset, of any type
        return variable.values.astype(float)
    except (TypeError, ValueError):
        raise ScenarioError(
            file, name, "cannot decode the values with its _FillValue, scale_factor, add_offset"
        ) from None


def _cf_times(ds: Any, name: str, file: str) -> pd.DatetimeIndex:
    """A CF time variable decoded to UTC (standard calendars only)."""
    import xarray as xr

    if name not in ds.variables:
        raise ScenarioError(file, name, "missing time coordinate")
    variable = ds.variables[name]
    if variable.ndim != 1 or variable.size > MAX_STEPS:
        raise ScenarioError(file, name, f"must be one-dimensional with at most {MAX_STEPS} steps")
    units, calendar = variable.attrs.get("units", ""), variable.attrs.get("calendar", "standard")
    if not isinstance(units, str) or " since " not in units:
        raise ScenarioError(
            file, name, f"units {_short(units)} are not CF time units ('hours since ...')"
        )
    if not isinstance(calendar, str) or calendar not in _CALENDARS:
        raise ScenarioError(
            file, name, f"calendar {_short(calendar)} is not read (use {_CALENDARS[0]})"
        )
    try:
        decoded = xr.decode_cf(
            xr.Dataset({name: variable}), decode_times=xr.coders.CFDatetimeCoder(use_cftime=False)
        )[name]
    except (ValueError, OverflowError, TypeError):  # TypeError: attributes of a wrong type
        raise ScenarioError(
            file, name, f"cannot decode CF times in {_short(units)} (out of range or not a date)"
        ) from None
    if decoded.isnull().any():
        raise ScenarioError(file, name, "has missing times")
    return pd.DatetimeIndex(decoded.values).tz_localize("UTC")


def _netcdf_calls(ds: Any, file: str) -> tuple[Cap, ...]:
    present = [name for name in CALL_VARIABLES if name in ds.variables]
    if not present:
        return ()
    if len(present) < len(CALL_VARIABLES):
        raise ScenarioError(file, "call", f"demand-response calls need {', '.join(CALL_VARIABLES)}")
    for name in CALL_VARIABLES:
        if ds[name].dims != ("call",):
            raise ScenarioError(file, name, f"has dimensions {ds[name].dims}, expected (call,)")
    starts = _cf_times(ds, "call_start", file)
    ends = _cf_times(ds, "call_end", file)
    variable = ds["call_import_limit"]
    exponent, _ = parse_units("power", variable.attrs.get("units"), file, "call_import_limit")
    limits = shift(_numbers(variable, file, "call_import_limit"), exponent)
    return demand_response_calls(file, "call", starts, ends, limits)


def demand_response_calls(
    file: str, field: str, starts: pd.DatetimeIndex, ends: pd.DatetimeIndex, limits: np.ndarray
) -> tuple[Cap, ...]:
    """Demand-response calls (import caps) from their starts, ends and limits [MW].

    Errors name call number i as ``field[i]``.
    """
    if not len(starts) == len(ends) == len(limits):
        raise ScenarioError(
            file,
            field,
            f"{len(starts)} starts, {len(ends)} ends and {len(limits)} limits: "
            "one of each per call",
        )
    for i, (start, end, limit) in enumerate(zip(starts, ends, limits, strict=True)):
        where = f"{field}[{i}]"
        if not end > start:
            raise ScenarioError(file, where, f"ends ({iso(end)}) before it starts ({iso(start)})")
        if not (math.isfinite(limit) and limit >= 0):
            raise ScenarioError(
                file, f"{where}.import_limit", f"is {limit:g} at {iso(start)}, must be >= 0"
            )
    return tuple(
        Cap("import_limit", start, end, float(limit))
        for start, end, limit in zip(starts, ends, limits, strict=True)
    )


def _unknown_field(name: Any) -> str:
    known = ", ".join([*SIGNAL_FIELDS, *PLAN_FIELDS])
    return f"unknown field {_short(name)} (known: {known})"


def _one_currency(currencies: set[str | None], file: str) -> str | None:
    currencies.discard(None)
    if len(currencies) > 1:
        raise ScenarioError(file, "units", f"prices in several currencies: {sorted(currencies)}")
    return next(iter(currencies), None)


def write_netcdf(table: ExchangeTable, path: Path) -> None:
    """Write an exchange table as CF netCDF: fields on ``time``, calls on ``call``."""
    import xarray as xr

    times = table.times.tz_localize(None)
    data: dict[str, Any] = {}
    for name, values in table.fields.items():
        spec = SIGNAL_FIELDS.get(name) or PLAN_FIELDS[name]
        units = canonical_units(spec.quantity, table.currency)
        data[name] = ("time", values, {"units": units, "long_name": spec.long_name})
    for name, (value, units) in table.key_figures.items():
        data[name] = ((), value, {"units": units, "long_name": KEY_FIGURES[name]})
    calls = [cap for cap in table.caps if cap.field == "import_limit"]
    if calls:
        data["call_start"] = (
            "call",
            pd.DatetimeIndex([c.start for c in calls]).tz_localize(None),
            {"long_name": "Start of the demand-response call (UTC)"},
        )
        data["call_end"] = (
            "call",
            pd.DatetimeIndex([c.end for c in calls]).tz_localize(None),
            {"long_name": "End of the demand-response call (UTC)"},
        )
        data["call_import_limit"] = (
            "call",
            np.array([c.value for c in calls]),
            {"units": "MW", "long_name": "Import limit during the demand-response call"},
        )
    ds = xr.Dataset(data, coords={"time": times})
    ds["time"].attrs.update(standard_name="time", long_name="Start of the step (UTC)", axis="T")
    ds.attrs.update(
        Conventions="CF-1.8",
        schema=SCHEMA,
        schema_version=SCHEMA_VERSION,
        time_step=format_duration(table.step),
        **table.attrs,
    )
    time_units = f"minutes since {table.start.strftime('%Y-%m-%d %H:%M:%S')}+00:00"
    encoding: dict[str, dict] = {
        name: {"units": time_units, "calendar": "proleptic_gregorian", "dtype": "int64"}
        for name in ("time", "call_start", "call_end")
        if name in ds.variables
    }
    for name in table.fields:
        encoding[name] = {"zlib": True, "complevel": 4}
    write_atomically(path, lambda temporary: ds.to_netcdf(temporary, encoding=encoding))


# --- CSV + JSON -----------------------------------------------------------------------


class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldMetadata(_Meta):
    """Metadata of one CSV column."""

    units: str
    """Units of the column's values, from ``UNITS`` [-]."""
    long_name: str = ""
    """What the column holds [-]."""


class CallMetadata(_Meta):
    """A demand-response call: an import cap over a span of time."""

    start: str
    """Start of the call, ISO 8601 (UTC offset, or local in ``time_zone``) [-]."""
    end: str
    """End of the call, exclusive [-]."""
    import_limit: StrictFloat
    """Import limit during the call [units]."""
    units: str
    """``MW`` or ``kW`` [-]."""


class KeyFigureMetadata(_Meta):
    """One key figure of a plan."""

    value: StrictFloat
    """The figure [units]."""
    units: str
    """Its unit [-]."""


class CsvMetadata(_Meta):
    """The JSON file describing a CSV exchange file (same name, suffix ``.json``)."""

    schema_name: str = Field(alias="schema")
    """Always ``dispatch-exchange`` [-]."""
    schema_version: str
    """Version of the format: ``1.0`` [-]."""
    title: str = ""
    """What the file holds [-]."""
    study: str | None = None
    """Study the plan was made for (plan files) [-]."""
    site: str | None = None
    """Site the file is for; checked against the site it is applied to [-]."""
    time_zone: str | None = None
    """IANA time zone of times without a UTC offset, e.g. ``Europe/Madrid`` [-]."""
    time_step: str
    """Step of the ``time`` column, ISO 8601 duration, e.g. ``PT15M`` [-]."""
    fields: dict[str, FieldMetadata]
    """Every column besides ``time``, with its units [-]."""
    demand_response_calls: list[CallMetadata] = []
    """Import caps over given spans of time [-]."""
    key_figures: dict[str, KeyFigureMetadata] = {}
    """Key figures of a plan (plan files) [-]."""


def metadata_path(path: Path) -> Path:
    """The JSON metadata file of a CSV exchange file."""
    return path.with_suffix(".json")


def read_csv(path: Path, file: str) -> Signals:
    """Signals of a CSV exchange file and its JSON metadata."""
    meta_file = str(metadata_path(Path(file)))
    meta = _csv_metadata(read_bytes(metadata_path(path), meta_file), meta_file)
    zone = None if meta.time_zone is None else time_zone(meta.time_zone, meta_file)
    step = parse_duration(meta.time_step, meta_file, "time_step")
    data = read_bytes(path, file)
    try:
        header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8")]), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(file, "", f"not a readable CSV file ({exc})") from None
    columns = _csv_columns(header, meta, file, meta_file)
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, "", f"not a readable CSV file ({exc})") from None
    del data
    times = _csv_times(table["time"], zone, file)
    series, currencies = {}, set()
    for name in columns:
        if name in PLAN_FIELDS:
            continue
        exponent, currency = parse_units(
            SIGNAL_FIELDS[name].quantity, meta.fields[name].units, meta_file, f"fields.{name}"
        )
        currencies.add(currency)
        values = _csv_numbers(table[name], times, file, name)
        series[name] = signal_series(file, name, times, step, values, exponent)
    starts, ends, limits = [], [], []
    for i, call in enumerate(meta.demand_response_calls):
        where = f"demand_response_calls[{i}]"
        exponent, _ = parse_units("power", call.units, meta_file, f"{where}.units")
        starts.append(parse_time(call.start, meta_file, f"{where}.start", zone))
        ends.append(parse_time(call.end, meta_file, f"{where}.end", zone))
        limits.append(shift(np.array([call.import_limit]), exponent)[0])
    caps = demand_response_calls(
        meta_file,
        "demand_response_calls",
        pd.DatetimeIndex(starts),
        pd.DatetimeIndex(ends),
        np.array(limits),
    )
    return Signals(file, series, caps, _one_currency(currencies, meta_file), meta.site)


def _csv_columns(header: list[str], meta: CsvMetadata, file: str, meta_file: str) -> list[str]:
    """The columns after ``time``: each once, known and described in the metadata.

    Checked on the header, before the table is parsed (a header of a million unknown
    columns is refused at once).
    """
    if not header or header[0] != "time":
        raise ScenarioError(file, "time", "the first column must be named 'time'")
    columns = header[1:]
    seen = {"time"}
    for name in columns:
        if name in seen:
            raise ScenarioError(file, _name(name), "the column appears twice")
        seen.add(name)
        if name not in meta.fields:
            raise ScenarioError(
                meta_file, f"fields.{_name(name)}", "missing: every column needs units"
            )
        if name not in SIGNAL_FIELDS and name not in PLAN_FIELDS:
            raise ScenarioError(file, _name(name), _unknown_field(name))
    for name in meta.fields:
        if name not in seen:
            raise ScenarioError(file, name, "is described in the metadata but has no column")
    return columns


def _csv_metadata(data: bytes, file: str) -> CsvMetadata:
    raw = load_json(data, file)
    if not isinstance(raw, dict):
        raise ScenarioError(file, "", "expected a JSON object")
    check_schema(file, raw.get("schema"), raw.get("schema_version"))
    try:
        return CsvMetadata.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, file) from None


def validation_error(
    exc: pydantic.ValidationError, file: str, prefix: str = "", tags: tuple[str, ...] = ()
) -> ScenarioError:
    """The first problem pydantic found, as one line naming the field.

    ``tags`` are the names pydantic gives the members of unions (besides the builtin
    types), which are not fields and are left out of the field's path.
    """
    first = exc.errors()[0]
    skip = {"float", "int", "str", "bool", *tags}
    loc = prefix + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in first["loc"]
        if part not in skip
    )
    loc = loc.lstrip(".")
    if first["type"] == "extra_forbidden":
        return ScenarioError(file, loc, "unknown field")
    if first["type"] == "missing":
        return ScenarioError(file, loc, "required field is missing")
    return ScenarioError(file, loc, f"{first['msg']} (got {_short(first['input'])})")


def _csv_times(column: pd.Series, zone: zoneinfo.ZoneInfo | None, file: str) -> pd.DatetimeIndex:
    """The ``time`` column as UTC: offsets where given, else local in ``zone``."""
    text = column.str.strip()
    not_iso = np.flatnonzero(~text.str.match(_ISO_TIME.pattern).to_numpy(dtype=bool))
    if len(not_iso):
        i = int(not_iso[0])
        raise ScenarioError(
            file, "time", f"row {i + 1} ({_short(text.iloc[i])}) is not an ISO 8601 time"
        )
    with_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if with_offset.any() and not with_offset.all():
        i = int(np.flatnonzero(~with_offset.to_numpy())[0])
        raise ScenarioError(
            file, "time", f"row {i + 1} ({_short(text.iloc[i])}) has no UTC offset, others do"
        )
    try:
        times = pd.DatetimeIndex(
            pd.to_datetime(text, format="ISO8601", utc=bool(with_offset.all()))
        )
    except (ValueError, TypeError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(file, "time", f"not ISO 8601 times ({_short(first)})") from None
    if times.tz is not None:
        return in_range(times.tz_convert("UTC"), file, "time")
    if zone is None:
        raise ScenarioError(
            file, "time", "times have no UTC offset and the metadata gives no time_zone"
        )
    return localize(times, zone, file, "time")


def _csv_numbers(column: pd.Series, times: pd.DatetimeIndex, file: str, name: str) -> np.ndarray:
    values = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values))
    for i in bad:
        raw = column.iloc[i].strip()
        if raw.lower() != "nan":
            what = "empty" if not raw else f"{_short(raw)}, not a number,"
            raise ScenarioError(file, name, f"is {what} at {iso(times[i])}")
    return values


def write_csv(table: ExchangeTable, path: Path) -> None:
    """Write an exchange table as CSV (full precision) plus its JSON metadata."""
    frame = pd.DataFrame(table.fields, index=table.times.strftime("%Y-%m-%dT%H:%M:%SZ"))
    fields = {
        name: FieldMetadata(
            units=canonical_units(spec.quantity, table.currency), long_name=spec.long_name
        )
        for name in table.fields
        for spec in [SIGNAL_FIELDS.get(name) or PLAN_FIELDS[name]]
    }
    meta = CsvMetadata(
        schema_name=SCHEMA,
        schema_version=SCHEMA_VERSION,
        title=table.attrs.get("title", ""),
        study=table.attrs.get("study"),
        site=table.attrs.get("site"),
        time_step=format_duration(table.step),
        fields=fields,
        demand_response_calls=[
            CallMetadata(start=iso(c.start), end=iso(c.end), import_limit=c.value, units="MW")
            for c in table.caps
            if c.field == "import_limit"
        ],
        key_figures={
            name: KeyFigureMetadata(value=value, units=units)
            for name, (value, units) in table.key_figures.items()
        },
    )
    text = meta.model_dump_json(by_alias=True, indent=2, exclude_defaults=True) + "\n"
    write_atomically(path, lambda temporary: csv_safe(frame).to_csv(temporary, index_label="time"))
    write_atomically(
        metadata_path(path), lambda temporary: temporary.write_text(text, encoding="utf-8")
    )
