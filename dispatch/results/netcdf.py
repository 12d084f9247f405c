"""netCDF files written from memory with netCDF4, without xarray's dask lock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pypsa
    import xarray as xr


def write_netcdf4(ds: xr.Dataset, path: Path, encoding: dict[str, dict] | None = None) -> None:
    """``ds.to_netcdf(path, encoding=encoding)`` with netCDF4, without its dask lock.

    ``to_netcdf`` asks dask for the scheduler's write lock, which imports
    ``distributed`` where it is installed (0.3-0.7 s); a file written from memory
    in one thread needs only netCDF4's own lock. The file is the same.
    """
    from xarray.backends.netCDF4_ import NETCDF4_PYTHON_LOCK, NetCDF4DataStore

    store = NetCDF4DataStore.open(path, mode="w", lock=NETCDF4_PYTHON_LOCK)
    try:
        ds.dump_to_store(store, encoding=encoding)
    finally:
        store.close()


def export_network(n: pypsa.Network, path: Path) -> None:
    """``n.export_to_netcdf(path)``, written by :func:`write_netcdf4`: the same file."""
    import pandas as pd

    ds = n.export_to_netcdf()  # PyPSA's dataset and compression, no file
    with pd.option_context("future.infer_string", False):  # as PyPSA writes it
        write_netcdf4(ds, path)
