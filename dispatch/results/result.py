"""The result of a solved study: key figures, hourly dataset, networks, files."""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dispatch.core.files import csv_safe, staged_folder
from dispatch.core.names import CURTAILABLE, LOCAL_CARRIERS, RUNS, WORKLOADS
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.core.units import cf_attributes
from dispatch.results.extract import Extracted
from dispatch.results.figures import UNITS, key_figures
from dispatch.results.netcdf import (
    CONVENTIONS,
    INTERVAL_MEAN,
    INTERVAL_SUM,
    TIME_BOUNDS,
    add_time_bounds,
    export_network,
    time_encoding,
    write_netcdf4,
)
from dispatch.scenario.study import Study

if TYPE_CHECKING:
    import matplotlib.figure
    import pypsa
    import xarray as xr

TARGET_UNITS = {"cfe_target": "currency/MWh", "emission_cap": "currency/tCO2"}

# name: (long_name, units as dispatch names them: "currency" is the study's currency).
# Written as CF: units by dispatch.core.units.cf_attributes, means over the step with
# cell_methods "time: mean", levels at the end of the step (LEVELS) without.
VARIABLES: dict[str, tuple[str, str]] = {
    "output": (
        "Output of local supply (battery: discharge minus charge; reservoir: turbine)",
        "MW",
    ),
    "available": (
        "Available power of curtailable supply (reservoir: inflow, as potential energy)",
        "MW",
    ),
    "curtailment": ("Curtailment (reservoir: spill, as potential energy)", "MW"),
    "absorbed": ("Curtailment absorbed: baseline minus flexible", "MW"),
    "it_power": ("IT power by workload class", "MW"),
    "facility_power": ("Facility power (IT power times PUE) by workload class", "MW"),
    "grid_import": ("Grid import", "MW"),
    "grid_export": ("Grid export", "MW"),
    "deferred_served": ("Deferrable work served", "MW"),
    "backlog": ("Deferrable work waiting at the end of the step", "MWh"),
    "interruptible_served": ("Interruptible work served", "MW"),
    "unserved": ("Interruptible work offered but not served", "MW"),
    "battery_level": ("Battery energy at the end of the step", "MWh"),
    "battery_charge": ("Battery charging power", "MW"),
    "reservoir_level": ("Reservoir energy (potential) at the end of the step", "MWh"),
    "reservoir_pump": ("Power drawn by the reservoir's pump", "MW"),
    "marginal_price": ("Shadow price of energy at the site bus", "currency/MWh"),
    "offered_up": ("Flexibility offered to the partner: net import it may lower", "MW"),
    "offered_down": ("Flexibility offered to the partner: net import it may raise", "MW"),
    "moved_work": ("Work of the route's origin served at its destination", "MW"),
    "heat_delivered": ("Heat sold to district heating", "MW"),
    "heat_pump_power": ("Electricity drawn by the heat pump", "MW"),
    "import_limit": ("Grid import limit", "MW"),
    "export_limit": ("Grid export limit", "MW"),
    "import_price": ("Grid import price", "currency/MWh"),
    "export_price": ("Grid export price", "currency/MWh"),
    "carbon_intensity": ("Grid carbon intensity", "tCO2/MWh"),
    "clean_share": ("Carbon-free share of grid electricity", "1"),
    "surplus": ("Grid surplus signalled by the partner", "MW"),
    "pue": ("Power usage effectiveness", "1"),
    "firm_work": ("Firm work arriving, served in the step (IT power)", "MW"),
    "deferrable_arrivals": ("Deferrable work arriving in the step (IT energy)", "MWh"),
    "interruptible_offered": ("Interruptible work offered (IT power)", "MW"),
    "heat_demand": ("Heat the district-heating network takes at most", "MW"),
    "heat_price": ("Price paid per MWh of heat delivered", "currency/MWh"),
}
LEVELS = frozenset({"backlog", "battery_level", "reservoir_level"})
"""Variables of :data:`VARIABLES` that are a level at the end of the step, not a mean."""
SUMS = frozenset({"deferrable_arrivals"})
"""Variables of :data:`VARIABLES` that are a sum over the step (cell_methods
"time: sum"), not a mean."""
HEAT = ("heat_delivered", "heat_pump_power")
"""Variables of :data:`VARIABLES` of a site with heat reuse only."""
COORDINATES = {
    "run": "Run: flexible, or baseline (no flexible work)",
    "site": "Site",
    "carrier": "Local supply by carrier",
    "curtailable": "Curtailable local supply by carrier",
    "workload": "Workload class",
    "route": "Route of work between sites (ORIGIN->DESTINATION)",
    "moved_class": "Class of the work moved",
    "origin": "Site the route's work comes from",
    "destination": "Site the route's work is served at",
}
"""Long names of the text coordinates of the hourly dataset."""
INPUTS = {
    "import_limit": "grid.import_limit_mw",
    "export_limit": "grid.export_limit_mw",
    "import_price": "grid.import_price",
    "export_price": "grid.export_price",
    "carbon_intensity": "grid.carbon_intensity_t_per_mwh",
    "clean_share": "grid.clean_share",
    "surplus": "grid.surplus_mw",
    "pue": "datacentre.pue",
    "firm_work": "datacentre.firm_mw",
    "deferrable_arrivals": "datacentre.deferrable.arrivals_mwh",
    "interruptible_offered": "datacentre.interruptible.offered_mw",
    "heat_demand": "datacentre.heat_reuse.demand_mw",
    "heat_price": "datacentre.heat_reuse.price",
}


class BaselineNetwork:
    """A solved network waiting in a netCDF file until it is first asked for.

    Parameters
    ----------
    path
        The netCDF file.
    folder
        The temporary folder holding it, removed with this object.
    written
        Waits until the file is complete (another process may still be writing it);
        raises if it will not be. None: the file is complete.
    """

    def __init__(
        self,
        path: Path,
        folder: tempfile.TemporaryDirectory,
        written: Callable[[], None] | None = None,
    ) -> None:
        self._path, self._folder, self._written = path, folder, written

    @property
    def path(self) -> Path:
        """The netCDF file, once it is complete."""
        if self._written is not None:
            self._written()
            self._written = None
        return self._path

    def load(self) -> pypsa.Network:
        """Read the network, then remove the temporary folder."""
        with pypsa_settings as pypsa:
            network = pypsa.Network(self.path)
        self._folder.cleanup()
        return network


class Result:
    """A solved study: both runs of MODEL.md §5 and what they yield.

    Attributes
    ----------
    study
        The study solved.
    flexible, baseline
        Hourly dispatch of each site, by site name.
    routes
        Work moved by run (``"flexible"``, ``"baseline"``), route name
        (``"ORIGIN->DESTINATION"``) and class (``"firm"``, ``"deferrable"``) [MW].
    network, network_baseline
        The solved PyPSA networks of both runs.
    timings
        Seconds spent building and solving, by stage [s].
    shadow_values
        Marginal values of the flexibility limits in the flexible run, by ``"sites"``
        and ``"routes"`` (see :func:`dispatch.results.extract.extract_shadow_values`).
    """

    def __init__(
        self,
        study: Study,
        flexible: Extracted,
        baseline: Extracted,
        network: pypsa.Network,
        network_baseline: pypsa.Network | BaselineNetwork,
        timings: dict[str, float],
        shadow_values: dict[str, dict[str, dict[str, float]]] | None = None,
    ) -> None:
        self.study = study
        self.flexible, flexible_routes = flexible
        self.baseline, baseline_routes = baseline
        self.routes = {"flexible": flexible_routes, "baseline": baseline_routes}
        self.network = network
        self._network_baseline = network_baseline
        self.timings = timings
        self.shadow_values = shadow_values or {"sites": {}, "routes": {}, "targets": {}}
        self._dataset: xr.Dataset | None = None

    @property
    def network_baseline(self) -> pypsa.Network:
        """The solved PyPSA network of the baseline run."""
        if isinstance(self._network_baseline, BaselineNetwork):
            self._network_baseline = self._network_baseline.load()
        return self._network_baseline

    @property
    def summary(self) -> dict:
        """Key figures of MODEL.md §6: the study's, each site's and each route's.

        Names carry their units (``units`` lists them); money is in ``currency``.
        """
        figures = key_figures(self.study, self.flexible, self.baseline, self.routes)
        for kind in ("sites", "routes"):
            for name, values in self.shadow_values[kind].items():
                figures[kind][name].update(values)
        figures["targets"] = {
            name: {"shadow_price": price, "unit": TARGET_UNITS[name.split()[0]]}
            for name, price in self.shadow_values["targets"].items()
        }
        currency = self.study.scenario.currency
        for target in figures["targets"].values():
            target["unit"] = target["unit"].replace("currency", currency)
        return _without_negative_zeros(
            {
                "study": self.study.name,
                "currency": currency,
                "hours": len(self.study.snapshots) * self.study.step_h,
                **figures,
                "units": {k: v.replace("currency", currency) for k, v in UNITS.items()},
            }
        )

    @property
    def dispatch(self) -> xr.Dataset:
        """Hourly results of both runs as an xarray Dataset with units and long names."""
        if self._dataset is None:
            self._dataset = self._build_dataset()
        return self._dataset

    def _build_dataset(self) -> xr.Dataset:
        import xarray as xr

        study = self.study
        sites = list(study.sites)
        ds = xr.concat(
            [self._site_dataset(site) for site in sites],
            dim=pd.Index(sites, name="site"),
            join="outer",
            fill_value=np.nan,
        ).transpose("run", "site", "snapshot", ..., missing_dims="ignore")
        if self.routes["flexible"]:
            ds["moved_work"] = self._moved_work()
        currency = study.scenario.currency
        ds.attrs.update(
            title=f"Hourly dispatch of study {study.name}",
            study=study.name,
            currency=currency,
            step_h=study.step_h,
            Conventions=CONVENTIONS,
        )
        step = pd.Timedelta(hours=study.step_h)
        ds = add_time_bounds(ds, "snapshot", step, "Start of the step (UTC)")
        for name in ds.coords:
            if name in COORDINATES:
                ds[name].attrs["long_name"] = COORDINATES[name]
        for name in ds.data_vars:
            if ds[name].dtype.kind == "f":
                ds[name].values += 0.0  # no -0 from negated flows (-0.0 + 0.0 is 0.0)
            long_name, units = VARIABLES[name]
            ds[name].attrs.update(long_name=long_name, **cf_attributes(units, currency))
            if name in SUMS:
                ds[name].attrs.update(INTERVAL_SUM)
            elif name not in LEVELS:
                ds[name].attrs.update(INTERVAL_MEAN)
        return ds

    def _moved_work(self) -> xr.DataArray:
        import xarray as xr

        names = list(self.routes["flexible"])
        classes = ["firm", "deferrable"]
        zeros = np.zeros(len(self.study.snapshots))
        values = np.stack(
            [
                np.stack(
                    [
                        np.stack([self.routes[run][name].get(c, zeros) for c in classes], -1)
                        for name in names
                    ],
                    0,
                )
                for run in RUNS
            ]
        )
        routes = self.study.routes
        return xr.DataArray(
            values,
            dims=("run", "route", "snapshot", "moved_class"),
            coords={
                "route": names,
                "moved_class": classes,
                "origin": ("route", [routes[name][0].origin for name in names]),
                "destination": ("route", [routes[name][0].destination for name in names]),
            },
        )

    def _site_dataset(self, site: str) -> xr.Dataset:
        import xarray as xr

        study = self.study
        runs = [self.flexible[site], self.baseline[site]]
        snapshot = study.snapshots.tz_localize(None)
        carriers = [c for c in LOCAL_CARRIERS if c in runs[0].output]
        curtailable = [c for c in CURTAILABLE if c in runs[0].available]

        def per_run(attribute: str) -> np.ndarray | None:
            values = [getattr(run, attribute) for run in runs]
            return None if values[0] is None else np.stack(values)

        def keyed(mapping: dict[str, np.ndarray], keys: list[str]) -> np.ndarray:
            if not keys:
                return np.zeros((len(snapshot), 0))
            return np.stack([mapping[key] for key in keys], -1)

        def per_run_keyed(attribute: str, keys: list[str]) -> np.ndarray:
            return np.stack([keyed(getattr(run, attribute), keys) for run in runs])

        curtailment = per_run_keyed("curtailment", curtailable)
        data = {
            "output": (("run", "snapshot", "carrier"), per_run_keyed("output", carriers)),
            "available": (("snapshot", "curtailable"), keyed(runs[0].available, curtailable)),
            "curtailment": (("run", "snapshot", "curtailable"), curtailment),
            "absorbed": (("snapshot", "curtailable"), curtailment[1] - curtailment[0]),
            "it_power": (
                ("run", "snapshot", "workload"),
                per_run_keyed("it_power", list(WORKLOADS)),
            ),
            "facility_power": (
                ("run", "snapshot", "workload"),
                per_run_keyed("facility_power", list(WORKLOADS)),
            ),
        }
        for name in (
            "grid_import",
            "grid_export",
            "deferred_served",
            "backlog",
            "interruptible_served",
            "unserved",
            "battery_level",
            "battery_charge",
            "reservoir_level",
            "reservoir_pump",
            "marginal_price",
            *(HEAT if study.sites[site].datacentre.heat_reuse is not None else ()),
        ):
            values = per_run(name)
            if values is not None:
                data[name] = (("run", "snapshot"), values)
        if runs[0].flexibility_offered is not None:
            for direction in ("up", "down"):
                offered = np.stack([run.flexibility_offered[direction] for run in runs])
                data[f"offered_{direction}"] = (("run", "snapshot"), offered)
        for name, path in INPUTS.items():
            if f"{site}/{path}" in study.series:
                data[name] = (("snapshot",), study.values(site, path))
        return xr.Dataset(
            data,
            coords={
                "run": list(RUNS),
                "snapshot": snapshot,
                "carrier": carriers,
                "curtailable": curtailable,
                "workload": list(WORKLOADS),
            },
        )

    def dispatch_table(self) -> pd.DataFrame:
        """The hourly dataset as one wide table, a column per variable, run and key.

        Column names read ``VARIABLE[RUN/SITE/KEY] (UNIT)`` (the parts a variable
        has, units as dispatch names them: ``MWh``, ``EUR/MWh``); the index is the
        snapshot (UTC).
        """
        ds = self.dispatch
        currency = self.study.scenario.currency
        steps = ds.sizes["snapshot"]
        labels: list[str] = []
        blocks: list[np.ndarray] = []
        for name, var in ds.data_vars.items():
            extra = [d for d in var.dims if d != "snapshot"]
            unit = VARIABLES[name][1].replace("currency", currency)
            keys = itertools.product(*(map(str, ds[d].values) for d in extra))
            labels += [
                f"{name}[{'/'.join(key)}] ({unit})" if extra else f"{name} ({unit})" for key in keys
            ]
            blocks.append(var.transpose("snapshot", *extra).values.reshape(steps, -1))
        time = ds.indexes["snapshot"].tz_localize("UTC").rename("time")
        # + 0.0: no "-0" in spreadsheets
        return pd.DataFrame(np.concatenate(blocks, axis=1) + 0.0, index=time, columns=labels)

    def plot_dispatch(
        self, week_start: str | pd.Timestamp | None = None, site: str | None = None
    ) -> matplotlib.figure.Figure:
        """Stacked dispatch of one week, baseline above flexible, with curtailment.

        Parameters
        ----------
        week_start
            First hour shown (UTC), within the study's horizon; by default the week
            with the most absorbed curtailment.
        site
            The site shown; by default the first.

        Raises
        ------
        ValueError
            ``site`` is not a site of the study, or ``week_start`` is outside its
            horizon.
        """
        from dispatch.results.plot import plot_dispatch

        return plot_dispatch(self, week_start, site)

    @pypsa_settings
    def write(self, out: str | Path) -> Path:
        """Write every result file into folder ``out``, all or nothing.

        ``out`` must not exist, be empty or hold a result dispatch wrote before, and
        must not be, hold or lie inside the study folder (see :mod:`dispatch.core.files`).
        The files are written into a staging folder beside ``out`` which then
        replaces ``out`` by renames, so a failure or interruption leaves ``out`` as it
        was.

        Files: ``summary.json``, ``dispatch.nc``, ``dispatch.csv``, ``dispatch.png``,
        ``network.nc``, ``network_baseline.nc`` and the marker ``.dispatch``.

        Raises
        ------
        ScenarioError
            ``out`` is refused (one line naming it).
        """
        out = Path(out)
        with staged_folder(out, "result", [self.study.source.parent]) as staging:
            self._write_files(staging)
        return out

    def _write_files(self, staging: Path) -> None:
        """Write the files of :meth:`write` into the empty folder ``staging``."""
        (staging / "summary.json").write_text(
            json.dumps(self.summary, indent=2) + "\n", encoding="utf-8"
        )
        # zlib level 1: within 3 % of level 4's size in three quarters of the time
        snapshots, step = self.study.snapshots, pd.Timedelta(hours=self.study.step_h)
        encoding = time_encoding(["snapshot", TIME_BOUNDS], snapshots[0], step)
        for name in [*self.dispatch.data_vars, "snapshot", TIME_BOUNDS]:
            encoding[name] = {**encoding.get(name, {}), "zlib": True, "complevel": 1}
        write_netcdf4(self.dispatch, staging / "dispatch.nc", encoding)
        write_dispatch_csv(self.dispatch_table(), staging / "dispatch.csv")
        figure = self.plot_dispatch()
        figure.savefig(staging / "dispatch.png", dpi=110)
        import matplotlib.pyplot as plt

        plt.close(figure)
        export_network(self.network, staging / "network.nc")
        # Last: the forked baseline may still be writing its file.
        if isinstance(self._network_baseline, BaselineNetwork):
            shutil.copyfile(self._network_baseline.path, staging / "network_baseline.nc")
        else:
            export_network(self.network_baseline, staging / "network_baseline.nc")

    def _repr_html_(self) -> str:
        from dispatch.results.display import result_html

        return result_html(self)


def write_dispatch_csv(table: pd.DataFrame, path: Path) -> None:
    """Write :meth:`Result.dispatch_table` as CSV, as ``DataFrame.to_csv`` would, faster.

    The first column is the time (ISO 8601 UTC, ``2025-01-01T00:00:00Z``), numbers
    have six significant digits (``%.6g``), missing values are empty cells; names
    are made inert for spreadsheets (:func:`dispatch.core.files.csv_safe`).
    ``to_csv`` formats each value apart and takes about eight times as long.
    """
    table = csv_safe(table)
    times = np.datetime_as_string(table.index.tz_convert(None).to_numpy(), unit="s")
    line = ",".join(["%sZ", *["%.6g"] * table.shape[1]]) + os.linesep
    rows = zip(times.tolist(), table.to_numpy().tolist(), strict=True)
    body = "".join([line % (time, *values) for time, values in rows])
    if table.isna().to_numpy().any():  # to_csv writes an empty cell, "%.6g" "nan"
        body = re.sub(r"(?<=,)nan(?=[,\r\n])", "", body)
    with open(path, "w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator=os.linesep).writerow([table.index.name, *table.columns])
        file.write(body)


def _without_negative_zeros(figures: object) -> object:
    """``figures`` with every -0.0 (e.g. a negated dual of 0) as 0.0, in nested dicts
    and lists."""
    if isinstance(figures, dict):
        return {key: _without_negative_zeros(value) for key, value in figures.items()}
    if isinstance(figures, list):
        return [_without_negative_zeros(value) for value in figures]
    if isinstance(figures, float):
        return figures + 0.0
    return figures
