"""Grid-partner exchange: signals into a study, a site's plan and envelope out.

Inbound: :func:`read_signals` reads a partner file in any of the three formats,
:func:`apply_signals` puts its signals into a loaded study, :func:`import_signals`
does both and can write the result as a new study folder. Outbound: :func:`plan`
collects a site's plan, signals, key figures and flexibility envelope from a solved
study, :func:`export_plan` writes them. ``docs/exchange.md`` specifies the formats.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from dispatch.core.errors import ScenarioError
from dispatch.core.files import check_output_folder, csv_safe, staged_folder
from dispatch.core.netcdf_header import check_netcdf_header
from dispatch.core.pypsa_settings import pypsa_settings
from dispatch.core.yaml_reader import read_yaml
from dispatch.exchange.envelope import DEFAULT_WINDOW_H, envelope_of_network
from dispatch.exchange.formats import (
    KEY_FIGURES,
    MAX_FILE_BYTES,
    SCHEMA,
    SIGNAL_FIELDS,
    STEP_MINUTES,
    ExchangeTable,
    Signals,
    SignalSeries,
    format_duration,
    iso,
    load_json,
    metadata_path,
    read_bytes,
    read_csv,
    read_netcdf,
    write_csv,
    write_netcdf,
)
from dispatch.exchange.openadr import read_openadr, write_openadr
from dispatch.results.result import Result
from dispatch.scenario.study import (
    SCENARIO_FILE,
    Study,
    _check_consistency,
    load_study,
    scenario_path,
)

if TYPE_CHECKING:
    import pypsa
    import xarray as xr

FORMATS: dict[str, tuple[str, Callable[[ExchangeTable, Path], None]]] = {
    "netcdf": (".nc", write_netcdf),
    "csv": (".csv", write_csv),
    "openadr": (".json", write_openadr),
}
"""Outbound formats: file suffix and writer."""
READERS: dict[str, Callable[[Path, str], Signals]] = {
    ".nc": read_netcdf,
    ".csv": read_csv,
    ".json": read_openadr,
}
"""Inbound formats by file suffix."""
_SERIES_REFERENCE = re.compile(r"^([^:]+\.(?:csv|nc)):[A-Za-z0-9_.\- ]+$")


def read_signals(path: str | Path) -> Signals:
    """Read and check a partner's signals file.

    Parameters
    ----------
    path
        A netCDF file (``.nc``), a CSV file (``.csv``, with its metadata in the
        ``.json`` of the same name) or an OpenADR 3.0.1 document (``.json``).

    Returns
    -------
    Signals
        Every signal in canonical units on UTC times, and the demand-response calls.

    Raises
    ------
    ScenarioError
        One line naming the file, the field and, for values, the time.
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ScenarioError(
            str(path),
            "",
            "unknown exchange format: expected .nc (netCDF), .csv (CSV with .json "
            "metadata) or .json (OpenADR 3.0.1)",
        )
    return reader(path, str(path))


def apply_signals(study: Study, signals: Signals, site: str | None = None) -> Study:
    """The study with a site's grid series set from partner signals.

    Within each signal's span (cut to the study's horizon) prices, carbon intensity,
    clean share and surplus replace the study's values; import and export limits and
    demand-response calls cap them (the lower value applies). Signals finer than the
    study step are averaged (limits: their minimum) over each study step; coarser ones
    are held over the study steps they contain.

    Parameters
    ----------
    study
        A loaded study.
    signals
        From :func:`read_signals`.
    site
        The site; may be omitted if the study has one.

    Returns
    -------
    Study
        The same scenario with the changed series; checked like a loaded study.
    """
    file = signals.file
    site = _site(study, site, file)
    if signals.site is not None and signals.site != site:
        raise ScenarioError(file, "site", f"the file is for site {signals.site!r}, not {site!r}")
    if study.sites[site].grid is None:
        raise ScenarioError(file, f"sites.{site}.grid", "the site has no grid connection")
    currency = study.scenario.currency
    if signals.currency not in (None, currency):
        raise ScenarioError(
            file, "units", f"prices in {signals.currency}, the study's currency is {currency}"
        )
    series = dict(study.series)
    for name, signal in signals.series.items():
        spec = SIGNAL_FIELDS[name]
        key = f"{site}/grid.{spec.grid_field}"
        steps, values = _on_study_steps(study, signal, name, file)
        new = series.get(key, np.zeros(len(study.snapshots))).copy()
        new[steps] = values if spec.combine == "replace" else np.minimum(new[steps], values)
        series[key] = new
    step, length = pd.Timedelta(hours=study.step_h), len(study.snapshots)
    for cap in signals.caps:
        key = f"{site}/grid.{SIGNAL_FIELDS[cap.field].grid_field}"
        first = min(length, max(0, (cap.start - study.snapshots[0]) // step))
        # Every step the call overlaps: up to the one holding its end.
        last = min(length, max(0, -(-(cap.end - study.snapshots[0]) // step)))
        new = series[key].copy()
        new[first:last] = np.minimum(new[first:last], cap.value)
        series[key] = new
    updated = dataclasses.replace(study, series=series)
    _check_consistency(dataclasses.replace(updated, source=Path(file)))
    return updated


def _site(study: Study, site: str | None, file: str) -> str:
    if site is None:
        if len(study.sites) > 1:
            raise ScenarioError(file, "site", f"name the site: one of {', '.join(study.sites)}")
        return next(iter(study.sites))
    if site not in study.sites:
        raise ScenarioError(file, "site", f"no site {site!r} (sites: {', '.join(study.sites)})")
    return site


def _on_study_steps(
    study: Study, signal: SignalSeries, name: str, file: str
) -> tuple[np.ndarray, np.ndarray]:
    """Study steps a signal covers and its value in each, resampled to the study step."""
    step, start = pd.Timedelta(hours=study.step_h), study.snapshots[0]
    if signal.step != step and signal.step / pd.Timedelta(minutes=1) not in STEP_MINUTES:
        raise ScenarioError(
            file,
            name,
            f"step {format_duration(signal.step)} is not read: signals need a step of "
            f"{', '.join(map(str, STEP_MINUTES))} minutes or the study's ({format_duration(step)})",
        )
    if (signal.start - start) % step:
        raise ScenarioError(
            file,
            name,
            f"starts at {iso(signal.start)}, between two study steps of {format_duration(step)}",
        )
    values = signal.values
    if step % signal.step == pd.Timedelta(0):
        per_step = step // signal.step
        if len(values) % per_step:
            raise ScenarioError(
                file,
                name,
                f"ends at {iso(signal.times[-1] + signal.step)}, within a study step: "
                "signals must fill whole study steps",
            )
        blocks = values.reshape(-1, per_step)
        capped = SIGNAL_FIELDS[name].combine == "cap"
        values = blocks.min(axis=1) if capped else blocks.mean(axis=1)
    elif signal.step % step == pd.Timedelta(0):
        values = np.repeat(values, signal.step // step)
    else:
        raise ScenarioError(
            file,
            name,
            f"step {format_duration(signal.step)} and the study step "
            f"{format_duration(step)} do not divide each other",
        )
    steps = (signal.start - start) // step + np.arange(len(values))
    inside = (steps >= 0) & (steps < len(study.snapshots))
    if not inside.any():
        raise ScenarioError(
            file,
            name,
            f"spans {iso(signal.start)} to {iso(signal.times[-1] + signal.step)}, outside the "
            f"study's {iso(start)} to {iso(study.snapshots[-1] + step)}",
        )
    return steps[inside], values[inside]


def import_signals(
    path: str | Path,
    scenario: str | Path,
    site: str | None = None,
    out: str | Path | None = None,
    hours: float | None = None,
) -> Study:
    """Apply a partner's signals file to a study.

    Parameters
    ----------
    path
        The partner's file (see :func:`read_signals`).
    scenario
        The study's scenario file or folder.
    site
        The site; may be omitted if the study has one.
    out
        If given, write the new study into this folder, all or nothing: the scenario
        with the site's changed grid fields read from ``exchange-SITE.csv`` (the whole
        horizon) and a copy of every other series file; ``dispatch run OUT`` solves it.
    hours
        Keep only the first ``hours`` of the horizon [h].

    Returns
    -------
    Study
        The study with the signals applied (loaded from ``out`` if given).

    Examples
    --------
    >>> from dispatch import import_signals
    >>> study = import_signals(
    ...     "networks/solar-battery/partner/signals.nc", "networks/solar-battery", hours=48
    ... )
    >>> float(study.values("seville", "grid.import_limit_mw")[3])  # the call: 25 MW
    25.0
    """
    signals = read_signals(path)
    if out is None:
        return apply_signals(load_study(scenario, hours), signals, site)
    write_study(signals, scenario, out, site)
    return load_study(out, hours)


def write_study(
    signals: Signals, scenario: str | Path, out: str | Path, site: str | None = None
) -> Path:
    """Write a new study folder: the scenario with ``signals`` applied to a site.

    The changed grid fields of the site point at ``exchange-SITE.csv``, which holds
    them for the whole horizon at full precision; every other series file the scenario
    names is copied. Nothing is read or written outside the study folder and ``out``.
    ``out`` must be new, empty or a study an earlier import wrote; it may not be,
    hold or lie inside the study folder, nor hold the partner file. It is written all
    or nothing (:func:`dispatch.core.files.staged_folder`).

    Returns
    -------
    pathlib.Path
        The folder ``out``.
    """
    source = scenario_path(scenario)
    study = load_study(source)
    site = _site(study, site, signals.file)
    updated = apply_signals(study, signals, site)
    out, folder = Path(out), source.parent.resolve()
    inputs = [source.parent, Path(signals.file)]
    check_output_folder(out, "study", inputs)
    table = f"exchange-{site}.csv"
    raw = read_yaml(source)
    grid = raw["sites"][site]["grid"]
    elsewhere = {**raw, "sites": {**raw["sites"], site: {**raw["sites"][site], "grid": {}}}}
    if table in _referenced_files(elsewhere):
        raise ScenarioError(str(source), "", f"names {table} outside sites.{site}.grid")
    changed = {*signals.series, *(cap.field for cap in signals.caps)}
    columns = {}
    for name, spec in SIGNAL_FIELDS.items():
        field = spec.grid_field
        # Fields an earlier import put into the table are written again.
        if name in changed or str(grid.get(field)).startswith(f"{table}:"):
            grid[field] = f"{table}:{field}"
            columns[field] = updated.values(site, f"grid.{field}")
    copies = _referenced_files(raw) - {table}
    described = _printable(f"{source} with the partner signals of {Path(signals.file).name}")
    with staged_folder(out, "study", inputs) as staging:
        header = (
            f"# {SCENARIO_FILE} of {described} applied to site {site} (dispatch exchange import).\n"
        )
        (staging / SCENARIO_FILE).write_text(
            header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        frame = pd.DataFrame(columns, index=study.snapshots.strftime("%Y-%m-%dT%H:%M:%SZ"))
        csv_safe(frame).to_csv(staging / table, index_label="time")
        for name in sorted(copies):
            target = (staging / name).resolve()
            if not (folder / name).resolve().is_relative_to(folder) or not (
                target.is_relative_to(staging.resolve())
            ):
                raise ScenarioError(str(source), "", f"{name!r} lies outside the study folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, target)
    return out


def _printable(text: str) -> str:
    """``text`` with control characters (a newline would end a YAML comment) as ``?``."""
    return re.sub(r"[\x00-\x1f\x7f]", "?", text)


def _referenced_files(raw: Any) -> set[str]:
    """Files named by ``FILE:COLUMN`` series references anywhere in a scenario mapping."""
    if isinstance(raw, dict):
        return set().union(*(_referenced_files(v) for v in raw.values()))
    if isinstance(raw, list):
        return set().union(*(_referenced_files(v) for v in raw))
    match = _SERIES_REFERENCE.match(raw) if isinstance(raw, str) else None
    return {match.group(1)} if match else set()


def plan(
    source: Result | str | Path,
    site: str | None = None,
    window_h: float | None = None,
    scenario: str | Path | None = None,
) -> ExchangeTable:
    """A site's plan from a solved study: signals, schedule, envelope, key figures.

    Parameters
    ----------
    source
        A :class:`~dispatch.Result`, or the folder ``dispatch run`` wrote it to
        (``summary.json``, ``dispatch.nc`` and ``network.nc`` are read).
    site
        The site; may be omitted if the study has one.
    window_h
        Half-width of the envelope's window (see :mod:`dispatch.exchange.envelope`) [h];
        ``DEFAULT_WINDOW_H`` (24 h) if None.
    scenario
        With a result folder: the study it was solved from. Then the envelope also
        holds the constraints ``network.nc`` does not store (carbon targets, sized
        idle draw) and the limits are the study's own; needed for carbon targets.

    Returns
    -------
    ExchangeTable
        Per step: the signals the plan was made with, ``grid_import``,
        ``grid_export``, ``surplus_absorbed`` (with a surplus signal), ``import_up``
        and ``import_down`` [MW]; key figures of the site's flexible run.
    """
    if isinstance(source, Result):
        summary, dataset, network = source.summary, source.dispatch, source.network.copy()
        origin, study = f"study {source.study.name}", source.study
    else:
        folder = Path(source)
        summary, dataset, network = _read_result_folder(folder)
        origin = str(folder / "network.nc")
        study = None if scenario is None else _study_of(folder, dataset, scenario)
        if study is None and summary.get("targets"):
            raise ScenarioError(
                str(folder), "targets", "carbon targets are not in network.nc: give the scenario"
            )
    sites = [str(s) for s in dataset["site"].values]
    if site is None and len(sites) > 1:
        raise ScenarioError(origin, "site", f"name the site: one of {', '.join(sites)}")
    site = site or sites[0]
    if site not in sites:
        raise ScenarioError(origin, "site", f"no site {site!r} (sites: {', '.join(sites)})")
    ds = dataset.sel(site=site, run="flexible")
    if "import_price" not in ds or np.isnan(ds["import_price"].values).any():
        raise ScenarioError(origin, f"sites.{site}.grid", "the site has no grid connection")
    limits = (
        _limits(network, site)
        if study is None
        else {
            name: study.values(site, f"grid.{SIGNAL_FIELDS[name].grid_field}")
            for name in ("import_limit", "export_limit")
        }
    )
    fields = {}
    for name in SIGNAL_FIELDS:
        if name in ds and not np.isnan(ds[name].values).any():
            fields[name] = ds[name].values.astype(float)
        elif name in limits:
            fields[name] = limits[name]
    window_h = DEFAULT_WINDOW_H if window_h is None else window_h
    envelope = envelope_of_network(network, site, window_h, origin, study)
    fields["grid_import"] = ds["grid_import"].values.astype(float) + 0.0  # no -0
    fields["grid_export"] = ds["grid_export"].values.astype(float) + 0.0
    if "surplus" in fields:
        fields["surplus_absorbed"] = np.minimum(fields["grid_import"], fields["surplus"])
    fields["import_up"] = envelope["import_up"].to_numpy()
    fields["import_down"] = envelope["import_down"].to_numpy()
    step = pd.Timedelta(hours=float(dataset.attrs["step_h"]))
    figures = summary.get("sites", {}).get(site, summary)
    units = summary["units"]
    key_figures = {
        name: (float(figures[name]), units[name]) for name in KEY_FIGURES if name in figures
    }
    step_h = step / pd.Timedelta(hours=1)
    key_figures["flexibility_up_mwh"] = (float(fields["import_up"].sum() * step_h), "MWh")
    key_figures["flexibility_down_mwh"] = (float(fields["import_down"].sum() * step_h), "MWh")
    study = str(dataset.attrs["study"])
    return ExchangeTable(
        start=pd.Timestamp(ds["snapshot"].values[0]).tz_localize("UTC"),
        step=step,
        fields=fields,
        currency=str(dataset.attrs["currency"]),
        attrs={
            "title": f"Plan and flexibility envelope of site {site} in study {study}",
            "study": study,
            "site": site,
            "envelope_window_h": f"{window_h:g}",
        },
        key_figures=key_figures,
    )


def _read_result_folder(folder: Path) -> tuple[dict, xr.Dataset, pypsa.Network]:
    """``summary.json``, ``dispatch.nc`` and ``network.nc`` of a result folder, checked.

    The folder may have been edited or damaged since ``dispatch run`` wrote it: what
    :func:`plan` reads is checked, and a file that does not open names itself.
    """
    for name in ("summary.json", "dispatch.nc", "network.nc"):
        if not (folder / name).is_file():
            raise ScenarioError(
                str(folder), "", f"not a result folder of 'dispatch run' (no {name})"
            )
    dataset = _read_dispatch(folder / "dispatch.nc")
    return _read_summary(folder / "summary.json"), dataset, _read_network(folder, dataset)


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
    """``dispatch.nc``: the coordinates, attributes and grid variables :func:`plan` uses."""
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


def _read_network(folder: Path, dataset: xr.Dataset) -> pypsa.Network:
    """``network.nc``, on the snapshots of ``dispatch.nc``."""
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


def _study_of(folder: Path, dataset: xr.Dataset, scenario: str | Path) -> Study:
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


def _limits(n: pypsa.Network, site: str) -> dict[str, np.ndarray]:
    """Import and export limits of the site's grid connection in the network [MW]."""
    limits = {}
    for name, link in (("import_limit", "grid import"), ("export_limit", "grid export")):
        per_unit = n.get_switchable_as_dense("Link", "p_max_pu")[f"{site} {link}"].to_numpy(float)
        limits[name] = per_unit * float(n.links.at[f"{site} {link}", "p_nom"]) + 0.0
    return limits


@pypsa_settings
def flexibility_envelope(
    result: Result, site: str | None = None, window_h: float | None = None
) -> pd.DataFrame:
    """The flexibility envelope of a site's grid import around the flexible run's plan.

    For each step t: the highest and lowest import the site could take in t, with
    every constraint of the study holding and the plan unchanged outside the window
    [t - window_h, t + window_h] (:mod:`dispatch.exchange.envelope` states it precisely).

    Parameters
    ----------
    result
        A solved study.
    site
        The site; may be omitted if the study has one.
    window_h
        Half-width of the window [h]; 24 h if None.

    Returns
    -------
    pandas.DataFrame
        By step (UTC): ``grid_import`` (the plan), ``import_min``, ``import_max``,
        ``import_up``, ``import_down`` [MW].

    Examples
    --------
    >>> from dispatch import flexibility_envelope, load_study, solve
    >>> result = solve(load_study("networks/solar-battery", hours=48))
    >>> envelope = flexibility_envelope(result)
    >>> bool((envelope.import_max >= envelope.grid_import).all())
    True
    """
    origin = f"study {result.study.name}"
    site = _site(result.study, site, origin)
    window_h = DEFAULT_WINDOW_H if window_h is None else window_h
    return envelope_of_network(result.network.copy(), site, window_h, origin, result.study)


@pypsa_settings
def export_plan(
    source: Result | str | Path,
    fmt: str,
    out: str | Path,
    site: str | None = None,
    window_h: float | None = None,
    scenario: str | Path | None = None,
) -> list[Path]:
    """Write a site's plan for its grid partner.

    Parameters
    ----------
    source
        A :class:`~dispatch.Result` or the folder ``dispatch run`` wrote.
    fmt
        ``"netcdf"`` (``.nc``), ``"csv"`` (``.csv`` plus ``.json`` metadata) or
        ``"openadr"`` (``.json``, OpenADR 3.0.1 events and reports).
    out
        The file to write; its suffix must match the format.
    site
        The site; may be omitted if the study has one.
    window_h
        Half-width of the envelope's window [h]; 24 h if None.
    scenario
        With a result folder: the study it was solved from (see :func:`plan`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise ScenarioError(str(out), "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    suffix, writer = FORMATS[fmt]
    if out.suffix.lower() != suffix:
        raise ScenarioError(str(out), "", f"format {fmt} writes a {suffix} file")
    paths = [out, metadata_path(out)] if fmt == "csv" else [out]
    read = [source.study.source.parent] if isinstance(source, Result) else [Path(source)]
    if scenario is not None:
        read.append(scenario_path(scenario).parent)
    for path in paths:
        _check_export_target(path, read)
    writer(plan(source, site, window_h, scenario), out)
    return paths


def _check_export_target(path: Path, inputs: list[Path]) -> None:
    """Refuse an export file inside a folder read, over a link or a folder, or over
    a file dispatch did not export (recognised by its schema or program name)."""
    resolved = path.resolve()
    for folder in inputs:
        if resolved.is_relative_to(folder.resolve()):
            raise ScenarioError(str(path), "", f"lies inside {folder}, which is read")
    if path.is_symlink():
        raise ScenarioError(
            str(path), "", "is a symbolic link: exchange files are not written through links"
        )
    if path.is_dir():
        raise ScenarioError(str(path), "", "is a folder, expected a file name")
    if path.exists() and not _exported_by_dispatch(path):
        raise ScenarioError(
            str(path), "", "exists and is not an exchange file dispatch wrote: give another name"
        )


def _exported_by_dispatch(path: Path) -> bool:
    """Whether ``path`` is a file ``dispatch exchange export`` wrote."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return False
        if path.suffix.lower() == ".csv":
            with path.open("rb") as handle:
                header = handle.readline(64)
            return header.startswith(b"time,") and _exported_by_dispatch(metadata_path(path))
        if path.suffix.lower() == ".nc":
            import xarray as xr

            check_netcdf_header(path, str(path))
            with xr.open_dataset(path, decode_cf=False) as ds:
                return ds.attrs.get("schema") == SCHEMA
        document = load_json(path.read_bytes(), str(path))
    except Exception:  # noqa: BLE001 - a file that cannot be read is not one of ours
        return False
    if isinstance(document, dict):  # metadata of a CSV export
        return document.get("schema") == SCHEMA
    return (  # OpenADR objects of a plan
        isinstance(document, list)
        and bool(document)
        and all(
            isinstance(o, dict) and str(o.get("programID", "")).startswith("dispatch-")
            for o in document
        )
    )
