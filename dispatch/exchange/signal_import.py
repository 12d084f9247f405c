"""Signals into a study: read a partner file, apply it to a site, write the new study.

:func:`read_signals` reads a partner file in any of the three formats,
:func:`apply_signals` puts its signals into a loaded study, :func:`import_signals`
does both and can write the result as a new study folder (:func:`write_study`).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from dispatch.core.errors import ScenarioError
from dispatch.core.files import check_output_folder, csv_safe, staged_folder
from dispatch.core.times import format_duration, iso, utc_times
from dispatch.core.yaml_reader import read_yaml
from dispatch.exchange.csv_format import read_csv
from dispatch.exchange.fields import SIGNAL_FIELDS, Signals, SignalSeries
from dispatch.exchange.netcdf_format import read_netcdf
from dispatch.exchange.openadr_reader import read_openadr
from dispatch.scenario.checks import check_consistency, check_range
from dispatch.scenario.load import SCENARIO_FILE, load_study, scenario_path
from dispatch.scenario.series import SERIES_FIELDS
from dispatch.scenario.study import Study

STEP_MINUTES = (15, 30, 60)
"""Signal steps accepted besides the study's own step [min]."""
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
        ``.json`` of the same name) or an OpenADR 3.0.1 document (``.json``; what
        it carries beyond the 3.0.1 schemas is ignored and named in a warning of the
        logger ``dispatch.exchange.openadr_reader``).

    Returns
    -------
    Signals
        Every signal in canonical units on UTC times, and the demand-response calls.

    Raises
    ------
    ScenarioError
        One line naming the file, the field and, for values, the time; a file without
        signals (e.g. a CSV of the plan alone) is refused, as it would change nothing.
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
    signals = reader(path, str(path))
    if not signals.series and not signals.caps:
        raise ScenarioError(
            str(path), "", "holds no signal and no demand-response call: no signals to import"
        )
    return signals


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
        The same scenario with the changed series; checked like a loaded study
        (ranges of the series, cross-field rules), errors naming the partner's file.
    """
    file = signals.file
    site = site_of(study, site, file)
    if signals.site is not None and signals.site != site:
        raise ScenarioError(file, "site", f"the file is for site {signals.site!r}, not {site!r}")
    if study.sites[site].grid is None:
        raise ScenarioError(file, f"sites.{site}.grid", "the site has no grid connection")
    currency = study.scenario.currency
    if signals.currency not in (None, currency):
        raise ScenarioError(
            file, "units", f"prices in {signals.currency}, the study's currency is {currency}"
        )
    caps = _caps_by_field(signals)
    _check_ranges(signals, caps)
    series = dict(study.series)
    for name, signal in signals.series.items():
        spec = SIGNAL_FIELDS[name]
        key = f"{site}/grid.{spec.grid_field}"
        steps, values = _on_study_steps(study, signal, name, file)
        new = series.get(key, np.zeros(len(study.snapshots))).copy()
        new[steps] = values if spec.combine == "replace" else np.minimum(new[steps], values)
        series[key] = new
    origin, step = study.snapshots[0].value, pd.Timedelta(hours=study.step_h).value  # [ns]
    length = len(study.snapshots)
    for field, (starts, ends, limits) in caps.items():
        key = f"{site}/grid.{SIGNAL_FIELDS[field].grid_field}"
        first = np.clip((starts - origin) // step, 0, length)
        # Every step the call overlaps: up to the one holding its end.
        last = np.clip(-(-(ends - origin) // step), 0, length)
        new = series[key].copy()
        for begin, end, limit in zip(first.tolist(), last.tolist(), limits.tolist(), strict=True):
            new[begin:end] = np.minimum(new[begin:end], limit)
        series[key] = new
    updated = dataclasses.replace(study, series=series)
    check_consistency(dataclasses.replace(updated, source=Path(file)))
    return updated


def _check_ranges(
    signals: Signals, caps: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> None:
    """Every signal value and cap within the range of the scenario field it sets, as a
    loaded study's series are (:data:`~dispatch.scenario.series.SERIES_FIELDS`);
    errors name the partner's file, the signal and its time."""
    file = signals.file
    for name, signal in signals.series.items():
        check_range(signal.values, _bounds(name), signal.times, name, file)
    for field, (starts, _, limits) in caps.items():  # of :func:`_caps_by_field`
        check_range(limits, _bounds(field), utc_times(starts), field, file)


def _caps_by_field(signals: Signals) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The caps of each field, in order: starts and ends [ns since 1970, UTC], limits
    [MW]."""
    fields: dict[str, list] = {}
    for cap in signals.caps:
        fields.setdefault(cap.field, []).append(cap)
    return {
        field: (
            np.array([cap.start.value for cap in caps], dtype=np.int64),
            np.array([cap.end.value for cap in caps], dtype=np.int64),
            np.array([cap.value for cap in caps], dtype=float),
        )
        for field, caps in fields.items()
    }


def _bounds(name: str) -> tuple[float, float]:
    """The closed range of the scenario field a signal sets [canonical unit]."""
    return SERIES_FIELDS[f"grid.{SIGNAL_FIELDS[name].grid_field}"]


def site_of(study: Study, site: str | None, file: str) -> str:
    """The site named, or the study's only site; errors name ``file``."""
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
    site = site_of(study, site, signals.file)
    updated = apply_signals(study, signals, site)
    out = Path(out)
    inputs = [source.parent, Path(signals.file)]
    check_output_folder(out, "study", inputs)
    table = f"exchange-{site}.csv"
    raw = read_yaml(source)
    grid = raw["sites"][site]["grid"]
    elsewhere = {**raw, "sites": {**raw["sites"], site: {**raw["sites"][site], "grid": {}}}}
    if table in referenced_files(elsewhere):
        raise ScenarioError(str(source), "", f"names {table} outside sites.{site}.grid")
    changed = {*signals.series, *(cap.field for cap in signals.caps)}
    columns = {}
    for name, spec in SIGNAL_FIELDS.items():
        field = spec.grid_field
        # Fields an earlier import put into the table are written again.
        if name in changed or str(grid.get(field)).startswith(f"{table}:"):
            grid[field] = f"{table}:{field}"
            columns[field] = updated.values(site, f"grid.{field}")
    described = f"{source} with the partner signals of {Path(signals.file).name}"
    with staged_folder(out, "study", inputs) as staging:
        write_scenario(staging, raw, f"{described} applied to site {site}")
        frame = pd.DataFrame(columns, index=study.snapshots.strftime("%Y-%m-%dT%H:%M:%SZ"))
        csv_safe(frame).to_csv(staging / table, index_label="time")
        copy_series_files(raw, source, staging, {table})
    return out


def write_scenario(staging: Path, raw: dict, described: str) -> None:
    """Write the scenario mapping ``raw`` into the new study ``staging``, headed by a
    comment saying it is ``described`` (control characters, which would end the
    comment, as ``?``)."""
    header = re.sub(r"[\x00-\x1f\x7f]", "?", f"{SCENARIO_FILE} of {described}")
    text = f"# {header} (dispatch exchange import).\n" + yaml.safe_dump(
        raw, sort_keys=False, allow_unicode=True
    )
    (staging / SCENARIO_FILE).write_text(text, encoding="utf-8")


def copy_series_files(raw: dict, source: Path, staging: Path, written: set[str]) -> None:
    """Copy every series file the scenario mapping ``raw`` (of the scenario file
    ``source``) names, besides those ``written`` anew, into the new study ``staging``;
    a file outside the study folder is refused."""
    folder = source.parent.resolve()
    for name in sorted(referenced_files(raw) - written):
        target = (staging / name).resolve()
        if not (folder / name).resolve().is_relative_to(folder) or not (
            target.is_relative_to(staging.resolve())
        ):
            raise ScenarioError(str(source), "", f"{name!r} lies outside the study folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, target)


def referenced_files(raw: Any) -> set[str]:
    """Files named by ``FILE:COLUMN`` series references anywhere in a scenario mapping."""
    if isinstance(raw, dict):
        return set().union(*(referenced_files(v) for v in raw.values()))
    if isinstance(raw, list):
        return set().union(*(referenced_files(v) for v in raw))
    match = _SERIES_REFERENCE.match(raw) if isinstance(raw, str) else None
    return {match.group(1)} if match else set()
