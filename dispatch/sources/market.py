"""Day-ahead prices and grid carbon intensity from the CSV files analysts download.

Layouts read, told apart by their header (see ``docs/sources.md``):

- ENTSO-E Transparency Platform day-ahead price exports (:mod:`dispatch.sources.entsoe`);
- Electricity Maps' hourly carbon-intensity exports: ``Datetime (UTC)``, ``Carbon
  Intensity gCO₂eq/kWh (direct)``, ``... (LCA)``, ``Low Carbon Percentage``, ... (and
  their 2025 spellings ``Carbon intensity gCO₂eq/kWh (Life cycle)``, ``Carbon-free energy
  percentage (CFE%)``);
- a generic CSV: a column of ISO 8601 times with a UTC offset, then values with their
  units in the header, ``price [EUR/MWh]``, ``carbon_intensity [g/kWh]``.

Values are converted to the study's units (prices to its currency per MWh, carbon to
t/MWh, shares to 1) and put on its snapshots as means over each step
(:func:`~dispatch.sources.timeline.on_snapshots`). Every file is size-checked before it
is read; anything malformed is refused in one line naming the file, the column and the
line.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.times import ISO_TIME, parse_times
from dispatch.core.units import parse_units
from dispatch.core.untrusted_input import csv_numbers, read_bytes, short_name, short_repr
from dispatch.sources.entsoe import entsoe_prices, is_entsoe
from dispatch.sources.timeline import on_snapshots

_UNITS_HEADER = re.compile(r"^(.+?)\s*\[(.+)\]$")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ELECTRICITY_MAPS_TIME = "Datetime (UTC)"
_ELECTRICITY_MAPS = {
    "direct": ("Carbon Intensity gCO₂eq/kWh (direct)",),
    "lifecycle": (
        "Carbon Intensity gCO₂eq/kWh (LCA)",
        "Carbon intensity gCO₂eq/kWh (Life cycle)",
    ),
    "clean_share": ("Low Carbon Percentage", "Carbon-free energy percentage (CFE%)"),
}
"""Electricity Maps' columns read (in any case), by what they hold [-]."""
_ELECTRICITY_MAPS_UNITS = {"direct": "g/kWh", "lifecycle": "g/kWh", "clean_share": "%"}
CARBON_COLUMNS = {"carbon_intensity": "carbon", "clean_share": "share"}
"""Columns of a generic carbon file and the quantity of each [-]."""


def read_prices(
    path: str | Path, snapshots: pd.DatetimeIndex, *, currency: str, rate: float | None = None
) -> pd.Series:
    """Day-ahead prices of an ENTSO-E export or a generic CSV, on the study's snapshots.

    Parameters
    ----------
    path
        The CSV file.
    snapshots
        The study's snapshot start times, UTC, one fixed step.
    currency
        The study's currency, ISO 4217 (``EUR``).
    rate
        Units of the study's currency per unit of the file's currency [-]; needed
        if they differ, refused if they do not; positive and finite.

    Returns
    -------
    pandas.Series
        ``import_price`` [currency MWh-1] on ``snapshots``: each step's mean.

    Raises
    ------
    ScenarioError
        One line naming the file and the column or line at fault.
    """
    file = str(path)
    if not (isinstance(currency, str) and _CURRENCY.match(currency)):
        raise ScenarioError(file, "currency", f"{short_repr(currency)} is not an ISO 4217 code")
    positive = isinstance(rate, int | float) and math.isfinite(rate) and rate > 0
    if rate is not None and not positive:
        raise ScenarioError(file, "rate", f"{short_repr(rate)} must be a positive number")
    header, table = _read_csv(Path(path), file)
    if is_entsoe(header):
        values, units, column = entsoe_prices(table, file)
    elif header[0] == _ELECTRICITY_MAPS_TIME:
        raise ScenarioError(file, "", "is an Electricity Maps carbon export, not prices")
    else:
        (column,) = _generic_columns(header, file, one=True)
        units = _UNITS_HEADER.match(column)[2]
        values = _generic_values(table, column, file)
    conversion = parse_units(units, "price", file, short_name(column))
    prices = conversion.apply(values.to_numpy())
    if conversion.currency != currency:
        if rate is None:
            raise ScenarioError(
                file,
                short_name(column),
                f"prices in {conversion.currency}, the study's currency is {currency}: "
                f"give the rate ({currency} per {conversion.currency})",
            )
        prices = prices * rate
    elif rate is not None:  # not silently left unused
        raise ScenarioError(
            file,
            "rate",
            f"is given, but the prices are in {currency}, the study's currency: give no rate",
        )
    series = pd.Series(prices, index=values.index, name="import_price")
    return on_snapshots(series, snapshots, file, short_name(column))


def read_carbon(
    path: str | Path, snapshots: pd.DatetimeIndex, *, lifecycle: bool = False
) -> pd.DataFrame:
    """Grid carbon intensity (and carbon-free share) of an Electricity Maps export or a
    generic CSV, on the study's snapshots.

    Parameters
    ----------
    path
        The CSV file.
    snapshots
        The study's snapshot start times, UTC, one fixed step.
    lifecycle
        Electricity Maps files: the life-cycle intensity (LCA) instead of the direct
        one (combustion only).

    Returns
    -------
    pandas.DataFrame
        On ``snapshots``, each step's mean: ``carbon_intensity`` [t MWh-1] and, if the
        file has it, ``clean_share`` [1] (Electricity Maps' low-carbon percentage).

    Raises
    ------
    ScenarioError
        One line naming the file and the column or line at fault.
    """
    file = str(path)
    header, table = _read_csv(Path(path), file)
    if is_entsoe(header):
        raise ScenarioError(file, "", "is an ENTSO-E price export, not carbon intensity")
    if header[0] == _ELECTRICITY_MAPS_TIME:
        sources = _electricity_maps_columns(header, lifecycle, file)
        times = parse_times(table[header[0]], zoneinfo.ZoneInfo("UTC"), file, header[0])
    else:
        sources = _generic_carbon_columns(header, file)
        times = None
    series = {}
    for name, (column, units) in sources.items():
        values = _generic_values(table, column, file, times)
        converted = parse_units(units, CARBON_COLUMNS[name], file, short_name(column)).apply(
            values.to_numpy()
        )
        high = 1.0 if name == "clean_share" else math.inf
        bad = np.flatnonzero(~((converted >= 0) & (converted <= high)))
        if len(bad):
            i = bad[0]
            need = "a share in [0, 1]" if name == "clean_share" else ">= 0"
            raise ScenarioError(
                file,
                short_name(column),
                f"is {table[column].iloc[i].strip()} {_where(table[header[0]])(i)}, must be {need}",
            )
        series[name] = pd.Series(converted, index=values.index, name=name)
    result = {
        name: on_snapshots(values, snapshots, file, short_name(sources[name][0]))
        for name, values in series.items()
    }
    return pd.DataFrame(result)


def _read_csv(path: Path, file: str) -> tuple[list[str], pd.DataFrame]:
    """The header and the table of a CSV file, every cell as text; size-checked first."""
    data = read_bytes(path, file)
    try:
        text = data.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)), [])
        with warnings.catch_warnings():  # rows longer than the header: refused, not cut
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, index_col=False
            )
    except pd.errors.ParserWarning:
        raise ScenarioError(file, "", "has rows with more fields than its header") from None
    except (UnicodeDecodeError, csv.Error, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(file, "", f"not a readable CSV file ({short_repr(first)})") from None
    header = [name.strip() for name in header]
    if len(header) < 2 or not len(table):
        raise ScenarioError(file, "", "needs a header of at least two columns and rows below it")
    if len(set(header)) < len(header):
        twice = next(name for i, name in enumerate(header) if name in header[:i])
        raise ScenarioError(file, short_name(twice), "the column appears twice")
    table.columns = header
    return header, table


def _electricity_maps_columns(
    header: list[str], lifecycle: bool, file: str
) -> dict[str, tuple[str, str]]:
    """The Electricity Maps columns read: intensity (direct or LCA), clean share."""
    lower = {name.lower(): name for name in header}
    found = {
        kind: next((lower[name.lower()] for name in names if name.lower() in lower), None)
        for kind, names in _ELECTRICITY_MAPS.items()
    }
    kind = "lifecycle" if lifecycle else "direct"
    if found[kind] is None:
        raise ScenarioError(
            file, "", f"an Electricity Maps export needs the column {_ELECTRICITY_MAPS[kind][0]!r}"
        )
    sources = {"carbon_intensity": (found[kind], _ELECTRICITY_MAPS_UNITS[kind])}
    if found["clean_share"] is not None:
        sources["clean_share"] = (found["clean_share"], _ELECTRICITY_MAPS_UNITS["clean_share"])
    return sources


def _generic_carbon_columns(header: list[str], file: str) -> dict[str, tuple[str, str]]:
    """The columns of a generic carbon file: ``carbon_intensity [...]`` and optionally
    ``clean_share [...]``, with their units."""
    sources = {}
    for column in _generic_columns(header, file, one=False):
        name, units = _UNITS_HEADER.match(column).groups()
        if name not in CARBON_COLUMNS:
            known = ", ".join(f"{known} [units]" for known in CARBON_COLUMNS)
            raise ScenarioError(file, short_name(column), f"unknown column (known: {known})")
        sources[name] = (column, units)
    if "carbon_intensity" not in sources:
        raise ScenarioError(file, "carbon_intensity", "missing column 'carbon_intensity [g/kWh]'")
    return sources


def _generic_columns(header: list[str], file: str, *, one: bool) -> list[str]:
    """The value columns of a generic file: each ``name [units]``."""
    columns = header[1:]
    for column in columns:
        if not _UNITS_HEADER.match(column):
            raise ScenarioError(
                file,
                short_name(column),
                "not a layout read: a generic file's columns after the time need their "
                "units in brackets, e.g. 'price [EUR/MWh]' (or give an ENTSO-E or "
                "Electricity Maps export)",
            )
    if one and len(columns) != 1:
        raise ScenarioError(file, "", f"needs one price column after the time, has {len(columns)}")
    return columns


def _generic_values(
    table: pd.DataFrame, column: str, file: str, times: pd.DatetimeIndex | None = None
) -> pd.Series:
    """A column's finite numbers by UTC time (the first column's ISO 8601 times with a
    UTC offset, unless given)."""
    time_column = table.columns[0]
    if times is None:
        first = table[time_column].iloc[0].strip()
        if ISO_TIME.match(first) and not _OFFSET.search(first):
            raise ScenarioError(
                file,
                short_name(time_column),
                f"line 2: {short_repr(first)} has no UTC offset: give times such as "
                "2025-01-01T00:00:00Z",
            )
        times = parse_times(table[time_column], None, file, short_name(time_column))
    where = _where(table[time_column])
    values = csv_numbers(table[column], file, short_name(column), where, finite=True)
    return pd.Series(values, index=times)


def _where(times: pd.Series) -> Callable[[int], str]:
    """Names row ``i`` of a table by its line in the file and its time."""
    return lambda i: f"in line {i + 2} ({short_repr(times.iloc[i].strip())})"
