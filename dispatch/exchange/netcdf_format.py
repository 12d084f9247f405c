"""The netCDF exchange format: CF-1.8 signals and plans on ``time``, calls on ``call``;
an operation's plans on ``issue_time`` and ``step``.

A file is size-checked and its header probed before netCDF-C opens it; xarray decodes
only the CF time variables (standard calendars), and nothing is loaded before the
sizes are checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.files import write_file_atomic
from dispatch.core.times import cf_times, format_duration, parse_duration
from dispatch.core.untrusted_input import open_netcdf, short_name, short_repr
from dispatch.exchange.fields import (
    ISSUED_PLAN_FIELDS,
    KEY_FIGURES,
    PLAN_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    SIGNAL_FIELDS,
    Cap,
    ExchangeTable,
    Signals,
    SignalSeries,
    canonical_units,
    parse_units,
    shift,
)
from dispatch.exchange.issued_plans import IssuedPlans
from dispatch.exchange.signal_checks import (
    check_schema,
    demand_response_calls,
    one_currency,
    signal_series,
    unknown_field,
)
from dispatch.results.netcdf import write_netcdf4

CALL_VARIABLES = ("call_start", "call_end", "call_import_limit")
"""netCDF variables (dimension ``call``) of demand-response calls."""


def read_netcdf(path: Path, file: str) -> Signals:
    """Signals of a netCDF exchange file (CF time coordinate ``time``)."""
    with open_netcdf(path, file) as ds:
        check_schema(file, ds.attrs.get("schema"), ds.attrs.get("schema_version"))
        site = ds.attrs.get("site")
        if site is not None and not isinstance(site, str):
            raise ScenarioError(file, "site", f"is {short_repr(site)}, expected a site name")
        step = parse_duration(ds.attrs.get("time_step"), file, "time_step")
        times = cf_times(ds, "time", file)
        series: dict[str, SignalSeries] = {}
        currencies = set()
        for name, variable in ds.data_vars.items():
            if name in PLAN_FIELDS or name in CALL_VARIABLES or name in KEY_FIGURES:
                continue  # the plan, key figures and calls are not time-series signals
            if name not in SIGNAL_FIELDS:
                raise ScenarioError(file, short_name(name), unknown_field(name))
            if variable.dims != ("time",):
                raise ScenarioError(file, name, f"has dimensions {variable.dims}, expected (time,)")
            exponent, currency = parse_units(
                SIGNAL_FIELDS[name].quantity, variable.attrs.get("units"), file, name
            )
            currencies.add(currency)
            values = _numbers(variable, file, name)
            series[name] = signal_series(file, name, times, step, values, exponent)
        caps = _netcdf_calls(ds, file)
    return Signals(file, series, caps, one_currency(currencies, file), site or None)


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


def _netcdf_calls(ds: Any, file: str) -> tuple[Cap, ...]:
    present = [name for name in CALL_VARIABLES if name in ds.variables]
    if not present:
        return ()
    if len(present) < len(CALL_VARIABLES):
        raise ScenarioError(file, "call", f"demand-response calls need {', '.join(CALL_VARIABLES)}")
    for name in CALL_VARIABLES:
        if ds[name].dims != ("call",):
            raise ScenarioError(file, name, f"has dimensions {ds[name].dims}, expected (call,)")
    starts = cf_times(ds, "call_start", file)
    ends = cf_times(ds, "call_end", file)
    variable = ds["call_import_limit"]
    exponent, _ = parse_units("power", variable.attrs.get("units"), file, "call_import_limit")
    limits = shift(_numbers(variable, file, "call_import_limit"), exponent)
    return demand_response_calls(file, "call", starts, ends, limits)


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
    write_file_atomic(path, lambda temporary: write_netcdf4(ds, temporary, encoding))


def write_issued_netcdf(plans: IssuedPlans, path: Path) -> None:
    """Write an operation's plans as CF netCDF: the plans on ``(issue_time, step)`` with
    their ``valid_time``, the ``committed`` flag, and the delivered values on ``time``."""
    import xarray as xr

    data: dict[str, Any] = {}
    for name, spec in ISSUED_PLAN_FIELDS.items():
        attrs = {"units": canonical_units(spec.quantity, plans.currency)}
        data[name] = (
            ("issue_time", "step"),
            plans.planned[name],
            {**attrs, "long_name": spec.long_name},
        )
        data[f"delivered_{name}"] = (
            "time",
            plans.delivered[name],
            {**attrs, "long_name": "Delivered" + spec.long_name.removeprefix("Planned")},
        )
    data["committed"] = (
        ("issue_time", "step"),
        plans.committed.astype(np.int8),
        {
            "long_name": "Whether the step of the plan was committed (else: rest of the lookahead)",
            "flag_values": np.array([0, 1], dtype=np.int8),
            "flag_meanings": "lookahead committed",
        },
    )
    for name, (value, units) in plans.key_figures.items():
        data[name] = ((), value, {"units": units, "long_name": KEY_FIGURES[name]})
    lead = np.arange(plans.lookahead_steps) * (plans.step / pd.Timedelta(hours=1))
    ds = xr.Dataset(
        data,
        coords={
            "issue_time": plans.issue_times.tz_localize(None),
            "lead_time_h": ("step", lead),
            "valid_time": (("issue_time", "step"), plans.valid_times),
            "time": plans.times.tz_localize(None),
        },
    )
    ds["issue_time"].attrs.update(
        standard_name="forecast_reference_time",
        long_name="Decision time the plan was issued at (UTC)",
    )
    ds["lead_time_h"].attrs.update(
        standard_name="forecast_period", long_name="Start of the step after the decision", units="h"
    )
    ds["valid_time"].attrs.update(
        standard_name="time", long_name="Start of the step of the plan (UTC)"
    )
    ds["time"].attrs.update(standard_name="time", long_name="Start of the step (UTC)", axis="T")
    ds.attrs.update(
        Conventions="CF-1.8",
        schema=SCHEMA,
        schema_version=SCHEMA_VERSION,
        **plans.description,
    )
    time_units = f"minutes since {plans.times[0].strftime('%Y-%m-%d %H:%M:%S')}+00:00"
    encoding: dict[str, dict] = {
        name: {"units": time_units, "calendar": "proleptic_gregorian", "dtype": "int64"}
        for name in ("issue_time", "valid_time", "time")
    }
    for name in ISSUED_PLAN_FIELDS:
        encoding[name] = encoding[f"delivered_{name}"] = {"zlib": True, "complevel": 4}
    write_file_atomic(path, lambda temporary: write_netcdf4(ds, temporary, encoding))
