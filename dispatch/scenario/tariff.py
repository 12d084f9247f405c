"""The tariff structure of a grid connection: demand charges on the month's highest
import within time windows, a fixed charge on a contracted capacity, and time-of-use
energy prices stated as periods; the windows, months and billed shares on a
study's snapshots.

Windows are in local time: the tariff's ``time_zone`` (an IANA name, daylight saving
included), or else the UTC offset of ``snapshots.start``. A step belongs to a window
if its start does. Each calendar month (local) the horizon touches is billed the
share of its hours the horizon covers (a full month: 1).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from dispatch.core.times import iana_zone
from dispatch.scenario.quantities import (
    Power,
    Price,
    SignedPrice,
    StrictModel,
    fail_field,
)

if TYPE_CHECKING:
    from dispatch.scenario.study import Study

Month = Annotated[int, Field(ge=1, le=12)]
Weekday = Annotated[int, Field(ge=1, le=7)]


class TimeWindow(StrictModel):
    """Hours of the week in some months, in local time; by default all of them."""

    months: list[Month] | None = Field(default=None, min_length=1, max_length=12)
    """Months 1 (January) to 12 the window applies in; none: every month [-]."""
    weekdays: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)
    """ISO weekdays 1 (Monday) to 7 (Sunday) the window applies on; none: every day [-]."""
    start_hour: Annotated[int, Field(ge=0, le=23)] = 0
    """Local hour of day the window opens [h]."""
    end_hour: Annotated[int, Field(ge=1, le=24)] = 24
    """Local hour of day the window closes (excluded); at or before ``start_hour`` the
    window runs past midnight, e.g. 22 to 6 [h]."""

    def contains(self, local: pd.DatetimeIndex) -> np.ndarray:
        """Whether each local time lies in the window (``weekdays`` counted on the day
        the time falls on) [-]."""
        inside = np.ones(len(local), dtype=bool)
        if self.months is not None:
            inside &= np.isin(local.month, self.months)
        if self.weekdays is not None:
            inside &= np.isin(local.day_of_week + 1, self.weekdays)
        hour = local.hour
        if self.start_hour < self.end_hour:
            inside &= (hour >= self.start_hour) & (hour < self.end_hour)
        else:
            inside &= (hour >= self.start_hour) | (hour < self.end_hour)
        return inside


class DemandCharge(TimeWindow):
    """A charge on the highest import in the window in each calendar month."""

    price_per_mw_month: Price
    """Charge per MW of the month's highest import (the step's mean power) within the
    window [currency/MW per month]."""


class EnergyPeriod(TimeWindow):
    """A time-of-use period: the price of energy imported within the window."""

    price_per_mwh: SignedPrice
    """Price c_t paid per MWh imported within the period [currency/MWh]."""


class ContractedExpansion(StrictModel):
    """Sizing of the contracted capacity: the optimisation chooses it, paying the
    tariff's fixed charge on it, and the import never exceeds it."""

    min_mw: Power = 0.0
    """Smallest contracted capacity [MW]."""
    max_mw: Power | None = None
    """Largest contracted capacity; none: unbounded (the import limit bounds it) [MW]."""

    @model_validator(mode="after")
    def _ordered(self) -> ContractedExpansion:
        if self.max_mw is not None and self.max_mw < self.min_mw:
            problem = f"must be at least min_mw ({self.min_mw})"
            fail_field("max_mw", self.max_mw, problem, "ContractedExpansion")
        return self


class Tariff(StrictModel):
    """The structure of a grid connection's bill beside the price per MWh imported."""

    time_zone: str | None = None
    """IANA time zone of the windows and months, e.g. ``Europe/Berlin``; none: the UTC
    offset of ``snapshots.start`` all year [-]."""
    demand_charges: list[DemandCharge] = Field(default_factory=list, max_length=100)
    """Charges on each month's highest import within their windows; they add up [-]."""
    energy_periods: list[EnergyPeriod] = Field(default_factory=list, max_length=1000)
    """Time-of-use prices: every hour of every weekday of every month in exactly one
    period; they give ``import_price``, which the grid must then not give [-]."""
    contracted_mw: Power | None = None
    """Contracted capacity: the import never exceeds it [MW]."""
    contracted_expansion: ContractedExpansion | None = None
    """Instead of ``contracted_mw``: the contracted capacity sized by the optimisation,
    which pays the fixed charge on it [-]."""
    fixed_charge_per_mw_month: Price = 0.0
    """Charge per MW of contracted capacity, each month: whatever the dispatch for a
    given capacity, a cost of the sized one [currency/MW per month]."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                iana_zone(value)
            except ValueError:
                fail_field("time_zone", value, "is not a known IANA time zone", "Tariff")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Tariff:
        if self.contracted_mw is not None and self.contracted_expansion is not None:
            fail_field(
                "contracted_expansion",
                "given",
                "give contracted_mw or contracted_expansion, not both",
                "Tariff",
            )
        if (
            self.fixed_charge_per_mw_month > 0
            and self.contracted_mw is None
            and self.contracted_expansion is None
        ):
            fail_field(
                "fixed_charge_per_mw_month",
                self.fixed_charge_per_mw_month,
                "needs contracted_mw or contracted_expansion, the capacity it is charged on",
                "Tariff",
            )
        if self.energy_periods:
            covered = _week_hours(self.energy_periods)
            if np.any(covered != 1):
                month, weekday, hour = np.argwhere(covered != 1)[0]
                fail_field(
                    "energy_periods",
                    f"month {month + 1}, weekday {weekday + 1}, hour {hour}",
                    f"every hour must lie in exactly one period; this one lies in "
                    f"{covered[month, weekday, hour]}",
                    "Tariff",
                )
        return self


def _week_hours(windows: list[EnergyPeriod]) -> np.ndarray:
    """How many of ``windows`` hold each hour, by month, ISO weekday - 1 and hour [-]."""
    # The first seven days of a month hold each weekday once.
    hours = pd.DatetimeIndex(
        [
            pd.Timestamp(2024, month, 1) + pd.Timedelta(hours=h)
            for month in range(1, 13)
            for h in range(7 * 24)
        ]
    )
    counts = np.zeros((12, 7, 24), dtype=int)
    for window in windows:
        inside = window.contains(hours)
        week_hour = (hours.month[inside] - 1, hours.day_of_week[inside], hours.hour[inside])
        np.add.at(counts, week_hour, 1)
    return counts


def local_times(
    snapshots: pd.DatetimeIndex, start: dt.datetime, tariff: Tariff
) -> pd.DatetimeIndex:
    """Snapshots (UTC) in the tariff's local time: its ``time_zone``, or else the UTC
    offset of the scenario's ``start`` [-]."""
    if tariff.time_zone is not None:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(tariff.time_zone)
    else:
        zone = dt.timezone(start.utcoffset() or dt.timedelta(0))
    return snapshots.tz_convert(zone)


def _study_local_times(study: Study, tariff: Tariff) -> pd.DatetimeIndex:
    return local_times(study.snapshots, study.scenario.snapshots.start, tariff)


def billed_months(local: pd.DatetimeIndex, step_h: float) -> dict[str, tuple[np.ndarray, float]]:
    """Each calendar month the steps touch: which steps lie in it and the share of its
    hours they cover, keyed ``YYYY-MM`` [-]."""
    months = {}
    keys = np.asarray(local.strftime("%Y-%m"))
    for key in dict.fromkeys(keys):
        inside = keys == key
        start = local[inside][0].replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        month_h = (start + pd.offsets.MonthBegin(1) - start) / pd.Timedelta(hours=1)
        months[str(key)] = (inside, min(1.0, float(inside.sum()) * step_h / month_h))
    return months


def import_price_from_periods(
    snapshots: pd.DatetimeIndex, start: dt.datetime, tariff: Tariff
) -> np.ndarray:
    """The import price of each step from the tariff's energy periods [currency/MWh]."""
    local = local_times(snapshots, start, tariff)
    price = np.zeros(len(local))
    for period in tariff.energy_periods:
        price[period.contains(local)] = period.price_per_mwh
    return price


def demand_charge_windows(study: Study, tariff: Tariff) -> list[tuple[str, np.ndarray, float]]:
    """Each demand charge in each month billed: its name ``charge I YYYY-MM``, whether
    each step lies in it, and its charge per MW for the horizon (the monthly charge
    times the month's share billed) [-, -, currency/MW]."""
    local = _study_local_times(study, tariff)
    months = billed_months(local, study.step_h)
    windows = []
    for i, charge in enumerate(tariff.demand_charges):
        inside = charge.contains(local)
        for month, (steps, share) in months.items():
            if charge.price_per_mw_month > 0 and np.any(inside & steps):
                windows.append(
                    (f"charge {i} {month}", inside & steps, charge.price_per_mw_month * share)
                )
    return windows


def billed_month_share(study: Study, tariff: Tariff) -> float:
    """The months the horizon bills, each counted by the share of it covered [-]."""
    months = billed_months(_study_local_times(study, tariff), study.step_h)
    return sum(share for _, share in months.values())


def fixed_charge(study: Study, tariff: Tariff, contracted_mw: float | None = None) -> float:
    """The fixed charge on the contracted capacity for the horizon: the given one, or
    ``contracted_mw`` where it is sized [currency]."""
    capacity = tariff.contracted_mw if contracted_mw is None else contracted_mw
    if capacity is None:
        return 0.0
    return tariff.fixed_charge_per_mw_month * capacity * billed_month_share(study, tariff)
