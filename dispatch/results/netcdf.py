"""netCDF files written from memory with netCDF4, without xarray's dask lock, and the
CF time coordinates of the files dispatch writes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.processes import interrupts_deferred

if TYPE_CHECKING:
    import pypsa
    import xarray as xr

CONVENTIONS = "CF-1.8"
"""The ``Conventions`` of every netCDF file dispatch writes (``network.nc`` aside)."""
TIME_BOUNDS = "time_bnds"
"""The bounds variable of a file's time coordinate: start and end of each step."""
VERTICES = "nv"
"""The dimension of the two vertices (start, end) of a bounds variable."""
INTERVAL_MEAN = {"cell_methods": "time: mean"}
"""CF attribute of a value that is the mean over its step (a power, a price)."""
INTERVAL_SUM = {"cell_methods": "time: sum"}
"""CF attribute of a value that is the sum over its step (an energy of the step)."""


def add_time_bounds(
    ds: xr.Dataset, name: str, step: pd.Timedelta, long_name: str, bounds: str = TIME_BOUNDS
) -> xr.Dataset:
    """``ds`` with ``name`` described as the CF time of each step's start and bounded by
    its step.

    Parameters
    ----------
    ds
        A dataset whose coordinate ``name`` holds the start of each step (UTC, naive
        ``datetime64``), on any dimensions.
    name
        The time coordinate.
    step
        Length of each step.
    long_name
        What the times are.
    bounds
        Name of the bounds variable.

    Returns
    -------
    xarray.Dataset
        A copy whose ``name`` has ``standard_name: time``, ``long_name`` and ``bounds``
        (``axis: T`` where it is a dimension), with the coordinate ``bounds``
        holding the start and end of each step on the dimensions of ``name`` and
        :data:`VERTICES`.
    """
    starts = ds[name].values
    cells = np.stack([starts, starts + step.to_timedelta64()], axis=-1)
    ds = ds.assign_coords({bounds: ((*ds[name].dims, VERTICES), cells)})
    ds[name].attrs.update(standard_name="time", long_name=long_name, bounds=bounds)
    if ds[name].dims == (name,):
        ds[name].attrs["axis"] = "T"
    return ds


def time_encoding(names: list[str], start: pd.Timestamp, step: pd.Timedelta) -> dict[str, dict]:
    """The CF encoding of time variables: whole minutes (seconds for steps that are not)
    since ``start`` (UTC), proleptic Gregorian calendar, 64-bit integers.

    Parameters
    ----------
    names
        The time variables (with their bounds).
    start, step
        First time (UTC) and step length: every time is a whole number of steps from it.
    """
    unit = "minutes" if step % pd.Timedelta(minutes=1) == pd.Timedelta(0) else "seconds"
    units = f"{unit} since {start.strftime('%Y-%m-%d %H:%M:%S')}+00:00"
    return {
        name: {"units": units, "calendar": "proleptic_gregorian", "dtype": "int64"}
        for name in names
    }


def write_netcdf4(ds: xr.Dataset, path: Path, encoding: dict[str, dict] | None = None) -> None:
    """``ds.to_netcdf(path, encoding=encoding)`` with netCDF4, without its dask lock.

    ``to_netcdf`` asks dask for the scheduler's write lock, which imports
    ``distributed`` where it is installed (0.3-0.7 s); a file written from memory
    in one thread needs only netCDF4's own lock. The file is the same, but for bounds
    variables held as coordinates: written as variables of their own, not named in a
    global ``coordinates`` attribute (CF has none).
    """
    from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK, NetCDF4DataStore

    bounds = {v.attrs["bounds"] for v in ds.variables.values() if "bounds" in v.attrs}
    ds = ds.reset_coords([name for name in bounds if name in ds.coords])
    for name in bounds & set(ds.variables):
        cells = ds.variables[name].copy(deep=False)
        cells.encoding = {**cells.encoding, "coordinates": None}  # those of its coordinate
        ds[name] = cells
    with interrupts_deferred():  # an interrupt inside would leave close() waiting forever
        store = NetCDF4DataStore.open(path, mode="w", lock=NETCDF4_PYTHON_LOCK)
        try:
            ds.dump_to_store(store, encoding=encoding)
        finally:
            store.close()


def export_network(n: pypsa.Network, path: Path) -> None:
    """``n.export_to_netcdf(path)``, written by :func:`write_netcdf4`: the same file."""
    write_netcdf4(n.export_to_netcdf(), path)  # PyPSA's dataset and compression
