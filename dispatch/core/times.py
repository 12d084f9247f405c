"""Times and durations of exchange files: ISO 8601 read and written, UTC, time grids.

Times are read with pandas, as UTC in nanoseconds (the resolution of a study's
snapshots); local times need an IANA time zone and are refused in DST gaps and
repeats. Durations are read and written by pydantic's ISO 8601 duration support
(:class:`pydantic.TypeAdapter` of :class:`datetime.timedelta`), seconds and their
fraction included.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pydantic

from dispatch.core.errors import ScenarioError
from dispatch.core.untrusted_input import MAX_STEPS, short_name, short_repr

ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
"""Start of an ISO 8601 date-time: a date and hours and minutes (``now`` is refused)."""

_TIMEDELTA = pydantic.TypeAdapter(datetime.timedelta)
"""pydantic's reader and writer of ISO 8601 durations."""
_YEAR = pd.Timedelta(days=365)
"""From this length on, pydantic writes durations in years of 365 days."""


def parse_duration(text: Any, file: str, name: str) -> pd.Timedelta:
    """A positive ISO 8601 duration in weeks, days, hours, minutes or seconds.

    Read by pydantic; other notations pydantic reads (``01:00:00``, ``1 day``) are
    refused. Years and months are refused (their length depends on the calendar), as
    are negative and zero durations and durations too long for a nanosecond timedelta.

    Examples
    --------
    >>> parse_duration("PT1H30M15S", "signals.json", "time_step")
    Timedelta('0 days 01:30:15')
    """
    if not isinstance(text, str) or not text.startswith(("P", "-P")):
        raise ScenarioError(
            file, name, f"{short_repr(text)} is not an ISO 8601 duration such as PT1H"
        )
    date_part = text.partition("T")[0]
    if "Y" in date_part or "M" in date_part:
        raise ScenarioError(
            file, name, f"{short_name(text)}: durations in years or months are not read"
        )
    try:
        duration = pd.Timedelta(_TIMEDELTA.validate_python(text)).as_unit("ns")
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        reason = first.get("ctx", {}).get("error", first["msg"])
        raise ScenarioError(
            file, name, f"{short_repr(text)} is not an ISO 8601 duration such as PT1H ({reason})"
        ) from None
    except (OverflowError, ValueError):
        raise ScenarioError(file, name, f"{short_name(text)}: the duration is too long") from None
    if duration <= pd.Timedelta(0):
        raise ScenarioError(file, name, f"{short_name(text)}: the duration must be positive")
    return duration


def format_duration(duration: pd.Timedelta) -> str:
    """ISO 8601 form of a duration, e.g. ``PT15M``, ``PT1H30M15S``, ``PT0.5S``, ``P7D``.

    Written by pydantic, seconds and their fraction (to the microsecond) included.
    From 365 days on, pydantic would write years of 365 days (``P1Y``), which depend on
    the calendar and which :func:`parse_duration` refuses: such durations are written
    in days by pandas (``P365DT0H0M0S``).
    """
    if abs(duration) < _YEAR:
        return _TIMEDELTA.dump_python(duration, mode="json")
    return pd.Timedelta(duration).isoformat()


def iso(time: pd.Timestamp) -> str:
    """ISO 8601 UTC time with a ``Z``, e.g. ``2025-01-01T00:00:00Z``."""
    return time.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_times(nanoseconds: np.ndarray) -> pd.DatetimeIndex:
    """Times given as integers [ns since 1970-01-01, UTC], as a UTC index."""
    return pd.DatetimeIndex(nanoseconds.view("datetime64[ns]")).tz_localize("UTC")


def parse_time(
    text: Any, file: str, name: str, zone: zoneinfo.ZoneInfo | None = None
) -> pd.Timestamp:
    """One ISO 8601 time as UTC: with a UTC offset, or local in ``zone``."""
    try:
        time = pd.Timestamp(text) if isinstance(text, str) and ISO_TIME.match(text) else None
    except ValueError:
        time = None
    if time is None or pd.isna(time):
        raise ScenarioError(file, name, f"{short_repr(text)} is not an ISO 8601 time")
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


def iana_zone(name: str) -> zoneinfo.ZoneInfo:
    """An IANA time zone by name, e.g. ``Europe/Madrid``.

    Raises
    ------
    ValueError
        ``name`` is not one: also ``localtime``, this machine's own zone (a file's
        times would mean something else on another host), and file paths such as
        ``posix/Europe/Madrid``.
    """
    if name == "localtime" or name not in zoneinfo.available_timezones():
        raise ValueError(f"unknown IANA time zone {short_repr(name)}")
    return zoneinfo.ZoneInfo(name)


def time_zone(name: str, file: str) -> zoneinfo.ZoneInfo:
    """An IANA time zone by name (:func:`iana_zone`), or a :class:`ScenarioError` on
    ``file``'s ``time_zone``."""
    try:
        return iana_zone(name)
    except ValueError as error:
        raise ScenarioError(file, "time_zone", str(error)) from None


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


CF_CALENDARS = ("standard", "gregorian", "proleptic_gregorian")
"""Calendars of CF times read: those of real dates."""


def cf_times(ds: Any, name: str, file: str) -> pd.DatetimeIndex:
    """The one-dimensional CF time variable ``name`` (``hours since ...``) of an xarray
    dataset opened without decoding times, decoded to UTC; other calendars are
    refused."""
    import xarray as xr

    if name not in ds.variables:
        raise ScenarioError(file, name, "missing time coordinate")
    variable = ds.variables[name]
    if variable.ndim != 1 or variable.size > MAX_STEPS:
        raise ScenarioError(file, name, f"must be one-dimensional with at most {MAX_STEPS} steps")
    units, calendar = variable.attrs.get("units", ""), variable.attrs.get("calendar", "standard")
    if not isinstance(units, str) or " since " not in units:
        raise ScenarioError(
            file, name, f"units {short_repr(units)} are not CF time units ('hours since ...')"
        )
    if not isinstance(calendar, str) or calendar not in CF_CALENDARS:
        raise ScenarioError(
            file, name, f"calendar {short_repr(calendar)} is not read (use {CF_CALENDARS[0]})"
        )
    try:
        decoded = xr.decode_cf(
            xr.Dataset({name: variable}), decode_times=xr.coders.CFDatetimeCoder(use_cftime=False)
        )[name]
    except (ValueError, OverflowError, TypeError):  # TypeError: attributes of a wrong type
        raise ScenarioError(
            file,
            name,
            f"cannot decode CF times in {short_repr(units)} (out of range or not a date)",
        ) from None
    if decoded.isnull().any():
        raise ScenarioError(file, name, "has missing times")
    return pd.DatetimeIndex(decoded.values).tz_localize("UTC")


def parse_times(
    texts: pd.Series, zone: zoneinfo.ZoneInfo | None, file: str, name: str
) -> pd.DatetimeIndex:
    """A column of ISO 8601 times as UTC: all with a UTC offset, or all without one and
    local in ``zone``; errors name the row."""
    text = texts.astype(str).str.strip()
    not_iso = np.flatnonzero(~text.str.match(ISO_TIME.pattern).to_numpy(dtype=bool))
    if len(not_iso):
        i = int(not_iso[0])
        raise ScenarioError(
            file, name, f"row {i + 1} ({short_repr(text.iloc[i])}) is not an ISO 8601 time"
        )
    with_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).to_numpy(dtype=bool)
    if with_offset.any() and not with_offset.all():
        i = int(np.flatnonzero(~with_offset)[0])
        raise ScenarioError(
            file, name, f"row {i + 1} ({short_repr(text.iloc[i])}) has no UTC offset, others do"
        )
    try:
        times = pd.DatetimeIndex(
            pd.to_datetime(text, format="ISO8601", utc=bool(with_offset.all()))
        )
    except (ValueError, TypeError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(file, name, f"not ISO 8601 times ({short_repr(first)})") from None
    if times.tz is not None:
        return in_range(times.tz_convert("UTC"), file, name)
    if zone is None:
        raise ScenarioError(
            file, name, "times have no UTC offset and the metadata gives no time_zone"
        )
    return localize(times, zone, file, name)
