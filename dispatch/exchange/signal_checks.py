"""Checks of what the readers find: schema, fields, currency, signals, demand-response calls.

Errors name the file, the field and, for values, the first time at fault, in one line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import check_grid, iso, span_end
from dispatch.core.untrusted_input import short_repr
from dispatch.exchange.fields import (
    PLAN_FIELDS,
    SCHEMA,
    SCHEMA_VERSION,
    SIGNAL_FIELDS,
    Cap,
    SignalSeries,
)


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
    time_field: str = "time",
    value_field: str | None = None,
) -> SignalSeries:
    """A validated signal from values in the field's canonical unit.

    Errors name the times ``time_field`` and the values ``value_field`` (default
    ``name``).
    """
    check_grid(times, step, file, time_field)
    span_end(times[-1], step, file, time_field)
    check_values(values, times, SIGNAL_FIELDS[name].check, file, value_field or name)
    return SignalSeries(times[0], step, values)


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


def check_schema(file: str, schema: Any, version: Any) -> None:
    """The ``schema`` and ``schema_version`` of a netCDF or CSV exchange file."""
    if not isinstance(schema, str) or schema != SCHEMA:
        raise ScenarioError(
            file, "schema", f"is {short_repr(schema)}, expected {SCHEMA!r} (see docs/exchange.md)"
        )
    if str(version) != SCHEMA_VERSION:
        raise ScenarioError(
            file,
            "schema_version",
            f"is {short_repr(version)}; this release reads version {SCHEMA_VERSION} only",
        )


def unknown_field(name: Any) -> str:
    """The message refusing a field that is neither a signal nor a plan field."""
    known = ", ".join([*SIGNAL_FIELDS, *PLAN_FIELDS])
    return f"unknown field {short_repr(name)} (known: {known})"


def one_currency(currencies: set[str | None], file: str) -> str | None:
    """The one currency of a file's prices (None if it has none); several are refused."""
    currencies.discard(None)
    if len(currencies) > 1:
        raise ScenarioError(file, "units", f"prices in several currencies: {sorted(currencies)}")
    return next(iter(currencies), None)
