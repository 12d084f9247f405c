"""The three workload series of a study from a request or GPU-utilisation trace.

A trace says how much work the site did (or will do) over time; the
:class:`WorkloadAssumptions` say how much IT energy that work is and which part of it
is real-time (firm), batch (deferrable, with a deadline) or best-effort
(interruptible). Layouts read, recognised by their header:

- **Azure LLM inference trace** (``Azure/AzurePublicDataset``, 2023 and 2024:
  ``TIMESTAMP,ContextTokens,GeneratedTokens``): one row per request, its invocation
  time and its numbers of context (prompt) and generated tokens. Requests are binned
  into intervals of ``interval_h``;
- **requests**: ``time,requests``, the number of requests in each interval
  ``[time, time + step)``, one fixed step;
- **utilisation**: ``time,utilisation`` (or ``utilization``), the mean GPU utilisation
  of the IT capacity in each interval, as a fraction or in percent.

Other columns are ignored. Every other file is refused in one line naming the file
and what is wrong, as are negative, missing (empty, NaN) or non-numeric values, times
that repeat, go back or skip an interval, and utilisation above full load.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from dispatch.core.errors import ScenarioError
from dispatch.core.times import (
    ISO_TIME,
    check_grid,
    format_duration,
    in_range,
    localize,
    parse_times,
)
from dispatch.core.untrusted_input import MAX_STEPS, check_size, short_repr
from dispatch.scenario.quantities import (
    MAX_DELAY_H,
    PerUnit,
    PositivePower,
    Price,
    StrictModel,
)
from dispatch.sources.timeline import on_snapshots
from dispatch.sources.workload import (
    WorkloadShape,
    check_capacity,
    check_time_zone,
    max_delay_h,
    step_hours,
    workload_frame,
)

AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
"""Columns of the Azure LLM inference traces (AzureLLMInferenceDataset2023/2024.md):
invocation time, context tokens, generated tokens."""
UTILISATION_COLUMNS = ("utilisation", "utilization")
"""Names read as the utilisation column of a utilisation trace."""
MAX_TRACE_BYTES = 2 * 2**30
"""Largest per-request trace read, in chunks (the one-week Azure 2024 conversation
trace is 1.1 GB) [bytes]; other traces are read whole, up to ``MAX_FILE_BYTES``."""
_CHUNK_ROWS = 1_000_000
"""Rows of a per-request trace read at a time [-]."""
_PERIODS = {"daily": pd.Timedelta(days=1), "weekly": pd.Timedelta(days=7)}
"""Period of each ``repeat`` option."""
_UNITS = {"daily": "day", "weekly": "week"}
_WH_PER_MWH = 1e6
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"
"""A UTC offset at the end of an ISO 8601 time."""

Wh = Annotated[float, Field(ge=0, le=1e9)]


class WorkloadAssumptions(StrictModel):
    """How a trace becomes the three workload series (MODEL.md §2).

    Work is IT energy at full efficiency: a request's energy is
    ``energy_per_request_wh + energy_per_input_token_wh * ContextTokens +
    energy_per_output_token_wh * GeneratedTokens`` (tokens only in the Azure layout),
    and utilisation ``u`` of the capacity is ``u * full_load_mw`` of work. Idle power
    is not work: the scenario's ``idle_fraction`` adds it (IT power is
    ``idle C + (1 - idle) work``, the linear power model of a GPU between idle and
    full load). Each class is a fixed share of the work in every interval; the batch
    share is taken to arrive when the trace shows it (served on arrival in the trace,
    as in the study's baseline).
    """

    it_capacity_mw: PositivePower
    """IT capacity C; work above it in a step is refused [MW]."""
    real_time_share: PerUnit
    """Share of the work that is real-time, the firm class [p.u.]."""
    batch_share: PerUnit
    """Share of the work that is batch, the deferrable class [p.u.]."""
    best_effort_share: PerUnit
    """Share of the work that is best-effort, the interruptible class; the three
    shares sum to 1 [p.u.]."""
    batch_deadline_h: Annotated[float, Field(ge=0, le=MAX_DELAY_H)]
    """Deadline of batch work after its arrival, the scenario's ``max_delay_h``
    (rounded down to a whole number of steps) [h]."""
    energy_per_request_wh: Wh = 0.0
    """IT energy of one request at full efficiency, e.g. 0.3 to 3 Wh for a chat
    completion of a large language model [Wh]."""
    energy_per_input_token_wh: Wh = 0.0
    """IT energy per context (prompt) token; Azure layout only [Wh]."""
    energy_per_output_token_wh: Wh = 0.0
    """IT energy per generated token; Azure layout only [Wh]."""
    full_load_mw: PositivePower | None = None
    """Work at utilisation 1 of a utilisation trace; none: ``it_capacity_mw`` [MW]."""
    utilisation_unit: Literal["fraction", "percent"] = "fraction"
    """Unit of a utilisation trace: fraction 0-1 or percent 0-100 [-]."""
    interval_h: Annotated[float, Field(gt=0, le=24)] | None = None
    """Bins of a per-request (Azure) trace, counted from the first snapshot; none: the
    snapshots' step. Must divide the snapshots' step [h]."""
    time_zone: str | None = None
    """IANA time zone of times without a UTC offset; none: such times are refused,
    except the Azure layout's ``TIMESTAMP`` (which has no offset), read as UTC [-]."""
    repeat: Literal["none", "daily", "weekly"] = "none"
    """Fill snapshots outside the trace with the trace: each takes the value at the
    same phase (UTC time of day, or weekday and time) of the trace's first whole day or
    week; the trace must hold one. ``none``: snapshots outside the trace are refused."""
    value_of_lost_work: Price | None = None
    """Value of each MWh of best-effort work dropped, the scenario's
    ``value_of_lost_work``; none: the caller's default [currency/MWh]."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, name: str | None) -> str | None:
        return None if name is None else check_time_zone(name)

    @model_validator(mode="after")
    def _shares(self) -> WorkloadAssumptions:
        """The three shares split all the work."""
        total = self.real_time_share + self.batch_share + self.best_effort_share
        if abs(total - 1) > 1e-9:
            raise ValueError(
                f"real_time_share + batch_share + best_effort_share is {total:g}, not 1"
            )
        return self


def workload_fields(spec: WorkloadShape | WorkloadAssumptions, step_h: float) -> dict[str, float]:
    """The scalar scenario fields a workload source sets.

    Parameters
    ----------
    spec
        A :class:`~dispatch.sources.workload.WorkloadShape` or
        :class:`WorkloadAssumptions`.
    step_h
        The study's step w [h].

    Returns
    -------
    dict
        ``max_delay_h`` (``deferrable.max_delay_h``: the batch deadline rounded down to
        a multiple of w) [h] and, where the source gives it, ``value_of_lost_work``
        (``interruptible.value_of_lost_work``) [currency/MWh].
    """
    fields = {"max_delay_h": max_delay_h(spec.batch_deadline_h, step_h)}
    if spec.value_of_lost_work is not None:
        fields["value_of_lost_work"] = spec.value_of_lost_work
    return fields


def workload_from_trace(
    path: str | Path, snapshots: pd.DatetimeIndex, assumptions: WorkloadAssumptions
) -> pd.DataFrame:
    """Firm work, deferrable arrivals and interruptible offered work from a trace.

    Parameters
    ----------
    path
        The trace: an Azure LLM inference trace, ``time,requests`` or
        ``time,utilisation`` CSV (see the module's description).
    snapshots
        The study's snapshots: tz-aware, one fixed step w.
    assumptions
        Energy per request or per unit of utilisation, shares, deadline, time zone,
        repeat (:class:`WorkloadAssumptions`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``snapshots``: ``firm_mw`` [MW], ``deferrable_mwh`` [MWh per step]
        and ``interruptible_mw`` [MW], each the mean work of the trace's intervals in the
        step times the class's share.

    Raises
    ------
    ScenarioError
        One line naming the file and column: layout not recognised, bad values or times,
        snapshots not covered, or work above the IT capacity in a step.
    """
    file = str(path)
    path = Path(path)
    columns = _header(path, file)
    if all(name in columns for name in AZURE_COLUMNS):
        column, work = "requests", _azure_work(path, file, snapshots, assumptions)
    elif "time" in columns and "requests" in columns:
        column, work = "requests", _interval_work(path, file, "requests", assumptions)
    elif "time" in columns and (found := [c for c in UTILISATION_COLUMNS if c in columns]):
        column, work = found[0], _interval_work(path, file, found[0], assumptions)
    else:
        raise ScenarioError(
            file,
            "",
            f"columns {short_repr(','.join(columns))} are not a workload trace: expected "
            "TIMESTAMP,ContextTokens,GeneratedTokens (Azure LLM inference trace), "
            "time,requests or time,utilisation",
        )
    if assumptions.repeat != "none":
        work = _repeated(work, snapshots, _PERIODS[assumptions.repeat], file, assumptions.repeat)
    mean_mw = on_snapshots(work, snapshots, file, column).to_numpy(dtype=float)
    w = step_hours(snapshots)
    frame = workload_frame(
        snapshots,
        assumptions.real_time_share * mean_mw,
        assumptions.batch_share * mean_mw * w,
        assumptions.best_effort_share * mean_mw,
    )
    check_capacity(frame, assumptions.it_capacity_mw, file, column)
    return frame


def _header(path: Path, file: str) -> list[str]:
    """The column names of the first line of a CSV file."""
    check_size(path, file, MAX_TRACE_BYTES, "traces")
    with path.open("rb") as handle:
        first = handle.readline(64 * 1024)
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(file, "", "not a UTF-8 text (CSV) file") from None
    row = next(csv.reader(io.StringIO(line)), [])
    return [name.strip() for name in row]


def _numbers(
    column: pd.Series, file: str, name: str, first_row: int = 1, upper: float = np.inf
) -> np.ndarray:
    """A column of a CSV file as finite numbers in [0, upper]; errors name the row.

    pandas reads a column of numbers as numbers (fast); a column with any text in it
    stays text, converted here to find the first bad row.
    """
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=float)
        text = None
    else:
        text = column.astype(str).str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(values) & (values >= 0) & (values <= upper)))
    if not len(bad):
        return values
    i = int(bad[0])
    value = values[i]
    raw = f"{value:g}" if text is None else text.iloc[i]
    if raw == "" or raw.lower() == "nan":
        problem = "is missing (empty or NaN)"
    elif np.isnan(value):
        problem = f"{short_repr(raw)} is not a number"
    elif not np.isfinite(value):
        problem = f"{short_repr(raw)} is not finite"
    elif value < 0:
        problem = f"{short_repr(raw)} is negative"
    else:
        problem = f"{short_repr(raw)} is above {upper:g}"
    raise ScenarioError(file, name, f"row {first_row + i}: {problem}")


def _interval_work(
    path: Path, file: str, column: str, assumptions: WorkloadAssumptions
) -> pd.Series:
    """Mean work of each interval of a ``time,requests`` or ``time,utilisation`` trace
    [MW], on its own regular time grid."""
    check_size(path, file)
    try:
        table = pd.read_csv(
            path,
            usecols=["time", column],
            dtype={"time": str},
            keep_default_na=False,
            encoding="utf-8-sig",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(file, "", f"not a readable CSV file ({short_repr(first)})") from None
    if len(table) < 2:
        raise ScenarioError(file, "time", "needs at least two rows to give its step")
    if assumptions.time_zone is None:
        naive = ~table["time"].str.strip().str.contains(_OFFSET).to_numpy(dtype=bool)
        if naive.any():
            i = int(np.flatnonzero(naive)[0])
            raise ScenarioError(
                file,
                "time",
                f"row {i + 1} ({short_repr(table['time'].iloc[i])}) has no UTC offset: give one, "
                "or the assumptions' time_zone",
            )
        zone = None
    else:
        zone = zoneinfo.ZoneInfo(assumptions.time_zone)
    times = parse_times(table["time"], zone, file, "time")
    diffs = times[1:] - times[:-1]
    ascending = diffs[diffs > pd.Timedelta(0)]
    step = ascending.min() if len(ascending) else pd.Timedelta(hours=1)
    check_grid(times, step, file, "time")
    hours = step / pd.Timedelta(hours=1)
    if column == "requests":
        if assumptions.energy_per_request_wh == 0:
            raise ScenarioError(
                file, column, "energy_per_request_wh is 0: a requests trace needs it"
            )
        requests = _numbers(table[column], file, column)
        work = requests * assumptions.energy_per_request_wh / _WH_PER_MWH / hours
    else:
        percent = assumptions.utilisation_unit == "percent"
        utilisation = _numbers(table[column], file, column, upper=100.0 if percent else 1.0)
        full_load = assumptions.full_load_mw or assumptions.it_capacity_mw
        work = utilisation / (100.0 if percent else 1.0) * full_load
    return pd.Series(work, index=times, name=column)


def _azure_work(
    path: Path, file: str, snapshots: pd.DatetimeIndex, assumptions: WorkloadAssumptions
) -> pd.Series:
    """Mean work of each interval of an Azure LLM inference trace [MW]: the energy of
    the requests invoked in it over its length. Intervals of ``interval_h`` are counted
    from the first snapshot; the trace spans the snapshot steps from its first
    request's to its last's, intervals without requests holding none."""
    energies = (
        assumptions.energy_per_request_wh,
        assumptions.energy_per_input_token_wh,
        assumptions.energy_per_output_token_wh,
    )
    if not any(energies):
        raise ScenarioError(
            file,
            "",
            "energy_per_request_wh and the energies per token are all 0: give at least one",
        )
    interval_h = assumptions.interval_h or step_hours(snapshots)
    interval = pd.Timedelta(hours=interval_h)
    origin = snapshots[0]
    zone = zoneinfo.ZoneInfo(assumptions.time_zone or "UTC")
    sums: pd.Series | None = None
    try:
        reader = pd.read_csv(
            path,
            usecols=list(AZURE_COLUMNS),
            dtype={"TIMESTAMP": str},
            keep_default_na=False,
            encoding="utf-8-sig",
            chunksize=_CHUNK_ROWS,
        )
        first_row = 1
        for chunk in reader:
            times = _times(chunk["TIMESTAMP"], zone, file, first_row)
            energy = energies[0] + sum(
                weight * _numbers(chunk[name], file, name, first_row)
                for weight, name in zip(energies[1:], AZURE_COLUMNS[1:], strict=True)
            )
            bins = (times - origin) // interval
            part = pd.Series(energy, index=bins).groupby(level=0).sum()
            sums = part if sums is None else sums.add(part, fill_value=0.0)
            first_row += len(chunk)
    except ScenarioError:
        raise
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(file, "", f"not a readable CSV file ({short_repr(first)})") from None
    if sums is None or not len(sums):
        raise ScenarioError(file, "TIMESTAMP", "has no requests")
    step = pd.Timedelta(hours=step_hours(snapshots))
    per_step = step // interval if step % interval == pd.Timedelta(0) else 1
    first_bin = int(sums.index.min()) // per_step * per_step
    last_bin = (int(sums.index.max()) // per_step + 1) * per_step - 1
    if last_bin - first_bin + 1 > MAX_STEPS:
        raise ScenarioError(
            file, "TIMESTAMP", f"spans more than {MAX_STEPS} intervals of {interval_h:g} h"
        )
    bins = np.arange(first_bin, last_bin + 1)
    work = sums.reindex(bins, fill_value=0.0).to_numpy() / _WH_PER_MWH / interval_h
    times = origin + bins * interval
    if len(bins) == 1:  # one interval gives no step: its two halves do
        times, work = pd.DatetimeIndex([times[0], times[0] + interval / 2]), np.repeat(work, 2)
    return pd.Series(work, index=times, name="requests")


def _times(
    texts: pd.Series, zone: zoneinfo.ZoneInfo, file: str, first_row: int
) -> pd.DatetimeIndex:
    """Invocation times of a chunk of a per-request trace as UTC; errors name the row."""
    text = texts.str.strip()
    bad = np.flatnonzero(~text.str.match(ISO_TIME.pattern).to_numpy(dtype=bool))
    offset = text.str.contains(_OFFSET).to_numpy(dtype=bool)
    if not len(bad) and offset.any() and not offset.all():
        i = int(np.flatnonzero(~offset if offset[0] else offset)[0])
        raise ScenarioError(
            file,
            "TIMESTAMP",
            f"row {first_row + i} ({short_repr(text.iloc[i])}): times with and without a UTC "
            "offset are mixed",
        )
    if not len(bad):
        utc = bool(offset.all())
        times = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", utc=utc, errors="coerce"))
        bad = np.flatnonzero(times.isna())
    if len(bad):
        i = int(bad[0])
        raise ScenarioError(
            file,
            "TIMESTAMP",
            f"row {first_row + i}: {short_repr(text.iloc[i])} is not an ISO 8601 time",
        )
    if times.tz is not None:
        return in_range(times, file, "TIMESTAMP")
    return localize(times, zone, file, "TIMESTAMP")


def _repeated(
    work: pd.Series, snapshots: pd.DatetimeIndex, period: pd.Timedelta, file: str, repeat: str
) -> pd.Series:
    """The trace over the snapshots' span: its own values where it has them, elsewhere
    those at the same phase of its first whole ``period``."""
    step = work.index[1] - work.index[0] if len(work) > 1 else period
    if period % step != pd.Timedelta(0) or len(work) * step < period:
        raise ScenarioError(
            file,
            "repeat",
            f"repeat: {repeat} needs a trace of at least one whole {_UNITS[repeat]} in steps "
            f"that divide it; the trace has {len(work)} steps of {format_duration(step)}",
        )
    end = snapshots[-1] + pd.Timedelta(hours=step_hours(snapshots))
    first = min(0, (snapshots[0] - work.index[0]) // step)
    last = max(len(work), -((work.index[0] - end) // step))
    k = np.arange(first, last)
    per_period = period // step
    inside = (k >= 0) & (k < len(work))
    values = work.to_numpy()[np.where(inside, k, k % per_period)]
    return pd.Series(values, index=work.index[0] + k * step, name=work.name)
