"""A source's series put on a study's snapshots.

Sources (weather files, price and carbon exports, workload traces) come in their own
step, 15 minutes to an hour, with each time the start of the interval its value stands
for. A study's snapshot of step ``w`` holds the **mean** of the source's values over
``[start, start + w)``, so that energies and costs summed over the snapshots are those
of the source. Nothing is filled in: a source that leaves a snapshot uncovered, has a
gap, a repeated time or an irregular step is refused in one line naming the file and
the series.

A typical meteorological year (TMY: each month from another year) is put on the
snapshots by month, day and time of day, whatever the source's years; 29 February of a
leap year takes 28 February's values.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import check_grid, format_duration, iso
from dispatch.core.untrusted_input import MAX_STEPS

_Values = TypeVar("_Values", pd.Series, pd.DataFrame)


def on_snapshots(
    values: _Values,
    snapshots: pd.DatetimeIndex,
    file: str,
    name: str,
    *,
    typical_year: bool = False,
) -> _Values:
    """A source's series as means over each of the study's snapshots.

    Parameters
    ----------
    values
        The source's values, indexed by the start of each interval: tz-aware (any
        zone, converted to UTC) or naive (read as UTC). One regular step that divides
        the snapshot step (15 min, 30 min, 1 h, ... onto 1 h or longer snapshots); a
        single value stands for one snapshot step.
    snapshots
        The study's snapshot start times, UTC, one fixed step (``freq``, or the
        differences of at least two times).
    file, name
        The source file and the series, for errors.
    typical_year
        True for a typical year (TMY): each snapshot takes the values of its month,
        day and time of day, whatever the source's years; 29 February those of
        28 February.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        The same kind as ``values``, indexed by ``snapshots``: each snapshot's mean of
        the source's values over ``[start, start + step)`` [units of ``values``].

    Raises
    ------
    ScenarioError
        One line naming ``file`` and ``name``: repeated, unordered or irregular
        times, a gap, a step that does not divide the snapshot step, snapshots the
        source does not cover, or NaN in a value used.

    Examples
    --------
    >>> half_hours = pd.date_range("2025-01-01", periods=4, freq="30min", tz="UTC")
    >>> hours = pd.date_range("2025-01-01", periods=2, freq="h", tz="UTC")
    >>> on_snapshots(pd.Series([1.0, 3.0, 5.0, 7.0], half_hours), hours, "f.csv", "x").tolist()
    [2.0, 6.0]
    """
    times = _utc(pd.DatetimeIndex(values.index))
    snapshots = _utc(snapshots)
    target = _snapshot_step(snapshots, file, name)
    if len(times) > MAX_STEPS:
        raise ScenarioError(file, name, f"has {len(times)} steps, more than {MAX_STEPS} read")
    step = _source_step(times, file, name) if len(times) > 1 else target
    if target % step:
        raise ScenarioError(
            file,
            name,
            f"step {format_duration(step)} does not divide the study's step "
            f"{format_duration(target)}",
        )
    starts = snapshots.asi8[:, None] + np.arange(target // step) * step.value
    needed = pd.to_datetime(starts.ravel(), unit="ns", utc=True)
    if typical_year:
        rows = _typical_rows(times, needed, file, name)
    else:
        check_grid(times, step, file, name)
        rows = _rows(times, step, needed, file, name)
    data = values.to_numpy(dtype=float).reshape(len(times), -1)[rows]
    missing = np.flatnonzero(np.isnan(data).any(axis=1))
    if len(missing):
        raise ScenarioError(file, name, f"is NaN at {iso(times[rows[missing[0]]])}")
    means = data.reshape(len(snapshots), -1, data.shape[1]).mean(axis=1)
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(means, index=snapshots, columns=values.columns)
    return pd.Series(means[:, 0], index=snapshots, name=values.name)


def _utc(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Times in UTC, nanoseconds; naive times are UTC."""
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    return times.as_unit("ns")


def _snapshot_step(snapshots: pd.DatetimeIndex, file: str, name: str) -> pd.Timedelta:
    """The snapshots' one step: their ``freq``, else their differences."""
    if not len(snapshots):
        raise ScenarioError(file, name, "no snapshots to put the series on")
    if snapshots.freq is not None:
        return pd.Timedelta(snapshots.freq)
    steps = np.unique(np.diff(snapshots.asi8))
    if len(steps) != 1 or steps[0] <= 0:
        raise ScenarioError(file, name, "the snapshots need one fixed step (or a freq)")
    return pd.Timedelta(int(steps[0]), unit="ns")


def _source_step(times: pd.DatetimeIndex, file: str, name: str) -> pd.Timedelta:
    """The source's step: its most common difference between times (a typical year's
    months join at other years, so only most of them are one step apart)."""
    gaps = np.diff(times.asi8)
    positive = gaps[gaps > 0]
    if not len(positive):
        raise ScenarioError(file, name, f"{iso(times[1])} appears twice")
    steps, counts = np.unique(positive, return_counts=True)
    return pd.Timedelta(int(steps[np.argmax(counts)]), unit="ns")


def _rows(
    times: pd.DatetimeIndex, step: pd.Timedelta, needed: pd.DatetimeIndex, file: str, name: str
) -> np.ndarray:
    """Rows of a regular source holding the intervals starting at ``needed``."""
    first, last = needed[0], needed[-1]
    if (first - times[0]) % step:
        raise ScenarioError(
            file,
            name,
            f"the snapshots start at {iso(first)}, between two of its steps of "
            f"{format_duration(step)} (which start at {iso(times[0])})",
        )
    if first < times[0] or last > times[-1]:
        uncovered = first if first < times[0] else times[-1] + step
        raise ScenarioError(
            file,
            name,
            f"covers {iso(times[0])} to {iso(times[-1] + step)}, not the study's "
            f"{iso(first)} to {iso(last + step)} (no value for {iso(uncovered)})",
        )
    return np.asarray((needed - times[0]) // step, dtype=np.int64)


def _typical_rows(
    times: pd.DatetimeIndex, needed: pd.DatetimeIndex, file: str, name: str
) -> np.ndarray:
    """Rows of a typical year holding the month, day and time of day of ``needed``."""
    keys = _calendar_keys(times)
    order = np.argsort(keys, kind="stable")
    twice = np.flatnonzero(np.diff(keys[order]) == 0)
    if len(twice):
        again = times[order[twice[0] + 1]]
        raise ScenarioError(
            file,
            name,
            f"{iso(again)}: a typical year holds each month, day and time once, this "
            f"one twice ({iso(times[order[twice[0]]])})",
        )
    wanted = needed
    leap_day = (wanted.month == 2) & (wanted.day == 29)
    if leap_day.any() and not ((times.month == 2) & (times.day == 29)).any():
        wanted = wanted.where(~leap_day, wanted - pd.Timedelta(days=1))
    wanted_keys = _calendar_keys(wanted)
    at = np.searchsorted(keys[order], wanted_keys)
    found = at < len(keys)
    found[found] = keys[order][at[found]] == wanted_keys[found]
    if not found.all():
        i = np.flatnonzero(~found)[0]
        raise ScenarioError(
            file,
            name,
            f"has no value for {wanted[i].strftime('%m-%d %H:%M')} of its typical year "
            f"(needed for {iso(needed[i])})",
        )
    return order[at]


def _calendar_keys(times: pd.DatetimeIndex) -> np.ndarray:
    """Month, day and time of day as one sortable number [ns within a 31-day month]."""
    of_day = times.asi8 - times.normalize().asi8
    return ((times.month.to_numpy() * 32 + times.day.to_numpy()) * 86_400 * 10**9) + of_day
