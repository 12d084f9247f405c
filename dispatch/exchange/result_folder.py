"""Reading the result folder ``dispatch run`` (or ``dispatch operate``) wrote, for a plan
to export.

The folder may have been edited or damaged since it was written: ``summary.json``,
``dispatch.nc``, ``network.nc`` and ``plans.nc`` are checked as they are read, JSON with the bounded
reader and netCDF headers before netCDF-C opens them, and a file that does not open
names itself in one line.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.errors import ScenarioError
from dispatch.core.netcdf_header import check_netcdf_header
from dispatch.core.untrusted_input import load_json, read_bytes
from dispatch.exchange.fields import ISSUED_PLAN_FIELDS, KEY_FIGURES, SIGNAL_FIELDS
from dispatch.results.netcdf import VERTICES
from dispatch.scenario.load import load_study
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import pypsa
    import xarray as xr


def read_result_folder(folder: Path) -> tuple[dict, xr.Dataset]:
    """``summary.json`` and ``dispatch.nc`` of a result folder, checked.

    The folder may have been edited or damaged since ``dispatch run`` wrote it: what
    :func:`~dispatch.exchange.plan_export.plan` reads is checked, and a file that does
    not open names itself. ``network.nc`` must be there; :func:`read_network` reads it
    when the envelope is not kept with the result.
    """
    for name in ("summary.json", "dispatch.nc", "network.nc"):
        if not (folder / name).is_file():
            raise ScenarioError(
                str(folder), "", f"not a result folder of 'dispatch run' (no {name})"
            )
    dataset = _read_dispatch(folder / "dispatch.nc")
    return _read_summary(folder / "summary.json"), dataset


@contextlib.contextmanager
def _damaged(file: str, kind: str) -> Iterator[None]:
    """Any exception of a library reading a damaged ``file`` as one line naming it."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - whatever a damaged file makes a reader raise
        raise ScenarioError(file, "", f"not a readable {kind} ({type(exc).__name__})") from None


def _read_summary(path: Path) -> dict:
    """The summary of a result: an object with ``units``, key figures finite numbers."""
    file = str(path)
    summary = load_json(read_bytes(path, file), file)
    if not isinstance(summary, dict):
        raise ScenarioError(file, "", "expected a JSON object")
    units = summary.get("units")
    if not isinstance(units, dict) or not all(isinstance(u, str) for u in units.values()):
        raise ScenarioError(file, "units", "missing or not an object of unit names")
    sites = summary.get("sites", {})
    if not isinstance(sites, dict) or not all(isinstance(s, dict) for s in sites.values()):
        raise ScenarioError(file, "sites", "expected an object of site summaries")
    if not isinstance(summary.get("targets", {}), dict | list):
        raise ScenarioError(file, "targets", "expected an object or a list")
    for prefix, figures in [("", summary), *((f"sites.{s}.", f) for s, f in sites.items())]:
        for name in KEY_FIGURES:
            value = figures.get(name, 0.0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(file, prefix + name, f"is {value!r:.60}, expected a number")
            if not math.isfinite(value):
                raise ScenarioError(file, prefix + name, f"is {value}, must be finite")
            if name in figures and name not in units:
                raise ScenarioError(file, f"units.{name}", "missing")
    return summary


def _read_dispatch(path: Path) -> xr.Dataset:
    """``dispatch.nc``: the coordinates, attributes and grid variables a plan uses."""
    import xarray as xr

    file = str(path)
    check_netcdf_header(path, file)
    with _damaged(file, "netCDF file"), xr.open_dataset(path) as ds:
        dataset = ds.load()
    for name, kinds in (("site", "UO"), ("run", "UO"), ("snapshot", "M")):
        if name not in dataset.coords or dataset[name].ndim != 1 or not dataset[name].size:
            raise ScenarioError(file, name, "missing: not a dispatch.nc of 'dispatch run'")
        if dataset[name].dtype.kind not in kinds:
            raise ScenarioError(file, name, f"has values of type {dataset[name].dtype}")
    if "flexible" not in dataset["run"].values:
        raise ScenarioError(file, "run", "has no 'flexible' run")
    step_h = dataset.attrs.get("step_h")
    if not isinstance(step_h, int | float | np.number) or not 0 < float(step_h) <= _MAX_STEP_H:
        raise ScenarioError(
            file, "step_h", f"is {step_h!r:.60}, expected a number in (0, {_MAX_STEP_H}] [h]"
        )
    gaps = np.diff(dataset["snapshot"].values)
    if (gaps != pd.Timedelta(hours=float(step_h)).to_timedelta64()).any():
        raise ScenarioError(file, "snapshot", f"not in steps of step_h = {step_h} h")
    for name in ("study", "currency"):
        if not isinstance(dataset.attrs.get(name), str):
            raise ScenarioError(file, name, "missing or not text")
    for name in ("grid_import", "grid_export", *SIGNAL_FIELDS):
        if name not in dataset:
            if name in ("grid_import", "grid_export"):
                raise ScenarioError(file, name, "missing: not a dispatch.nc of 'dispatch run'")
            continue
        variable = dataset[name]
        dims = {"site", "snapshot", *(["run"] if name.startswith("grid_") else [])}
        if set(variable.dims) != dims or variable.dtype.kind not in "iuf":
            raise ScenarioError(
                file, name, f"has dimensions {variable.dims} and type {variable.dtype}"
            )
        if np.isinf(variable.values).any():
            raise ScenarioError(file, name, "has infinite values")
    # NaN marks what a site does not have; the plan of a site with a grid is finite.
    flexible = dataset.sel(run="flexible")
    for site in dataset["site"].values:
        if "import_price" in dataset and np.isnan(flexible["import_price"].sel(site=site)).any():
            continue
        for name in ("grid_import", "grid_export"):
            if np.isnan(flexible[name].sel(site=site).values).any():
                raise ScenarioError(file, name, f"has NaN in the flexible run of site {site}")
    return dataset


_MAX_STEP_H = 8760.0
"""Longest step a result folder is read with [h]."""


def grid_site(dataset: xr.Dataset, site: str | None, origin: str) -> str:
    """The site named (or the only one) of a result's dataset, checked to have a grid
    connection: a plan for the grid partner is of such a site."""
    sites = [str(s) for s in dataset["site"].values]
    if site is None and len(sites) > 1:
        raise ScenarioError(origin, "site", f"name the site: one of {', '.join(sites)}")
    site = site or sites[0]
    if site not in sites:
        raise ScenarioError(origin, "site", f"no site {site!r} (sites: {', '.join(sites)})")
    prices = dataset["import_price"].sel(site=site) if "import_price" in dataset else None
    if prices is None or np.isnan(prices.values).any():
        raise ScenarioError(origin, f"sites.{site}.grid", "the site has no grid connection")
    return site


def read_network(folder: Path, dataset: xr.Dataset) -> pypsa.Network:
    """``network.nc`` of a result folder, checked to be on the snapshots of ``dispatch.nc``
    (as :func:`read_result_folder` returns it) and to hold the sites' grid links."""
    import xarray as xr

    from dispatch.core.pypsa_settings import import_pypsa

    path, file = folder / "network.nc", str(folder / "network.nc")
    check_netcdf_header(path, file)
    steps = dataset.sizes["snapshot"]
    # Checked before PyPSA reads it, which logs what it misses besides raising.
    with (
        _damaged(file, "netCDF file"),
        xr.open_dataset(path, decode_cf=False, create_default_indexes=False) as ds,
    ):
        sizes = dict(ds.sizes)
    if "buses_i" not in sizes:
        raise ScenarioError(file, "buses", "missing: not a PyPSA network")
    if sizes.get("snapshots") != steps:
        problem = f"{sizes.get('snapshots', 0)} steps, dispatch.nc has {steps}"
        raise ScenarioError(file, "snapshots", problem)
    with _damaged(file, "PyPSA network"):
        network = import_pypsa().Network(path)
    prices = dataset.get("import_price")
    for site in dataset["site"].values:
        if prices is None or np.isnan(prices.sel(site=site).values).all():
            continue  # no grid connection
        for link in (f"{site} grid import", f"{site} grid export"):
            if link not in network.links.index:
                raise ScenarioError(file, f"links.{link}", "missing: not the network of a result")
    return network


def study_of(folder: Path, dataset: xr.Dataset, scenario: str | Path) -> Study:
    """The study a result folder was solved from, on the result's horizon."""
    step_h = float(dataset.attrs["step_h"])
    study = load_study(scenario, hours=dataset.sizes["snapshot"] * step_h)
    snapshots = pd.DatetimeIndex(dataset["snapshot"].values).tz_localize("UTC")
    if study.name != dataset.attrs["study"] or not study.snapshots.equals(snapshots):
        raise ScenarioError(
            str(study.source),
            "",
            f"is not the study solved into {folder} ({dataset.attrs['study']})",
        )
    return study


def read_plans(folder: Path, dataset: xr.Dataset) -> xr.Dataset:
    """``plans.nc`` of an operation result folder, checked against its ``dispatch.nc``
    (as :func:`read_result_folder` returns it): the same study, sites and step, and
    the issued plans' fields on ``(site, issue_time, step)``."""
    import xarray as xr

    path, file = folder / "plans.nc", str(folder / "plans.nc")
    if not path.is_file():
        raise ScenarioError(
            str(folder), "plans.nc", "missing: not a result folder of 'dispatch operate'"
        )
    check_netcdf_header(path, file)
    with (
        _damaged(file, "netCDF file"),
        xr.open_dataset(path, decode_cf=False, create_default_indexes=False) as ds,
    ):
        sizes = dict(ds.sizes)
    steps = dataset.sizes["snapshot"]
    limits = {"site": dataset.sizes["site"], "issue_time": steps, "step": steps, VERTICES: 2}
    sizes.setdefault(VERTICES, 2)  # the bounds of valid_time; absent before CF bounds
    for name in sizes:
        if name not in limits:
            raise ScenarioError(file, str(name)[:60], "unexpected dimension")
    for name, limit in limits.items():
        if not 0 < sizes.get(name, 0) <= limit:
            problem = f"has {sizes.get(name, 0)} entries, expected 1 to {limit} (dispatch.nc)"
            raise ScenarioError(file, name, problem)
    with _damaged(file, "netCDF file"), xr.open_dataset(path) as ds:
        plans = ds.load()
    for name in ("study", "currency", "step_h"):
        value = plans.attrs.get(name)
        if not isinstance(value, str | int | float | np.number) or value != dataset.attrs[name]:
            problem = f"is {plans.attrs.get(name)!r:.60}, dispatch.nc has {dataset.attrs[name]!r}"
            raise ScenarioError(file, name, problem)
    if plans["site"].values.tolist() != dataset["site"].values.tolist():
        raise ScenarioError(file, "site", "not the sites of dispatch.nc")
    if plans["issue_time"].dtype.kind != "M":
        raise ScenarioError(file, "issue_time", f"has values of type {plans['issue_time'].dtype}")
    for name in ISSUED_PLAN_FIELDS:
        variable = plans.get(name)
        if variable is None:
            raise ScenarioError(file, name, "missing: not a plans.nc of 'dispatch operate'")
        if variable.dims != ("site", "issue_time", "step") or variable.dtype.kind not in "iuf":
            raise ScenarioError(
                file, name, f"has dimensions {variable.dims} and type {variable.dtype}"
            )
        if np.isinf(variable.values).any():
            raise ScenarioError(file, name, "has infinite values")
    return plans
