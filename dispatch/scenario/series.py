"""Series of a study: which fields are series and their ranges, the snapshots, and
reading series references ``FILE.csv:COLUMN`` / ``FILE.nc:VARIABLE`` aligned on the
snapshots."""

from __future__ import annotations

import csv
import io
import math
import numbers
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.netcdf_header import check_netcdf_header
from dispatch.core.units import parse_units
from dispatch.core.untrusted_input import (
    MAX_SERIES_FILE_BYTES,
    check_size,
    netcdf_numbers,
    not_a_file,
)
from dispatch.scenario.assets import GridRegion
from dispatch.scenario.schema import Scenario, Site, series_bounds

# Series fields of a site, and the closed range [low, high] their values must lie in.
SERIES_FIELDS: dict[str, tuple[float, float]] = {
    path: series_bounds(Site, path)
    for path in (
        "solar.availability",
        "wind.availability",
        "run_of_river.availability",
        "reservoir.inflow_mw",
        "grid.import_limit_mw",
        "grid.export_limit_mw",
        "grid.import_price",
        "grid.export_price",
        "grid.carbon_intensity_t_per_mwh",
        "grid.clean_share",
        "grid.surplus_mw",
        "datacentre.pue",
        "datacentre.firm_mw",
        "datacentre.deferrable.arrivals_mwh",
        "datacentre.interruptible.offered_mw",
        "datacentre.heat_reuse.demand_mw",
        "datacentre.heat_reuse.price",
    )
}
REGION_SERIES_FIELDS: dict[str, tuple[float, float]] = {
    path: series_bounds(GridRegion, path) for path in ("import_limit_mw", "export_limit_mw")
}
QUANTITIES: dict[str, str] = {
    "solar.availability": "share",
    "wind.availability": "share",
    "run_of_river.availability": "share",
    "grid.clean_share": "share",
    "datacentre.pue": "ratio",
    "reservoir.inflow_mw": "power",
    "grid.import_limit_mw": "power",
    "grid.export_limit_mw": "power",
    "grid.surplus_mw": "power",
    "datacentre.firm_mw": "power",
    "datacentre.interruptible.offered_mw": "power",
    "datacentre.heat_reuse.demand_mw": "power",
    "import_limit_mw": "power",
    "export_limit_mw": "power",
    "datacentre.deferrable.arrivals_mwh": "energy",
    "grid.import_price": "price",
    "grid.export_price": "price",
    "datacentre.heat_reuse.price": "price",
    "grid.carbon_intensity_t_per_mwh": "carbon",
}
"""Quantity of each series field (of a site, or of a grid region): a key of
:data:`dispatch.core.units.QUANTITY_UNITS`."""
NOT_SERIES = "not_series"
"""Key of a table's ``attrs``: its variables that are no series, and why."""
UNITS = "units"
"""Key of a table's ``attrs``: the ``units`` and ``currency`` of its netCDF variables
that have units."""


def snapshot_times(
    scenario: Scenario, source: Path, hours: float | None = None
) -> pd.DatetimeIndex:
    """Snapshot start times of ``scenario``, UTC: the first ``hours`` of the horizon, or
    all of it if None [h]."""
    spec = scenario.snapshots
    periods = spec.periods
    if hours is not None:
        number = isinstance(hours, numbers.Real) and not isinstance(hours, bool)
        keep = hours / spec.step_h if number else math.nan
        if not (math.isfinite(keep) and keep.is_integer() and 1 <= keep <= periods):
            raise ScenarioError(
                str(source),
                "snapshots",
                f"cannot shorten to {hours} h: need a whole number of "
                f"{spec.step_h} h steps between 1 and {periods}",
            )
        periods = int(keep)
    return pd.date_range(
        pd.Timestamp(spec.start).tz_convert("UTC"),
        periods=periods,
        freq=pd.Timedelta(hours=spec.step_h),
        name="snapshot",
    )


MAX_HEADER_BYTES = 2**20
"""Bytes at the start of a CSV series file within which its column names (its first
row that is not blank) must end [bytes]."""


class SeriesReader:
    """Reads series references, each file once, and aligns them on the snapshots.

    Of each file only the columns (variables) that some reference names are read, so
    that memory follows what the study uses, not how wide the file is. A netCDF
    variable with a ``units`` attribute is converted from its units to the field's
    canonical unit (prices: in the study's ``currency``); one without, and every CSV
    column, is read as in the canonical unit.

    Parameters
    ----------
    folder
        The study folder; files outside it are refused.
    snapshots
        The snapshots the values are wanted for.
    full
        Snapshots of the whole horizon: the rows each file must have [-].
    currency
        The study's currency, for prices with units.
    references
        Every ``FILE:COLUMN`` that will be read (other values are ignored).
    """

    def __init__(
        self,
        folder: Path,
        snapshots: pd.DatetimeIndex,
        full: int,
        currency: str,
        references: Iterable[object],
    ) -> None:
        self.folder = folder.resolve()
        self.currency = currency
        self.snapshots = snapshots
        self.full = pd.date_range(snapshots[0], periods=full, freq=snapshots.freq)
        self.tables: dict[str, pd.DataFrame] = {}
        self.wanted: dict[str, set[str]] = {}
        for reference in references:
            if isinstance(reference, str):
                file_name, column = reference.rsplit(":", 1)
                self.wanted.setdefault(file_name, set()).add(column)

    def read(self, value: float | str, field_name: str, source: Path) -> np.ndarray:
        if isinstance(value, (int, float)):
            return np.full(len(self.snapshots), float(value))
        file_name, column = value.rsplit(":", 1)
        table = self._table(file_name, field_name, source)
        if column not in table.columns:
            problem = table.attrs.get(NOT_SERIES, {}).get(column, "no such column")
            raise ScenarioError(file_name, column, f"{problem} (referenced by {field_name})")
        values = table[column].to_numpy(dtype=float)[: len(self.snapshots)]
        if column not in table.attrs.get(UNITS, {}):
            return values
        units, currency = table.attrs[UNITS][column]
        quantity = QUANTITIES[field_name.split(".", 2)[2]]  # sites.SITE.FIELD, grid_regions.R.F
        conversion = parse_units(
            units, quantity, file_name, column, currency=currency, study_currency=self.currency
        )
        return conversion.apply(values)

    def _table(self, file_name: str, field_name: str, source: Path) -> pd.DataFrame:
        if file_name in self.tables:
            return self.tables[file_name]
        try:
            path = (self.folder / file_name).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop before 3.13
            raise ScenarioError(
                str(source), field_name, f"cannot resolve {file_name!r} ({exc})"
            ) from None
        if not path.is_relative_to(self.folder):
            raise ScenarioError(
                str(source), field_name, f"{file_name!r} lies outside the study folder"
            )
        problem = not_a_file(path)
        if problem is not None:
            raise ScenarioError(str(source), field_name, f"{file_name!r}: {problem}")
        try:
            wanted = self.wanted.get(file_name, set())
            if path.suffix == ".nc":
                table = _read_netcdf(path, file_name, len(self.full), wanted)
            else:
                table = _read_csv(path, file_name, len(self.full), wanted)
        except ScenarioError:
            raise
        except Exception as exc:  # pandas, xarray and netCDF4 raise many types on hostile files
            kind = "netCDF" if path.suffix == ".nc" else "CSV"
            problem = " ".join(str(exc).split())[:200]
            raise ScenarioError(
                file_name, "", f"not a readable {kind} file ({type(exc).__name__}: {problem})"
            ) from None
        self._check_index(table.index, file_name)
        self.tables[file_name] = table
        return table

    def _check_index(self, index: pd.DatetimeIndex, file_name: str) -> None:
        _check_rows(len(index), len(self.full), file_name)
        mismatch = np.flatnonzero(index != self.full)
        if len(mismatch):
            i = mismatch[0]
            raise ScenarioError(
                file_name,
                "time",
                f"row {i + 1} is {index[i].isoformat()}, expected snapshot "
                f"{self.full[i].isoformat()}",
            )


def _check_rows(found: int, rows: int, file_name: str) -> None:
    if found != rows:
        raise ScenarioError(file_name, "time", f"has {found} rows, the study has {rows} snapshots")


def _read_netcdf(path: Path, file_name: str, rows: int, wanted: set[str]) -> pd.DataFrame:
    """The ``wanted`` variables over ``time`` alone of a netCDF file, in columns; the
    wanted others, with why they are no series, in ``attrs[NOT_SERIES]``.

    The parameters are :func:`_read_csv`'s; a file whose ``time`` is not ``rows``
    long is refused before anything is loaded, and no other variable is loaded.
    """
    import xarray as xr

    check_size(path, file_name, MAX_SERIES_FILE_BYTES, "series files")
    check_netcdf_header(path, file_name)
    # Times decoded and indexed only once their number is checked.
    with xr.open_dataset(path, decode_times=False, cache=False, create_default_indexes=False) as ds:
        if "time" not in ds.dims or "time" not in ds.variables:
            raise ScenarioError(file_name, "time", "missing time coordinate")
        _check_rows(ds.sizes["time"], rows, file_name)
        with warnings.catch_warnings(action="ignore", category=xr.SerializationWarning):
            times = pd.Index(xr.decode_cf(ds[["time"]])["time"].values)
        if not isinstance(times, pd.DatetimeIndex):  # dates of another calendar, or numbers
            time = ds["time"]
            units = time.encoding.get("units", time.attrs.get("units"))
            calendar = time.encoding.get("calendar", time.attrs.get("calendar"))
            problem = (
                f"has calendar {calendar!r}: only the standard calendar is read"
                if units
                else "has no units such as 'hours since 2025-01-01 00:00:00'"
            )
            raise ScenarioError(file_name, "time", problem)
        columns, not_series, units = {}, {}, {}
        for name, variable in ds.data_vars.items():
            if name not in wanted:
                continue
            if variable.dims != ("time",):
                not_series[name] = f"has dimensions {variable.dims}: a series has only time"
            elif variable.dtype.kind not in "iuf":
                not_series[name] = f"has values that are not numbers ({variable.dtype})"
            else:
                columns[name] = netcdf_numbers(variable, file_name, name)
                if "units" in variable.attrs:
                    units[name] = (variable.attrs["units"], variable.attrs.get("currency"))
    table = pd.DataFrame(columns, index=times.tz_localize("UTC"))
    table.attrs[NOT_SERIES] = not_series
    table.attrs[UNITS] = units
    return table


def _csv_header(path: Path, file_name: str) -> list[str]:
    """The column names of a CSV file: its first row that is not blank, read as pandas
    reads it (quotes, any line ending), from at most :data:`MAX_HEADER_BYTES`."""
    with path.open("rb") as stream:
        start = stream.read(MAX_HEADER_BYTES + 1)
    text = io.StringIO(start.decode("utf-8-sig", errors="replace"), newline="")
    for names in csv.reader(text):
        # pandas skips empty lines and lines of spaces and tabs, nothing else
        if names and not (len(names) == 1 and names[0] and not names[0].strip(" \t")):
            break
    else:
        raise ScenarioError(file_name, "", "not a readable CSV file (no column names)")
    if len(start) > MAX_HEADER_BYTES and text.tell() == len(text.getvalue()):
        raise ScenarioError(
            file_name, "", f"its column names take more than {MAX_HEADER_BYTES // 2**20} MiB"
        )
    return names


def _read_csv(path: Path, file_name: str, rows: int, wanted: set[str]) -> pd.DataFrame:
    """The ``wanted`` columns of a CSV file of series, on its first column ``time`` in UTC.

    Parameters
    ----------
    path
        The file, at most :data:`~dispatch.core.untrusted_input.MAX_SERIES_FILE_BYTES`.
    file_name
        The file as the scenario names it, for the errors.
    rows
        Rows the study needs, one a snapshot: no more are read, a file with more is
        refused [-].
    wanted
        The columns to read; the others are only parsed past.
    """
    check_size(path, file_name, MAX_SERIES_FILE_BYTES, "series files")
    header = _csv_header(path, file_name)
    if header[0] != "time":
        raise ScenarioError(file_name, "time", "first column must be named 'time'")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            if not name:
                raise ScenarioError(file_name, "", "two columns have no name in its first row")
            raise ScenarioError(file_name, name, "names two columns")
        seen.add(name)
    used = [header[0], *(name for name in header[1:] if name in wanted)]
    table = pd.read_csv(path, index_col=0, nrows=rows + 1, usecols=used)
    if len(table) > rows:
        raise ScenarioError(
            file_name, "time", f"has more than {rows} rows, the study has {rows} snapshots"
        )
    labels = table.index.astype(str)
    try:
        times = pd.to_datetime(labels, format="ISO8601", utc=True)
        # Another parse tells times without an offset, which utc=True takes for UTC.
        try:
            naive = pd.to_datetime(labels, format="ISO8601").tz is None
        except ValueError:  # several offsets, e.g. either side of a change to summer time
            naive = any(pd.Timestamp(label).tzinfo is None for label in labels)
    except (ValueError, TypeError) as exc:
        problem = str(exc).splitlines()[0]
        raise ScenarioError(file_name, "time", f"not ISO 8601 times ({problem})") from None
    if naive:
        raise ScenarioError(
            file_name, "time", "times need a UTC offset, e.g. 2025-01-01T00:00:00+00:00"
        )
    table.index = times
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise ScenarioError(file_name, column, "has values that are not numbers")
    return table
