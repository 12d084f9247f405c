"""The three workload series of a study from a parametric shape, and what they share
with the series read from a trace (:mod:`~dispatch.sources.workload_trace`).

A site's workload (MODEL.md §2) is three series on the study's snapshots: firm work
``firm_mw`` [MW], deferrable arrivals ``deferrable_mwh`` [MWh per step] and offered
interruptible work ``interruptible_mw`` [MW], all IT work at full efficiency (no idle
power: that is the scenario's ``idle_fraction``). :func:`workload_from_shape` draws them
from a diurnal and weekly pattern with seeded noise; with the defaults and the 8760
hours of 2025 it is exactly the workload of the shipped examples
(``networks/make_profiles.py``).
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from dispatch.core.errors import ScenarioError
from dispatch.core.times import iana_zone, iso
from dispatch.scenario.quantities import MAX_DELAY_H, Price, StrictModel

COLUMNS = ("firm_mw", "deferrable_mwh", "interruptible_mw")
"""The workload series: firm work [MW], deferrable arrivals [MWh per step], offered
interruptible work [MW]."""

FIRM_SHAPE = (
    (0.0, 0.85),
    (2.0, 0.72),
    (4.0, 0.66),
    (6.0, 0.72),
    (8.0, 0.90),
    (10.0, 1.02),
    (12.0, 1.08),
    (14.0, 1.08),
    (16.0, 1.10),
    (18.0, 1.15),
    (20.0, 1.22),
    (22.0, 1.10),
)
"""Diurnal shape of firm (user-facing) inference traffic: (local hour [h], relative
load [-]), interpolated periodically; a typical consumer-facing web/chat traffic curve
with a night trough and an evening peak."""

_YEAR_H = 365.25 * 24
"""Hours in a year of growth [h]."""

Share = Annotated[float, Field(ge=0, le=1)]
Hours = Annotated[float, Field(ge=0, le=24)]


def check_time_zone(name: str) -> str:
    """An IANA time zone name, or a ValueError pydantic reports on the field."""
    iana_zone(name)
    return name


class WorkloadShape(StrictModel):
    """A parametric workload: shares of IT capacity with a diurnal and weekly pattern.

    - firm: the diurnal user-traffic shape ``diurnal`` in local time, times
      ``weekend_factor`` on Saturdays and Sundays, with 4 % hour-to-hour log-normal
      noise (AR(1), correlation 3 h);
    - deferrable arrivals: a steady stream of automated pipelines (0.6) plus batch jobs
      submitted in local working hours ``batch_hours`` (1.0, soft 2 h edges; times
      ``batch_weekend_factor`` at weekends), with lumpy log-normal noise (35 %,
      correlation 2 h);
    - interruptible: best-effort work, 25 % above its mean around 03:00 local time and
      25 % below around 15:00, with log-normal noise (20 %, correlation 6 h).

    Each series is scaled to its share over the horizon, then grows linearly with
    ``growth_per_year``; arrivals, then offered work, are cut in any step where the total
    would exceed ``headroom`` times the capacity.
    """

    firm: Share
    """Mean firm (real-time) work over IT capacity, over the horizon before growth
    [p.u.]."""
    deferrable: Share
    """Mean deferrable arrivals per hour over IT capacity, before growth and the
    headroom cut [p.u.]."""
    interruptible: Share
    """Mean interruptible offered work over IT capacity, before growth and the
    headroom cut [p.u.]."""
    time_zone: str
    """IANA time zone of the users and operators, e.g. ``Africa/Nairobi`` [-]."""
    seed: int = Field(ge=0, le=2**63 - 1)
    """Seed of the workload noise (numpy ``default_rng``) [-]."""
    headroom: Annotated[float, Field(gt=0, le=1)] = 0.97
    """Largest total work (firm + arrivals per hour + offered) over IT capacity [p.u.]."""
    diurnal: tuple[tuple[Hours, Annotated[float, Field(gt=0, le=1e3)]], ...] = Field(
        default=FIRM_SHAPE, min_length=1, strict=False
    )
    """Firm traffic over the day: (local clock hour [h], relative load [-]) pairs,
    hours ascending in [0, 24), interpolated periodically."""
    weekend_factor: Annotated[float, Field(gt=0, le=10)] = 0.92
    """Firm traffic on Saturdays and Sundays relative to weekdays [-]."""
    batch_hours: tuple[Hours, Hours] = Field(default=(9.0, 18.0), strict=False)
    """Local working hours in which batch jobs are submitted: start, end [h]."""
    batch_weekend_factor: Annotated[float, Field(ge=0, le=10)] = 0.6
    """Batch jobs submitted in working hours at weekends relative to weekdays [-]."""
    growth_per_year: Annotated[float, Field(ge=-1, le=10)] = 0.0
    """Linear growth of all three series: each is ``1 + growth_per_year * years`` times
    its start, in years of 365.25 days from the first snapshot [p.u./yr]."""
    batch_deadline_h: Annotated[float, Field(ge=0, le=MAX_DELAY_H)] = 12.0
    """Deadline of batch jobs after arrival, the scenario's ``max_delay_h`` [h]."""
    value_of_lost_work: Price | None = None
    """Value of each MWh of best-effort work dropped, the scenario's
    ``value_of_lost_work``; none: the caller's default [currency/MWh]."""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, name: str) -> str:
        return check_time_zone(name)

    @model_validator(mode="after")
    def _hours(self) -> WorkloadShape:
        """Diurnal hours strictly ascend below 24; working hours start before they end."""
        hours = [hour for hour, _ in self.diurnal]
        if any(b <= a for a, b in zip(hours, hours[1:], strict=False)) or hours[-1] >= 24:
            raise ValueError("diurnal hours must ascend strictly within [0, 24)")
        if self.batch_hours[0] >= self.batch_hours[1]:
            raise ValueError("batch_hours must start before they end")
        return self


def smooth_noise(rng: np.random.Generator, n: int, corr: float, sigma: float) -> np.ndarray:
    """Stationary AR(1) noise with zero mean.

    Parameters
    ----------
    rng
        Random generator (seeded by the caller).
    n
        Number of samples [-].
    corr
        Correlation length, in samples [-].
    sigma
        Standard deviation [-].

    Returns
    -------
    numpy.ndarray
        ``n`` correlated samples with standard deviation ``sigma``:
        ``x_0 ~ N(0, sigma)``, ``x_i = phi x_(i-1) + e_i``, ``phi = exp(-1 / corr)``.
    """
    phi = np.exp(-1.0 / corr)
    shocks = rng.standard_normal(n) * sigma * np.sqrt(1 - phi**2)
    out = np.empty(n)
    out[0] = rng.standard_normal() * sigma
    # a plain loop: scipy.signal.lfilter gives the same numbers but takes a second to import
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def bump(hour: np.ndarray, start: float, end: float, edge: float = 1.0) -> np.ndarray:
    """Smooth 0..1 window over the clock hours ``start``..``end`` with soft edges [-]."""
    rise = 1 / (1 + np.exp(-(hour - start) / (edge / 4)))
    fall = 1 / (1 + np.exp((hour - end) / (edge / 4)))
    return rise * fall


def step_hours(snapshots: pd.DatetimeIndex) -> float:
    """The step w of regular, tz-aware snapshots [h]."""
    if snapshots.tz is None or not len(snapshots):
        raise ValueError("snapshots must be a non-empty, tz-aware DatetimeIndex")
    if snapshots.freq is not None:
        step = pd.Timedelta(snapshots.freq)
    elif len(snapshots) > 1:
        steps = (snapshots[1:] - snapshots[:-1]).unique()
        if len(steps) != 1 or steps[0] <= pd.Timedelta(0):
            raise ValueError("snapshots must ascend in one fixed step")
        step = steps[0]
    else:
        raise ValueError("a single snapshot needs a freq to give its step")
    return step / pd.Timedelta(hours=1)


def local_time(snapshots: pd.DatetimeIndex, time_zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local clock hour (fractional, at the middle of each step) and weekday.

    Returns
    -------
    hour, weekday
        Hour of day [h] and weekday (0 Monday .. 6 Sunday) [-].
    """
    middle = snapshots + pd.Timedelta(hours=step_hours(snapshots)) / 2
    local = middle.tz_convert(time_zone)
    hour = local.hour + local.minute / 60 + local.second / 3600
    return hour.to_numpy(), local.day_of_week.to_numpy()


def growth(snapshots: pd.DatetimeIndex, per_year: float) -> np.ndarray:
    """Linear growth factor ``1 + per_year * years since the first snapshot`` [-]."""
    years = (snapshots - snapshots[0]) / pd.Timedelta(hours=_YEAR_H)
    return 1 + per_year * np.asarray(years, dtype=float)


def workload_from_shape(
    snapshots: pd.DatetimeIndex, shape: WorkloadShape, it_capacity_mw: float
) -> pd.DataFrame:
    """Firm work, deferrable arrivals and interruptible offered work from a shape.

    Parameters
    ----------
    snapshots
        The study's snapshots: tz-aware, one fixed step w (any length, any step).
    shape
        Shares, pattern, growth, time zone and seed (:class:`WorkloadShape`).
    it_capacity_mw
        IT capacity C [MW].

    Returns
    -------
    pandas.DataFrame
        Indexed by ``snapshots``: ``firm_mw`` [MW], ``deferrable_mwh`` [MWh per step]
        and ``interruptible_mw`` [MW].

    Raises
    ------
    ScenarioError
        If firm work alone comes within 10 % of the headroom in some step.

    Notes
    -----
    Noise correlation lengths are in hours (3, 2 and 6 h), so in ``corr / w`` steps;
    its standard deviation is per step. The patterns are evaluated at the middle of
    each step in local time.
    """
    n = len(snapshots)
    w = step_hours(snapshots)
    capacity = it_capacity_mw
    rng = np.random.default_rng(shape.seed)
    hour, weekday = local_time(snapshots, shape.time_zone)
    weekend = weekday >= 5
    two_pi = 2 * np.pi
    growing = growth(snapshots, shape.growth_per_year)

    firm = np.interp(hour, *zip(*shape.diurnal, strict=True), period=24)
    firm = (
        firm
        * np.where(weekend, shape.weekend_factor, 1.0)
        * np.exp(smooth_noise(rng, n, 3 / w, 0.04))
    )
    firm = shape.firm * capacity * firm / firm.mean() * growing

    start, end = shape.batch_hours
    batch = 0.6 + 1.0 * bump(hour, start, end, 2) * np.where(
        weekend, shape.batch_weekend_factor, 1.0
    )
    batch = batch * np.exp(smooth_noise(rng, n, 2 / w, 0.35))
    batch = shape.deferrable * capacity * batch / batch.mean() * growing

    offered = 1 + 0.25 * np.cos(two_pi * (hour - 3) / 24)
    offered = offered * np.exp(smooth_noise(rng, n, 6 / w, 0.2))
    offered = shape.interruptible * capacity * offered / offered.mean() * growing

    limit = shape.headroom * capacity
    crowded = np.flatnonzero(firm > 0.9 * limit)
    if len(crowded):
        raise ScenarioError(
            "workload shape",
            "firm",
            f"firm work {firm[crowded[0]]:.4g} MW at {iso(snapshots[crowded[0]])} nearly fills "
            f"the headroom ({shape.headroom:g} x {capacity:g} MW): lower firm or growth_per_year",
        )
    batch = np.minimum(batch, np.maximum(limit - firm - offered, 0))
    offered = np.minimum(offered, limit - firm - batch)
    return workload_frame(snapshots, firm, batch * w, offered)


def workload_frame(
    snapshots: pd.DatetimeIndex,
    firm_mw: np.ndarray,
    deferrable_mwh: np.ndarray,
    interruptible_mw: np.ndarray,
) -> pd.DataFrame:
    """The three series as a frame on ``snapshots`` (:data:`COLUMNS`)."""
    return pd.DataFrame(
        dict(zip(COLUMNS, (firm_mw, deferrable_mwh, interruptible_mw), strict=True)),
        index=snapshots,
    )


def check_capacity(frame: pd.DataFrame, capacity_mw: float, file: str, column: str) -> None:
    """Refuse the first step where ``firm + arrivals / w + offered`` exceeds C (MODEL.md §2)."""
    w = step_hours(frame.index)
    total = frame["firm_mw"] + frame["deferrable_mwh"] / w + frame["interruptible_mw"]
    over = np.flatnonzero(total.to_numpy() > capacity_mw * (1 + 1e-9))
    if len(over):
        i = over[0]
        raise ScenarioError(
            file,
            column,
            f"work {total.iloc[i]:.6g} MW at {iso(frame.index[i])} exceeds the IT capacity "
            f"{capacity_mw:g} MW",
        )


def max_delay_h(deadline_h: float, step_h: float) -> float:
    """The deadline rounded down to a whole number of steps (a job due within it
    must be served within that many steps) [h]."""
    return math.floor(deadline_h / step_h + 1e-9) * step_h
