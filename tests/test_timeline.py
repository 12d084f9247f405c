"""A source's series on a study's snapshots (dispatch.sources.timeline), by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dispatch.core.errors import ScenarioError
from dispatch.sources.timeline import on_snapshots


def _hours(start: str, periods: int, freq: str = "h") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=periods, freq=freq, tz="UTC")


def test_half_hours_to_hours_are_means():
    values = pd.Series([1.0, 3.0, 5.0, 7.0], _hours("2025-01-01", 4, "30min"), name="price")
    result = on_snapshots(values, _hours("2025-01-01", 2), "f.csv", "price")
    assert result.tolist() == [2.0, 6.0]
    assert result.name == "price"
    assert result.index.equals(_hours("2025-01-01", 2))


def test_hours_to_two_hour_steps_keep_columns():
    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 0.0, 8.0, 2.0]}, _hours("2025-01-01", 4)
    )
    result = on_snapshots(frame, _hours("2025-01-01", 2, "2h"), "f.csv", "x")
    assert list(result.columns) == ["a", "b"]
    assert result["a"].tolist() == [1.5, 3.5]
    assert result["b"].tolist() == [0.0, 5.0]


def test_quarter_hours_conserve_energy():
    power = pd.Series(np.arange(96.0) % 7, _hours("2025-01-01", 96, "15min"))
    hourly = on_snapshots(power, _hours("2025-01-01", 24), "f.csv", "load")
    assert hourly.sum() * 1.0 == pytest.approx(power.sum() * 0.25, rel=1e-15)
    assert hourly.iloc[0] == (0 + 1 + 2 + 3) / 4


def test_a_window_inside_the_source_and_other_time_zones():
    local = pd.date_range("2025-01-01 01:00", periods=6, freq="h", tz="Europe/Berlin")
    values = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, 60.0], local)  # 01:00 CET is 00:00Z
    result = on_snapshots(values, _hours("2025-01-01 01:00", 2), "f.csv", "x")
    assert result.tolist() == [20.0, 30.0]
    naive = pd.Series([1.0, 2.0], pd.date_range("2025-01-01", periods=2, freq="h"))  # read as UTC
    assert on_snapshots(naive, _hours("2025-01-01", 1), "f.csv", "x").tolist() == [1.0]


def test_snapshots_without_freq_in_microseconds():
    snapshots = pd.DatetimeIndex(
        pd.to_datetime(["2025-01-01T00:00Z", "2025-01-01T02:00Z"], utc=True)
    ).as_unit("us")
    values = pd.Series([1.0, 2.0, 3.0, 4.0], _hours("2025-01-01", 4))
    assert on_snapshots(values, snapshots, "f.csv", "x").tolist() == [1.5, 3.5]


def test_nan_outside_the_snapshots_is_not_used():
    values = pd.Series([1.0, np.nan, 3.0], _hours("2025-01-01", 3))
    assert on_snapshots(values, _hours("2025-01-01 02:00", 1), "f.csv", "x").tolist() == [3.0]


@pytest.mark.parametrize(
    ("times", "snapshots", "message"),
    [
        (
            ["00:00", "00:30", "01:30", "02:00"],
            _hours("2025-01-01", 2),
            "gap: no value for 2025-01-01T01:00:00Z",
        ),
        (
            ["00:00", "00:30", "00:30", "01:00"],
            _hours("2025-01-01", 1),
            "2025-01-01T00:30:00Z appears twice",
        ),
        (["00:00", "01:00", "00:30", "01:30"], _hours("2025-01-01", 1), "must ascend"),
        (
            ["00:00", "00:30", "01:00", "01:20"],
            _hours("2025-01-01", 1),
            "is not one step (PT30M) after",
        ),
        (
            ["00:00", "00:30", "01:00", "01:30"],
            _hours("2025-01-01", 3),
            "no value for 2025-01-01T02:00:00Z",
        ),
        (
            ["01:00", "01:30", "02:00", "02:30"],
            _hours("2025-01-01", 2),
            "no value for 2025-01-01T00:00:00Z",
        ),
        (
            ["00:00", "00:30", "01:00", "01:30"],
            _hours("2025-01-01 00:15", 1),
            "between two of its steps",
        ),
        (
            ["00:00", "01:00", "02:00", "03:00"],
            _hours("2025-01-01", 2, "30min"),
            "does not divide the study's step PT30M",
        ),
    ],
)
def test_refused_in_one_line(times, snapshots, message):
    index = pd.DatetimeIndex([f"2025-01-01 {t}" for t in times], tz="UTC")
    values = pd.Series(np.arange(len(times), dtype=float), index)
    with pytest.raises(ScenarioError, match="^prices.csv: price: ") as caught:
        on_snapshots(values, snapshots, "prices.csv", "price")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_nan_used_is_refused_with_its_time():
    values = pd.Series([1.0, np.nan, 3.0, 4.0], _hours("2025-01-01", 4, "30min"))
    with pytest.raises(ScenarioError, match="f.csv: x: is NaN at 2025-01-01T00:30:00Z"):
        on_snapshots(values, _hours("2025-01-01", 2), "f.csv", "x")


def _tmy() -> pd.Series:
    """A typical year: each month from another year, value = hour of the (non-leap) year."""
    years = [2007, 2011, 2005, 2019, 2003, 2014, 2010, 2008, 2016, 2001, 2013, 2009]
    parts = []
    for month, year in enumerate(years, start=1):
        start = pd.Timestamp(year, month, 1, tz="UTC")
        hours = pd.date_range(start, start + pd.offsets.MonthBegin(1), freq="h", inclusive="left")
        parts.append(hours[~((hours.month == 2) & (hours.day == 29))])
    index = parts[0].append(parts[1:])
    return pd.Series(np.arange(len(index), dtype=float), index)


def test_typical_year_onto_a_leap_year():
    tmy = _tmy()
    assert len(tmy) == 8760
    snapshots = _hours("2024-02-28 23:00", 27)  # to 2024-03-01 01:00
    result = on_snapshots(tmy, snapshots, "tmy.csv", "ghi", typical_year=True)
    feb28 = (31 + 27) * 24
    assert result.iloc[0] == feb28 + 23
    assert result.iloc[1:25].tolist() == [float(feb28 + h) for h in range(24)]  # 29 Feb from 28 Feb
    assert result.iloc[25:].tolist() == [(31 + 28) * 24.0, (31 + 28) * 24.0 + 1]  # 1 March


def test_typical_year_across_new_year_and_in_two_hour_steps():
    tmy = _tmy()
    result = on_snapshots(
        tmy, _hours("2030-12-31 22:00", 2, "2h"), "tmy.csv", "ghi", typical_year=True
    )
    assert result.tolist() == [8758.5, 0.5]


def test_typical_year_refusals():
    tmy = _tmy()
    two_years = pd.concat([tmy, pd.Series(tmy.to_numpy(), tmy.index + pd.DateOffset(years=30))])
    with pytest.raises(ScenarioError, match="holds each month, day and time once"):
        on_snapshots(
            two_years.sort_index(), _hours("2024-01-01", 2), "tmy.csv", "ghi", typical_year=True
        )
    january = tmy[tmy.index.month == 1]
    with pytest.raises(ScenarioError, match=r"has no value for 02-01 00:00 .*2024-02-01T00:00:00Z"):
        on_snapshots(january, _hours("2024-01-31 23:00", 2), "tmy.csv", "ghi", typical_year=True)
