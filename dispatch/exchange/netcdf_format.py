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
from dispatch.core.units import QUANTITY_UNITS, cf_attributes, parse_units
from dispatch.core.untrusted_input import netcdf_numbers, open_netcdf, short_name, short_repr
from dispatch.exchange.fields import (
    ISSUED_PLAN_FIELDS,
    KEY_FIGURES,
    PLAN_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    SIGNAL_FIELDS,
    Cap,
    ExchangeField,
    ExchangeTable,
    Signals,
    SignalSeries,
)
from dispatch.exchange.issued_plans import IssuedPlans
from dispatch.exchange.signal_checks import (
    check_schema,
    demand_response_calls,
    one_currency,
    signal_series,
    unknown_field,
)
from dispatch.results.netcdf import (
    CONVENTIONS,
    INTERVAL_MEAN,
    TIME_BOUNDS,
    add_time_bounds,
    time_encoding,
    write_netcdf4,
)

CALL_VARIABLES = ("call_start", "call_end", "call_import_limit")
"""netCDF variables (dimension ``call``) of demand-response calls."""
VALID_TIME_BOUNDS = "valid_time_bnds"
"""Bounds of the steps of the issued plans (``valid_time``)."""


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
        bounds = _time_bounds(ds, file)
        for name, variable in ds.data_vars.items():
            if name in PLAN_FIELDS or name in CALL_VARIABLES or name in KEY_FIGURES:
                continue  # the plan, key figures and calls are not time-series signals
            if name == bounds:
                continue
            if name not in SIGNAL_FIELDS:
                raise ScenarioError(file, short_name(name), unknown_field(name))
            if variable.dims != ("time",):
                raise ScenarioError(file, name, f"has dimensions {variable.dims}, expected (time,)")
            conversion = parse_units(
                variable.attrs.get("units"),
                SIGNAL_FIELDS[name].quantity,
                file,
                name,
                currency=variable.attrs.get("currency"),
            )
            currencies.add(conversion.currency)
            values = conversion.apply(netcdf_numbers(variable, file, name))
            series[name] = signal_series(file, name, times, step, values)
        caps = _netcdf_calls(ds, file)
    return Signals(file, series, caps, one_currency(currencies, file), site or None)


def _time_bounds(ds: Any, file: str) -> str | None:
    """The variable the ``bounds`` attribute of ``time`` names (CF cell bounds, skipped
    on reading), None without one; it must be a (time, 2) variable, so that no signal
    is skipped as bounds."""
    bounds = ds.variables["time"].attrs.get("bounds")
    if bounds is None:
        return None
    variable = ds.variables.get(bounds) if isinstance(bounds, str) else None
    if variable is None or variable.dims[:1] != ("time",) or variable.shape[1:] != (2,):
        raise ScenarioError(
            file,
            "time.bounds",
            f"names {short_repr(bounds)}, which is not a variable of bounds on (time, 2)",
        )
    return bounds


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
    conversion = parse_units(variable.attrs.get("units"), "power", file, "call_import_limit")
    limits = conversion.apply(netcdf_numbers(variable, file, "call_import_limit"))
    return demand_response_calls(file, "call", starts, ends, limits)


def write_netcdf(table: ExchangeTable, path: Path) -> None:
    """Write an exchange table as CF netCDF: fields on ``time`` (means over each step,
    bounded by ``time_bnds``), key figures as scalars, calls on ``call``."""
    import xarray as xr

    times = table.times.tz_localize(None)
    data: dict[str, Any] = {}
    for name, values in table.fields.items():
        spec = SIGNAL_FIELDS.get(name) or PLAN_FIELDS[name]
        data[name] = ("time", values, _field_attributes(spec, table.currency))
    data.update(_key_figures(table.key_figures, table.currency))
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
    ds = add_time_bounds(ds, "time", table.step, "Start of the step (UTC)")
    ds.attrs.update(
        Conventions=CONVENTIONS,
        schema=SCHEMA,
        schema_version=SCHEMA_VERSION,
        time_step=format_duration(table.step),
        **table.attrs,
    )
    names = ["time", TIME_BOUNDS, *(["call_start", "call_end"] if calls else [])]
    encoding = time_encoding(names, table.start, table.step)
    for name in table.fields:
        encoding[name] = {"zlib": True, "complevel": 4}
    write_file_atomic(path, lambda temporary: write_netcdf4(ds, temporary, encoding))


def _field_attributes(spec: ExchangeField, currency: str) -> dict[str, str]:
    """CF attributes of a field: long name, units (and currency), a mean over the step."""
    units = cf_attributes(QUANTITY_UNITS[spec.quantity], currency)
    return {"long_name": spec.long_name, **units, **INTERVAL_MEAN}


def _key_figures(figures: dict[str, tuple[float, str]], currency: str) -> dict[str, Any]:
    """Key figures as scalar variables with their CF units and long names."""
    return {
        name: ((), value, {"long_name": KEY_FIGURES[name], **cf_attributes(units, currency)})
        for name, (value, units) in figures.items()
    }


def write_issued_netcdf(plans: IssuedPlans, path: Path) -> None:
    """Write an operation's plans as CF netCDF: the plans on ``(issue_time, step)`` with
    their ``valid_time``, the ``committed`` flag, and the delivered values on ``time``."""
    import xarray as xr

    data: dict[str, Any] = {}
    for name, spec in ISSUED_PLAN_FIELDS.items():
        attrs = _field_attributes(spec, plans.currency)
        data[name] = (("issue_time", "step"), plans.planned[name], attrs)
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
    data.update(_key_figures(plans.key_figures, plans.currency))
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
        axis="T",
    )
    ds["lead_time_h"].attrs.update(
        standard_name="forecast_period", long_name="Start of the step after the decision", units="h"
    )
    ds = add_time_bounds(
        ds, "valid_time", plans.step, "Start of the step of the plan (UTC)", VALID_TIME_BOUNDS
    )
    ds = add_time_bounds(ds, "time", plans.step, "Start of the step (UTC)")
    ds.attrs.update(
        Conventions=CONVENTIONS,
        schema=SCHEMA,
        schema_version=SCHEMA_VERSION,
        **plans.description,
    )
    names = ["issue_time", "valid_time", VALID_TIME_BOUNDS, "time", TIME_BOUNDS]
    encoding = time_encoding(names, plans.times[0], plans.step)
    for name in ISSUED_PLAN_FIELDS:
        encoding[name] = encoding[f"delivered_{name}"] = {"zlib": True, "complevel": 4}
    write_file_atomic(path, lambda temporary: write_netcdf4(ds, temporary, encoding))
