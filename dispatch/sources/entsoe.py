"""ENTSO-E Transparency Platform day-ahead price exports (CSV), read into a UTC series.

Two layouts of the platform's "Export data" CSV are read, told apart by their header:

- the layout before the platform's 2024 redesign: ``"MTU (CET/CEST)","Day-ahead Price
  [EUR/MWh]","Currency","BZN|DE-LU"``, intervals ``01.01.2025 00:00 - 01.01.2025
  01:00``;
- the layout since: ``"MTU (CET/CEST)","Area","Sequence","Day-ahead Price
  (EUR/MWh)","Intraday Period (CET/CEST)","Intraday Price (EUR/MWh)"``, intervals
  ``01/01/2025 00:00:00 - 01/01/2025 01:00:00``, 15-minute MTUs since 1 October 2025.

Each row is one market time unit (MTU) in the time zone the header names (``CET/CEST``,
``EET/EEST``, ``WET/WEST``, ``GMT/BST`` or ``UTC``). On the day clocks go back, the
repeated hour's rows are told apart by their marks (``(CEST)`` for the first,
``(CET)`` for the second) or, unmarked, by their order; a row for the hour that does
not exist in spring is dropped if it holds no price. Rows of an hour are held at their
price over each finer step of the file (an hourly day beside 15-minute days).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import format_duration
from dispatch.core.untrusted_input import csv_numbers, short_name, short_repr

ZONES = {
    "CET/CEST": "Europe/Brussels",
    "EET/EEST": "Europe/Helsinki",
    "WET/WEST": "Europe/Lisbon",
    "GMT/BST": "Europe/London",
    "UTC": "UTC",
}
"""The IANA zone of each time zone an export's ``MTU (...)`` header names (the EU's
summer time rules are one since 1996) [-]."""
_SUMMER = {"CEST", "EEST", "WEST", "BST"}
_WINTER = {"CET", "EET", "WET", "GMT"}
_NO_PRICE = {"", "-", "n/e", "N/A"}
"""Cells of a row that holds no price."""

_TIME = r"(\d\d)[./](\d\d)[./](\d{4}) (\d\d):(\d\d)(?::(\d\d))?"
_MARK = r"(?:\s*\(([A-Z/]+)\))?"
_MTU_ROW = re.compile(rf"^{_TIME}{_MARK}\s+-\s+{_TIME}{_MARK}$")
_MTU_HEADER = re.compile(r"^MTU \((.+)\)$")
_PRICE_HEADER = re.compile(r"^Day-ahead Price\s*[\[(](.+)[\])]$")


def is_entsoe(header: list[str]) -> bool:
    """True if a CSV header is that of an ENTSO-E export (first column ``MTU (...)``)."""
    return bool(header) and header[0].startswith("MTU")


def entsoe_prices(table: pd.DataFrame, file: str) -> tuple[pd.Series, str, str]:
    """Day-ahead prices of an ENTSO-E export, as read from its CSV (all text).

    Returns
    -------
    tuple
        The prices in the file's units, indexed by the UTC start of each step (the
        file's finest MTU); the units (``EUR/MWh``); the price column's name.
    """
    mtu = table.columns[0]
    zone = _zone(mtu, file)
    column, units = _price_column(table, file)
    _check_one_sequence(table, file)
    _check_currency(table, units, column, file)
    lines = table.index.to_numpy() + 2  # line 1 is the header
    texts = table[mtu].str.strip()
    parts = texts.str.extract(_MTU_ROW)
    bad = np.flatnonzero(parts[0].isna().to_numpy())
    if len(bad):
        i = bad[0]
        raise ScenarioError(
            file,
            short_name(mtu),
            f"line {lines[i]}: {short_repr(texts.iloc[i])} is not an interval such as "
            "'01.01.2025 00:00 - 01.01.2025 01:00'",
        )
    start = _naive(parts.iloc[:, 0:6], lines, file, mtu)
    end = _naive(parts.iloc[:, 7:13], lines, file, mtu)
    marks = parts[6].fillna(parts[13]).fillna("")

    def where(i: int) -> str:
        return f"in line {lines[i]} ({texts.iloc[i]})"

    keep = _drop_missing_hour(start, zone, table[column].str.strip(), file, mtu, where)
    start, end, marks, lines, texts = start[keep], end[keep], marks[keep], lines[keep], texts[keep]
    prices = csv_numbers(table[column][keep], file, short_name(column), where, finite=True)
    utc = _localize(start, marks.to_numpy(), zone, file, mtu, where)
    lengths = _lengths(start, end, zone, file, mtu, where)
    _check_dst_days(start, lengths, zone, file, mtu)
    step = pd.Timedelta(int(np.gcd.reduce(lengths.astype(np.int64))), unit="ns")
    repeats = lengths // step.value
    times = pd.DatetimeIndex(np.repeat(utc.asi8, repeats) + _within(repeats) * step.value, tz="UTC")
    return pd.Series(np.repeat(prices, repeats), index=times), units, column


def _zone(header: str, file: str) -> zoneinfo.ZoneInfo:
    found = _MTU_HEADER.match(header.strip())
    if not found or found[1] not in ZONES:
        raise ScenarioError(
            file,
            short_name(header),
            f"the MTU column must name one of the time zones {', '.join(ZONES)} "
            "(e.g. 'MTU (CET/CEST)')",
        )
    return zoneinfo.ZoneInfo(ZONES[found[1]])


def _price_column(table: pd.DataFrame, file: str) -> tuple[str, str]:
    for name in table.columns:
        found = _PRICE_HEADER.match(name.strip())
        if found:
            return name, found[1].strip()
    raise ScenarioError(
        file,
        "",
        "an ENTSO-E export needs a column 'Day-ahead Price [EUR/MWh]' or "
        f"'Day-ahead Price (EUR/MWh)'; the columns are {short_repr(list(table.columns))}",
    )


def _check_one_sequence(table: pd.DataFrame, file: str) -> None:
    """The new layout's prices must be of one auction (``Sequence``)."""
    if "Sequence" not in table.columns:
        return
    sequences = table["Sequence"].str.strip().unique()
    if len(sequences) > 1:
        raise ScenarioError(
            file,
            "Sequence",
            f"has the prices of several auctions ({short_repr(sorted(sequences))}): keep "
            "the rows of the one the site buys in",
        )


def _check_currency(table: pd.DataFrame, units: str, column: str, file: str) -> None:
    """The ``Currency`` column (old layout) must name the currency of the units."""
    if "Currency" not in table.columns:
        return
    codes = set(table["Currency"].str.strip()) - {""}
    prefix = units.split("/")[0].strip()
    wrong = codes - {prefix}
    if wrong:
        raise ScenarioError(
            file,
            "Currency",
            f"is {short_repr(sorted(wrong)[0])}, but {short_name(column)} is in {prefix}",
        )


def _naive(parts: pd.DataFrame, lines: np.ndarray, file: str, mtu: str) -> pd.DatetimeIndex:
    """Wall-clock times from the regex groups day, month, year, hour, minute, second."""
    numbers = parts.fillna("0").astype(int).to_numpy()
    try:
        return pd.DatetimeIndex(
            pd.to_datetime(
                pd.DataFrame(numbers, columns=["day", "month", "year", "hour", "minute", "second"])
            )
        ).as_unit("ns")
    except (ValueError, OverflowError):
        valid = [_is_time(*row[[2, 1, 0, 3, 4, 5]].tolist()) for row in numbers]
        i = valid.index(False) if False in valid else 0
        raise ScenarioError(
            file, short_name(mtu), f"line {lines[i]}: not a date and time"
        ) from None


def _is_time(*fields: int) -> bool:
    try:
        pd.Timestamp(*fields)
    except (ValueError, OverflowError):
        return False
    return True


def _drop_missing_hour(
    start: pd.DatetimeIndex,
    zone: zoneinfo.ZoneInfo,
    cells: pd.Series,
    file: str,
    mtu: str,
    where: Callable[[int], str],
) -> np.ndarray:
    """Rows to keep: all but those of the spring hour that does not exist, which must
    hold no price."""
    missing = start.tz_localize(zone, ambiguous=True, nonexistent="NaT").isna()
    priced = missing & ~cells.isin(_NO_PRICE).to_numpy()
    if priced.any():
        i = np.flatnonzero(priced)[0]
        raise ScenarioError(
            file,
            short_name(mtu),
            f"{start[i]:%d.%m.%Y %H:%M} does not exist in {zone.key} (clocks go forward), "
            f"yet has a price {where(i)}: the day has 23 hours",
        )
    return ~missing


def _localize(
    start: pd.DatetimeIndex,
    marks: np.ndarray,
    zone: zoneinfo.ZoneInfo,
    file: str,
    mtu: str,
    where: Callable[[int], str],
) -> pd.DatetimeIndex:
    """UTC starts: a repeated autumn time is summer time the first time (or marked
    ``(CEST)``), winter time the second (or ``(CET)``); other repeats are refused."""
    seen = pd.Series(start).groupby(start).cumcount().to_numpy()
    ambiguous = start.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()
    repeated = np.flatnonzero((seen > 0) & (~ambiguous | (seen > 1)))
    if len(repeated):
        raise ScenarioError(
            file,
            short_name(mtu),
            f"the time {where(repeated[0])} appears twice: only the hour clocks go back may",
        )
    summer = np.where(
        np.isin(marks, list(_SUMMER)),
        True,
        np.where(np.isin(marks, list(_WINTER)), False, seen == 0),
    )
    utc = start.tz_localize(zone, ambiguous=summer).tz_convert("UTC").as_unit("ns")
    twice = np.flatnonzero(pd.Index(utc).duplicated())
    if len(twice):
        raise ScenarioError(
            file, short_name(mtu), f"{where(twice[0])} is the same time as another row"
        )
    return utc


def _lengths(
    start: pd.DatetimeIndex,
    end: pd.DatetimeIndex,
    zone: zoneinfo.ZoneInfo,
    file: str,
    mtu: str,
    where: Callable[[int], str],
) -> np.ndarray:
    """Each MTU's length [ns]: its day's (one resolution a day); an interval that
    differs is refused, but on a day clocks change, where its wall clock may jump."""
    wall = (end - start).asi8
    day = start.normalize()
    usual = pd.Series(wall).groupby(day).agg(lambda x: x.mode().iloc[0])
    lengths = usual.reindex(day).to_numpy()
    odd = np.flatnonzero((wall != lengths) & ~_changes_clock(day, zone))
    if len(odd) or (lengths <= 0).any():
        i = odd[0] if len(odd) else np.flatnonzero(lengths <= 0)[0]
        raise ScenarioError(
            file,
            short_name(mtu),
            f"{where(i)}: an MTU of {format_duration(pd.Timedelta(int(wall[i])))} among "
            f"MTUs of {format_duration(pd.Timedelta(int(lengths[i])))}",
        )
    return lengths


def _changes_clock(day: pd.DatetimeIndex, zone: zoneinfo.ZoneInfo) -> np.ndarray:
    """True for the local days on which clocks change in ``zone``."""
    midnight = day.tz_localize(zone).tz_convert("UTC")
    next_midnight = (day + pd.Timedelta(days=1)).tz_localize(zone).tz_convert("UTC")
    return np.asarray((next_midnight - midnight) != pd.Timedelta(days=1))


def _check_dst_days(
    start: pd.DatetimeIndex, lengths: np.ndarray, zone: zoneinfo.ZoneInfo, file: str, mtu: str
) -> None:
    """A whole day clocks change (not the file's first or last) must have its 23 or 25
    hours of MTUs."""
    day = start.normalize()
    held = pd.Series(lengths).groupby(day).sum()
    inner = held.index[1:-1]
    changes = inner[_changes_clock(pd.DatetimeIndex(inner), zone)]
    for date in changes:
        hours = (
            (date + pd.Timedelta(days=1)).tz_localize(zone) - date.tz_localize(zone)
        ) / pd.Timedelta(hours=1)
        found = held[date] / pd.Timedelta(hours=1).value
        if found != hours:
            kind = "go back" if hours > 24 else "go forward"
            raise ScenarioError(
                file,
                short_name(mtu),
                f"{date:%d.%m.%Y}, the day clocks {kind} in {zone.key}, has {found:g} hours "
                f"of MTUs, not {hours:g}",
            )


def _within(repeats: np.ndarray) -> np.ndarray:
    """0, 1, ..., r - 1 for each count r, concatenated."""
    ends = np.cumsum(repeats)
    return np.arange(ends[-1]) - np.repeat(ends - repeats, repeats)
